#!/bin/bash
# bench/scan.sh [CNETMON_BIN] — what a `cnetmon containers` scan costs on a
# host with N containers (default 1,000; BENCH_CONTAINERS=N): N network
# namespaces, each with a veth to a bridge, an IPv4 and an IPv6 address and
# a process in a container cgroup (the cgroup2 hierarchy, Docker's
# "system.slice/docker-<id>.scope" layout). No runtime knows these ids, so
# this measures discovery (the /proc walk, cgroups, netlink in every
# namespace), not runtime API latency. Needs root; removes all it made.
set -u
BIN=${1:-build/cnetmon}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
N=${BENCH_CONTAINERS:-1000}
[ "$(id -u)" -eq 0 ] || { echo "bench/scan.sh: needs root" >&2; exit 2; }
CG=/sys/fs/cgroup/unified
[ -w "$CG/cgroup.procs" ] || CG=/sys/fs/cgroup
[ -w "$CG/cgroup.procs" ] || { echo "bench/scan.sh: no writable cgroup2 hierarchy" >&2; exit 2; }
P=$$
NSP=cnmb$P-
BR=cb${P}br
T=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for i in $(seq 0 $((N - 1))); do echo "link del cb${P}v$i"; done | ip -force -batch - >/dev/null 2>&1
	for i in $(seq 0 $((N - 1))); do echo "netns del $NSP$i"; done | ip -force -batch - >/dev/null 2>&1
	ip link del "$BR" 2>/dev/null
	find "$CG/cnetmon-bench-$P" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

echo "== cnetmon container scan bench, $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -sr)"
echo "setting up $N containers..."
t0=$(date +%s)
ip link add "$BR" type bridge && ip link set "$BR" up || exit 2
for i in $(seq 0 $((N - 1))); do echo "netns add $NSP$i"; done | ip -batch - || exit 2
for i in $(seq 0 $((N - 1))); do
	echo "link add cb${P}v$i type veth peer name eth0 netns $NSP$i"
	echo "link set cb${P}v$i master $BR up"
done | ip -batch - || exit 2
mkdir -p "$CG/cnetmon-bench-$P/system.slice"
for i in $(seq 0 $((N - 1))); do
	printf 'addr add 198.18.%d.%d/15 dev eth0\naddr add 2001:db8:%x::2/64 dev eth0 nodad\nlink set eth0 up\nlink set lo up\n' \
		$((i / 250)) $((i % 250 + 2)) "$i" | ip -n "$NSP$i" -batch - || exit 2
	id=$(printf 'bench-%s-%s' "$P" "$i" | sha256sum | cut -c1-64)
	d="$CG/cnetmon-bench-$P/system.slice/docker-$id.scope"
	mkdir "$d"
	ip netns exec "$NSP$i" sleep 3600 &
	pid=$!
	pids+=("$pid")
	echo "$pid" >"$d/cgroup.procs"
done
echo "setup: $(( $(date +%s) - t0 )) s"
sleep 1

runs=3
best=999999
for r in $(seq $runs); do
	s=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$T/rss" "$BIN" containers --json >"$T/inv.json" 2>"$T/err" || { cat "$T/err"; exit 2; }
	ms=$(( ($(date +%s%N) - s) / 1000000 ))
	[ "$ms" -lt "$best" ] && best=$ms
	echo "run $r: ${ms} ms, peak RSS $(( $(cat "$T/rss") / 1024 )) MiB"
done
found=$(/usr/bin/python3 -c "
import json,sys
inv=json.load(open('$T/inv.json'))
print(sum(1 for c in inv['containers'] if c['cgroup'].startswith('/cnetmon-bench-$P/') and c['interfaces'] and c['interfaces'][0]['host_ifname']))")
echo "containers found with their host veth: $found of $N"
echo "result: full scan of $N containers: best ${best} ms ($(awk -v b="$best" -v n="$N" 'BEGIN { printf "%.2f", b / n }') ms per container)"
