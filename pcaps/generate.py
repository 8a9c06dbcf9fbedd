#!/usr/bin/python3
"""generate.py — golden captures for cnetmon and the flow records they must give.

Run with /usr/bin/python3 (needs scapy).  Writes, next to this script:
  NAME.pcap / NAME.pcapng   small captures built packet by packet
  NAME.expected             JSON lines: the decidable fields of each flow record
  TESTLIST                  name  expected-file  options  capture-files...
and, with --bad-inputs DIR, damaged captures plus DIR/MANIFEST for tests/bad-input.sh.

Everything is deterministic: fixed timestamps, fixed seeds, no scapy defaults
that depend on the host (MACs, IP ids and sequence numbers are all set here).

The expected records are not produced by a flow engine: every packet is
handed, as it is built, to the record(s) it must be counted in (the test
declares which record that is, what its initiator is and why/how it ends).
The generator only adds up packets/bytes per direction, takes first/last
timestamps as stored in the file, and computes the Community ID with its own
implementation of the spec (community_id() below).  Sanity checks make sure a
declared end ("eof", "idle"...) is consistent with the timeouts in force.
"""
import base64
import calendar
import hashlib
import json
import logging
import os
import random
import socket
import struct
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import conf  # noqa: E402
conf.verb = 0
from scapy.packet import Raw  # noqa: E402
from scapy.layers.inet import IP, TCP, UDP, ICMP, IPOption, fragment  # noqa: E402
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,  # noqa: E402
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, ICMPv6EchoRequest,
                                ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6ND_NA,
                                ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                                ICMPv6DestUnreach, ICMPv6PacketTooBig, RouterAlert, PadN,
                                ICMPv6MLQuery, ICMPv6MLReport, ICMPv6NIQueryNOOP,
                                ICMPv6NIReplyNOOP, ICMPv6HAADRequest, ICMPv6HAADReply,
                                ICMPv6ND_RS, ICMPv6ND_RA, fragment6)
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402
from scapy.layers.sctp import (SCTP, SCTPChunkInit, SCTPChunkInitAck,  # noqa: E402
                               SCTPChunkCookieEcho, SCTPChunkCookieAck, SCTPChunkData,
                               SCTPChunkSACK, SCTPChunkShutdown, SCTPChunkShutdownAck,
                               SCTPChunkShutdownComplete)
from scapy.layers.l2 import GRE  # noqa: E402
from scapy.layers.ipsec import ESP  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

S = 10 ** 9
MS = 10 ** 6
US = 10 ** 3
BASE = calendar.timegm((2026, 11, 26, 21, 17, 0)) * S

# cnetmon's default timeouts (record contract), seconds.
DEFAULT_TIMEOUTS = {"tcp-opening": 30, "tcp": 300, "tcp-closed": 5, "udp": 60,
                    "icmp": 30, "other": 60, "active": 1800}

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276


# --------------------------------------------------------------------------
# Community ID v1 (https://github.com/corelight/community-id-spec), seed 0.
# --------------------------------------------------------------------------
ICMP4_COUNTERPART = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6_COUNTERPART = {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133,
                     135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144}
PROTO_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
                 "icmpv6": 58, "sctp": 132}


def packed(addr):
    return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)


def canon(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return socket.inet_ntop(fam, socket.inet_pton(fam, addr))


def community_id(proto, saddr, daddr, sport=None, dport=None, icmp=None, seed=0):
    """proto: number. sport/dport None for port-less flows. icmp: (type, code)."""
    s, d = packed(saddr), packed(daddr)
    one_way = False
    if proto in (1, 58) and icmp is not None:
        mtype, mcode = icmp
        pairs = ICMP4_COUNTERPART if proto == 1 else ICMP6_COUNTERPART
        if mtype in pairs:
            sport, dport = mtype, pairs[mtype]
        else:
            sport, dport, one_way = mtype, mcode, True
    has_ports = sport is not None and dport is not None
    if not one_way:
        ordered = s < d or (s == d and has_ports and sport < dport)
        if not ordered:
            s, d, sport, dport = d, s, dport, sport
    data = struct.pack("!H", seed) + s + d + struct.pack("BB", proto, 0)
    if has_ports:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")


def iso(ns):
    """Record timestamp: UTC, microseconds, truncated."""
    sec, frac = divmod(ns, S)
    return "%s.%06dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)), frac // 1000)


# --------------------------------------------------------------------------
# Expected flow records
# --------------------------------------------------------------------------
class Flow:
    """One expected flow record. Packets are counted into it as they are built."""

    def __init__(self, test, proto, src, sport, dst, dport, icmp=None, tcp_state=None,
                 midstream=False, end="eof", part=1, vlan=(), tunnel=None, note=""):
        self.test = test
        self.proto = proto
        self.src, self.dst = canon(src), canon(dst)
        self.sport, self.dport = sport, dport
        self.icmp = icmp
        self.tcp_state = tcp_state
        self.midstream = midstream
        self.end = end
        self.part = part
        self.vlan = list(vlan)
        self.tunnel = tunnel
        self.note = note
        self.pk = [0, 0]
        self.by = [0, 0]
        self.first = self.last = None
        self.max_gap = 0
        self.interface = None
        self.iface_set = False
        if proto == "tcp":
            assert tcp_state is not None, "tcp flow needs a declared tcp_state"
        else:
            assert tcp_state is None and not midstream
        if proto in ("icmp", "icmpv6"):
            assert icmp is not None and sport is None and dport is None
        if tcp_state == "closed":
            assert end == "fin", "closed flows end with fin"
        if tcp_state == "reset":
            assert end == "rst", "reset flows end with rst"

    def count(self, ts, wirelen, reply, ifname):
        if self.first is None:
            self.first = ts
            self.interface = ifname
        else:
            assert ts >= self.last, "packets out of time order"
            self.max_gap = max(self.max_gap, ts - self.last)
        self.last = ts
        self.pk[1 if reply else 0] += 1
        self.by[1 if reply else 0] += wirelen

    def proto_number(self):
        return PROTO_NUMBERS.get(self.proto) or int(self.proto)

    def cid(self):
        return community_id(self.proto_number(), self.src, self.dst, self.sport, self.dport,
                            self.icmp)

    def tclass(self):
        if self.proto == "tcp":
            return {"syn_sent": "tcp-opening", "syn_received": "tcp-opening",
                    "closed": "tcp-closed", "reset": "tcp-closed"}.get(self.tcp_state, "tcp")
        if self.proto == "udp":
            return "udp"
        if self.proto in ("icmp", "icmpv6"):
            return "icmp"
        return "other"

    def record(self):
        assert self.first is not None, "flow %s got no packet" % self.note
        return {
            "community_id": self.cid(),
            "proto": self.proto,
            "src": {"ip": self.src, "port": self.sport},
            "dst": {"ip": self.dst, "port": self.dport},
            "first_seen": iso(self.first),
            "last_seen": iso(self.last),
            "packets": self.pk[0] + self.pk[1],
            "bytes": self.by[0] + self.by[1],
            "packets_to_src": self.pk[1],
            "bytes_to_src": self.by[1],
            "tcp_state": self.tcp_state,
            "midstream": self.midstream,
            "end": self.end,
            "part": self.part,
            "interface": self.interface,
            "vlan": self.vlan,
            "tunnel": self.tunnel,
            "icmp": None if self.icmp is None else {"type": self.icmp[0], "code": self.icmp[1]},
        }


# --------------------------------------------------------------------------
# Capture writers
# --------------------------------------------------------------------------
class PcapFile:
    def __init__(self, test, name, linktype=LINKTYPE_ETHERNET, nsec=False, big_endian=False,
                 snaplen=262144):
        self.test, self.name, self.linktype = test, name, linktype
        self.nsec, self.e, self.snaplen = nsec, (">" if big_endian else "<"), snaplen
        self.recs = []
        self.pending = []

    def add(self, ts, frame, counts=(), iface=0, orig_len=None):
        """Packets may be added in any order: the file is written (and the
        packets counted into their flows) sorted by time, ties in the order added."""
        assert iface == 0
        wire = len(frame) if orig_len is None else orig_len
        stored = ts if self.nsec else ts - ts % US
        self.pending.append((stored, len(self.pending), frame[:self.snaplen], wire, list(counts)))

    def finalize(self):
        for stored, _, data, wire, counts in sorted(self.pending, key=lambda x: (x[0], x[1])):
            self.recs.append((stored, data, wire))
            self.test.saw(stored)
            for flow, reply in counts:
                flow.count(stored, wire, reply, None)
        self.pending = []

    def raw_record(self, ts, data, wire=None):
        """A record whose content is exactly data (used for damaged inputs)."""
        self.finalize()
        self.recs.append((ts, data, len(data) if wire is None else wire))

    def header(self):
        magic = 0xA1B23C4D if self.nsec else 0xA1B2C3D4
        return struct.pack(self.e + "IHHiIII", magic, 2, 4, 0, 0, self.snaplen, self.linktype)

    def record_bytes(self, ts, data, wire):
        sec, frac = divmod(ts, S)
        sub = frac if self.nsec else frac // US
        return struct.pack(self.e + "IIII", sec, sub, len(data), wire) + data

    def content(self):
        self.finalize()
        return self.header() + b"".join(self.record_bytes(*r) for r in self.recs)


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


class PcapngFile:
    """pcapng writer: sections, interfaces (name, tsresol), EPBs, and some
    blocks a reader must skip (NRB, ISB, an unknown custom block)."""

    def __init__(self, test, name):
        self.test, self.name = test, name
        self.blocks = []
        self.ifaces = []
        self.e = "<"

    def finalize(self):
        pass        # pcapng blocks are written (and counted) in the order added

    def _opts(self, opts):
        out = b""
        for code, val in opts:
            out += struct.pack(self.e + "HH", code, len(val)) + _pad4(val)
        if opts:
            out += struct.pack(self.e + "HH", 0, 0)
        return out

    def _block(self, btype, body):
        body = _pad4(body)
        total = len(body) + 12
        self.blocks.append(struct.pack(self.e + "II", btype, total) + body +
                           struct.pack(self.e + "I", total))

    def section(self, big_endian=False, appl="cnetmon pcaps/generate.py"):
        self.e = ">" if big_endian else "<"
        self.ifaces = []
        body = struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1)
        body += self._opts([(4, appl.encode()), (1, b"golden test capture")])
        self._block(0x0A0D0D0A, body)

    def iface(self, linktype, name=None, tsresol=6, snaplen=262144, descr=None, tsoffset=0):
        """tsresol: if_tsresol byte (6 = microseconds, 9 = ns, 0x80|n = 2^-n s);
        tsoffset: if_tsoffset seconds, added to every timestamp of the interface."""
        opts = []
        if name is not None:
            opts.append((2, name.encode()))
        if descr is not None:
            opts.append((3, descr.encode()))
        if tsresol != 6:
            opts.append((9, bytes([tsresol])))
        if tsoffset:
            opts.append((14, struct.pack(self.e + "q", tsoffset)))
        self._block(1, struct.pack(self.e + "HHI", linktype, 0, snaplen) + self._opts(opts))
        self.ifaces.append((linktype, name, tsresol, tsoffset))
        return len(self.ifaces) - 1

    def add(self, ts, frame, counts=(), iface=0, orig_len=None, comment=None, flags=None):
        linktype, name, res, off = self.ifaces[iface]
        rel = ts - off * S
        if res & 0x80:
            per_s = 1 << (res & 0x7F)
            assert (rel * per_s) % S == 0, "timestamp not representable in 2^-%d s" % (res & 0x7F)
            units = rel * per_s // S
            stored = units * S // per_s + off * S
        else:
            unit = 10 ** (9 - res)
            units = rel // unit
            stored = units * unit + off * S
        wire = len(frame) if orig_len is None else orig_len
        opts = []
        if comment:
            opts.append((1, comment.encode()))
        if flags is not None:
            opts.append((2, struct.pack(self.e + "I", flags)))
        body = struct.pack(self.e + "IIIII", iface, units >> 32, units & 0xFFFFFFFF,
                           len(frame), wire) + _pad4(frame) + self._opts(opts)
        self._block(6, body)
        self.test.saw(stored)
        for flow, reply in counts:
            flow.count(stored, wire, reply, name)

    def nrb(self, entries):
        body = b""
        for addr, names in entries:
            a = packed(addr)
            val = a + b"".join(n.encode() + b"\0" for n in names)
            body += struct.pack(self.e + "HH", 1 if len(a) == 4 else 2, len(val)) + _pad4(val)
        body += struct.pack(self.e + "HH", 0, 0)
        self._block(4, body)

    def isb(self, iface, ts, received, dropped):
        units = ts // 1000
        opts = [(4, struct.pack(self.e + "Q", received)), (5, struct.pack(self.e + "Q", dropped))]
        self._block(5, struct.pack(self.e + "III", iface, units >> 32, units & 0xFFFFFFFF) +
                    self._opts(opts))

    def custom(self, btype, payload):
        self._block(btype, payload)

    def content(self):
        return b"".join(self.blocks)


# --------------------------------------------------------------------------
# Link layers: wrap an IP datagram into a frame
# --------------------------------------------------------------------------
def mac_of(addr_bytes):
    return b"\x02" + hashlib.md5(addr_bytes).digest()[:5]


def ip_addrs(ipb):
    if ipb[0] >> 4 == 6:
        return ipb[8:24], ipb[24:40], True
    return ipb[12:16], ipb[16:20], False


class Eth:
    def __init__(self, tags=(), pad=False):
        self.tags, self.pad = list(tags), pad

    def wrap(self, ipb, reply):
        s, d, v6 = ip_addrs(ipb)
        return eth_frame(mac_of(d), mac_of(s), 0x86DD if v6 else 0x0800, ipb, self.tags, self.pad)


def eth_frame(dmac, smac, ethertype, payload, tags=(), pad=False):
    f = dmac + smac
    for tpid, vid in tags:
        f += struct.pack("!HH", tpid, vid)
    f += struct.pack("!H", ethertype) + payload
    if pad and len(f) < 60:
        f += b"\0" * (60 - len(f))
    return f


class SLL:
    def wrap(self, ipb, reply):
        s, d, v6 = ip_addrs(ipb)
        return sll_frame(0 if reply else 4, mac_of(s), 0x86DD if v6 else 0x0800, ipb)


def sll_frame(pkttype, mac, proto, payload):
    return struct.pack("!HHH", pkttype, 1, 6) + mac + b"\0\0" + struct.pack("!H", proto) + payload


class SLL2:
    def __init__(self, ifindex=3):
        self.ifindex = ifindex

    def wrap(self, ipb, reply):
        s, d, v6 = ip_addrs(ipb)
        return sll2_frame(0x86DD if v6 else 0x0800, self.ifindex, 0 if reply else 4, mac_of(s), ipb)


def sll2_frame(proto, ifindex, pkttype, mac, payload):
    return struct.pack("!HHIHBB", proto, 0, ifindex, 1, pkttype, 6) + mac + b"\0\0" + payload


class RawIP:
    def wrap(self, ipb, reply):
        return ipb


class Null:
    """LINKTYPE_NULL: 4-byte address family in the writer's byte order."""

    def __init__(self, endian="<", af6=30):
        self.endian, self.af6 = endian, af6

    def wrap(self, ipb, reply):
        af = self.af6 if ipb[0] >> 4 == 6 else 2
        return struct.pack(self.endian + "I", af) + ipb


