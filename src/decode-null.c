/* decode-null.c — headerless and loopback link types.
 * LINKTYPE_RAW: the packet starts with the IP header, version nibble decides.
 * LINKTYPE_NULL: 4-byte address family in the byte order of the machine that
 * wrote the file; LINKTYPE_LOOP: the same in network byte order. IPv6's AF
 * value differs between BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin). */
#include "decode-int.h"

int
decode_raw(struct dctx *c, const uint8_t *b, uint32_t len)
{
	if (len < 1)
		return DEC_LINK_TRUNCATED;
	switch (b[0] >> 4) {
	case 4:  return decode_ipv4(c, b, len);
	case 6:  return decode_ipv6(c, b, len);
	default: return DEC_NOT_IP;
	}
}

int
decode_null(struct dctx *c, const uint8_t *b, uint32_t len, int network_order)
{
	uint32_t af;

	if (len < 4)
		return DEC_LINK_TRUNCATED;
	af = rd32(b);
	if (!network_order && (af & 0xffff0000u))  /* written little-endian */
		af = __builtin_bswap32(af);
	b += 4;
	len -= 4;
	switch (af) {
	case 2:
		return decode_ipv4(c, b, len);
	case 24: case 28: case 30:
		return decode_ipv6(c, b, len);
	default:
		return DEC_NOT_IP;
	}
}
