/* decode-sll.c — Linux "cooked" capture headers, what `tcpdump -i any`
 * writes: v1 (LINKTYPE_LINUX_SLL, 16 bytes) and v2 (LINKTYPE_LINUX_SLL2,
 * 20 bytes, adds the interface index). https://www.tcpdump.org/linktypes/
 * LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html. */
#include "decode-int.h"

#define SLL_HDR_LEN  16
#define SLL2_HDR_LEN 20

/* ARPHRD types whose protocol field is not an ethertype. */
#define ARPHRD_NETLINK_N 824

int
decode_sll(struct dctx *c, const uint8_t *b, uint32_t len)
{
	if (len < SLL_HDR_LEN)
		return DEC_LINK_TRUNCATED;
	if (rd16(b + 2) == ARPHRD_NETLINK_N)
		return DEC_NOT_IP;
	/* The cooked header keeps the sender's link address only. */
	if (rd16(b + 4) == 6)
		c->smac = b + 6;
	return decode_ethertype(c, rd16(b + 14), b + SLL_HDR_LEN, len - SLL_HDR_LEN);
}

int
decode_sll2(struct dctx *c, const uint8_t *b, uint32_t len)
{
	if (len < SLL2_HDR_LEN)
		return DEC_LINK_TRUNCATED;
	if (rd16(b + 8) == ARPHRD_NETLINK_N)
		return DEC_NOT_IP;
	if (b[11] == 6)
		c->smac = b + 12;
	return decode_ethertype(c, rd16(b), b + SLL2_HDR_LEN, len - SLL2_HDR_LEN);
}