class Loop:
    """LINKTYPE_LOOP (OpenBSD): address family in network byte order."""

    def __init__(self, af6=24):
        self.af6 = af6

    def wrap(self, ipb, reply):
        af = self.af6 if ipb[0] >> 4 == 6 else 2
        return struct.pack("!I", af) + ipb


class Path:
    """Where packets go: a capture, a link layer, an interface."""

    def __init__(self, cap, link, iface=0):
        self.cap, self.link, self.iface = cap, link, iface

    def send(self, t, pkt, counts, reply=False, orig_len=None):
        ipb = bytes(pkt)
        frame = self.link.wrap(ipb, reply)
        self.cap.add(t, frame, counts, iface=self.iface, orig_len=orig_len)


def vxlan_header(vni):
    return struct.pack("!BBHI", 0x08, 0, 0, vni << 8)


def geneve_header(vni, options=b"", proto=0x6558):
    assert len(options) % 4 == 0
    return struct.pack("!BBHI", len(options) // 4, 0, proto, vni << 8) + options


class Tunnel:
    """VXLAN/Geneve between two VTEPs: each packet sent through it is counted
    in the inner flow(s) given and in the outer UDP flow of its direction."""

    def __init__(self, path, kind, vni, vtep_a, vtep_b, sport_a, sport_b, dport, outer,
                 geneve_opts=b""):
        self.path, self.kind, self.vni = path, kind, vni
        self.vtep = (vtep_a, vtep_b)
        self.sports = (sport_a, sport_b)
        self.dport = dport
        self.outer = outer          # (flow a->b, flow b->a)
        self.opts = geneve_opts

    def send(self, t, pkt, counts, reply=False):
        inner = Eth().wrap(bytes(pkt), reply)
        hdr = vxlan_header(self.vni) if self.kind == "vxlan" else geneve_header(self.vni, self.opts)
        i = 1 if reply else 0
        outer = (mkip(self.vtep[i], self.vtep[1 - i], flags=0) /
                 UDP(sport=self.sports[i], dport=self.dport) / Raw(hdr + inner))
        self.path.send(t, outer, list(counts) + [(self.outer[i], False)], reply)


# --------------------------------------------------------------------------
# Packet builders
# --------------------------------------------------------------------------
_ipid = [1]


def mkip(src, dst, **kw):
    if ":" in src:
        hl = kw.pop("ttl", 64)
        kw.pop("flags", None)
        kw.pop("id", None)
        return IPv6(src=src, dst=dst, hlim=hl, **kw)
    if "id" not in kw:
        _ipid[0] = (_ipid[0] * 7 + 13) & 0xFFFF
        kw["id"] = _ipid[0]
    kw.setdefault("ttl", 64)
    kw.setdefault("flags", "DF")
    return IP(src=src, dst=dst, **kw)


class TcpConn:
    """A TCP connection between side a (src of the flow record) and side b."""

    def __init__(self, path, a, ap, b, bp, flow, ipkw=None, win=(64240, 65160), ext=None):
        self.path, self.a, self.ap, self.b, self.bp = path, a, ap, b, bp
        self.ext = ext
        self.flow = flow
        h = hashlib.md5(("%s%d%s%d" % (a, ap, b, bp)).encode()).digest()
        self.seq = [struct.unpack("!I", h[:4])[0], struct.unpack("!I", h[4:8])[0]]
        self.ipkw = ipkw or {}
        self.win = win

    def send(self, t, from_a, flags, data=b"", opts=None, extra=()):
        i = 0 if from_a else 1
        src, sp, dst, dp = (self.a, self.ap, self.b, self.bp) if from_a else \
            (self.b, self.bp, self.a, self.ap)
        ack = self.seq[1 - i] if "A" in flags else 0
        seg = TCP(sport=sp, dport=dp, flags=flags, seq=self.seq[i], ack=ack,
                  window=self.win[i], options=opts or [])
        self.seq[i] = (self.seq[i] + len(data) + ("S" in flags) + ("F" in flags)) & 0xFFFFFFFF
        pkt = mkip(src, dst, **self.ipkw)
        if self.ext is not None:
            pkt = pkt / self.ext()
        pkt = pkt / seg
        if data:
            pkt = pkt / Raw(data)
        counts = ([(self.flow, not from_a)] if self.flow is not None else []) + list(extra)
        self.path.send(t, pkt, counts, reply=not from_a)
        return t

    def open(self, t, rtt=300 * US, synack=True):
        mss = [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]
        self.send(t, True, "S", opts=mss)
        if not synack:
            return t
        self.send(t + rtt, False, "SA", opts=mss)
        self.send(t + rtt + 50 * US, True, "A")
        return t + rtt + 50 * US

    def exchange(self, t, req, resp, rtt=400 * US, mss=1448):
        """Request from a, response from b (in mss segments), ack from a."""
        self.send(t, True, "PA", req)
        t += rtt
        for off in range(0, len(resp), mss):
            self.send(t, False, "PA", resp[off:off + mss])
            t += 20 * US
        self.send(t + 100 * US, True, "A")
        return t + 100 * US

    def close(self, t, a_first=True, gap=200 * US):
        self.send(t, a_first, "FA")
        self.send(t + gap, not a_first, "A")
        self.send(t + 2 * gap, not a_first, "FA")
        self.send(t + 3 * gap, a_first, "A")
        return t + 3 * gap


def udp_pkt(src, sp, dst, dp, payload=b"", **ipkw):
    pkt = mkip(src, dst, **ipkw) / UDP(sport=sp, dport=dp)
    if isinstance(payload, bytes):
        return pkt / Raw(payload) if payload else pkt
    return pkt / payload


def dns_query(qid, name, qtype="A"):
    return DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))


def dns_answer(qid, name, qtype, rdata, ttl=30):
    return DNS(id=qid, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
               an=DNSRR(rrname=name, type=qtype, ttl=ttl, rdata=rdata))


HTTP_GET = (b"GET /index.html HTTP/1.1\r\nHost: web\r\nUser-Agent: curl/8.5.0\r\n"
            b"Accept: */*\r\n\r\n")


