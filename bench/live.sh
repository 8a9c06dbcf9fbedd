#!/bin/bash
# bench/live.sh [CNETMON_BIN] — live capture cost (issue 4): a sender in a
# network namespace pushes minimum-size UDP frames (60-byte Ethernet)
# through a veth pair for 10 s, as fast as it can and then paced to 100k
# packets/s; `cnetmon run -i` on the host side of the veth, and tcpdump on
# the same veth as the reference in the same run. Reports packets captured,
# kernel drops, CPU (% of one core) and peak RSS. Needs root; traffic stays
# inside the pair (to a neighbour that answers nothing); removes all it made.
set -u
BIN=${1:-build/cnetmon}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
SECS=${BENCH_SECONDS:-10}
[ "$(id -u)" -eq 0 ] || { echo "bench/live.sh: needs root" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
NS=cnmlive$$
VH=clh$$
cleanup() {
	ip netns del "$NS" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
cc -O2 -o "$T/flood" "$here/udp-flood.c" || exit 2
ip netns add "$NS" && ip link add "$VH" type veth peer name eth0 netns "$NS" &&
	ip addr add 198.18.200.1/24 dev "$VH" && ip link set "$VH" up &&
	ip -n "$NS" addr add 198.18.200.2/24 dev eth0 && ip -n "$NS" link set eth0 up &&
	ip -n "$NS" neigh add 198.18.200.9 lladdr 02:00:00:00:00:09 dev eth0 || exit 2
# 198.18.200.9 is nobody: frames reach the host side, are captured, and die.

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# run_one NAME RATE CMD...: start CMD capturing, flood, stop; prints a row.
run_one() {
	name=$1 rate=$2; shift 2
	"$@" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 1
	c0=$(cpu_ticks "$pid")
	sent=$(ip netns exec "$NS" "$T/flood" 198.18.200.9 9 "$SECS" ${rate:+$rate})
	c1=$(cpu_ticks "$pid")
	rss=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$pid/status")
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	case $name in
	tcpdump*)
		got=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$T/err")
		drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$T/err") ;;
	*)
		got=$(sed -n "s/.*$VH: \([0-9]*\) packets, \([0-9]*\) dropped.*/\1/p" "$T/err")
		drop=$(sed -n "s/.*$VH: \([0-9]*\) packets, \([0-9]*\) dropped.*/\2/p" "$T/err") ;;
	esac
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v s="$SECS" 'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }')
	printf '%-34s %9s %12s %12s %8s %8s %9s\n' "$name" "${rate:-max}" "$sent" "${got:-?}" \
		"${drop:-?}" "$cpu" "$rss"
}

echo "== cnetmon live capture bench, $(date -u +%FT%TZ)"
echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -sr)"
echo "veth pair, 60-byte frames, ${SECS} s per run; CPU is % of one core while sending"
printf '%-34s %9s %12s %12s %8s %8s %9s\n' tool "rate/s" sent captured dropped "cpu%" "rss MiB"
for rate in "" 100000; do
	run_one "tcpdump -i veth -w /dev/null" "$rate" tcpdump -i "$VH" -n -B 8192 -w /dev/null
	run_one "cnetmon run -i veth" "$rate" "$BIN" run -v -i "$VH" --flows json:/dev/null --user root
done
