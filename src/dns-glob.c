/* dns-glob.c — a profile's `dns GLOB` against names passive DNS learned.
 * Names are case-insensitive (RFC 4343). A judgement may hold a few dozen
 * names against several globs: the last character is compared before
 * anything else, which settles most pairs. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

/* Names are hashed from their end, so that every suffix's hash is a step
 * of one pass. */
#define SUFFIX_BASIS 2166136261u
#define SUFFIX_PRIME 16777619u

static uint32_t
suffix_step(uint32_t h, char c)
{
	return (h ^ (uint8_t)tolower((unsigned char)c)) * SUFFIX_PRIME;
}

static uint32_t
suffix_bit(uint32_t h)
{
	return 1u << ((h * 0x9e3779b1u) >> 27);
}

uint32_t
dns_suffix_bits(const char *name, size_t nlen)
{
	uint32_t h = SUFFIX_BASIS, bits = 0;
	size_t i;

	for (i = nlen; i > 0; i--) {
		if (name[i - 1] == '.' && i < nlen)
			bits |= suffix_bit(h);
		h = suffix_step(h, name[i - 1]);
	}
	return bits | suffix_bit(h);
}

/* The bit of the whole of s[0..n). */
static uint32_t
whole_bit(const char *s, size_t n)
{
	uint32_t h = SUFFIX_BASIS;

	while (n > 0)
		h = suffix_step(h, s[--n]);
	return suffix_bit(h);
}

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
	/* "name": the name's whole bit; "*.example": the bit of what
	 * follows a dot, "example". Other globs name no part. */
	g->need = 0;
	if (g->kind == DNS_GLOB_EXACT && g->len)
		g->need = whole_bit(g->s, g->len);
	else if (g->kind == DNS_GLOB_SUFFIX && g->len > 1 && g->s[0] == '.')
		g->need = whole_bit(g->s + 1, g->len - 1);
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
