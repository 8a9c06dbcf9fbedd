/* Community ID v1 against the spec's published examples and values from an
 * independent implementation (Python hashlib, tests/notes in the commit),
 * cross-checked with Wireshark's communityid dissector by the golden tests. */
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "community-id.h"

static void
v4(const char *s, uint8_t out[4])
{
	cr_assert_eq(inet_pton(AF_INET, s, out), 1);
}

static void
v6(const char *s, uint8_t out[16])
{
	cr_assert_eq(inet_pton(AF_INET6, s, out), 1);
}

static void
check4(const char *sa, const char *da, uint8_t proto, uint16_t sp, uint16_t dp,
       const char *want)
{
	uint8_t a[4], b[4];
	char out[COMMUNITY_ID_LEN];

	v4(sa, a);
	v4(da, b);
	community_id_v1(4, a, b, proto, sp, dp, 1, 0, 0, out);
	cr_expect_str_eq(out, want, "%s:%u -> %s:%u", sa, sp, da, dp);
	/* Either direction gives the same id. */
	community_id_v1(4, b, a, proto, dp, sp, 1, 0, 0, out);
	cr_expect_str_eq(out, want, "reversed %s:%u -> %s:%u", sa, sp, da, dp);
}

Test(community_id, spec_tcp_example)
{
	check4("128.232.110.120", "66.35.250.204", 6, 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

Test(community_id, udp)
{
	check4("192.168.1.52", "8.8.8.8", 17, 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
}

Test(community_id, sctp)
{
	check4("192.168.170.8", "192.168.170.56", 132, 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
}

Test(community_id, icmp_echo_pairs_with_reply)
{
	uint16_t sp, dp;

	cr_assert_eq(community_id_icmp_ports(0, 8, 0, &sp, &dp), 0);
	cr_expect_eq(sp, 8);
	cr_expect_eq(dp, 0);
	check4("192.168.0.89", "192.168.0.1", 1, sp, dp, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	/* The reply maps to the same ports reversed, hence the same id. */
	cr_assert_eq(community_id_icmp_ports(0, 0, 0, &sp, &dp), 0);
	cr_expect_eq(sp, 0);
	cr_expect_eq(dp, 8);
}

Test(community_id, icmp_unreachable_is_one_way)
{
	uint16_t sp, dp;

	cr_expect_eq(community_id_icmp_ports(0, 3, 1, &sp, &dp), 1);
	cr_expect_eq(sp, 3);
	cr_expect_eq(dp, 1);
	cr_expect_eq(community_id_icmp_ports(1, 1, 4, &sp, &dp), 1);
}

Test(community_id, ipv6_tcp_and_icmpv6_echo)
{
	uint8_t a[16], b[16];
	char out[COMMUNITY_ID_LEN];
	uint16_t sp, dp;

	v6("fe80::200:86ff:fe05:80da", a);
	v6("fe80::260:97ff:fe07:69ea", b);
	community_id_v1(6, a, b, 6, 1022, 22, 1, 0, 0, out);
	cr_expect_str_eq(out, "1:gS2aYcRwGJWe7UratL8/84dclq4=");

	v6("3ffe:507:0:1:260:97ff:fe07:69ea", a);
	v6("3ffe:507:0:1:200:86ff:fe05:80da", b);
	cr_assert_eq(community_id_icmp_ports(1, 128, 0, &sp, &dp), 0);
	community_id_v1(6, a, b, 58, sp, dp, 1, 0, 0, out);
	cr_expect_str_eq(out, "1:SO2grawmbz/AWVMoyg47wzmTp98=");
}
