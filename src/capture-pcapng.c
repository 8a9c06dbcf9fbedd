/*
 * capture-pcapng.c — our own pcapng reader.
 *
 * Spec: "PCAP Now Generic (pcapng) Capture File Format",
 * draft-ietf-opsawg-pcapng (sections 3 "General File Structure",
 * 4.1 Section Header Block, 4.2 Interface Description Block,
 * 4.3 Enhanced Packet Block, 4.4 Simple Packet Block, appendix A
 * Packet Block (obsolete)).
 *
 * Why not libpcap: it refuses a file whose interfaces have different link
 * types or snapshot lengths, refuses sections of different byte orders, and
 * does not say on which interface a packet arrived.  On a container host
 * the interesting capture is exactly the multi-interface one (one veth per
 * container, a bridge, the uplink), so we read the format ourselves.
 *
 * Bytes come from filebuf (the file mapped, or a pipe buffered) and packets
 * are handed out as pointers into it: nothing is copied per packet.  They
 * stay valid until capture_release(), which tells filebuf that the bytes
 * before the next block will not be asked for again.
 *
 * Every byte comes from an untrusted file.  All reads go through a cursor
 * that checks the bytes left before reading; every block length is checked
 * against the file before the block is looked at; every step advances by
 * at least one minimal block, so a damaged file ends in an error, never in
 * a loop or a read outside the buffer.  Allocation is bounded by the file:
 * one interface entry per Interface Description Block read (at least 20
 * bytes of file each), at most MAX_IFACES per section; a block is asked of
 * filebuf only once its length is known to be sane.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "filebuf.h"

/* Block types (spec section 10.1, "Block Type Codes"). */
#define BT_SHB		0x0A0D0D0AU	/* a palindrome: same in both orders */
#define BT_IDB		0x00000001U
#define BT_PB		0x00000002U	/* obsolete Packet Block */
#define BT_SPB		0x00000003U
#define BT_EPB		0x00000006U

#define BYTE_ORDER_MAGIC 0x1A2B3C4DU
#define SWAPPED_MAGIC	0x4D3C2B1AU

#define PCAPNG_MAJOR	1

/* Option codes we use (4.2). */
#define OPT_ENDOFOPT	0
#define IF_NAME		2
#define IF_TSRESOL	9
#define IF_TSOFFSET	14

/* Block Type, Block Total Length, trailing Block Total Length. */
#define BLOCK_MIN	12U
/* Fixed parts of block bodies. */
#define SHB_FIXED	16U	/* magic, major, minor, section length */
#define IDB_FIXED	8U	/* linktype, reserved, snaplen */
#define EPB_FIXED	20U	/* if id, ts high, ts low, caplen, len */
#define PB_FIXED	20U	/* if id(16), drops(16), ts high, ts low, caplen, len */
#define SPB_FIXED	4U	/* original length */

/*
 * libpcap's MAXIMUM_SNAPLEN: capture tools write no more per packet for
 * the link types we decode (only the likes of D-Bus or USBPcap go above),
 * so a larger captured length is damage.
 */
#define MAX_CAPLEN	262144U
/* Interfaces per section; real captures have a few hundred at most. */
#define MAX_IFACES	65536U

#define NS_PER_SEC	1000000000ULL

struct pcapng_if {
	uint32_t linktype;
	uint32_t snaplen;	/* 0: no limit (4.2) */
	enum link_type link;
	uint64_t units;		/* timestamp units per second */
	uint8_t res_exp;	/* units = 10^res_exp, or 2^res_exp if res_bin */
	uint8_t res_bin;
	int64_t tsoffset;	/* seconds added to every timestamp */
	char *name;		/* if_name, NUL-terminated, or NULL */
};

struct pcapng {
	struct capture c;	/* first: the generic layer casts */
	struct filebuf *fb;
	uint64_t off;		/* next block */
	int be;			/* current section is big-endian */
	int held;		/* packets handed out since the last release */
	/*
	 * Interfaces of every section read so far: names handed out by
	 * iface_name stay valid until close, even after a new section
	 * starts.  The current section's interface i is ifs[sec_base + i],
	 * and packets carry that file-wide index, so interface 0 of the
	 * second section is not mistaken for interface 0 of the first.
	 */
	struct pcapng_if *ifs;
	size_t nifs, ifs_cap;
	size_t sec_base;
};

