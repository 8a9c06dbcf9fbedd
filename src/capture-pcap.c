/* capture-pcap.c — classic pcap files through libpcap
 * (https://www.tcpdump.org/manpages/pcap-savefile.5.html), nanosecond
 * precision requested so both timestamp flavours come out exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"

struct capture_pcap {
	struct capture c;     /* must stay first */
	pcap_t *pc;
	enum link_type link;
	uint32_t linktype;
	int done;
};

/* libpcap reports DLT_ values, which differ from the file's LINKTYPE_ for a
 * few types (DLT_RAW is 12 or 14, DLT_LOOP 12 or 108 by platform). */
static enum link_type
link_from_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:     return LINK_ETHERNET;
	case DLT_LINUX_SLL:  return LINK_SLL;
	case DLT_LINUX_SLL2: return LINK_SLL2;
	case DLT_RAW:        return LINK_RAW;
#ifdef DLT_IPV4
	case DLT_IPV4:       return LINK_IPV4;
	case DLT_IPV6:       return LINK_IPV6;
#endif
	case DLT_NULL:       return LINK_NULL;
	case DLT_LOOP:       return LINK_LOOP;
	default:             return link_from_linktype((uint32_t)dlt);
	}
}

static int
pcap_file_next(struct capture *c, struct pkt *p)
{
	struct capture_pcap *cp = (struct capture_pcap *)c;
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	if (cp->done)
		return 0;
	r = pcap_next_ex(cp->pc, &h, &data);
	if (r == 1) {
		p->data = data;
		p->caplen = h->caplen;
		p->len = h->len;
		/* With nanosecond precision tv_usec holds nanoseconds. */
		p->ts_ns = (uint64_t)(int64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
		p->link = cp->link;
		p->linktype = cp->linktype;
		p->iface = -1;
		return 1;
	}
	cp->done = 1;
	if (r == PCAP_ERROR_BREAK)
		return 0;
	snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(cp->pc));
	return -1;
}

static void
pcap_file_close(struct capture *c)
{
	struct capture_pcap *cp = (struct capture_pcap *)c;

	pcap_close(cp->pc);
	free(cp);
}

static const struct capture_ops pcap_file_ops = {
	.name = "pcap",
	.next = pcap_file_next,
	.iface_name = NULL,
	.close = pcap_file_close,
};

struct capture *
capture_pcap_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture_pcap *cp;
	pcap_t *pc;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s", ebuf);
		return NULL;
	}
	cp = calloc(1, sizeof(*cp));
	if (!cp) {
		pcap_close(pc);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cp->c.ops = &pcap_file_ops;
	cp->pc = pc;
	cp->linktype = (uint32_t)pcap_datalink(pc);
	cp->link = link_from_dlt(pcap_datalink(pc));
	return &cp->c;
}
