/* gen-capture.c — write a large, deterministic, realistic-looking capture for
 * bench/run.sh: a classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) of
 * N packets over F flows.
 *
 *   cc -O2 -o gen-capture gen-capture.c
 *   ./gen-capture [-n PACKETS] [-f FLOWS] [-r FLOWS_PER_SEC] [-s SEED] -o FILE|-
 *
 * Traffic model
 *   - Flows arrive as a Poisson process (default 1000 flows/s of capture time)
 *     and each lasts a log-uniform 20 ms .. 30 s (DNS, NTP: one round trip), so a
 *     few thousand flows are active at any moment and flows keep starting and
 *     finishing over the whole capture. Packets of all active flows are merged
 *     in timestamp order (a heap), so neighbouring packets mostly belong to
 *     different flows, but only among the active ones.
 *   - About 65% of flows are TCP: SYN (with MSS/SACK/WS options), SYN-ACK,
 *     ACK, a request, then a download (two MSS-sized segments per pure ACK),
 *     an upload, or an interactive exchange, then FIN/ACK, FIN/ACK, ACK (4%
 *     end with a RST instead). Sequence and acknowledgement numbers are right.
 *   - About 25% are DNS over UDP (a query and its A/AAAA answer, well-formed;
 *     5% unanswered), 10% other UDP (QUIC-sized 443, NTP, statsd, syslog).
 *   - About 80% of flows are IPv4, 20% IPv6. Clients are containers
 *     (172.17.0.0/16, fd00:17::/64); servers are kube-dns, other pods
 *     (10.244.0.0/16, fd00:244::/64) or the outside (TEST-NET, 2001:db8::/32).
 *   - The packet budget beyond each flow's minimum is spread with a capped
 *     Pareto law: most flows are short, a few are elephants.
 *   - Frames shorter than 60 bytes are padded to 60 (as received on a NIC),
 *     so the IP total length is shorter than the frame: pure IPv4 ACKs are
 *     60-byte frames. IPv4 header, TCP and UDP checksums are all correct.
 * A summary goes to stderr. Same arguments, same bytes out.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- deterministic random numbers (splitmix64 seeding xoshiro256**) ---- */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
	rs[2] ^= rs[0]; rs[3] ^= rs[1]; rs[1] ^= rs[2]; rs[0] ^= rs[3];
	rs[2] ^= t; rs[3] = rotl(rs[3], 45);
	return r;
}

static double urand(void) { return (double)(rnd() >> 11) * 0x1.0p-53; } /* [0,1) */
static uint32_t rrange(uint32_t lo, uint32_t hi) /* [lo, hi] */
{
	return lo + (uint32_t)(rnd() % ((uint64_t)hi - lo + 1));
}
static double loguniform(double lo, double hi)
{
	return exp(log(lo) + urand() * (log(hi) - log(lo)));
}
static double expo(double mean) { return -mean * log(1.0 - urand()); }
/* Gaps between a flow's packets: uniform in [0.25, 1.75] x mean, so a flow
 * lasts about its drawn duration even when it has only a few packets. */

/* ---- flows ---- */

enum kind { K_TCP, K_DNS, K_QUIC, K_NTP, K_STATSD, K_SYSLOG };
enum tmode { M_DOWNLOAD, M_UPLOAD, M_INTERACTIVE };

struct flow {
	uint64_t start_us;
	uint32_t npkts, sent;
	uint32_t gap_us;        /* mean gap between this flow's packets */
	uint32_t seq_c, seq_s;  /* next sequence number of client / server */
	uint32_t client;        /* client address index */
	uint32_t server;        /* server address index (meaning depends on class) */
	uint16_t cport, sport;
	uint16_t ipid_c, ipid_s;
	uint16_t dns_id;
	uint8_t kind, mode, v6, srv_class, rst;
};

enum srv_class { S_DNS, S_POD, S_WORLD };

