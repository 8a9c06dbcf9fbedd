#!/bin/sh
# tests/integration/nat.sh — the conntrack NAT reader (src/nat-conntrack.c)
# against a real published port. podman publishes with DNAT + masquerade
# (../shared/HOST-NOTES.md, "conntrack"): a fetch from the host to
# 127.0.0.1:18481 reaches the container as 10.88.0.1:P -> CIP:80 on its
# veth. The driver (nat-lookup.c) must map that veth tuple, as tcpdump saw
# it, back to the original 127.0.0.1 -> 127.0.0.1:18481, both from events
# (opened before the fetch) and from the dump (opened after). A direct,
# untranslated fetch to CIP:80 must not be reported. Runs with
# net.netfilter.nf_conntrack_acct=0 (restored afterwards): accounting is
# not needed. Traffic only on loopback and podman's bridge.
# Needs root; installs podman, conntrack and tcpdump from Debian's archive
# when missing. Leaves no container, process or file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

it_init nat
it_need_root
it_podman_setup || it_fatal "podman setup failed"
it_apt_install conntrack tcpdump libnetfilter-conntrack-dev || it_fatal "cannot install conntrack/tcpdump"
if ! command -v cc >/dev/null || ! pkg-config --exists libnetfilter_conntrack; then
	it_fatal "needs cc and libnetfilter_conntrack (libnetfilter-conntrack-dev)"
fi

PORT=18481 DIRECT_SPORT=18490
if ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
	it_fatal "port $PORT already in use"
fi

DRV=$IT_TMP/nat-lookup
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-omit-frame-pointer -I"$root/include" \
	$(pkg-config --cflags libnetfilter_conntrack) -o "$DRV" "$here/nat-lookup.c" \
	"$root/src/nat-conntrack.c" "$root/src/log.c" \
	$(pkg-config --libs libnetfilter_conntrack) || it_fatal "cannot build the driver"

# Accounting off for the run, whatever it was: the reader must not need it.
acct=$(sysctl -n net.netfilter.nf_conntrack_acct 2>/dev/null || echo 0)
if [ "$acct" != 0 ]; then
	it_cleanup "sysctl -qw net.netfilter.nf_conntrack_acct=$acct"
	sysctl -qw net.netfilter.nf_conntrack_acct=0
fi

R=$IT_TMP/rootfs
it_busybox_rootfs "$R" || it_fatal "cannot build the rootfs"
WEB=cnetmon-nat-web-$$
it_cleanup "podman rm -f -t 0 $WEB"
podman run -d -q --name "$WEB" -p 127.0.0.1:$PORT:80 --rootfs "$R" \
	/bin/httpd -f -p 80 -h /www >/dev/null || it_fatal "podman run failed"
CIP=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$WEB")
[ -n "$CIP" ] || it_fatal "no container address"
# The host end of the container's veth: its ifindex is eth0's iflink.
iflink=$(podman exec "$WEB" cat /sys/class/net/eth0/iflink)
VETH=$(ip -o link | awk -F': ' -v i="$iflink" '$1 == i { sub(/@.*/, "", $2); print $2 }')
[ -n "$VETH" ] || it_fatal "no host veth for ifindex $iflink"
it_log "container $CIP, host veth $VETH"

# Events path: the driver opens the table before the fetch and reads its
# questions from a FIFO held open on fd 3. (The shell opens the FIFO before
# the output file, so ev.out may not exist yet when the wait begins.)
mkfifo "$IT_TMP/in"
"$DRV" <"$IT_TMP/in" >"$IT_TMP/ev.out" 2>"$IT_TMP/ev.err" &
DPID=$!
it_cleanup "it_kill_pid $DPID"
exec 3>"$IT_TMP/in"
nlines() {   # FILE: its lines, 0 while the driver has not opened it yet
	if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi
}
wait_lines() {   # FILE N: until FILE has N lines (15 s)
	n=150
	while [ "$(nlines "$1")" -lt "$2" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ "$(nlines "$1")" -ge "$2" ]
}
if ! wait_lines "$IT_TMP/ev.out" 1 || [ "$(head -1 "$IT_TMP/ev.out")" != ready ]; then
	cat "$IT_TMP/ev.err" >&2
	it_fatal "driver did not open the table"
fi

# The SYN as the container's veth carries it.
tcpdump -i "$VETH" -n -l -c 1 "tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0" \
	>"$IT_TMP/syn.txt" 2>"$IT_TMP/tcpdump.err" &
