#!/usr/bin/python3
"""gen-policy.py — golden tests for profile verdicts and alerts (issue #5).

Run with /usr/bin/python3 (needs scapy).  Writes into pcaps/policy/ (or the
directory given as the only argument):
  inventory.json        the containers and host addresses of every test
  profiles/*.profile    the profiles, written from the Python data below
  bad-*.profile         profiles with one error each (exit status 2)
  *.pcap                small captures (LINKTYPE_RAW), built packet by packet
  *.expected.json       per run: options, exit status, the expected verdict
                        fields of every flow record and the expected alerts

The expectations do not come from cnetmon: this file holds its own model of
the profile semantics (DESIGN.md "Profiles", "Flow records and alerts",
cnetmon.profile(5)): selection, first-match rules per direction, peers
(any, world, host, CIDR, container, profile, label, dns with TTL and CNAME
chains), the verdict of both sides, --strict, and alert folding within
--alert-window.  The profiles exist once, as data: they are written as text
(so each rule's line number is known) and evaluated from the same data.

Everything is deterministic: fixed timestamps, addresses, ports, sequence
numbers and IP ids.  tests/policy.sh checks that re-running this script
reproduces the committed files byte for byte.
"""
import calendar
import fnmatch
import hashlib
import ipaddress
import json
import logging
import os
import struct
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import conf  # noqa: E402
conf.verb = 0
from scapy.packet import Raw  # noqa: E402
from scapy.layers.inet import IP, TCP, UDP, ICMP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402

S = 10 ** 9
MS = 10 ** 6
US = 10 ** 3
BASE = calendar.timegm((2026, 11, 27, 9, 0, 0)) * S
LINKTYPE_RAW = 101


def iso(ns):
    """Record timestamp: UTC, microseconds, truncated."""
    sec, frac = divmod(ns, S)
    return "%s.%06dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)), frac // 1000)


def canon(addr):
    return str(ipaddress.ip_address(addr))


# --------------------------------------------------------------------------
# Inventory
# --------------------------------------------------------------------------
HOST_ADDRS = ["192.0.2.1", "2001:db8::1"]

# name, image, labels, namespace, id (None: sha256 of the name), addresses
CONTAINERS = [
    ("web-1", "shop/frontend:1.4", {"app": "web", "tier": "frontend"}, "shop", None,
     ["10.1.0.2", "fd00:1::2"]),
    ("web-2", "shop/frontend:1.4", {"app": "web", "tier": "frontend"}, "shop", None,
     ["10.1.0.12"]),
    ("api-1", "shop/api:2.0", {"app": "api", "tier": "backend"}, "shop", None,
     ["10.1.0.3", "fd00:1::3"]),
    ("db-1", "postgres:16", {"app": "db"}, "shop", None, ["10.1.0.4"]),
    # selected by no profile
    ("cache-1", "redis:7", {"app": "cache"}, "shop", None, ["10.1.0.5"]),
    # selected by id prefix only
    ("batch-1", "tools/batch:1", {"app": "batch"}, "ops",
     "b47c0ffee0" + hashlib.sha256(b"batch-1").hexdigest()[10:], ["10.1.0.6"]),
    # the cluster resolver, unprofiled
    ("coredns-1", "coredns/coredns:1.11", {"k8s-app": "kube-dns"}, "kube-system", None,
     ["10.1.0.53"]),
    # selected by "namespace monitoring image prom/*" (ANDed)
    ("metrics-1", "prom/node-exporter:1.8", {"app": "metrics"}, "monitoring", None,
     ["10.1.0.7"]),
    # same namespace, other image: the AND fails, unprofiled
    ("metrics-decoy", "busybox:1.36", {"app": "metrics"}, "monitoring", None, ["10.1.0.8"]),
]


class Container:
    def __init__(self, i, name, image, labels, ns, cid, addrs):
        self.name, self.image, self.labels, self.namespace = name, image, labels, ns
        self.id = cid or hashlib.sha256(name.encode()).hexdigest()
        self.addrs = [canon(a) for a in addrs]
        self.index = i


CS = [Container(i, *c) for i, c in enumerate(CONTAINERS)]
BY_ADDR = {a: c for c in CS for a in c.addrs}
BY_NAME = {c.name: c for c in CS}


def inventory_json():
    cs = []
    for c in CS:
        cs.append({"id": c.id, "name": c.name, "image": c.image, "runtime": "docker",
                   "labels": c.labels, "namespace": c.namespace,
                   "pid": 5000 + c.index, "netns": 4026533000 + c.index,
                   "host_network": False,
                   "interfaces": [{"name": "eth0", "host_ifname": "veth%d" % c.index,
                                   "host_ifindex": 30 + c.index, "mac": None,
                                   "addrs": c.addrs}]})
    return {"node": "policy-node", "host_addrs": HOST_ADDRS, "containers": cs}


