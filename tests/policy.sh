#!/bin/sh
# tests/policy.sh BIN — golden tests for profile verdicts and alerts (issue #5).
#
# pcaps/gen-policy.py writes pcaps/policy/: an inventory, profiles, captures
# and, per run, NAME.expected.json from its own model of the profile
# semantics. This suite
#   - checks that re-running the generator reproduces pcaps/policy/ byte for
#     byte (expectations are generated, never edited);
#   - checks that `cnetmon check` accepts the generated profiles and rejects
#     each bad-*.profile at the position the generator names;
#   - runs `cnetmon read` for every NAME.expected.json and compares flow
#     records, alerts and exit status with tests/policy_compare.py.
# VALGRIND=1 runs cnetmon under valgrind. Ends with "policy: N passed, N failed".
set -u
BIN=${1:?usage: policy.sh CNETMON_BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/pcaps/policy
PY=/usr/bin/python3
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/policy-sh.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. The committed files are exactly what the generator writes.
cp "$root/pcaps/gen-policy.py" "$tmp/"
if ! "$PY" "$tmp/gen-policy.py" "$tmp/policy" >"$tmp/gen.log" 2>&1; then
	ko "gen-policy.py failed:"; cat "$tmp/gen.log"
elif out=$(diff -r "$tmp/policy" "$dir" 2>&1 | head -20) && [ -z "$out" ]; then
	ok "pcaps/policy/ is what gen-policy.py writes"
else
	ko "pcaps/policy/ differs from what gen-policy.py writes:"; echo "$out"
fi

# 2. check: the good set passes, each bad file fails at its position.
if out=$("$BIN" check "$dir/profiles" 2>&1); then
	ok "check pcaps/policy/profiles"
else
	ko "check pcaps/policy/profiles: $out"
fi
for f in "$dir"/bad-*.profile; do
	name=$(basename "$f")
	out=$(cd "$dir" && "$BIN" check "$name" 2>&1); rc=$?
	if [ $rc -eq 2 ] && printf '%s\n' "$out" |
		"$PY" "$root/tests/policy_compare.py" --position "${f%.profile}.expected.json"; then
		ok "check $name: exit 2 at the offending word"
	else
		ko "check $name: exit $rc, want 2 and the position of the offending word" \
			"(see ${f%.profile}.expected.json): $out"
	fi
done

# 3. read: verdicts, alerts, exit status.
for e in "$dir"/*.expected.json; do
	if "$PY" "$root/tests/policy_compare.py" "$BIN" "$e"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "policy: $pass passed, $fail failed"
[ $fail -eq 0 ]
