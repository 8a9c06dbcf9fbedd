/* dns-cache.c — the (name, address) pairs of passive DNS, with expiry.
 *
 * One entry per pair. Entries hang off a hash table keyed by the address
 * alone (SipHash-1-3 with a random key, so traffic cannot pile names into
 * one bucket), because both questions the engine asks start from an
 * address: "does a name matching GLOB own it?" once per new flow and peer,
 * "what is it called?" once per record.
 *
 * When the table is full, an expired entry (kept for naming only) goes
 * first, the oldest-expiring one: a binary min-heap on expiry finds it.
 * When none has expired, the least recently learned goes (a list in
 * learning order), not the soonest-expiring: that would be the answer just
 * learned with a short TTL, about to be used by the connection it was
 * asked for, dropped by its own siblings in the same message.
 *
 * Per address at most DNS_NAMES_PER_ADDR names are kept (a CDN address
 * serves thousands), which bounds the glob matches one lookup makes; the
 * same rule picks which of them goes. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns-int.h"
#include "hash.h"

#define NS_PER_SEC 1000000000ULL

struct dns_entry {
	struct dns_entry *next;     /* hash chain */
	struct dns_entry *older, *newer;    /* learning order */
	uint64_t expires;           /* valid for policy before this */
	uint64_t seen;              /* last learned */
	size_t heap;                /* index in the expiry heap */
	uint8_t family;
	uint8_t asked;              /* name was a question, not only a CNAME target */
	uint8_t addr[16];
	uint16_t nlen;              /* strlen(name): names are at most 255 */
	char name[];
};

/* A presence filter over addresses: most addresses a record or a profile
 * asks about were never in an answer, and one bit says so without hashing
 * into the table. Bits are set, never cleared (an evicted address costs a
 * full lookup, no wrong answer); not keyed: forcing bits on costs lookups. */
#define FILTER_BITS 20

struct dns_cache {
	uint64_t filter[(1u << FILTER_BITS) / 64];
	struct dns_entry **bucket;
	size_t mask;
	struct dns_entry **heap;
	struct dns_entry *oldest, *newest;
	size_t max;
	uint8_t key[16];
	struct dns_stats st;
};

static size_t
addr_len(int family)
{
	return family == 4 ? 4 : 16;
}

static uint32_t
filter_bit(int family, const uint8_t *addr)
{
	uint64_t x = (uint64_t)family;
	uint32_t w;
	size_t i;

	for (i = 0; i < addr_len(family); i += 4) {
		memcpy(&w, addr + i, 4);
		x = (x ^ w) * 0x9e3779b97f4a7c15ULL;
	}
	return (uint32_t)(x >> (64 - FILTER_BITS));
}

static int
maybe_known(const struct dns_cache *c, int family, const uint8_t *addr)
{
	uint32_t b = filter_bit(family, addr);

	return (c->filter[b / 64] >> (b % 64)) & 1;
}

static struct dns_entry **
bucket_of(const struct dns_cache *c, int family, const uint8_t *addr)
{
	uint8_t k[17] = { 0 };

	k[0] = (uint8_t)family;
	memcpy(k + 1, addr, addr_len(family));
	return &c->bucket[siphash13(k, sizeof(k), c->key) & c->mask];
}

static int
same_addr(const struct dns_entry *e, int family, const uint8_t *addr)
{
	return e->family == family && memcmp(e->addr, addr, addr_len(family)) == 0;
}

/* ---- expiry heap -------------------------------------------------------- */

static void
heap_set(struct dns_cache *c, size_t i, struct dns_entry *e)
{
	c->heap[i] = e;
	e->heap = i;
}

