#!/usr/bin/env bash
# bench/profiles.sh [CNETMON_BIN] — what judging flows costs `cnetmon read`.
#
# The capture is bench/run.sh's (bench/gen-capture.c, 2M packets, 200k flows;
# made and cached the same way: BENCH_DIR, BENCH_PACKETS, BENCH_FLOWS). The
# inventory names every container address in it (4,608 containers) and
# bench/gen-policy.py writes 1,000 profiles of 50 rules (50,000 rules) over
# them, the deciding rules last in each profile, so every judgement walks its
# whole list. Four rows, timed round-robin, best of BENCH_RUNS (default 3):
#
#   inventory   cnetmon read -I INV FILE
#   profiles    cnetmon read -I INV -p DIR -o json:/dev/null FILE
#   records     cnetmon read -I INV --flows json:/dev/null FILE
#   both        cnetmon read -I INV -p DIR -o json:/dev/null --flows json:/dev/null FILE
#
# Target (issue #5): profiles within 1.10x of inventory. PASS/MISS is
# printed; exit status 0 whatever the numbers, 2 on a setup error. The
# second pair is for reading, not a target: both rows learn passive DNS (to
# name records' addresses), so their ratio is what judging itself costs,
# where the first pair also charges profiles with all of passive DNS.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=${1:-$repo/build/cnetmon}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "profiles.sh: $bin: not executable" >&2; exit 2; }
packets=${BENCH_PACKETS:-2000000}; flows=${BENCH_FLOWS:-200000}
runs=${BENCH_RUNS:-3}
cache=${BENCH_DIR:-/tmp/cnetmon-bench}
tmp=$(mktemp -d /tmp/cnetmon-bench-prof.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

src=$here/gen-capture.c
file=$cache/capture-${packets}p-${flows}f-$(sha256sum "$src" | cut -c1-12).pcap
if [ ! -s "$file" ]; then
	mkdir -p "$cache" || exit 2
	cc -O2 -std=c11 -Wall -o "$tmp/gen-capture" "$src" -lm || exit 2
	"$tmp/gen-capture" -n "$packets" -f "$flows" -o "$file.tmp.$$" 2>/dev/null &&
		mv "$file.tmp.$$" "$file" || exit 2
fi
/usr/bin/python3 "$here/gen-policy.py" "$tmp/policy" || exit 2
"$bin" check -I "$tmp/policy/inventory.json" "$tmp/policy/profiles" || exit 2
cat "$file" >/dev/null

echo "== cnetmon profile cost, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: nproc $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capture: $file; 1000 profiles, 50000 rules, 4608 containers"
declare -A best
for ((i = 0; i < runs; i++)); do
	for row in inventory profiles records both; do
		args=(read -q -I "$tmp/policy/inventory.json")
		case $row in profiles | both) args+=(-p "$tmp/policy/profiles" -o json:/dev/null) ;; esac
		case $row in records | both) args+=(--flows json:/dev/null) ;; esac
		t0=$EPOCHREALTIME
		"$bin" "${args[@]}" "$file" >/dev/null 2>"$tmp/err"
		rc=$?
		t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
		[ $rc -le 1 ] || { echo "profiles.sh: $row failed (exit $rc):" >&2; cat "$tmp/err" >&2; exit 2; }
		if [ -z "${best[$row]:-}" ] || awk -v a="$t" -v b="${best[$row]}" 'BEGIN { exit !(a < b) }'; then
			best[$row]=$t
		fi
	done
done
ratio=$(awk -v a="${best[profiles]}" -v b="${best[inventory]}" 'BEGIN { printf "%.3f", a / b }')
printf '%-10s %8s s\n' inventory "${best[inventory]}" profiles "${best[profiles]}" \
	records "${best[records]}" both "${best[both]}"
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10 ? "PASS" : "MISS") }')
echo "profiles / inventory: ${ratio}x (target <= 1.10x): $verdict"
echo "both / records: $(awk -v a="${best[both]}" -v b="${best[records]}" 'BEGIN { printf "%.3f", a / b }')x (judging with passive DNS already learned for records)"
