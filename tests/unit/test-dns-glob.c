/* `dns GLOB` peers against learned names: what fnmatch(3) with
 * FNM_CASEFOLD says, whichever way the glob is classified. */
#include <criterion/criterion.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

Test(dns_glob, same_as_fnmatch_casefold)
{
	static const char *const globs[] = {
		"*.stripe.com", "stripe.com", "API.Stripe.com", "*", "*.COM", "a?i.stripe.com",
		"*.svc-[0-9].example", "", "*e", "e",
	};
	static const char *const names[] = {
		"api.stripe.com", "stripe.com", "a.b.stripe.com", "xstripe.com", "API.STRIPE.COM",
		"stripe.co", "svc.svc-4.example", "svc-4.example", "e", "", "example",
	};
	size_t i, k;

	for (i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		struct dns_glob g;
		dns_glob_init(&g, globs[i]);
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			int want = fnmatch(globs[i], names[k], FNM_CASEFOLD) == 0;
			cr_expect_eq(dns_glob_match(&g, names[k], strlen(names[k])), want,
			             "glob '%s' name '%s': want %d", globs[i], names[k], want);
			/* The filter never turns down a match. */
			if (want)
				cr_expect_eq(g.need & ~dns_suffix_bits(names[k], strlen(names[k])), 0,
				             "glob '%s' name '%s': filtered out", globs[i], names[k]);
		}
	}
}

/* The suffix filter: never wrong on a match (random names and globs built
 * from them, any case), and it does turn most non-matches down. */
Test(dns_glob, suffix_filter)
{
	static const char *const labels[] = { "a", "api", "svc-3", "example", "COM", "x-1", "b" };
	uint32_t seed = 12345;
	size_t i, filtered = 0, misses = 0;

	for (i = 0; i < 20000; i++) {
		char name[128] = "", glob[130];
		size_t nl, j, start;
		struct dns_glob g;
		int parts = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
		uint32_t bits;

		for (j = 0; j < (size_t)parts; j++) {
			seed = seed * 1103515245u + 12345u;
			if (j)
				strcat(name, ".");
			strcat(name, labels[(seed >> 16) % 7]);
		}
		nl = strlen(name);
		bits = dns_suffix_bits(name, nl);
		seed = seed * 1103515245u + 12345u;
		/* A glob of a part of this name, or of another one. */
		start = (seed >> 16) % (nl + 1);
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 2)
			snprintf(glob, sizeof(glob), "*%s", name + start);
		else
			snprintf(glob, sizeof(glob), "%s", name + start);
		for (j = 0; glob[j]; j++)
			if ((seed >> (j % 16)) & 1)
				glob[j] = (char)(glob[j] >= 'a' && glob[j] <= 'z' ? glob[j] - 32 : glob[j]);
		dns_glob_init(&g, glob);
		if (dns_glob_match(&g, name, nl)) {
			cr_assert_eq(g.need & ~bits, 0, "glob '%s' name '%s': filtered out", glob, name);
		} else if (g.need) {
			misses++;
			filtered += (g.need & ~bits) != 0;
		}
	}
	cr_expect_gt(misses, 1000);
	cr_expect_gt(filtered, misses / 2, "%zu of %zu non-matches filtered", filtered, misses);
}
