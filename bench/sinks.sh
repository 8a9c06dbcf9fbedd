#!/usr/bin/env bash
# bench/sinks.sh — what each sink sustains, and what a record costs to encode.
#
#   bench/sinks.sh [BUILD_DIR]        (default build/; needs its objects)
#
# Builds tests/integration/sinks-driver.c against BUILD_DIR's objects, then:
#   encode     ns per record for record_json and record_msgpack (one
#              realistic flow record with a container and labels, no sink)
#   sinks      records/s delivered, the driver writing as fast as it can for
#              BENCH_SECONDS (default 3) through the real queue and thread:
#              json:/dev/null, json:FILE, msgpack:/dev/null,
#              (the driver outruns the slower sinks: their 16 MiB queue
#              fills and drops oldest, counted; delivered/s is the number)
#              syslog:udp and syslog:tcp to a local rsyslog (when installed;
#              its omfile writes each message), forward:// and forward gzip=1
#              to tests/integration/forward_receiver.py --count-only (acks,
#              python: the receiver is the likely limit)
#   read       when bench/run.sh's quick capture is cached in BENCH_DIR: the
#              cost per flow record inside `cnetmon read` (--flows
#              json:/dev/null minus no sink, best of 3, over the records)
# A benchmark, not a test: exit 0 whatever the numbers.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
B=${1:-$repo/build}
SECS=${BENCH_SECONDS:-3}
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/cnetmon-bench-sinks.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$B/output.o" ] || { echo "sinks.sh: no objects in $B: make BUILD=$B first" >&2; exit 2; }
objs=
for s in "$repo"/src/*.c; do
	n=$(basename "$s" .c)
	[ "$n" = main ] || objs="$objs $B/$n.o"
done
san=; nm "$B/output.o" | grep -q __asan && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086,SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -g $san -I"$repo/include" -o "$tmp/drv" \
	"$repo/tests/integration/sinks-driver.c" $objs "$B/cri.pb-c.o" \
	$(pkg-config --libs libpcap libcrypto jansson libnl-3.0 libnl-route-3.0 libmnl libcurl \
	  libprotobuf-c inih libcap-ng libnetfilter_conntrack msgpack zlib libgvc libcgraph) \
	-lm -lpthread || { echo "sinks.sh: cannot build the driver" >&2; exit 2; }

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ${SECS} s per sink"
echo
echo "== encode (best of 3, 200000 records)"
for e in json msgpack; do
	best=
	for _ in 1 2 3; do
		v=$("$tmp/drv" "encode:$e" 200000 | sed 's/.*ns_per_record=\([0-9]*\).*bytes_per_record=\([0-9]*\)/\1 \2/')
		set -- $v
		if [ -z "$best" ] || [ "$1" -lt "$best" ]; then best=$1; size=$2; fi
	done
	printf "  %-8s %6s ns/record  %5s bytes/record\n" "$e" "$best" "$size"
done

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

run() {  # run LABEL SINK
	out=$("$tmp/drv" "$2" 0 "$SECS" 60 2>"$tmp/drv.err")
	rate=$(echo "$out" | sed -n 's/.*total_s=\([0-9.]*\).* delivered=\([0-9]*\).*/\2 \1/p')
	set -- "$1" $rate
	drop=$(echo "$out" | sed -n 's/.*dropped=\([0-9]*\).*/\1/p')
	printf "  %-28s %10.0f records/s delivered (%s in %s s, %s dropped)\n" "$1" \
		"$(echo "$2 / $3" | bc -l)" "$2" "$3" "${drop:-?}"
}

echo
echo "== sinks: records/s delivered to a local receiver"
run "json:/dev/null" "json:/dev/null"
run "json:FILE" "json:$tmp/flows.json"
rm -f "$tmp/flows.json"
run "msgpack:/dev/null" "msgpack:/dev/null"
if command -v rsyslogd >/dev/null; then
	P=$(free_port)
	mkdir -p "$tmp/rs"
	cat >"$tmp/rs/rs.conf" <<EOF
global(workDirectory="$tmp/rs")
module(load="imudp") module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="$P" ruleset="r")
input(type="imtcp" address="127.0.0.1" port="$P" ruleset="r")
ruleset(name="r"){ action(type="omfile" file="$tmp/rs/out.log" template="RSYSLOG_SyslogProtocol23Format") }
EOF
	rsyslogd -n -f "$tmp/rs/rs.conf" -i "$tmp/rs/pid" >/dev/null 2>&1 &
	pids="$pids $!"
	sleep 1
	run "syslog:tcp (rsyslog)" "syslog:tcp://127.0.0.1:$P"
	run "syslog:udp (sent; rsyslog)" "syslog:udp://127.0.0.1:$P"
	sleep 1
	echo "    rsyslog wrote $(wc -l <"$tmp/rs/out.log") lines in all (udp may lose when its buffer overflows)"
else
	echo "  syslog: rsyslogd not installed, skipped"
fi
for g in 0 1; do
	rm -f "$tmp/port"
	$PY "$repo/tests/integration/forward_receiver.py" --count-only --out /dev/null \
		--port-file "$tmp/port" 2>/dev/null &
	rx=$!
	pids="$pids $rx"
	for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	run "forward (ack$([ $g = 1 ] && echo ", gzip"))" \
		"forward://127.0.0.1:$(cat "$tmp/port")?tag=bench&gzip=$g"
	kill $rx; wait $rx 2>/dev/null
done

cap=$(ls "${BENCH_DIR:-/tmp/cnetmon-bench}"/capture-200000p-20000f-*.pcap 2>/dev/null | head -1)
if [ -n "$cap" ] && [ -x "$B/cnetmon" ]; then
	echo
	echo "== read: cost of --flows json:/dev/null per record ($cap)"
	best() {
		b=
		for _ in 1 2 3; do
			/usr/bin/time -f %e -o "$tmp/t" "$@" >/dev/null 2>&1
			s=$(tail -1 "$tmp/t")
			if [ -z "$b" ] || [ "$(echo "$s < $b" | bc)" = 1 ]; then b=$s; fi
		done
		echo "$b"
	}
	t0=$(best "$B/cnetmon" read -q "$cap")
	t1=$(best "$B/cnetmon" read -q --flows json:/dev/null "$cap")
	n=$("$B/cnetmon" read -q --flows json:- "$cap" | wc -l)
	printf "  read %s s, with --flows json:/dev/null %s s, %s records: %.0f ns/record\n" \
		"$t0" "$t1" "$n" "$(echo "($t1 - $t0) * 1000000000 / $n" | bc -l)"
fi
