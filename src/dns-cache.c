/* dns-cache.c — the (name, address) pairs of passive DNS, with expiry.
 *
 * Both questions the engine asks start from an address: "does a name
 * matching GLOB own it?" once per new flow and peer, "what is it called?"
 * once per record; and a CDN address carries many names, all refreshed
 * again and again. So the cache is keyed by address:
 *
 *   - an open-addressed table of addresses (linear probing, at most half
 *     full, SipHash-1-3 with a random key so traffic cannot pile addresses
 *     into one run), hashed once per call; a slot holds the address, so a
 *     lookup reads one slot, and a pointer to
 *   - that address's names in one small array, newest first (learning
 *     moves a name to the front, so naming an address stops at its first
 *     asked-for name), with what lookups need (expiry, name, length,
 *     suffix bits), and after them the names' fingerprints, which learning
 *     scans: a lookup or a refresh reads one array, not a chain of
 *     scattered entries;
 *   - entries (one per pair, in one pool, index-linked) carry what
 *     eviction needs.
 *
 * When the table is full, an expired entry (kept for naming only) goes
 * first, the oldest-expiring one: a min-heap on expiry finds it. When none
 * has expired, the least recently learned goes (a min-heap on a learning
 * sequence number, i.e. learning order), not the soonest-expiring: that
 * would be the answer just learned with a short TTL, about to be used by
 * the connection it was asked for, dropped by its own siblings in the same
 * message. Both heaps are lazy: a refresh only raises the entry's expiry
 * and sequence number, which can only grow, so a heap key is at most the
 * entry's true one; eviction brings a stale root up to date and sifts it
 * down until the root is true. A refresh costs no sift, and what eviction
 * picks is exactly what eager heaps would.
 *
 * Per address at most DNS_NAMES_PER_ADDR names are kept (a CDN address
 * serves thousands), which bounds the glob matches one lookup makes; the
 * same rule picks which of them goes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns-int.h"
#include "hash.h"

#define NS_PER_SEC 1000000000ULL

/* One name of an address, in its record's array. */
struct dns_name {
	uint64_t expires;           /* valid for policy before this */
	uint64_t seen;              /* last learned */
	const char *name;           /* the entry's, NUL-terminated */
	uint32_t ent : 31;          /* index in the entry pool (at most 2^26) */
	uint32_t asked : 1;         /* name was a question, not only a CNAME target */
	uint16_t nlen;              /* strlen(name): names are at most 253 */
	uint32_t sfx;               /* dns_suffix_bits: most globs stop here */
};

/* An address: a slot of the table itself, so a lookup reads one slot. */
struct dns_addr {
	struct dns_name *names;     /* newest first, then name_fps(); NULL: empty slot */
	uint32_t h;                 /* low 32 bits of the address hash */
	uint8_t n, cap;
	uint8_t family;
	uint8_t addr[16];
};

/* After an address's names, in the same allocation, their fingerprints in
 * the same order: learning looks for a name by scanning these (a line or
 * two), not the names (a line for every two). */
static uint16_t *
name_fps(const struct dns_addr *a)
{
	return (uint16_t *)(void *)(a->names + a->cap);
}

static size_t
names_bytes(size_t cap)
{
	return cap * (sizeof(struct dns_name) + sizeof(uint16_t));
}

/* Names and fingerprints move together: slot 0 opened by moving the first
 * k up one; slot k closed by moving the rest down one. */
static void
names_open_front(struct dns_addr *a, unsigned k)
{
	memmove(&a->names[1], &a->names[0], k * sizeof(a->names[0]));
	memmove(&name_fps(a)[1], &name_fps(a)[0], k * sizeof(uint16_t));
}

static void
names_close(struct dns_addr *a, unsigned k)
{
	memmove(&a->names[k], &a->names[k + 1], (size_t)(a->n - k - 1) * sizeof(a->names[0]));
	memmove(&name_fps(a)[k], &name_fps(a)[k + 1], (size_t)(a->n - k - 1) * sizeof(uint16_t));
}

