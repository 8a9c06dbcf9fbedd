/* Passive DNS against messages built by tests/dns/gen-dns-cases.py (scapy):
 * the pairs dns_parse() gives must be exactly the ones the generator's
 * model of RFC 1034 3.6.2 expects, hostile messages must be rejected whole,
 * and the cache must answer by address within the clamped TTL. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "../dns/dns-cases.h"

#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

struct got {
	struct dns_case_pair p[DNS_MAX_PAIRS + 1];
	char names[DNS_MAX_PAIRS + 1][2][DNS_NAME_LEN];
	int n;
};

static void
collect(const struct dns_answer *a, void *arg)
{
	struct got *g = arg;

	cr_assert_lt(g->n, DNS_MAX_PAIRS + 1);
	cr_assert_lt(strlen(a->name), DNS_NAME_LEN);
	strcpy(g->names[g->n][0], a->name);
	strcpy(g->names[g->n][1], a->qname);
	g->p[g->n].name = g->names[g->n][0];
	g->p[g->n].qname = g->names[g->n][1];
	g->p[g->n].family = a->family;
	memcpy(g->p[g->n].addr, a->addr, 16);
	g->p[g->n].ttl = a->ttl;
	g->n++;
}

static int
pair_eq(const struct dns_case_pair *x, const struct dns_case_pair *y)
{
	return strcmp(x->name, y->name) == 0 && strcmp(x->qname, y->qname) == 0 &&
	       x->family == y->family && x->ttl == y->ttl &&
	       memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16) == 0;
}

static const struct dns_case *
find_case(const char *name)
{
	for (size_t i = 0; i < DNS_NCASES; i++)
		if (strcmp(dns_cases[i].name, name) == 0)
			return &dns_cases[i];
	cr_assert_fail("no case %s", name);
	return NULL;
}

static uint64_t
clamped(uint32_t ttl)
{
	if (ttl < DNS_TTL_MIN)
		ttl = DNS_TTL_MIN;
	if (ttl > DNS_TTL_MAX)
		ttl = DNS_TTL_MAX;
	return ttl * SEC;
}

Test(dns, generated_cases_give_exactly_the_model_pairs)
{
	struct got *g = calloc(1, sizeof(*g));

	cr_assert(g);
	cr_assert_gt(DNS_NCASES, 40);
	for (size_t i = 0; i < DNS_NCASES; i++) {
		const struct dns_case *c = &dns_cases[i];
		int used[DNS_MAX_PAIRS + 1] = { 0 };
		int r;

		g->n = 0;
		r = dns_parse(c->msg, c->len, collect, g);
		cr_expect_eq(r, c->expect, "%s: dns_parse %d, expected %d", c->name, r, c->expect);
		if (c->expect < 0) {
			cr_expect_eq(g->n, 0, "%s: pairs given out of a malformed message", c->name);
			continue;
		}
		cr_expect_eq(g->n, c->expect, "%s: %d pairs, expected %d", c->name, g->n, c->expect);
		for (int e = 0; e < c->expect; e++) {
			int found = 0;
			for (int k = 0; k < g->n && !found; k++)
				if (!used[k] && pair_eq(&c->pairs[e], &g->p[k]))
					used[k] = found = 1;
			cr_expect(found, "%s: expected pair %s ttl %u missing", c->name,
			          c->pairs[e].name, c->pairs[e].ttl);
		}
	}
	free(g);
}

/* Every message of every length prefix: never a pair from a cut message
 * (a cut is malformed, or ignored when only the header is looked at). */
Test(dns, every_truncation_is_rejected_or_complete)
{
	for (size_t i = 0; i < DNS_NCASES; i++) {
		const struct dns_case *c = &dns_cases[i];
		for (size_t n = 0; n < c->len; n++) {
			int r = dns_parse(c->msg, n, NULL, NULL);
			if (r > 0) {
				/* Only trailing bytes past the last record may go. */
				cr_expect_eq(r, c->expect, "%s cut at %zu gave %d", c->name, n, r);
			}
		}
	}
}

