#!/bin/sh
# tests/profiles.sh BIN — the example profiles shipped in profiles/ must pass
# `cnetmon check`, and a broken copy of one must fail it with a position.
set -u
BIN=${1:?usage: profiles.sh CNETMON_BIN}
dir=$(cd "$(dirname "$0")/../profiles" && pwd)
pass=0 fail=0
if out=$("$BIN" check "$dir" 2>&1) && ! printf '%s\n' "$out" | grep -q warning; then
	pass=$((pass + 1)); echo "ok   check profiles/: $out"
else
	fail=$((fail + 1)); echo "FAIL check profiles/:"; echo "$out"
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sed 's/egress  allow tcp 8080-8089 to profile backend/egress  allow tcp 8089-8080 to profile backnd/' \
	"$dir/shop.profile" >"$tmp/shop.profile"
out=$("$BIN" check "$tmp" 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s\n' "$out" | grep -q "shop.profile:[0-9]*:[0-9]*: inverted port range"; then
	pass=$((pass + 1)); echo "ok   a broken profile fails with FILE:LINE:COL"
else
	fail=$((fail + 1)); echo "FAIL broken profile: exit $rc"; echo "$out"
fi
# A rule repeated after itself never decides: a warning with both lines,
# and still exit 0 (it is not an error).
line=$(grep -n 'egress  allow tcp 8080-8089 to profile backend' "$dir/shop.profile" | head -1 | cut -d: -f1)
awk -v n="$line" '{ print } NR == n { print }' "$dir/shop.profile" >"$tmp/shop.profile"
out=$("$BIN" check "$tmp" 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "shop.profile:$((line + 1)):1: warning: this rule never decides: the rule on line $line " &&
	printf '%s\n' "$out" | grep -q "OK, 1 warning$"; then
	pass=$((pass + 1)); echo "ok   a repeated rule is a warning, not an error"
else
	fail=$((fail + 1)); echo "FAIL repeated rule: exit $rc"; echo "$out"
fi
# read -I -p: the profiles load on a thread of their own while the
# inventory loads; what it says must still come whole and in order (the
# files' errors, then the set's), and nothing is read after an error.
repo=$(cd "$dir/.." && pwd)
inv=$repo/pcaps/demo-inventory.inventory.json cap=$repo/pcaps/demo.pcapng
mkdir "$tmp/two"
sed 's/egress  allow tcp 8080-8089 to profile backend/egress  allow tcp 8089-8080 to profile backend/' \
	"$dir/shop.profile" >"$tmp/two/a.profile"
printf 'profile zz {\n    match name "zz"\n    egress allow tcp 80 to profile nosuch\n}\n' \
	>"$tmp/two/b.profile"
"$BIN" read -I "$inv" -p "$tmp/two" --flows json:- "$cap" >"$tmp/out" 2>"$tmp/err"; rc=$?
col=$(awk -v n="$line" 'NR == n { print index($0, "8080-8089") }' "$dir/shop.profile")
printf 'cnetmon: %s\ncnetmon: %s\n' \
	"$tmp/two/a.profile:$line:$col: inverted port range 8089-8080 (did you mean 8080-8089?)" \
	"$tmp/two/b.profile:3:28: no profile named 'nosuch'" >"$tmp/want"
if [ $rc -eq 2 ] && cmp -s "$tmp/err" "$tmp/want" && [ ! -s "$tmp/out" ]; then
	pass=$((pass + 1)); echo "ok   read -I -p: a file's error, then the set's, exit 2, nothing read"
else
	fail=$((fail + 1)); echo "FAIL read -I -p with broken profiles: exit $rc"; cat "$tmp/err" "$tmp/out"
fi
"$BIN" read -I "$tmp/nosuch.json" -p "$tmp/two" "$cap" >"$tmp/out" 2>"$tmp/err"; rc=$?
printf 'cnetmon: %s: No such file or directory\n' "$tmp/nosuch.json" >"$tmp/want"
if [ $rc -eq 2 ] && cmp -s "$tmp/err" "$tmp/want" && [ ! -s "$tmp/out" ]; then
	pass=$((pass + 1)); echo "ok   read -I -p: the inventory's error alone, exit 2"
else
	fail=$((fail + 1)); echo "FAIL read with a missing inventory: exit $rc"; cat "$tmp/err" "$tmp/out"
fi
echo "profiles: $pass passed, $fail failed"
[ $fail -eq 0 ]
