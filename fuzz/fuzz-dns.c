/* fuzz-dns.c — libFuzzer target for passive DNS: one untrusted DNS message
 * (UDP) or TCP stream chunk goes through the parser into a small cache (so
 * eviction and the per-address bound run), then every learned pair is
 * looked up again. Besides memory errors it checks what the API promises:
 * a pair only from a well-formed message, names at most 253 characters in
 * lower case without an empty label, a learned pair matches its own name
 * within its TTL unless it was evicted.
 * The first input byte chooses UDP or TCP framing.
 * Build and run: see the fuzz-dns rule of the Makefile; seeds:
 * tests/dns/gen-dns-cases.py --seeds DIR and DNS payloads of captures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define T0 1700000000000000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct dns_answer a[DNS_MAX_PAIRS];
	char name[DNS_MAX_PAIRS][DNS_NAME_LEN];
	int n;
};

static void
check_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		abort();
	for (i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z') || (unsigned char)s[i] <= ' ' ||
		    (unsigned char)s[i] >= 0x7f || (s[i] == '.' && s[i + 1] == '.'))
			abort();
}

static void
collect(const struct dns_answer *a, void *arg)
{
	struct seen *s = arg;

	check_name(a->name);
	check_name(a->qname);
	if ((a->family != 4 && a->family != 6) || s->n >= DNS_MAX_PAIRS)
		abort();
	s->a[s->n] = *a;
	strcpy(s->name[s->n], a->name);
	s->a[s->n].name = s->name[s->n];
	s->a[s->n].qname = NULL;
	s->n++;
}

static int
has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen s;
	struct dns_cache *c;
	const struct dns_stats *st;
	int r, i, tcp;

	if (size < 1)
		return 0;
	tcp = data[0] & 1;
	data++;
	size--;
	if (!(c = dns_cache_new(8 + (size & 0xff))))
		return 0;
	st = dns_cache_stats(c);
	s.n = 0;
	if (!tcp) {
		r = dns_parse(data, size, collect, &s);
		if (r < 0 ? s.n != 0 : r != s.n)
			abort();
		if (dns_learn(c, data, size, T0) != r)
			abort();
	} else {
		r = dns_learn_tcp(c, data, size, T0);
		if (r < -1)
			abort();
	}
	if (st->entries > st->learned || st->malformed > st->messages)
		abort();
	for (i = 0; i < s.n; i++) {
		const struct dns_answer *a = &s.a[i];
		int m = dns_cache_match(c, a->family, a->addr, a->name, T0);
		if (!m && st->evicted == 0 && !has_glob_chars(a->name))
			abort();
		(void)dns_cache_match(c, a->family, a->addr, "*.example.com", T0 + 3600000000000ULL);
		if (!dns_cache_name(c, a->family, a->addr) && st->evicted == 0)
			abort();
	}
	dns_cache_free(c);
	return 0;
}
