#!/usr/bin/python3
"""gen-dns-cases.py — DNS messages and what passive DNS must learn from them,
for tests/unit/test-dns.c (and seeds for fuzz/fuzz-dns.c).

    gen-dns-cases.py             write tests/dns/dns-cases.h
    gen-dns-cases.py --check     exit 1 unless dns-cases.h is what we write
    gen-dns-cases.py --seeds DIR also write fuzz/fuzz-dns.c inputs to DIR/NAME.{udp,tcp}

Well-formed messages are built with scapy from a plain description (question,
answer/authority/additional records); the expected (name, address, ttl) pairs
come from model() below, which reads the same description, not the bytes and
not the C code: the client's view of RFC 1034 3.6.2 (follow CNAMEs from the
question name; an address answer counts for every name on the way to it,
with the smallest TTL on that way; nothing outside the answer section,
nothing for a name off the chain). Hostile messages are written byte by byte;
each says why it must be rejected whole (-1) or yield nothing.
"""
import ipaddress
import os
import struct
import sys

from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRROPT, dns_compress

sys.setrecursionlimit(50000)       # scapy builds a chain of records recursively
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dns-cases.h")

# Limits of include/dns.h that change the expected result.
MAX_CHAIN = 16
MAX_PAIRS = 256
CNAMES_MAX = 32

A, NS, CNAME, SOA, PTR, TXT, AAAA = 1, 2, 5, 6, 12, 16, 28
IN, CH = 1, 3


class RR:
    def __init__(self, name, type_, rdata, ttl=300, cls=IN):
        self.name, self.type, self.rdata, self.ttl, self.cls = name, type_, rdata, ttl, cls

    def scapy(self):
        return DNSRR(rrname=self.name, type=self.type, rclass=self.cls, ttl=self.ttl,
                     rdata=self.rdata)


def chain_of(layers):
    p = None
    for x in layers:
        p = x if p is None else p / x
    return p


class Case:
    def __init__(self, name, qname, an=(), ns=(), ar=(), qtype=A, qclass=IN, qr=1,
                 opcode=0, tc=0, rcode=0, compress=False, opt=False, tail=b"", qdcount=None):
        self.name, self.qname, self.qtype, self.qclass = name, qname, qtype, qclass
        self.an, self.ns, self.ar = list(an), list(ns), list(ar)
        self.qr, self.opcode, self.tc, self.rcode = qr, opcode, tc, rcode
        self.compress, self.opt, self.tail, self.qdcount = compress, opt, tail, qdcount

    def build(self):
        ar = [r.scapy() for r in self.ar] + ([DNSRROPT(rclass=1232)] if self.opt else [])
        d = DNS(id=0x1234, qr=self.qr, opcode=self.opcode, tc=self.tc, rd=1, ra=self.qr,
                rcode=self.rcode,
                qd=DNSQR(qname=self.qname, qtype=self.qtype, qclass=self.qclass),
                an=chain_of(r.scapy() for r in self.an),
                ns=chain_of(r.scapy() for r in self.ns),
                ar=chain_of(ar))
        if self.compress:
            d = dns_compress(d)
        b = bytes(d)
        self.verify(b)
        if self.qdcount is not None:
            b = b[:4] + struct.pack(">H", self.qdcount) + b[6:]
        return b + self.tail

    def verify(self, b):
        """Read the bytes back (scapy's decoder) and compare with the
        description, so that the model describes what was really built
        (scapy's dns_compress mangles long messages)."""
        d = DNS(b)
        got = []
        for sec in ("an", "ns", "ar"):
            x = getattr(d, sec)
            while x is not None and hasattr(x, "rrname"):
                if x.type != 41:                # our OPT is not in the description
                    got.append((sec, x.rrname.decode("latin-1").rstrip(".").lower(), x.type))
                x = x.payload if hasattr(x.payload, "rrname") else None
        want = [(sec, r.name.lower(), r.type) for sec, rs in
                (("an", self.an), ("ns", self.ns), ("ar", self.ar)) for r in rs]
        assert d.qd.qname.decode("latin-1").rstrip(".").lower() == self.qname.lower(), self.name
        assert got == want, "%s: built %r, described %r" % (self.name, got[:4], want[:4])

    def ignored(self):
        return bool(not self.qr or self.opcode or self.tc or self.rcode or
                    (self.qdcount or 1) != 1 or self.qclass != IN)

    def model(self):
        """The pairs a client that asked qname may take from this answer."""
        if self.ignored():
            return []
        low = str.lower
        chain, links = [low(self.qname)], []
        cnames = [r for r in self.an if r.type == CNAME and r.cls == IN][:CNAMES_MAX]
        used = set()
        grew, looped = True, False
        while grew and not looped and len(chain) < MAX_CHAIN:
            grew = False
            for i, r in enumerate(cnames):
                if len(chain) >= MAX_CHAIN:
                    break
                if i in used or low(r.name) != chain[-1]:
                    continue
                used.add(i)
                if low(r.rdata) in chain:       # a loop ends the chain
                    looped = True
                    break
                links.append(ttl_of(r.ttl))
                chain.append(low(r.rdata))
                grew = True
        pairs = []
        for r in self.an:
            if r.cls != IN or r.type not in (A, AAAA) or low(r.name) not in chain:
                continue
            k = chain.index(low(r.name))
            fam = 4 if r.type == A else 6
            addr = ipaddress.ip_address(r.rdata).packed
            ttl = ttl_of(r.ttl)
            for j in range(k, -1, -1):
                if j < k:
                    ttl = min(ttl, links[j])
                if len(pairs) == MAX_PAIRS:
                    return pairs
                pairs.append((chain[j], chain[0], fam, addr, ttl))
        return pairs


