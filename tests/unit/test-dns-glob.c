/* `dns GLOB` peers against learned names: what fnmatch(3) with
 * FNM_CASEFOLD says, whichever way the glob is classified. */
#include <criterion/criterion.h>
#include <fnmatch.h>
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
		}
	}
}