Test(dns, cases_learned_into_cache)
{
	for (size_t i = 0; i < DNS_NCASES; i++) {
		const struct dns_case *c = &dns_cases[i];
		struct dns_cache *dc = dns_cache_new(4096);
		const struct dns_stats *st = dns_cache_stats(dc);
		int r = dns_learn(dc, c->msg, c->len, T0);

		cr_assert(dc);
		cr_expect_eq(r, c->expect, "%s: dns_learn %d", c->name, r);
		cr_expect_eq(st->messages, 1);
		cr_expect_eq(st->malformed, c->expect < 0 ? 1u : 0u, "%s", c->name);
		cr_expect_eq(st->ignored, (uint64_t)c->ignored, "%s", c->name);
		if (c->expect <= 0)
			cr_expect_eq(st->entries, 0, "%s: entries from nothing", c->name);
		for (int e = 0; e < c->expect; e++) {
			const struct dns_case_pair *p = &c->pairs[e];
			uint64_t life = 0;
			const char *nm;

			/* Duplicates in one message: the longest lifetime holds. */
			for (int k = 0; k < c->expect; k++)
				if (strcmp(c->pairs[k].name, p->name) == 0 &&
				    c->pairs[k].family == p->family &&
				    memcmp(c->pairs[k].addr, p->addr, 16) == 0 &&
				    clamped(c->pairs[k].ttl) > life)
					life = clamped(c->pairs[k].ttl);
			cr_expect(dns_cache_match(dc, p->family, p->addr, p->name, T0),
			          "%s: %s not matched", c->name, p->name);
			cr_expect(dns_cache_match(dc, p->family, p->addr, p->name, T0 + life - 1),
			          "%s: %s gone before its TTL", c->name, p->name);
			cr_expect(!dns_cache_match(dc, p->family, p->addr, p->name, T0 + life),
			          "%s: %s still matched after its TTL", c->name, p->name);
			nm = dns_cache_name(dc, p->family, p->addr);
			cr_expect(nm && strcmp(nm, p->qname) == 0, "%s: named %s, not %s", c->name,
			          nm ? nm : "(null)", p->qname);
		}
		dns_cache_free(dc);
	}
}

static const uint8_t *
v4(const char *s, uint8_t *buf)
{
	cr_assert_eq(inet_pton(AF_INET, s, buf), 1);
	return buf;
}

Test(dns, glob_is_case_insensitive_and_covers_the_chain)
{
	const struct dns_case *c = find_case("cname_chain_compressed");
	struct dns_cache *dc = dns_cache_new(64);
	uint8_t a[4], other[4];

	cr_assert_eq(dns_learn(dc, c->msg, c->len, T0), 6);
	v4("104.18.1.1", a);
	cr_expect(dns_cache_match(dc, 4, a, "*.STRIPE.com", T0));
	cr_expect(dns_cache_match(dc, 4, a, "api.stripe.com", T0));
	cr_expect(dns_cache_match(dc, 4, a, "*.cloudflare.net", T0), "CNAME target names it too");
	cr_expect(!dns_cache_match(dc, 4, a, "stripe.com", T0));
	cr_expect(!dns_cache_match(dc, 4, a, "*.example.com", T0));
	cr_expect(!dns_cache_match(dc, 4, v4("104.18.9.9", other), "*", T0));
	{
		uint8_t a6[16] = { 0 };
		memcpy(a6, a, 4);
		cr_expect(!dns_cache_match(dc, 6, a6, "*", T0), "family is part of the key");
	}
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "api.stripe.com",
	                 "the question, not the CNAME target, names the address");
	dns_cache_free(dc);
}

Test(dns, answers_for_other_names_are_not_learned)
{
	const struct dns_case *c = find_case("answer_for_other_name");
	struct dns_cache *dc = dns_cache_new(64);
	uint8_t evil[4], v6[16];

	cr_assert_eq(dns_learn(dc, c->msg, c->len, T0), 1);
	cr_expect(!dns_cache_match(dc, 4, v4("203.0.113.66", evil), "*", T0));
	cr_expect_null(dns_cache_name(dc, 4, evil));
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::66", v6), 1);
	cr_expect(!dns_cache_match(dc, 6, v6, "*", T0));
	c = find_case("glue_in_additional");
	cr_assert_eq(dns_learn(dc, c->msg, c->len, T0), 1);
	cr_expect(!dns_cache_match(dc, 4, v4("192.0.2.53", evil), "*", T0), "glue is not trusted");
	cr_expect(!dns_cache_match(dc, 4, v4("203.0.113.1", evil), "*", T0));
	cr_expect_eq(dns_cache_stats(dc)->entries, 2);
	dns_cache_free(dc);
}

