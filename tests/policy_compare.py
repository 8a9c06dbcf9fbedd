#!/usr/bin/python3
"""policy_compare.py — run one profile-verdict golden test and judge it.

usage: tests/policy_compare.py BIN pcaps/policy/NAME.expected.json [OUTDIR]
       tests/policy_compare.py --position pcaps/policy/bad-NAME.expected.json <STDERR

NAME.expected.json is written by pcaps/gen-policy.py from its own model of
the profile semantics.  This runs, from the expected file's directory,
    BIN read ARGS -o json:OUTDIR/alerts.json --flows json:OUTDIR/flows.json CAPTURE
and checks:
  - the exit status (0 no violation, 1 violations, 2 profile error);
  - on an error: stderr names FILE:LINE:COL of the offending word, and no
    record was written;
  - every flow record (matched by proto and both ends) has the expected
    verdict, direction, profile, rule (compared as BASENAME:LINE, or
    "default"), reason, denied_by, and src/dst container name, id, profile;
  - the alerts: one per denied flow at its first packet (time and source
    port compared), folded repeats as one later alert with "count", each
    emitted after every alert older than its window's end and before every
    alert younger than it (or after all of them, when input ended first).
VALGRIND=1 runs BIN under valgrind memcheck.  Exit 0 on a match, 1 on a
difference, 2 on usage errors.
"""
import collections
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

VERDICT_FIELDS = ["type", "proto", "src.ip", "src.port", "dst.ip", "dst.port",
                  "src.container", "dst.container", "verdict", "direction", "profile", "rule",
                  "reason", "denied_by"]
ALERT_FIELDS = VERDICT_FIELDS + ["count", "time"]
ABSENT = "<absent>"


def canon_ip(a):
    try:
        return str(ipaddress.ip_address(a))
    except (ValueError, TypeError):
        return a


def get(rec, path):
    cur = rec
    for k in path.split("."):
        if not isinstance(cur, dict) or k not in cur:
            return ABSENT
        cur = cur[k]
    return cur


def rule_name(r):
    """FILE:LINE -> BASENAME:LINE (cnetmon prints the path it was given)."""
    if not isinstance(r, str) or r == "default":
        return r
    m = re.match(r"^(.*):(\d+)$", r)
    if not m:
        return r
    return "%s:%s" % (os.path.basename(m.group(1)), m.group(2))


def container(c):
    if c is None or c == ABSENT or not isinstance(c, dict):
        return c
    return {k: c.get(k, ABSENT) for k in ("id", "name", "profile")}


def project(rec, fields):
    out = {}
    for f in fields:
        v = get(rec, f)
        if f in ("src.ip", "dst.ip"):
            v = canon_ip(v)
        elif f == "rule":
            v = rule_name(v)
        elif f in ("src.container", "dst.container"):
            v = container(v)
        out[f] = v
    return out


def position_in(line, e):
    """Does this stderr line report FILE:LINE:COL with COL within the
    offending words? (FILE as given on the command line.)"""
    m = re.search(r"(?:^|[\s:/])%s:(\d+):(\d+):" % re.escape(e["file"]), line)
    return bool(m) and int(m.group(1)) == e["line"] and \
        e["cols"][0] <= int(m.group(2)) <= e["cols"][1]


def j(v):
    return json.dumps(v, sort_keys=True)


def flow_key(r):
    return (r["proto"], r["src.ip"], r["src.port"], r["dst.ip"], r["dst.port"])


def load(path, problems, what):
    recs = []
    if not os.path.exists(path):
        return recs
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                problems.append("%s line %d: not JSON (%s)" % (what, n, e))
    return recs


def diff(label, want, got, fields):
    d = ["%s: want %s, got %s" % (f, j(want[f]), j(got.get(f, ABSENT)))
         for f in fields if want[f] != got.get(f, ABSENT)]
    return "  %s\n      %s" % (label, "\n      ".join(d))


def check_flows(exp, actual, problems):
    want = {}
    for f in exp["flows"]:
        want[flow_key(f)] = f
    got = {}
    for r in actual:
        if r.get("type") != "flow":
            problems.append("flow sink: record of type %r" % r.get("type"))
            continue
        p = project(r, VERDICT_FIELDS)
        k = flow_key(p)
        if k in got:
            problems.append("flow sink: two records for %s" % (k,))
        got[k] = p
    bad = []
    for k, w in want.items():
        g = got.pop(k, None)
        if g is None:
            problems.append("missing flow record: %s (%s)" % (k, w["_label"]))
            continue
        if any(w[f] != g[f] for f in VERDICT_FIELDS):
            bad.append(diff("flow %s %s:%s -> %s:%s (%s)" % (k[0], k[1], k[2], k[3], k[4],
                                                                w["_label"]),
                            w, g, VERDICT_FIELDS))
    for k in got:
        problems.append("unexpected flow record: %s" % (k,))
    if bad:
        problems.append("%d of %d flow records differ:" % (len(bad), len(want)))
        problems.extend(bad)


