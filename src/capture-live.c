/* capture-live.c — live capture on one interface through libpcap: the
 * TPACKET_V3 ring (immediate mode stays off: it falls back to TPACKET_V2
 * and halves throughput), a ring buffer sized by the caller (8 MiB by
 * default: the 2 MiB default loses frames at veth speed), non-blocking with
 * a selectable fd for the daemon's poll loop. Packets point into the ring
 * and are valid until the next read (capture_release is a no-op), so the
 * daemon hands them to the engine one at a time. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "log.h"

struct capture_live {
	struct capture c;         /* must stay first */
	pcap_t *pc;
	char name[IF_NAMESIZE];
	int ifindex;
	enum link_type link;
	uint32_t linktype;
	/* Packets of the current pcap_dispatch, handed out one by one. */
	struct pkt *pending;
	int npending, cap_pending, next;
	unsigned long long received;
};

static enum link_type
link_from_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:     return LINK_ETHERNET;
	case DLT_LINUX_SLL:  return LINK_SLL;
	case DLT_LINUX_SLL2: return LINK_SLL2;
	case DLT_RAW:        return LINK_RAW;
	default:             return link_from_linktype((uint32_t)dlt);
	}
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture_live *cl = (struct capture_live *)user;
	struct pkt *p;

	if (cl->npending == cl->cap_pending)
		return;          /* dispatch is bounded by cap_pending: cannot happen */
	p = &cl->pending[cl->npending++];
	p->data = data;
	p->caplen = h->caplen;
	p->len = h->len;
	p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec * 1000ULL;
	p->link = cl->link;
	p->linktype = cl->linktype;
	p->iface = 0;
}

/* 1 packet, 0 nothing ready now (poll the fd), -1 error (the interface
 * went away, typically: the caller closes it). */
static int
live_next(struct capture *c, struct pkt *p)
{
	struct capture_live *cl = (struct capture_live *)c;
	int r;

	if (cl->next >= cl->npending) {
		cl->npending = cl->next = 0;
		r = pcap_dispatch(cl->pc, cl->cap_pending, on_packet, (u_char *)cl);
		if (r < 0)
			return capture_fail(c, "%s: %s", cl->name,
			                    r == PCAP_ERROR_BREAK ? "stopped" : pcap_geterr(cl->pc));
		if (cl->npending == 0)
			return 0;
	}
	*p = cl->pending[cl->next++];
	cl->received++;
	return 1;
}

static const char *
live_iface_name(const struct capture *c, int i)
{
	const struct capture_live *cl = (const struct capture_live *)c;

	return i == 0 ? cl->name : NULL;
}

static void
live_close(struct capture *c)
{
	struct capture_live *cl = (struct capture_live *)c;

	pcap_close(cl->pc);
	free(cl->pending);
	free(cl);
}

static const struct capture_ops live_ops = {
	.name = "live",
	.next = live_next,
	.release = NULL,
	.iface_name = live_iface_name,
	.close = live_close,
};

struct capture *
capture_live_open(const char *ifname, int buffer_bytes, const char *bpf, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture_live *cl;
	struct bpf_program prog;
	pcap_t *pc;

	if (strlen(ifname) >= IF_NAMESIZE) {
		snprintf(err, errlen, "%s: interface name too long", ifname);
		return NULL;
	}
	if (!(pc = pcap_create(ifname, ebuf))) {
		snprintf(err, errlen, "%s: %s", ifname, ebuf);
		return NULL;
	}
	pcap_set_snaplen(pc, 262144);
	pcap_set_promisc(pc, 0);          /* a host veth sees its container's frames anyway */
	pcap_set_timeout(pc, 100);
	pcap_set_buffer_size(pc, buffer_bytes);
	pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_MICRO);
	if (pcap_activate(pc) < 0) {
		snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(pc));
		pcap_close(pc);
		return NULL;
	}
	if (bpf && *bpf) {
		if (pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
		    pcap_setfilter(pc, &prog) < 0) {
			snprintf(err, errlen, "--bpf '%s': %s", bpf, pcap_geterr(pc));
			pcap_close(pc);
			return NULL;
		}
		pcap_freecode(&prog);
	}
	if (pcap_setnonblock(pc, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: %s", ifname, ebuf);
		pcap_close(pc);
		return NULL;
	}
	if (!(cl = calloc(1, sizeof(*cl))) || !(cl->pending = calloc(64, sizeof(*cl->pending)))) {
		free(cl);
		pcap_close(pc);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cl->c.ops = &live_ops;
	cl->pc = pc;
	cl->cap_pending = 64;
	snprintf(cl->name, sizeof(cl->name), "%s", ifname);
	cl->ifindex = (int)if_nametoindex(ifname);
	cl->linktype = (uint32_t)pcap_datalink(pc);
	cl->link = link_from_dlt(pcap_datalink(pc));
	return &cl->c;
}

int
capture_live_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(((const struct capture_live *)c)->pc);
}

int
capture_live_ifindex(const struct capture *c)
{
	return ((const struct capture_live *)c)->ifindex;
}

int
capture_live_stats(const struct capture *c, unsigned long long *received, unsigned long long *dropped)
{
	const struct capture_live *cl = (const struct capture_live *)c;
	struct pcap_stat ps;

	*received = cl->received;
	if (pcap_stats(cl->pc, &ps) < 0)
		return -1;
	*dropped = (unsigned long long)ps.ps_drop + ps.ps_ifdrop;
	return 0;
}
