/* SipHash against the reference vectors of the SipHash paper (appendix A):
 * key 00..0f, message 00..0e (15 bytes) gives a129ca6149be45e5; the
 * 64-entry table of the reference implementation starts 726fdb47dd0e0e31
 * for the empty message. */
#include <criterion/criterion.h>

#include "hash.h"

static uint8_t key[16];

static void
setup(void)
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
}

Test(siphash, paper_vector, .init = setup)
{
	uint8_t msg[15];
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	cr_expect_eq(siphash24(msg, sizeof(msg), key), 0xa129ca6149be45e5ULL);
}

Test(siphash, empty_message, .init = setup)
{
	cr_expect_eq(siphash24("", 0, key), 0x726fdb47dd0e0e31ULL);
}

Test(siphash, every_length_differs, .init = setup)
{
	uint8_t msg[64] = { 0 };
	uint64_t seen[65];
	for (int n = 0; n <= 64; n++) {
		seen[n] = siphash13(msg, (size_t)n, key);
		for (int m = 0; m < n; m++)
			cr_expect_neq(seen[n], seen[m], "lengths %d and %d collide", n, m);
	}
}

Test(siphash, key_changes_hash)
{
	uint8_t k1[16] = { 0 }, k2[16] = { 1 };
	cr_expect_neq(siphash13("flow", 4, k1), siphash13("flow", 4, k2));
}

Test(siphash, random_keys_differ)
{
	uint8_t a[16], b[16];
	cr_assert_eq(hash_random_key(a), 0);
	cr_assert_eq(hash_random_key(b), 0);
	cr_expect_neq(memcmp(a, b, 16), 0);
}
