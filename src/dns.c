/* dns.c — DNS responses to (name, address, TTL) pairs for passive DNS.
 *
 * Message format: RFC 1035 4.1 (header, question, answer, authority,
 * additional); names: 4.1.2 labels of at most 63 octets, 255 octets in all
 * (3.1), compression pointers 4.1.4; AAAA: RFC 3596 2.2; CNAME chains:
 * RFC 1034 3.6.2, RFC 2181 10.1.1; TTL with the top bit set is 0: RFC 2181 8.
 *
 * Three walks over the message, none of which trusts a length or pointer:
 *   1. validate every record of every section (counts must fit the
 *      message, rdata must fit its record, A/AAAA rdata has its exact size,
 *      CNAME rdata is exactly one name), remembering the answer CNAMEs;
 *   2. follow the CNAMEs from the question name (any order in the section);
 *   3. give out the A/AAAA answers whose owner is on that chain.
 * Nothing is given out before walk 1 has accepted the whole message.
 *
 * Names are compared in their uncompressed wire form, lower-cased (DNS
 * names compare case-insensitively, RFC 4343), so "a.b" as one label never
 * equals "a" "b". Pointers must point below the start of the name being
 * read and then below every earlier target: the targets strictly decrease,
 * so a loop (direct, or a label run that reaches the pointer again) and
 * forward pointers are rejected, and a hop limit bounds the work. */
#include <string.h>

#include "dns-int.h"

#define DNS_HDR        12
#define DNS_T_A        1
#define DNS_T_CNAME    5
#define DNS_T_AAAA     28
#define DNS_C_IN       1
#define DNS_WIRE_MAX   255      /* RFC 1035 3.1: octets of a name, on the wire */
#define DNS_HOPS_MAX   128      /* more than a name of 127 one-octet labels needs */
#define DNS_CNAMES_MAX 32       /* CNAME answers looked at for the chain */

#define FLAG_QR        0x8000
#define FLAG_TC        0x0200

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read the name starting at *off. Its bytes in place (up to the end, or
 * the first pointer) must not pass end; pointers may go anywhere before it.
 * wire (DNS_WIRE_MAX bytes, may be NULL) gets the uncompressed, lower-cased
 * wire form and *wlen its length. *off moves past the name. */
static int
name_read(const uint8_t *m, size_t len, size_t *off, size_t end, uint8_t *wire, size_t *wlen)
{
	size_t pos = *off, limit = *off, next = 0, n = 0, ptr, i;
	int hops = 0;
	uint8_t b;

	for (;;) {
		if (pos >= len)
			return -1;
		b = m[pos];
		if ((b & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > DNS_HOPS_MAX)
				return -1;
			ptr = (size_t)(b & 0x3f) << 8 | m[pos + 1];
			/* Below the name's start, then below each earlier
			 * target: no loop, no forward reference, no header. */
			if (ptr < DNS_HDR || ptr >= limit)
				return -1;
			if (!next)
				next = pos + 2;
			limit = pos = ptr;
			continue;
		}
		if (b & 0xc0)           /* 0x40, 0x80: extended label types (RFC 6891 9) */
			return -1;
		if (b == 0)
			break;
		/* The label, and the root label still to come, must fit. */
		if (n + 1 + b + 1 > DNS_WIRE_MAX || b >= len - pos)
			return -1;
		if (wire) {
			wire[n] = b;
			for (i = 1; i <= b; i++) {
				uint8_t c = m[pos + i];
				wire[n + i] = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
			}
		}
		n += 1 + (size_t)b;
		pos += 1 + (size_t)b;
	}
	if (wire)
		wire[n] = 0;
	n++;
	if (!next)
		next = pos + 1;
	if (next > end)
		return -1;
	*off = next;
	if (wlen)
		*wlen = n;
	return 0;
}

/* Wire form to text, no trailing dot. -1 for the root name and for a label
 * whose text would be ambiguous or unprintable ('.', space, control, 8-bit):
 * such a name is never given out. */
