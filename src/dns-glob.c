/* dns-glob.c — a profile's `dns GLOB` against names passive DNS learned.
 * Names are case-insensitive (RFC 4343). A judgement may hold a few dozen
 * names against several globs: the last character is compared before
 * anything else, which settles most pairs. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

void
dns_glob_init(struct dns_glob *g, const char *glob)
{
	const char *lit = glob[0] == '*' ? glob + 1 : glob;

	if (strpbrk(lit, "*?[\\")) {
		g->kind = DNS_GLOB_FNMATCH;
		g->s = glob;
	} else {
		g->kind = lit == glob ? DNS_GLOB_EXACT : DNS_GLOB_SUFFIX;
		g->s = lit;
	}
	g->len = (uint32_t)strlen(g->s);
	g->last = g->len ? (uint8_t)tolower((unsigned char)g->s[g->len - 1]) : 0;
}

int
dns_glob_match(const struct dns_glob *g, const char *name, size_t nlen)
{
	switch (g->kind) {
	case DNS_GLOB_EXACT:
		return nlen == g->len && (!nlen || tolower((unsigned char)name[nlen - 1]) == g->last) &&
		       strcasecmp(name, g->s) == 0;
	case DNS_GLOB_SUFFIX:
		if (nlen < g->len || (g->len && tolower((unsigned char)name[nlen - 1]) != g->last))
			return 0;
		return strcasecmp(name + nlen - g->len, g->s) == 0;
	default:
		return fnmatch(g->s, name, FNM_CASEFOLD) == 0;
	}
}
