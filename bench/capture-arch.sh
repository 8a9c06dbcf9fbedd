#!/bin/bash
# bench/capture-arch.sh [BUILD_DIR] — issue 4, Capture: one poll loop over
# every capture fd (what `cnetmon run` does) against one capture thread per
# interface feeding one engine thread through SPSC rings (bench/capture-arch.c).
# N veth pairs (1, 2, 4), each with a sender in its own namespace pushing
# 60-byte UDP frames to a neighbour that answers nothing; capture-arch on the
# host ends, in both modes, at a fixed total rate (split evenly over the
# senders, paced by `capture-arch send`, which sleeps) and flat out
# (bench/udp-flood.c, one per namespace). Needs root and the objects of
# `make BUILD=BUILD_DIR` (default build/). Removes all it made, on failure too.
#   BENCH_SECONDS (4) per row, BENCH_IFACES ("1 2 4"), BENCH_RATE (200000
#   packets/s in all), BENCH_REPEAT (1) passes over the table, BENCH_STALL
#   (MS: the engine side sleeps that long once a second, as a rescan or a
#   slow sink would stall it; off by default), BENCH_BUFFER (kernel ring per
#   interface, MiB, 8), BENCH_MODES ("poll threads"), BENCH_DETAIL=1 per-thread
#   CPU.
# Columns: cap% captured/sent; cpu% capture-arch's user+sys as % of one core
# over the sending time, ns/pkt the same per captured packet; send% the
# senders' (the veth's receive path, the copy into the capture rings
# included, runs in softirq on the sending CPU: charged to the senders or
# seen only in host%); host% the whole machine's busy share of all its cores
# (/proc/stat: other load included).
set -u
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-4}
IFACES=${BENCH_IFACES:-1 2 4}
RATE=${BENCH_RATE:-200000}
REPEAT=${BENCH_REPEAT:-1}
STALL=${BENCH_STALL:-}
BUFMIB=${BENCH_BUFFER:-8}
MODES=${BENCH_MODES:-poll threads}
[ "$(id -u)" -eq 0 ] || { echo "bench/capture-arch.sh: needs root" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
ls "$BUILD"/engine.o >/dev/null 2>&1 || {
	echo "bench/capture-arch.sh: no objects in $BUILD: make BUILD=$BUILD first" >&2; exit 2; }

T=$(mktemp -d)
P=$$
MAXN=0
for n in $IFACES; do [ "$n" -gt "$MAXN" ] && MAXN=$n; done
PIDS=""
cleanup() {
	# The senders run under subshells (for `times`): their children first.
	for p in $PIDS; do
		# shellcheck disable=SC2046
		kill $(cat /proc/"$p"/task/*/children 2>/dev/null) "$p" 2>/dev/null
	done
	for ((i = 0; i < MAXN; i++)); do
		ip netns del "cna${P}n$i" 2>/dev/null
		ip link del "ca${P}h$i" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2016
libs=$(make -s --no-print-directory -C "$root" BUILD="$BUILD" \
	--eval='capture-arch-libs: ; @echo $(PKG_LIBS)' capture-arch-libs) || exit 2
objs=()
# The objects of today's sources (a build dir may keep those of removed ones).
objs+=("$BUILD/cri.pb-c.o")
for s in "$(dirname "$0")"/../src/*.c; do
	n=$(basename "$s" .c)
	[ "$n" = main ] || objs+=("$BUILD/$n.o")
done
# shellcheck disable=SC2046,SC2086
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -fno-strict-aliasing -pthread \
	-I"$root/include" -I"$BUILD/gen" $(pkg-config --cflags libpcap) \
	-o "$T/capture-arch" "$here/capture-arch.c" \
	"${objs[@]}" $libs -lm || exit 2
cc -O2 -o "$T/flood" "$here/udp-flood.c" || exit 2

for ((i = 0; i < MAXN; i++)); do
	ns=cna${P}n$i h=ca${P}h$i
	ip netns add "$ns" && ip link add "$h" type veth peer name eth0 netns "$ns" &&
		ip addr add "198.18.$((200 + i)).1/24" dev "$h" && ip link set "$h" up &&
		ip -n "$ns" addr add "198.18.$((200 + i)).2/24" dev eth0 &&
		ip -n "$ns" link set eth0 up &&
		ip -n "$ns" neigh add "198.18.$((200 + i)).9" lladdr 02:00:00:00:00:09 dev eth0 || exit 2
	# Nobody has .9: frames reach the host end (not its MAC: dropped
	# there, never routed), are captured, and die.
done

NCPU=$(nproc)
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -1; }

# row MODE N RATE: one table row.
row() {
	mode=$1 n=$2 rate=$3
	ifs=""
	for ((i = 0; i < n; i++)); do ifs="$ifs ca${P}h$i"; done
	# shellcheck disable=SC2086
	"$T/capture-arch" -B "$BUFMIB" ${STALL:+-S "$STALL"} "$mode" $((SECS + 30)) $ifs >"$T/out" 2>"$T/err" &
	cpid=$!
	PIDS="$PIDS $cpid"
	sleep 0.5
	read -r b0 t0 < <(busy)
	spids=""
	for ((i = 0; i < n; i++)); do
		ns=cna${P}n$i dst=198.18.$((200 + i)).9
		if [ "$rate" = max ]; then
			( ip netns exec "$ns" "$T/flood" "$dst" 9 "$SECS" >"$T/sent$i"; times >"$T/times$i" ) &
		else
			( ip netns exec "$ns" "$T/capture-arch" send "$dst" 9 "$SECS" $((rate / n)) >"$T/sent$i"
			  times >"$T/times$i" ) &
		fi
		spids="$spids $!"
	done
	PIDS="$PIDS $spids"
	# shellcheck disable=SC2086
	wait $spids
	read -r b1 t1 < <(busy)
	sleep 0.3       # the last blocks retire (100 ms block timeout)
	kill -INT "$cpid"
	wait "$cpid"
	st=$?
	PIDS=""
	[ "$st" -eq 0 ] || { echo "capture-arch $mode failed:" >&2; cat "$T/err" >&2; exit 1; }
	sent=0 scpu=0
	for ((i = 0; i < n; i++)); do
		sent=$((sent + $(cat "$T/sent$i")))
		# `times`, second line: the subshell's children (the sender).
		s=$(sed -n 2p "$T/times$i" | awk '{ split($1, u, "m"); split($2, y, "m");
			print u[1] * 60 + u[2] + y[1] * 60 + y[2] }')
		scpu=$(awk -v a="$scpu" -v b="$s" 'BEGIN { print a + b }')
	done
	tot=$(grep '^total' "$T/out")
	got=$(echo " $tot" | kv captured)
	eng=$(echo " $tot" | kv engine_packets)
	drop=$(echo " $tot" | kv dropped)
	cu=$(echo " $tot" | kv user) cs=$(echo " $tot" | kv sys)
	vcsw=$(echo " $tot" | kv vcsw)
	[ "$got" = "$eng" ] || echo "warning: $mode $n: captured $got but engine saw $eng" >&2
	awk -v m="$mode" -v n="$n" -v r="$rate" -v sent="$sent" -v got="$got" -v drop="$drop" \
		-v cu="$cu" -v cs="$cs" -v sc="$scpu" -v s="$SECS" -v b0="$b0" -v b1="$b1" \
		-v t0="$t0" -v t1="$t1" -v vcsw="$vcsw" 'BEGIN {
		printf "%-8s %3d %9s %10.0f %10.0f %7.2f %9d %7.1f %7.0f %7.1f %6.1f %8d\n", m, n,
			r == "max" ? "max" : r, sent / s, got / s, sent ? 100 * got / sent : 0, drop,
			100 * (cu + cs) / s, got ? (cu + cs) / got * 1e9 : 0, 100 * sc / s,
			100 * (b1 - b0) / (t1 - t0), vcsw }'
	cat "$T/out" >>"$T/detail"
}

echo "== capture architecture bench (issue 4), $(date -u +%FT%TZ)"
echo "machine: nproc $NCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "60-byte frames, ${SECS} s per row, kernel ring $BUFMIB MiB per interface, user rings 4096 x 2 KiB${STALL:+, engine stalls $STALL ms a second}"
echo "pps columns over the sending time; cpu% of one core (capture-arch, senders), host% of all"
echo "$NCPU cores; ns/pkt: capture-arch CPU per captured packet; vcsw: its voluntary switches"
printf '%-8s %3s %9s %10s %10s %7s %9s %7s %7s %7s %6s %8s\n' mode ifs offered sent/s \
	captured/s "cap%" drops "cpu%" "ns/pkt" "send%" "host%" vcsw
for ((pass = 0; pass < REPEAT; pass++)); do
	for n in $IFACES; do
		for rate in "$RATE" max; do
			for mode in $MODES; do
				row "$mode" "$n" "$rate"
			done
		done
	done
done
if [ -n "${BENCH_DETAIL:-}" ]; then
	echo "== per-thread detail (capture-arch output, in row order)"
	cat "$T/detail"
fi