#define NCLIENT   4096u
#define NPOD      512u
#define NWORLD    1024u
#define NEPHEM    28231u          /* 32768..60998 */

static uint8_t randbuf[1 << 16];

/* ---- addresses ---- */

static void client_v4(uint32_t c, uint8_t a[4])
{
	a[0] = 172; a[1] = 17; a[2] = (uint8_t)(c / 250); a[3] = (uint8_t)(c % 250 + 2);
}
static void client_v6(uint32_t c, uint8_t a[16])
{
	static const uint8_t p[8] = {0xfd, 0x00, 0x00, 0x17, 0, 0, 0, 0};
	memcpy(a, p, 8); memset(a + 8, 0, 6);
	a[14] = (uint8_t)((c + 2) >> 8); a[15] = (uint8_t)(c + 2);
}
static void server_v4(uint8_t cls, uint32_t s, uint8_t a[4])
{
	switch (cls) {
	case S_DNS: a[0] = 10; a[1] = 96; a[2] = 0; a[3] = 10; break;
	case S_POD: a[0] = 10; a[1] = 244; a[2] = (uint8_t)(s / 200); a[3] = (uint8_t)(s % 200 + 2); break;
	default:    /* 198.51.100.0/24, 203.0.113.0/24, 192.0.2.0/24, 198.18.0.0/15 */
		if (s < 250)      { a[0] = 198; a[1] = 51;  a[2] = 100; a[3] = (uint8_t)(s + 1); }
		else if (s < 500) { a[0] = 203; a[1] = 0;   a[2] = 113; a[3] = (uint8_t)(s - 249); }
		else if (s < 750) { a[0] = 192; a[1] = 0;   a[2] = 2;   a[3] = (uint8_t)(s - 499); }
		else              { a[0] = 198; a[1] = 18;  a[2] = (uint8_t)((s - 750) / 250); a[3] = (uint8_t)((s - 750) % 250 + 1); }
	}
}
static void server_v6(uint8_t cls, uint32_t s, uint8_t a[16])
{
	memset(a, 0, 16);
	switch (cls) {
	case S_DNS: a[0] = 0xfd; a[3] = 0x96; a[15] = 0x0a; break;
	case S_POD: a[0] = 0xfd; a[3] = 0x44; a[2] = 0x02; a[14] = (uint8_t)((s + 2) >> 8); a[15] = (uint8_t)(s + 2); break;
	default:    a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[5] = 1;
		a[14] = (uint8_t)((s + 1) >> 8); a[15] = (uint8_t)(s + 1);
	}
}
static void client_mac(uint32_t c, uint8_t m[6])
{
	m[0] = 0x02; m[1] = 0x42; m[2] = 0xac; m[3] = 0x11;
	m[4] = (uint8_t)(c >> 8); m[5] = (uint8_t)c;
}
static const uint8_t gw_mac[6] = {0x02, 0x42, 0x5e, 0x8f, 0x00, 0x01};

/* ---- checksums ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	while (n > 1) { s += (uint32_t)p[0] << 8 | p[1]; p += 2; n -= 2; }
	if (n) s += (uint32_t)p[0] << 8;
	return s;
}
static uint16_t fold(uint32_t s)
{
	while (s >> 16) s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

/* ---- DNS payloads ---- */

static size_t dns_name(uint8_t *p, uint32_t n)
{
	static const char *const zones[] = {
		"svc.cluster.local", "example.com", "example.net", "example.org",
		"api.example.com", "cdn.example.net",
	};
	char buf[96];
	if (n % 3 == 0)
		snprintf(buf, sizeof buf, "svc-%u.ns%u.%s", n % 997, n % 13, zones[0]);
	else
		snprintf(buf, sizeof buf, "host%u.%s", n % 5003, zones[1 + n % 5]);
	size_t o = 0;
	for (char *lab = buf; *lab;) {
		char *dot = strchr(lab, '.');
		size_t l = dot ? (size_t)(dot - lab) : strlen(lab);
		p[o++] = (uint8_t)l; memcpy(p + o, lab, l); o += l;
		lab += l + (dot ? 1 : 0);
	}
	p[o++] = 0;
	return o;
}