def http_resp(n, ctype=b"text/html"):
    body = (b"<html><body>" + b"x" * max(0, n - 26) + b"</body></html>")[:n]
    return (b"HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\nContent-Type: " + ctype +
            b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------
class Test:
    def __init__(self, gen, name, options="-", timeouts=None, expected=None):
        self.gen, self.name, self.options = gen, name, options
        self.t0 = BASE + len(gen.tests) * 600 * S
        self.flows, self.files = [], []
        self.timeouts = dict(DEFAULT_TIMEOUTS, **(timeouts or {}))
        self.last_ts = None
        self.expected = expected or (name + ".expected")
        _ipid[0] = 1 + len(gen.tests)
        gen.tests.append(self)

    def at(self, sec):
        """Absolute ns timestamp sec seconds after the test's start."""
        return self.t0 + int(round(sec * S))

    def saw(self, ts):
        assert self.last_ts is None or ts >= self.last_ts, \
            "%s: timestamps must not go back" % self.name
        self.last_ts = ts

    def flow(self, *a, **kw):
        f = Flow(self, *a, **kw)
        self.flows.append(f)
        return f

    def pcap(self, name, **kw):
        c = PcapFile(self, name, **kw)
        self.files.append(c)
        return c

    def pcapng(self, name):
        c = PcapngFile(self, name)
        self.files.append(c)
        return c

    def check(self):
        """The declared ends must follow from the timeouts in force."""
        margin = S
        for f in self.flows:
            to = self.timeouts[f.tclass()] * S
            if f.end is None:   # decide here: idle if a later packet passed its timeout
                gap = self.last_ts - f.last
                assert abs(gap - to) > margin, "%s: %s too close to its timeout" % (self.name, f.note)
                f.end = "idle" if gap > to else "eof"
            if f.end == "eof":
                assert self.last_ts - f.last < to - margin, \
                    "%s: flow %s would be idle by the end" % (self.name, f.note)
            if f.end == "idle":
                assert self.last_ts - f.last > to + margin, "%s: %s not idle" % (self.name, f.note)
            if f.end in ("eof", "idle", "evicted"):
                assert f.tcp_state not in ("closed", "reset")
            assert f.max_gap < to - margin or f.end == "active" or f.part > 1 or \
                f.tclass() == "tcp-opening", "%s: %s has a gap past its timeout" % (self.name, f.note)

    def write(self):
        for c in self.files:
            c.finalize()
        self.check()
        for c in self.files:
            with open(os.path.join(HERE, c.name), "wb") as fh:
                fh.write(c.content())
        recs = sorted((f.record() for f in self.flows),
                      key=lambda r: (r["first_seen"], r["community_id"], r["part"], r["src"]["ip"]))
        with open(os.path.join(HERE, self.expected), "w") as fh:
            for r in recs:
                fh.write(json.dumps(r, separators=(",", ":")) + "\n")

    def testlist_line(self):
        opts = self.options if self.options == "-" else '"%s"' % self.options
        return "%-22s %-28s %-30s %s" % (self.name, self.expected, opts,
                                         " ".join(c.name for c in self.files))


class Gen:
    def __init__(self):
        self.tests = []


def t_tcp_fin(g):
    T = Test(g, "tcp-fin")
    p = Path(T.pcap("tcp-fin.pcap"), Eth())
    cli, srv = "10.88.0.5", "10.88.0.10"
    # full handshake, request, 3-segment response, client closes first
    f = T.flow("tcp", cli, 40000, srv, 80, tcp_state="closed", end="fin", note="A")
    c = TcpConn(p, cli, 40000, srv, 80, f)
    t = c.open(T.at(0.0))
    t = c.exchange(t + 1 * MS, HTTP_GET, http_resp(1800))
    c.close(t + 5 * MS, a_first=True)
    # server closes first
    f = T.flow("tcp", cli, 40002, srv, 8080, tcp_state="closed", end="fin", note="B")
    c = TcpConn(p, cli, 40002, srv, 8080, f)
    t = c.open(T.at(0.5))
    t = c.exchange(t + 1 * MS, b"PING\r\n", b"PONG\r\n")
    c.close(t + 3 * MS, a_first=False)
    # half-closed: only the client sent FIN -> closing, still open at end of input
    f = T.flow("tcp", cli, 40004, srv, 8080, tcp_state="closing", end="eof", note="C")
    c = TcpConn(p, cli, 40004, srv, 8080, f)
    t = c.open(T.at(1.0))
    t = c.exchange(t + 1 * MS, b"GET\r\n", b"DATA" * 50)
    c.send(t + 1 * MS, True, "FA")
    c.send(t + 2 * MS, False, "A")
    # SYN never answered (retransmitted) -> syn_sent
    f = T.flow("tcp", cli, 40006, srv, 8443, tcp_state="syn_sent", end="eof", note="D")
    c = TcpConn(p, cli, 40006, srv, 8443, f)
    c.open(T.at(1.5), synack=False)
    # SYN answered by SYN-ACK, final ACK never seen -> syn_received
    f = T.flow("tcp", cli, 40008, srv, 9000, tcp_state="syn_received", end="eof", note="E")
    e = TcpConn(p, cli, 40008, srv, 9000, f)
    e.send(T.at(2.0), True, "S")
    e.send(T.at(2.0005), False, "SA")
    # D's SYN retransmitted
    c.seq[0] -= 1
    c.send(T.at(2.5), True, "S", opts=[("MSS", 1460)])


def t_tcp_rst(g):
    T = Test(g, "tcp-rst")
    p = Path(T.pcap("tcp-rst.pcap"), Eth(pad=True))
    cli, srv = "10.88.0.6", "10.88.0.11"
    # connection refused: SYN, RST-ACK
    f = T.flow("tcp", cli, 41000, srv, 5433, tcp_state="reset", end="rst", note="refused")
    c = TcpConn(p, cli, 41000, srv, 5433, f)
    c.send(T.at(0.0), True, "S", opts=[("MSS", 1460)])
    c.send(T.at(0.0002), False, "RA")
    # established, then the client aborts with RST
    f = T.flow("tcp", cli, 41002, srv, 5432, tcp_state="reset", end="rst", note="abort")
    c = TcpConn(p, cli, 41002, srv, 5432, f)
    t = c.open(T.at(0.5))
    t = c.exchange(t + 1 * MS, b"Q" * 40, b"R" * 120)
    c.send(t + 2 * MS, True, "R")
    # established, server resets mid-transfer, client's in-flight data after it
    f = T.flow("tcp", cli, 41004, srv, 6379, tcp_state="reset", end="rst", note="server rst")
    c = TcpConn(p, cli, 41004, srv, 6379, f)
    t = c.open(T.at(1.0))
    c.send(t + 1 * MS, True, "PA", b"*1\r\n$4\r\nPING\r\n")
    c.send(t + 2 * MS, False, "RA")
    c.send(t + 2 * MS + 50 * US, True, "PA", b"*1\r\n$4\r\nQUIT\r\n")


def t_tcp_midstream(g):
    T = Test(g, "tcp-midstream")
    p = Path(T.pcap("tcp-midstream.pcap"), Eth())
    # first packet is data from the server (port 443) to the client: the client
    # (higher port) is the initiator; later closed with FIN both ways.
    f = T.flow("tcp", "10.0.0.1", 51000, "10.0.0.2", 443, tcp_state="closed", end="fin",
               midstream=True, note="server first")
    c = TcpConn(p, "10.0.0.1", 51000, "10.0.0.2", 443, f)
    t = T.at(0.0)
    c.send(t, False, "PA", b"\x17\x03\x03" + b"s" * 200)
    c.send(t + 100 * US, True, "A")
    c.send(t + 5 * MS, True, "PA", b"\x17\x03\x03" + b"c" * 80)
    c.send(t + 6 * MS, False, "PA", b"\x17\x03\x03" + b"s" * 400)
    c.send(t + 6200 * US, True, "A")
    c.close(t + 10 * MS, a_first=False)
    # first packet from the client side (higher port) to ssh
    f = T.flow("tcp", "10.0.0.3", 55555, "10.0.0.4", 22, tcp_state="established",
               midstream=True, note="client first")
    c = TcpConn(p, "10.0.0.3", 55555, "10.0.0.4", 22, f)
    t = T.at(0.5)
    for i in range(3):
        c.send(t + i * 10 * MS, True, "PA", b"k" * 36)
        c.send(t + i * 10 * MS + 300 * US, False, "PA", b"e" * 36)
    c.send(t + 31 * MS, True, "A")
    # equal ports (BGP): the sender of the first packet is the initiator
    f = T.flow("tcp", "10.0.0.6", 179, "10.0.0.5", 179, tcp_state="established",
               midstream=True, note="equal ports")
    c = TcpConn(p, "10.0.0.6", 179, "10.0.0.5", 179, f)
    t = T.at(1.0)
    c.send(t, True, "PA", b"\xff" * 16 + b"\x00\x13\x04")
    c.send(t + 1 * MS, False, "PA", b"\xff" * 16 + b"\x00\x13\x04")
    c.send(t + 2 * MS, True, "A")
    # one direction only, server to client: initiator still guessed from ports
    f = T.flow("tcp", "10.0.0.8", 60000, "10.0.0.7", 8443, tcp_state="established",
               midstream=True, note="one-way server data")
    c = TcpConn(p, "10.0.0.8", 60000, "10.0.0.7", 8443, f)
    t = T.at(1.5)
    for i in range(3):
        c.send(t + i * MS, False, "A", b"d" * 300)


def t_tcp_synack_first(g):
    T = Test(g, "tcp-synack-first")
    p = Path(T.pcap("tcp-synack-first.pcap"), Eth())
    # capture starts at the SYN-ACK: its receiver is the initiator, not midstream
    f = T.flow("tcp", "10.0.1.1", 40100, "10.0.1.2", 80, tcp_state="established",
               midstream=False, note="synack then data")
    c = TcpConn(p, "10.0.1.1", 40100, "10.0.1.2", 80, f)
    c.seq[0] += 1                        # the SYN went by before the capture started
    t = T.at(0.0)
    c.send(t, False, "SA", opts=[("MSS", 1460)])
    c.send(t + 50 * US, True, "A")
    c.exchange(t + 1 * MS, HTTP_GET, http_resp(700))
    # SYN-ACK alone, sent from the higher port: direction comes from the flags, not ports
    f = T.flow("tcp", "10.0.1.4", 2000, "10.0.1.3", 9000, tcp_state="syn_received",
               midstream=False, note="synack only")
    c = TcpConn(p, "10.0.1.4", 2000, "10.0.1.3", 9000, f)
    c.send(T.at(0.5), False, "SA")


def t_udp_dns(g):
    T = Test(g, "udp-dns")
    p = Path(T.pcap("udp-dns.pcap"), Eth(pad=True))
    cli, dns = "10.88.0.5", "10.88.0.1"
    f = T.flow("udp", cli, 53001, dns, 53, note="A query")
    p.send(T.at(0.0), udp_pkt(cli, 53001, dns, 53, dns_query(0x1001, "api.dns.podman")), [(f, False)])
    p.send(T.at(0.0003), udp_pkt(dns, 53, cli, 53001,
                                 dns_answer(0x1001, "api.dns.podman", "A", "10.88.0.3")),
           [(f, True)], reply=True)
    f = T.flow("udp", cli, 53002, dns, 53, note="AAAA query")
    p.send(T.at(0.0004), udp_pkt(cli, 53002, dns, 53, dns_query(0x1002, "api.dns.podman", "AAAA")),
           [(f, False)])
    p.send(T.at(0.0008), udp_pkt(dns, 53, cli, 53002,
                                 dns_answer(0x1002, "api.dns.podman", "AAAA", "fd00:88::3")),
           [(f, True)], reply=True)
    # unanswered query, retried from the same port
    f = T.flow("udp", cli, 53003, dns, 53, note="unanswered")
    for i in range(2):
        p.send(T.at(0.5 + i), udp_pkt(cli, 53003, dns, 53, dns_query(0x1003, "nowhere.example")),
               [(f, False)])
    # IPv6
    c6, d6 = "fd00:88::5", "fd00:88::1"
    f = T.flow("udp", c6, 53004, d6, 53, note="v6")
    p.send(T.at(0.2), udp_pkt(c6, 53004, d6, 53, dns_query(0x1004, "db.dns.podman")), [(f, False)])
    p.send(T.at(0.2004), udp_pkt(d6, 53, c6, 53004,
                                 dns_answer(0x1004, "db.dns.podman", "A", "10.88.0.4")),
           [(f, True)], reply=True)


def t_icmp_echo(g):
    T = Test(g, "icmp-echo")
    p = Path(T.pcap("icmp-echo.pcap"), Eth())
    a, b = "10.88.0.5", "10.88.0.1"
    f = T.flow("icmp", a, None, b, None, icmp=(8, 0), note="ping v4")
    for i in range(3):
        t = T.at(i * 1.0)
        p.send(t, mkip(a, b) / ICMP(type=8, id=0x77, seq=i + 1) / Raw(b"p" * 56), [(f, False)])
        p.send(t + 120 * US, mkip(b, a) / ICMP(type=0, id=0x77, seq=i + 1) / Raw(b"p" * 56),
               [(f, True)], reply=True)
    # the same pair also exchanges timestamp request/reply: a flow of its own (13/14)
    f = T.flow("icmp", a, None, b, None, icmp=(13, 0), note="timestamp")
    p.send(T.at(0.5), mkip(a, b) / ICMP(type=13, id=5, seq=1, ts_ori=76020000, ts_rx=0, ts_tx=0), [(f, False)])
    p.send(T.at(0.5001), mkip(b, a) / ICMP(type=14, id=5, seq=1, ts_ori=76020000, ts_rx=76020001, ts_tx=76020001), [(f, True)], reply=True)
    # the other ICMPv4 request/response pairs of the Community ID spec
    for req, rep_, t in ((10, 9, 1.1), (15, 16, 1.2), (17, 18, 1.3)):
        f = T.flow("icmp", a, None, b, None, icmp=(req, 0), note="pair %d/%d" % (req, rep_))
        p.send(T.at(t), mkip(a, b) / ICMP(type=req, id=6, seq=1) / Raw(b"\0" * 4), [(f, False)])
        p.send(T.at(t + 0.0001), mkip(b, a) / ICMP(type=rep_, id=6, seq=1) / Raw(b"\0" * 4),
               [(f, True)], reply=True)
    # an echo reply nobody asked for: its sender is the initiator
    f = T.flow("icmp", "10.88.0.7", None, a, None, icmp=(0, 0), note="lone reply")
    p.send(T.at(1.4), mkip("10.88.0.7", a) / ICMP(type=0, id=0x99, seq=7), [(f, False)])
    a6, b6 = "fd00:88::5", "fd00:88::1"
    # ICMPv6 pairs: MLD query/report, router solicitation/advertisement,
    # node information query/reply, home agent address discovery
    for req, rep_, t in ((ICMPv6MLQuery(mladdr="::"), ICMPv6MLReport(mladdr="ff02::fb"), 1.5),
                         (ICMPv6ND_RS(), ICMPv6ND_RA(), 1.6),
                         (ICMPv6NIQueryNOOP(nonce=b"nonce-01"), ICMPv6NIReplyNOOP(nonce=b"nonce-01"), 1.7),
                         (ICMPv6HAADRequest(id=5), ICMPv6HAADReply(id=5), 1.8)):
        f = T.flow("icmpv6", b6, None, a6, None, icmp=(bytes(req)[0], bytes(req)[1]), note="pair %d" % req.type)
        p.send(T.at(t), mkip(b6, a6, ttl=255) / req, [(f, False)])
        p.send(T.at(t + 0.0001), mkip(a6, b6, ttl=255) / rep_, [(f, True)], reply=True)
    f = T.flow("icmpv6", a6, None, b6, None, icmp=(128, 0), note="ping v6")
    for i in range(3):
        t = T.at(0.25 + i * 1.0)
        p.send(t, mkip(a6, b6) / ICMPv6EchoRequest(id=0x78, seq=i + 1, data=b"q" * 56), [(f, False)])
        p.send(t + 90 * US, mkip(b6, a6) / ICMPv6EchoReply(id=0x78, seq=i + 1, data=b"q" * 56),
               [(f, True)], reply=True)
    # neighbour discovery: solicitation to the solicited-node multicast group
    # and the advertisement back are different address pairs: two flows
    mac = mac_of(packed(a6))
    f = T.flow("icmpv6", a6, None, "ff02::1:ff00:1", None, icmp=(135, 0), note="NS mcast")
    p.send(T.at(0.1), mkip(a6, "ff02::1:ff00:1", ttl=255) / ICMPv6ND_NS(tgt=b6) /
           ICMPv6NDOptSrcLLAddr(lladdr=":".join("%02x" % x for x in mac)), [(f, False)])
    # the advertisement's sender is the initiator of its flow (first packet);
    # a later unicast NS/NA between the same two addresses belongs to that
    # same flow (135/136 is a request/response pair), the NS being a reply
    f = T.flow("icmpv6", b6, None, a6, None, icmp=(136, 0), note="NA first")
    p.send(T.at(0.1002), mkip(b6, a6, ttl=255) / ICMPv6ND_NA(tgt=b6, R=0, S=1, O=1) /
           ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01"), [(f, False)])
    p.send(T.at(2.6), mkip(a6, b6, ttl=255) / ICMPv6ND_NS(tgt=b6), [(f, True)], reply=True)
    p.send(T.at(2.6001), mkip(b6, a6, ttl=255) / ICMPv6ND_NA(tgt=b6, R=0, S=1, O=0), [(f, False)])


def t_icmp_oneway(g):
    T = Test(g, "icmp-oneway")
    p = Path(T.pcap("icmp-oneway.pcap"), Eth(pad=True))
    h, gw, far = "10.88.0.5", "10.88.0.1", "10.88.0.99"
    # two UDP probes to an unreachable host; the gateway answers host unreachable
    fu = T.flow("udp", h, 40000, "10.99.0.1", 9999, note="probe")
    fi = T.flow("icmp", gw, None, h, None, icmp=(3, 1), note="host unreach")
    for i in range(2):
        probe = udp_pkt(h, 40000, "10.99.0.1", 9999, b"probe")
        p.send(T.at(i * 0.5), probe, [(fu, False)])
        p.send(T.at(i * 0.5 + 0.001), mkip(gw, h) / ICMP(type=3, code=1) / Raw(bytes(probe)[:28]),
               [(fi, False)])
    # port unreachable from the target itself: another one-way flow
    fu = T.flow("udp", h, 40001, far, 7777, note="probe2")
    fi = T.flow("icmp", far, None, h, None, icmp=(3, 3), note="port unreach")
    probe = udp_pkt(h, 40001, far, 7777, b"x")
    p.send(T.at(1.0), probe, [(fu, False)])
    p.send(T.at(1.0002), mkip(far, h) / ICMP(type=3, code=3) / Raw(bytes(probe)[:28]), [(fi, False)])
    # the same message the other way round is a flow of its own
    fu = T.flow("udp", far, 40002, h, 7778, note="probe3")
    fi = T.flow("icmp", h, None, far, None, icmp=(3, 3), note="port unreach back")
    probe = udp_pkt(far, 40002, h, 7778, b"y")
    p.send(T.at(1.5), probe, [(fu, False)])
    p.send(T.at(1.5002), mkip(h, far) / ICMP(type=3, code=3) / Raw(bytes(probe)[:28]), [(fi, False)])
    # time exceeded from a router for a TCP SYN
    ft = T.flow("tcp", h, 40010, "192.0.2.80", 80, tcp_state="syn_sent", note="ttl syn")
    fi = T.flow("icmp", "10.88.0.254", None, h, None, icmp=(11, 0), note="ttl exceeded")
    syn = mkip(h, "192.0.2.80", ttl=1) / TCP(sport=40010, dport=80, flags="S", seq=1)
    p.send(T.at(2.0), syn, [(ft, False)])
    p.send(T.at(2.0004), mkip("10.88.0.254", h) / ICMP(type=11, code=0) / Raw(bytes(syn)[:28]),
           [(fi, False)])
    # ICMPv6 destination unreachable (port) and packet too big
    h6, far6 = "fd00:88::5", "fd00:88::99"
    fu = T.flow("udp", h6, 40020, far6, 7779, note="v6 probe")
    fi = T.flow("icmpv6", far6, None, h6, None, icmp=(1, 4), note="v6 port unreach")
    probe = udp_pkt(h6, 40020, far6, 7779, b"z")
    p.send(T.at(2.5), probe, [(fu, False)])
    p.send(T.at(2.5003), mkip(far6, h6) / ICMPv6DestUnreach(code=4) / Raw(bytes(probe)), [(fi, False)])
    fi = T.flow("icmpv6", "fd00:88::fe", None, h6, None, icmp=(2, 0), note="ptb")
    p.send(T.at(3.0), mkip("fd00:88::fe", h6) / ICMPv6PacketTooBig(mtu=1280) /
           Raw(bytes(mkip(h6, far6) / UDP(sport=1, dport=2) / Raw(b"b" * 200))[:1232]), [(fi, False)])


def t_vlan(g):
    T = Test(g, "vlan")
    cap = T.pcap("vlan.pcap")
    a, b = "10.1.0.1", "10.1.0.2"
    # the same UDP 5-tuple untagged, on VLAN 100 and on VLAN 200: three flows
    for tags, vl in (((), []), (((0x8100, 100),), [100]), (((0x8100, 200),), [200])):
        p = Path(cap, Eth(tags=tags, pad=True))
        f = T.flow("udp", a, 5000, b, 6000, vlan=vl, note="vlan %s" % vl)
        base = 0.1 * len(T.flows)
        p.send(T.at(base), udp_pkt(a, 5000, b, 6000, b"hello"), [(f, False)])
        p.send(T.at(base + 0.001), udp_pkt(b, 6000, a, 5000, b"world!"), [(f, True)], reply=True)
    # IPv6 on VLAN 300
    p = Path(cap, Eth(tags=((0x8100, 300),)))
    f = T.flow("udp", "fd00:1::1", 5001, "fd00:1::2", 6001, vlan=[300], note="v6 vlan")
    p.send(T.at(0.5), udp_pkt("fd00:1::1", 5001, "fd00:1::2", 6001, b"hello6"), [(f, False)])
    p.send(T.at(0.501), udp_pkt("fd00:1::2", 6001, "fd00:1::1", 5001, b"world6"), [(f, True)], reply=True)
    # QinQ: 802.1ad outer tag 10, 802.1Q inner tag 20
    p = Path(cap, Eth(tags=((0x88A8, 10), (0x8100, 20))))
    f = T.flow("tcp", "10.2.0.1", 43000, "10.2.0.2", 80, tcp_state="established", vlan=[10, 20],
               note="qinq")
    c = TcpConn(p, "10.2.0.1", 43000, "10.2.0.2", 80, f)
    c.exchange(c.open(T.at(1.0)) + MS, HTTP_GET, http_resp(300))
    # double 802.1Q (0x8100 twice, the pre-802.1ad way), with priority bits set
    p = Path(cap, Eth(tags=((0x8100, (5 << 13) | 30), (0x8100, 40))))
    f = T.flow("udp", "10.2.0.1", 43001, "10.2.0.2", 514, vlan=[30, 40], note="double 8100")
    p.send(T.at(1.5), udp_pkt("10.2.0.1", 43001, "10.2.0.2", 514, b"<14>hello"), [(f, False)])
    # same 5-tuple as the QinQ flow but on 10/21: another flow
    p = Path(cap, Eth(tags=((0x88A8, 10), (0x8100, 21))))
    f = T.flow("tcp", "10.2.0.1", 43000, "10.2.0.2", 80, tcp_state="syn_sent", vlan=[10, 21],
               note="qinq other inner")
    TcpConn(p, "10.2.0.1", 43000, "10.2.0.2", 80, f).send(T.at(2.0), True, "S")


def _sll_common(T, link, v6b="fd00:2::2"):
    cap = T.files[-1]
    p = Path(cap, link)
    f = T.flow("tcp", "10.3.0.1", 44000, "10.3.0.2", 8080, tcp_state="closed", end="fin", note="tcp")
    c = TcpConn(p, "10.3.0.1", 44000, "10.3.0.2", 8080, f)
    t = c.exchange(c.open(T.at(0.0)) + MS, b"GET / HTTP/1.0\r\n\r\n", http_resp(400))
    c.close(t + MS)
    f = T.flow("udp", "fd00:2::1", 45000, v6b, 123, note="ntp v6")
    p.send(T.at(0.5), udp_pkt("fd00:2::1", 45000, v6b, 123, b"\x23" + b"\0" * 47), [(f, False)])
    p.send(T.at(0.5002), udp_pkt(v6b, 123, "fd00:2::1", 45000, b"\x24" + b"\0" * 47), [(f, True)],
           reply=True)


def t_sll(g):
    T = Test(g, "sll")
    cap = T.pcap("sll.pcap", linktype=LINKTYPE_LINUX_SLL)
    # ARP on a cooked capture: no flow
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac_of(b"a") + packed("10.3.0.1") + \
        b"\0" * 6 + packed("10.3.0.2")
    cap.add(T.at(0.0) - 1 * MS, sll_frame(4, mac_of(b"a"), 0x0806, arp))
    _sll_common(T, SLL())


def t_sll2(g):
    T = Test(g, "sll2")
    cap = T.pcap("sll2.pcap", linktype=LINKTYPE_LINUX_SLL2)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac_of(b"a") + packed("10.3.0.1") + \
        b"\0" * 6 + packed("10.3.0.2")
    cap.add(T.at(0.0) - 1 * MS, sll2_frame(0x0806, 7, 4, mac_of(b"a"), arp))
    _sll_common(T, SLL2(ifindex=7))


def t_raw(g):
    T = Test(g, "raw")
    p = Path(T.pcap("raw.pcap", linktype=LINKTYPE_RAW), RawIP())
    f = T.flow("udp", "10.4.0.1", 46000, "10.4.0.2", 53, note="v4")
    p.send(T.at(0.0), udp_pkt("10.4.0.1", 46000, "10.4.0.2", 53, dns_query(7, "raw.example")), [(f, False)])
    p.send(T.at(0.001), udp_pkt("10.4.0.2", 53, "10.4.0.1", 46000,
                                dns_answer(7, "raw.example", "A", "10.4.0.9")), [(f, True)], reply=True)
    f = T.flow("tcp", "fd00:4::1", 46001, "fd00:4::2", 443, tcp_state="established", note="v6")
    c = TcpConn(p, "fd00:4::1", 46001, "fd00:4::2", 443, f)
    c.exchange(c.open(T.at(0.5)) + MS, b"\x16\x03\x01" + b"h" * 200, b"\x16\x03\x03" + b"s" * 1800)


def t_linktype_ip(g):
    T = Test(g, "linktype-ipv4-ipv6")
    p4 = Path(T.pcap("linktype-ipv4.pcap", linktype=LINKTYPE_IPV4), RawIP())
    f = T.flow("udp", "10.4.1.1", 46100, "10.4.1.2", 514, note="v4")
    p4.send(T.at(0.0), udp_pkt("10.4.1.1", 46100, "10.4.1.2", 514, b"<13>v4"), [(f, False)])
    p6 = Path(T.pcap("linktype-ipv6.pcap", linktype=LINKTYPE_IPV6), RawIP())
    f = T.flow("udp", "fd00:4:1::1", 46101, "fd00:4:1::2", 514, note="v6")
    p6.send(T.at(0.5), udp_pkt("fd00:4:1::1", 46101, "fd00:4:1::2", 514, b"<13>v6"), [(f, False)])


def _loopback_traffic(T, p, tag):
    f = T.flow("tcp", "127.0.0.1", 47000, "127.0.0.1", 5432, tcp_state="closed", end="fin",
               note=tag + " v4 same address")
    c = TcpConn(p, "127.0.0.1", 47000, "127.0.0.1", 5432, f)
    t = c.exchange(c.open(T.at(0.0)) + MS, b"Q" * 30, b"R" * 90)
    c.close(t + MS)
    f = T.flow("udp", "::1", 47001, "::1", 8125, note=tag + " v6 same address")
    p.send(T.at(0.5), udp_pkt("::1", 47001, "::1", 8125, b"requests:1|c"), [(f, False)])
    f = T.flow("udp", "::1", 8126, "::1", 47002, note=tag + " v6 same address lower port first")
    p.send(T.at(0.6), udp_pkt("::1", 8126, "::1", 47002, b"x:1|c"), [(f, False)])


def t_null(g):
    T = Test(g, "null")
    p = Path(T.pcap("null.pcap", linktype=LINKTYPE_NULL), Null("<", af6=30))
    _loopback_traffic(T, p, "null-le")
    # the other BSD values of AF_INET6 in the same file
    for i, af6 in enumerate((24, 28)):
        p2 = Path(p.cap, Null("<", af6=af6))
        f = T.flow("udp", "fd00:5::1", 47100 + i, "fd00:5::2", 9, note="af6=%d" % af6)
        p2.send(T.at(1.0 + i * 0.1), udp_pkt("fd00:5::1", 47100 + i, "fd00:5::2", 9, b"discard"),
                [(f, False)])


def t_null_be(g):
    T = Test(g, "null-be")
    p = Path(T.pcap("null-be.pcap", linktype=LINKTYPE_NULL, big_endian=True), Null(">", af6=30))
    _loopback_traffic(T, p, "null-be")


def t_loop(g):
    T = Test(g, "loop")
    p = Path(T.pcap("loop.pcap", linktype=LINKTYPE_LOOP), Loop(af6=24))
    _loopback_traffic(T, p, "loop")


def t_ipv4_options(g):
    T = Test(g, "ipv4-options")
    p = Path(T.pcap("ipv4-options.pcap"), Eth())
    # router alert (4 bytes) on a TCP connection
    ra = {"options": [IPOption(b"\x94\x04\x00\x00")]}
    f = T.flow("tcp", "10.5.0.1", 48000, "10.5.0.2", 80, tcp_state="closed", end="fin", note="RA")
    c = TcpConn(p, "10.5.0.1", 48000, "10.5.0.2", 80, f, ipkw=ra)
    t = c.exchange(c.open(T.at(0.0)) + MS, HTTP_GET, http_resp(200))
    c.close(t + MS)
    # maximum header: 40 bytes of options (record route with 9 slots + NOPs)
    rr = b"\x07\x27\x04" + b"\0" * 36 + b"\x01"
    f = T.flow("udp", "10.5.0.1", 48001, "10.5.0.2", 161, note="ihl 15")
    p.send(T.at(0.5), mkip("10.5.0.1", "10.5.0.2", options=[IPOption(rr)]) / UDP(sport=48001, dport=161) /
           Raw(b"\x30\x26snmp"), [(f, False)])
    p.send(T.at(0.5002), mkip("10.5.0.2", "10.5.0.1", options=[IPOption(rr)]) / UDP(sport=161, dport=48001) /
           Raw(b"\x30\x30snmpresp"), [(f, True)], reply=True)
    # ICMP echo with a timestamp option
    ts = b"\x44\x0c\x05\x00" + b"\0" * 8
    f = T.flow("icmp", "10.5.0.1", None, "10.5.0.3", None, icmp=(8, 0), note="icmp opts")
    p.send(T.at(1.0), mkip("10.5.0.1", "10.5.0.3", options=[IPOption(ts)]) / ICMP(type=8, id=1, seq=1),
           [(f, False)])
    p.send(T.at(1.0001), mkip("10.5.0.3", "10.5.0.1", options=[IPOption(ts)]) / ICMP(type=0, id=1, seq=1),
           [(f, True)], reply=True)


def t_ipv4_frag(g):
    T = Test(g, "ipv4-frag")
    p = Path(T.pcap("ipv4-frag.pcap"), Eth())
    # a 1208-byte UDP datagram in three fragments, in order, then a small reply
    f = T.flow("udp", "10.6.0.1", 5000, "10.6.0.2", 6000, note="in order")
    big = mkip("10.6.0.1", "10.6.0.2", id=100, flags=0) / UDP(sport=5000, dport=6000) / Raw(b"F" * 1200)
    frags = fragment(big, fragsize=480)
    assert len(frags) == 3
    for i, fr in enumerate(frags):
        p.send(T.at(0.0) + i * 10 * US, fr, [(f, False)])
    p.send(T.at(0.001), udp_pkt("10.6.0.2", 6000, "10.6.0.1", 5000, b"ok"), [(f, True)], reply=True)
    # a fragmented ping: request and reply both in fragments, one ICMP flow
    f = T.flow("icmp", "10.6.0.1", None, "10.6.0.3", None, icmp=(8, 0), note="big ping")
    req = mkip("10.6.0.1", "10.6.0.3", id=101, flags=0) / ICMP(type=8, id=9, seq=1) / Raw(b"P" * 900)
    rep = mkip("10.6.0.3", "10.6.0.1", id=7001, flags=0) / ICMP(type=0, id=9, seq=1) / Raw(b"P" * 900)
    for i, fr in enumerate(fragment(req, fragsize=480)):
        p.send(T.at(0.5) + i * 10 * US, fr, [(f, False)])
    for i, fr in enumerate(fragment(rep, fragsize=480)):
        p.send(T.at(0.501) + i * 10 * US, fr, [(f, True)], reply=True)
    # two datagrams of the same 5-tuple with different ids, interleaved
    f = T.flow("udp", "10.6.0.4", 5001, "10.6.0.5", 6001, note="interleaved ids")
    d1 = fragment(mkip("10.6.0.4", "10.6.0.5", id=200, flags=0) / UDP(sport=5001, dport=6001) /
                  Raw(b"a" * 800), fragsize=480)
    d2 = fragment(mkip("10.6.0.4", "10.6.0.5", id=201, flags=0) / UDP(sport=5001, dport=6001) /
                  Raw(b"b" * 800), fragsize=480)
    for i, fr in enumerate((d1[0], d2[0], d1[1], d2[1])):
        p.send(T.at(1.0) + i * 10 * US, fr, [(f, False)])


def t_ipv4_frag_ooo(g):
    T = Test(g, "ipv4-frag-ooo")
    p = Path(T.pcap("ipv4-frag-ooo.pcap"), Eth())
    # second fragment first: it goes to a port-less flow of the same addresses
    # and protocol; the first fragment and the third (after it) to the UDP flow
    fp = T.flow("udp", "10.6.1.1", None, "10.6.1.2", None, note="orphan")
    fu = T.flow("udp", "10.6.1.1", 5002, "10.6.1.2", 6002, note="ported")
    frags = fragment(mkip("10.6.1.1", "10.6.1.2", id=300, flags=0) / UDP(sport=5002, dport=6002) /
                     Raw(b"O" * 1300), fragsize=480)
    assert len(frags) == 3
    p.send(T.at(0.0), frags[1], [(fp, False)])
    p.send(T.at(0.0) + 10 * US, frags[0], [(fu, False)])
    p.send(T.at(0.0) + 20 * US, frags[2], [(fu, False)])
    p.send(T.at(0.002), udp_pkt("10.6.1.2", 6002, "10.6.1.1", 5002, b"ack"), [(fu, True)], reply=True)


def t_ipv6_ext(g):
    T = Test(g, "ipv6-ext")
    p = Path(T.pcap("ipv6-ext.pcap"), Eth())
    a, b = "fd00:6::1", "fd00:6::2"

    def chain():
        return (IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)]) /
                IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) /
                IPv6ExtHdrRouting(type=0, segleft=0, addresses=[]) /
                IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]))
    # UDP behind hop-by-hop, destination options, routing (segments left 0), destination options
    f = T.flow("udp", a, 49000, b, 7000, note="ext chain udp")
    p.send(T.at(0.0), mkip(a, b) / chain() / UDP(sport=49000, dport=7000) / Raw(b"u" * 20), [(f, False)])
    p.send(T.at(0.0002), mkip(b, a) / chain() / UDP(sport=7000, dport=49000) / Raw(b"v" * 20),
           [(f, True)], reply=True)
    # TCP behind a hop-by-hop header
    f = T.flow("tcp", a, 49001, b, 443, tcp_state="established", note="hbh tcp")
    c = TcpConn(p, a, 49001, b, 443, f,
                ext=lambda: IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]))
    c.exchange(c.open(T.at(0.5)) + MS, b"c" * 100, b"s" * 300)
    # ICMPv6 echo behind destination options
    f = T.flow("icmpv6", a, None, b, None, icmp=(128, 0), note="destopt ping")
    p.send(T.at(1.0), mkip(a, b) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) /
           ICMPv6EchoRequest(id=3, seq=1), [(f, False)])
    p.send(T.at(1.0001), mkip(b, a) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) /
           ICMPv6EchoReply(id=3, seq=1), [(f, True)], reply=True)