# --------------------------------------------------------------------------
# Profiles, as data.  A rule: (direction, action, proto, ports or None,
# [peer...], comment).  A peer: ("any",), ("world",), ("host",), ("cidr", X),
# ("container", GLOB), ("profile", NAME), ("label", "K=GLOB"), ("dns", GLOB).
# --------------------------------------------------------------------------
PROFILE_FILES = [
    ("10-shop.profile", "# 10-shop.profile - written by pcaps/gen-policy.py: edit that, not this.", [
        {"name": "frontend",
         "comment": "the web tier: any match line selects (OR)",
         "match": [[("name", "web-*")],
                   [("label", "tier=frontend"), ("image", "shop/*")]],
         "rules": [
             ("ingress", "allow", "tcp", "80,443", [("any",)], None),
             ("egress", "deny", "tcp", "8081", [("profile", "backend")],
              "shadows the allow below"),
             ("egress", "allow", "tcp", "8080-8089", [("profile", "backend")], None),
             ("egress", "allow", "udp", "53", [("label", "k8s-app=kube-*")], None),
             ("egress", "allow", "tcp", "8443", [("dns", "*.stripe.com")], None),
             ("egress", "allow", "tcp", "8443", [("dns", "www.example.org"),
                                                 ("dns", "shop.example.org")],
              "through CNAMEs"),
             ("egress", "allow", "tcp", "8443", [("dns", "API.Example.NET")],
              "names are case-insensitive"),
             ("egress", "deny", "tcp", "8444", [("dns", "*.bad.example")],
              "a dns peer that denies"),
             ("egress", "deny", "any", None, [("cidr", "169.254.169.254")],
              "before the world allowances"),
             ("egress", "allow", "any", "443", [("world",)], "ports: never ICMP"),
             ("egress", "allow", "icmp", None, [("world",)], None),
             ("egress", "allow", "tcp", "9000", [("cidr", "2001:db8:ff::/48")], None),
         ],
         "default": "deny"},
        {"name": "backend",
         "comment": "the API: no default line, so default deny",
         "match": [[("label", "app=api")]],
         "rules": [
             ("ingress", "allow", "tcp", "8080-8089", [("profile", "frontend")], None),
             ("ingress", "allow", "tcp", "9090", [("container", "batch-*")], None),
             ("egress", "allow", "tcp", "5432", [("container", "db-*")], None),
             ("egress", "allow", "udp", "53", [("label", "k8s-app=kube-dns")], None),
             ("egress", "allow", "any", "1-1024,8443", [("world",)], "ports: never ICMP"),
             ("egress", "allow", "tcp", "6379", [("cidr", "10.1.0.0/24")], None),
             ("egress", "allow", "tcp", "9100", [("label", "app=metrics")], None),
         ],
         "default": None},
        {"name": "database",
         "comment": "reached by the backend only; default allow for the rest of ingress",
         "match": [[("image", "postgres:*")]],
         "rules": [
             ("ingress", "allow", "tcp", "5432", [("profile", "backend")],
              "shadows the deny below"),
             ("ingress", "deny", "tcp", "5432", [("any",)], None),
             ("egress", "deny", "any", None, [("any",)], None),
         ],
         "default": "allow"},
    ]),
    ("20-ops.profile", "# 20-ops.profile - written by pcaps/gen-policy.py: edit that, not this.", [
        {"name": "batch",
         "comment": "selected by id prefix",
         "match": [[("id", "b47c0ffee")]],
         "rules": [
             ("egress", "allow", "tcp", "22", [("host",)], None),
             ("egress", "allow", "tcp", "9100", [("profile", "metrics")], None),
             ("ingress", "deny", "any", None, [("world",)], None),
         ],
         "default": "allow"},
        {"name": "metrics",
         "comment": "selectors on one line are ANDed",
         "match": [[("namespace", "monitoring"), ("image", "prom/*")]],
         "rules": [
             ("ingress", "allow", "tcp", "9100",
              [("profile", "backend"), ("cidr", "10.1.0.6"), ("host",)],
              "a profile of another file"),
             ("ingress", "deny", "tcp", "9100", [("world",)], None),
             ("egress", "allow", "any", None, [("any",)], None),
         ],
         "default": None},
    ]),
]

# Profiles with one error each: (file name, text, (line, the words at fault),
# message regex).  The error's column must fall within those words.
BAD_PROFILES = [
    ("bad-port.profile",
     ["# a port out of range",
      "profile broken {",
      "    match name \"web-*\"",
      "    egress allow tcp 443,70000 to world",
      "}"], (4, "443,70000"), "port"),  # the list, or the port in it
    ("bad-peer.profile",
     ["profile lonely {",
      "    match name \"web-*\"",
      "    # a profile peer that names no profile of the set",
      "    ingress allow tcp 80 from profile nosuch",
      "}"], (4, "profile nosuch"), "nosuch"),  # the peer, or its name
]


def quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def peer_text(p):
    k = p[0]
    if k in ("any", "world", "host"):
        return k
    if k == "cidr":
        return p[1]
    if k in ("container", "dns"):
        return "%s %s" % (k, quote(p[1]))
    return "%s %s" % (k, p[1])


def selector_text(s):
    k, v = s
    if k in ("name", "image", "namespace"):
        return "%s %s" % (k, quote(v))
    return "%s %s" % (k, v)


def parse_ports(ports):
    if ports is None:
        return None
    out = []
    for part in ports.split(","):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


class Profile:
    def __init__(self, d, fname):
        self.name, self.file = d["name"], fname
        self.match = d["match"]
        self.default = d["default"]
        self.rules = []   # (direction, action, proto, [(lo, hi)] or None, peers, "file:line")


def write_profiles(outdir):
    """Writes the profile files; returns the Profile objects in load order."""
    profs = []
    pdir = os.path.join(outdir, "profiles")
    os.makedirs(pdir, exist_ok=True)
    for fname, head, plist in PROFILE_FILES:
        lines = [head, ""]
        for d in plist:
            p = Profile(d, fname)
            lines.append("# " + d["comment"])
            lines.append("profile %s {" % d["name"])
            for m in d["match"]:
                lines.append("    match " + " ".join(selector_text(s) for s in m))
            for (dr, act, proto, ports, peers, cmt) in d["rules"]:
                txt = "    %-7s %-5s %s%s %s %s" % (
                    dr, act, proto, " " + ports if ports else "",
                    "from" if dr == "ingress" else "to",
                    ", ".join(peer_text(x) for x in peers))
                if cmt:
                    txt = "%-60s # %s" % (txt, cmt)
                lines.append(txt)
                p.rules.append((dr, act, proto, parse_ports(ports), peers,
                                "%s:%d" % (fname, len(lines))))
            if d["default"]:
                lines.append("    default %s" % d["default"])
            lines.append("}")
            lines.append("")
            profs.append(p)
        with open(os.path.join(pdir, fname), "w") as fh:
            fh.write("\n".join(lines))
    return profs


# --------------------------------------------------------------------------
# The model: selection, peers, rules, verdicts.
# --------------------------------------------------------------------------
# cnetmon clamps answer TTLs into [30 s, 1 day] for dns peers (include/dns.h:
# a TTL-0 answer is still used by its client for a while; a week-long TTL
# from a hostile zone must not pin an address).  cnetmon.profile(5) does not
# say so yet.  Set DNS_TTL_MIN = 0 if that design changes, and regenerate.
DNS_TTL_MIN, DNS_TTL_MAX = 30, 86400


def host_addr(a):
    ip = ipaddress.ip_address(a)
    if a in [canon(h) for h in HOST_ADDRS]:
        return True
    if ip.version == 4:
        return ip in ipaddress.ip_network("127.0.0.0/8")
    return a == "::1"


def selector_holds(s, c):
    k, v = s
    if k == "name":
        return fnmatch.fnmatchcase(c.name, v)
    if k == "image":
        return fnmatch.fnmatchcase(c.image, v)
    if k == "namespace":
        return c.namespace is not None and fnmatch.fnmatchcase(c.namespace, v)
    if k == "id":
        return c.id.startswith(v)
    if k == "label":
        key, _, glob = v.partition("=")
        return key in c.labels and fnmatch.fnmatchcase(c.labels[key], glob)
    raise ValueError(k)


