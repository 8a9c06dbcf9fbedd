#!/bin/bash
# graph.sh BIN — communication graphs (DESIGN.md "Graph", cnetmon-graph(8)).
#
# Golden JSON and DOT of the bundled demo capture (when `read` has -g),
# conversions of the graphs under tests/graph/ to every format (SVG checked
# by an XML parser, which only succeeds when Graphviz parsed the DOT it was
# drawn from; msgpack decoded by python's msgpack), merging (a graph merged
# with itself doubles every counter and keeps its edges; msgpack and JSON
# inputs merge alike), --diff, --focus, --group-by, --collapse-world, and
# malformed files (exit 2, "cnetmon: FILE: ..." on stderr, never a crash).
# Prints "graph: N passed, N failed, N skipped".
set -u
BIN=${1:?usage: graph.sh BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G=$ROOT/tests/graph
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/graph.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
check() {  # NAME COMMAND...
	local name=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then ok "$name"; else ko "$name"; sed 's/^/     /' "$T/err" | head -20; fi
}

# --- golden: read -g on the bundled capture --------------------------------
if "$BIN" read --help 2>&1 | grep -q -- '-g'; then
	for ext in json dot; do
		if "$BIN" read -q -I "$ROOT/pcaps/demo-inventory.inventory.json" -g "$T/demo.$ext" \
		        "$ROOT/pcaps/demo.pcapng" >/dev/null 2>"$T/err" &&
		   cmp -s "$T/demo.$ext" "$G/demo.$ext"; then
			ok "golden demo.$ext"
		else
			ko "golden demo.$ext"; diff "$G/demo.$ext" "$T/demo.$ext" | head -20
		fi
	done
else
	skip=$((skip + 2)); echo "skip golden demo.json, demo.dot: read has no -g"
fi

# --- conversions -------------------------------------------------------------
for f in demo audit-1 node-b; do
	check "$f: json -> json is identical" sh -c "'$BIN' graph '$G/$f.json' > '$T/$f.json' && cmp '$T/$f.json' '$G/$f.json'"
	check "$f: dot" "$BIN" graph -f dot -o "$T/$f.dot" "$G/$f.json"
	check "$f: svg parses as XML" sh -c "'$BIN' graph -o '$T/$f.svg' '$G/$f.json' && $PY -c 'import sys,xml.dom.minidom as m; d=m.parse(sys.argv[1]); assert d.documentElement.tagName==\"svg\"' '$T/$f.svg'"
	check "$f: png" sh -c "'$BIN' graph -f png -o '$T/$f.png' '$G/$f.json' && head -c 8 '$T/$f.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
	check "$f: msgpack decodes to the JSON" sh -c "'$BIN' graph -o '$T/$f.msgpack' '$G/$f.json' && '$BIN' graph -f json '$G/$f.json' > '$T/$f.j' && $PY -c '
import json, msgpack, sys
a = msgpack.unpackb(open(sys.argv[1], \"rb\").read(), raw=False)
b = json.load(open(sys.argv[2]))
assert a == b, \"differ\"' '$T/$f.msgpack' '$T/$f.j'"
	check "$f: msgpack reads back as the same graph" sh -c "'$BIN' graph '$T/$f.msgpack' | cmp - '$T/$f.j'"
done
# The DOT the tests keep is what Graphviz drew from: every drawing above
# went through libcgraph's parser. With the dot CLI, check it once more.
if command -v dot >/dev/null; then
	check "dot -Tcanon accepts the DOT" dot -Tcanon -o /dev/null "$T/demo.dot" "$T/node-b.dot"
fi

# --- merging -------------------------------------------------------------------
check "merge with itself doubles every counter and keeps the edges" sh -c "'$BIN' graph '$G/node-b.json' '$G/node-b.json' > '$T/m2.json' && $PY -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
key = lambda e: (e[\"src\"], e[\"dst\"], e[\"proto\"], e[\"port\"])
ea, eb = {key(e): e for e in a[\"edges\"]}, {key(e): e for e in b[\"edges\"]}
assert ea.keys() == eb.keys() and len(eb) == len(b[\"edges\"])
for k in ea:
    for c in (\"flows\", \"packets\", \"bytes\"):
        assert eb[k][c] == 2 * ea[k][c], (k, c)
    for c in (\"first_seen\", \"last_seen\", \"verdict\"):
        assert eb[k][c] == ea[k][c], (k, c)
assert a[\"nodes\"] == b[\"nodes\"] and (a[\"from\"], a[\"to\"]) == (b[\"from\"], b[\"to\"])' '$G/node-b.json' '$T/m2.json'"
check "merge of msgpack and json inputs is the same" sh -c "'$BIN' graph -o '$T/nb.msgpack' '$G/node-b.json' && '$BIN' graph '$T/nb.msgpack' '$G/node-b.json' | cmp - '$T/m2.json'"
check "merge of two nodes: sources listed, node null, verdicts combined" sh -c "'$BIN' graph '$G/audit-1.json' '$G/node-b.json' '$G/audit-2.json' > '$T/m3.json' && $PY -c '
import json, sys
g = json.load(open(sys.argv[1]))
assert g[\"node\"] is None and g[\"sources\"] == [\"demo-inventory-node\", \"node-b\"], g[\"sources\"]
e = [e for e in g[\"edges\"] if e[\"src\"] == \"c:api\" and e[\"dst\"] == \"c:redis\"][0]
assert e[\"verdict\"] == \"deny\" and e[\"flows\"] == 2, e' '$T/m3.json'"

# --- diff ----------------------------------------------------------------------
check "diff of a graph with itself: no change, exit 0" sh -c "'$BIN' graph --diff '$G/audit-1.json' '$G/audit-1.json' | grep -qx '0 appeared, 0 vanished, 0 changed verdict'"
"$BIN" graph --diff "$G/audit-1.json" "$G/audit-2.json" >"$T/diff.txt" 2>&1
rc=$?
if [ $rc = 1 ] &&
   grep -qx '+ c:web -> ip:203.0.113.99 tcp/22 deny (4 flows)' "$T/diff.txt" &&
   grep -qx -- '- c:worker -> ip:169.254.169.254 tcp/80 deny (2 flows)' "$T/diff.txt" &&
   grep -qx '~ c:api -> c:redis tcp/6379 allow -> deny' "$T/diff.txt" &&
   grep -qx '1 appeared, 1 vanished, 1 changed verdict' "$T/diff.txt"; then
	ok "diff: appeared, vanished, changed; exit 1"
else
	ko "diff: appeared, vanished, changed; exit 1 (got $rc)"; cat "$T/diff.txt"
fi
check "diff --json" sh -c "'$BIN' graph --diff --json '$G/audit-1.json' '$G/audit-2.json' > '$T/diff.json'; test \$? = 1 && $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [len(d[k]) for k in (\"appeared\", \"vanished\", \"changed\")] == [1, 1, 1]
c = d[\"changed\"][0]
assert (c[\"verdict\"], c[\"old_verdict\"]) == (\"deny\", \"allow\")' '$T/diff.json'"

# --- views -----------------------------------------------------------------------
check "--focus keeps a container and its neighbours" sh -c "'$BIN' graph --focus worker '$G/demo.json' > '$T/f.json' && $PY -c '
import json, sys
g = json.load(open(sys.argv[1]))
assert sorted(n[\"id\"] for n in g[\"nodes\"]) == [\"c:db\", \"c:worker\", \"host\", \"ip:169.254.169.254\"], g[\"nodes\"]
assert all(\"c:worker\" in (e[\"src\"], e[\"dst\"]) for e in g[\"edges\"]) and len(g[\"edges\"]) == 4' '$T/f.json'"
check "--focus of an unknown name fails" sh -c "! '$BIN' graph --focus nobody '$G/demo.json'"
check "--group-by label:app folds replicas" sh -c "'$BIN' graph --group-by label:app '$G/node-b.json' > '$T/gb.json' && $PY -c '
import json, sys
g = json.load(open(sys.argv[1]))
n = {n[\"id\"]: n for n in g[\"nodes\"]}
assert n[\"g:label:app=frontend\"][\"count\"] == 3 and n[\"g:label:app=cart\"][\"members\"] == [\"cart-1\", \"cart-2\"]
e = [e for e in g[\"edges\"] if e[\"src\"] == \"g:label:app=frontend\" and e[\"dst\"] == \"g:label:app=cart\"][0]
assert e[\"flows\"] == 360' '$T/gb.json'"
check "--group-by renders" "$BIN" graph --group-by image -o "$T/gb.svg" "$G/node-b.json"
check "--collapse-world folds the demo's clients" sh -c "'$BIN' graph --collapse-world 203.0.113.0/24 --collapse-world 2001:db8:1::/64 '$G/demo.json' > '$T/cw.json' && $PY -c '
import json, sys
g = json.load(open(sys.argv[1]))
ids = [n[\"id\"] for n in g[\"nodes\"]]
assert \"net:203.0.113.0/24\" in ids and \"net:2001:db8:1::/64\" in ids and not any(i.startswith(\"ip:203.\") for i in ids)
e = [e for e in g[\"edges\"] if e[\"src\"] == \"net:203.0.113.0/24\"][0]
assert e[\"flows\"] == 28, e' '$T/cw.json'"

# --- malformed input -----------------------------------------------------------------
bad() {  # NAME CONTENT (printf format) EXPECTED-IN-MESSAGE
	printf "$2" >"$T/$1"
	"$BIN" graph "$T/$1" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && grep -q "^cnetmon: $T/$1:.*$3" "$T/err"; then
		ok "malformed $1"
	else
		ko "malformed $1 (exit $rc)"; cat "$T/err"
	fi
}
bad empty.json '' 'not a graph'
bad trunc.json '{"nodes":[{"id":' '1:16: unexpected'
bad types.json '{"nodes":{},"edges":[]}' '"nodes": expected an array'
bad edge.json '{"nodes":[{"id":"host","kind":"host"}],"edges":[{"src":"host","dst":"c:x","proto":"tcp","port":1,"flows":1,"packets":1,"bytes":1,"verdict":"allow"}]}' 'edges\[0\]: "dst": no node'
bad huge.msgpack '\x81\xa5nodes\xdd\xff\xff\xff\xff' 'a count larger than the data'
bad bin.msgpack '\x81\xc4\x01x\xc0' 'not a string'
check "missing file" sh -c "'$BIN' graph '$T/none.json' 2>&1 | grep -q 'none.json: No such file'"
check "bad --group-by" sh -c "'$BIN' graph --group-by colour '$G/demo.json'; test \$? = 2"
check "bad --collapse-world" sh -c "'$BIN' graph --collapse-world 10.0.0.0/40 '$G/demo.json'; test \$? = 2"

echo "graph: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