def t_ipv6_frag(g):
    T = Test(g, "ipv6-frag")
    p = Path(T.pcap("ipv6-frag.pcap"), Eth())
    a, b = "fd00:6::1", "fd00:6::2"
    # fragments in order, with a hop-by-hop header before the fragment header
    f = T.flow("udp", a, 49002, b, 7001, note="v6 frags")
    big = mkip(a, b) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]) / \
        IPv6ExtHdrFragment(id=0x01020304) / UDP(sport=49002, dport=7001) / Raw(b"W" * 1200)
    frags = fragment6(big, 600)
    assert len(frags) == 3
    for i, fr in enumerate(frags):
        p.send(T.at(0.0) + i * 10 * US, fr, [(f, False)])
    p.send(T.at(0.001), udp_pkt(b, 7001, a, 49002, b"ok"), [(f, True)], reply=True)
    # later fragment first: port-less flow
    c6 = "fd00:6::3"
    fp = T.flow("udp", c6, None, b, None, note="v6 orphan")
    fu = T.flow("udp", c6, 49003, b, 7002, note="v6 ported")
    frags = fragment6(mkip(c6, b) / IPv6ExtHdrFragment(id=0x0A0B0C0D) /
                      UDP(sport=49003, dport=7002) / Raw(b"Z" * 900), 600)
    assert len(frags) == 2
    p.send(T.at(0.5), frags[1], [(fp, False)])
    p.send(T.at(0.5) + 10 * US, frags[0], [(fu, False)])


def t_sctp(g):
    T = Test(g, "sctp")
    p = Path(T.pcap("sctp.pcap"), Eth())
    a, b = "10.7.0.1", "10.7.0.2"
    f = T.flow("sctp", a, 50000, b, 38412, note="association")
    pk = [(True, SCTPChunkInit(init_tag=0x11111111, a_rwnd=106496, n_out_streams=2, n_in_streams=2,
                                init_tsn=1)),
          (False, SCTPChunkInitAck(init_tag=0x22222222, a_rwnd=106496, n_out_streams=2,
                                   n_in_streams=2, init_tsn=100)),
          (True, SCTPChunkCookieEcho(cookie=b"C" * 32)),
          (False, SCTPChunkCookieAck()),
          (True, SCTPChunkData(tsn=1, stream_id=0, stream_seq=0, proto_id=60, data=b"NGAP" * 10)),
          (False, SCTPChunkSACK(cumul_tsn_ack=1, a_rwnd=106496)),
          (True, SCTPChunkShutdown(cumul_tsn_ack=99)),
          (False, SCTPChunkShutdownAck()),
          (True, SCTPChunkShutdownComplete())]
    for i, (fwd, chunk) in enumerate(pk):
        tag = 0 if i == 0 else (0x22222222 if fwd else 0x11111111)
        src, sp, dst, dp = (a, 50000, b, 38412) if fwd else (b, 38412, a, 50000)
        p.send(T.at(0.0) + i * 200 * US, mkip(src, dst) / SCTP(sport=sp, dport=dp, tag=tag) / chunk,
               [(f, not fwd)], reply=not fwd)
    f = T.flow("sctp", "fd00:7::1", 50001, "fd00:7::2", 3868, note="v6 init")
    p.send(T.at(1.0), mkip("fd00:7::1", "fd00:7::2") / SCTP(sport=50001, dport=3868, tag=0) /
           SCTPChunkInit(init_tag=0x33333333, init_tsn=5), [(f, False)])