def check_alerts(exp, actual, problems):
    """Matches alerts (first ones by time and source port, folded ones by
    count), then checks the order folding implies."""
    acts = []
    for n, r in enumerate(actual):
        if r.get("type") != "violation":
            problems.append("alert sink: record %d of type %r" % (n + 1, r.get("type")))
        acts.append(project(r, ALERT_FIELDS))
    firsts = [a for a in exp["alerts"] if not a.get("_folded")]
    folded = [a for a in exp["alerts"] if a.get("_folded")]
    keyf = [f for f in ALERT_FIELDS if f not in ("time", "src.port")]
    where = {}           # id(expected) -> index in the output
    unmatched = list(range(len(acts)))
    for w in firsts:
        for i in unmatched:
            if all(acts[i][f] == w[f] for f in ALERT_FIELDS):
                where[id(w)] = i
                unmatched.remove(i)
                break
    for w in folded:
        for i in unmatched:
            a = acts[i]
            if all(a[f] == w[f] for f in keyf) and isinstance(a["time"], str) and \
                    w["_first_repeat"] <= a["time"] <= w["_latest"]:
                where[id(w)] = i
                unmatched.remove(i)
                break
    for w in exp["alerts"]:
        if id(w) in where:
            continue
        fields = keyf if w.get("_folded") else ALERT_FIELDS
        # the closest output alert: same addresses and port, most equal fields
        best, score = None, -1
        for i in unmatched:
            a = acts[i]
            sc = 100 * all(a[f] == w[f] for f in ("proto", "src.ip", "dst.ip", "dst.port")) + \
                sum(a[f] == w[f] for f in fields)
            if sc > score:
                best, score = i, sc
        what = "folded alert (count %d, window closing %s%s)" % (
            w["count"], w["_close"], ", input ends first" if w["_eof"] else "") \
            if w.get("_folded") else "alert at %s" % w["time"]
        problems.append("missing %s: %s %s -> %s:%s (%s)" % (
            what, w["proto"], w["src.ip"], w["dst.ip"], w["dst.port"], w["_label"]))
        if best is not None:
            problems.append(diff("closest output alert #%d" % (best + 1), w, acts[best], fields))
            if w.get("_folded"):
                problems.append("      (a folded alert's time must lie in [%s, %s])"
                                % (w["_first_repeat"], w["_latest"]))
    for i in unmatched:
        a = acts[i]
        problems.append("unexpected alert #%d: %s" % (i + 1, j(a)))
    # Order: alerts at first packets in time order; a folded one after every
    # alert older than its window's end and before every younger one.
    seen = [(where[id(w)], w) for w in firsts if id(w) in where]
    seen.sort(key=lambda x: x[0])
    for (i1, w1), (i2, w2) in zip(seen, seen[1:]):
        if w2["time"] < w1["time"]:
            problems.append("alert #%d (%s) comes after alert #%d (%s)"
                            % (i2 + 1, w2["time"], i1 + 1, w1["time"]))
    for w in folded:
        if id(w) not in where:
            continue
        i = where[id(w)]
        for (k, f) in seen:
            if f["time"] < w["_close"] and k > i:
                problems.append("folded alert #%d (window closing %s) emitted before alert #%d "
                                "(%s) of a flow that began before the window closed"
                                % (i + 1, w["_close"], k + 1, f["time"]))
            if not w["_eof"] and f["time"] > w["_close"] and k < i:
                problems.append("folded alert #%d (window closing %s) emitted only after alert "
                                "#%d (%s) of a flow that began after the window closed"
                                % (i + 1, w["_close"], k + 1, f["time"]))


def main(argv):
    if len(argv) == 3 and argv[1] == "--position":
        # stderr of `cnetmon check` on stdin: does it name the error's position?
        with open(argv[2]) as fh:
            e = json.load(fh)["stderr"]
        lines = [ln for ln in sys.stdin.read().splitlines() if position_in(ln, e)]
        return 0 if any(re.search(e["matches"], ln, re.I) for ln in lines) else 1
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    binary, expfile = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    with open(expfile) as fh:
        exp = json.load(fh)
    keep = argv[3] if len(argv) == 4 else None
    out = keep or tempfile.mkdtemp(prefix="policy.")
    os.makedirs(out, exist_ok=True)
    alerts_path, flows_path = os.path.join(out, "alerts.json"), os.path.join(out, "flows.json")
    for p in (alerts_path, flows_path):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [binary, "read"] + exp["args"] + ["-o", "json:" + alerts_path,
                                            "--flows", "json:" + flows_path, exp["capture"]]
    if os.environ.get("VALGRIND") == "1":
        cmd = ["valgrind", "--error-exitcode=99", "--leak-check=full", "-q"] + cmd
    problems = []
    try:
        res = subprocess.run(cmd, cwd=os.path.dirname(expfile), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        rc, stderr = res.returncode, res.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, stderr = None, ""
        problems.append("timed out")
    with open(os.path.join(out, "stderr"), "w") as fh:
        fh.write(stderr)
    if rc is not None and rc != exp["exit"]:
        problems.append("exit status %s, want %d%s" % (
            rc, exp["exit"], " (killed by signal %d)" % -rc if rc < 0 else ""))
    if exp["stderr"]:
        e = exp["stderr"]
        pos = "%s:%d:%d-%d" % (e["file"], e["line"], e["cols"][0], e["cols"][1])
        lines = [ln for ln in stderr.splitlines() if position_in(ln, e)]
        if not lines:
            problems.append("stderr does not name the error's position %s: %r" % (pos, stderr))
        elif not any(re.search(e["matches"], ln, re.I) for ln in lines):
            problems.append("stderr at %s does not match /%s/: %r" % (pos, e["matches"], lines))
    flows = load(flows_path, problems, "flow sink")
    alerts = load(alerts_path, problems, "alert sink")
    check_flows(exp, flows, problems)
    check_alerts(exp, alerts, problems)
    summary = "%d flows, %d alerts, exit %s" % (len(flows), len(alerts), rc)
    if problems:
        print("FAIL %s (%s): %s  [output in %s]" % (exp["name"], exp["notes"], summary, out))
        print("\n".join("    " + p for p in problems))
        return 1
    print("ok   %s (%s): %s" % (exp["name"], exp["notes"], summary))
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
