#!/bin/sh
# tests/run-all.sh BUILD_DIR — everything `make check` runs, in order, with a
# closing "N passed, N failed" line over all suites.
set -u
B=${1:?usage: run-all.sh BUILD_DIR}
BIN=$B/cnetmon
here=$(dirname "$0")
log=$(mktemp) || exit 1
trap 'rm -f "$log" "$log.fails"' EXIT INT TERM
status=0
failed=

suite() {
	name=$1; shift
	echo "== $name: $*"
	if "$@" >"$log.out" 2>&1; then rc=0; else rc=$?; fi
	cat "$log.out"
	cat "$log.out" >>"$log"
	if [ $rc -ne 0 ]; then
		echo "== $name FAILED (exit $rc)"
		status=1
		failed="$failed $name"
		# Kept for the closing lines: CI shows only the tail of the log.
		grep -E 'ERROR: AddressSanitizer|runtime error:|^(FAIL|not ok)|^\[(FAIL|----)\] +[^C ]' "$log.out" |
			sed "s/^/$name: /" | head -n 20 >>"$log.fails"
	fi
	rm -f "$log.out"
}

suite generate "$here/generate-check.sh"
suite unit "$B/unit-tests" --jobs 2
suite golden "$here/golden.sh" "$BIN"
suite tshark /usr/bin/python3 "$here/tshark_check.py" "$BIN"
suite bad-input "$here/bad-input.sh" "$BIN"
suite profiles "$here/profiles.sh" "$BIN"
suite policy "$here/policy.sh" "$BIN"
suite learn "$here/learn.sh" "$BIN"
suite graph "$here/graph.sh" "$BIN"
suite dns-cases /usr/bin/python3 "$here/dns/gen-dns-cases.py" --check
suite corpus "$here/corpus.sh" "$BIN"
# Real containers, namespaces and collectors: each says SKIPPED without root.
for t in "$here"/integration/*.sh; do
	case $t in */lib.sh) continue ;; esac
	suite "$(basename "$t" .sh)" "$t" "$BIN"
done

# One closing line over every suite: Criterion's synthesis plus the
# "name: N passed, N failed" lines of the script suites.
awk '
/Synthesis: Tested:/ { for (i = 1; i <= NF; i++) { if ($i == "Passing:") p += $(i+1); if ($i == "Failing:" || $i == "Crashing:") f += $(i+1) } }
/^[a-z-]+: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4; s += ($6 == "" ? 0 : $6) }
END { printf "check: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
if [ -n "$failed" ]; then
	echo "failed suites:$failed"
	[ -s "$log.fails" ] && cat "$log.fails"
fi
exit $status
