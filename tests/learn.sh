#!/bin/sh
# tests/learn.sh BIN — `cnetmon learn` on pcaps/learn-shop.pcap (made by
# pcaps/gen-learn.py): one profile per workload with exact selectors, peers
# by profile/host/address, ports collapsed, DNS to the resolver kept; the
# result passes `cnetmon check -I`, is the same on every run, and (once
# `read -p` judges flows) reading the capture with it raises no violation.
set -u
BIN=${1:?usage: learn.sh CNETMON_BIN}
here=$(cd "$(dirname "$0")/.." && pwd)
P=$here/pcaps
CAP=$P/learn-shop.pcap
INV=$P/learn-shop.inventory.json
pass=0 fail=0 skip=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && cat "$2"; }

# The committed capture and inventory are what the generator writes.
mkdir "$tmp/gen"
cp "$P/gen-learn.py" "$tmp/gen/"
if /usr/bin/python3 "$tmp/gen/gen-learn.py" >"$tmp/gen.log" 2>&1 &&
   cmp -s "$tmp/gen/learn-shop.pcap" "$CAP" &&
   cmp -s "$tmp/gen/learn-shop.inventory.json" "$INV"; then
	ok "pcaps/learn-shop.* are what gen-learn.py writes"
else
	ko "pcaps/learn-shop.* differ from what gen-learn.py writes" "$tmp/gen.log"
fi

# Learn to stdout twice and into a directory.
"$BIN" learn -q -I "$INV" "$CAP" >"$tmp/a.out" 2>"$tmp/a.err"; rc=$?
"$BIN" learn -q -I "$INV" "$CAP" >"$tmp/b.out" 2>"$tmp/b.err"
if [ $rc -eq 0 ] && [ -s "$tmp/a.out" ] && cmp -s "$tmp/a.out" "$tmp/b.out"; then
	ok "learn is deterministic (two runs, $(wc -l <"$tmp/a.out") identical lines)"
else
	ko "learn to stdout: exit $rc, or two runs differ" "$tmp/a.err"
	diff "$tmp/a.out" "$tmp/b.out" | head -20