def ttl_of(t):
    return 0 if t & 0x80000000 else t       # RFC 2181 8


class Raw:
    """A hand-written message; expect is -1 (malformed) or its pairs."""
    def __init__(self, name, data, expect, why, ignored=False):
        self.name, self.data, self.expect, self.why, self.ign = name, data, expect, why, ignored

    def build(self):
        return self.data

    def ignored(self):
        return self.ign

    def model(self):
        return self.expect


# ---- wire helpers for hand-written messages --------------------------------

def wname(name):
    out = b""
    for label in name.split(".") if name else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def labels(*parts):
    """Name from raw labels (may hold dots or be over 63 octets)."""
    return b"".join(bytes([len(p)]) + p for p in parts) + b"\0"


def hdr(qd=1, an=0, ns=0, ar=0, flags=0x8180):
    return struct.pack(">HHHHHH", 0xbeef, flags, qd, an, ns, ar)


def question(name_bytes, qtype=A):
    return name_bytes + struct.pack(">HH", qtype, IN)


def rr(owner_bytes, type_, rdata, ttl=300, cls=IN, rdlen=None):
    return owner_bytes + struct.pack(">HHIH", type_, cls, ttl,
                                     len(rdata) if rdlen is None else rdlen) + rdata


def ptr(off):
    return struct.pack(">H", 0xc000 | off)


V4 = ipaddress.ip_address("192.0.2.7").packed
Q = wname("host.example.com")          # at offset 12 in every raw message


