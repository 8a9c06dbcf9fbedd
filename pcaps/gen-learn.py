#!/usr/bin/python3
"""gen-learn.py — captures for `cnetmon learn` (tests/learn.sh).

Run with /usr/bin/python3 (needs scapy). Writes, next to this script:
  learn-shop.pcap             a small web shop in one Kubernetes namespace
  learn-shop.inventory.json   its containers, as `cnetmon containers --json` prints them

The shop: three replicas of "web" (app.kubernetes.io/name=web), two of "api"
(app=api) and a PostgreSQL grouped only by its image. Clients on the internet
call web on 80 and 443; web calls api on 8080; api calls the database on
5432, looks api.stripe.com up through the cluster resolver 10.96.0.10 (UDP,
and once over TCP) and calls it on 443, and calls 198.51.100.7:443 without a
lookup; the node (10.88.0.1) probes web on 8081 and scrapes api on 9090 and
pings the database. Idle containers test the selectors: a "web" of another
namespace (a selector must not take it) and an api canary (it must).

Everything is deterministic: fixed timestamps, MACs, IP ids and sequence
numbers, and our own pcap writer.
"""
import calendar
import hashlib
import json
import logging
import os
import struct

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import conf  # noqa: E402
conf.verb = 0
from scapy.packet import Raw  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.inet import IP, TCP, UDP, ICMP  # noqa: E402
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
S = 10 ** 9
MS = 10 ** 6
BASE = calendar.timegm((2026, 11, 26, 22, 0, 0)) * S

NODE = "learn-node"
HOST = "10.88.0.1"
HOST_MAC = "02:00:0a:58:00:01"   # the bridge: what the containers see as their gateway
RESOLVER = "10.96.0.10"          # kube-dns service address: no container holds it
STRIPE = "3.18.12.63"
NODNS = "198.51.100.7"


def cid(name):
    return hashlib.sha256(name.encode()).hexdigest()


def mac(n):
    return "02:42:0a:58:%02x:%02x" % (n >> 8, n & 0xFF)


# name, ip, labels, namespace, image
CONTAINERS = [
    ("web-6b8f-x7k2p", "10.88.1.11", {"app.kubernetes.io/name": "web", "pod-template-hash": "6b8f"},
     "shop", "registry.example.com/shop/web:2.1"),
    ("web-6b8f-q4w9z", "10.88.1.12", {"app.kubernetes.io/name": "web", "pod-template-hash": "6b8f"},
     "shop", "registry.example.com/shop/web:2.1"),
    ("web-6b8f-m2n5c", "10.88.1.13", {"app.kubernetes.io/name": "web", "pod-template-hash": "6b8f"},
     "shop", "registry.example.com/shop/web:2.1"),
    ("api-5c7d-a1b2c", "10.88.2.21", {"app": "api"}, "shop", "registry.example.com/shop/api:1.9"),
    ("api-5c7d-d3e4f", "10.88.2.22", {"app": "api"}, "shop", "registry.example.com/shop/api:1.9"),
    # Idle: an api canary (same label, newer image) and web of staging.
    ("api-canary-0", "10.88.2.29", {"app": "api", "track": "canary"}, "shop",
     "registry.example.com/shop/api:2.0-rc1"),
    ("web-staging-1", "10.88.9.91", {"app.kubernetes.io/name": "web"}, "staging",
     "registry.example.com/shop/web:2.2"),
    # The database: no labels, a name of its own; grouped by its image.
    ("shop-db-0", "10.88.3.31", {}, None, "postgres:16.2"),
]
IP_OF = {c[0]: c[1] for c in CONTAINERS}
MAC_OF = {c[1]: mac(i + 10) for i, c in enumerate(CONTAINERS)}


def inventory():
    out = {"node": NODE, "host_addrs": [HOST], "containers": []}
    for i, (name, ip, labels, ns, image) in enumerate(CONTAINERS):
        c = {"id": cid(name), "name": name, "image": image, "runtime": "containerd",
             "labels": labels}
        if ns:
            c["namespace"] = ns
            c["labels"] = dict(labels, **{"io.kubernetes.pod.namespace": ns})
        c["interfaces"] = [{"name": "eth0", "host_ifname": "veth%02d" % i,
                            "mac": MAC_OF[ip], "addrs": [ip]}]
        out["containers"].append(c)
    return out