def t_other_proto(g):
    T = Test(g, "other-proto")
    p = Path(T.pcap("other-proto.pcap"), Eth())
    # GRE with a payload that is not IP: one port-less gre flow
    f = T.flow("gre", "192.0.2.1", None, "192.0.2.2", None, note="gre")
    for i in range(2):
        p.send(T.at(i * 0.1), mkip("192.0.2.1", "192.0.2.2") / GRE(proto=0x88B5) / Raw(b"\xee" * 40),
               [(f, False)])
        p.send(T.at(i * 0.1 + 0.0002), mkip("192.0.2.2", "192.0.2.1") / GRE(proto=0x88B5) /
               Raw(b"\xef" * 40), [(f, True)], reply=True)
    # ESP
    f = T.flow("esp", "198.51.100.2", None, "198.51.100.1", None, note="esp")
    for i in range(2):
        p.send(T.at(0.5 + i * 0.01), mkip("198.51.100.2", "198.51.100.1") /
               ESP(spi=0x1000, seq=i + 1, data=b"\x55" * 64), [(f, False)])
    # an unassigned protocol number: proto is the number as a string
    f = T.flow("200", "203.0.113.9", None, "203.0.113.10", None, note="proto 200")
    p.send(T.at(1.0), mkip("203.0.113.9", "203.0.113.10", proto=200) / Raw(b"\0" * 12), [(f, False)])
    # GRE over IPv6
    f = T.flow("gre", "2001:db8::2", None, "2001:db8::1", None, note="gre6")
    p.send(T.at(1.5), IPv6(src="2001:db8::2", dst="2001:db8::1", nh=47) / GRE(proto=0x88B5) /
           Raw(b"\xee" * 20), [(f, False)])


def t_gre_ip(g):
    T = Test(g, "gre-ip")
    p = Path(T.pcap("gre-ip.pcap"), Eth())
    # GRE carrying IP is not a tunnel cnetmon opens (only VXLAN and Geneve):
    # one port-less gre flow of the outer addresses
    f = T.flow("gre", "192.0.2.1", None, "192.0.2.2", None, note="gre")
    for i in range(3):
        p.send(T.at(i * 0.1), mkip("192.0.2.1", "192.0.2.2") / GRE(proto=0x0800) /
               mkip("172.31.0.1", "172.31.0.2") / ICMP(type=8, id=4, seq=i), [(f, False)])
        p.send(T.at(i * 0.1 + 0.0002), mkip("192.0.2.2", "192.0.2.1") / GRE(proto=0x0800) /
               mkip("172.31.0.2", "172.31.0.1") / ICMP(type=0, id=4, seq=i), [(f, True)], reply=True)
    f = T.flow("gre", "2001:db8::2", None, "2001:db8::1", None, note="gre6")
    p.send(T.at(1.5), IPv6(src="2001:db8::2", dst="2001:db8::1", nh=47) / GRE(proto=0x86DD) /
           IPv6(src="fd00::1", dst="fd00::2", nh=59), [(f, False)])


def _tunnel_inner_tcp(T, tun, a, ap, b, bp, tunnel, t0, state="closed"):
    f = T.flow("tcp", a, ap, b, bp, tcp_state=state, end="fin" if state == "closed" else "eof",
               tunnel=tunnel, note="inner %s" % tunnel)
    c = TcpConn(tun, a, ap, b, bp, f)
    t = c.exchange(c.open(t0) + MS, HTTP_GET, http_resp(600))
    if state == "closed":
        c.close(t + MS)
    return f


def t_vxlan(g):
    T = Test(g, "vxlan")
    p = Path(T.pcap("vxlan.pcap"), Eth())
    va, vb = "172.16.0.1", "172.16.0.2"
    # VXLAN on 4789, VNI 42: outer UDP flows (one per direction) + inner TCP flow
    o1 = T.flow("udp", va, 50001, vb, 4789, note="outer a->b 4789")
    o2 = T.flow("udp", vb, 50002, va, 4789, note="outer b->a 4789")
    tun = Tunnel(p, "vxlan", 42, va, vb, 50001, 50002, 4789, (o1, o2))
    _tunnel_inner_tcp(T, tun, "10.244.1.5", 41000, "10.244.2.7", 80,
                      {"type": "vxlan", "vni": 42, "depth": 1}, T.at(0.0))
    # the same inner 5-tuple in VNI 43 (same outer flows): another inner flow
    tun43 = Tunnel(p, "vxlan", 43, va, vb, 50001, 50002, 4789, (o1, o2))
    _tunnel_inner_tcp(T, tun43, "10.244.1.5", 41000, "10.244.2.7", 80,
                      {"type": "vxlan", "vni": 43, "depth": 1}, T.at(0.5), state="established")
    # Linux/flannel VXLAN port 8472, VNI 1, ICMP echo inside
    o3 = T.flow("udp", va, 50003, vb, 8472, note="outer a->b 8472")
    o4 = T.flow("udp", vb, 50004, va, 8472, note="outer b->a 8472")
    tun = Tunnel(p, "vxlan", 1, va, vb, 50003, 50004, 8472, (o3, o4))
    f = T.flow("icmp", "10.244.1.5", None, "10.244.3.9", None, icmp=(8, 0),
               tunnel={"type": "vxlan", "vni": 1, "depth": 1}, note="inner ping 8472")
    for i in range(2):
        tun.send(T.at(1.0 + i * 0.5), mkip("10.244.1.5", "10.244.3.9") /
                 ICMP(type=8, id=11, seq=i) / Raw(b"i" * 32), [(f, False)])
        tun.send(T.at(1.0003 + i * 0.5), mkip("10.244.3.9", "10.244.1.5") /
                 ICMP(type=0, id=11, seq=i) / Raw(b"i" * 32), [(f, True)], reply=True)


def t_geneve(g):
    T = Test(g, "geneve")
    p = Path(T.pcap("geneve.pcap"), Eth())
    va, vb = "172.16.1.1", "172.16.1.2"
    o1 = T.flow("udp", va, 51001, vb, 6081, note="outer a->b")
    o2 = T.flow("udp", vb, 51002, va, 6081, note="outer b->a")
    opt = struct.pack("!HBB", 0x0102, 0x80, 2) + b"\x00\x00\x00\x2a" + b"\x00\x00\x00\x01"
    tun = Tunnel(p, "geneve", 0x123456, va, vb, 51001, 51002, 6081, (o1, o2), geneve_opts=opt)
    tn = {"type": "geneve", "vni": 0x123456, "depth": 1}
    _tunnel_inner_tcp(T, tun, "10.245.0.5", 42000, "10.245.0.6", 8080, tn, T.at(0.0))
    f = T.flow("udp", "fd00:245::5", 42001, "fd00:245::6", 53, tunnel=tn, note="inner v6 udp")
    tun.send(T.at(0.5), udp_pkt("fd00:245::5", 42001, "fd00:245::6", 53,
                                dns_query(99, "svc.cluster.local")), [(f, False)])
    tun.send(T.at(0.5004), udp_pkt("fd00:245::6", 53, "fd00:245::5", 42001,
                                   dns_answer(99, "svc.cluster.local", "A", "10.96.0.10")),
             [(f, True)], reply=True)
    # Geneve without options, VNI 7
    tun7 = Tunnel(p, "geneve", 7, va, vb, 51001, 51002, 6081, (o1, o2))
    f = T.flow("udp", "10.245.0.5", 42002, "10.245.0.6", 9999,
               tunnel={"type": "geneve", "vni": 7, "depth": 1}, note="inner vni 7")
    tun7.send(T.at(1.0), udp_pkt("10.245.0.5", 42002, "10.245.0.6", 9999, b"no options"), [(f, False)])


def t_pcapng_multi(g):
    T = Test(g, "pcapng-multi")
    cap = T.pcapng("pcapng-multi.pcapng")
    cap.section()
    e0 = cap.iface(LINKTYPE_ETHERNET, "eth0", descr="uplink")
    s1 = cap.iface(LINKTYPE_LINUX_SLL, "any", tsresol=9)
    r2 = cap.iface(LINKTYPE_RAW, "tun0")
    n3 = cap.iface(LINKTYPE_LINUX_SLL2)               # no if_name
    cap.nrb([("10.8.0.2", ["web.example"]), ("fd00:8::2", ["web6.example"])])
    pe, ps, pr, pn = Path(cap, Eth(), e0), Path(cap, SLL(), s1), Path(cap, RawIP(), r2), \
        Path(cap, SLL2(), n3)
    # eth0: TCP
    f = T.flow("tcp", "10.8.0.1", 52000, "10.8.0.2", 80, tcp_state="closed", end="fin", note="eth0")
    c = TcpConn(pe, "10.8.0.1", 52000, "10.8.0.2", 80, f)
    t = c.open(T.at(0.0))
    # any (SLL, ns timestamps, truncated to microseconds in records)
    f2 = T.flow("udp", "10.8.1.1", 52001, "10.8.1.2", 53, note="any ns")
    ps.send(T.at(0.005) + 123457, udp_pkt("10.8.1.1", 52001, "10.8.1.2", 53,
                                                               dns_query(5, "x.example")), [(f2, False)])
    cap.custom(0x00000BAD, b"unknown block a reader must skip")
    t = c.exchange(t + 10 * MS, HTTP_GET, http_resp(500))
    c.close(t + MS)
    ps.send(T.at(0.03) + 999, udp_pkt("10.8.1.2", 53, "10.8.1.1", 52001,
                                      dns_answer(5, "x.example", "A", "10.8.0.2")),
            [(f2, True)], reply=True)
    # tun0: ICMPv6 echo over raw IP
    f = T.flow("icmpv6", "fd00:8::1", None, "fd00:8::2", None, icmp=(128, 0), note="tun0")
    pr.send(T.at(0.3), mkip("fd00:8::1", "fd00:8::2") / ICMPv6EchoRequest(id=1, seq=1), [(f, False)])
    pr.send(T.at(0.3001), mkip("fd00:8::2", "fd00:8::1") / ICMPv6EchoReply(id=1, seq=1), [(f, True)],
            reply=True)
    # a flow whose first packet is on tun0 and the rest on eth0: interface tun0
    f = T.flow("udp", "10.9.0.1", 7000, "10.9.0.2", 7001, note="tun0 then eth0")
    pr.send(T.at(0.4), udp_pkt("10.9.0.1", 7000, "10.9.0.2", 7001, b"first"), [(f, False)])
    pe.send(T.at(0.4002), udp_pkt("10.9.0.2", 7001, "10.9.0.1", 7000, b"back"), [(f, True)], reply=True)
    pe.send(T.at(0.4004), udp_pkt("10.9.0.1", 7000, "10.9.0.2", 7001, b"again"), [(f, False)])
    # an interface without a name: interface null; an EPB with a comment and flags option
    f = T.flow("tcp", "10.10.0.1", 52002, "10.10.0.2", 22, tcp_state="syn_received", note="noname")
    c = TcpConn(pn, "10.10.0.1", 52002, "10.10.0.2", 22, f)
    c.send(T.at(0.5), True, "S")
    cap.add(T.at(0.5002), SLL2().wrap(bytes(mkip("10.10.0.2", "10.10.0.1") /
                                            TCP(sport=22, dport=52002, flags="SA", seq=9, ack=c.seq[0])),
                                      True), [(f, True)], iface=n3, comment="syn-ack", flags=1)
    cap.isb(e0, T.at(0.6), 20, 0)


def t_pcapng_sections(g):
    T = Test(g, "pcapng-sections")
    cap = T.pcapng("pcapng-sections.pcapng")
    cap.section(big_endian=False)
    e0 = cap.iface(LINKTYPE_ETHERNET, "eth0")
    pe = Path(cap, Eth(), e0)
    f = T.flow("udp", "10.11.0.1", 53000, "10.11.0.2", 514, note="section 1 only")
    for i in range(3):
        pe.send(T.at(i * 0.1), udp_pkt("10.11.0.1", 53000, "10.11.0.2", 514, b"<14>msg %d" % i),
                [(f, False)])
    fspan = T.flow("tcp", "10.11.0.1", 53001, "10.11.0.3", 80, tcp_state="closed", end="fin",
                   note="spans sections")
    c = TcpConn(pe, "10.11.0.1", 53001, "10.11.0.3", 80, fspan)
    t = c.open(T.at(0.5))
    # second section, big-endian; interface numbering starts again
    cap.section(big_endian=True)
    w0 = cap.iface(LINKTYPE_RAW, "wg0", tsresol=9)
    e1 = cap.iface(LINKTYPE_ETHERNET, "eth1")
    c.path = Path(cap, Eth(), e1)
    t = c.exchange(t + 10 * MS, HTTP_GET, http_resp(300))
    c.close(t + MS)
    f = T.flow("udp", "10.12.0.1", 53002, "10.12.0.2", 51820, note="wg0")
    Path(cap, RawIP(), w0).send(T.at(1.0) + 1, udp_pkt("10.12.0.1", 53002, "10.12.0.2", 51820,
                                                       b"\x01" + b"\0" * 147), [(f, False)])
    f = T.flow("udp", "10.11.0.5", 53003, "10.11.0.6", 123, note="eth1")
    Path(cap, Eth(), e1).send(T.at(1.2), udp_pkt("10.11.0.5", 53003, "10.11.0.6", 123, b"\x23" + b"\0" * 47),
                              [(f, False)])


def t_split(g):
    T = Test(g, "split-files")
    pa = Path(T.pcap("split-a.pcap"), Eth())
    ft = T.flow("tcp", "10.13.0.1", 54000, "10.13.0.2", 80, tcp_state="closed", end="fin", note="tcp")
    c = TcpConn(pa, "10.13.0.1", 54000, "10.13.0.2", 80, ft)
    t = c.open(T.at(0.0))
    c.send(t + MS, True, "PA", HTTP_GET)
    fu = T.flow("udp", "10.13.0.1", 54001, "10.13.0.3", 8125, note="udp")
    for i in range(3):
        pa.send(T.at(0.1 + 0.1 * i), udp_pkt("10.13.0.1", 54001, "10.13.0.3", 8125, b"hits:1|c"),
                [(fu, False)])
    # the second file is a nanosecond pcap of the same link
    pb = Path(T.pcap("split-b.pcap", nsec=True), Eth())
    c.path = pb
    t = T.at(1.0) + 1
    resp = http_resp(2900)
    for off in range(0, len(resp), 1448):
        c.send(t, False, "PA", resp[off:off + 1448])
        t += 20 * US
    c.send(t, True, "A")
    c.close(t + MS, a_first=False)
    for i in range(2):
        pb.send(T.at(1.5 + 0.1 * i) + 7, udp_pkt("10.13.0.1", 54001, "10.13.0.3", 8125, b"hits:1|c"),
                [(fu, False)])
    fb = T.flow("udp", "10.13.0.3", 54002, "10.13.0.1", 53, note="only in b")
    pb.send(T.at(1.8), udp_pkt("10.13.0.3", 54002, "10.13.0.1", 53, dns_query(1, "b.example")),
            [(fb, False)])