static void
heap_up(struct dns_cache *c, size_t i)
{
	struct dns_entry *e = c->heap[i];

	while (i > 0 && c->heap[(i - 1) / 2]->expires > e->expires) {
		heap_set(c, i, c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(c, i, e);
}

static void
heap_down(struct dns_cache *c, size_t i)
{
	struct dns_entry *e = c->heap[i];
	size_t n = c->st.entries, l;

	while ((l = 2 * i + 1) < n) {
		if (l + 1 < n && c->heap[l + 1]->expires < c->heap[l]->expires)
			l++;
		if (c->heap[l]->expires >= e->expires)
			break;
		heap_set(c, i, c->heap[l]);
		i = l;
	}
	heap_set(c, i, e);
}

static void
lru_unlink(struct dns_cache *c, struct dns_entry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	e->older = e->newer = NULL;
}

static void
lru_append(struct dns_cache *c, struct dns_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
}

/* Which of a and b to drop first at now: an expired one, the
 * oldest-expiring of them; else the least recently learned. */
static int
drop_before(const struct dns_entry *a, const struct dns_entry *b, uint64_t now)
{
	int ax = a->expires <= now, bx = b->expires <= now;

	if (ax != bx)
		return ax;
	if (ax || a->seen == b->seen)
		return a->expires < b->expires;
	return a->seen < b->seen;
}

static void
entry_drop(struct dns_cache *c, struct dns_entry *e)
{
	struct dns_entry **pp = bucket_of(c, e->family, e->addr);
	size_t i = e->heap, last = --c->st.entries;

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	lru_unlink(c, e);
	if (i != last) {
		struct dns_entry *moved = c->heap[last];

		heap_set(c, i, moved);
		heap_down(c, i);
		heap_up(c, moved->heap);
	}
	free(e);
	c->st.evicted++;
}

/* ---- life cycle --------------------------------------------------------- */

struct dns_cache *
dns_cache_new(size_t max_entries)
{
	struct dns_cache *c;
	size_t nb = 16;

	if (max_entries < 1 || max_entries > (1u << 26)) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < max_entries)
		nb <<= 1;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	c->max = max_entries;
	c->mask = nb - 1;
	c->bucket = calloc(nb, sizeof(*c->bucket));
	c->heap = calloc(max_entries, sizeof(*c->heap));
	if (!c->bucket || !c->heap || hash_random_key(c->key) < 0) {
		dns_cache_free(c);
		return NULL;
	}
	return c;
}

void
dns_cache_free(struct dns_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; c->heap && i < c->st.entries; i++)
		free(c->heap[i]);
	free(c->heap);
	free(c->bucket);
	free(c);
}

const struct dns_stats *
dns_cache_stats(const struct dns_cache *c)
{
	return &c->st;
}

/* ---- learning ----------------------------------------------------------- */

static uint8_t
asked(const struct dns_answer *a)
{
	return !a->qname || strcmp(a->name, a->qname) == 0;
}

int
dns_cache_add(struct dns_cache *c, const struct dns_answer *a, uint64_t now)
{
	struct dns_entry **b, **pp, *e, *victim = NULL;
	uint32_t ttl = a->ttl;
	uint64_t expires;
	unsigned names = 0;
	size_t nlen;

	if (a->family != 4 && a->family != 6) {
		errno = EINVAL;
		return -1;
	}
	if (ttl < DNS_TTL_MIN)
		ttl = DNS_TTL_MIN;
	if (ttl > DNS_TTL_MAX)
		ttl = DNS_TTL_MAX;
	expires = now + ttl * NS_PER_SEC;
	b = bucket_of(c, a->family, a->addr);
	for (pp = b; (e = *pp); pp = &e->next) {
		if (!same_addr(e, a->family, a->addr))
			continue;
		if (strcmp(e->name, a->name) == 0) {
			/* To the front: a chain is kept newest first, so naming an
			 * address stops at its first asked-for name. */
			*pp = e->next;
			e->next = *b;
			*b = e;
			/* A shorter TTL now does not shorten what the client
			 * may still hold from the earlier answer. */
			if (expires > e->expires) {
				e->expires = expires;
				heap_down(c, e->heap);
			}
			e->seen = now;
			lru_unlink(c, e);
			lru_append(c, e);
			e->asked |= asked(a);
			c->st.learned++;
			return 0;
		}
		names++;
		if (!victim || drop_before(e, victim, now))
			victim = e;
	}
	if (names >= DNS_NAMES_PER_ADDR)
		entry_drop(c, victim);
	else if (c->st.entries == c->max)
		entry_drop(c, c->heap[0]->expires <= now ? c->heap[0] : c->oldest);
	nlen = strlen(a->name);
	if (!(e = malloc(sizeof(*e) + nlen + 1)))
		return -1;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, a->name, nlen + 1);
	e->nlen = (uint16_t)nlen;
	e->expires = expires;
	e->seen = now;
	e->family = (uint8_t)a->family;
	e->asked = asked(a);
	memcpy(e->addr, a->addr, addr_len(a->family));
	/* The drop above may have emptied this bucket's head. */
	b = bucket_of(c, a->family, a->addr);
	{
		uint32_t bit = filter_bit(a->family, a->addr);
		c->filter[bit / 64] |= 1ULL << (bit % 64);
	}
	e->next = *b;
	*b = e;
	heap_set(c, c->st.entries++, e);
	heap_up(c, e->heap);
	lru_append(c, e);
	c->st.learned++;
	return 0;
}

struct learn_ctx {
	struct dns_cache *c;
	uint64_t now;
	int stored;
};