fi
"$BIN" learn -I "$INV" -o "$tmp/prof" "$CAP" >"$tmp/d.out" 2>"$tmp/d.err"; rc=$?
files=$(cd "$tmp/prof" 2>/dev/null && ls | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$files" = "api.profile postgres.profile web.profile " ] &&
   grep -q "cnetmon learn: 3 profiles from" "$tmp/d.err"; then
	ok "learn -o DIR: one file per workload ($files)"
else
	ko "learn -o DIR: exit $rc, files '$files'" "$tmp/d.err"
fi
# The directory holds what stdout shows, profile by profile.
: >"$tmp/cat.out"
first=1
for f in "$tmp"/prof/*.profile; do
	[ $first -eq 1 ] || echo >>"$tmp/cat.out"
	cat "$f" >>"$tmp/cat.out"
	first=0
done
if cmp -s "$tmp/cat.out" "$tmp/a.out"; then
	ok "the files of -o DIR are stdout's profiles"
else
	ko "-o DIR and stdout differ"
	diff "$tmp/cat.out" "$tmp/a.out" | head -20
fi

if "$BIN" check -I "$INV" "$tmp/prof" >"$tmp/c.out" 2>&1 && ! grep -q warning "$tmp/c.out"; then
	ok "cnetmon check -I passes: $(cat "$tmp/c.out")"
else
	ko "cnetmon check -I on the learned profiles" "$tmp/c.out"
fi

# What the profiles say. expect FILE TEXT: a line of FILE is TEXT exactly.
expect() {
	if grep -qxF -- "$2" "$tmp/prof/$1"; then
		ok "$1: $2"
	else
		ko "$1 lacks: $2" "$tmp/prof/$1"
	fi
}
expect web.profile '    match namespace shop label app.kubernetes.io/name=web'
expect web.profile '    ingress allow tcp 80,443 from 192.0.2.200, 203.0.113.5, 203.0.113.77'
expect web.profile '    ingress allow tcp 8081 from host'
expect web.profile '    egress  allow tcp 8080 to profile api'
expect web.profile '    egress  allow udp 53 to 10.96.0.10'
expect web.profile '    egress  allow tcp 53 to 10.96.0.10'
expect web.profile '    default deny'
expect web.profile '#   3 containers: web-6b8f-m2n5c, web-6b8f-q4w9z, web-6b8f-x7k2p (3 in traffic)'
expect api.profile '    match namespace shop label app=api'
expect api.profile '    ingress allow tcp 8080 from profile web'
expect api.profile '    ingress allow tcp 9090 from host'
expect api.profile '    egress  allow tcp 5432 to profile postgres'
expect api.profile '    egress  allow udp 53 to 10.96.0.10'
expect api.profile '    egress  allow tcp 53 to 10.96.0.10'
# The idle canary carries app=api: a replica, selected with the others.
expect api.profile '#   3 containers: api-5c7d-a1b2c, api-5c7d-d3e4f, api-canary-0 (2 in traffic)'
expect postgres.profile '    match image "postgres:16.2"'
expect postgres.profile '    ingress allow tcp 5432 from profile api'
expect postgres.profile '    ingress allow icmp from host'
expect postgres.profile '    egress  allow udp 53 to 10.96.0.10'
# Stripe by the name passive DNS gave it (when records carry DNS names: a
# build without passive DNS names it by address), the other address as is.
if "$BIN" read -q -I "$INV" --flows json:- "$CAP" 2>/dev/null | grep -q '"dns":"api.stripe.com"'; then
	expect api.profile '    egress  allow tcp 443 to dns "api.stripe.com", 198.51.100.7'
else
	expect api.profile '    egress  allow tcp 443 to 3.18.12.63, 198.51.100.7'
fi
# Nothing learned for, or allowed to, what was not seen.
if grep -q "staging" "$tmp/a.out" || grep -q "9090" "$tmp/prof/web.profile" ||
   grep -q "from any\|to any" "$tmp/a.out"; then
	ko "the learned profiles allow more than was seen" "$tmp/a.out"
else
	ok "nothing for web-staging, no 'any' peer, no port that was not seen"
fi
n=$(grep -c '^profile ' "$tmp/a.out")
[ "$n" -eq 3 ] && ok "3 profiles for 3 active workloads (8 containers)" ||
	ko "expected 3 profiles, got $n" "$tmp/a.out"

# --resolver: allowed to every workload along with the one seen.
"$BIN" learn -q -I "$INV" --resolver 10.96.0.11 --resolver fd00:96::a "$CAP" >"$tmp/r.out" 2>&1
n=$(grep -cxF '    egress  allow udp 53 to 10.96.0.10, 10.96.0.11, fd00:96::a' "$tmp/r.out")
[ "$n" -eq 3 ] && ok "--resolver: every profile may query it ($n)" ||
	ko "--resolver: $n profiles allow it" "$tmp/r.out"

# Errors: exit 2 and nothing written.
"$BIN" learn "$CAP" >"$tmp/e1.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "INVENTORY" "$tmp/e1.out" && ok "learn without -I: exit 2" ||
	ko "learn without -I: exit $rc" "$tmp/e1.out"
"$BIN" learn -I "$INV" -o "$tmp/none" "$CAP" "$tmp/missing.pcap" >"$tmp/e2.out" 2>&1; rc=$?
[ $rc -eq 2 ] && [ -z "$(ls "$tmp/none" 2>/dev/null)" ] &&
	ok "an unreadable capture: exit 2, no profile written" ||
	ko "unreadable capture: exit $rc" "$tmp/e2.out"
"$BIN" learn -I "$INV" --resolver 10.0.0.1/8 "$CAP" >"$tmp/e3.out" 2>&1; rc=$?
[ $rc -eq 2 ] && ok "--resolver with host bits set: exit 2" || ko "--resolver 10.0.0.1/8: exit $rc" "$tmp/e3.out"

# Reading the same capture with the learned profiles: no violation. Runs
# once `read` takes -p (profile evaluation); until then it is skipped.
if "$BIN" read --help 2>&1 | grep -q -- '-p '; then
	"$BIN" read -q -I "$INV" -p "$tmp/prof" -o "json:$tmp/alerts.json" "$CAP" >"$tmp/v.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$tmp/alerts.json" ]; then
		ok "read -p with the learned profiles: no violation"
	else
		ko "read -p with the learned profiles: exit $rc" "$tmp/v.out"
		[ -f "$tmp/alerts.json" ] && head -5 "$tmp/alerts.json"
	fi
	# And the check can fail: without DNS over TCP, api's lookup is denied.
	mkdir "$tmp/less"
	cp "$tmp"/prof/*.profile "$tmp/less/"
	grep -v 'egress  allow tcp 53 to' "$tmp/prof/api.profile" >"$tmp/less/api.profile"
	"$BIN" read -q -I "$INV" -p "$tmp/less" -o "json:$tmp/less.json" "$CAP" >"$tmp/l.out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -q '"type":"violation"' "$tmp/less.json"; then
		ok "read -p without a learned rule: the violation is found (exit 1)"
	else
		ko "read -p without a learned rule: exit $rc" "$tmp/l.out"
	fi
	# The other captures that come with an inventory: learn, then read.
	for t in demo:demo.pcapng vxlan:vxlan.pcap sll:sll.pcap; do
		cap=$P/${t#*:} inv=$P/${t%%:*}-inventory.inventory.json d=$tmp/rt-${t%%:*}
		if "$BIN" learn -q -I "$inv" -o "$d" "$cap" >"$tmp/rt.out" 2>&1 &&
		   "$BIN" read -q -I "$inv" -p "$d" -o "json:$d.alerts" "$cap" >>"$tmp/rt.out" 2>&1 &&
		   [ ! -s "$d.alerts" ] && [ -n "$(ls "$d")" ]; then
			ok "${t#*:}: learned $(ls "$d" | wc -l) profiles, read -p finds no violation"
		else
			ko "${t#*:}: learn then read -p" "$tmp/rt.out"
		fi
	done
else
	skip=$((skip + 4))
	echo "skip read -p with the learned profiles: read takes no -p yet"
fi

echo "learn: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
