#!/bin/sh
# tests/generate-check.sh — the committed captures, expected records and
# TESTLIST must be exactly what pcaps/generate.py writes: expectations come
# from the generator's own model of the traffic, never from editing files.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$here/pcaps/generate.py" "$tmp/"
if ! /usr/bin/python3 "$tmp/generate.py" >"$tmp/.log" 2>&1; then
	cat "$tmp/.log"
	echo "generate: 0 passed, 1 failed"
	exit 1
fi
pass=0 fail=0
for f in "$tmp"/*; do
	name=$(basename "$f")
	[ "$name" = generate.py ] && continue
	if cmp -s "$f" "$here/pcaps/$name"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "generate: pcaps/$name differs from what generate.py writes" >&2
	fi
done
# Nothing committed that the generator does not write (the other
# generators' files are checked by their own suites: policy.sh, learn.sh).
for f in "$here"/pcaps/*; do
	name=$(basename "$f")
	case $name in gen-*.py | policy | learn-*) continue ;; esac
	[ -e "$tmp/$name" ] || { fail=$((fail + 1)); echo "generate: pcaps/$name is not generated" >&2; }
done
echo "generate: $pass passed, $fail failed"
[ $fail -eq 0 ]
