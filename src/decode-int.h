/* decode-int.h — shared by the decode-*.c files only.
 *
 * Every decoder gets (b, len): a pointer into the packet and the number of
 * captured bytes from there on. Nothing is read without checking len first;
 * the accessors below take an offset already proven to be in range. */
#ifndef CNETMON_DECODE_INT_H
#define CNETMON_DECODE_INT_H

#include <stdint.h>

#include "decode.h"

#define ETHERTYPE_IPV4   0x0800
#define ETHERTYPE_ARP    0x0806
#define ETHERTYPE_VLAN   0x8100   /* IEEE 802.1Q */
#define ETHERTYPE_QINQ   0x88a8   /* IEEE 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen */
#define ETHERTYPE_IPV6   0x86dd
#define ETHERTYPE_TEB    0x6558   /* transparent Ethernet bridging (Geneve) */

#define IPPROTO_N_HOPOPTS 0
#define IPPROTO_N_ICMP    1
#define IPPROTO_N_TCP     6
#define IPPROTO_N_UDP     17
#define IPPROTO_N_ROUTING 43
#define IPPROTO_N_FRAGMENT 44
#define IPPROTO_N_ESP     50
#define IPPROTO_N_AH      51
#define IPPROTO_N_ICMPV6  58
#define IPPROTO_N_NONE    59
#define IPPROTO_N_DSTOPTS 60
#define IPPROTO_N_MH      135
#define IPPROTO_N_SCTP    132

/* State carried down one packet's decode. */
struct dctx {
	const struct pkt *p;
	struct decoded *d;
	uint16_t vlan[DECODE_MAX_VLANS];
	uint8_t nvlan;
	uint8_t depth;
	uint8_t tunnel;
	uint32_t vni;
	const uint8_t *smac, *dmac;   /* of the innermost link header so far */
};

static inline uint16_t rd16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }
static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Bytes of the packet on the wire from b on (the frame may have been cut by
 * the snaplen, so this can exceed what was captured). */
static inline uint32_t wire_left(const struct dctx *c, const uint8_t *b)
{
	uint32_t off = (uint32_t)(b - c->p->data);
	uint32_t total = c->p->len > c->p->caplen ? c->p->len : c->p->caplen;
	return total > off ? total - off : 0;
}

int decode_ether(struct dctx *c, const uint8_t *b, uint32_t len);
int decode_ethertype(struct dctx *c, uint16_t type, const uint8_t *b, uint32_t len);
int decode_sll(struct dctx *c, const uint8_t *b, uint32_t len);
int decode_sll2(struct dctx *c, const uint8_t *b, uint32_t len);
int decode_null(struct dctx *c, const uint8_t *b, uint32_t len, int network_order);
int decode_raw(struct dctx *c, const uint8_t *b, uint32_t len);
int decode_ipv4(struct dctx *c, const uint8_t *b, uint32_t len);
int decode_ipv6(struct dctx *c, const uint8_t *b, uint32_t len);
/* Transport header at b for layer l; may recurse into a tunnel. */
int decode_l4(struct dctx *c, struct l34 *l, const uint8_t *b, uint32_t len);
int decode_vxlan(struct dctx *c, const struct l34 *outer, const uint8_t *b, uint32_t len);
int decode_geneve(struct dctx *c, const struct l34 *outer, const uint8_t *b, uint32_t len);

/* Start a new IP layer in c->d carrying the current VLAN/tunnel context. */
struct l34 *decode_new_layer(struct dctx *c, int family);

#endif
