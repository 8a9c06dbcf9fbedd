/* Decoder: fields of well-formed packets, and every prefix of them decoded
 * from an exactly-sized heap copy, so AddressSanitizer catches any read
 * past the captured bytes. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "decode.h"
#include "pktbuild.h"

#define TH_SYN 0x02

static int
decode_bytes(const uint8_t *b, size_t n, uint32_t wirelen, enum link_type link,
             struct decoded *d)
{
	uint8_t *copy = malloc(n ? n : 1);
	struct pkt p = { .caplen = (uint32_t)n, .len = wirelen, .link = link, .iface = -1 };
	int r;

	cr_assert(copy);
	memcpy(copy, b, n);
	p.data = copy;
	r = decode_packet(&p, d);
	free(copy);
	return r;
}

/* Decode every prefix; the full packet must give want_layers. */
static void
all_prefixes(const struct pb *pk, enum link_type link, int want_layers)
{
	struct decoded d;

	for (size_t n = 0; n < pk->n; n++)
		decode_bytes(pk->b, n, (uint32_t)pk->n, link, &d);   /* must not crash */
	cr_expect_eq(decode_bytes(pk->b, pk->n, (uint32_t)pk->n, link, &d), want_layers,
	             "reason %s", decode_reason_name(d.reason));
}

static void
tcp_syn_v4(struct pb *pk)
{
	size_t ip;
	memset(pk, 0, sizeof(*pk));
	pb_ether(pk, 0x0800);
	ip = pb_ipv4(pk, "10.0.0.1", "10.0.0.2", 6, 0, 1);
	pb_tcp(pk, 40000, 80, TH_SYN);
	pb_ipv4_fix(pk, ip);
}

Test(decode, ethernet_ipv4_tcp)
{
	struct pb pk;
	struct decoded d;

	tcp_syn_v4(&pk);
	cr_assert_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 1);
	cr_expect_eq(d.layer[0].family, 4);
	cr_expect_eq(d.layer[0].proto, 6);
	cr_expect_eq(d.layer[0].sport, 40000);
	cr_expect_eq(d.layer[0].dport, 80);
	cr_expect_eq(d.layer[0].tcp_flags, TH_SYN);
	cr_expect_eq(d.layer[0].nvlan, 0);
	all_prefixes(&pk, LINK_ETHERNET, 1);
}

Test(decode, short_prefix_reasons)
{
	struct pb pk;
	struct decoded d;

	tcp_syn_v4(&pk);
	cr_expect_eq(decode_bytes(pk.b, 0, 0, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_EMPTY);
	cr_expect_eq(decode_bytes(pk.b, 10, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_LINK_TRUNCATED);
	cr_expect_eq(decode_bytes(pk.b, 20, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_IPV4_TRUNCATED);
	/* Snaplen cut inside TCP after the ports: still a flow. */
	cr_expect_eq(decode_bytes(pk.b, 14 + 20 + 4, (uint32_t)pk.n, LINK_ETHERNET, &d), 1);
	cr_expect_eq(decode_bytes(pk.b, 14 + 20 + 3, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_L4_TRUNCATED);
}

Test(decode, ipv4_lying_lengths)
{
	struct pb pk;
	struct decoded d;

	tcp_syn_v4(&pk);
	pk.b[14] = 0x44;                 /* IHL 4 < 5 */
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_IPV4_BAD_HLEN);
	tcp_syn_v4(&pk);
	pk.b[14] = 0x4f;                 /* 60-byte header in a 40-byte datagram */
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	tcp_syn_v4(&pk);
	pk.b[16] = 0x40;                 /* total length 16 KiB > frame */
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_IPV4_BAD_LENGTH);
	tcp_syn_v4(&pk);
	pk.b[17] = 10; pk.b[16] = 0;     /* total length shorter than the header */
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_IPV4_BAD_LENGTH);
}

Test(decode, vlan_and_qinq)
{
	struct pb pk = { 0 };
	struct decoded d;
	size_t ip;

	pb_ether(&pk, 0x88a8);
	pb_vlan(&pk, 100, 0x8100);
	pb_vlan(&pk, 0x2000 | 200, 0x0800);    /* priority bits are not the id */
	ip = pb_ipv4(&pk, "10.0.0.1", "10.0.0.2", 17, 0, 1);
	pb_udp(&pk, 5000, 53, 8);
	pb_ipv4_fix(&pk, ip);
	cr_assert_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 1);
	cr_expect_eq(d.layer[0].nvlan, 2);
	cr_expect_eq(d.layer[0].vlan[0], 100);
	cr_expect_eq(d.layer[0].vlan[1], 200);
	all_prefixes(&pk, LINK_ETHERNET, 1);
}

Test(decode, ipv6_extension_chain)
{
	struct pb pk = { 0 };
	struct decoded d;
	size_t ip;

	pb_ether(&pk, 0x86dd);
	ip = pb_ipv6(&pk, "2001:db8::1", "2001:db8::2", 0);
	pb_u8(&pk, 43); pb_u8(&pk, 0); pb_zero(&pk, 6);            /* hop-by-hop -> routing */
	pb_u8(&pk, 60); pb_u8(&pk, 2); pb_u8(&pk, 0); pb_u8(&pk, 0); /* routing, 24 bytes */
	pb_zero(&pk, 20);
	pb_u8(&pk, 44); pb_u8(&pk, 0); pb_zero(&pk, 6);            /* dest opts -> fragment */
	pb_u8(&pk, 6); pb_u8(&pk, 0); pb_u16(&pk, 0x0001); pb_u32(&pk, 77); /* first fragment */
	pb_tcp(&pk, 443, 50000, 0x12);
	pb_ipv6_fix(&pk, ip);
	cr_assert_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 1);
	cr_expect_eq(d.layer[0].proto, 6);
	cr_expect_eq(d.layer[0].frag, FRAG_FIRST);
	cr_expect_eq(d.layer[0].frag_id, 77);
	cr_expect_eq(d.layer[0].sport, 443);
	all_prefixes(&pk, LINK_ETHERNET, 1);

	/* A later fragment: protocol known, no ports. */
	pk.b[14 + 40 + 8 + 24 + 8 + 3] = 0x10;   /* offset 2 (x8 bytes) */
	cr_assert_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 1);
	cr_expect_eq(d.layer[0].frag, FRAG_LATER);
	cr_expect_eq(d.layer[0].has_ports, 0);
	cr_expect_eq(d.layer[0].proto, 6);
}

