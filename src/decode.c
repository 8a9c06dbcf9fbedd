/* decode.c — entry point: pick the link-layer decoder, name the reasons. */
#include <string.h>

#include "decode-int.h"

static const char *const reason_names[DEC_REASON_MAX] = {
	[DEC_OK] = "ok",
	[DEC_EMPTY] = "empty-packet",
	[DEC_LINK_UNSUPPORTED] = "unsupported-link-type",
	[DEC_LINK_TRUNCATED] = "link-header-truncated",
	[DEC_NOT_IP] = "not-ip",
	[DEC_VLAN_TRUNCATED] = "vlan-tag-truncated",
	[DEC_IPV4_TRUNCATED] = "ipv4-header-truncated",
	[DEC_IPV4_BAD_VERSION] = "ipv4-bad-version",
	[DEC_IPV4_BAD_HLEN] = "ipv4-bad-header-length",
	[DEC_IPV4_BAD_LENGTH] = "ipv4-bad-total-length",
	[DEC_IPV6_TRUNCATED] = "ipv6-header-truncated",
	[DEC_IPV6_BAD_VERSION] = "ipv6-bad-version",
	[DEC_IPV6_BAD_LENGTH] = "ipv6-bad-payload-length",
	[DEC_IPV6_EXT_TRUNCATED] = "ipv6-extension-header-truncated",
	[DEC_L4_TRUNCATED] = "transport-header-truncated",
	[DEC_TUNNEL_TRUNCATED] = "tunnel-header-truncated",
	[DEC_TUNNEL_TOO_DEEP] = "tunnel-nesting-too-deep",
};

const char *
decode_reason_name(enum decode_reason r)
{
	if ((unsigned)r >= DEC_REASON_MAX || !reason_names[r])
		return "unknown";
	return reason_names[r];
}

struct l34 *
decode_new_layer(struct dctx *c, int family)
{
	struct decoded *d = c->d;
	struct l34 *l;

	if (d->nlayers >= DECODE_MAX_LAYERS)
		return NULL;
	l = &d->layer[d->nlayers];
	memset(l, 0, sizeof(*l));
	l->family = (uint8_t)family;
	l->depth = c->depth;
	l->tunnel = c->tunnel;
	l->vni = c->vni;
	l->nvlan = c->nvlan;
	l->smac = c->smac;
	l->dmac = c->dmac;
	memcpy(l->vlan, c->vlan, sizeof(l->vlan));
	return l;
}

int
decode_packet(const struct pkt *p, struct decoded *d)
{
	struct dctx c = { .p = p, .d = d };
	const uint8_t *b = p->data;
	uint32_t len = p->caplen;
	int r;

	d->nlayers = 0;
	d->reason = DEC_OK;
	if (len == 0) {
		d->reason = DEC_EMPTY;
		return 0;
	}
	switch (p->link) {
	case LINK_ETHERNET: r = decode_ether(&c, b, len); break;
	case LINK_SLL:      r = decode_sll(&c, b, len); break;
	case LINK_SLL2:     r = decode_sll2(&c, b, len); break;
	case LINK_RAW:      r = decode_raw(&c, b, len); break;
	case LINK_IPV4:     r = decode_ipv4(&c, b, len); break;
	case LINK_IPV6:     r = decode_ipv6(&c, b, len); break;
	case LINK_NULL:     r = decode_null(&c, b, len, 0); break;
	case LINK_LOOP:     r = decode_null(&c, b, len, 1); break;
	default:            r = DEC_LINK_UNSUPPORTED; break;
	}
	if (r != DEC_OK && d->reason == DEC_OK)
		d->reason = (enum decode_reason)r;
	return d->nlayers;
}
