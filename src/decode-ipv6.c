/* decode-ipv6.c — IPv6 (RFC 8200) and its extension headers: hop-by-hop,
 * routing, fragment, destination options (section 4), AH (RFC 4302, length
 * in 4-byte units) and mobility (RFC 6275). ESP and "no next header" end the
 * chain with a port-less flow. The flow uses the header's destination, as
 * Wireshark and Zeek do, even when a routing header names a later hop. */
#include "decode-int.h"

#define IPV6_HDR_LEN 40

int
decode_ipv6(struct dctx *c, const uint8_t *b, uint32_t len)
{
	uint32_t plen, wire, off = IPV6_HDR_LEN;
	uint8_t nh;
	struct l34 *l;

	if (len < IPV6_HDR_LEN)
		return DEC_IPV6_TRUNCATED;
	if (b[0] >> 4 != 6)
		return DEC_IPV6_BAD_VERSION;
	plen = rd16(b + 4);
	wire = wire_left(c, b);
	/* Payload length 0: a jumbogram (RFC 2675) or a GSO super-packet. */
	if (plen == 0)
		plen = wire - IPV6_HDR_LEN;
	if (plen + IPV6_HDR_LEN > wire)
		return DEC_IPV6_BAD_LENGTH;
	if (plen + IPV6_HDR_LEN < len)
		len = plen + IPV6_HDR_LEN;

	l = decode_new_layer(c, 6);
	if (!l)
		return DEC_TUNNEL_TOO_DEEP;
	l->src = b + 8;
	l->dst = b + 24;
	l->ip_len = plen + IPV6_HDR_LEN;
	nh = b[6];

	/* Every extension header advances off by at least 8 bytes, so the loop
	 * ends within len/8 steps whatever the lengths claim. */
	for (;;) {
		uint32_t hl;

		switch (nh) {
		case IPPROTO_N_HOPOPTS:
		case IPPROTO_N_ROUTING:
		case IPPROTO_N_DSTOPTS:
		case IPPROTO_N_MH:
			if (len - off < 8)
				goto truncated;
			hl = ((uint32_t)b[off + 1] + 1) * 8;
			break;
		case IPPROTO_N_AH:
			if (len - off < 8)
				goto truncated;
			hl = ((uint32_t)b[off + 1] + 2) * 4;
			break;
		case IPPROTO_N_FRAGMENT: {
			uint16_t fo;

			if (len - off < 8)
				goto truncated;
			fo = rd16(b + off + 2);
			if (fo & 0xfff8) {
				/* A later fragment: the next-header field still names
				 * the upper-layer protocol of the whole datagram. */
				l->proto = b[off];
				l->frag = FRAG_LATER;
				l->frag_id = rd32(b + off + 4);
				c->d->nlayers++;
				return DEC_OK;
			}
			if (fo & 1) {
				l->frag = FRAG_FIRST;
				l->frag_id = rd32(b + off + 4);
			}
			hl = 8;
			break;
		}
		default:
			l->proto = nh;
			return decode_l4(c, l, b + off, len - off);
		}
		if (hl > len - off)
			goto truncated;
		nh = b[off];
		off += hl;
	}

truncated:
	/* The layer is known (addresses) but not its protocol: no flow. */
	return DEC_IPV6_EXT_TRUNCATED;
}
