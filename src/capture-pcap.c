/* capture-pcap.c — classic pcap files (pcap-savefile(5); IETF
 * draft-ietf-opsawg-pcap): microsecond and nanosecond magics in either byte
 * order, and the "modified" format of Alexey Kuznetzov's patches (24-byte
 * record headers) that old Linux tcpdumps wrote.
 *
 * Read through filebuf (mmap for files): packets point into the mapping and
 * stay valid until capture_release(), so the engine can work on batches.
 * libpcap remains the live-capture path; for files our reader is both
 * faster (no per-packet copy or read syscall) and batch-friendly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "filebuf.h"

#define PCAP_MAGIC_US   0xa1b2c3d4u
#define PCAP_MAGIC_NS   0xa1b23c4du
#define PCAP_MAGIC_KUZ  0xa1b2cd34u     /* modified pcap, microseconds */
#define PCAP_FILE_HDR   24
#define PCAP_REC_HDR    16
#define PCAP_KUZ_REC_HDR 24
/* Largest record we accept, as libpcap: bigger is damage, not a packet. */
#define PCAP_MAX_CAPLEN (256u * 1024)

struct capture_pcap {
	struct capture c;     /* must stay first */
	struct filebuf *fb;
	uint64_t off;
	int swapped, nsec;
	uint32_t rec_hdr;
	uint32_t linktype;
	enum link_type link;
	unsigned long long n;
	int done;
};

static uint32_t
rd32(const struct capture_pcap *cp, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return cp->swapped ? __builtin_bswap32(v) : v;
}

static int
pcap_next_pkt(struct capture *c, struct pkt *p)
{
	struct capture_pcap *cp = (struct capture_pcap *)c;
	const uint8_t *h, *data;
	uint32_t caplen, len, frac;
	long long avail = 0;

	if (cp->done)
		return 0;
	h = filebuf_get(cp->fb, cp->off, cp->rec_hdr, &avail);
	if (!h) {
		if (avail == 0) {
			cp->done = 1;
			return 0;
		}
		if (avail < 0)
			return capture_fail(&cp->c, "read error at offset %llu: %s",
			                    (unsigned long long)cp->off, strerror(errno));
		return capture_fail(&cp->c, "truncated record header at offset %llu "
		                    "(%lld of %u bytes)", (unsigned long long)cp->off, avail,
		                    cp->rec_hdr);
	}
	caplen = rd32(cp, h + 8);
	len = rd32(cp, h + 12);
	if (caplen > PCAP_MAX_CAPLEN)
		return capture_fail(&cp->c, "record at offset %llu: captured length %u is more "
		                    "than any packet (%u)", (unsigned long long)cp->off, caplen,
		                    PCAP_MAX_CAPLEN);
	data = filebuf_get(cp->fb, cp->off + cp->rec_hdr, caplen, &avail);
	if (!data && caplen) {
		if (avail < 0)
			return capture_fail(&cp->c, "read error at offset %llu: %s",
			                    (unsigned long long)cp->off, strerror(errno));
		return capture_fail(&cp->c, "truncated packet at offset %llu: %lld of %u bytes "
		                    "present", (unsigned long long)cp->off, avail, caplen);
	}
	frac = rd32(cp, h + 4);
	p->data = data;
	p->caplen = caplen;
	p->len = len;
	p->ts_ns = (uint64_t)rd32(cp, h) * 1000000000ULL +
	    (cp->nsec ? frac : (uint64_t)frac * 1000ULL);
	p->link = cp->link;
	p->linktype = cp->linktype;
	p->iface = -1;
	cp->off += cp->rec_hdr + caplen;
	cp->n++;
	return 1;
}

static void
pcap_release(struct capture *c)
{
	struct capture_pcap *cp = (struct capture_pcap *)c;

	filebuf_release(cp->fb, cp->off);
}

static void
pcap_close(struct capture *c)
{
	struct capture_pcap *cp = (struct capture_pcap *)c;

	filebuf_close(cp->fb);
	free(cp);
}

static const struct capture_ops pcap_file_ops = {
	.name = "pcap",
	.next = pcap_next_pkt,
	.release = pcap_release,
	.iface_name = NULL,
	.close = pcap_close,
};

struct capture *
capture_pcap_open_fb(struct filebuf *fb, char *err, size_t errlen)
{
	struct capture_pcap *cp;
	const uint8_t *h;
	long long avail = 0;
	uint32_t magic;

	h = filebuf_get(fb, 0, PCAP_FILE_HDR, &avail);
	if (!h) {
		snprintf(err, errlen, avail < 0 ? "read error" :
		         avail == 0 ? "empty file" : "too short for a capture file (%lld bytes)",
		         avail);
		return NULL;
	}
	cp = calloc(1, sizeof(*cp));
	if (!cp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(&magic, h, 4);
	switch (magic) {
	case PCAP_MAGIC_US: break;
	case PCAP_MAGIC_NS: cp->nsec = 1; break;
	case PCAP_MAGIC_KUZ: cp->rec_hdr = PCAP_KUZ_REC_HDR; break;
	default:
		magic = __builtin_bswap32(magic);
		cp->swapped = 1;
		switch (magic) {
		case PCAP_MAGIC_US: break;
		case PCAP_MAGIC_NS: cp->nsec = 1; break;
		case PCAP_MAGIC_KUZ: cp->rec_hdr = PCAP_KUZ_REC_HDR; break;
		default:
			snprintf(err, errlen, "not a pcap or pcapng file (starts with %02x %02x %02x %02x)",
			         h[0], h[1], h[2], h[3]);
			free(cp);
			return NULL;
		}
	}
	if (!cp->rec_hdr)
		cp->rec_hdr = PCAP_REC_HDR;
	/* The upper bits of the link-type field carry FCS information. */
	cp->linktype = rd32(cp, h + 20) & 0x0fffffffu;
	cp->link = link_from_linktype(cp->linktype);
	cp->c.ops = &pcap_file_ops;
	cp->fb = fb;
	cp->off = PCAP_FILE_HDR;
	return &cp->c;
}
