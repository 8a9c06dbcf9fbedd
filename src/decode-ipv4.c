/* decode-ipv4.c — IPv4 (RFC 791). Options are skipped by IHL. Fragments
 * (RFC 791 section 2.3): only the first carries the transport header; later
 * ones are marked so the flow table joins them to the first's flow. */
#include "decode-int.h"

#define IPV4_MIN_HDR 20
#define IPV4_MF      0x2000
#define IPV4_OFFMASK 0x1fff

int
decode_ipv4(struct dctx *c, const uint8_t *b, uint32_t len)
{
	uint32_t hlen, tlen, wire;
	uint16_t fragoff;
	struct l34 *l;

	if (len < IPV4_MIN_HDR)
		return DEC_IPV4_TRUNCATED;
	if (b[0] >> 4 != 4)
		return DEC_IPV4_BAD_VERSION;
	hlen = (uint32_t)(b[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HDR)
		return DEC_IPV4_BAD_HLEN;
	if (hlen > len)
		return DEC_IPV4_TRUNCATED;
	tlen = rd16(b + 2);
	wire = wire_left(c, b);
	/* Total length 0 is what Linux puts in GSO/"big TCP" super-packets
	 * captured before segmentation: the frame gives the length then. */
	if (tlen == 0)
		tlen = wire;
	if (tlen < hlen || tlen > wire)
		return DEC_IPV4_BAD_LENGTH;
	if (tlen < len)
		len = tlen;             /* drop Ethernet padding */

	l = decode_new_layer(c, 4);
	if (!l)
		return DEC_TUNNEL_TOO_DEEP;
	l->src = b + 12;
	l->dst = b + 16;
	l->proto = b[9];
	l->ip_len = tlen;
	fragoff = rd16(b + 6);
	if (fragoff & IPV4_OFFMASK) {
		l->frag = FRAG_LATER;
		l->frag_id = rd16(b + 4);
		c->d->nlayers++;
		return DEC_OK;
	}
	if (fragoff & IPV4_MF) {
		l->frag = FRAG_FIRST;
		l->frag_id = rd16(b + 4);
	}
	return decode_l4(c, l, b + hlen, len - hlen);
}