enum { H_EXP, H_SEQ };

struct dns_entry {
	char *name;                 /* NULL when free */
	uint64_t expires;           /* true values; heap keys may lag */
	uint64_t seq;
	uint32_t pos[2];            /* in each heap; pos[0] links the free list */
	uint8_t family;
	uint8_t addr[16];
};

struct hnode {
	uint64_t key;
	uint32_t ent;
};

/* A presence filter over addresses: most addresses a record or a profile
 * asks about were never in an answer, and one bit says so without hashing
 * into the table. Bits are set, never cleared (an evicted address costs a
 * full lookup, no wrong answer); not keyed: forcing bits on costs lookups.
 * Small enough (8 KiB) to stay in cache: a 128 KiB one missed the cache on
 * most lookups (bench/run.sh capture), costing more than it saved. */
#define FILTER_BITS 16

struct dns_cache {
	uint64_t filter[(1u << FILTER_BITS) / 64];
	struct dns_addr *slot;      /* open addressing, at most half full */
	uint32_t mask;
	uint32_t max_mask;          /* the table grows up to this */
	uint32_t naddr;             /* addresses in it */
	struct dns_entry *ent;
	struct hnode *heap[2];
	uint32_t free_ent;          /* free list of entries */
	uint32_t used_ent;          /* never used past this */
	uint64_t seq;
	size_t max;
	uint8_t key[16];
	struct dns_stats st;
};

#define NIL UINT32_MAX

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

static uint32_t
addr_hash(const struct dns_cache *c, int family, const uint8_t *addr)
{
	uint8_t k[17] = { 0 };

	k[0] = (uint8_t)family;
	memcpy(k + 1, addr, addr_len(family));
	return (uint32_t)siphash13(k, sizeof(k), c->key);
}

/* The table slot holding the address, or the empty slot ending its run. */
static uint32_t
addr_find(const struct dns_cache *c, uint32_t h, int family, const uint8_t *addr)
{
	uint32_t i = h & c->mask;
	const struct dns_addr *s;

	for (;; i = (i + 1) & c->mask) {
		s = &c->slot[i];
		if (!s->names || (s->h == h && s->family == family &&
		                  memcmp(s->addr, addr, addr_len(family)) == 0))
			return i;
	}
}

static const struct dns_addr *
addr_lookup(const struct dns_cache *c, int family, const uint8_t *addr)
{
	uint32_t i;

	if ((family != 4 && family != 6) || !maybe_known(c, family, addr))
		return NULL;
	i = addr_find(c, addr_hash(c, family, addr), family, addr);
	return c->slot[i].names ? &c->slot[i] : NULL;
}

/* Remove table slot i (backward shift: no tombstones, runs stay short). */
static void
slot_remove(struct dns_cache *c, uint32_t i)
{
	uint32_t j = i, home;

	for (;;) {
		j = (j + 1) & c->mask;
		if (!c->slot[j].names)
			break;
		home = c->slot[j].h & c->mask;
		/* j may move to i unless its home lies cyclically in (i, j] */
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->slot[i] = c->slot[j];
			i = j;
		}
	}
	c->slot[i].names = NULL;
	c->naddr--;
}

/* Double the table. It starts small and grows as addresses come, at most
 * half full: a node that sees a few thousand addresses keeps its table in
 * cache (sized for the cap up front, it was 4 MiB of scattered slots).
 * -1 when memory is short (the table stays as it is). */
static int
grow_table(struct dns_cache *c)
{
	uint32_t nmask = 2 * c->mask + 1, i, j;
	struct dns_addr *ns = calloc((size_t)nmask + 1, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 0; i <= c->mask; i++) {
		if (!c->slot[i].names)
			continue;
		for (j = c->slot[i].h & nmask; ns[j].names; j = (j + 1) & nmask)
			;
		ns[j] = c->slot[i];
	}
	free(c->slot);
	c->slot = ns;
	c->mask = nmask;
	return 0;
}