def t_idle(g):
    T = Test(g, "idle-timeout", options="--timeout udp=10 --timeout icmp=5",
             timeouts={"udp": 10, "icmp": 5})
    p = Path(T.pcap("idle-timeout.pcap"), Eth())
    a, b = "10.14.0.1", "10.14.0.2"
    # UDP: 3 packets, a 25 s gap (> 10 s), then the other side speaks first
    f1 = T.flow("udp", a, 55000, b, 55001, end="idle", note="before gap")
    f2 = T.flow("udp", b, 55001, a, 55000, end="eof", note="after gap, reversed")
    p.send(T.at(0.0), udp_pkt(a, 55000, b, 55001, b"one"), [(f1, False)])
    p.send(T.at(0.5), udp_pkt(b, 55001, a, 55000, b"two"), [(f1, True)], reply=True)
    p.send(T.at(1.0), udp_pkt(a, 55000, b, 55001, b"three"), [(f1, False)])
    p.send(T.at(26.0), udp_pkt(b, 55001, a, 55000, b"four"), [(f2, False)])
    p.send(T.at(26.5), udp_pkt(a, 55000, b, 55001, b"five"), [(f2, True)], reply=True)
    # UDP with 8 s gaps (< 10 s): a single flow
    f = T.flow("udp", a, 55002, b, 55003, end="eof", note="short gaps")
    for i in range(4):
        p.send(T.at(2.0 + 8 * i), udp_pkt(a, 55002, b, 55003, b"keepalive"), [(f, False)])
    # ICMP with icmp=5: a 7 s gap splits it
    f1 = T.flow("icmp", a, None, b, None, icmp=(8, 0), end="idle", note="ping 1")
    f2 = T.flow("icmp", a, None, b, None, icmp=(8, 0), end="eof", note="ping 2")
    for f, t in ((f1, 3.0), (f2, 10.0), (f2, 13.5), (f2, 17.0), (f2, 20.5), (f2, 24.0), (f2, 26.2)):
        p.send(T.at(t), mkip(a, b) / ICMP(type=8, id=1, seq=int(t)), [(f, False)])
        p.send(T.at(t) + 100 * US, mkip(b, a) / ICMP(type=0, id=1, seq=int(t)), [(f, True)], reply=True)
    # TCP is not affected by the udp timeout: 24 s without a packet is fine (tcp=300)
    f = T.flow("tcp", a, 55004, b, 22, tcp_state="established", end="eof", note="tcp quiet")
    c = TcpConn(p, a, 55004, b, 22, f)
    c.open(T.at(0.2))
    c.send(T.at(24.2), True, "PA", b"x" * 48)
    c.send(T.at(24.2) + 200 * US, False, "A")


def t_active(g):
    T = Test(g, "active-timeout", options="--timeout active=10", timeouts={"active": 10})
    p = Path(T.pcap("active-timeout.pcap"), Eth())
    a, b = "10.15.0.1", "10.15.0.2"
    # Packets every ~3 s for 34 s. Each part starts at its first packet and a
    # packet arriving more than 10 s after that starts the next part. The first
    # packet of each later part comes a few ms after a multiple of 10 s, so the
    # parts are the same whether a part is timed from its first packet or from
    # the moment the previous part was cut.
    times = [0.0, 0.0003, 0.00035, 3.0, 6.0, 9.0, 9.9,
             10.002, 13.0, 16.0, 19.0, 19.9,
             20.004, 23.0, 26.0, 29.0, 29.9,
             30.006, 33.0]
    parts, start = [], None
    for t in times:
        if start is None or t - start > 10:
            start = t
            parts.append([])
        parts[-1].append(t)
    assert [len(x) for x in parts] == [7, 5, 5, 2]
    flows = [T.flow("tcp", a, 56000, b, 443, tcp_state="established" if i < 3 else "closed",
                    end="active" if i < 3 else "fin", part=i + 1, note="part %d" % (i + 1))
             for i in range(4)]
    c = TcpConn(p, a, 56000, b, 443, flows[0])
    pi = 0
    for i, t in enumerate(times):
        while t not in parts[pi]:
            pi += 1
        c.flow = flows[pi]
        if i == 0:
            c.send(T.at(t), True, "S")
        elif i == 1:
            c.send(T.at(t), False, "SA")
        elif i == 2:
            c.send(T.at(t), True, "A")
        else:
            c.send(T.at(t), i % 2 == 1, "PA", b"d" * 100)
    # close inside part 4
    c.flow = flows[3]
    c.close(T.at(33.5))
    # a UDP flow is split the same way (first packets of later parts just
    # after a multiple of 10 s from the flow's start, as above)
    ut = [1.0, 4.0, 7.0, 10.0, 11.002, 14.0, 17.0, 20.0, 21.004, 24.0]
    uparts = [ut[:4], ut[4:8], ut[8:]]
    ufl = [T.flow("udp", b, 56002, a, 514, end="active" if i < 2 else "eof", part=i + 1,
                  note="udp part %d" % (i + 1)) for i in range(3)]
    for i, part in enumerate(uparts):
        for t in part:
            p.send(T.at(t), udp_pkt(b, 56002, a, 514, b"<14>tick"), [(ufl[i], False)])
    # a short UDP flow inside the same capture is a single part
    f = T.flow("udp", a, 56001, b, 53, note="short udp")
    p.send(T.at(15.0), udp_pkt(a, 56001, b, 53, dns_query(3, "a.example")), [(f, False)])
    p.send(T.at(15.001), udp_pkt(b, 53, a, 56001, dns_answer(3, "a.example", "A", "10.15.0.9")),
           [(f, True)], reply=True)


def t_max_flows(g):
    T = Test(g, "max-flows", options="--max-flows 4")
    p = Path(T.pcap("max-flows.pcap"), Eth())
    h = "10.16.0.1"
    f1 = T.flow("udp", h, 57001, "10.16.0.2", 53, end="eof", note="F1 refreshed")
    f2 = T.flow("tcp", h, 57002, "10.16.0.3", 80, tcp_state="established", end="evicted", note="F2")
    f3 = T.flow("icmp", h, None, "10.16.0.4", None, icmp=(8, 0), end="evicted", note="F3")
    f4 = T.flow("udp", h, 57004, "10.16.0.5", 123, end="evicted", note="F4")
    f5 = T.flow("udp", h, 57005, "10.16.0.6", 514, end="eof", note="F5")
    f6 = T.flow("udp", h, 57006, "10.16.0.7", 514, end="eof", note="F6")
    f2b = T.flow("tcp", h, 57002, "10.16.0.3", 80, tcp_state="established", midstream=True,
                 end="eof", note="F2 again, midstream")
    p.send(T.at(0.0), udp_pkt(h, 57001, "10.16.0.2", 53, dns_query(1, "f1.example")), [(f1, False)])
    c = TcpConn(p, h, 57002, "10.16.0.3", 80, f2)
    c.open(T.at(1.0))
    p.send(T.at(2.0), mkip(h, "10.16.0.4") / ICMP(type=8, id=2, seq=1), [(f3, False)])
    p.send(T.at(2.0001), mkip("10.16.0.4", h) / ICMP(type=0, id=2, seq=1), [(f3, True)], reply=True)
    p.send(T.at(3.0), udp_pkt(h, 57004, "10.16.0.5", 123, b"\x23" + b"\0" * 47), [(f4, False)])
    # F1 is seen again: now F2 (last seen 1.00035 s) is the least recently seen
    p.send(T.at(4.0), udp_pkt("10.16.0.2", 53, h, 57001,
                              dns_answer(1, "f1.example", "A", "10.16.0.99")), [(f1, True)], reply=True)
    # F5 needs a slot: F2 is evicted; F6: F3 is evicted
    p.send(T.at(5.0), udp_pkt(h, 57005, "10.16.0.6", 514, b"<14>five"), [(f5, False)])
    p.send(T.at(6.0), udp_pkt(h, 57006, "10.16.0.7", 514, b"<14>six"), [(f6, False)])
    # F2's connection goes on: a new, mid-stream flow; F4 is evicted for it
    c.flow = f2b
    c.send(T.at(7.0), True, "PA", HTTP_GET)
    c.send(T.at(7.0004), False, "PA", http_resp(200))


def t_nsec(g):
    T = Test(g, "nsec")
    p = Path(T.pcap("nsec.pcap", nsec=True), Eth())
    f = T.flow("udp", "10.17.0.1", 58000, "10.17.0.2", 4739, note="ns")
    # microseconds are truncated, not rounded: .123456789 -> .123456, .999999999 -> .999999
    p.send(T.at(0.0) + 123456789, udp_pkt("10.17.0.1", 58000, "10.17.0.2", 4739, b"ipfix"), [(f, False)])
    p.send(T.at(0.0) + 999999999, udp_pkt("10.17.0.2", 4739, "10.17.0.1", 58000, b"ok"), [(f, True)],
           reply=True)
    f = T.flow("tcp", "10.17.0.1", 58001, "10.17.0.2", 80, tcp_state="syn_sent", note="ns tcp")
    TcpConn(p, "10.17.0.1", 58001, "10.17.0.2", 80, f).send(T.at(1.0) + 500, True, "S")


def t_snaplen(g):
    T = Test(g, "snaplen")
    cap = T.pcap("snaplen.pcap", snaplen=96)
    p = Path(cap, Eth())
    # bytes are wire lengths, even where only 96 bytes of a frame were captured
    f = T.flow("tcp", "10.18.0.1", 59000, "10.18.0.2", 80, tcp_state="closed", end="fin", note="snap")
    c = TcpConn(p, "10.18.0.1", 59000, "10.18.0.2", 80, f)
    t = c.exchange(c.open(T.at(0.0)) + MS, HTTP_GET, http_resp(5000))
    c.close(t + MS)
    f = T.flow("udp", "fd00:18::1", 59001, "fd00:18::2", 9000, note="snap v6")
    p.send(T.at(0.5), udp_pkt("fd00:18::1", 59001, "fd00:18::2", 9000, b"J" * 1400), [(f, False)])


def t_non_ip(g):
    T = Test(g, "non-ip")
    cap = T.pcap("non-ip.pcap")
    m1, m2 = mac_of(b"1"), mac_of(b"2")
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + m1 + packed("10.19.0.1") + b"\0" * 6 + \
        packed("10.19.0.2")
    cap.add(T.at(0.0), eth_frame(b"\xff" * 6, m1, 0x0806, arp, pad=True))
    arp2 = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + m2 + packed("10.19.0.2") + m1 + packed("10.19.0.1")
    cap.add(T.at(0.0001), eth_frame(m1, m2, 0x0806, arp2, pad=True))
    # STP BPDU (802.3 length + LLC)
    bpdu = b"\x42\x42\x03" + b"\0\0\0\0\0" + b"\x80\x00" + m1 + b"\0" * 4 + b"\x80\x00" + m1 + \
        b"\x80\x01" + b"\0\x01\0\x14\0\x02\0\x0f\0"
    cap.add(T.at(0.5), b"\x01\x80\xc2\x00\x00\x00" + m1 + struct.pack("!H", len(bpdu)) + bpdu +
            b"\0" * 8)
    # LLDP
    lldp = b"\x02\x07\x04" + m1 + b"\x04\x03\x07p1" + b"\x06\x02\x00\x78" + b"\x00\x00"
    cap.add(T.at(1.0), eth_frame(b"\x01\x80\xc2\x00\x00\x0e", m1, 0x88CC, lldp, pad=True))
    # ARP inside a VLAN
    cap.add(T.at(1.2), eth_frame(b"\xff" * 6, m1, 0x0806, arp, tags=((0x8100, 100),), pad=True))
    # one IP flow among them
    f = T.flow("udp", "10.19.0.1", 60000, "10.19.0.2", 69, note="tftp")
    Path(cap, Eth(pad=True)).send(T.at(1.5), udp_pkt("10.19.0.1", 60000, "10.19.0.2", 69,
                                                     b"\0\x01file\0octet\0"), [(f, False)])


def t_tcp_linger(g):
    T = Test(g, "tcp-linger")
    p = Path(T.pcap("tcp-linger.pcap"), Eth())
    a, b = "10.20.0.1", "10.20.0.2"
    # closed at ~0.01 s; a retransmitted FIN 1 s later is absorbed by the
    # closed flow (it lingers 5 s); the same ports 10 s later are a new flow
    f = T.flow("tcp", a, 61000, b, 80, tcp_state="closed", end="fin", note="first")
    c = TcpConn(p, a, 61000, b, 80, f)
    t = c.exchange(c.open(T.at(0.0)) + MS, HTTP_GET, http_resp(100))
    c.close(t + MS, a_first=False)
    c.seq[1] -= 1
    c.send(T.at(1.0), False, "FA")
    c.send(T.at(1.0003), True, "A")
    f = T.flow("tcp", a, 61000, b, 80, tcp_state="established", end="eof", note="reused ports")
    c = TcpConn(p, a, 61000, b, 80, f)
    c.seq = [c.seq[0] + 100000, c.seq[1] + 200000]
    c.exchange(c.open(T.at(10.0)) + MS, HTTP_GET, http_resp(100))
    # reset at 0.5 s, a stray ACK from the server at 0.8 s is counted in the
    # reset flow; a SYN on the same ports at 12 s opens a new flow
    f = T.flow("tcp", a, 61001, b, 5432, tcp_state="reset", end="rst", note="reset")
    c = TcpConn(p, a, 61001, b, 5432, f)
    c.open(T.at(0.3))
    c.send(T.at(0.5), True, "R")
    c.send(T.at(0.8), False, "A")
    f = T.flow("tcp", a, 61001, b, 5432, tcp_state="syn_received", end="eof", note="after reset")
    c = TcpConn(p, a, 61001, b, 5432, f)
    c.seq = [c.seq[0] + 7777, c.seq[1] + 9999]
    c.send(T.at(12.0), True, "S")
    c.send(T.at(12.0002), False, "SA")


def t_idle_tcp(g):
    T = Test(g, "idle-tcp", options="--timeout tcp=20 --timeout tcp-opening=5 --timeout other=5",
             timeouts={"tcp": 20, "tcp-opening": 5, "other": 5})
    p = Path(T.pcap("idle-tcp.pcap"), Eth())
    a, b = "10.21.0.1", "10.21.0.2"
    # established, then 29 s of silence (> tcp=20): the flow ends idle; the
    # server's next segment starts a new, mid-stream flow (client guessed from ports)
    f1 = T.flow("tcp", a, 62000, b, 80, tcp_state="established", end="idle", note="before")
    f2 = T.flow("tcp", a, 62000, b, 80, tcp_state="established", midstream=True, end="eof",
                note="after, midstream")
    c = TcpConn(p, a, 62000, b, 80, f1)
    t = c.exchange(c.open(T.at(0.0)) + MS, HTTP_GET, http_resp(100))
    c.flow = f2
    c.send(T.at(30.0), False, "PA", b"late data")
    c.send(T.at(30.0002), True, "A")
    # an unanswered SYN retried after 7.5 s (> tcp-opening=5): two flows
    g1 = T.flow("tcp", a, 62001, b, 443, tcp_state="syn_sent", end="idle", note="syn 1")
    g2 = T.flow("tcp", a, 62001, b, 443, tcp_state="established", end="eof", note="syn 2")
    c = TcpConn(p, a, 62001, b, 443, g1)
    c.send(T.at(0.5), True, "S")
    c.seq[0] -= 1
    c.flow = g2
    t = c.open(T.at(8.0))
    c.exchange(T.at(25.0), b"\x16\x03\x01" + b"\x01" * 50, b"\x16\x03\x03" + b"\x02" * 80)
    # GRE with other=5: a 7 s gap splits it, 3.5 s gaps do not
    h1 = T.flow("gre", "192.0.2.11", None, "192.0.2.12", None, end="idle", note="gre 1")
    h2 = T.flow("gre", "192.0.2.11", None, "192.0.2.12", None, end="eof", note="gre 2")
    for f, t in ((h1, 1.0), (h1, 2.0), (h2, 9.0), (h2, 12.5), (h2, 16.0), (h2, 19.5), (h2, 23.0),
                 (h2, 26.5), (h2, 30.0)):
        p.send(T.at(t), mkip("192.0.2.11", "192.0.2.12") / GRE(proto=0x88B5) / Raw(b"k" * 20),
               [(f, False)])