static size_t dns_payload(const struct flow *f, int response, uint8_t *p)
{
	uint32_t name = f->server; /* name index; its answer is world address name % NWORLD */
	uint16_t qtype = f->v6 ? 28 : 1;
	put16(p, f->dns_id); put16(p + 2, response ? 0x8180 : 0x0100);
	put16(p + 4, 1); put16(p + 6, response ? 1 : 0); put16(p + 8, 0); put16(p + 10, 0);
	size_t o = 12;
	o += dns_name(p + o, name);
	put16(p + o, qtype); put16(p + o + 2, 1); o += 4;
	if (response) {
		put16(p + o, 0xc00c); put16(p + o + 2, qtype); put16(p + o + 4, 1);
		put32(p + o + 6, 30 + name % 271);
		o += 10;
		if (f->v6) { put16(p + o, 16); server_v6(S_WORLD, name % NWORLD, p + o + 2); o += 18; }
		else       { put16(p + o, 4);  server_v4(S_WORLD, name % NWORLD, p + o + 2); o += 6; }
	}
	return o;
}

/* ---- one packet ---- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define MSS4 1448u
#define MSS6 1428u

struct stats {
	uint64_t pkts, bytes, tcp_pkts, udp_pkts, v4_pkts, v6_pkts;
	uint64_t tcp_flows, udp_flows, v4_flows, v6_flows;
	uint64_t small_frames, big_frames;
};
static struct stats st;

/* Build packet number f->sent of flow f into frame; return its length. */
static size_t build(struct flow *f, uint8_t *frame)
{
	uint32_t k = f->sent, n = f->npkts;
	int from_client = 1;
	uint8_t flags = 0;
	size_t plen = 0;                 /* payload length */
	const uint8_t *pay = NULL;       /* NULL: payload from randbuf */
	uint8_t dnsbuf[512];
	uint8_t opts[12];
	size_t olen = 0;
	uint32_t mss = f->v6 ? MSS6 : MSS4;

	if (f->kind == K_TCP) {
		uint32_t data_end = f->rst ? n - 1 : n - 3; /* data phase: [3, data_end) */
		if (k == 0) {
			flags = TH_SYN;
		} else if (k == 1) {
			flags = TH_SYN | TH_ACK; from_client = 0;
		} else if (k == 2) {
			flags = TH_ACK;
		} else if (k < data_end) {
			uint32_t j = k - 3;
			flags = TH_ACK;
			if (j == 0) {
				flags |= TH_PSH; plen = rrange(80, 700);
			} else if (f->mode == M_INTERACTIVE) {
				from_client = (j % 2 == 0);
				flags |= TH_PSH;
				plen = from_client ? rrange(20, 400) : rrange(20, 900);
			} else {
				int sender_is_client = (f->mode == M_UPLOAD);
				if (j % 3 == 0) {            /* pure ACK from the receiver */
					from_client = !sender_is_client;
				} else {
					from_client = sender_is_client;
					plen = urand() < 0.6 ? mss : rrange(500, mss);
					if (plen < mss) flags |= TH_PSH;
				}
			}
		} else if (f->rst) {
			flags = TH_RST | TH_ACK; from_client = (f->dns_id & 1);
		} else if (k == n - 3) {
			flags = TH_FIN | TH_ACK;
		} else if (k == n - 2) {
			flags = TH_FIN | TH_ACK; from_client = 0;
		} else {
			flags = TH_ACK;
		}
		if (flags & TH_SYN) {
			uint8_t o[12] = {2, 4, (uint8_t)(mss >> 8), (uint8_t)mss, 1, 1, 4, 2, 1, 3, 3, 7};
			memcpy(opts, o, 12); olen = 12;
		}
	} else {
		switch (f->kind) {
		case K_DNS:
			from_client = (k % 2 == 0);
			plen = dns_payload(f, !from_client, dnsbuf);
			pay = dnsbuf;
			break;
		case K_QUIC:
			from_client = k < 2 ? k == 0 : (rnd() & 3) == 0;
			plen = k < 2 || urand() < 0.7 ? rrange(1200, f->v6 ? 1232 : 1350) : rrange(40, 90);
			break;
		case K_NTP:
			from_client = (k % 2 == 0); plen = 48;
			break;
		case K_STATSD:
			plen = rrange(30, 300);
			break;
		default: /* syslog */
			plen = rrange(80, 480);
			break;
		}
	}

	/* ---- headers ---- */
	uint8_t caddr[16], saddr[16], cmac[6], smac[6];
	int v6 = f->v6;
	if (v6) { client_v6(f->client, caddr); server_v6(f->srv_class, f->server, saddr); }
	else    { client_v4(f->client, caddr); server_v4(f->srv_class, f->server, saddr); }
	client_mac(f->client, cmac);
	if (f->srv_class == S_POD) { /* east-west: peer pod is routed via the bridge too */
		memcpy(smac, gw_mac, 6); smac[4] = 0x10; smac[5] = (uint8_t)f->server;
	} else {
		memcpy(smac, gw_mac, 6);
	}
	const uint8_t *src = from_client ? caddr : saddr, *dst = from_client ? saddr : caddr;
	uint16_t sp = from_client ? f->cport : f->sport, dp = from_client ? f->sport : f->cport;

	uint8_t *p = frame;
	memcpy(p, from_client ? smac : cmac, 6);
	memcpy(p + 6, from_client ? cmac : smac, 6);
	put16(p + 12, v6 ? 0x86dd : 0x0800);
	p += 14;

	int tcp = f->kind == K_TCP;
	size_t l4hdr = tcp ? 20 + olen : 8;
	size_t l4len = l4hdr + plen;
	uint8_t proto = tcp ? 6 : 17;
	uint32_t psum;
	if (v6) {
		put32(p, 0x60000000u | ((uint32_t)(f->cport ^ f->sport) & 0xfffff));
		put16(p + 4, (uint32_t)l4len); p[6] = proto; p[7] = from_client ? 64 : 57;
		memcpy(p + 8, src, 16); memcpy(p + 24, dst, 16);
		psum = sum16(src, 16, 0); psum = sum16(dst, 16, psum);
		psum += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff) + proto;
		p += 40;
	} else {
		uint16_t *id = from_client ? &f->ipid_c : &f->ipid_s;
		p[0] = 0x45; p[1] = 0; put16(p + 2, (uint32_t)(20 + l4len)); put16(p + 4, (*id)++);
		put16(p + 6, tcp ? 0x4000 : 0); p[8] = from_client ? 64 : 57; p[9] = proto;
		put16(p + 10, 0); memcpy(p + 12, src, 4); memcpy(p + 16, dst, 4);
		put16(p + 10, fold(sum16(p, 20, 0)));
		psum = sum16(src, 4, 0); psum = sum16(dst, 4, psum);
		psum += (uint32_t)l4len + proto;
		p += 20;
	}

	uint8_t *l4 = p;
	put16(l4, sp); put16(l4 + 2, dp);
	if (tcp) {
		uint32_t *myseq = from_client ? &f->seq_c : &f->seq_s;
		uint32_t other = from_client ? f->seq_s : f->seq_c;
		put32(l4 + 4, *myseq);
		put32(l4 + 8, (flags & TH_ACK) ? other : 0);
		l4[12] = (uint8_t)((l4hdr / 4) << 4); l4[13] = flags;
		put16(l4 + 14, (flags & TH_SYN) ? 64240 : 502 + (f->sport & 0x3ff));
		put16(l4 + 16, 0); put16(l4 + 18, 0);
		if (olen) memcpy(l4 + 20, opts, olen);
		*myseq += (uint32_t)plen + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
	} else {
		put16(l4 + 4, (uint32_t)l4len); put16(l4 + 6, 0);
	}
	uint8_t *pl = l4 + l4hdr;
	if (plen) {
		if (pay) memcpy(pl, pay, plen);
		else {
			size_t off = rnd() % (sizeof randbuf - plen);
			memcpy(pl, randbuf + off, plen);
		}
	}
	if (f->kind == K_NTP) { /* LI 0, version 4, mode 3 (client) / 4 (server) */
		pl[0] = from_client ? 0x23 : 0x24; pl[1] = from_client ? 0 : 2; pl[2] = 6; pl[3] = 0xe9;
	}
	uint16_t ck = fold(sum16(l4, l4len, psum));
	if (!tcp && ck == 0) ck = 0xffff;
	put16(l4 + (tcp ? 16 : 6), ck);

	size_t len = (size_t)(pl + plen - frame);
	if (len < 60) { memset(frame + len, 0, 60 - len); len = 60; }

	st.pkts++; st.bytes += len;
	if (tcp) st.tcp_pkts++; else st.udp_pkts++;
	if (v6) st.v6_pkts++; else st.v4_pkts++;
	if (len <= 80) st.small_frames++;
	if (len >= 500) st.big_frames++;
	return len;
}