static uint16_t
name_fp(const char *s, size_t n)
{
	uint32_t x = 2166136261u;   /* FNV-1a: a filter before memcmp, not a key */
	size_t i;

	for (i = 0; i < n; i++)
		x = (x ^ (uint8_t)s[i]) * 16777619u;
	return (uint16_t)(x ^ x >> 16);
}

/* ---- lazy heaps --------------------------------------------------------- */

static void
heap_set(struct dns_cache *c, int w, size_t i, struct hnode n)
{
	c->heap[w][i] = n;
	c->ent[n.ent].pos[w] = (uint32_t)i;
}

static void
heap_up(struct dns_cache *c, int w, size_t i)
{
	struct hnode *v = c->heap[w], n = v[i];

	while (i > 0 && v[(i - 1) / 2].key > n.key) {
		heap_set(c, w, i, v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(c, w, i, n);
}

static void
heap_down(struct dns_cache *c, int w, size_t i)
{
	struct hnode *v = c->heap[w], n = v[i];
	size_t cnt = c->st.entries, l;

	while ((l = 2 * i + 1) < cnt) {
		if (l + 1 < cnt && v[l + 1].key < v[l].key)
			l++;
		if (v[l].key >= n.key)
			break;
		heap_set(c, w, i, v[l]);
		i = l;
	}
	heap_set(c, w, i, n);
}

static uint64_t
true_key(const struct dns_cache *c, int w, uint32_t e)
{
	return w == H_EXP ? c->ent[e].expires : c->ent[e].seq;
}

/* Bring stale roots up to date until the root is true: then it is the
 * true minimum (every key is at most its entry's, all at least the root).
 * With limit, stop as soon as the root's key is above it (nothing at or
 * below limit, stale or not). */
static uint32_t
heap_min(struct dns_cache *c, int w, uint64_t limit)
{
	struct hnode *v = c->heap[w];
	uint64_t k;

	while (v[0].key <= limit && (k = true_key(c, w, v[0].ent)) != v[0].key) {
		v[0].key = k;
		heap_down(c, w, 0);
	}
	return v[0].ent;
}

/* Take entry e out of heap w; c->st.entries is already one less. */
static void
heap_remove(struct dns_cache *c, int w, uint32_t e)
{
	size_t i = c->ent[e].pos[w], last = c->st.entries;

	if (i != last) {
		struct hnode moved = c->heap[w][last];

		heap_set(c, w, i, moved);
		heap_down(c, w, i);
		heap_up(c, w, c->ent[moved.ent].pos[w]);
	}
}

/* ---- entries ------------------------------------------------------------ */

/* Which of a and b to drop first at now: an expired one, the
 * oldest-expiring of them; else the least recently learned. */
static int
drop_before(const struct dns_name *a, const struct dns_name *b, uint64_t now)
{
	int ax = a->expires <= now, bx = b->expires <= now;

	if (ax != bx)
		return ax;
	if (ax || a->seen == b->seen)
		return a->expires < b->expires;
	return a->seen < b->seen;
}

static void
entry_drop(struct dns_cache *c, uint32_t e)
{
	struct dns_entry *en = &c->ent[e];
	uint32_t si = addr_find(c, addr_hash(c, en->family, en->addr), en->family, en->addr);
	struct dns_addr *a = &c->slot[si];
	unsigned k;

	for (k = 0; a->names[k].ent != e; k++)
		;
	names_close(a, k);
	if (--a->n == 0) {
		free(a->names);
		slot_remove(c, si);
	}
	c->st.entries--;
	heap_remove(c, H_EXP, e);
	heap_remove(c, H_SEQ, e);
	free(en->name);
	en->name = NULL;
	en->pos[0] = c->free_ent;
	c->free_ent = e;
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
	/* at most half full: probe runs stay short */
	while (nb < 2 * max_entries)
		nb <<= 1;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	c->max = max_entries;
	c->max_mask = (uint32_t)(nb - 1);
	c->mask = (uint32_t)((nb < 1024 ? nb : 1024) - 1);
	c->slot = calloc((size_t)c->mask + 1, sizeof(*c->slot));
	c->ent = calloc(max_entries, sizeof(*c->ent));
	c->heap[H_EXP] = calloc(max_entries, sizeof(struct hnode));
	c->heap[H_SEQ] = calloc(max_entries, sizeof(struct hnode));
	if (!c->slot || !c->ent || !c->heap[H_EXP] || !c->heap[H_SEQ] ||
	    hash_random_key(c->key) < 0) {
		dns_cache_free(c);
		return NULL;
	}
	/* The pools are touched as they fill, not here. */
	c->free_ent = NIL;
	return c;
}

void
dns_cache_free(struct dns_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->used_ent; i++)
		free(c->ent[i].name);
	for (i = 0; c->slot && i <= c->mask; i++)
		free(c->slot[i].names);
	free(c->heap[H_EXP]);
	free(c->heap[H_SEQ]);
	free(c->ent);
	free(c->slot);
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
	struct dns_addr *ad = NULL;
	struct dns_name *nm, tmp;
	struct dns_entry *en;
	uint32_t ttl = a->ttl, h, si, e;
	uint64_t expires;
	size_t nlen;
	uint16_t fp;
	unsigned k;
	char *name;

	if (a->family != 4 && a->family != 6) {
		errno = EINVAL;
		return -1;
	}
	/* Room for one more address, at most half full (three quarters if
	 * the table could not grow: never full, a probe must end). */
	if (2 * (c->naddr + 1) > c->mask + 1 &&
	    (c->mask >= c->max_mask || grow_table(c) < 0) &&
	    4 * (uint64_t)(c->naddr + 1) > 3 * ((uint64_t)c->mask + 1)) {
		errno = ENOMEM;
		return -1;
	}
	if (ttl < DNS_TTL_MIN)
		ttl = DNS_TTL_MIN;
	if (ttl > DNS_TTL_MAX)
		ttl = DNS_TTL_MAX;
	expires = now + ttl * NS_PER_SEC;
	nlen = strlen(a->name);
	fp = name_fp(a->name, nlen);
	h = addr_hash(c, a->family, a->addr);
	si = addr_find(c, h, a->family, a->addr);
	if (c->slot[si].names) {
		uint16_t *fps;
		ad = &c->slot[si];
		fps = name_fps(ad);
		for (k = 0; k < ad->n; k++) {
			if (fps[k] != fp)
				continue;
			nm = &ad->names[k];
			if (nm->nlen != nlen || memcmp(nm->name, a->name, nlen) != 0)
				continue;
			en = &c->ent[nm->ent];
			/* A shorter TTL now does not shorten what the client
			 * may still hold from the earlier answer. */
			if (expires > nm->expires)
				nm->expires = en->expires = expires;
			nm->seen = now;
			nm->asked |= asked(a) & 1u;
			en->seq = ++c->seq;
			/* To the front: newest first. */
			tmp = *nm;
			names_open_front(ad, k);
			ad->names[0] = tmp;
			fps[0] = fp;
			c->st.learned++;
			return 0;
		}
	}
	if (ad && ad->n >= DNS_NAMES_PER_ADDR) {
		const struct dns_name *victim = &ad->names[0];

		for (k = 1; k < ad->n; k++)
			if (drop_before(&ad->names[k], victim, now))
				victim = &ad->names[k];
		entry_drop(c, victim->ent);
	} else if (c->st.entries == c->max) {
		e = heap_min(c, H_EXP, now);
		if (c->heap[H_EXP][0].key > now)
			e = heap_min(c, H_SEQ, UINT64_MAX);
		entry_drop(c, e);
		/* That may have been this address's last name, and the
		 * table may have shifted. */
		si = addr_find(c, h, a->family, a->addr);
		ad = c->slot[si].names ? &c->slot[si] : NULL;
	}
	if (!(name = malloc(nlen + 1)))
		return -1;
	memcpy(name, a->name, nlen + 1);
	if (!ad) {
		struct dns_name *names = malloc(names_bytes(2));

		if (!names) {
			free(name);
			return -1;
		}
		ad = &c->slot[si];
		ad->names = names;
		c->naddr++;
		ad->h = h;
		ad->n = 0;
		ad->cap = 2;
		ad->family = (uint8_t)a->family;
		memset(ad->addr, 0, sizeof(ad->addr));
		memcpy(ad->addr, a->addr, addr_len(a->family));
		{
			uint32_t bit = filter_bit(a->family, a->addr);
			c->filter[bit / 64] |= 1ULL << (bit % 64);
		}
	} else if (ad->n == ad->cap) {
		struct dns_name *names = realloc(ad->names, names_bytes(2 * (size_t)ad->cap));

		if (!names) {
			free(name);
			return -1;
		}
		/* The fingerprints follow the names: to their new place. */
		memmove(names + 2 * ad->cap, names + ad->cap, ad->n * sizeof(uint16_t));
		ad->names = names;
		ad->cap *= 2;
	}
	if ((e = c->free_ent) != NIL)
		c->free_ent = c->ent[e].pos[0];
	else
		e = c->used_ent++;
	en = &c->ent[e];
	en->name = name;
	en->expires = expires;
	en->seq = ++c->seq;
	en->family = (uint8_t)a->family;
	memcpy(en->addr, a->addr, addr_len(a->family));
	names_open_front(ad, ad->n);
	name_fps(ad)[0] = fp;
	ad->n++;
	nm = &ad->names[0];
	nm->expires = expires;
	nm->seen = now;
	nm->name = name;
	nm->ent = e;
	nm->nlen = (uint16_t)nlen;
	nm->sfx = dns_suffix_bits(name, nlen);
	nm->asked = asked(a) & 1u;
	c->heap[H_EXP][c->st.entries] = (struct hnode){ expires, e };
	c->heap[H_SEQ][c->st.entries] = (struct hnode){ en->seq, e };
	en->pos[H_EXP] = en->pos[H_SEQ] = (uint32_t)c->st.entries;
	c->st.entries++;
	heap_up(c, H_EXP, en->pos[H_EXP]);
	heap_up(c, H_SEQ, en->pos[H_SEQ]);
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


size_t
dns_cache_names(const struct dns_cache *c, int family, const uint8_t *addr, uint64_t now_ns,
                const char **names, uint16_t *lens, uint32_t *sfx, size_t max)
{
	const struct dns_addr *a = addr_lookup(c, family, addr);
	size_t n = 0;
	unsigned k;

	for (k = 0; a && k < a->n && n < max; k++)
		if (now_ns < a->names[k].expires) {
			if (sfx)
				sfx[n] = a->names[k].sfx;
			names[n] = a->names[k].name;
			lens[n++] = a->names[k].nlen;
		}
	return n;
}

int
dns_cache_match(const struct dns_cache *c, int family, const uint8_t *addr,
                const char *glob, uint64_t now_ns)
{
	const struct dns_addr *a = addr_lookup(c, family, addr);
	struct dns_glob g;
	unsigned k;

	if (!a)
		return 0;
	dns_glob_init(&g, glob);
	for (k = 0; k < a->n; k++)
		if (now_ns < a->names[k].expires && (g.need & ~a->names[k].sfx) == 0 &&
		    dns_glob_match(&g, a->names[k].name, a->names[k].nlen))
			return 1;
	return 0;
}

const char *
dns_cache_name(const struct dns_cache *c, int family, const uint8_t *addr)
{
	const struct dns_addr *a = addr_lookup(c, family, addr);
	unsigned k;

	if (!a)
		return NULL;
	/* The latest asked-for name; a CNAME target only when no question
	 * name is left for the address. Names are newest first, so the
	 * first asked-for one is it. */
	for (k = 0; k < a->n; k++)
		if (a->names[k].asked)
			return a->names[k].name;
	return a->names[0].name;
}
