#!/bin/sh
# tests/corpus.sh BIN — read every capture of tcpdump's test corpus (real and
# deliberately malformed files) and require: no crash, no hang, no
# sanitizer report, exit status 0 or 2, and every error line in the form
# "cnetmon: FILE: reason". Run it with a SANITIZE=1 binary.
set -u
BIN=${1:?usage: corpus.sh CNETMON_BIN}
CORPUS=${CNETMON_CORPUS:-$(dirname "$0")/../../shared/corpus/tcpdump}
if [ ! -d "$CORPUS" ]; then
	echo "corpus: SKIPPED: no corpus at $CORPUS (set CNETMON_CORPUS)" >&2
	echo "corpus: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0 fail=0
for f in "$CORPUS"/*; do
	[ -f "$f" ] || continue
	case "$f" in */LICENSE|*/README*) continue ;; esac
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 timeout 60 "$BIN" read -q \
		--flows json:"$tmp/out.json" "$f" >/dev/null 2>"$tmp/err"
	rc=$?
	why=""
	if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
		why="exit status $rc"
	elif grep -q -e 'Sanitizer' -e 'runtime error' "$tmp/err"; then
		why="sanitizer report"
	elif grep -v -q "^cnetmon: $f: " "$tmp/err"; then
		why="stderr line not of the form 'cnetmon: FILE: reason'"
	elif [ $rc -eq 2 ] && ! [ -s "$tmp/err" ]; then
		why="exit 2 without a message"
	fi
	if [ -n "$why" ]; then
		fail=$((fail + 1))
		echo "corpus: FAIL $(basename "$f"): $why" >&2
		head -20 "$tmp/err" >&2
	else
		pass=$((pass + 1))
	fi
	rm -f "$tmp/out.json"
done
echo "corpus: $pass passed, $fail failed"
[ $fail -eq 0 ]