static int
name_text(const uint8_t *w, char *text)
{
	size_t n = 0, i;
	uint8_t l;

	if (!w[0])
		return -1;
	while ((l = *w++)) {
		if (n)
			text[n++] = '.';
		for (i = 0; i < l; i++) {
			if (w[i] <= ' ' || w[i] >= 0x7f || w[i] == '.')
				return -1;
			text[n++] = (char)w[i];
		}
		w += l;
	}
	text[n] = '\0';
	return 0;
}

static int
wire_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* One record's fixed part, after its owner name. */
struct rr {
	size_t owner, rdata, end;
	uint16_t type, class;
	uint32_t ttl;
};

static int
rr_read(const uint8_t *m, size_t len, size_t *off, struct rr *r, uint8_t *owner, size_t *olen)
{
	size_t p = *off;
	uint16_t rdlen;

	r->owner = p;
	if (name_read(m, len, &p, len, owner, olen) < 0 || len - p < 10)
		return -1;
	r->type = be16(m + p);
	r->class = be16(m + p + 2);
	r->ttl = be32(m + p + 4);
	if (r->ttl & 0x80000000u)
		r->ttl = 0;
	rdlen = be16(m + p + 8);
	p += 10;
	if (rdlen > len - p)
		return -1;
	r->rdata = p;
	r->end = p + rdlen;
	*off = r->end;
	return 0;
}

struct cname {
	size_t owner, target;
	uint32_t ttl;
	int used;
};

/* Walk 1: every record well formed; the answer CNAMEs of class IN. */
static int
validate(const uint8_t *m, size_t len, size_t off, unsigned nrr, unsigned nan,
         struct cname *cn, unsigned *ncn)
{
	struct rr r;
	size_t p;
	unsigned i;

	*ncn = 0;
	for (i = 0; i < nrr; i++) {
		if (rr_read(m, len, &off, &r, NULL, NULL) < 0)
			return -1;
		if (r.type == DNS_T_CNAME) {
			/* The same for every class: exactly one name. */
			p = r.rdata;
			if (name_read(m, len, &p, r.end, NULL, NULL) < 0 || p != r.end)
				return -1;
			if (i < nan && r.class == DNS_C_IN && *ncn < DNS_CNAMES_MAX) {
				cn[*ncn].owner = r.owner;
				cn[*ncn].target = r.rdata;
				cn[*ncn].ttl = r.ttl;
				cn[*ncn].used = 0;
				(*ncn)++;
			}
		} else if (r.class == DNS_C_IN) {
			if (r.type == DNS_T_A && r.end - r.rdata != 4)
				return -1;
			if (r.type == DNS_T_AAAA && r.end - r.rdata != 16)
				return -1;
		}
	}
	return 0;
}

struct chain {
	uint8_t wire[DNS_MAX_CHAIN][DNS_WIRE_MAX];
	size_t wlen[DNS_MAX_CHAIN];
	uint32_t link_ttl[DNS_MAX_CHAIN];   /* TTL of the CNAME from [i] to [i + 1] */
	char text[DNS_MAX_CHAIN][DNS_NAME_LEN];
	int usable[DNS_MAX_CHAIN];
	unsigned n;
};

static int
chain_find(const struct chain *ch, const uint8_t *w, size_t wlen)
{
	unsigned i;

	for (i = 0; i < ch->n; i++)
		if (wire_eq(ch->wire[i], ch->wlen[i], w, wlen))
			return (int)i;
	return -1;
}

/* Walk 2: from the question, each CNAME whose owner is the chain's end
 * extends it; repeated while it grows, as the section need not be in chain
 * order. The first CNAME for a name wins; one back onto the chain ends it. */
