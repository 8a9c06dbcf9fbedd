/* decode-tunnel.c — overlays that carry container traffic between nodes:
 * VXLAN (RFC 7348; UDP 4789, and 8472 for Linux/flannel) and Geneve
 * (RFC 8926; UDP 6081). The inner frame is decoded as a new, deeper layer
 * with its own VLAN context; the outer UDP flow stays recorded too. Payload
 * that does not look like the overlay is left as plain UDP. */
#include "decode-int.h"

#define VXLAN_HDR_LEN  8
#define VXLAN_FLAG_I   0x08
#define GENEVE_HDR_LEN 8

static int
descend(struct dctx *c, int tunnel, uint32_t vni)
{
	if (c->depth + 1 >= DECODE_MAX_LAYERS)
		return DEC_TUNNEL_TOO_DEEP;
	c->depth++;
	c->tunnel = (uint8_t)tunnel;
	c->vni = vni;
	c->nvlan = 0;   /* inner VLAN tags and MACs are the inner frame's own */
	c->smac = c->dmac = NULL;
	return DEC_OK;
}

static int
inner_result(int r)
{
	/* Outer layers stay valid when the inner frame is not IP (ARP over
	 * VXLAN is common): only damage is worth a reason. */
	return r == DEC_NOT_IP ? DEC_OK : r;
}

int
decode_vxlan(struct dctx *c, const struct l34 *outer, const uint8_t *b, uint32_t len)
{
	uint32_t vni;
	int r;

	(void)outer;
	if (len < VXLAN_HDR_LEN)
		return DEC_OK;          /* too short to be VXLAN: plain UDP */
	if (!(b[0] & VXLAN_FLAG_I))
		return DEC_OK;
	vni = rd32(b + 4) >> 8;
	if ((r = descend(c, TUNNEL_VXLAN, vni)) != DEC_OK)
		return r;
	return inner_result(decode_ether(c, b + VXLAN_HDR_LEN, len - VXLAN_HDR_LEN));
}

int
decode_geneve(struct dctx *c, const struct l34 *outer, const uint8_t *b, uint32_t len)
{
	uint32_t optlen, vni;
	uint16_t ptype;
	int r;

	(void)outer;
	if (len < GENEVE_HDR_LEN)
		return DEC_OK;
	if (b[0] >> 6 != 0)
		return DEC_OK;          /* unknown Geneve version */
	optlen = (uint32_t)(b[0] & 0x3f) * 4;
	ptype = rd16(b + 2);
	vni = rd32(b + 4) >> 8;
	if (GENEVE_HDR_LEN + optlen > len)
		return DEC_TUNNEL_TRUNCATED;
	if ((r = descend(c, TUNNEL_GENEVE, vni)) != DEC_OK)
		return r;
	b += GENEVE_HDR_LEN + optlen;
	len -= GENEVE_HDR_LEN + optlen;
	if (ptype == ETHERTYPE_TEB)
		return inner_result(decode_ether(c, b, len));
	return inner_result(decode_ethertype(c, ptype, b, len));
}
