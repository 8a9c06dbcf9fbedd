#!/bin/bash
# tests/integration/sinks-syslog.sh BIN — the syslog: sinks against a real
# rsyslog (Debian's rsyslogd, started here unprivileged-style on 127.0.0.1
# high ports and a unix socket in a temporary directory, own config and
# work directory; see ../shared/HOST-NOTES.md), no root needed:
#  - syslog:tcp:// (RFC 6587 octet counting), syslog:udp:// and
#    syslog:unix:PATH: every record of the demo capture arrives; rsyslog's
#    RFC 5424 parse gives PRI 134 (local0.info), APP-NAME cnetmon, MSGID
#    flow, HOSTNAME the node, TIMESTAMP the record's time, and MSG parses
#    back as JSON equal to what json:FILE got;
#  - ?facility=daemon changes PRI;
#  - rsyslog down when `read` starts and up 2 s later: nothing is lost.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BIN=${1:?usage: sinks-syslog.sh CNETMON_BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
PY=/usr/bin/python3
ROOT=$(cd "$here/../.." && pwd)
PCAPS=$ROOT/pcaps
it_init sinks-syslog
if ! command -v rsyslogd >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		it_apt_install rsyslog || it_skip "rsyslog cannot be installed"
	else
		it_skip "rsyslogd not installed (apt-get install rsyslog)"
	fi
fi
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RS=$IT_TMP/rs
mkdir -p "$RS"
cat >"$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS")
module(load="imudp")
module(load="imtcp")
module(load="imuxsock" SysSock.Use="off")
input(type="imudp" address="127.0.0.1" port="$PORT" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$PORT" ruleset="tcp")
input(type="imuxsock" Socket="$RS/log.sock" UseSpecialParser="off" ParseHostname="on"
      IgnoreTimestamp="off" ruleset="unix")
ruleset(name="udp"){ action(type="omfile" file="$RS/udp.log" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="tcp"){ action(type="omfile" file="$RS/tcp.log" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="unix"){ action(type="omfile" file="$RS/unix.log" template="RSYSLOG_SyslogProtocol23Format") }
EOF
rsyslogd -N1 -f "$RS/rsyslog.conf" >"$IT_TMP/rs-check.log" 2>&1 ||
	{ cat "$IT_TMP/rs-check.log" >&2; it_fatal "rsyslog refuses the config"; }

RSPID=
rs_start() {
	rm -f "$RS/rsyslogd.pid"
	rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/rsyslogd.pid" >>"$IT_TMP/rsyslogd.log" 2>&1 &
	RSPID=$!
	it_cleanup "it_kill_pid $RSPID"
	for _ in $(seq 50); do [ -S "$RS/log.sock" ] && break; sleep 0.1; done
	sleep 0.3
}
rs_stop() {
	it_kill_pid "$RSPID"
	RSPID=
}

read_to() {  # read_to SINK: the demo capture to json:ref.json and SINK
	rm -f "$IT_TMP/ref.json"
	(cd "$PCAPS" && "$BIN" read -q -I demo-inventory.inventory.json \
		--flows "json:$IT_TMP/ref.json" --flows "$1" demo.pcapng) \
		>"$IT_TMP/read.out" 2>"$IT_TMP/read.err"
}

# wait_lines FILE N: rsyslog writes asynchronously.
wait_lines() {
	for _ in $(seq 100); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 0
}

# since FILE MARK: the lines after the first MARK (rsyslog keeps its file
# open: it is not removed between checks).
since() {
	tail -n +$(($2 + 1)) "$1" >"$1.new"
	echo "$1.new"
}

# check_log LOG PRI: each line is the RFC 5424 message of one record.
check_log() {
	$PY - "$IT_TMP/ref.json" "$1" "$2" <<'EOF'
import collections, json, sys
ref = [json.loads(l) for l in open(sys.argv[1])]
want_pri = sys.argv[3]
got, bad = [], []
for line in open(sys.argv[2], encoding="utf-8"):
    parts = line.rstrip("\n").split(" ", 7)
    if len(parts) != 8:
        bad.append("not RFC 5424: " + line[:200]); continue
    pri_ver, ts, host, app, procid, msgid, sd, msg = parts
    try:
        rec = json.loads(msg)
    except ValueError as e:
        bad.append("MSG is not JSON (%s): %s" % (e, msg[:200])); continue
    want = "<%s>1" % want_pri
    # rsyslog prints the timestamp as received, or normalised to +00:00.
    t = rec["time"]
    ok_ts = ts in (t, t[:-1] + "+00:00")
    if pri_ver != want or app != "cnetmon" or msgid != "flow" or sd != "-" or \
       host != rec["node"] or not ok_ts or not procid.isdigit():
        bad.append("header %r for record time %s node %s" % (parts[:7], t, rec["node"]))
    got.append(rec)
key = lambda r: json.dumps(r, sort_keys=True)
w = collections.Counter(key(r) for r in ref)
h = collections.Counter(key(r) for r in got)
print("%d records expected, %d messages, %d missing, %d unexpected, %d bad" % (
    len(ref), len(got), sum((w - h).values()), sum((h - w).values()), len(bad)))
for b in bad[:3]:
    print(b)
sys.exit(1 if bad or w != h or not ref else 0)
EOF
}

rs_start
for t in tcp udp unix; do
	case $t in
	unix) sink="syslog:unix:$RS/log.sock" ;;
	*) sink="syslog:$t://127.0.0.1:$PORT" ;;
	esac
	read_to "$sink"
	it_eq "$t: read exits 0" "$?" 0
	wait_lines "$RS/$t.log" "$(wc -l <"$IT_TMP/ref.json")"
	it_check "$t: every record arrives, RFC 5424 header right, MSG = the JSON record" \
		check_log "$RS/$t.log" 134
done

mark=$(wc -l <"$RS/tcp.log")
read_to "syslog:tcp://127.0.0.1:$PORT?facility=daemon"
wait_lines "$RS/tcp.log" $((mark + $(wc -l <"$IT_TMP/ref.json")))
it_check "tcp facility=daemon: PRI 30" check_log "$(since "$RS/tcp.log" "$mark")" 30

# rsyslog down at the start; up 2 s later (it opens its files afresh).
rs_stop
rm -f "$RS/tcp.log"
(sleep 2; echo up) >"$IT_TMP/later" &
spid=$!
read_to "syslog:tcp://127.0.0.1:$PORT" &
rpid=$!
it_cleanup "it_kill_pid $rpid"
wait $spid
rs_start
wait $rpid
it_eq "collector late: read exits 0" "$?" 0
wait_lines "$RS/tcp.log" "$(wc -l <"$IT_TMP/ref.json")"
it_check "collector late: every record arrives" check_log "$RS/tcp.log" 134
rs_stop
it_finish
