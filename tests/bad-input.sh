#!/bin/bash
# bad-input.sh BIN — damaged, truncated and lying captures.
#
# The inputs are generated on the fly into a temporary directory by
# `pcaps/generate.py --bad-inputs DIR`, which also writes DIR/MANIFEST, one
# line per case:  FILES  EXIT  STDERR  CIDS
#   FILES   one file, or several separated by commas (read in one run)
#   EXIT    allowed exit statuses, e.g. "0", "2", "0|2"
#   STDERR  "err":     a stderr line starting "cnetmon: FILE:" (FILE as given)
#           "mention": stderr names the damaged file
#           "-":       no requirement
#   CIDS    community_id=PACKETS,... flows that must be reported with that many
#           packets (the good packets before, and around, the damage), or "-"
# Whatever the case: never an exit status above 2, never a signal, no hang
# (60 s), and stdout is JSON lines only.
#
# Expectations from the contract: an unreadable file exits 2 with
# `cnetmon: FILE: message`; damage after good packets: those flows are
# reported, the damage is mentioned on stderr, exit 0. A packet whose length
# fields lie is a packet problem, not file damage: reading goes on.
# VALGRIND=1 runs cnetmon under valgrind memcheck (exit 99 on errors).
# Prints "bad-input: N passed, N failed".

set -u
if [ $# -ne 1 ]; then
	echo "usage: $0 BIN" >&2
	exit 2
fi
BIN=$1
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
if [ ! -x "$BIN" ]; then
	echo "bad-input: $BIN: not an executable" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
DIR=$(mktemp -d "${TMPDIR:-/tmp}/bad-input.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
if ! "$PY" "$ROOT/pcaps/generate.py" --bad-inputs "$DIR"; then
	echo "bad-input: could not generate the inputs" >&2
	exit 2
fi
# a directory given as a capture file, and a good file beside a missing one
mkdir "$DIR/a-directory.pcap"
good_cids=$(awk '$1 == "snaplen-trunc.pcap" {print $4}' "$DIR/MANIFEST")
printf '%s\n' "a-directory.pcap 2 err -" \
	"snaplen-trunc.pcap,missing.pcap 0|2 err $good_cids" >>"$DIR/MANIFEST"

RUN=()
if [ "${VALGRIND:-0}" = 1 ]; then
	RUN=(valgrind --error-exitcode=99 --leak-check=full -q)
fi

passed=0
failed=0
while read -r files exits want_err cids; do
	case $files in '' | '#'*) continue ;; esac
	IFS=, read -r -a names <<<"$files"
	paths=()
	for n in "${names[@]}"; do paths+=("$DIR/$n"); done
	timeout 60 "${RUN[@]+"${RUN[@]}"}" "$BIN" read --flows json:- "${paths[@]}" \
		</dev/null >"$DIR/out" 2>"$DIR/err"
	rc=$?
	why=()
	if [ $rc -eq 124 ]; then
		why+=("no exit within 60 s")
	elif [ $rc -eq 99 ] && [ "${VALGRIND:-0}" = 1 ]; then
		why+=("valgrind reported errors")
	elif [ $rc -gt 128 ]; then
		why+=("killed by signal $((rc - 128))")
	elif [ $rc -gt 2 ]; then
		why+=("exit status $rc > 2")
	else
		case "|$exits|" in *"|$rc|"*) ;; *) why+=("exit status $rc, want $exits") ;; esac
	fi
	case $want_err in
	err)
		ok=0
		for p in "${paths[@]}"; do
			while IFS= read -r l; do
				case $l in "cnetmon: $p:"*) ok=1 ;; esac
			done <"$DIR/err"
		done
		[ $ok = 1 ] || why+=("no stderr line starting \"cnetmon: FILE:\"")
		;;
	mention)
		grep -qF -- "${names[0]}" "$DIR/err" || why+=("stderr does not mention ${names[0]}")
		;;
	esac
	msg=$("$PY" - "$DIR/out" "$cids" <<'EOF'
import json, sys
recs, bad = [], []
for n, line in enumerate(open(sys.argv[1], errors="replace"), 1):
    if not line.strip():
        continue
    try:
        recs.append(json.loads(line))
    except ValueError:
        bad.append(n)
if bad:
    print("stdout line %d is not JSON" % bad[0])
if sys.argv[2] != "-":
    for item in sys.argv[2].split(","):
        cid, n = item.rsplit("=", 1)
        got = sum(r.get("packets", 0) for r in recs if isinstance(r, dict) and r.get("community_id") == cid)
        if got != int(n):
            print("good flow %s: %d packets reported, want %s" % (cid, got, n))
EOF
)
	[ -n "$msg" ] && while IFS= read -r l; do why+=("$l"); done <<<"$msg"
	if [ ${#why[@]} -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $files (exit $rc)"
	else
		failed=$((failed + 1))
		echo "FAIL $files: $(IFS=';'; echo "${why[*]}")"
		sed 's/^/     stderr: /' "$DIR/err" | head -5
	fi
done <"$DIR/MANIFEST"
echo "bad-input: $passed passed, $failed failed"
[ $failed -eq 0 ]