Test(dns, ttl_floor_and_cap)
{
	struct dns_cache *dc = dns_cache_new(64);
	const struct dns_case *z = find_case("ttl_zero"), *w = find_case("ttl_week");
	uint8_t a[4], b[4];

	cr_assert_eq(dns_learn(dc, z->msg, z->len, T0), 1);
	cr_assert_eq(dns_learn(dc, w->msg, w->len, T0), 1);
	v4("192.0.2.20", a);
	v4("192.0.2.21", b);
	cr_expect(dns_cache_match(dc, 4, a, "zero.example.com", T0 + DNS_TTL_MIN * SEC - 1));
	cr_expect(!dns_cache_match(dc, 4, a, "zero.example.com", T0 + DNS_TTL_MIN * SEC));
	cr_expect(dns_cache_match(dc, 4, b, "week.example.com", T0 + DNS_TTL_MAX * SEC - 1));
	cr_expect(!dns_cache_match(dc, 4, b, "week.example.com", T0 + DNS_TTL_MAX * SEC));
	/* Expired for policy, still a name for records. */
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "zero.example.com");
	dns_cache_free(dc);
}

static struct dns_answer
pair(const char *name, const char *qname, const uint8_t *addr4, uint32_t ttl)
{
	struct dns_answer a = { .name = name, .qname = qname, .family = 4, .ttl = ttl };

	memcpy(a.addr, addr4, 4);
	return a;
}

Test(dns, refresh_never_shortens)
{
	struct dns_cache *dc = dns_cache_new(8);
	uint8_t a[4];
	struct dns_answer p;

	v4("198.51.100.1", a);
	p = pair("x.test", "x.test", a, 300);
	cr_assert_eq(dns_cache_add(dc, &p, T0), 0);
	p.ttl = 60;
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 10 * SEC), 0);
	cr_expect(dns_cache_match(dc, 4, a, "x.test", T0 + 299 * SEC));
	p.ttl = 600;
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 20 * SEC), 0);
	cr_expect(dns_cache_match(dc, 4, a, "x.test", T0 + 619 * SEC));
	cr_expect(!dns_cache_match(dc, 4, a, "x.test", T0 + 620 * SEC));
	cr_expect_eq(dns_cache_stats(dc)->entries, 1);
	cr_expect_eq(dns_cache_stats(dc)->learned, 3);
	dns_cache_free(dc);
}

Test(dns, latest_question_names_the_address)
{
	struct dns_cache *dc = dns_cache_new(8);
	uint8_t a[4];
	struct dns_answer p;

	v4("198.51.100.2", a);
	p = pair("shared.cdn.test", "a.test", a, 300);
	dns_cache_add(dc, &p, T0);
	p = pair("a.test", "a.test", a, 300);
	dns_cache_add(dc, &p, T0);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "a.test");
	p = pair("b.test", "b.test", a, 300);
	dns_cache_add(dc, &p, T0 + SEC);
	p = pair("shared.cdn.test", "b.test", a, 300);
	dns_cache_add(dc, &p, T0 + SEC);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "b.test",
	                 "most recent question, never the CNAME target");
	p = pair("a.test", "a.test", a, 300);
	dns_cache_add(dc, &p, T0 + 2 * SEC);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "a.test", "asked again: most recent");
	dns_cache_free(dc);
}

/* Names are kept in no order; the address remembers its newest and newest
 * asked-for name, and finds them again when those are evicted. */
