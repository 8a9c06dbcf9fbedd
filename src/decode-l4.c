/* decode-l4.c — the transport fields a flow needs: ports of TCP (RFC 9293),
 * UDP (RFC 768), SCTP (RFC 9260 common header), the TCP flags, and the
 * type/code of ICMP (RFC 792) and ICMPv6 (RFC 4443). Other protocols make
 * port-less flows. UDP to the VXLAN or Geneve port is decoded further. */
#include "decode-int.h"

#define PORT_VXLAN       4789    /* RFC 7348 */
#define PORT_VXLAN_LINUX 8472    /* Linux kernel and flannel default */
#define PORT_GENEVE      6081    /* RFC 8926 */

int
decode_l4(struct dctx *c, struct l34 *l, const uint8_t *b, uint32_t len)
{
	/* The layer counts from here on whatever the transport header holds. */
	c->d->nlayers++;

	switch (l->proto) {
	case IPPROTO_N_TCP:
		if (len < 4)
			goto truncated;
		l->sport = rd16(b);
		l->dport = rd16(b + 2);
		l->has_ports = 1;
		if (len >= 14)
			l->tcp_flags = b[13];
		/* The payload, for the few protocols read further (DNS). */
		if (len >= 20 && l->frag == FRAG_NONE) {
			uint32_t off = (uint32_t)(b[12] >> 4) * 4;
			if (off >= 20 && off <= len) {
				l->payload = b + off;
				l->paylen = len - off;
			}
		}
		return DEC_OK;
	case IPPROTO_N_UDP:
		if (len < 8)
			goto truncated;
		l->sport = rd16(b);
		l->dport = rd16(b + 2);
		l->has_ports = 1;
		/* A first fragment holds only part of the tunnel payload. */
		if (l->frag != FRAG_NONE)
			return DEC_OK;
		{
			uint32_t ulen = rd16(b + 4);
			/* The UDP length bounds the payload; a bad one leaves it out. */
			if (ulen >= 8 && ulen <= len) {
				l->payload = b + 8;
				l->paylen = ulen - 8;
			}
		}
		if (l->dport == PORT_VXLAN || l->dport == PORT_VXLAN_LINUX)
			return decode_vxlan(c, l, b + 8, len - 8);
		if (l->dport == PORT_GENEVE)
			return decode_geneve(c, l, b + 8, len - 8);
		return DEC_OK;
	case IPPROTO_N_SCTP:
		if (len < 4)
			goto truncated;
		l->sport = rd16(b);
		l->dport = rd16(b + 2);
		l->has_ports = 1;
		return DEC_OK;
	case IPPROTO_N_ICMP:
	case IPPROTO_N_ICMPV6:
		if (len < 2)
			goto truncated;
		l->sport = b[0];         /* type */
		l->dport = b[1];         /* code */
		l->has_ports = 1;
		return DEC_OK;
	default:
		return DEC_OK;
	}

truncated:
	/* Without ports the packet cannot be put in its flow. */
	c->d->nlayers--;
	return DEC_L4_TRUNCATED;
}
