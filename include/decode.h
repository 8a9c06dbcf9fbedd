/* decode.h — link, network, transport and overlay decoding straight off the
 * capture buffer: no copy, no allocation. Every read is bounds-checked
 * against caplen (see decode-util.h). The result is a list of IP layers, the
 * outer one first; each VXLAN/Geneve encapsulation adds an inner layer. */
#ifndef CNETMON_DECODE_H
#define CNETMON_DECODE_H

#include <stdint.h>

#include "capture.h"

#define DECODE_MAX_LAYERS 4    /* outer + up to three nested tunnels */
#define DECODE_MAX_VLANS  2    /* VLAN ids kept per layer; deeper tags skipped */

enum tunnel_type { TUNNEL_NONE = 0, TUNNEL_VXLAN, TUNNEL_GENEVE };

enum frag_kind { FRAG_NONE = 0, FRAG_FIRST, FRAG_LATER };

/* Why a packet (or an inner layer) could not be decoded. Names in
 * decode_reason_name(). DEC_OK must stay 0. */
enum decode_reason {
	DEC_OK = 0,
	DEC_EMPTY,              /* zero captured bytes */
	DEC_LINK_UNSUPPORTED,   /* link type we do not decode */
	DEC_LINK_TRUNCATED,     /* link header cut short */
	DEC_NOT_IP,             /* ARP, LLC, STP, LLDP...: not a flow */
	DEC_VLAN_TRUNCATED,
	DEC_IPV4_TRUNCATED,
	DEC_IPV4_BAD_VERSION,
	DEC_IPV4_BAD_HLEN,
	DEC_IPV4_BAD_LENGTH,    /* total length shorter than the header, or longer than the frame */
	DEC_IPV6_TRUNCATED,
	DEC_IPV6_BAD_VERSION,
	DEC_IPV6_BAD_LENGTH,
	DEC_IPV6_EXT_TRUNCATED, /* extension header chain runs past the data */
	DEC_L4_TRUNCATED,       /* TCP/UDP/SCTP/ICMP header too short for the ports/type */
	DEC_TUNNEL_TRUNCATED,   /* VXLAN/Geneve header or inner frame cut short */
	DEC_TUNNEL_TOO_DEEP,
	DEC_REASON_MAX
};

struct l34 {
	const uint8_t *src, *dst;  /* 4 or 16 bytes, inside the packet */
	uint8_t family;            /* 4 or 6 */
	uint8_t proto;             /* IP protocol (after IPv6 extension headers) */
	uint8_t depth;             /* 0 = outer */
	uint8_t tunnel;            /* enum tunnel_type that led to this layer */
	uint8_t has_ports;         /* sport/dport valid (TCP/UDP/SCTP, ICMP type/code) */
	uint8_t tcp_flags;         /* TCP only */
	uint8_t frag;              /* enum frag_kind */
	uint8_t nvlan;
	uint16_t vlan[DECODE_MAX_VLANS];
	uint16_t sport, dport;     /* ICMP/ICMPv6: type, code */
	uint32_t vni;              /* VXLAN VNI / Geneve VNI of the encapsulation */
	uint32_t frag_id;          /* IPv4 id or IPv6 fragment identification */
	uint32_t ip_len;           /* IP datagram length from the header (bytes) */
	const uint8_t *smac, *dmac; /* link addresses of the frame carrying this layer, or NULL */
	const uint8_t *payload;    /* TCP/UDP payload as captured (unfragmented only), or NULL */
	uint32_t paylen;           /* bytes of it inside the capture */
};

struct decoded {
	struct l34 layer[DECODE_MAX_LAYERS];
	int nlayers;                  /* IP layers found (0: no flow) */
	enum decode_reason reason;    /* why decoding stopped early, DEC_OK if it did not */
};

/* Decode one packet. Returns the number of IP layers (0 when the packet has
 * no flow: see d->reason). A failure inside a tunnel keeps the outer layers
 * and sets d->reason. */
int decode_packet(const struct pkt *p, struct decoded *d);

const char *decode_reason_name(enum decode_reason r);

#endif