def t_pcapng_ts(g):
    T = Test(g, "pcapng-ts")
    cap = T.pcapng("pcapng-ts.pcapng")
    cap.section()
    # if_tsoffset: timestamps in the blocks are relative to 3600 s
    i0 = cap.iface(LINKTYPE_ETHERNET, "eth0", tsoffset=3600)
    # if_tsresol 0x94: units of 2^-20 s
    i1 = cap.iface(LINKTYPE_ETHERNET, "eth1", tsresol=0x80 | 20)
    # if_tsresol 3: milliseconds
    i2 = cap.iface(LINKTYPE_ETHERNET, "eth2", tsresol=3)
    for i, (ifc, t1, t2) in enumerate(((i0, 0.25, 0.5), (i1, 0.5, 0.515625), (i2, 1.0, 1.234))):
        f = T.flow("udp", "10.22.0.1", 63000 + i, "10.22.0.2", 53, note="iface %d" % i)
        pp = Path(cap, Eth(), ifc)
        pp.send(T.at(t1), udp_pkt("10.22.0.1", 63000 + i, "10.22.0.2", 53, dns_query(i + 1, "t.example")),
                [(f, False)])
        pp.send(T.at(t2), udp_pkt("10.22.0.2", 53, "10.22.0.1", 63000 + i,
                                  dns_answer(i + 1, "t.example", "A", "10.22.0.9")), [(f, True)],
                reply=True)