/* A bounds-checked view of bytes in the current section's byte order. */
struct cur {
	const uint8_t *p;
	size_t left;
	int be;
};

/* One block, validated against the file (framing only, not contents). */
struct block {
	uint64_t off;		/* of its first byte in the file */
	uint32_t type;
	uint32_t len;		/* total length, framing included */
	int be;			/* byte order its contents use */
	struct cur body;	/* between the two length fields */
};

static int
block_fail(struct pcapng *r, const struct block *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As fail(), prefixed with the block's offset so a user can look at it. */
static int
block_fail(struct pcapng *r, const struct block *b, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return capture_fail(&r->c, "pcapng: block at offset %" PRIu64 ": %s", b->off, msg);
}

/* Unchecked loads: callers have checked the length. */
static uint16_t
ld16(const uint8_t *p, int be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t
ld32(const uint8_t *p, int be)
{
	if (be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

static uint64_t
ld64(const uint8_t *p, int be)
{
	uint64_t a = ld32(p, be), b = ld32(p + 4, be);

	return be ? a << 32 | b : b << 32 | a;
}

/* Checked reads: 0 and advance, or -1 and leave the cursor alone. */
static int
cur_u16(struct cur *c, uint16_t *v)
{
	if (c->left < 2)
		return -1;
	*v = ld16(c->p, c->be);
	c->p += 2;
	c->left -= 2;
	return 0;
}

static int
cur_u32(struct cur *c, uint32_t *v)
{
	if (c->left < 4)
		return -1;
	*v = ld32(c->p, c->be);
	c->p += 4;
	c->left -= 4;
	return 0;
}

static int
cur_u64(struct cur *c, uint64_t *v)
{
	if (c->left < 8)
		return -1;
	*v = ld64(c->p, c->be);
	c->p += 8;
	c->left -= 8;
	return 0;
}

static const uint8_t *
cur_take(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->left < n)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

static const char *
block_name(uint32_t type)
{
	switch (type) {
	case BT_SHB:
		return "Section Header Block";
	case BT_IDB:
		return "Interface Description Block";
	case BT_PB:
		return "Packet Block";
	case BT_SPB:
		return "Simple Packet Block";
	case BT_EPB:
		return "Enhanced Packet Block";
	}
	return "block";
}

/* Why filebuf could not give n bytes at off: a read error or a short file. */
static int
short_read(struct pcapng *r, uint64_t off, size_t n, long long avail)
{
	if (avail < 0)
		return capture_fail(&r->c, "pcapng: read error at offset %" PRIu64 ": %s",
		    off, strerror(errno));
	return capture_fail(&r->c, "pcapng: truncated block at offset %" PRIu64
	    " (need %zu bytes, %lld left)", off, n, avail);
}

/*
 * Frame the block at r->off (3.1): type, total length, body, total length
 * again.  The total length must cover the framing, be a multiple of 4, lie
 * within the file and match the trailing copy; only then is the body
 * looked at.  A Section Header Block carries its own byte order, so its
 * length is read in the order its magic says, not the previous section's.
 * 1: a block; 0: the file ends here, at a block boundary; -1: damage.
 */
static int
block_get(struct pcapng *r, struct block *b)
{
	const uint8_t *p;
	long long avail = 0;
	uint32_t trail;

	b->off = r->off;
	/* The smallest block: enough for a type, a length and SHB's magic. */
	if ((p = filebuf_get(r->fb, b->off, BLOCK_MIN, &avail)) == NULL) {
		if (avail == 0)
			return 0;
		return short_read(r, b->off, BLOCK_MIN, avail);
	}
	b->type = ld32(p, r->be);
	b->be = r->be;
	if (b->type == BT_SHB) {
		uint32_t magic = ld32(p + 8, 0);

		if (magic == BYTE_ORDER_MAGIC)
			b->be = 0;
		else if (magic == SWAPPED_MAGIC)
			b->be = 1;
		else
			return block_fail(r, b, "Section Header Block has bad "
			    "byte-order magic 0x%08x", magic);
	}
	b->len = ld32(p + 4, b->be);
	if (b->len < BLOCK_MIN)
		return block_fail(r, b, "total length %u < %u", b->len,
		    BLOCK_MIN);
	if (b->len % 4 != 0)
		return block_fail(r, b, "total length %u not a multiple of 4",
		    b->len);
	if ((p = filebuf_get(r->fb, b->off, b->len, &avail)) == NULL)
		return short_read(r, b->off, b->len, avail);
	trail = ld32(p + b->len - 4, b->be);
	if (trail != b->len)
		return block_fail(r, b, "trailing total length %u != "
		    "leading total length %u", trail, b->len);
	b->body.p = p + 8;
	b->body.left = b->len - BLOCK_MIN;
	b->body.be = b->be;
	return 1;
}

/*
 * Section Header Block (4.1): starts a new section with its own byte order
 * and its own interface numbering.  Its options (hardware, OS, application)
 * are of no use to us.  The section length is advisory ("-1" is common), we
 * walk blocks instead.
 */
static int
do_shb(struct pcapng *r, struct block *b)
{
	uint32_t magic;
	uint16_t major, minor;
	uint64_t seclen;

	if (cur_u32(&b->body, &magic) == -1 ||
	    cur_u16(&b->body, &major) == -1 ||
	    cur_u16(&b->body, &minor) == -1 ||
	    cur_u64(&b->body, &seclen) == -1)
		return block_fail(r, b, "Section Header Block too short "
		    "(total length %u < %u)", b->len, BLOCK_MIN + SHB_FIXED);
	/* A different major version may change the block layout. */
	if (major != PCAPNG_MAJOR)
		return block_fail(r, b, "unsupported pcapng version %u.%u",
		    major, minor);
	r->be = b->be;
	r->sec_base = r->nifs;
	return 0;
}

/* if_tsresol (4.2): 10^-n, or 2^-n when the high bit is set. */
static int
set_tsresol(struct pcapng *r, const struct block *b, struct pcapng_if *ifp,
    uint8_t v)
{
	unsigned int n = v & 0x7f, i;

	if (v & 0x80) {
		/* 2^-n seconds; the units per second must fit 64 bits. */
		if (n > 63)
			return block_fail(r, b, "if_tsresol 2^-%u is too fine",
			    n);
		ifp->units = (uint64_t)1 << n;
		ifp->res_bin = 1;
	} else {
		/* 10^19 is the largest power of ten below 2^64. */
		if (n > 19)
			return block_fail(r, b, "if_tsresol 10^-%u is too fine",
			    n);
		ifp->units = 1;
		for (i = 0; i < n; i++)
			ifp->units *= 10;
		ifp->res_bin = 0;
	}
	ifp->res_exp = (uint8_t)n;
	return 0;
}

/* Keep the first if_name, up to its first NUL; an empty one is no name. */
static int
set_name(struct pcapng *r, struct pcapng_if *ifp, const uint8_t *v,
    uint16_t len)
{
	size_t n;

	if (ifp->name != NULL)
		return 0;
	n = strnlen((const char *)v, len);
	if (n == 0)
		return 0;
	if ((ifp->name = malloc(n + 1)) == NULL)
		return capture_fail(&r->c, "pcapng: out of memory");
	memcpy(ifp->name, v, n);
	ifp->name[n] = '\0';
	return 0;
}

/*
 * Options (3.5): code, length, value padded to 32 bits, up to opt_endofopt
 * or the end of the block.  Every length is checked against the bytes left
 * in the block.  A malformed timestamp option is an error rather than
 * ignored: guessing the resolution would silently shift every timestamp.
 */
static int
idb_options(struct pcapng *r, struct block *b, struct pcapng_if *ifp)
{
	struct cur *c = &b->body;
	int saw_tsresol = 0, saw_tsoffset = 0;

	while (c->left > 0) {
		uint16_t code, len;
		const uint8_t *v;

		if (cur_u16(c, &code) == -1 || cur_u16(c, &len) == -1)
			return block_fail(r, b, "option header truncated "
			    "(%zu bytes left)", c->left);
		if (code == OPT_ENDOFOPT)
			break;
		if ((v = cur_take(c, ((size_t)len + 3) & ~(size_t)3)) == NULL)
			return block_fail(r, b, "option %u length %u exceeds "
			    "the block (%zu bytes left)", code, len, c->left);
		switch (code) {
		case IF_NAME:
			if (set_name(r, ifp, v, len) == -1)
				return -1;
			break;
		case IF_TSRESOL:
			if (saw_tsresol)
				return block_fail(r, b, "if_tsresol repeated");
			if (len != 1)
				return block_fail(r, b, "if_tsresol length %u "
				    "!= 1", len);
			if (set_tsresol(r, b, ifp, v[0]) == -1)
				return -1;
			saw_tsresol = 1;
			break;
		case IF_TSOFFSET:
			if (saw_tsoffset)
				return block_fail(r, b, "if_tsoffset repeated");
			if (len != 8)
				return block_fail(r, b, "if_tsoffset length %u "
				    "!= 8", len);
			ifp->tsoffset = (int64_t)ld64(v, c->be);
			saw_tsoffset = 1;
			break;
		}
	}
	return 0;
}

/* Room for one more interface, growing geometrically. */
static struct pcapng_if *
if_alloc(struct pcapng *r, const struct block *b)
{
	struct pcapng_if *ifp;

	if (r->nifs - r->sec_base >= MAX_IFACES) {
		block_fail(r, b, "more than %u interfaces in one section",
		    MAX_IFACES);
		return NULL;
	}
	if (r->nifs == r->ifs_cap) {
		size_t ncap = r->ifs_cap ? r->ifs_cap * 2 : 8;
		struct pcapng_if *n;

		if (ncap > SIZE_MAX / sizeof(*n) ||
		    (n = realloc(r->ifs, ncap * sizeof(*n))) == NULL) {
			capture_fail(&r->c, "pcapng: out of memory");
			return NULL;
		}
		r->ifs = n;
		r->ifs_cap = ncap;
	}
	ifp = &r->ifs[r->nifs];
	memset(ifp, 0, sizeof(*ifp));
	return ifp;
}

/* Interface Description Block (4.2): the next interface of this section. */
static int
do_idb(struct pcapng *r, struct block *b)
{
	struct pcapng_if *ifp;
	uint16_t linktype, reserved;
	uint32_t snaplen;

	if (cur_u16(&b->body, &linktype) == -1 ||
	    cur_u16(&b->body, &reserved) == -1 ||
	    cur_u32(&b->body, &snaplen) == -1)
		return block_fail(r, b, "Interface Description Block too "
		    "short (total length %u < %u)", b->len,
		    BLOCK_MIN + IDB_FIXED);
	if ((ifp = if_alloc(r, b)) == NULL)
		return -1;
	ifp->linktype = linktype;
	ifp->link = link_from_linktype(linktype);
	ifp->snaplen = snaplen;
	ifp->units = 1000000;	/* default if_tsresol: microseconds */
	ifp->res_exp = 6;
	if (idb_options(r, b, ifp) == -1) {
		free(ifp->name);
		return -1;
	}
	r->nifs++;		/* only now: a failed IDB leaves no entry */
	return 0;
}

/*
 * Fraction of a second, in interface units (frac < units), to nanoseconds,
 * rounded down like libpcap.  Powers of ten are an exact multiply or
 * divide.  For 2^-k, frac * 10^9 >> k needs up to 93 bits; below k = 34 it
 * fits 64 (frac < 2^34, 10^9 < 2^30), above it is done in two 32-bit
 * halves so that no 128-bit type is needed.
 */
static uint64_t
frac_to_ns(uint64_t frac, const struct pcapng_if *ifp)
{
	static const uint64_t pow10[] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
		1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
		10000000000ULL,
	};
	unsigned int k = ifp->res_exp;
	uint64_t hi, lo;

	if (!ifp->res_bin)
		return k <= 9 ? frac * pow10[9 - k] : frac / pow10[k - 9];
	if (k <= 34)
		return frac * NS_PER_SEC >> k;
	/*
	 * frac * 10^9 = hi * 2^32 + (lo & 0xffffffff), hi < 2^62; the low
	 * 32 bits cannot carry into the result since k >= 32.
	 */
	lo = (frac & 0xffffffffU) * NS_PER_SEC;
	hi = (frac >> 32) * NS_PER_SEC + (lo >> 32);
	return hi >> (k - 32);
}

/*
 * Interface timestamp to nanoseconds since the epoch: whole seconds and
 * fraction are converted apart, so nothing overflows whatever the
 * resolution; if_tsoffset is added in seconds.  ts_ns covers 1970..2554:
 * an instant outside that saturates to 0 or UINT64_MAX (a bogus timestamp
 * is not damage to the file's structure; the packet is still good).
 */
static uint64_t
ts_to_ns(uint64_t t, const struct pcapng_if *ifp)
{
	uint64_t sec = t / ifp->units;
	uint64_t ns = frac_to_ns(t % ifp->units, ifp);

	if (ifp->tsoffset >= 0) {
		if (sec > UINT64_MAX - (uint64_t)ifp->tsoffset)
			return UINT64_MAX;
		sec += (uint64_t)ifp->tsoffset;
	} else {
		/* -INT64_MIN overflows int64_t; negate in two steps. */
		uint64_t neg = (uint64_t)(-(ifp->tsoffset + 1)) + 1;

		if (sec < neg)
			return 0;
		sec -= neg;
	}
	if (sec > (UINT64_MAX - ns) / NS_PER_SEC)
		return UINT64_MAX;
	return sec * NS_PER_SEC + ns;
}

/* The interface a packet block names, or NULL with the error set. */
static const struct pcapng_if *
pkt_iface(struct pcapng *r, const struct block *b, uint32_t ifid)
{
	size_t n = r->nifs - r->sec_base;

	if (n == 0) {
		block_fail(r, b, "%s before any Interface Description Block "
		    "in its section", block_name(b->type));
		return NULL;
	}
	if (ifid >= n) {
		block_fail(r, b, "interface id %u >= %zu interfaces in this "
		    "section", ifid, n);
		return NULL;
	}
	return &r->ifs[r->sec_base + ifid];
}

static void
pkt_fill(struct pkt *p, const struct pcapng *r, const struct pcapng_if *ifp,
    const uint8_t *data, uint32_t caplen, uint32_t len, uint64_t t)
{
	p->data = data;
	p->caplen = caplen;
	p->len = len;
	p->ts_ns = ts_to_ns(t, ifp);
	p->link = ifp->link;
	p->linktype = ifp->linktype;
	p->iface = (int)(ifp - r->ifs);
}

/*
 * Enhanced Packet Block (4.3) and the obsolete Packet Block (appendix A):
 * same layout but a 16-bit interface id followed by a drop count.  The
 * packet data must lie in the block; its options (flags, hashes, drop
 * counts) are not used, and not validated either: a packet is not
 * dropped for damage in metadata we do not read.
 */
static int
do_epb(struct pcapng *r, struct block *b, struct pkt *p)
{
	const struct pcapng_if *ifp;
	const uint8_t *data;
	uint32_t ifid, tshi, tslo, caplen, len;
	uint16_t ifid16;
	int ok;

	if (b->type == BT_EPB) {
		ok = cur_u32(&b->body, &ifid) == 0;
	} else {
		/* Packet Block: 16-bit interface id, 16-bit drop count. */
		ok = cur_u16(&b->body, &ifid16) == 0 &&
		    cur_take(&b->body, 2) != NULL;
		ifid = ifid16;
	}
	if (!ok || cur_u32(&b->body, &tshi) == -1 ||
	    cur_u32(&b->body, &tslo) == -1 ||
	    cur_u32(&b->body, &caplen) == -1 ||
	    cur_u32(&b->body, &len) == -1)
		return block_fail(r, b, "%s too short (total length %u < %u)",
		    block_name(b->type), b->len, BLOCK_MIN +
		    (b->type == BT_EPB ? EPB_FIXED : PB_FIXED));
	if ((ifp = pkt_iface(r, b, ifid)) == NULL)
		return -1;
	if (caplen > MAX_CAPLEN)
		return block_fail(r, b, "captured length %u > %u", caplen,
		    MAX_CAPLEN);
	if ((data = cur_take(&b->body, caplen)) == NULL)
		return block_fail(r, b, "captured length %u exceeds the block "
		    "(%zu bytes of packet data)", caplen, b->body.left);
	pkt_fill(p, r, ifp, data, caplen, len, (uint64_t)tshi << 32 | tslo);
	return 1;
}

/*
 * Simple Packet Block (4.4): interface 0, no timestamp (libpcap reports
 * time 0 plus if_tsoffset; so do we), no captured length: it is the
 * original length cut to the space in the block (the rest is padding)
 * and to the interface's snapshot length.
 */
static int
do_spb(struct pcapng *r, struct block *b, struct pkt *p)
{
	const struct pcapng_if *ifp;
	uint32_t len, caplen;

	if (cur_u32(&b->body, &len) == -1)
		return block_fail(r, b, "Simple Packet Block too short "
		    "(total length %u < %u)", b->len, BLOCK_MIN + SPB_FIXED);
	if ((ifp = pkt_iface(r, b, 0)) == NULL)
		return -1;
	caplen = len;
	if (caplen > b->body.left)
		caplen = (uint32_t)b->body.left;
	if (ifp->snaplen != 0 && caplen > ifp->snaplen)
		caplen = ifp->snaplen;
	if (caplen > MAX_CAPLEN)
		caplen = MAX_CAPLEN;
	pkt_fill(p, r, ifp, b->body.p, caplen, len, 0);
	return 1;
}

/* 1: a packet; 0: end of file at a block boundary; -1: damage. */
static int
pcapng_next(struct capture *c, struct pkt *p)
{
	struct pcapng *r = (struct pcapng *)c;
	struct block b;
	int rv;

	for (;;) {
		/*
		 * While the caller holds no packet of ours, blocks we skip
		 * can go at once: a long run of them then does not pile
		 * up in filebuf's stream buffer.
		 */
		if (!r->held)
			filebuf_release(r->fb, r->off);
		if ((rv = block_get(r, &b)) != 1)
			break;
		r->off += b.len;	/* >= BLOCK_MIN: always advances */
		switch (b.type) {
		case BT_SHB:
			rv = do_shb(r, &b);
			break;
		case BT_IDB:
			rv = do_idb(r, &b);
			break;
		case BT_EPB:
		case BT_PB:
			rv = do_epb(r, &b, p);
			break;
		case BT_SPB:
			rv = do_spb(r, &b, p);
			break;
		default:
			/* Name resolution, statistics, custom...: not ours. */
			rv = 0;
			break;
		}
		if (rv == 1)
			r->held = 1;
		if (rv != 0)
			return rv;
	}
	return rv;
}

/* The caller is done with every packet so far: filebuf may let them go. */
static void
pcapng_release(struct capture *c)
{
	struct pcapng *r = (struct pcapng *)c;

	filebuf_release(r->fb, r->off);
	r->held = 0;
}

static void
free_ifaces(struct pcapng *r)
{
	size_t i;

	for (i = 0; i < r->nifs; i++)
		free(r->ifs[i].name);
	free(r->ifs);
}

static const char *
pcapng_iface_name(const struct capture *c, int i)
{
	const struct pcapng *r = (const struct pcapng *)c;

	if (i < 0 || (size_t)i >= r->nifs)
		return NULL;
	return r->ifs[i].name;
}

static void
pcapng_close(struct capture *c)
{
	struct pcapng *r = (struct pcapng *)c;

	if (r == NULL)
		return;
	filebuf_close(r->fb);
	free_ifaces(r);
	free(r);
}

static const struct capture_ops pcapng_ops = {
	.name = "pcapng",
	.next = pcapng_next,
	.release = pcapng_release,
	.iface_name = pcapng_iface_name,
	.close = pcapng_close,
};

/*
 * The file must start with a valid Section Header Block: that is what
 * makes it pcapng (and gives the byte order).  Anything else is not ours.
 */
static int
first_shb(struct pcapng *r)
{
	struct block b;
	const uint8_t *p;
	long long avail = 0;
	int rv;

	p = filebuf_get(r->fb, 0, 4, &avail);
	if (p == NULL && avail < 0)
		return short_read(r, 0, 4, avail);
	if (p == NULL || ld32(p, 0) != BT_SHB)
		return capture_fail(&r->c, "pcapng: not a pcapng file (no Section Header "
		    "Block at offset 0)");
	if ((rv = block_get(r, &b)) != 1 || do_shb(r, &b) == -1)
		return -1;	/* rv 0 impossible: 4 bytes are there */
	r->off = b.len;
	return 0;
}

/* On success the capture owns fb; on failure the caller still does. */
struct capture *
capture_pcapng_open_fb(struct filebuf *fb, char *err, size_t errlen)
{
	struct pcapng *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "pcapng: out of memory");
		return NULL;
	}
	r->c.ops = &pcapng_ops;
	r->fb = fb;
	if (first_shb(r) == -1) {
		snprintf(err, errlen, "%s", r->c.err);
		free_ifaces(r);
		free(r);
		return NULL;
	}
	return &r->c;
}
