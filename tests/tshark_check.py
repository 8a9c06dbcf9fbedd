#!/usr/bin/python3
"""tshark_check.py — cross-check cnetmon's flow records against tshark.

usage: tests/tshark_check.py BIN [TEST...]     run `BIN read --flows json:-` per TESTLIST entry
       tests/tshark_check.py --expected [TEST...]  check pcaps/*.expected instead (no binary)

For every golden capture tshark reads the same way cnetmon does, tshark gives
each packet's Community ID (communityid post-dissector, seed 0) and its
frame.len. Per Community ID and per sending endpoint, packets and bytes are
added up and compared with the sums of cnetmon's records carrying that
community_id (src sent packets-packets_to_src, dst sent packets_to_src). Summing
makes the check indifferent to how a flow is split into records (idle timeout,
active timeout parts, eviction), which the golden tests check on their own.

Prints `tshark: N passed, N failed` and exits 1 if any test failed.
"""
import collections
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PCAPS = os.path.join(ROOT, "pcaps")

# Tests left out, and why tshark's numbers would differ by design, not by bug.
SKIP = {
    # Wireshark reassembles IP fragments and gives the Community ID of the
    # datagram to the reassembled packet only; the other fragments get a
    # port-less ID (or none). cnetmon counts each fragment in the flow of the
    # datagram's first fragment (or a port-less flow when a later one comes
    # first). Per-packet attribution differs, so the sums cannot match.
    "ipv4-frag": "tshark reassembles IP fragments",
    "ipv4-frag-ooo": "tshark reassembles IP fragments",
    "ipv6-frag": "tshark reassembles IPv6 fragments",
    # GRE carrying IPv4: tshark dissects the inner packet and takes its
    # Community ID from the innermost IP layer; cnetmon does not open GRE
    # (only VXLAN and Geneve are tunnels in its contract) and has one gre flow.
    "gre-ip": "GRE: tshark's Community ID is the inner packet's",
}

# A VXLAN/Geneve packet holds two IP layers. cnetmon counts it in the outer
# UDP flow AND in the inner flow; tshark gives one Community ID per packet, the
# innermost layer's. For these tests only the inner flows (tunnel not null) are
# compared, with tshark's innermost addresses and ports.
INNER_ONLY = {"vxlan", "geneve"}

# tshark decodes VXLAN on 4789 only; cnetmon also on Linux's default 8472.
DECODE_AS = ["udp.port==8472,vxlan"]


def tshark_blind(rec):
    """tshark 4.0 gives no Community ID to port-less IPv6 protocols (GRE, ESP...
    over IPv6): such records cannot be checked against it."""
    return ":" in rec["src"]["ip"] and rec["src"]["port"] is None and rec["proto"] != "icmpv6"


def read_testlist():
    tests = []
    with open(os.path.join(PCAPS, "TESTLIST")) as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = shlex.split(line)
            name, exp, opts, files = w[0], w[1], w[2], w[3:]
            tests.append((name, exp, [] if opts == "-" else opts.split(), files))
    return tests


def tshark_packets(path, innermost=False, decode_as=()):
    """(community_id, frame.len, src ip, src port) per packet with an ID. The
    address and port are those of the outermost IP layer, or of the innermost
    one (tunnels)."""
    cmd = ["tshark", "-n", "-r", path, "--enable-protocol", "communityid"]
    for d in decode_as:
        cmd += ["-d", d]
    cmd += ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "communityid", "-e", "frame.len", "-e", "frame.protocols", "-e", "ip.src",
            "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "sctp.srcport"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
                         universal_newlines=True).stdout
    pkts = []
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (8 - len(f))
        if not f[0]:
            continue
        layers = [x for x in f[2].split(":") if x in ("ip", "ipv6")]
        pick = -1 if innermost else 0
        fam = layers[pick] if layers else "ip"
        addrs = [x for x in (f[3] if fam == "ip" else f[4]).split(",") if x]
        ports = [int(x) for col in f[5:8] for x in col.split(",") if x]
        pkts.append((f[0], int(f[1]), addrs[pick] if addrs else "", ports[pick] if ports else None))
    return pkts


