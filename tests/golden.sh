#!/bin/bash
# golden.sh BIN [TEST...] — run cnetmon on the golden captures and compare its
# flow records with the expected ones.
#
# For each line of pcaps/TESTLIST (name, expected file, options or "-",
# capture files), runs
#     BIN read --flows json:- OPTIONS pcaps/FILE...
# expects exit status 0, and compares stdout with pcaps/EXPECTED using
# tests/golden_compare.py (multiset match on the expected fields, plus the
# record contract's keys and value types).
#
# VALGRIND=1 runs cnetmon under valgrind memcheck (errors or leaks fail the test).
# KEEP=1 keeps the outputs of every test (failing tests' are always kept).
# Prints "golden: N passed, N failed" and exits 1 if any test failed.

set -u
if [ $# -lt 1 ]; then
	echo "usage: $0 BIN [TEST...]" >&2
	exit 2
fi
BIN=$1
shift
SELECT=("$@")
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
if [ ! -x "$BIN" ]; then
	echo "golden: $BIN: not an executable" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PCAPS=$ROOT/pcaps
PY=/usr/bin/python3
COMPARE=$ROOT/tests/golden_compare.py
OUT=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX")

RUN=()
if [ "${VALGRIND:-0}" = 1 ]; then
	RUN=(valgrind --error-exitcode=99 --leak-check=full -q)
fi

want() {  # is test $1 selected on the command line?
	[ $# -eq 1 ] && return 0
	local n=$1
	shift
	for t; do [ "$t" = "$n" ] && return 0; done
	return 1
}

passed=0
failed=0
failures=()
while IFS= read -r line || [ -n "$line" ]; do
	case $line in '' | '#'*) continue ;; esac
	eval "set -- $line"
	name=$1 expected=$2 opts=$3
	shift 3
	files=()
	for f; do files+=("$PCAPS/$f"); done
	want "$name" "${SELECT[@]+"${SELECT[@]}"}" || continue
	[ "$opts" = - ] && opts=
	# From pcaps/, so that files named in options (-I ...) resolve there.
	# shellcheck disable=SC2086  # options are split on purpose
	(cd "$PCAPS" && "${RUN[@]+"${RUN[@]}"}" "$BIN" read --flows json:- $opts "${files[@]}") \
		</dev/null >"$OUT/$name.out" 2>"$OUT/$name.err"
	rc=$?
	why=
	if [ $rc -ne 0 ]; then
		if [ $rc -eq 99 ] && [ "${VALGRIND:-0}" = 1 ]; then
			why="valgrind reported errors"
		elif [ $rc -gt 128 ]; then
			why="killed by signal $((rc - 128))"
		else
			why="exit status $rc, want 0"
		fi
	fi
	if "$PY" "$COMPARE" "$PCAPS/$expected" "$OUT/$name.out" >"$OUT/$name.diff" 2>&1; then
		:
	else
		why="${why:+$why; }records differ"
	fi
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "ok   $name"
		[ "${KEEP:-0}" = 1 ] || rm -f "$OUT/$name.out" "$OUT/$name.err" "$OUT/$name.diff"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name: $why"
		echo "     $BIN read --flows json:- $opts ${*}"
		sed 's/^/     /' "$OUT/$name.diff" | head -40
		if [ -s "$OUT/$name.err" ] && [ $rc -ne 0 ]; then
			echo "     stderr:"
			sed 's/^/       /' "$OUT/$name.err" | head -20
		fi
	fi
done <"$PCAPS/TESTLIST"

if [ $failed -gt 0 ]; then
	echo "failed: ${failures[*]}"
	echo "outputs kept in $OUT"
elif [ "${KEEP:-0}" = 1 ]; then
	echo "outputs kept in $OUT"
else
	rm -rf "$OUT"
fi
echo "golden: $passed passed, $failed failed"
[ $failed -eq 0 ]