static void
learn_one(const struct dns_answer *a, void *arg)
{
	struct learn_ctx *l = arg;

	if (dns_cache_add(l->c, a, l->now) == 0)
		l->stored++;
}

int
dns_learn(struct dns_cache *c, const uint8_t *msg, size_t len, uint64_t now_ns)
{
	struct learn_ctx l = { c, now_ns, 0 };
	int ignored, n;

	c->st.messages++;
	n = dns_parse_msg(msg, len, learn_one, &l, &ignored);
	if (n < 0) {
		c->st.malformed++;
		return -1;
	}
	if (ignored)
		c->st.ignored++;
	return l.stored;
}

int
dns_learn_tcp(struct dns_cache *c, const uint8_t *data, size_t len, uint64_t now_ns)
{
	size_t off = 0, mlen;
	int n, sum = 0, bad = 0;

	while (len - off >= 2) {
		mlen = (size_t)data[off] << 8 | data[off + 1];
		if (mlen < 12) {        /* shorter than a header: not a DNS stream */
			c->st.messages++;
			c->st.malformed++;
			bad = 1;
			break;
		}
		if (mlen > len - off - 2)
			break;          /* continues in a later segment: not buffered */
		n = dns_learn(c, data + off + 2, mlen, now_ns);
		if (n < 0)
			bad = 1;
		else
			sum += n;
		off += 2 + mlen;
	}
	return sum == 0 && bad ? -1 : sum;
}

/* ---- lookups ------------------------------------------------------------ */

/* A profile's dns glob, classified once per lookup: most are
 * "*.example.com" or a plain name, compared directly; the rest go to
 * fnmatch(3). '*' matches dots too, as fnmatch without FNM_PATHNAME. */
struct name_glob {
	const char *glob, *lit;
	size_t litlen;
	enum { G_EXACT, G_SUFFIX, G_FNMATCH } kind;
};

static void
glob_init(struct name_glob *g, const char *glob)
{
	g->glob = glob;
	g->lit = glob[0] == '*' ? glob + 1 : glob;
	g->litlen = strlen(g->lit);
	g->kind = strpbrk(g->lit, "*?[\\") ? G_FNMATCH : g->lit == glob ? G_EXACT : G_SUFFIX;
}

static int
glob_match(const struct name_glob *g, const char *name, size_t nlen)
{
	switch (g->kind) {
	case G_EXACT:
		return nlen == g->litlen && strcasecmp(name, g->lit) == 0;
	case G_SUFFIX:
		return nlen >= g->litlen && strcasecmp(name + nlen - g->litlen, g->lit) == 0;
	default:
		return fnmatch(g->glob, name, FNM_CASEFOLD) == 0;
	}
}

size_t
dns_cache_names(const struct dns_cache *c, int family, const uint8_t *addr, uint64_t now_ns,
                const char **names, uint16_t *lens, size_t max)
{
	const struct dns_entry *e;
	size_t n = 0;

	if ((family != 4 && family != 6) || !maybe_known(c, family, addr))
		return 0;
	for (e = *bucket_of(c, family, addr); e && n < max; e = e->next)
		if (same_addr(e, family, addr) && now_ns < e->expires) {
			names[n] = e->name;
			lens[n++] = e->nlen;
		}
	return n;
}

int
dns_name_match(const char *glob, const char *name, size_t nlen)
{
	struct name_glob g;

	glob_init(&g, glob);
	return glob_match(&g, name, nlen);
}

int
dns_cache_match(const struct dns_cache *c, int family, const uint8_t *addr,
                const char *glob, uint64_t now_ns)
{
	const struct dns_entry *e;
	struct name_glob g;

	if ((family != 4 && family != 6) || !maybe_known(c, family, addr))
		return 0;
	glob_init(&g, glob);
	for (e = *bucket_of(c, family, addr); e; e = e->next)
		if (same_addr(e, family, addr) && now_ns < e->expires && glob_match(&g, e->name, e->nlen))
			return 1;
	return 0;
}

const char *
dns_cache_name(const struct dns_cache *c, int family, const uint8_t *addr)
{
	const struct dns_entry *e, *best = NULL;

	if ((family != 4 && family != 6) || !maybe_known(c, family, addr))
		return NULL;
	/* The latest asked-for name; a CNAME target only when no question
	 * name is left for the address. Chains are newest first (learning
	 * puts an entry at the front), so the first asked-for name is it. */
	for (e = *bucket_of(c, family, addr); e; e = e->next) {
		if (!same_addr(e, family, addr))
			continue;
		if (e->asked)
			return e->name;
		if (!best)
			best = e;
	}
	return best ? best->name : NULL;
}