# --------------------------------------------------------------------------
# Demo: a podman bridge (10.88.0.0/16, fd00:88::/64) seen on podman0
# --------------------------------------------------------------------------
def t_demo(g):
    T = Test(g, "demo")
    rnd = random.Random(20261126)
    cap = T.pcapng("demo.pcapng")
    cap.section(appl="cnetmon demo capture (synthetic podman bridge)")
    br = cap.iface(LINKTYPE_ETHERNET, "podman0", descr="podman bridge 10.88.0.1/16")
    p = Path(cap, Eth(), br)
    GW, WEB, API, DB, REDIS, WORKER = ("10.88.0.1", "10.88.0.2", "10.88.0.3", "10.88.0.4",
                                       "10.88.0.5", "10.88.0.6")
    WEB6, GW6 = "fd00:88::2", "fd00:88::1"
    PAY = "198.51.100.20"
    META = "169.254.169.254"
    events = []   # (time, seq, callable): traffic of many connections, interleaved

    def at(sec, fn):
        events.append((sec, len(events), fn))

    eph = {"n": 32768}

    def port():
        eph["n"] += rnd.randint(1, 97)
        return eph["n"]

    def tcp_session(t, a, b, bp, exchanges, close=True, refused=False, ipkw=None, note=""):
        ap = port()
        state = "reset" if refused else ("closed" if close else "established")
        f = T.flow("tcp", a, ap, b, bp, tcp_state=state, end={"reset": "rst", "closed": "fin"}.get(
            state), note=note)
        c = TcpConn(p, a, ap, b, bp, f, ipkw=ipkw)
        if refused:
            at(t, lambda: (c.send(T.at(t), True, "S", opts=[("MSS", 1460)]),
                           c.send(T.at(t) + 150 * US, False, "RA")))
            return f

        def run():
            x = c.open(T.at(t), rtt=rnd.randint(80, 400) * US)
            for req, resp, think in exchanges:
                x = c.exchange(x + think, req, resp, rtt=rnd.randint(200, 3000) * US)
            if close:
                c.close(x + rnd.randint(1, 20) * MS, a_first=rnd.random() < 0.7)
        at(t, run)
        return f

    def dns(t, a, name, qtype, answer, v6=False):
        ap = port()
        f = T.flow("udp", a, ap, GW, 53, note="dns " + name)
        qid = rnd.randint(1, 65535)

        def run():
            p.send(T.at(t), udp_pkt(a, ap, GW, 53, dns_query(qid, name, qtype)), [(f, False)])
            p.send(T.at(t) + rnd.randint(100, 900) * US,
                   udp_pkt(GW, 53, a, ap, dns_answer(qid, name, qtype, answer)), [(f, True)], reply=True)
        at(t, run)

    # external clients to the web frontend (published port, DNAT without masquerade)
    for i in range(28):
        t = 0.5 + i * 1.6 + rnd.random() * 0.3
        client = "203.0.113.%d" % rnd.randint(2, 250)
        reqs = [(b"GET /%s HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\n\r\n" %
                 rnd.choice([b"", b"cart", b"item/42", b"static/app.js"]),
                 http_resp(rnd.randint(60, 360)), rnd.randint(1, 30) * MS)
                for _ in range(rnd.choice([1, 1, 2]))]
        tcp_session(t, client, WEB, 80, reqs, note="client %d" % i)
        # the frontend calls the api for most requests, on a new connection
        if i % 3 != 2:
            dns(t + 0.002, WEB, "api.dns.podman", "A", API) if i % 6 == 0 else None
            tcp_session(t + 0.004, WEB, API, 8080,
                        [(b"GET /v1/items HTTP/1.1\r\nHost: api:8080\r\n\r\n",
                          http_resp(rnd.randint(40, 200), b"application/json"), 0)],
                        note="web->api %d" % i)
    # api: a pooled postgres connection and a redis connection that stay open
    pg = T.flow("tcp", API, 41500, DB, 5432, tcp_state="established", note="pg pool")
    cpg = TcpConn(p, API, 41500, DB, 5432, pg)
    rd = T.flow("tcp", API, 41600, REDIS, 6379, tcp_state="established", note="redis")
    crd = TcpConn(p, API, 41600, REDIS, 6379, rd)
    at(0.2, lambda: cpg.exchange(cpg.open(T.at(0.2)) + MS, b"\0\0\0\x08\x04\xd2\x16\x2f",
                                 b"S", rtt=200 * US))
    at(0.25, lambda: crd.open(T.at(0.25)))
    for i in range(52):
        t = 0.6 + i * 0.88 + rnd.random() * 0.05
        q = b"Q\0\0\0\x30SELECT id,name,price FROM items WHERE id=%d;\0" % rnd.randint(1, 999)
        at(t, (lambda t=t, q=q: cpg.exchange(T.at(t), q, b"T" + b"\0" * rnd.randint(30, 110) +
                                             b"C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05I",
                                             rtt=rnd.randint(300, 1500) * US)))
        if i % 3 == 0:
            key = b"item:%d" % rnd.randint(1, 999)
            at(t + 0.01, (lambda t=t, key=key: crd.exchange(
                T.at(t + 0.01), b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key),
                b"$-1\r\n" if rnd.random() < 0.3 else b"$24\r\n{\"price\":1999,\"stock\":7}\r\n",
                rtt=rnd.randint(80, 300) * US)))
    # api -> payment provider over TLS, after resolving it
    for i, t in enumerate((5.0, 21.0, 38.0)):
        dns(t, API, "api.payments.example", "A", PAY)
        tcp_session(t + 0.003, API, PAY, 443,
                    [(b"\x16\x03\x01" + b"\x01" * 200, b"\x16\x03\x03" + b"\x02" * 700, 0),
                     (b"\x17\x03\x03" + b"\x17" * 120, b"\x17\x03\x03" + b"\x17" * 260, 2 * MS)],
                    note="payments %d" % i)
    # worker container fetching cloud credentials from the metadata service
    dns(12.0, WORKER, "db.dns.podman", "A", DB)
    tcp_session(12.5, WORKER, META, 80,
                [(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
                  http_resp(120, b"text/plain"), 0)], note="metadata 1")
    tcp_session(13.0, WORKER, META, 80,
                [(b"GET /latest/meta-data/iam/security-credentials/worker-role HTTP/1.1\r\n"
                  b"Host: 169.254.169.254\r\n\r\n", http_resp(300, b"application/json"), 0)],
                note="metadata 2")
    # ... and trying the database on a wrong port
    tcp_session(14.0, WORKER, DB, 5433, [], refused=True, note="refused")
    tcp_session(14.2, WORKER, DB, 5432, [(b"\0\0\0\x08\x04\xd2\x16\x2f", b"N", 0)], note="pg worker")
    # healthcheck pings from the host every 5 s
    ping = T.flow("icmp", GW, None, WEB, None, icmp=(8, 0), note="healthcheck")
    for i in range(10):
        t = 1.0 + 5 * i

        def run(t=t, i=i):
            p.send(T.at(t), mkip(GW, WEB) / ICMP(type=8, id=0x4242, seq=i) / Raw(b"h" * 16),
                   [(ping, False)])
            p.send(T.at(t) + 60 * US, mkip(WEB, GW) / ICMP(type=0, id=0x4242, seq=i) / Raw(b"h" * 16),
                   [(ping, True)], reply=True)
        at(t, run)
    # IPv6 clients to the frontend
    for i in range(4):
        tcp_session(3.0 + i * 11.0, "2001:db8:1::%x" % (0x70 + i), WEB6, 80,
                    [(b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n", http_resp(200), 0)],
                    note="v6 client %d" % i)
    dns(30.0, WEB, "api.dns.podman", "AAAA", "fd00:88::3")
    # neighbour discovery and ARP on the bridge
    nd = T.flow("icmpv6", GW6, None, WEB6, None, icmp=(135, 0), note="nd")
    at(2.9, lambda: (p.send(T.at(2.9), mkip(GW6, WEB6, ttl=255) / ICMPv6ND_NS(tgt=WEB6), [(nd, False)]),
                     p.send(T.at(2.9) + 40 * US, mkip(WEB6, GW6, ttl=255) /
                            ICMPv6ND_NA(tgt=WEB6, R=0, S=1, O=0), [(nd, True)], reply=True)))
    for i, (who, target) in enumerate(((GW, WEB), (WEB, API), (API, DB), (API, REDIS), (WORKER, GW))):
        def run(who=who, target=target, t=0.05 + i * 0.03 + (i // 2) * 9):
            mw, mt = mac_of(packed(who)), mac_of(packed(target))
            req = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mw + packed(who) + b"\0" * 6 + packed(target)
            rep = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mt + packed(target) + mw + packed(who)
            cap.add(T.at(t), eth_frame(b"\xff" * 6, mw, 0x0806, req, pad=True), iface=br)
            cap.add(T.at(t) + 30 * US, eth_frame(mw, mt, 0x0806, rep, pad=True), iface=br)
        at(0.05 + i * 0.03 + (i // 2) * 9, run)

    # Interleave: run every generator in time order but let each write its own
    # packets; then sort the buffered blocks by timestamp.
    buf = []
    real_add = cap.add

    def buffered_add(ts, frame, counts=(), iface=0, orig_len=None, comment=None, flags=None):
        buf.append((ts, len(buf), frame, list(counts), iface))
    cap.add = buffered_add
    for _, _, fn in sorted(events, key=lambda e: (e[0], e[1])):
        fn()
    cap.add = real_add
    # now write (and count) the packets in time order
    for ts, _, frame, counts, iface in sorted(buf, key=lambda x: (x[0], x[1])):
        real_add(ts, frame, counts, iface=iface)
    for f in T.flows:
        if f.tcp_state not in ("closed", "reset"):
            f.end = None                     # eof or idle: decided by check()


# --------------------------------------------------------------------------
# Damaged and lying inputs for tests/bad-input.sh
# --------------------------------------------------------------------------
def bad_inputs(outdir):
    """Writes damaged captures to outdir and outdir/MANIFEST with one line each:
    FILE  EXIT  STDERR  CIDS
    EXIT: allowed exit codes ("0", "2", "0|2"); STDERR: "err" (a line starting
    `cnetmon: FILE:`), "mention" (stderr names FILE), "-" (anything);
    CIDS: comma-separated community_id=packets that must be in the output, or "-"."""
    g = Gen()
    T = Test(g, "bad")
    T.saw = lambda ts: None          # many small files, each starting at BASE
    lines = []

    def good(cap, path, t, f=None):
        f = f or Flow(T, "udp", "10.0.0.1", 1111, "10.0.0.2", 2222)
        path.send(t, udp_pkt("10.0.0.1", 1111, "10.0.0.2", 2222, b"good"), [(f, False)])
        return f

    def write(name, data):
        with open(os.path.join(outdir, name), "wb") as fh:
            fh.write(data)

    def need(*flows):
        return ",".join("%s=%d" % (f.cid(), f.pk[0] + f.pk[1]) for f in flows) or "-"

    def entry(name, exit_codes, stderr, cids="-"):
        lines.append("%s %s %s %s" % (name, exit_codes, stderr, cids))

    write("empty.pcap", b"")
    entry("empty.pcap", "2", "err")
    write("text.pcap", b"This is not a capture file, just some text.\n" * 3)
    entry("text.pcap", "2", "err")
    entry("missing.pcap", "2", "err")      # never created
    cap = PcapFile(T, "x")
    write("short-header.pcap", cap.header()[:12])
    entry("short-header.pcap", "2", "err")
    write("header-only.pcap", cap.header())
    entry("header-only.pcap", "0", "-")
    write("cut-first-record.pcap", cap.header() + b"\x01\x02\x03\x04\x05\x06\x07")
    entry("cut-first-record.pcap", "2", "err")
    # a pcapng whose section header block is cut short
    ng = PcapngFile(T, "x")
    ng.section()
    write("short-shb.pcapng", ng.content()[:20])
    entry("short-shb.pcapng", "2", "err")

    def three_good(cap, sport=1111):
        p = Path(cap, Eth())
        f = Flow(T, "udp", "10.0.0.1", sport, "10.0.0.2", 2222)
        for i in range(3):
            p.send(BASE + i * MS, udp_pkt("10.0.0.1", sport, "10.0.0.2", 2222, b"good %d" % i), [(f, False)])
        return p, f

    # cut in the middle of a record header, after three good packets
    cap = PcapFile(T, "x")
    p, f = three_good(cap)
    write("cut-rechdr.pcap", cap.content() + struct.pack("<II", 1795727820, 5)[:7])
    entry("cut-rechdr.pcap", "0", "mention", need(f))
    # cut in the middle of packet data
    cap = PcapFile(T, "x")
    p, f = three_good(cap)
    last = cap.record_bytes(BASE + 5 * MS, bytes(Eth().wrap(bytes(udp_pkt("10.0.0.1", 1, "10.0.0.2", 2,
                                                                             b"cut" * 30)), False)), 132)
    write("cut-data.pcap", cap.content() + last[:16 + 40])
    entry("cut-data.pcap", "0", "mention", need(f))
    # a record claiming an absurd captured length
    cap = PcapFile(T, "x")
    p, f = three_good(cap)
    write("caplen-huge.pcap", cap.content() + struct.pack("<IIII", 1795727820, 9, 0x7FFFFFF0, 0x7FFFFFF0) +
          b"\0" * 64)
    entry("caplen-huge.pcap", "0", "mention", need(f))
    # snaplen-truncated packets are normal: counted with their wire length
    cap = PcapFile(T, "x", snaplen=60)
    p = Path(cap, Eth())
    f = Flow(T, "udp", "10.0.0.1", 1111, "10.0.0.2", 2222)
    for i in range(2):
        p.send(BASE + i * MS, udp_pkt("10.0.0.1", 1111, "10.0.0.2", 2222, b"L" * 1000), [(f, False)])
    write("snaplen-trunc.pcap", cap.content())
    entry("snaplen-trunc.pcap", "0", "-", need(f))
    # a record with caplen > len, between good packets
    cap = PcapFile(T, "x")
    p = Path(cap, Eth())
    f = good(cap, p, BASE)
    frame = Eth().wrap(bytes(udp_pkt("10.0.0.3", 1, "10.0.0.4", 2, b"odd")), False)
    cap.raw_record(BASE + MS, frame, wire=20)
    good(cap, p, BASE + 2 * MS, f)
    write("caplen-gt-len.pcap", cap.content())
    entry("caplen-gt-len.pcap", "0|2", "-", "-")

    # lying length fields: one bad packet between good ones; exit 0, good flow has 2 packets
    def lie(name, bad_frame, linktype=LINKTYPE_ETHERNET, link=None):
        cap = PcapFile(T, "x", linktype=linktype)
        pp = Path(cap, link or Eth())
        f = good(cap, pp, BASE)
        cap.add(BASE + MS, bad_frame)
        good(cap, pp, BASE + 2 * MS, f)
        write(name, cap.content())
        entry(name, "0", "-", need(f))

    def eth(ipb, tags=()):
        v6 = bool(ipb) and ipb[0] >> 4 == 6
        return eth_frame(mac_of(b"d"), mac_of(b"s"), 0x86DD if v6 else 0x0800, ipb, tags)

    u4 = bytearray(bytes(udp_pkt("10.9.9.1", 3333, "10.9.9.2", 4444, b"lie" * 4)))
    b = bytearray(u4); b[2:4] = b"\xff\xff"; lie("ip4-totlen-big.pcap", eth(bytes(b)))
    b = bytearray(u4); b[2:4] = b"\x00\x0a"; lie("ip4-totlen-small.pcap", eth(bytes(b)))
    b = bytearray(u4); b[0] = 0x4F; lie("ip4-ihl-big.pcap", eth(bytes(b)))
    b = bytearray(u4); b[0] = 0x42; lie("ip4-ihl-small.pcap", eth(bytes(b)))
    b = bytearray(u4); b[0] = 0x65; lie("ip4-bad-version.pcap", eth(bytes(b)))
    lie("ip4-short.pcap", eth(bytes(u4[:14])))
    b = bytearray(u4); b[24:26] = b"\xff\xff"; lie("udp-len-big.pcap", eth(bytes(b)))
    b = bytearray(u4); b[24:26] = b"\x00\x03"; lie("udp-len-small.pcap", eth(bytes(b)))
    lie("udp-short.pcap", eth(bytes(u4[:24])[:2] + struct.pack("!H", 24) + bytes(u4[4:24])))
    t4 = bytearray(bytes(mkip("10.9.9.1", "10.9.9.2") / TCP(sport=3333, dport=4444, flags="PA") / Raw(b"x")))
    b = bytearray(t4); b[32] = 0xF0; lie("tcp-doff-big.pcap", eth(bytes(b)))
    b = bytearray(t4); b[32] = 0x20; lie("tcp-doff-small.pcap", eth(bytes(b)))
    lie("tcp-short.pcap", eth(bytes(t4[:2]) + struct.pack("!H", 30) + bytes(t4[4:30])))
    u6 = bytearray(bytes(udp_pkt("fd00::9:1", 3333, "fd00::9:2", 4444, b"lie6")))
    b = bytearray(u6); b[4:6] = b"\xff\xff"; lie("ip6-plen-big.pcap", eth(bytes(b)))
    b = bytearray(u6); b[4:6] = b"\x00\x00"; lie("ip6-plen-zero.pcap", eth(bytes(b)))
    lie("ip6-short.pcap", eth(bytes(u6[:30])))
    h6 = bytearray(bytes(mkip("fd00::9:1", "fd00::9:2") / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]) /
                         UDP(sport=3333, dport=4444) / Raw(b"h")))
    b = bytearray(h6); b[41] = 0xFF; lie("ip6-ext-len-big.pcap", eth(bytes(b)))
    # 40 chained destination-options headers
    chain = mkip("fd00::9:1", "fd00::9:2")
    for _ in range(40):
        chain = chain / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)])
    lie("ip6-ext-chain-long.pcap", eth(bytes(chain / UDP(sport=3333, dport=4444) / Raw(b"c"))))
    # a hop-by-hop header whose next header is hop-by-hop again, truncated
    b = bytearray(h6[:48]); b[6] = 0; b[40] = 0; b[4:6] = struct.pack("!H", 8)
    lie("ip6-ext-hbh-loop.pcap", eth(bytes(b)))
    ic = bytes(mkip("10.9.9.1", "10.9.9.2") / ICMP(type=8))
    lie("icmp-short.pcap", eth(ic[:2] + struct.pack("!H", 21) + ic[4:21]))
    lie("vlan-trunc.pcap", mac_of(b"a") + mac_of(b"b") + b"\x81\x00\x00")
    lie("vlan-deep.pcap", eth(bytes(u4), tags=[(0x8100, i + 1) for i in range(12)]))
    vx = bytes(mkip("10.9.9.1", "10.9.9.2") / UDP(sport=5555, dport=4789) / Raw(b"\x08\0\0"))
    lie("vxlan-short.pcap", eth(vx))
    vx = bytes(mkip("10.9.9.1", "10.9.9.2") / UDP(sport=5555, dport=4789) /
               Raw(vxlan_header(5) + b"\x02" * 10))
    lie("vxlan-inner-short.pcap", eth(vx))
    gn = bytes(mkip("10.9.9.1", "10.9.9.2") / UDP(sport=5555, dport=6081) /
               Raw(struct.pack("!BBHI", 63, 0, 0x6558, 5 << 8) + b"\0" * 16))
    lie("geneve-optlen-big.pcap", eth(gn))
    # VXLAN nested five times
    inner = bytes(udp_pkt("10.9.8.1", 1, "10.9.8.2", 2, b"deep"))
    for i in range(5):
        inner = bytes(mkip("10.9.7.%d" % (i + 1), "10.9.6.%d" % (i + 1)) / UDP(sport=6000 + i, dport=4789) /
                      Raw(vxlan_header(i + 1) + Eth().wrap(inner, False)))
    lie("vxlan-nested.pcap", eth(inner))
    lie("runt.pcap", b"\x01")
    lie("zero-len.pcap", b"")
    lie("sll-short.pcap", b"\0\x04\0\x01\0\x06", linktype=LINKTYPE_LINUX_SLL, link=SLL())
    lie("sll2-short.pcap", b"\x08\0\0\0", linktype=LINKTYPE_LINUX_SLL2, link=SLL2())
    lie("null-bad-af.pcap", struct.pack("<I", 99) + bytes(u4), linktype=LINKTYPE_NULL, link=Null())
    lie("raw-bad-version.pcap", b"\x50" + bytes(u4[1:]), linktype=LINKTYPE_RAW, link=RawIP())

    # a link type cnetmon does not decode: readable, no flow
    cap = PcapFile(T, "x", linktype=147)
    cap.add(BASE, b"\x00" * 40)
    write("linktype-unknown.pcap", cap.content())
    entry("linktype-unknown.pcap", "0|2", "-")

    # pcapng damage after good packets
    def ng_good():
        n = PcapngFile(T, "x")
        n.section()
        i = n.iface(LINKTYPE_ETHERNET, "eth0")
        pp = Path(n, Eth(), i)
        f = Flow(T, "udp", "10.0.0.1", 1111, "10.0.0.2", 2222)
        for k in range(3):
            pp.send(BASE + k * MS, udp_pkt("10.0.0.1", 1111, "10.0.0.2", 2222, b"good"), [(f, False)])
        return n, f
    n, f = ng_good()
    write("pcapng-cut.pcapng", n.content()[:-30])       # last EPB cut
    f.pk[0] -= 1
    entry("pcapng-cut.pcapng", "0", "mention", need(f))
    n, f = ng_good()
    write("pcapng-blocklen-huge.pcapng", n.content() + struct.pack("<II", 6, 0xFFFFFFF0) + b"\0" * 40)
    entry("pcapng-blocklen-huge.pcapng", "0", "mention", need(f))
    n, f = ng_good()
    write("pcapng-blocklen-small.pcapng", n.content() + struct.pack("<II", 6, 8) + b"\0" * 40)
    entry("pcapng-blocklen-small.pcapng", "0", "mention", need(f))
    n, f = ng_good()
    write("pcapng-blocklen-odd.pcapng", n.content() + struct.pack("<II", 6, 45) + b"\0" * 41)
    entry("pcapng-blocklen-odd.pcapng", "0", "mention", need(f))
    n, f = ng_good()
    epb = struct.pack("<IIIII", 9, 0, 0, 60, 60) + b"\0" * 60
    write("pcapng-no-idb.pcapng", n.content() + struct.pack("<II", 6, len(epb) + 12) + epb +
          struct.pack("<I", len(epb) + 12))
    entry("pcapng-no-idb.pcapng", "0", "-", need(f))
    n, f = ng_good()
    epb = struct.pack("<IIIII", 0, 0, 0, 0x10000, 60) + b"\0" * 60
    write("pcapng-epb-caplen-lie.pcapng", n.content() + struct.pack("<II", 6, len(epb) + 12) + epb +
          struct.pack("<I", len(epb) + 12))
    entry("pcapng-epb-caplen-lie.pcapng", "0", "-", need(f))
    n, f = ng_good()
    write("pcapng-trailer-mismatch.pcapng", n.content()[:-4] + b"\x99\x99\x00\x00")
    entry("pcapng-trailer-mismatch.pcapng", "0", "-", "-")

    with open(os.path.join(outdir, "MANIFEST"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


TESTS = [t_tcp_fin, t_tcp_rst, t_tcp_midstream, t_tcp_synack_first, t_udp_dns, t_icmp_echo,
         t_icmp_oneway, t_vlan, t_sll, t_sll2, t_raw, t_linktype_ip, t_null, t_null_be, t_loop,
         t_ipv4_options, t_ipv4_frag, t_ipv4_frag_ooo, t_ipv6_ext, t_ipv6_frag, t_sctp, t_other_proto, t_gre_ip, t_vxlan,
         t_geneve, t_pcapng_multi, t_pcapng_sections, t_split, t_idle, t_active, t_max_flows, t_nsec,
         t_snaplen, t_non_ip, t_tcp_linger, t_idle_tcp, t_pcapng_ts, t_demo]


# --------------------------------------------------------------------------
# Attribution: the demo capture read with an inventory (read -I). The
# generator knows which container holds which address; "worker" is listed
# with its MAC and an address that never appears on the wire, so its flows
# can only be named through the MAC.
# --------------------------------------------------------------------------
DEMO_CONTAINERS = [
    # name, image, labels, addresses listed, address whose MAC is listed
    ("web", "shop/frontend:2.3", {"app": "web", "tier": "frontend"}, ["10.88.0.2", "fd00:88::2"],
     "10.88.0.2"),
    ("api", "shop/api:1.9", {"app": "api", "tier": "backend"}, ["10.88.0.3"], "10.88.0.3"),
    ("db", "postgres:16", {"app": "db"}, ["10.88.0.4"], "10.88.0.4"),
    ("redis", "redis:7", {"app": "cache"}, ["10.88.0.5"], None),
    ("worker", "shop/worker:1.9", {"app": "worker", "note": "quoted \"label\" \u00e9"},
     ["10.88.0.66"], "10.88.0.6"),
]
# Overlay: the inner frames are the pods' own; pod-b is known by its MAC only.
VXLAN_CONTAINERS = [
    ("pod-a", "app/a:1", {"app": "a"}, ["10.244.1.5"], None),
    ("pod-b", "app/b:1", {"app": "b"}, ["10.244.99.7"], "10.244.2.7"),
]
# A cooked ("any") capture keeps only the sender's MAC: "client" is known by
# the MAC of the address it sends from, "server" by its address.
SLL_CONTAINERS = [
    ("client", "tools/client:1", {"app": "client"}, ["10.3.0.99"], "10.3.0.1"),
    ("server", "tools/server:1", {"app": "server"}, ["10.3.0.2"], None),
]


def inventory_test(name, base, containers, host_addrs, captures):
    """A test reading BASE's captures with an inventory: BASE's expected
    records, plus the container the generator put at each address."""
    inv_file = name + ".inventory.json"
    cs, by_addr = [], {}
    for i, (cname, image, labels, addrs, macaddr) in enumerate(containers):
        cid = hashlib.sha256(cname.encode()).hexdigest()
        mac = None
        if macaddr:
            mac = ":".join("%02x" % b for b in mac_of(socket.inet_pton(
                socket.AF_INET6 if ":" in macaddr else socket.AF_INET, macaddr)))
        cs.append({
            "id": cid, "name": cname, "image": image, "runtime": "podman", "labels": labels,
            "pid": 4000 + i, "netns": 4026532300 + i,
            "cgroup": "/libpod_parent/libpod-%s" % cid, "host_network": False,
            "interfaces": [{"name": "eth0", "host_ifname": "veth%d" % i, "host_ifindex": 20 + i,
                            "mac": mac, "addrs": addrs}]})
        obj = {"id": cid, "name": cname, "image": image, "labels": labels,
               "namespace": None, "pod": None, "profile": None}
        for a in addrs + ([macaddr] if macaddr else []):
            by_addr[canon(a)] = obj
    inv = {"node": name + "-node", "host_addrs": host_addrs, "containers": cs}
    with open(os.path.join(HERE, inv_file), "w") as fh:
        json.dump(inv, fh, indent=2)
        fh.write("\n")
    out = []
    with open(os.path.join(HERE, base + ".expected")) as fh:
        for line in fh:
            r = json.loads(line)
            sc, dc = by_addr.get(canon(r["src"]["ip"])), by_addr.get(canon(r["dst"]["ip"]))
            r["src"]["container"], r["dst"]["container"] = sc, dc
            r["direction"] = "egress" if sc else ("ingress" if dc else None)
            out.append(json.dumps(r))
    with open(os.path.join(HERE, name + ".expected"), "w") as fh:
        fh.write("\n".join(out) + "\n")

    class Line:
        def testlist_line(self):
            return "%-22s %-28s %-30s %s" % (name, name + ".expected", '"-I %s"' % inv_file,
                                             " ".join(captures))
    return Line()


def inventory_tests():
    return [inventory_test("demo-inventory", "demo", DEMO_CONTAINERS,
                           ["10.88.0.1", "fd00:88::1"], ["demo.pcapng"]),
            inventory_test("vxlan-inventory", "vxlan", VXLAN_CONTAINERS,
                           ["172.16.0.1"], ["vxlan.pcap"]),
            inventory_test("sll-inventory", "sll", SLL_CONTAINERS, [], ["sll.pcap"])]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--bad-inputs":
        os.makedirs(sys.argv[2], exist_ok=True)
        bad_inputs(sys.argv[2])
        return 0
    if len(sys.argv) != 1:
        sys.stderr.write("usage: generate.py [--bad-inputs DIR]\n")
        return 2
    g = Gen()
    for fn in TESTS:
        fn(g)
    for T in g.tests:
        T.write()
    g.tests.extend(inventory_tests())
    with open(os.path.join(HERE, "TESTLIST"), "w") as fh:
        fh.write("# Golden tests for `cnetmon read --flows json:- OPTIONS FILES...` (tests/golden.sh).\n"
                 "# Generated by pcaps/generate.py: edit that, not this file.\n"
                 "# name                 expected-file                options"
                 "                        capture-files...\n")
        for T in g.tests:
            fh.write(T.testlist_line() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