TPID=$!
it_cleanup "it_kill_pid $TPID"
n=50
until grep -q 'listening on' "$IT_TMP/tcpdump.err" || [ "$n" -eq 0 ]; do sleep 0.1; n=$((n - 1)); done

body=$(curl -s -m 5 "http://127.0.0.1:$PORT/")
it_eq "fetch through the published port" "$body" hello
n=50
while kill -0 "$TPID" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
it_kill_pid "$TPID"
# "12:00:00.000000 IP 10.88.0.1.41234 > 10.88.0.5.80: Flags [S], ..."
# shellcheck disable=SC2046 # two words wanted: source and destination
set -- $(awk '$2 == "IP" { print $3, $5; exit }' "$IT_TMP/syn.txt" | tr -d :)
VSRC=${1%.*} VSPORT=${1##*.} VDST=${2%.*} VDPORT=${2##*.}
it_eq "SYN seen on $VETH goes to the container" "$VDST:$VDPORT" "$CIP:80"
[ -n "$VSPORT" ] || it_fatal "no SYN captured: $(cat "$IT_TMP/syn.txt" "$IT_TMP/tcpdump.err")"

# found LINE FIELD: orig or reply of a "found orig=... reply=..." line.
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "tcp $VSRC $VSPORT $VDST $VDPORT" >&3
wait_lines "$IT_TMP/ev.out" 2
ev=$(sed -n 2p "$IT_TMP/ev.out")
it_log "events, veth tuple: $ev"
orig=$(field "$ev" orig) reply=$(field "$ev" reply)
CSPORT=$(printf '%s' "$orig" | sed -n 's/^127\.0\.0\.1:\([0-9]*\)>.*/\1/p')
it_check "events: veth tuple is NATed" test "${ev%% *}" = found
it_eq "events: original tuple" "$orig" "127.0.0.1:$CSPORT>127.0.0.1:$PORT"
it_eq "events: reply tuple" "$reply" "$CIP:80>$VSRC:$VSPORT"
it_check "events: masqueraded source is 10.88.0.1 or 127.0.0.1" \
	test "$VSRC" = 10.88.0.1 -o "$VSRC" = 127.0.0.1

# The same connection under the host-side (loopback) tuple.
echo "tcp 127.0.0.1 ${CSPORT:-0} 127.0.0.1 $PORT" >&3
wait_lines "$IT_TMP/ev.out" 3
it_eq "events: host-side tuple gives the same entry" \
	"$(sed -n 3p "$IT_TMP/ev.out")" "$ev"

# Untranslated: host to the container address directly, fixed port.
# A fixed source port, so the question below can name the connection: the
# first of a range that is not still in TIME-WAIT from an earlier run.
while ss -Htan "sport = :$DIRECT_SPORT" | grep -q .; do DIRECT_SPORT=$((DIRECT_SPORT + 1)); done
body=$(curl -s -m 5 --local-port "$DIRECT_SPORT" "http://$CIP/")
it_eq "direct fetch to $CIP:80" "$body" hello
echo "tcp 10.88.0.1 $DIRECT_SPORT $CIP 80" >&3
wait_lines "$IT_TMP/ev.out" 4
it_eq "events: untranslated connection not reported" "$(sed -n 4p "$IT_TMP/ev.out")" none

exec 3>&-
n=50
while kill -0 "$DPID" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
stats=$(tail -1 "$IT_TMP/ev.out")
it_log "$stats"
it_check "events: events were received" \
	sh -c "printf '%s\n' '$stats' | grep -Eq 'events=[1-9]'"
it_eq "events: driver clean (ASan/UBSan, no errors)" "$(cat "$IT_TMP/ev.err")" ""

# Dump path: a fresh table opened after the fetch.
out=$(echo "tcp $VSRC $VSPORT $VDST $VDPORT" | "$DRV" 2>"$IT_TMP/dump.err")
dump=$(printf '%s\n' "$out" | sed -n 2p)
it_eq "dump: veth tuple gives the same entry" "$dump" "$ev"
it_eq "dump: driver clean (ASan/UBSan, no errors)" "$(cat "$IT_TMP/dump.err")" ""
it_eq "nf_conntrack_acct was off throughout" \
	"$(sysctl -n net.netfilter.nf_conntrack_acct)" 0

it_finish