/* ---- heap of active flows by next packet time ---- */

struct hent { uint64_t t; uint32_t f; };
static struct hent *heap;
static size_t hn;

static int hless(const struct hent *a, const struct hent *b)
{
	return a->t < b->t || (a->t == b->t && a->f < b->f);
}
static void hpush(uint64_t t, uint32_t f)
{
	size_t i = hn++;
	heap[i] = (struct hent){t, f};
	while (i) {
		size_t pa = (i - 1) / 2;
		if (!hless(&heap[i], &heap[pa])) break;
		struct hent x = heap[i]; heap[i] = heap[pa]; heap[pa] = x; i = pa;
	}
}
static void hsift(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < hn && hless(&heap[l], &heap[m])) m = l;
		if (r < hn && hless(&heap[r], &heap[m])) m = r;
		if (m == i) return;
		struct hent x = heap[i]; heap[i] = heap[m]; heap[m] = x; i = m;
	}
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: gen-capture [-n PACKETS] [-f FLOWS] [-r FLOWS_PER_SEC] [-s SEED] -o FILE|-\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *e; errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || e == s || *e || v == 0) usage();
	return v;
}

int main(int argc, char **argv)
{
	uint64_t npkts = 2000000, nflows = 200000, seed = 20261126;
	double rate = 1000.0;
	const char *out = NULL;
	int c;
	while ((c = getopt(argc, argv, "n:f:r:s:o:h")) != -1) {
		switch (c) {
		case 'n': npkts = num(optarg); break;
		case 'f': nflows = num(optarg); break;
		case 'r': rate = (double)num(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!out || optind != argc) usage();
	if (nflows > (uint64_t)NCLIENT * NEPHEM || nflows > npkts) {
		fprintf(stderr, "gen-capture: need 1 <= flows <= packets and flows <= %llu\n",
		        (unsigned long long)NCLIENT * NEPHEM);
		return 2;
	}
	uint32_t F = (uint32_t)nflows;
	uint64_t s = seed;
	for (int i = 0; i < 4; i++) rs[i] = splitmix64(&s);
	for (size_t i = 0; i < sizeof randbuf; i++) randbuf[i] = (uint8_t)rnd();

	struct flow *fl = calloc(F, sizeof *fl);
	uint32_t *perm = malloc((size_t)F * sizeof *perm);
	double *w = malloc((size_t)F * sizeof *w);
	heap = malloc((size_t)F * sizeof *heap);
	if (!fl || !perm || !w || !heap) { perror("gen-capture"); return 1; }

	/* Distinct 5-tuples by construction: tuple id -> (client, ephemeral port)
	 * is one-to-one. Ids are shuffled so start order says nothing. */
	for (uint32_t i = 0; i < F; i++) perm[i] = i;
	for (uint32_t i = F - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd() % ((uint64_t)i + 1));
		uint32_t x = perm[i]; perm[i] = perm[j]; perm[j] = x;
	}

	/* Kinds, minimum sizes and weights for the rest of the budget. */
	uint64_t minsum = 0;
	double wsum = 0;
	for (uint32_t i = 0; i < F; i++) {
		struct flow *f = &fl[i];
		uint32_t id = perm[i];
		f->client = id % NCLIENT;
		f->cport = (uint16_t)(32768 + ((uint64_t)(id / NCLIENT) * 7919 + f->client * 13) % NEPHEM);
		f->v6 = urand() < 0.2;
		f->dns_id = (uint16_t)rnd();
		double u = urand(), pareto = pow(1.0 - urand(), -1.0 / 1.3);
		if (pareto > 5000) pareto = 5000;
		if (u < 0.65) {
			static const uint16_t ports[] = {443, 443, 443, 443, 443, 8080, 5432, 6379, 9092, 3306, 8443, 22};
			f->kind = K_TCP; f->npkts = 8; w[i] = pareto;
			f->sport = ports[rnd() % (sizeof ports / sizeof ports[0])];
			double m = urand();
			f->mode = m < 0.6 ? M_DOWNLOAD : m < 0.75 ? M_UPLOAD : M_INTERACTIVE;
			f->rst = urand() < 0.04;
			f->seq_c = (uint32_t)rnd(); f->seq_s = (uint32_t)rnd();
			if (f->sport == 5432 || f->sport == 6379 || f->sport == 9092 || f->sport == 3306 || f->sport == 8080) {
				f->srv_class = S_POD; f->server = (uint32_t)(rnd() % NPOD);
			} else {
				f->srv_class = urand() < 0.3 ? S_POD : S_WORLD;
				f->server = (uint32_t)(rnd() % (f->srv_class == S_POD ? NPOD : NWORLD));
			}
		} else if (u < 0.90) {
			f->kind = K_DNS; f->sport = 53; f->srv_class = S_DNS;
			f->server = (uint32_t)(rnd() % 20000);           /* name index */
			f->npkts = urand() < 0.05 ? 1 : 2; w[i] = 0;
		} else {
			double v = urand();
			f->srv_class = S_WORLD; f->server = (uint32_t)(rnd() % NWORLD);
			if (v < 0.5)      { f->kind = K_QUIC;   f->sport = 443; f->npkts = 2; w[i] = pareto; }
			else if (v < 0.7) { f->kind = K_NTP;    f->sport = 123; f->npkts = 2; w[i] = 0.1 * pareto; }
			else if (v < 0.9) { f->kind = K_STATSD; f->sport = 8125; f->npkts = 1; w[i] = 0.2 * pareto;
			                    f->srv_class = S_POD; f->server = (uint32_t)(rnd() % NPOD); }
			else              { f->kind = K_SYSLOG; f->sport = 514; f->npkts = 1; w[i] = 0.2 * pareto; }
		}
		minsum += f->npkts;
		wsum += w[i];
	}
	if (minsum > npkts) {
		fprintf(stderr, "gen-capture: %llu flows need at least %llu packets in this traffic mix\n",
		        (unsigned long long)F, (unsigned long long)minsum);
		return 2;
	}
	uint64_t extra = npkts - minsum, given = 0;
	for (uint32_t i = 0; i < F; i++) {
		uint64_t e = wsum > 0 ? (uint64_t)floor((double)extra * w[i] / wsum) : 0;
		fl[i].npkts += (uint32_t)e; given += e;
	}
	for (uint32_t i = 0; given < extra; i = (i + 1) % F) /* remainder: < one per weighted flow */
		if (w[i] > 0 || wsum == 0) { fl[i].npkts++; given++; }

	/* Timing: Poisson arrivals, log-uniform durations. */
	uint64_t t0 = 1795000000ULL * 1000000ULL, t = t0;
	uint32_t biggest = 0;
	for (uint32_t i = 0; i < F; i++) {
		struct flow *f = &fl[i];
		t += (uint64_t)expo(1e6 / rate) + 1;
		f->start_us = t;
		double d = f->kind == K_DNS || f->kind == K_NTP ? loguniform(300, 40000)
		                                                : loguniform(20000, 30e6);
		if (d < 100.0 * f->npkts) d = 100.0 * f->npkts; /* at most 10k packets/s per flow */
		f->gap_us = f->npkts > 1 ? (uint32_t)(d / (f->npkts - 1)) : 1;
		if (f->npkts > biggest) biggest = f->npkts;
		if (f->kind == K_TCP) st.tcp_flows++; else st.udp_flows++;
		if (f->v6) st.v6_flows++; else st.v4_flows++;
	}
	free(w); free(perm);

	FILE *o = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!o) { fprintf(stderr, "gen-capture: %s: %s\n", out, strerror(errno)); return 1; }
	static char obuf[1 << 20];
	setvbuf(o, obuf, _IOFBF, sizeof obuf);
	uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 262144, 1}; /* v2.4, snaplen, LINKTYPE_ETHERNET */
	fwrite(gh, sizeof gh, 1, o);

	uint8_t frame[2048];
	uint32_t next = 0;
	uint64_t active_sum = 0, active_max = 0, last_t = 0;
	while (next < F || hn) {
		while (next < F && (hn == 0 || fl[next].start_us <= heap[0].t)) {
			hpush(fl[next].start_us, next);
			next++;
		}
		if (hn > active_max) active_max = hn;
		active_sum += hn;
		struct hent top = heap[0];
		struct flow *f = &fl[top.f];
		size_t len = build(f, frame);
		uint32_t rec[4] = {(uint32_t)(top.t / 1000000), (uint32_t)(top.t % 1000000),
		                   (uint32_t)len, (uint32_t)len};
		fwrite(rec, sizeof rec, 1, o);
		fwrite(frame, len, 1, o);
		last_t = top.t;
		if (++f->sent < f->npkts) {
			heap[0].t = top.t + 1 + (uint64_t)(f->gap_us * (0.25 + 1.5 * urand()));
			hsift(0);
		} else {
			heap[0] = heap[--hn];
			hsift(0);
		}
	}
	if (fflush(o) || ferror(o) || (o != stdout && fclose(o))) {
		fprintf(stderr, "gen-capture: %s: write error: %s\n", out, strerror(errno));
		return 1;
	}

	fprintf(stderr,
	        "gen-capture: %llu packets (%llu TCP, %llu UDP; %llu IPv4, %llu IPv6), %llu bytes of frames\n"
	        "gen-capture: %u flows (%llu TCP, %llu UDP; %llu IPv4, %llu IPv6), largest %u packets\n"
	        "gen-capture: frames <= 80 bytes %.1f%%, >= 500 bytes %.1f%%; capture spans %.1f s\n"
	        "gen-capture: active flows: mean %.0f, max %llu\n",
	        (unsigned long long)st.pkts, (unsigned long long)st.tcp_pkts, (unsigned long long)st.udp_pkts,
	        (unsigned long long)st.v4_pkts, (unsigned long long)st.v6_pkts, (unsigned long long)st.bytes,
	        F, (unsigned long long)st.tcp_flows, (unsigned long long)st.udp_flows,
	        (unsigned long long)st.v4_flows, (unsigned long long)st.v6_flows, biggest,
	        100.0 * st.small_frames / st.pkts, 100.0 * st.big_frames / st.pkts,
	        (double)(last_t - t0) / 1e6,
	        (double)active_sum / st.pkts, (unsigned long long)active_max);
	free(fl); free(heap);
	return 0;
}