def raw_cases():
    c = []
    ok = hdr(an=1) + question(Q) + rr(ptr(12), A, V4)
    good = [("host.example.com", "host.example.com", 4, V4, 300)]
    c.append(Raw("raw_baseline", ok, good, "the hand-written baseline is well formed"))
    c.append(Raw("h_empty", b"", -1, "no header"))
    c.append(Raw("h_short_header", ok[:11], -1, "11 bytes: no header"))
    c.append(Raw("h_question_cut", ok[:12 + 10], -1, "question name runs off the end"))
    c.append(Raw("h_cut_mid_rr", ok[:-2], -1, "last record cut short (snaplen)"))
    c.append(Raw("h_ptr_self", hdr(an=0) + question(ptr(12)), -1,
                 "question name is a pointer to itself"))
    # Owner at o: label "z" then a pointer back to o: a loop through a label.
    o = 12 + len(Q) + 4
    c.append(Raw("h_ptr_label_loop", hdr(an=1) + question(Q) +
                 rr(b"\x01z" + ptr(o), A, V4), -1, "label run reaches its own pointer"))
    # Answer 1 owner (at o) points forward to answer 2's owner, which points back.
    r1 = rr(ptr(0), A, V4)                               # patched below
    o2 = o + len(r1)
    r1 = rr(ptr(o2), A, V4)
    r2 = rr(ptr(o), A, V4)
    c.append(Raw("h_ptr_loop_pair", hdr(an=2) + question(Q) + r1 + r2, -1,
                 "two pointers pointing at each other (one is forward)"))
    c.append(Raw("h_ptr_forward", hdr(an=1) + question(Q) + rr(ptr(o + 2 + 10 + 4), A, V4) +
                 b"\x01x\x00", -1, "pointer to later bytes"))
    c.append(Raw("h_ptr_past_end", hdr(an=1) + question(Q) + rr(ptr(0x3fff), A, V4), -1,
                 "pointer beyond the message"))
    c.append(Raw("h_ptr_half", hdr(an=0) + b"\x04host\xc0", -1,
                 "message ends inside a pointer"))
    c.append(Raw("h_ptr_into_header", hdr(an=1) + question(Q) + rr(ptr(4), A, V4), -1,
                 "pointer into the header"))
    for b in (0x40, 0x7f, 0x80, 0xbf):
        c.append(Raw("h_label_type_%02x" % b, hdr() + bytes([b]) + b"x" * 70 + b"\0" +
                     b"\0\1\0\1", -1, "label length over 63 (extended/reserved type)"))
    long_name = labels(b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 63, b"e" * 3)   # 261 octets
    c.append(Raw("h_name_over_255", hdr() + question(long_name), -1, "name of 261 octets"))
    # 200-octet name in answer 1's rdata (a TXT record) reached by a pointer
    # after a 60-octet label: 61 + 200 > 255 only once decompressed.
    n200 = labels(*([b"x" * 49] * 4))                      # 4*50+1 = 201 octets
    t_off = o + 2 + 10
    r1 = rr(ptr(12), TXT, n200)
    r2 = rr(b"\x3c" + b"y" * 60 + ptr(t_off), A, V4)
    c.append(Raw("h_name_over_255_compressed", hdr(an=2) + question(Q) + r1 + r2, -1,
                 "name over 255 octets through a pointer"))
    name255 = labels(b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61)        # exactly 255
    txt255 = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61
    c.append(Raw("name_exactly_255", hdr(an=1) + question(name255) + rr(ptr(12), A, V4),
                 [(txt255, txt255, 4, V4, 300)], "255 octets is the limit, allowed"))
    c.append(Raw("h_counts_exceed", hdr(an=5) + question(Q) + rr(ptr(12), A, V4), -1,
                 "ANCOUNT 5, one record"))
    c.append(Raw("h_nscount_exceeds", hdr(an=1, ns=1) + question(Q) + rr(ptr(12), A, V4), -1,
                 "authority count larger than the message: rejected whole, answer too"))
    c.append(Raw("h_rdlen_past_end", hdr(an=1) + question(Q) + rr(ptr(12), A, V4, rdlen=9),
                 -1, "RDLENGTH past the end"))
    c.append(Raw("h_a_rdlen_5", hdr(an=1) + question(Q) + rr(ptr(12), A, V4 + b"\0"), -1,
                 "A record of 5 octets"))
    c.append(Raw("h_aaaa_rdlen_4", hdr(an=1) + question(Q, AAAA) + rr(ptr(12), AAAA, V4), -1,
                 "AAAA record of 4 octets"))
    tgt = wname("edge.example.net")
    c.append(Raw("h_cname_overruns_rdata", hdr(an=1) + question(Q) +
                 rr(ptr(12), CNAME, tgt, rdlen=len(tgt) - 3) + b"\0\0\0", -1,
                 "CNAME name longer than its RDATA"))
    c.append(Raw("h_cname_trailing", hdr(an=1) + question(Q) + rr(ptr(12), CNAME, tgt + b"zz"),
                 -1, "CNAME RDATA longer than its name"))
    # A pointer chain inside a TXT record's rdata: each pointer points at the
    # previous one, the first at the question. n hops to reach the question.
    for hops, exp in ((100, good), (140, -1)):
        base = o + 2 + 10
        rd = ptr(12) + b"".join(ptr(base + 2 * i) for i in range(hops - 1))
        r1 = rr(ptr(12), TXT, rd)
        r2 = rr(ptr(base + 2 * (hops - 1)), A, V4)
        c.append(Raw("ptr_hops_%d" % hops, hdr(an=2) + question(Q) + r1 + r2, exp,
                     "pointer to pointer %d times (limit 128)" % hops))
    dotted = labels(b"a.b", b"example", b"com")
    c.append(Raw("label_with_dot", hdr(an=1) + question(dotted) + rr(ptr(12), A, V4), [],
                 "a label holding '.': its text would be ambiguous, nothing learned"))
    wt = labels(b"we ird", b"example", b"net")
    c.append(Raw("cname_target_unprintable", hdr(an=2) + question(Q) +
                 rr(ptr(12), CNAME, wt, ttl=50) + rr(wt, A, V4, ttl=40),
                 [("host.example.com", "host.example.com", 4, V4, 40)],
                 "the unprintable CNAME target is not named, the question still is"))
    c.append(Raw("a_class_chaos_in_in_answer", hdr(an=1) + question(Q) +
                 rr(ptr(12), A, b"\0\0\0\0\0\0", cls=CH), [],
                 "class CH record (its A RDATA is not 4 octets): not used, not malformed"))
    return c