Test(decode, ipv6_extension_length_past_end)
{
	struct pb pk = { 0 };
	struct decoded d;
	size_t ip;

	pb_ether(&pk, 0x86dd);
	ip = pb_ipv6(&pk, "2001:db8::1", "2001:db8::2", 60);
	pb_u8(&pk, 6); pb_u8(&pk, 200); pb_zero(&pk, 6);   /* claims 1608 bytes */
	pb_tcp(&pk, 1, 2, 0);
	pb_ipv6_fix(&pk, ip);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_IPV6_EXT_TRUNCATED);
}

static void
vxlan_packet(struct pb *pk, uint16_t port)
{
	size_t oip, iip;

	memset(pk, 0, sizeof(*pk));
	pb_ether(pk, 0x0800);
	oip = pb_ipv4(pk, "192.0.2.1", "192.0.2.2", 17, 0, 9);
	pb_udp(pk, 33333, port, 0);
	pb_u8(pk, 0x08); pb_zero(pk, 3); pb_u32(pk, 42u << 8);     /* VNI 42 */
	pb_ether(pk, 0x0800);
	iip = pb_ipv4(pk, "10.244.1.5", "10.244.2.7", 6, 0, 3);
	pb_tcp(pk, 51000, 8080, TH_SYN);
	pb_ipv4_fix(pk, iip);
	pb_ipv4_fix(pk, oip);
}

Test(decode, vxlan_inner_and_outer)
{
	struct pb pk;
	struct decoded d;

	vxlan_packet(&pk, 4789);
	cr_assert_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 2);
	cr_expect_eq(d.layer[0].proto, 17);
	cr_expect_eq(d.layer[0].depth, 0);
	cr_expect_eq(d.layer[1].proto, 6);
	cr_expect_eq(d.layer[1].depth, 1);
	cr_expect_eq(d.layer[1].tunnel, TUNNEL_VXLAN);
	cr_expect_eq(d.layer[1].vni, 42);
	cr_expect_eq(d.layer[1].dport, 8080);
	all_prefixes(&pk, LINK_ETHERNET, 2);
	vxlan_packet(&pk, 8472);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 2);
	vxlan_packet(&pk, 4790);   /* not an overlay port: plain UDP */
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 1);
}

Test(decode, cooked_and_loopback_headers)
{
	struct pb pk = { 0 }, ip4 = { 0 };
	struct decoded d;
	size_t ip;

	ip = pb_ipv4(&ip4, "127.0.0.1", "127.0.0.1", 17, 0, 1);
	pb_udp(&ip4, 1000, 2000, 8);
	pb_ipv4_fix(&ip4, ip);

	/* SLL v1: packet type, ARPHRD_ETHER, addr len, addr[8], protocol */
	pb_u16(&pk, 4); pb_u16(&pk, 1); pb_u16(&pk, 6); pb_zero(&pk, 8); pb_u16(&pk, 0x0800);
	pb_put(&pk, ip4.b, ip4.n);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_SLL, &d), 1);
	all_prefixes(&pk, LINK_SLL, 1);

	/* SLL v2: protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr[8] */
	memset(&pk, 0, sizeof(pk));
	pb_u16(&pk, 0x0800); pb_u16(&pk, 0); pb_u32(&pk, 3); pb_u16(&pk, 1); pb_u8(&pk, 0);
	pb_u8(&pk, 6); pb_zero(&pk, 8);
	pb_put(&pk, ip4.b, ip4.n);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_SLL2, &d), 1);
	all_prefixes(&pk, LINK_SLL2, 1);

	/* BSD loopback, written little-endian (AF_INET = 2) and LOOP (big-endian). */
	memset(&pk, 0, sizeof(pk));
	pb_u8(&pk, 2); pb_zero(&pk, 3);
	pb_put(&pk, ip4.b, ip4.n);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_NULL, &d), 1);
	memset(&pk, 0, sizeof(pk));
	pb_u32(&pk, 2);
	pb_put(&pk, ip4.b, ip4.n);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_LOOP, &d), 1);
	cr_expect_eq(decode_bytes(ip4.b, ip4.n, (uint32_t)ip4.n, LINK_RAW, &d), 1);
	cr_expect_eq(decode_bytes(ip4.b, ip4.n, (uint32_t)ip4.n, LINK_IPV4, &d), 1);
}

Test(decode, not_ip_is_counted_not_flowed)
{
	struct pb pk = { 0 };
	struct decoded d;

	pb_ether(&pk, 0x0806);
	pb_zero(&pk, 28);
	cr_expect_eq(decode_bytes(pk.b, pk.n, (uint32_t)pk.n, LINK_ETHERNET, &d), 0);
	cr_expect_eq(d.reason, DEC_NOT_IP);
}