def run_cnetmon(binary, opts, files):
    cmd = [os.path.abspath(binary), "read", "--flows", "json:-"] + opts + \
        [os.path.join(PCAPS, f) for f in files]
    # From pcaps/, as golden.sh runs them: options may name files there (-I).
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       cwd=PCAPS)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[:500]))
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def read_expected(exp):
    with open(os.path.join(PCAPS, exp)) as fh:
        return [json.loads(l) for l in fh if l.strip()]


def check(name, records, pkts):
    """Returns a list of problems (empty when tshark agrees)."""
    # per community id: endpoint -> [packets, bytes] as sender
    ours = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    ends = {}
    for r in records:
        cid = r["community_id"]
        s = (r["src"]["ip"], r["src"]["port"])
        d = (r["dst"]["ip"], r["dst"]["port"])
        ends.setdefault(cid, (s, d))
        e = ours[cid]
        e[s][0] += r["packets"] - r["packets_to_src"]
        e[s][1] += r["bytes"] - r["bytes_to_src"]
        e[d][0] += r["packets_to_src"]
        e[d][1] += r["bytes_to_src"]
    theirs = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    problems = []
    for cid, flen, sip, sport in pkts:
        if cid not in ends:
            theirs[cid][(sip, sport)][0] += 1
            theirs[cid][(sip, sport)][1] += flen
            continue
        a, b = ends[cid]
        if a[0] != b[0]:
            who = a if sip == a[0] else b if sip == b[0] else None
        else:
            who = a if sport == a[1] else b if sport == b[1] else None
        if who is None:
            problems.append("%s: a packet from %s port %s matches neither endpoint %s / %s"
                            % (cid, sip, sport, a, b))
            continue
        theirs[cid][who][0] += 1
        theirs[cid][who][1] += flen
    blind = {r["community_id"] for r in records if tshark_blind(r)}
    for cid in sorted(set(ours) | set(theirs)):
        if cid not in theirs and cid in blind:
            continue
        if cid not in theirs:
            problems.append("%s: cnetmon has a flow %s, tshark no packet with that ID"
                            % (cid, ends[cid]))
            continue
        if cid not in ours:
            eps = dict(theirs[cid])
            problems.append("%s: tshark sees %s, cnetmon no record with that ID"
                            % (cid, ", ".join("%s:%s sent %d pkts/%d bytes" % (k[0], k[1], v[0], v[1])
                                              for k, v in eps.items())))
            continue
        for ep in sorted(set(ours[cid]) | set(theirs[cid]), key=str):
            o, t = ours[cid].get(ep, [0, 0]), theirs[cid].get(ep, [0, 0])
            if list(o) != list(t):
                problems.append("%s: from %s:%s cnetmon %d pkts/%d bytes, tshark %d pkts/%d bytes"
                                % (cid, ep[0], ep[1], o[0], o[1], t[0], t[1]))
    return problems


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    mode = argv[1]
    only = set(argv[2:])
    if mode != "--expected" and not os.access(mode, os.X_OK):
        sys.stderr.write("tshark_check: %s: not an executable\n" % mode)
        return 2
    passed = failed = skipped = 0
    for name, exp, opts, files in read_testlist():
        if only and name not in only:
            continue
        if name.endswith("-inventory"):
            # Same captures as the test it extends, checked there; the
            # inventory changes names in records, not what tshark counts.
            continue
        if name in SKIP and not os.environ.get("TSHARK_NOSKIP"):
            print("SKIP %-20s %s" % (name, SKIP[name]))
            skipped += 1
            continue
        try:
            records = read_expected(exp) if mode == "--expected" else run_cnetmon(mode, opts, files)
            pkts = []
            for f in files:
                pkts += tshark_packets(os.path.join(PCAPS, f), innermost=name in INNER_ONLY,
                                       decode_as=DECODE_AS)
            if name in INNER_ONLY:
                records = [r for r in records if r.get("tunnel")]
            problems = check(name, records, pkts)
        except (RuntimeError, subprocess.CalledProcessError, ValueError) as e:
            problems = [str(e)]
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems[:10]:
                print("     " + p)
            if len(problems) > 10:
                print("     ... and %d more" % (len(problems) - 10))
        else:
            passed += 1
            print("ok   %s" % name)
    print("tshark: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
