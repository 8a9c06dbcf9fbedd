#!/usr/bin/python3
"""golden_compare.py — compare cnetmon flow records with a golden expected file.

usage: tests/golden_compare.py EXPECTED ACTUAL

EXPECTED: JSON lines holding the decidable subset of each record's fields
(pcaps/*.expected, written by pcaps/generate.py). ACTUAL: what
`cnetmon read --flows json:-` printed.

Every ACTUAL line must be a complete flow record (all keys of the record
contract, in its order, with sane values). Records are then matched as a
multiset on the fields the expected records name: every actual record must
be expected and every expected record must be there, as many times as
expected. Differences are reported with the closest candidate and the fields
that differ. Exit 0 on a match, 1 otherwise, 2 on usage errors.
"""
import collections
import json
import re
import sys

RECORD_KEYS = ["time", "type", "node", "community_id", "proto", "src", "dst", "direction",
               "profile", "rule", "verdict", "reason", "denied_by", "first_seen", "last_seen", "packets",
               "bytes", "packets_to_src", "bytes_to_src", "tcp_state", "midstream", "end", "part",
               "interface", "vlan", "tunnel", "icmp", "nat"]
SRC_KEYS = ["ip", "port", "container", "dns"]
DST_KEYS = ["ip", "port", "container", "dns"]
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
CID_RE = re.compile(r"^1:[A-Za-z0-9+/]{27}=$")
TCP_STATES = {None, "syn_sent", "syn_received", "established", "closing", "closed", "reset"}
ENDS = {"fin", "rst", "idle", "active", "evicted", "eof"}
MAX_REPORT = 8


def flatten(obj, prefix=""):
    """{"src": {"ip": x}} -> {"src.ip": x}; lists and None stay values."""
    out = {}
    for k, v in obj.items():
        key = prefix + k
        if isinstance(v, dict) and k not in ("tunnel", "icmp", "nat"):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def schema_problems(rec):
    """Contract checks on one actual record, independent of the expectation."""
    p = []
    if not isinstance(rec, dict):
        return ["not a JSON object"]
    if list(rec.keys()) != RECORD_KEYS:
        missing = [k for k in RECORD_KEYS if k not in rec]
        extra = [k for k in rec if k not in RECORD_KEYS]
        if missing or extra:
            p.append("keys: missing %s, unexpected %s" % (missing, extra))
        else:
            p.append("keys out of contract order: %s" % list(rec.keys()))
        return p
    for side, keys in (("src", SRC_KEYS), ("dst", DST_KEYS)):
        if not isinstance(rec[side], dict) or list(rec[side].keys()) != keys:
            p.append("%s keys: %s, want %s" % (side, list(rec[side]) if isinstance(rec[side], dict)
                                               else rec[side], keys))
    if rec["type"] != "flow":
        p.append('type %r, want "flow"' % rec["type"])
    for k in ("time", "first_seen", "last_seen"):
        if not isinstance(rec[k], str) or not TS_RE.match(rec[k]):
            p.append("%s %r is not YYYY-MM-DDTHH:MM:SS.uuuuuuZ" % (k, rec[k]))
    if not p and not rec["first_seen"] <= rec["last_seen"]:
        p.append("first_seen after last_seen")
    if not isinstance(rec["community_id"], str) or not CID_RE.match(rec["community_id"]):
        p.append("community_id %r is not a v1 Community ID" % rec["community_id"])
    for k in ("packets", "bytes", "packets_to_src", "bytes_to_src", "part"):
        if not isinstance(rec[k], int) or isinstance(rec[k], bool) or rec[k] < 0:
            p.append("%s %r is not a non-negative integer" % (k, rec[k]))
    if not p:
        if rec["packets_to_src"] > rec["packets"] or rec["bytes_to_src"] > rec["bytes"]:
            p.append("replies exceed totals")
        if rec["packets"] < 1 or rec["part"] < 1:
            p.append("packets and part must be >= 1")
    if rec["tcp_state"] not in TCP_STATES:
        p.append("tcp_state %r unknown" % rec["tcp_state"])
    if rec["end"] not in ENDS:
        p.append("end %r unknown" % rec["end"])
    if not isinstance(rec["midstream"], bool):
        p.append("midstream %r is not a boolean" % rec["midstream"])
    if not isinstance(rec["vlan"], list):
        p.append("vlan %r is not a list" % rec["vlan"])
    return p


def load_lines(path, what):
    recs, errors = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                recs.append((n, json.loads(line, object_pairs_hook=collections.OrderedDict)))
            except ValueError as e:
                errors.append("%s line %d: not JSON (%s): %s" % (what, n, e, line.strip()[:200]))
    return recs, errors


def describe(flat):
    proto = flat.get("proto")
    s = "%s %s:%s -> %s:%s" % (proto, flat.get("src.ip"), flat.get("src.port"),
                               flat.get("dst.ip"), flat.get("dst.port"))
    extra = []
    for k in ("vlan", "tunnel", "icmp", "part", "end"):
        if flat.get(k) not in (None, [], 1) or (k == "end" and k in flat):
            extra.append("%s=%s" % (k, canon(flat[k])))
    return s + (" [" + " ".join(extra) + "]" if extra else "")


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    exp_lines, e1 = load_lines(argv[1], "expected")
    act_lines, e2 = load_lines(argv[2], "output")
    if e1:
        print("\n".join(e1))
        return 2
    problems = list(e2)
    for n, rec in act_lines:
        for p in schema_problems(rec):
            problems.append("output line %d: %s" % (n, p))
    expected = [flatten(r) for _, r in exp_lines]
    fields = sorted({k for r in expected for k in r})
    actual = [flatten(r) for _, r in act_lines if isinstance(r, dict)]

    def proj(r):
        return canon({k: r.get(k, "<absent>") for k in fields})
    # A field an expected record leaves out must be left out of the output
    # too (a container object in one record, null in another).
    want = collections.Counter(proj(r) for r in expected)
    have = collections.Counter(proj(r) for r in actual)
    missing = list((want - have).elements())
    unexpected = list((have - want).elements())
    if missing or unexpected:
        problems.append("%d expected record(s) not in the output, %d output record(s) not expected "
                        "(%d expected, %d output)" % (len(missing), len(unexpected), len(expected),
                                                     len(actual)))
    pool = [json.loads(u) for u in unexpected]
    shown = 0
    for m in missing:
        mr = json.loads(m)
        if shown >= MAX_REPORT:
            break
        shown += 1
        # closest unexpected record: same community id first, then most equal fields
        best, score = None, -1
        for i, u in enumerate(pool):
            sc = (u.get("community_id") == mr.get("community_id")) * 1000 + \
                sum(u.get(k) == mr.get(k) for k in fields)
            if sc > score:
                best, score = i, sc
        problems.append("missing: %s" % describe(mr))
        if best is not None:
            u = pool.pop(best)
            diffs = ["%s: expected %s, got %s" % (k, canon(mr.get(k)), canon(u.get(k)))
                     for k in fields if u.get(k) != mr.get(k)]
            problems.append("   closest output record differs in " + "; ".join(diffs))
        else:
            problems.append("   (no output record left to compare with) expected %s" % m)
    for u in pool[:max(0, MAX_REPORT - shown)]:
        problems.append("unexpected: %s: %s" % (describe(u), canon(u)))
    if problems:
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