Test(dns, naming_survives_eviction_of_the_newest)
{
	struct dns_cache *dc = dns_cache_new(4);
	uint8_t a[4], b[4];
	struct dns_answer p;

	v4("198.51.100.3", a);
	v4("198.51.100.4", b);
	p = pair("old.test", "old.test", a, 3600);
	dns_cache_add(dc, &p, T0);
	p = pair("target.cdn.test", "x.test", a, 3600);
	dns_cache_add(dc, &p, T0 + SEC);
	p = pair("new.test", "new.test", a, 10);          /* newest asked, expires first */
	dns_cache_add(dc, &p, T0 + 2 * SEC);
	p = pair("later.cdn.test", "y.test", a, 3600);    /* newest: a CNAME target */
	dns_cache_add(dc, &p, T0 + 3 * SEC);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "new.test");
	/* Full: the expired one goes, the newest asked-for name. */
	p = pair("b.test", "b.test", b, 3600);
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 60 * SEC), 0);
	cr_expect_eq(dns_cache_stats(dc)->entries, 4);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "old.test", "the asked-for name left");
	/* Again full: the least recently learned (old.test) goes; only CNAME
	 * targets are left, the latest of them names it. */
	p = pair("b2.test", "b2.test", b, 3600);
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 61 * SEC), 0);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "later.cdn.test");
	/* Refreshed: the older target is the newest again. */
	p = pair("target.cdn.test", "z.test", a, 3600);
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 62 * SEC), 0);
	cr_expect_str_eq(dns_cache_name(dc, 4, a), "target.cdn.test");
	dns_cache_free(dc);
}

Test(dns, full_cache_drops_expired_then_least_recent)
{
	struct dns_cache *dc = dns_cache_new(4);
	static const uint32_t ttl[4] = { 3600, 50, 7200, 600 };
	uint8_t a[6][4];
	char name[6][24];
	struct dns_answer p;

	for (int i = 0; i < 6; i++) {
		a[i][0] = 10, a[i][1] = 0, a[i][2] = 0, a[i][3] = (uint8_t)(i + 1);
		snprintf(name[i], sizeof(name[i]), "n%d.test", i);
	}
	for (int i = 0; i < 4; i++) {
		p = pair(name[i], name[i], a[i], ttl[i]);
		cr_assert_eq(dns_cache_add(dc, &p, T0 + (uint64_t)i * SEC), 0);
	}
	/* Nothing expired: the least recently learned (n0) goes, not the
	 * 50 s answer learned after it. */
	p = pair(name[4], name[4], a[4], 10);
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 10 * SEC), 0);
	cr_expect_null(dns_cache_name(dc, 4, a[0]));
	cr_expect_str_eq(dns_cache_name(dc, 4, a[1]), name[1]);
	cr_expect_str_eq(dns_cache_name(dc, 4, a[4]), name[4], "the newest answer stays");
	/* At +100 s n1 (50 s) and n4 (clamped to 30 s) have expired: the
	 * oldest-expiring of them goes, n4, although learned last. */
	p = pair(name[5], name[5], a[5], 300);
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 100 * SEC), 0);
	cr_expect_null(dns_cache_name(dc, 4, a[4]));
	cr_expect_str_eq(dns_cache_name(dc, 4, a[1]), name[1]);
	cr_expect_eq(dns_cache_stats(dc)->entries, 4);
	cr_expect_eq(dns_cache_stats(dc)->evicted, 2);
	dns_cache_free(dc);
}

/* Full cache in steady state, as in the engine: a message's own pairs
 * never push each other out. */
Test(dns, full_cache_keeps_the_message_just_learned)
{
	const struct dns_case *c = find_case("cname_chain_compressed");
	struct dns_cache *dc = dns_cache_new(256);
	struct dns_answer p;
	uint8_t a[4];
	char name[32];

	for (uint32_t i = 0; i < 256; i++) {
		a[0] = 10, a[1] = 1, a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "long%u.test", i);
		p = pair(name, name, a, 86400);
		dns_cache_add(dc, &p, T0);
	}
	cr_assert_eq(dns_learn(dc, c->msg, c->len, T0 + SEC), 6);
	for (int e = 0; e < c->expect; e++)
		cr_expect(dns_cache_match(dc, c->pairs[e].family, c->pairs[e].addr,
		                          c->pairs[e].name, T0 + 2 * SEC), "%s", c->pairs[e].name);
	cr_expect_eq(dns_cache_stats(dc)->evicted, 6);
	dns_cache_free(dc);
}

/* Against a plain model: with nothing expired a full cache drops the least
 * recently learned, here the first added; what the model holds, the cache
 * names, and nothing else. */