def cases():
    c = []
    ex = "example.com"
    c.append(Case("a_simple", ex, [RR(ex, A, "93.184.216.34", 300)], compress=True))
    c.append(Case("a_round_robin", "rr.example.net",
                  [RR("rr.example.net", A, "198.51.100.%d" % i, 60 + i) for i in (1, 2, 3)]))
    c.append(Case("aaaa", "v6.example.org", [RR("v6.example.org", AAAA, "2001:db8::1", 3600)],
                  qtype=AAAA, compress=True))
    c.append(Case("a_and_aaaa", "dual.example.org",
                  [RR("dual.example.org", AAAA, "2001:db8::2", 100),
                   RR("dual.example.org", A, "192.0.2.2", 200)]))
    chain = [RR("api.stripe.com", CNAME, "api.stripe.com.cdn.cloudflare.net", 300),
             RR("api.stripe.com.cdn.cloudflare.net", CNAME, "edge.cloudflare.net", 60),
             RR("edge.cloudflare.net", A, "104.18.1.1", 120),
             RR("edge.cloudflare.net", A, "104.18.2.2", 20)]
    c.append(Case("cname_chain_compressed", "api.stripe.com", chain, compress=True))
    c.append(Case("cname_chain_plain", "api.stripe.com", chain))
    c.append(Case("cname_out_of_order", "api.stripe.com", list(reversed(chain)), compress=True))
    c.append(Case("cname_upper_case", "Api.Stripe.COM",
                  [RR("API.stripe.com", CNAME, "Edge.CloudFlare.net", 30),
                   RR("edge.cloudflare.NET", A, "104.18.3.3", 90)], compress=True))
    c.append(Case("answer_for_other_name", "a.example.com",
                  [RR("evil.example.net", A, "203.0.113.66", 86400),
                   RR("a.example.com", A, "192.0.2.1", 300),
                   RR("login.bank.example", AAAA, "2001:db8::66", 86400)]))
    c.append(Case("cname_then_other_a", "shop.example.com",
                  [RR("shop.example.com", CNAME, "cdn.example.net", 300),
                   RR("other.example.net", A, "203.0.113.66", 300)], compress=True))
    c.append(Case("cname_not_for_question", "q.example.com",
                  [RR("z.example.com", CNAME, "q.example.com", 300),
                   RR("q.example.com", A, "192.0.2.9", 300),
                   RR("z.example.com", A, "192.0.2.10", 300)]))
    c.append(Case("glue_in_additional", "example.org",
                  [RR("example.org", A, "192.0.2.1", 5)],
                  ns=[RR("example.org", NS, "ns1.example.org", 3600)],
                  ar=[RR("ns1.example.org", A, "192.0.2.53", 3600),
                      RR("example.org", A, "203.0.113.1", 3600)],
                  opt=True, compress=True))
    c.append(Case("cname_in_additional", "alias.example.com",
                  [RR("target.example.net", A, "203.0.113.5", 300)],
                  ar=[RR("alias.example.com", CNAME, "target.example.net", 300)]))
    c.append(Case("ttl_zero", "zero.example.com", [RR("zero.example.com", A, "192.0.2.20", 0)]))
    c.append(Case("ttl_top_bit", "msb.example.com",
                  [RR("msb.example.com", AAAA, "2001:db8::20", 0x80000001)], qtype=AAAA))
    c.append(Case("ttl_week", "week.example.com",
                  [RR("week.example.com", A, "192.0.2.21", 604800)]))
    c.append(Case("qclass_chaos", "version.bind", [RR("version.bind", TXT, "9.18", 0, CH)],
                  qtype=TXT, qclass=CH))
    c.append(Case("tc_set", "big.example.com", [RR("big.example.com", A, "192.0.2.30")], tc=1))
    c.append(Case("nxdomain", "nx.example.com",
                  [RR("nx.example.com", A, "192.0.2.31")], rcode=3,
                  ns=[RR("example.com", SOA, b"\0\0" + b"\0" * 20, 60)]))
    c.append(Case("servfail", "sf.example.com", [], rcode=2))
    c.append(Case("query", "q.example.com", [RR("q.example.com", A, "192.0.2.32")], qr=0))
    c.append(Case("opcode_notify", "n.example.com", [RR("n.example.com", A, "192.0.2.33")],
                  opcode=4))
    c.append(Case("two_questions", "two.example.com",
                  [RR("two.example.com", A, "192.0.2.34")], qdcount=2,
                  tail=b""))
    c.append(Case("cname_loop", "a.loop.test",
                  [RR("a.loop.test", CNAME, "b.loop.test", 100),
                   RR("b.loop.test", CNAME, "a.loop.test", 100),
                   RR("b.loop.test", A, "192.0.2.40", 50)], compress=True))
    c.append(Case("two_cnames_one_owner", "x.example.com",
                  [RR("x.example.com", CNAME, "y1.example.com", 100),
                   RR("x.example.com", CNAME, "y2.example.com", 100),
                   RR("y1.example.com", A, "192.0.2.41", 100),
                   RR("y2.example.com", A, "192.0.2.42", 100)]))
    long = [RR("c%d.chain.test" % i, CNAME, "c%d.chain.test" % (i + 1), 1000 - i)
            for i in range(20)]
    long += [RR("c10.chain.test", A, "192.0.2.50", 995),
             RR("c20.chain.test", A, "192.0.2.51", 500)]
    c.append(Case("chain_too_long", "c0.chain.test", long, compress=True))
    c.append(Case("ptr_answer", "7.2.0.192.in-addr.arpa",
                  [RR("7.2.0.192.in-addr.arpa", PTR, "host.example.com")], qtype=PTR))
    c.append(Case("many_a", "many.example.com",
                  [RR("many.example.com", CNAME, "pool.example.com", 100)] +
                  [RR("pool.example.com", A, "10.0.%d.%d" % (i // 250, i % 250 + 1), 60)
                   for i in range(200)]))
    c.append(Case("trailing_bytes", ex, [RR(ex, A, "93.184.216.34", 300)], tail=b"\0\0\0\0"))
    c.append(Case("empty_answer", "nodata.example.com", [],
                  ns=[RR("example.com", SOA, b"\0\0" + b"\0" * 20, 60)]))
    return c + raw_cases()


def cbytes(b, indent="\t"):
    lines = []
    for i in range(0, len(b), 12):
        lines.append(indent + " ".join("0x%02x," % x for x in b[i:i + 12]))
    return "\n".join(lines)


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(all_cases):
    out = ["/* dns-cases.h — generated by tests/dns/gen-dns-cases.py; do not edit.",
           " * DNS messages and the (name, qname, family, address, ttl) pairs that",
           " * dns_parse() must give for each (expect -1: rejected as malformed). */",
           "#include <stddef.h>", "#include <stdint.h>", "",
           "struct dns_case_pair {", "\tconst char *name, *qname;", "\tint family;",
           "\tuint8_t addr[16];", "\tuint32_t ttl;", "};", "",
           "struct dns_case {", "\tconst char *name;", "\tconst uint8_t *msg;",
           "\tsize_t len;", "\tint expect;         /* -1, or the number of pairs */",
           "\tint ignored;        /* well formed, but not a usable response */",
           "\tconst struct dns_case_pair *pairs;", "};", ""]
    table = []
    for c in all_cases:
        msg = c.build()
        exp = c.model()
        doc = getattr(c, "why", None)
        if doc:
            out.append("/* %s: %s */" % (c.name, doc))
        out.append("static const uint8_t %s_msg[%d] = {" % (c.name, max(len(msg), 1)))
        out.append(cbytes(msg) if msg else "\t0")
        out.append("};")
        pairs = "NULL"
        if exp != -1 and exp:
            out.append("static const struct dns_case_pair %s_pairs[] = {" % c.name)
            for (n, q, fam, addr, ttl) in exp:
                out.append("\t{ %s, %s, %d, { %s }, %uu }," %
                           (cstr(n), cstr(q), fam, ", ".join(str(x) for x in addr), ttl))
            out.append("};")
            pairs = c.name + "_pairs"
        table.append("\t{ %s, %s_msg, %d, %d, %d, %s }," %
                     (cstr(c.name), c.name, len(msg), -1 if exp == -1 else len(exp),
                      1 if c.ignored() else 0, pairs))
        out.append("")
    out.append("static const struct dns_case dns_cases[] = {")
    out += table
    out.append("};")
    out.append("#define DNS_NCASES (sizeof(dns_cases) / sizeof(dns_cases[0]))")
    return "\n".join(out) + "\n"


def main(argv):
    all_cases = cases()
    names = [c.name for c in all_cases]
    assert len(names) == len(set(names)), "duplicate case names"
    text = render(all_cases)
    if "--seeds" in argv:
        d = argv[argv.index("--seeds") + 1]
        os.makedirs(d, exist_ok=True)
        for c in all_cases:                 # fuzz-dns input: mode byte, then data
            m = c.build()
            with open(os.path.join(d, c.name + ".udp"), "wb") as f:
                f.write(b"\0" + m)
            with open(os.path.join(d, c.name + ".tcp"), "wb") as f:
                f.write(b"\1" + struct.pack(">H", len(m)) + m)
    if "--check" in argv:
        with open(OUT) as f:
            same = f.read() == text
        print("dns-cases: %d passed, %d failed" % (int(same), int(not same)))
        if not same:
            print("tests/dns/dns-cases.h differs from what gen-dns-cases.py writes",
                  file=sys.stderr)
        return 0 if same else 1
    with open(OUT, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