static void
chain_build(const uint8_t *m, size_t len, struct chain *ch, struct cname *cn, unsigned ncn)
{
	uint8_t w[DNS_WIRE_MAX];
	size_t wlen, p;
	unsigned i;
	int grew;

	do {
		grew = 0;
		for (i = 0; i < ncn && ch->n < DNS_MAX_CHAIN; i++) {
			if (cn[i].used)
				continue;
			p = cn[i].owner;
			if (name_read(m, len, &p, len, w, &wlen) < 0 ||
			    !wire_eq(w, wlen, ch->wire[ch->n - 1], ch->wlen[ch->n - 1]))
				continue;
			cn[i].used = 1;
			p = cn[i].target;
			if (name_read(m, len, &p, len, w, &wlen) < 0 || chain_find(ch, w, wlen) >= 0)
				return;
			memcpy(ch->wire[ch->n], w, wlen);
			ch->wlen[ch->n] = wlen;
			ch->link_ttl[ch->n - 1] = cn[i].ttl;
			ch->n++;
			grew = 1;
		}
	} while (grew && ch->n < DNS_MAX_CHAIN);
}

int
dns_parse_msg(const uint8_t *m, size_t len, dns_answer_fn fn, void *arg, int *ignored)
{
	struct cname cn[DNS_CNAMES_MAX];
	uint8_t w[DNS_WIRE_MAX];
	struct dns_answer a;
	struct chain ch;
	uint16_t flags, nqd, nan, nns, nar, qclass;
	size_t off, wlen, start;
	unsigned i, ncn;
	int k, j, pairs = 0;
	uint32_t ttl;
	struct rr r;

	*ignored = 0;
	if (len < DNS_HDR)
		return -1;
	flags = be16(m + 2);
	nqd = be16(m + 4);
	nan = be16(m + 6);
	nns = be16(m + 8);
	nar = be16(m + 10);
	/* A response to a standard query, complete, with an answer; one
	 * question (RFC 9619: QDCOUNT is 1 in practice). */
	if (!(flags & FLAG_QR) || (flags >> 11 & 0xf) != 0 || (flags & FLAG_TC) ||
	    (flags & 0xf) != 0 || nqd != 1) {
		*ignored = 1;
		return 0;
	}
	off = DNS_HDR;
	ch.n = 1;
	if (name_read(m, len, &off, len, ch.wire[0], &ch.wlen[0]) < 0 || len - off < 4)
		return -1;
	qclass = be16(m + off + 2);
	off += 4;
	start = off;
	if (validate(m, len, off, (unsigned)nan + nns + nar, nan, cn, &ncn) < 0)
		return -1;
	if (qclass != DNS_C_IN) {
		*ignored = 1;
		return 0;
	}

	chain_build(m, len, &ch, cn, ncn);
	for (i = 0; i < ch.n; i++)
		ch.usable[i] = name_text(ch.wire[i], ch.text[i]) == 0;
	if (!ch.usable[0])
		return 0;

	/* Walk 3: the address answers for a name on the chain. */
	off = start;
	for (i = 0; i < nan; i++) {
		if (rr_read(m, len, &off, &r, w, &wlen) < 0)
			return pairs;           /* cannot happen: validated */
		if (r.class != DNS_C_IN || (r.type != DNS_T_A && r.type != DNS_T_AAAA))
			continue;
		if ((k = chain_find(&ch, w, wlen)) < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.family = r.type == DNS_T_A ? 4 : 6;
		memcpy(a.addr, m + r.rdata, r.end - r.rdata);
		a.qname = ch.text[0];
		/* The pair (chain[j], addr) holds while every link from j to
		 * the address record does. */
		ttl = r.ttl;
		for (j = k; j >= 0; j--) {
			if (j < k && ch.link_ttl[j] < ttl)
				ttl = ch.link_ttl[j];
			if (!ch.usable[j])
				continue;
			if (pairs >= DNS_MAX_PAIRS)
				return pairs;
			a.name = ch.text[j];
			a.ttl = ttl;
			if (fn)
				fn(&a, arg);
			pairs++;
		}
	}
	return pairs;
}

int
dns_parse(const uint8_t *msg, size_t len, dns_answer_fn fn, void *arg)
{
	int ignored;

	return dns_parse_msg(msg, len, fn, arg, &ignored);
}