Test(dns, eviction_order_matches_a_model)
{
	enum { MAX = 64, OPS = 3000 };
	struct dns_cache *dc = dns_cache_new(MAX);
	struct { uint32_t ip; uint64_t exp; } model[MAX];
	int n = 0;
	uint32_t seed = 12345;

	for (int op = 0; op < OPS; op++) {
		uint8_t a[4];
		struct dns_answer p;
		uint32_t ip = 0x0a000000u + (uint32_t)op, ttl;
		uint64_t exp;

		seed = seed * 1103515245u + 12345u;
		ttl = DNS_TTL_MIN + (seed >> 8) % 40000 * 2 + (uint32_t)(op & 1);
		/* distinct expiries: time moves one ns per op */
		exp = T0 + (uint64_t)op + ttl * SEC;
		a[0] = (uint8_t)(ip >> 24), a[1] = (uint8_t)(ip >> 16);
		a[2] = (uint8_t)(ip >> 8), a[3] = (uint8_t)ip;
		p = pair("m.test", "m.test", a, ttl);
		cr_assert_eq(dns_cache_add(dc, &p, T0 + (uint64_t)op), 0);
		if (n == MAX) {
			memmove(model, model + 1, sizeof(model[0]) * (MAX - 1));
			n--;
		}
		model[n].ip = ip;
		model[n].exp = exp;
		n++;
	}
	cr_assert_eq(dns_cache_stats(dc)->entries, MAX);
	for (int op = 0; op < OPS; op++) {
		uint32_t ip = 0x0a000000u + (uint32_t)op;
		uint8_t a[4] = { (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
		                 (uint8_t)ip };
		int in = 0;
		for (int k = 0; k < n; k++)
			in |= model[k].ip == ip;
		cr_expect_eq(dns_cache_name(dc, 4, a) != NULL, in, "address %d: cache %d model %d",
		             op, dns_cache_name(dc, 4, a) != NULL, in);
	}
	dns_cache_free(dc);
}

/* Both ways out: the per-address bound (an entry from the middle of the
 * heap) and the full table (its root), against a plain model. */
struct mentry {
	int ip, name;
	uint64_t exp, seen;
};

/* The model's choice among entries for which pick() holds: an expired one,
 * the oldest-expiring; else the least recently learned. */
static int
model_victim(const struct mentry *m, int n, int ip, uint64_t now)
{
	int v = -1;

	for (int k = 0; k < n; k++) {
		if (ip >= 0 && m[k].ip != ip)
			continue;
		if (v < 0)
			v = k;
		else if ((m[k].exp <= now) != (m[v].exp <= now))
			v = m[k].exp <= now ? k : v;
		else if (m[k].exp <= now ? m[k].exp < m[v].exp : m[k].seen < m[v].seen)
			v = k;
	}
	return v;
}

static void
evict_model(uint32_t seed, int NADDR)
{
	enum { MAX = 40, OPS = 3000, NNAME = 100 };
	struct dns_cache *dc = dns_cache_new(MAX);
	struct mentry model[MAX];
	char names[NNAME][24];
	int n = 0;

	for (int i = 0; i < NNAME; i++)
		snprintf(names[i], sizeof(names[i]), "n%d.test", i);
	for (int op = 0; op < OPS; op++) {
		uint8_t a[4] = { 10, 9, 0, 0 };
		struct dns_answer p;
		int ip, nm, k, same = 0, found = -1;
		uint32_t ttl;
		/* a second (and a ns, so no two expiries tie) per step:
		 * answers expire during the run */
		uint64_t now = T0 + (uint64_t)op * (SEC + 1), exp;

		seed = seed * 1103515245u + 12345u;
		/* mostly one address, so that its bound is reached often */
		ip = (seed >> 4) % 16 < 13 ? 0 : 1 + (int)((seed >> 8) % (uint32_t)(NADDR - 1));
		nm = (int)((seed >> 10) % NNAME);
		ttl = DNS_TTL_MIN + (seed >> 16) % 300;
		exp = now + ttl * SEC;
		a[3] = (uint8_t)ip;
		p = pair(names[nm], names[nm], a, ttl);
		cr_assert_eq(dns_cache_add(dc, &p, now), 0);
		for (k = 0; k < n; k++) {
			if (model[k].ip != ip)
				continue;
			if (model[k].name == nm)
				found = k;
			same++;
		}
		if (found >= 0) {
			if (exp > model[found].exp)
				model[found].exp = exp;
			model[found].seen = now;
		} else {
			if (same >= DNS_NAMES_PER_ADDR) {
				k = model_victim(model, n, ip, now);
				model[k] = model[--n];
			} else if (n == MAX) {
				k = model_victim(model, n, -1, now);
				model[k] = model[--n];
			}
			model[n].ip = ip;
			model[n].name = nm;
			model[n].exp = exp;
			model[n].seen = now;
			n++;
		}
		/* Same count and every model pair held (asked at T0, before any
		 * expiry, "held" is "matched"): the same set, after every step. */
		cr_assert_eq(dns_cache_stats(dc)->entries, (uint64_t)n);
		for (k = 0; k < n; k++) {
			a[3] = (uint8_t)model[k].ip;
			if (!dns_cache_match(dc, 4, a, names[model[k].name], T0))
				cr_assert_fail("seed %u op %d: %d %s dropped, model holds it", seed,
				               op, model[k].ip, names[model[k].name]);
		}
	}
	dns_cache_free(dc);
}

Test(dns, eviction_with_per_address_bound_matches_a_model)
{
	for (uint32_t seed = 1; seed <= 20; seed++)
		evict_model(seed, 2 + (int)(seed % 3));
}

Test(dns, names_per_address_are_bounded)
{
	struct dns_cache *dc = dns_cache_new(1024);
	uint8_t a[4];
	char name[64][24];
	struct dns_answer p;

	v4("198.51.100.3", a);
	for (int i = 0; i < 40; i++) {
		snprintf(name[i], sizeof(name[i]), "h%d.cdn.test", i);
		p = pair(name[i], name[i], a, 100 + (uint32_t)i);
		cr_assert_eq(dns_cache_add(dc, &p, T0 + (uint64_t)i), 0);
	}
	cr_expect_eq(dns_cache_stats(dc)->entries, DNS_NAMES_PER_ADDR);
	for (int i = 0; i < 40; i++)
		cr_expect_eq(dns_cache_match(dc, 4, a, name[i], T0), i >= 40 - DNS_NAMES_PER_ADDR,
		             "%s", name[i]);
	dns_cache_free(dc);
}

static size_t
frame(uint8_t *out, const struct dns_case *c)
{
	out[0] = (uint8_t)(c->len >> 8);
	out[1] = (uint8_t)c->len;
	memcpy(out + 2, c->msg, c->len);
	return c->len + 2;
}

Test(dns, tcp_framing)
{
	const struct dns_case *a = find_case("a_simple"), *b = find_case("cname_chain_compressed"),
	                      *bad = find_case("h_counts_exceed");
	struct dns_cache *dc = dns_cache_new(64);
	uint8_t buf[1024];
	size_t n = 0;

	n += frame(buf + n, a);
	n += frame(buf + n, bad);
	n += frame(buf + n, b);
	/* and the start of another */
	n += frame(buf + n, a) - 5;
	cr_expect_eq(dns_learn_tcp(dc, buf, n, T0), 1 + 6);
	cr_expect_eq(dns_cache_stats(dc)->messages, 3);
	cr_expect_eq(dns_cache_stats(dc)->malformed, 1);
	cr_expect_eq(dns_learn_tcp(dc, buf, 1, T0), 0, "half a length prefix");
	cr_expect_eq(dns_learn_tcp(dc, buf, 0, T0), 0);
	memset(buf, 0, 4);
	cr_expect_eq(dns_learn_tcp(dc, buf, 4, T0), -1, "zero length: not a DNS stream");
	n = frame(buf, bad);
	cr_expect_eq(dns_learn_tcp(dc, buf, n, T0), -1);
	dns_cache_free(dc);
}

Test(dns, bad_arguments)
{
	struct dns_cache *dc;
	struct dns_answer p = { .name = "x", .qname = "x", .family = 5 };

	errno = 0;
	cr_expect_null(dns_cache_new(0));
	cr_expect_eq(errno, EINVAL);
	dc = dns_cache_new(1);
	cr_assert(dc);
	cr_expect_eq(dns_cache_add(dc, &p, T0), -1);
	cr_expect_eq(dns_cache_match(dc, 5, (const uint8_t *)"abcdabcdabcdabcd", "*", T0), 0);
	cr_expect_null(dns_cache_name(dc, 0, (const uint8_t *)"abcd"));
	dns_cache_free(dc);
	dns_cache_free(NULL);
}

/* The address table starts small and doubles as addresses come (up to the
 * cap's size): every address is still found after each growth, and
 * eviction (slots removed, runs shifted) keeps working on the grown table. */
Test(dns, table_grows_and_keeps_every_address)
{
	enum { MAX = 5000 };
	struct dns_cache *dc = dns_cache_new(MAX);
	char name[32];
	struct dns_answer p;
	uint8_t a[4];
	const char *got;
	int i;

	cr_assert_not_null(dc);
	for (i = 0; i < 2 * MAX; i++) {
		a[0] = 10, a[1] = (uint8_t)(i >> 16), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "n%d.grow.test", i);
		p = pair(name, name, a, 3600);
		cr_assert_eq(dns_cache_add(dc, &p, T0 + (uint64_t)i), 0, "add %d", i);
		if (i == MAX - 1) {
			/* All of the first MAX, after the table grew from 1,024 slots. */
			for (int k = 0; k < MAX; k++) {
				uint8_t b[4] = { 10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k };
				char want[32];
				snprintf(want, sizeof(want), "n%d.grow.test", k);
				got = dns_cache_name(dc, 4, b);
				cr_assert(got && !strcmp(got, want), "address %d: %s", k, got ? got : "none");
			}
		}
	}
	/* The cache holds MAX: the least recently learned went, the rest are there. */
	cr_assert_eq(dns_cache_stats(dc)->entries, MAX);
	for (i = 0; i < 2 * MAX; i++) {
		a[0] = 10, a[1] = (uint8_t)(i >> 16), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
		got = dns_cache_name(dc, 4, a);
		if (i < MAX) {
			cr_expect_null(got, "address %d should have been evicted", i);
		} else {
			snprintf(name, sizeof(name), "n%d.grow.test", i);
			cr_expect(got && !strcmp(got, name), "address %d: %s", i, got ? got : "none");
		}
	}
	dns_cache_free(dc);
}

