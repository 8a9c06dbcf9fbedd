/* pktbuild.h — tiny packet builders for unit tests (headers only, enough
 * fields set for the decoder; checksums zero, as on veths with offload). */
#ifndef PKTBUILD_H
#define PKTBUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[2048];
	size_t n;
};

static inline void pb_u8(struct pb *p, uint8_t v) { p->b[p->n++] = v; }
static inline void pb_u16(struct pb *p, uint16_t v) { pb_u8(p, (uint8_t)(v >> 8)); pb_u8(p, (uint8_t)v); }
static inline void pb_u32(struct pb *p, uint32_t v) { pb_u16(p, (uint16_t)(v >> 16)); pb_u16(p, (uint16_t)v); }
static inline void pb_put(struct pb *p, const void *d, size_t n) { memcpy(p->b + p->n, d, n); p->n += n; }
static inline void pb_zero(struct pb *p, size_t n) { memset(p->b + p->n, 0, n); p->n += n; }

static inline void
pb_ether(struct pb *p, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	pb_put(p, macs, 12);
	pb_u16(p, type);
}

static inline void
pb_vlan(struct pb *p, uint16_t id, uint16_t next)
{
	pb_u16(p, id);
	pb_u16(p, next);
}

/* IPv4 header; returns its offset so the caller can fix the total length. */
static inline size_t
pb_ipv4(struct pb *p, const char *src, const char *dst, uint8_t proto, uint16_t fragfield,
        uint16_t id)
{
	size_t at = p->n;
	uint8_t a[4];
	pb_u8(p, 0x45); pb_u8(p, 0); pb_u16(p, 0); pb_u16(p, id); pb_u16(p, fragfield);
	pb_u8(p, 64); pb_u8(p, proto); pb_u16(p, 0);
	inet_pton(AF_INET, src, a); pb_put(p, a, 4);
	inet_pton(AF_INET, dst, a); pb_put(p, a, 4);
	return at;
}

static inline void
pb_ipv4_fix(struct pb *p, size_t at)
{
	uint16_t tl = (uint16_t)(p->n - at);
	p->b[at + 2] = (uint8_t)(tl >> 8);
	p->b[at + 3] = (uint8_t)tl;
}

static inline size_t
pb_ipv6(struct pb *p, const char *src, const char *dst, uint8_t nh)
{
	size_t at = p->n;
	uint8_t a[16];
	pb_u32(p, 0x60000000); pb_u16(p, 0); pb_u8(p, nh); pb_u8(p, 64);
	inet_pton(AF_INET6, src, a); pb_put(p, a, 16);
	inet_pton(AF_INET6, dst, a); pb_put(p, a, 16);
	return at;
}

static inline void
pb_ipv6_fix(struct pb *p, size_t at)
{
	uint16_t pl = (uint16_t)(p->n - at - 40);
	p->b[at + 4] = (uint8_t)(pl >> 8);
	p->b[at + 5] = (uint8_t)pl;
}

static inline void
pb_tcp(struct pb *p, uint16_t sp, uint16_t dp, uint8_t flags)
{
	pb_u16(p, sp); pb_u16(p, dp); pb_u32(p, 1); pb_u32(p, 0);
	pb_u8(p, 0x50); pb_u8(p, flags); pb_u16(p, 65535); pb_u16(p, 0); pb_u16(p, 0);
}

static inline void
pb_udp(struct pb *p, uint16_t sp, uint16_t dp, uint16_t len)
{
	pb_u16(p, sp); pb_u16(p, dp); pb_u16(p, len); pb_u16(p, 0);
}

#endif