class Model:
    def __init__(self, profiles):
        self.profiles = profiles
        self.by_name = {p.name: p for p in profiles}
        self.dns = []   # (address, name asked (lower case), expiry ns)
        for c in CS:
            sel = [p for p in profiles if self.selects(p, c)]
            assert len(sel) <= 1, (c.name, [p.name for p in sel])

    @staticmethod
    def selects(p, c):
        return any(all(selector_holds(s, c) for s in m) for m in p.match)

    def profile_of(self, c):
        if c is None:
            return None
        for p in self.profiles:
            if self.selects(p, c):
                return p
        return None

    def dns_answer(self, t, qname, rrs):
        """rrs: (name, type, ttl, rdata). Addresses reachable from the name
        asked through CNAMEs count for the name asked, for the smallest TTL
        on the way (a cache may not keep the chain longer than any link)."""
        def low(n):
            return n.lower().rstrip(".")
        ttl_to = {low(qname): 1 << 32}
        changed = True
        while changed:
            changed = False
            for (n, ty, ttl, rd) in rrs:
                if ty == "CNAME" and low(n) in ttl_to and low(rd) not in ttl_to:
                    ttl_to[low(rd)] = min(ttl_to[low(n)], ttl)
                    changed = True
        for (n, ty, ttl, rd) in rrs:
            if ty in ("A", "AAAA") and low(n) in ttl_to:
                eff = min(max(min(ttl_to[low(n)], ttl), DNS_TTL_MIN), DNS_TTL_MAX)
                self.dns.append((canon(rd), low(qname), t + eff * S))

    def peer_matches(self, peer, addr, t):
        k = peer[0]
        c = BY_ADDR.get(addr)
        if k == "any":
            return True
        if k == "world":
            return c is None and not host_addr(addr)
        if k == "host":
            return c is None and host_addr(addr)
        if k == "cidr":
            ip = ipaddress.ip_address(addr)
            net = ipaddress.ip_network(peer[1])
            return ip.version == net.version and ip in net
        if k == "container":
            return c is not None and fnmatch.fnmatchcase(c.name, peer[1])
        if k == "profile":
            p = self.profile_of(c)
            return p is not None and p.name == peer[1]
        if k == "label":
            key, _, glob = peer[1].partition("=")
            return c is not None and key in c.labels and fnmatch.fnmatchcase(c.labels[key], glob)
        if k == "dns":
            g = peer[1].lower()
            return any(a == addr and fnmatch.fnmatchcase(n, g) and t < exp
                       for (a, n, exp) in self.dns)
        raise ValueError(k)

    def judge(self, p, direction, proto, port, peer_addr, t):
        """(action, rule, reason) of profile p for one direction."""
        for (dr, act, rproto, ports, peers, where) in p.rules:
            if dr != direction:
                continue
            if rproto != "any" and rproto != proto:
                continue
            if ports is not None:
                if port is None or not any(lo <= port <= hi for lo, hi in ports):
                    continue
            if any(self.peer_matches(x, peer_addr, t) for x in peers):
                return act, where, "explicit " + act
        d = p.default or "deny"
        return d, "default", "default " + d

    def verdict(self, ini, resp, proto, port, t, strict):
        ci, cr = BY_ADDR.get(ini), BY_ADDR.get(resp)
        sides = []   # ("egress"|"ingress", action, rule, reason, profile name)
        for dr, c, peer in (("egress", ci, resp), ("ingress", cr, ini)):
            if c is None:
                continue
            p = self.profile_of(c)
            if p is not None:
                sides.append((dr,) + self.judge(p, dr, proto, port, peer, t) + (p.name,))
            elif strict:
                sides.append((dr, "deny", None, "unprofiled container (--strict)", None))
        denied = [s for s in sides if s[1] == "deny"]
        if denied:
            v, speak = "deny", denied[0]
        elif sides:
            v, speak = "allow", sides[0]
        else:
            v, speak = "unprofiled", None
        r = {"verdict": v}
        if speak:
            r.update({"direction": speak[0], "profile": speak[4], "rule": speak[2],
                      "reason": speak[3]})
        else:
            r.update({"direction": "egress" if ci else ("ingress" if cr else None),
                      "profile": None, "rule": None, "reason": None})
        r["denied_by"] = ("both" if len(denied) == 2 else denied[0][0]) if denied else None
        r["_deciding"] = [s[2] for s in denied]
        return r