/* An address's names grow from 2 to the cap of 32 and lose one at the cap:
 * learning a name again must find it each time (no second entry), through
 * every growth, move and eviction. */
Test(dns, names_of_one_address_are_found_again)
{
	struct dns_cache *dc = dns_cache_new(4096);
	char name[40][24];
	uint8_t a[4];
	struct dns_answer p;
	unsigned i, k;

	v4("198.51.100.9", a);
	for (i = 0; i < 40; i++)
		snprintf(name[i], sizeof(name[i]), "n%u.test", i);
	for (i = 0; i < DNS_NAMES_PER_ADDR; i++) {
		p = pair(name[i], name[i], a, 3600);
		cr_assert_eq(dns_cache_add(dc, &p, T0 + i * SEC), 0);
		for (k = 0; k <= i; k++) {        /* each earlier one again */
			p = pair(name[(k * 7) % (i + 1)], name[(k * 7) % (i + 1)], a, 3600);
			cr_assert_eq(dns_cache_add(dc, &p, T0 + i * SEC), 0);
		}
		cr_assert_eq(dns_cache_stats(dc)->entries, i + 1, "after %u names", i + 1);
	}
	/* At the cap: a new name takes the least recently learned one's place. */
	p = pair(name[32], name[32], a, 3600);
	cr_assert_eq(dns_cache_add(dc, &p, T0 + 100 * SEC), 0);
	cr_expect_eq(dns_cache_stats(dc)->entries, DNS_NAMES_PER_ADDR);
	for (i = 0; i <= 32; i++) {
		int held = dns_cache_match(dc, 4, a, name[i], T0 + 101 * SEC);
		p = pair(name[i], name[i], a, 3600);
		cr_assert_eq(dns_cache_add(dc, &p, T0 + 101 * SEC), 0);
		if (held)
			cr_expect_eq(dns_cache_stats(dc)->entries, DNS_NAMES_PER_ADDR,
			             "%s learned again made a second entry", name[i]);
	}
	cr_expect_str_eq(dns_cache_name(dc, 4, a), name[32]);
	dns_cache_free(dc);
}
