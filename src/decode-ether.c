/* decode-ether.c — Ethernet II, IEEE 802.1Q VLAN tags and 802.1ad QinQ
 * (IEEE 802.1Q-2018 clause 9), and the ethertype dispatch shared with the
 * Linux cooked headers and Geneve. 802.3 frames (length < 0x0600) carry LLC
 * and are not IP. */
#include "decode-int.h"

#define ETHER_HDR_LEN 14
#define VLAN_TAG_LEN  4

int
decode_ethertype(struct dctx *c, uint16_t type, const uint8_t *b, uint32_t len)
{
	/* Tags nest: each carries the next ethertype. The count is bounded by
	 * the packet length (every tag consumes 4 bytes). */
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (len < VLAN_TAG_LEN)
			return DEC_VLAN_TRUNCATED;
		if (c->nvlan < DECODE_MAX_VLANS)
			c->vlan[c->nvlan++] = rd16(b) & 0x0fff;
		type = rd16(b + 2);
		b += VLAN_TAG_LEN;
		len -= VLAN_TAG_LEN;
	}
	switch (type) {
	case ETHERTYPE_IPV4: return decode_ipv4(c, b, len);
	case ETHERTYPE_IPV6: return decode_ipv6(c, b, len);
	default:             return DEC_NOT_IP;
	}
}

int
decode_ether(struct dctx *c, const uint8_t *b, uint32_t len)
{
	uint16_t type;

	if (len < ETHER_HDR_LEN)
		return DEC_LINK_TRUNCATED;
	c->dmac = b;
	c->smac = b + 6;
	type = rd16(b + 12);
	if (type < 0x0600)
		return DEC_NOT_IP;      /* 802.3 length field: LLC/SNAP, STP... */
	return decode_ethertype(c, type, b + ETHER_HDR_LEN, len - ETHER_HDR_LEN);
}