# --------------------------------------------------------------------------
# Captures
# --------------------------------------------------------------------------
class Capture:
    def __init__(self, name):
        self.name = name
        self.pkts = []     # (t, seq, bytes, dns answer or None)
        self.flows = []    # dicts: label, proto, ini, iport, resp, rport, t0
        self._seq = 0
        self._ipid = 1000

    def ip(self, src, dst):
        if ":" in src:
            return IPv6(src=src, dst=dst, hlim=64)
        self._ipid = (self._ipid * 7 + 13) & 0xFFFF
        return IP(src=src, dst=dst, id=self._ipid, ttl=64, flags="DF")

    def add(self, t, pkt, dns=None):
        self.pkts.append((t, self._seq, bytes(pkt), dns))
        self._seq += 1

    def flow(self, label, proto, ini, iport, resp, rport, t0):
        f = {"label": label, "proto": proto, "ini": canon(ini), "iport": iport,
             "resp": canon(resp), "rport": rport, "t0": t0}
        for g in self.flows:
            assert (g["proto"], g["ini"], g["iport"], g["resp"], g["rport"]) != \
                (proto, f["ini"], iport, f["resp"], rport), label
        self.flows.append(f)
        return f

    def tcp(self, label, t, a, ap, b, bp):
        """Handshake, a request, then reset by the initiator."""
        h = hashlib.md5(("%s%d%s%d" % (a, ap, b, bp)).encode()).digest()
        sa, sb = struct.unpack("!II", h[:8])
        self.add(t, self.ip(a, b) / TCP(sport=ap, dport=bp, flags="S", seq=sa, window=64240))
        self.add(t + 300 * US, self.ip(b, a) / TCP(sport=bp, dport=ap, flags="SA", seq=sb,
                                                   ack=sa + 1, window=65160))
        self.add(t + 350 * US, self.ip(a, b) / TCP(sport=ap, dport=bp, flags="A", seq=sa + 1,
                                                   ack=sb + 1, window=502))
        self.add(t + 400 * US, self.ip(a, b) / TCP(sport=ap, dport=bp, flags="PA", seq=sa + 1,
                                                   ack=sb + 1, window=502) / Raw(b"hello\n"))
        self.add(t + 800 * US, self.ip(a, b) / TCP(sport=ap, dport=bp, flags="R", seq=sa + 7,
                                                   window=0))
        return self.flow(label, "tcp", a, ap, b, bp, t)

    def udp(self, label, t, a, ap, b, bp, req=b"ping", resp=b"pong"):
        self.add(t, self.ip(a, b) / UDP(sport=ap, dport=bp) / Raw(req))
        if resp is not None:
            self.add(t + 500 * US, self.ip(b, a) / UDP(sport=bp, dport=ap) / Raw(resp))
        return self.flow(label, "udp", a, ap, b, bp, t)

    def icmp(self, label, t, a, b, ident):
        self.add(t, self.ip(a, b) / ICMP(type=8, id=ident, seq=1) / Raw(b"abcdefgh"))
        self.add(t + 600 * US, self.ip(b, a) / ICMP(type=0, id=ident, seq=1) / Raw(b"abcdefgh"))
        return self.flow(label, "icmp", a, None, b, None, t)

    def dns(self, label, t, client, cport, server, qid, qname, rrs, qtype="A"):
        """A query and its answer; rrs: (name, type, ttl, rdata)."""
        self.add(t, self.ip(client, server) / UDP(sport=cport, dport=53) /
                 DNS(id=qid, rd=1, qd=DNSQR(qname=qname, qtype=qtype)))
        an = None   # scapy 2.5 wants the records chained with "/", not a list
        for (n, ty, ttl, rd) in rrs:
            rr = DNSRR(rrname=n, type=ty, ttl=ttl, rclass="IN", rdata=rd)
            an = rr if an is None else an / rr
        self.add(t + 2 * MS, self.ip(server, client) / UDP(sport=53, dport=cport) /
                 DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=qname, qtype=qtype), an=an,
                     ancount=len(rrs)),
                 dns=(qname, rrs))
        return self.flow(label, "udp", client, cport, server, 53, t)

    def write(self, outdir):
        self.pkts.sort(key=lambda p: (p[0], p[1]))
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW)]
        for t, _, data, _ in self.pkts:
            sec, ns = divmod(t, S)
            out.append(struct.pack("<IIII", sec, ns // 1000, len(data), len(data)) + data)
        with open(os.path.join(outdir, self.name + ".pcap"), "wb") as fh:
            fh.write(b"".join(out))


def container_obj(addr, model):
    c = BY_ADDR.get(addr)
    if c is None:
        return None
    p = model.profile_of(c)
    return {"id": c.id, "name": c.name, "profile": p.name if p else None}


def expect(cap, model_factory, strict=False, window=60):
    """Replays the capture's packets in time order through a fresh model:
    verdicts at each flow's first packet (with the DNS answers seen before
    it), alerts with folding.  Returns (flows, alerts, exit status)."""
    model = model_factory()
    first = {}
    for f in cap.flows:
        first.setdefault(f["t0"], []).append(f)
    flows, alerts = [], []
    windows = {}   # key -> {"start": t, "repeats": [flow...], "first": alert}
    seen_t0 = set()
    last_t = max(p[0] for p in cap.pkts)

    def close(key, w, now):
        """now: time of the packet that closes the window, None at the end."""
        if w["repeats"]:
            r0 = w["repeats"][0]
            a = dict(w["first"])
            a.update({"count": len(w["repeats"]), "_folded": True,
                      "_close": iso(w["start"] + window * S), "_eof": now is None,
                      "_first_repeat": iso(r0["t0"]), "_latest": iso(now or last_t),
                      "_label": "folded repeats of: " + r0["label"]})
            for k in ("time", "src.port"):
                a.pop(k, None)
            alerts.append(a)

    for t, _, data, dns in sorted(cap.pkts, key=lambda p: (p[0], p[1])):
        # Windows that ended by now close before this packet is handled.
        for key in sorted(windows, key=lambda k: windows[k]["start"]):
            w = windows[key]
            if w["start"] + window * S <= t:
                close(key, w, t)
                del windows[key]
        if t in first and t not in seen_t0:
            seen_t0.add(t)
            for f in first[t]:
                port = f["rport"]
                v = model.verdict(f["ini"], f["resp"], f["proto"], port, t, strict)
                rec = {"_label": f["label"], "type": "flow", "proto": f["proto"],
                       "src.ip": f["ini"], "src.port": f["iport"],
                       "dst.ip": f["resp"], "dst.port": f["rport"],
                       "src.container": container_obj(f["ini"], model),
                       "dst.container": container_obj(f["resp"], model)}
                deciding = v.pop("_deciding")
                rec.update(v)
                flows.append(rec)
                if v["verdict"] != "deny":
                    continue
                a = dict(rec)
                a.update({"type": "violation", "time": iso(t), "count": 1})
                key = (f["ini"], f["resp"], f["proto"], port, tuple(deciding))
                w = windows.get(key)
                if w is None:
                    windows[key] = {"start": t, "repeats": [], "first": a}
                    alerts.append(a)
                else:
                    w["repeats"].append(f)
        if dns is not None:
            model.dns_answer(t, dns[0], dns[1])
    for key in sorted(windows, key=lambda k: windows[k]["start"]):
        close(key, windows[key], None)
    status = 1 if any(f["verdict"] == "deny" for f in flows) else 0
    return flows, alerts, status


# --------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------
C = {c.name: c.addrs[0] for c in CS}
WEB6, API6 = "fd00:1::2", "fd00:1::3"
HOST, HOST6 = "192.0.2.1", "2001:db8::1"
RESOLVER = C["coredns-1"]


def sec(x):
    return BASE + int(x * S)


def cap_main():
    k = Capture("main")
    w, w2, api, db, cache, batch, met, decoy = (C[n] for n in (
        "web-1", "web-2", "api-1", "db-1", "cache-1", "batch-1", "metrics-1", "metrics-decoy"))
    k.tcp("profile peer: frontend -> backend 8080 allowed both sides", sec(1), w, 40001, api, 8080)
    k.tcp("egress deny shadows a later allow (8081)", sec(2), w, 40002, api, 8081)
    k.tcp("port range 8080-8089, second container of the profile", sec(3), w2, 40003, api, 8085)
    k.tcp("container glob peer, deny shadowed by an earlier allow", sec(4), api, 40004, db, 5432)
    k.tcp("both sides deny: egress default, ingress explicit", sec(5), w, 40005, db, 5432)
    k.tcp("ingress-only deny: unprofiled initiator", sec(6), cache, 40006, db, 5432)
    k.tcp("CIDR peer to an unprofiled responder", sec(7), api, 40007, cache, 6379)
    k.tcp("egress default deny to an unprofiled responder", sec(8), w, 40008, cache, 6379)
    k.tcp("explicit deny before the world allowance", sec(9), w, 40009, "169.254.169.254", 443)
    k.tcp("world peer, any with port 443", sec(10), w, 40010, "93.184.216.34", 443)
    k.udp("world peer, any 443 covers udp", sec(11), w, 40011, "93.184.216.34", 443)
    k.icmp("icmp rule to world (the any 443 rule must not match icmp)", sec(12), w, "8.8.8.8", 7)
    k.icmp("ports rule never matches icmp: default deny", sec(13), api, "8.8.8.8", 8)
    k.tcp("ports list with a range: 8443", sec(14), api, 40014, "198.51.100.20", 8443)
    k.tcp("ports list with a range: 2000 outside", sec(15), api, 40015, "198.51.100.20", 2000)
    k.udp("ports list with a range: udp 123", sec(16), api, 40016, "198.51.100.21", 123)
    k.tcp("host peer (egress), host side does not judge", sec(17), batch, 40017, HOST, 22)
    k.tcp("peer list: host matches the third peer (ingress)", sec(18), HOST, 40018, met, 9100)
    k.tcp("ingress explicit deny from world", sec(19), "198.51.100.30", 40019, met, 9100)
    k.tcp("address peer and profile peer of the same file", sec(20), batch, 40020, met, 9100)
    k.tcp("AND selectors: decoy unprofiled; a container is not world", sec(21), decoy, 40021,
          met, 9100)
    k.tcp("ingress from any", sec(22), "203.0.113.9", 40022, w, 443)
    k.tcp("ingress default deny", sec(23), "203.0.113.9", 40023, w, 22)
    k.tcp("IPv6 between containers", sec(24), WEB6, 40024, API6, 8080)
    k.tcp("IPv6 CIDR peer", sec(25), WEB6, 40025, "2001:db8:ff::10", 9000)
    k.tcp("IPv6 outside the CIDR: default deny", sec(26), WEB6, 40026, "2001:db8:fe::10", 9000)
    k.tcp("IPv6 to the host: not world, default deny", sec(27), WEB6, 40027, HOST6, 443)
    k.tcp("world to world: unprofiled, no direction", sec(28), "198.51.100.1", 40028,
          "198.51.100.2", 80)
    k.udp("both sides unprofiled", sec(29), cache, 40029, RESOLVER, 5353)
    k.tcp("host to an unprofiled container", sec(30), HOST, 40030, cache, 6379)
    k.tcp("udp rule does not match tcp 53", sec(31), w, 40031, RESOLVER, 53)
    k.icmp("database egress deny any to any over default allow", sec(32), db, "198.51.100.40", 9)
    k.icmp("egress default deny, ingress default allow", sec(33), api, db, 10)
    k.udp("ingress default allow", sec(34), "198.51.100.50", 40034, db, 9999)
    k.tcp("container glob peer on ingress, egress default allow", sec(35), batch, 40035, api, 9090)
    k.tcp("batch ingress deny from world", sec(36), "198.51.100.51", 40036, batch, 8000)
    k.tcp("label peer on egress (app=metrics)", sec(37), api, 40037, met, 9100)
    # Passive DNS.
    stripe, cdn, evil = "54.187.174.169", "203.0.113.50", "198.51.100.66"
    k.dns("label glob peer: DNS to the resolver", sec(40), w, 41000, RESOLVER, 0x1001,
          "api.stripe.com", [("api.stripe.com", "A", 30, stripe)])
    k.tcp("dns peer within TTL", sec(45), w, 40045, stripe, 8443)
    k.dns("DNS with a CNAME chain", sec(46), w, 41001, RESOLVER, 0x1002, "www.example.org",
          [("www.example.org", "CNAME", 300, "edge.example.net"),
           ("edge.example.net", "CNAME", 300, "a7.cdn.example.net"),
           ("a7.cdn.example.net", "A", 300, cdn)])
    k.tcp("dns peer through a CNAME chain", sec(47), w, 40047, cdn, 8443)
    k.dns("CNAME with a shorter TTL than its A record", sec(52), w, 41006, RESOLVER, 0x1007,
          "shop.example.org", [("shop.example.org", "CNAME", 40, "lb.example.net"),
                               ("lb.example.net", "A", 300, "203.0.113.70")])
    k.tcp("second dns peer of a list, within the chain's TTL", sec(60), w, 40060,
          "203.0.113.70", 8443)
    k.tcp("after the CNAME's TTL (the A record's still runs)", sec(95), w, 40095,
          "203.0.113.70", 8443)
    k.dns("DNS for a name in lower case", sec(50), w, 41005, RESOLVER, 0x1006,
          "api.example.net", [("api.example.net", "A", 300, "203.0.113.60")])
    k.tcp("dns glob in upper case matches a lower-case answer", sec(51), w, 40051,
          "203.0.113.60", 8443)
    k.dns("DNS for a name no rule allows", sec(48), w, 41002, RESOLVER, 0x1003,
          "evil.example.com", [("evil.example.com", "A", 300, evil)])
    k.tcp("dns answer for a name that does not match", sec(49), w, 40049, evil, 8443)
    k.tcp("dns peer after TTL expiry", sec(75), w, 40075, stripe, 8443)
    k.dns("backend egress udp 53 to a label peer (AAAA)", sec(76), api, 41003, RESOLVER, 0x1004,
          "api.stripe.com", [("api.stripe.com", "AAAA", 30, "2600:1f18::5")], qtype="AAAA")
    k.dns("a new answer for the same name", sec(77), w, 41004, RESOLVER, 0x1005, "api.stripe.com",
          [("api.stripe.com", "A", 60, stripe)])
    k.tcp("dns peer valid again after a new answer", sec(78), w, 40078, stripe, 8443)
    return k


def cap_fold():
    """Repeats of violations, for --alert-window 10."""
    k = Capture("fold")
    cache, db, w, api = C["cache-1"], C["db-1"], C["web-1"], C["api-1"]
    md = "169.254.169.254"
    for i, s in enumerate((0, 2, 4, 6)):
        k.tcp("repeat %d cache -> db (window 1)" % (i + 1), sec(s), cache, 42000 + i, db, 5432)
    k.tcp("web -> metadata 80, first", sec(1), w, 42100, md, 80)
    k.tcp("web -> metadata 80, repeat", sec(3), w, 42101, md, 80)
    k.tcp("web -> metadata 443: another key", sec(5), w, 42102, md, 443)
    k.tcp("allowed flow between the windows", sec(10.5), w, 42200, api, 8080)
    # The deciding rule is part of the key: the same ends and port, denied by
    # a dns rule within the TTL and by the default after it, are two keys.
    bad = "198.51.100.99"
    k.dns("DNS answer with a 30 s TTL", sec(0.5), w, 42400, RESOLVER, 0x2001, "c2.bad.example",
          [("c2.bad.example", "A", 30, bad)])
    k.tcp("denied by the dns rule (TTL running)", sec(29), w, 42401, bad, 8444)
    k.tcp("same ends and port, denied by default after the TTL: a new key", sec(31.5), w,
          42402, bad, 8444)
    k.tcp("repeat of the default-deny key", sec(34), w, 42403, bad, 8444)
    for i, s in enumerate((12, 14, 16)):
        k.tcp("repeat %d cache -> db (window 2)" % (i + 1), sec(s), cache, 42010 + i, db, 5432)
    for i, s in enumerate((13, 15)):
        k.udp("udp repeat %d web -> metadata 53" % (i + 1), sec(s), w, 42300 + i, md, 53)
    k.tcp("allowed flow after window 2", sec(25), w, 42201, api, 8080)
    k.tcp("cache -> db, window 3 (no repeats)", sec(30), cache, 42020, db, 5432)
    k.tcp("web -> metadata 80 again, window 2 of that key", sec(31), w, 42103, md, 80)
    k.tcp("last repeat of that key, folded at end of input", sec(33), w, 42104, md, 80)
    return k


def cap_clean():
    """No violation without --strict (unprofiled flows are not flagged)."""
    k = Capture("clean")
    w, api, db, cache = C["web-1"], C["api-1"], C["db-1"], C["cache-1"]
    k.tcp("allowed", sec(1), w, 43001, api, 8080)
    k.tcp("allowed", sec(2), api, 43002, db, 5432)
    k.tcp("allowed to an unprofiled responder", sec(3), api, 43003, cache, 6379)
    k.tcp("unprofiled both", sec(4), cache, 43004, C["coredns-1"], 53)
    k.tcp("world to world", sec(5), "198.51.100.1", 43005, "198.51.100.2", 80)
    return k


def write_expected(outdir, name, capture, args, flows, alerts, status, notes):
    exp = {"name": name, "notes": notes, "capture": capture + ".pcap" if capture else None,
           "args": args, "exit": status, "flows": flows, "alerts": alerts, "stderr": None}
    return exp


def dump(outdir, exp):
    with open(os.path.join(outdir, exp["name"] + ".expected.json"), "w") as fh:
        json.dump(exp, fh, indent=1, sort_keys=True)
        fh.write("\n")


def main():
    if len(sys.argv) > 2:
        sys.stderr.write("usage: gen-policy.py [OUTDIR]\n")
        return 2
    outdir = sys.argv[1] if len(sys.argv) == 2 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "policy")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "inventory.json"), "w") as fh:
        json.dump(inventory_json(), fh, indent=2)
        fh.write("\n")
    profs = write_profiles(outdir)

    def fresh():
        return Model(profs)

    runs = [
        ("main", cap_main(), [], False, 60,
         "every peer kind, ports, first match, defaults, both sides, dns TTL and CNAME, IPv6"),
        ("main-strict", None, ["--strict"], True, 60,
         "the same capture with --strict: unprofiled containers deny"),
        ("fold", cap_fold(), ["--alert-window", "10"], False, 10,
         "alert folding within and across a 10 s window"),
        ("clean", cap_clean(), [], False, 60, "no violation: exit 0"),
        ("clean-strict", None, ["--strict"], True, 60, "the clean capture with --strict: exit 1"),
    ]
    last = None
    for name, cap, args, strict, window, notes in runs:
        if cap is None:
            cap = last
        else:
            cap.write(outdir)
            last = cap
        flows, alerts, status = expect(cap, fresh, strict, window)
        exp = write_expected(outdir, name, cap.name, ["-I", "inventory.json", "-p", "profiles"]
                             + args, flows, alerts, status, notes)
        dump(outdir, exp)
    assert last is not None
    for fname, lines, (ln, word), msg in BAD_PROFILES:
        with open(os.path.join(outdir, fname), "w") as fh:
            fh.write("\n".join(lines) + "\n")
        col = lines[ln - 1].index(word) + 1   # the position may point anywhere in WORD
        exp = {"name": fname[:-len(".profile")], "notes": "a profile error: exit 2",
               "capture": "clean.pcap", "args": ["-I", "inventory.json", "-p", fname],
               "exit": 2, "flows": [], "alerts": [],
               "stderr": {"file": fname, "line": ln, "cols": [col, col + len(word) - 1],
                          "matches": msg}}
        dump(outdir, exp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