class Pcap:
    def __init__(self):
        self.recs = []

    def add(self, ts, pkt):
        src, dst = pkt[IP].src, pkt[IP].dst
        frame = bytes(Ether(src=MAC_OF.get(src, HOST_MAC), dst=MAC_OF.get(dst, HOST_MAC)) / pkt)
        self.recs.append((ts, frame))

    def content(self):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
        for ts, frame in sorted(self.recs, key=lambda r: r[0]):
            sec, ns = divmod(ts, S)
            out.append(struct.pack("<IIII", sec, ns // 1000, len(frame), len(frame)) + frame)
        return b"".join(out)


_ipid = [100]


def ip(src, dst):
    _ipid[0] = (_ipid[0] * 7 + 13) & 0xFFFF
    return IP(src=src, dst=dst, id=_ipid[0], ttl=64, flags="DF")


def tcp_conn(cap, t, a, ap, b, bp, req=b"GET / HTTP/1.1\r\n\r\n", resp=b"HTTP/1.1 200 OK\r\n\r\n"):
    """A whole connection, a to b: handshake, one exchange, FIN both ways."""
    h = hashlib.md5(("%s%d%s%d" % (a, ap, b, bp)).encode()).digest()
    seq = [struct.unpack("!I", h[:4])[0], struct.unpack("!I", h[4:8])[0]]
    step = [t]

    def send(from_a, flags, data=b""):
        i = 0 if from_a else 1
        s, sp, d, dp = (a, ap, b, bp) if from_a else (b, bp, a, ap)
        seg = TCP(sport=sp, dport=dp, flags=flags, seq=seq[i],
                  ack=seq[1 - i] if "A" in flags else 0, window=64240)
        seq[i] = (seq[i] + len(data) + ("S" in flags) + ("F" in flags)) & 0xFFFFFFFF
        pkt = ip(s, d) / seg
        if data:
            pkt = pkt / Raw(data)
        cap.add(step[0], pkt)
        step[0] += 1 * MS

    send(True, "S")
    send(False, "SA")
    send(True, "A")
    send(True, "PA", req)
    send(False, "PA", resp)
    send(True, "FA")
    send(False, "FA")
    send(True, "A")
    return step[0]


def dns_lookup(cap, t, client, sport, name, answer, tcp=False):
    q = DNS(id=sport & 0xFFFF, rd=1, qd=DNSQR(qname=name, qtype="A"))
    r = DNS(id=sport & 0xFFFF, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype="A"),
            an=DNSRR(rrname=name, type="A", ttl=300, rdata=answer))
    if tcp:
        qb, rb = bytes(q), bytes(r)
        return tcp_conn(cap, t, client, sport, RESOLVER, 53, struct.pack("!H", len(qb)) + qb,
                        struct.pack("!H", len(rb)) + rb)
    cap.add(t, ip(client, RESOLVER) / UDP(sport=sport, dport=53) / q)
    cap.add(t + 2 * MS, ip(RESOLVER, client) / UDP(sport=53, dport=sport) / r)
    return t + 3 * MS


def shop():
    cap = Pcap()
    webs = [c for c in CONTAINERS if c[0].startswith("web-6b8f")]
    apis = [c for c in CONTAINERS if c[0].startswith("api-5c7d")]
    db = IP_OF["shop-db-0"]
    t = BASE
    port = [40000]

    def eph():
        port[0] += 1
        return port[0]

    # Internet clients to every web replica, on 443 and (redirects) 80.
    for i, client in enumerate(["203.0.113.5", "203.0.113.77", "192.0.2.200"]):
        for k, w in enumerate(webs):
            tcp_conn(cap, t, client, eph(), w[1], 443 if (i + k) % 3 else 80)
            t += 100 * MS
    # web -> api:8080, each web replica to each api replica.
    for w in webs:
        for a in apis:
            t = dns_lookup(cap, t, w[1], eph(), "api.shop.svc.cluster.local", "10.96.12.7")
            tcp_conn(cap, t, w[1], eph(), a[1], 8080)
            t += 50 * MS
    # api -> db:5432, api -> stripe (looked up), api -> an address never looked up.
    for a in apis:
        tcp_conn(cap, t, a[1], eph(), db, 5432, b"\x00\x00\x00\x08\x04\xd2\x16\x2f",
                 b"N")
        t += 50 * MS
        t = dns_lookup(cap, t, a[1], eph(), "api.stripe.com", STRIPE)
        tcp_conn(cap, t, a[1], eph(), STRIPE, 443, b"\x16\x03\x01", b"\x16\x03\x03")
        t += 50 * MS
        tcp_conn(cap, t, a[1], eph(), NODNS, 443, b"\x16\x03\x01", b"\x16\x03\x03")
        t += 50 * MS
    # A large answer: DNS over TCP, once.
    t = dns_lookup(cap, t, apis[0][1], eph(), "api.stripe.com", STRIPE, tcp=True)
    t += 50 * MS
    # The node: probes, scrapes, pings.
    for w in webs:
        tcp_conn(cap, t, HOST, eph(), w[1], 8081, b"GET /healthz HTTP/1.1\r\n\r\n")
        t += 20 * MS
    for a in apis:
        tcp_conn(cap, t, HOST, eph(), a[1], 9090, b"GET /metrics HTTP/1.1\r\n\r\n")
        t += 20 * MS
    cap.add(t, ip(HOST, db) / ICMP(type=8, id=7, seq=1) / Raw(b"ping"))
    cap.add(t + 1 * MS, ip(db, HOST) / ICMP(type=0, id=7, seq=1) / Raw(b"ping"))
    return cap


def main():
    with open(os.path.join(HERE, "learn-shop.pcap"), "wb") as fh:
        fh.write(shop().content())
    with open(os.path.join(HERE, "learn-shop.inventory.json"), "w") as fh:
        json.dump(inventory(), fh, indent=2, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
