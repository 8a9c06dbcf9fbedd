/* profile-eval.c — judging flows against profiles (DESIGN.md "Profiles",
 * cnetmon.profile(5)).
 *
 * A connection from A (initiator) to B is allowed when A's profile allows
 * it as egress and B's profile allows it as ingress; within one direction
 * the first matching rule decides, then `default` (deny when omitted). A
 * side that is no container, or a container no profile selects, does not
 * take part (unless --strict, where an unprofiled container denies).
 *
 * The set is compiled once: rules split by direction so a judgement only
 * walks its own direction's list, `profile NAME` peers resolved to
 * indices, identical peer lists shared by every rule that names them,
 * "file:line" formatted when first needed. A container's profile is cached in
 * the container, tagged with the evaluator's generation (a new one when
 * the inventory changes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "attrib.h"
#include "dns.h"
#include "hash.h"
#include "inventory.h"
#include "nat.h"
#include "output.h"
#include "profile.h"
#include "strbuf.h"

/* A profile's rules of one direction, compiled into one block read front
 * to back: with a thousand profiles none is in cache when a flow needs it,
 * so a judgement must not chase pointers. rhot[] first (most rules are
 * passed over on protocol, port range or the kind of peer they need), then
 * the port ranges of the rules that are looked at.
 *
 * Peers are not in the block: every distinct peer list of the set is kept
 * once, in one array, and rules point into it. Real sets repeat their
 * peers (the cluster resolver, the metadata address, `world`, the other
 * tier's label) in every profile; shared, those stay in cache, and a
 * profile's block is its rules and ports only. */
enum { NEED_CONTAINER = 1, NEED_DNS = 2 };
/* Also in rhot.need: every peer is a CIDR, checked inline (most rules a
 * flow is held against: the metadata denial every profile carries). */
#define ALL_CIDR 4

struct rhot {
	uint8_t proto, allow;
	uint8_t need;             /* NEED_*: every peer needs the peer end to be one */
	uint8_t shadowed;         /* an earlier rule matches whatever it would: never decides */
	uint16_t npeers, nports;
	uint32_t peer0;           /* first of its peers in profile_eval.peers */
	uint32_t port0;           /* first of its port ranges in the block */
};
_Static_assert(sizeof(struct rhot) == 16, "four rule records to a cache line");

struct cpeer {
	uint8_t kind, family, prefixlen;
	uint8_t literal;          /* PEER_LABEL: the value pattern has no wildcard */
	int32_t prof;             /* PEER_PROFILE: the profile's index, -1 none */
	union {
		struct {              /* PEER_CIDR: the prefix and its mask, as 64-bit words */
			uint64_t addr[2], mask[2];
		} net;
		struct dns_glob dns;  /* PEER_DNS, classified once */
		struct {
			uint32_t kh, vh;  /* PEER_LABEL: inv_label_hash of key, of a literal value */
		} label;
	} u;
	const char *pattern;      /* into the evaluator's arena */
	const char *key;
};

/* Up to 64 rules a direction (nearly every profile), the rules that can
 * match a flow are found without looking at the others: the port space cut
 * where any rule's ranges start or end, a bit per rule for each segment
 * (rules without ports in all), a bit per rule for each protocol class;
 * the flow's candidates are one AND, walked in file order. */
#define SEG_MAX_RULES 64
enum { PC_TCP, PC_UDP, PC_SCTP, PC_ICMP, PC_ICMPV6, PC_OTHER, PC_MAX };

struct cdir {                     /* the head of the block; the rest follows in this order */
	uint64_t portless;        /* rules without ports (a port-less flow's only ones) */
	uint64_t proto_rules[PC_MAX];
	/* Rules whose every peer needs the peer end to be a container, to
	 * have a name passive DNS knows: turned down as a set, unread. */
	uint64_t need_ctr, need_dns;
	uint32_t n, nports, nseg;
	uint32_t id0;             /* rule i's id (pe->rule_of, pe->loc) is id0 + i */
	/* The candidate index, when n <= SEG_MAX_RULES (else: NULL, scan). */
	uint64_t *seg_rules;      /* rules whose ports cover the segment, or have none */
	uint16_t *seg_start;      /* ascending, seg_start[0] = 0 */
	struct rhot *hot;
	struct port_range *ports;
};

struct cprofile {
	struct cdir *dir[2];      /* [0] ingress, [1] egress: file order */
	uint32_t size[2];         /* bytes of dir[] */
};


struct profile_eval {
	const struct profile_set *set;
	struct profile_selindex *selix; /* which profiles a container may be selected by */
	int uses_dns;                   /* some rule has a dns peer */
	const struct attrib *attrib;
	const struct dns_cache *dns;
	int strict;
	struct cprofile *prof;
	const struct rule **rule_of;    /* by rule id */
	char **loc;                     /* "file:line" by rule id, made when first asked */
	size_t nrules;
	uint32_t gen;                   /* containers' eval_gen for this evaluator's answers */
	struct cpeer *peers;            /* every distinct peer list, one after another */
	size_t npeers, peers_cap;
	struct arena *arena;            /* the peers' strings */
	/* While compiling: the distinct lists, open addressing on their
	 * contents (keys in their own arena). */
	struct peer_list *lists;
	size_t nlists, lists_mask;
	struct arena *keys;
};

/* A distinct peer list: its contents as bytes (peer_list_key), where its
 * peers start in profile_eval.peers. */
struct peer_list {
	const uint8_t *key;             /* NULL: empty slot */
	size_t len;
	uint64_t h;
	uint32_t peer0;
};

/* Generations of evaluators (and of their inventories): a container keeps
 * the last answer with its generation, so a new evaluator, or the same
 * after the inventory changed, asks again. 0 is never used. */
static uint32_t next_gen;

/* Atomic: `read` compiles its profiles on a thread of its own. */
static uint32_t
new_gen(void)
{
	uint32_t g;

	while ((g = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED)) == 0)
		;
	return g;
}

static int
proto_class(int proto)
{
	switch (proto) {
	case PROTO_TCP:    return PC_TCP;
	case PROTO_UDP:    return PC_UDP;
	case PROTO_SCTP:   return PC_SCTP;
	case PROTO_ICMP:   return PC_ICMP;
	case PROTO_ICMPV6: return PC_ICMPV6;
	default:           return PC_OTHER;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Where the port space is cut for a direction's rules: 0 and every
 * range's start and end + 1, sorted, unique. Returns the count (into a
 * malloc'd *cutp), -1 on allocation failure. */
static long
port_cuts(const struct profile *p, int egress, uint32_t **cutp)
{
	size_t j, k, n = 1, m;
	uint32_t *cut;

	for (j = 0; j < p->nrules; j++)
		if (!!p->rules[j].egress == egress)
			n += 2 * p->rules[j].nports;
	if (!(cut = malloc(sizeof(*cut) * n)))
		return -1;
	n = 0;
	cut[n++] = 0;
	for (j = 0; j < p->nrules; j++) {
		const struct rule *r = &p->rules[j];
		if (!!r->egress != egress)
			continue;
		for (k = 0; k < r->nports; k++) {
			cut[n++] = r->ports[k].lo;
			if (r->ports[k].hi < 65535)
				cut[n++] = (uint32_t)r->ports[k].hi + 1;
		}
	}
	if (n <= 64) {
		/* A profile's handful of cuts: insertion sort, not qsort's
		 * allocation and calls (2,000 directions in the bench). */
		for (j = 1; j < n; j++) {
			uint32_t v = cut[j];
			for (k = j; k > 0 && cut[k - 1] > v; k--)
				cut[k] = cut[k - 1];
			cut[k] = v;
		}
	} else {
		qsort(cut, n, sizeof(*cut), cmp_u32);
	}
	for (j = m = 0; j < n; j++)
		if (!m || cut[m - 1] != cut[j])
			cut[m++] = cut[j];
	*cutp = cut;
	return (long)m;
}

/* Does rule j match every flow rule i matches (so i, after it, never
 * decides)? The same peers (peer lists are shared: the same list), any
 * protocol or i's, and no ports or exactly i's. Sets repeat rules (the
 * bench's profiles carry the metadata denial three times); each copy
 * would be tried again for every flow. */
static int
covers(const struct cdir *cd, const struct rhot *j, const struct rhot *i)
{
	if (j->peer0 != i->peer0 || j->npeers != i->npeers)
		return 0;
	if (j->proto != PROTO_ANY && j->proto != i->proto)
		return 0;
	if (!j->nports)
		return 1;
	return j->nports == i->nports &&
	       !memcmp(&cd->ports[j->port0], &cd->ports[i->port0], i->nports * sizeof(cd->ports[0]));
}

#define COVER_MAX_RULES 1024    /* pairs of pairs: only an optimisation past this */

/* The earliest rule of cd that covers rule i (itself not covered), or -1. */
static long
covered_by(const struct cdir *cd, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!cd->hot[j].shadowed && covers(cd, &cd->hot[j], &cd->hot[i]))
			return (long)j;
	return -1;
}

static void
mark_shadowed(struct cdir *cd)
{
	size_t i;

	if (cd->n > COVER_MAX_RULES)
		return;
	for (i = 1; i < cd->n; i++)
		cd->hot[i].shadowed = covered_by(cd, i) >= 0;
}

/* The candidate index of a compiled direction (see struct cdir). */
static void
index_dir(struct cdir *cd)
{
	size_t i, k, r;
	int c;

	for (i = 0; i < cd->n; i++) {
		const struct rhot *h = &cd->hot[i];
		uint64_t bit = 1ULL << i;
		if (h->shadowed)
			continue;
		if (h->need & NEED_CONTAINER)
			cd->need_ctr |= bit;
		if (h->need & NEED_DNS)
			cd->need_dns |= bit;
		if (!h->nports)
			cd->portless |= bit;
		for (c = 0; c < PC_MAX; c++)
			if (h->proto == PROTO_ANY || proto_class(h->proto) == c)
				cd->proto_rules[c] |= bit;
		for (k = 0; k < cd->nseg; k++) {
			uint16_t at = cd->seg_start[k];
			int in = !h->nports;
			for (r = 0; r < h->nports && !in; r++)
				in = at >= cd->ports[h->port0 + r].lo && at <= cd->ports[h->port0 + r].hi;
			if (in)
				cd->seg_rules[k] |= bit;
		}
	}
}

static int
cmp_prof_name(const void *a, const void *b)
{
	const struct profile *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* A CIDR peer as two masked 64-bit words (bytes in wire order, compared
 * the same way an address is loaded in addr_words). */
static void
cidr_compile(struct cpeer *cp, const uint8_t addr[16])
{
	uint8_t m[16], a[16];
	unsigned i;

	inv_prefix_mask(cp->prefixlen, m);
	for (i = 0; i < 16; i++)
		a[i] = addr[i] & m[i];
	memcpy(cp->u.net.addr, a, 16);
	memcpy(cp->u.net.mask, m, 16);
}

/* A rule's peers as bytes, equal for equal lists: kind, family, prefix
 * length, address, resolved profile, then key and pattern with their
 * lengths. */
static void
peer_list_key(struct strbuf *b, const struct rule *r, const int32_t *prof)
{
	size_t k;

	strbuf_reset(b);
	for (k = 0; k < r->npeers; k++) {
		const struct peer *pr = &r->peers[k];
		uint8_t head[3] = { (uint8_t)pr->kind, pr->family, pr->prefixlen };
		uint32_t len[2] = { pr->key ? (uint32_t)strlen(pr->key) + 1 : 0,
		                    pr->pattern ? (uint32_t)strlen(pr->pattern) + 1 : 0 };

		strbuf_add(b, head, sizeof(head));
		strbuf_add(b, pr->kind == PEER_CIDR ? pr->addr : (const uint8_t[16]){ 0 }, 16);
		strbuf_add(b, &prof[k], sizeof(prof[k]));
		strbuf_add(b, len, sizeof(len));
		if (pr->key)
			strbuf_add(b, pr->key, len[0]);
		if (pr->pattern)
			strbuf_add(b, pr->pattern, len[1]);
	}
}

static int
lists_grow(struct profile_eval *pe)
{
	size_t cap = pe->lists_mask ? 2 * (pe->lists_mask + 1) : 1024, i, j;
	struct peer_list *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; pe->lists && i <= pe->lists_mask; i++) {
		if (!pe->lists[i].key)
			continue;
		for (j = pe->lists[i].h & (cap - 1); t[j].key; j = (j + 1) & (cap - 1))
			;
		t[j] = pe->lists[i];
	}
	free(pe->lists);
	pe->lists = t;
	pe->lists_mask = cap - 1;
	return 0;
}

/* One peer compiled; its strings copied into the arena. */
static int
peer_compile(struct profile_eval *pe, struct cpeer *cp, const struct peer *pr, int32_t prof)
{
	cp->kind = (uint8_t)pr->kind;
	cp->family = pr->family;
	cp->prefixlen = pr->prefixlen;
	cp->prof = prof;
	if (pr->kind == PEER_CIDR)
		cidr_compile(cp, pr->addr);
	if (pr->pattern && !(cp->pattern = arena_strdup(pe->arena, pr->pattern)))
		return -1;
	if (pr->key && !(cp->key = arena_strdup(pe->arena, pr->key)))
		return -1;
	if (pr->kind == PEER_DNS)
		dns_glob_init(&cp->u.dns, cp->pattern);
	if (pr->kind == PEER_LABEL && pr->key && pr->pattern) {
		cp->literal = (uint8_t)profile_glob_is_literal(pr->pattern);
		cp->u.label.kh = inv_label_hash(pr->key);
		cp->u.label.vh = inv_label_hash(pr->pattern);
	}
	return 0;
}

/* Where rule r's peers are in pe->peers: the list already there when an
 * earlier rule named the same peers, else appended. -1 out of memory. */
static long
intern_peers(struct profile_eval *pe, const struct rule *r, const struct profile **byname,
             struct strbuf *b)
{
	static const uint8_t hkey[16] = "cnetmon peers";
	int32_t prof[r->npeers ? r->npeers : 1];
	struct peer_list *l;
	uint8_t *key;
	uint64_t h;
	size_t k, i;

	for (k = 0; k < r->npeers; k++) {
		const struct peer *pr = &r->peers[k];
		prof[k] = -1;
		if (pr->kind == PEER_PROFILE) {
			struct profile want = { .name = pr->pattern }, *kp = &want;
			const struct profile **hit = bsearch(&kp, byname, pe->set->n,
			                                     sizeof(*byname), cmp_prof_name);
			prof[k] = hit ? (int32_t)(*hit - pe->set->p) : -1;
		}
	}
	peer_list_key(b, r, prof);
	if (b->oom)
		return -1;
	h = siphash13(b->p, b->len, hkey);
	if (2 * (pe->nlists + 1) > (pe->lists_mask ? pe->lists_mask + 1 : 0) && lists_grow(pe) < 0)
		return -1;
	for (i = h & pe->lists_mask; pe->lists[i].key; i = (i + 1) & pe->lists_mask) {
		l = &pe->lists[i];
		if (l->h == h && l->len == b->len && !memcmp(l->key, b->p, b->len))
			return l->peer0;
	}
	if (pe->npeers + r->npeers > UINT32_MAX)
		return -1;
	if (pe->npeers + r->npeers > pe->peers_cap) {
		size_t cap = pe->peers_cap ? 2 * pe->peers_cap : 256;
		struct cpeer *np;
		while (cap < pe->npeers + r->npeers)
			cap *= 2;
		if (!(np = realloc(pe->peers, cap * sizeof(*np))))
			return -1;
		pe->peers = np;
		pe->peers_cap = cap;
	}
	memset(&pe->peers[pe->npeers], 0, r->npeers * sizeof(*pe->peers));
	for (k = 0; k < r->npeers; k++)
		if (peer_compile(pe, &pe->peers[pe->npeers + k], &r->peers[k], prof[k]) < 0)
			return -1;
	if (!(key = arena_alloc(pe->keys, b->len ? b->len : 1)))
		return -1;
	memcpy(key, b->p, b->len);
	l = &pe->lists[i];
	l->key = key;
	l->len = b->len;
	l->h = h;
	l->peer0 = (uint32_t)pe->npeers;
	pe->nlists++;
	pe->npeers += r->npeers;
	return l->peer0;
}

/* What only compiling needs. */
static void
compile_done(struct profile_eval *pe)
{
	free(pe->lists);
	arena_free(pe->keys);
	pe->lists = NULL;
	pe->keys = NULL;
	pe->nlists = pe->lists_mask = 0;
}

/* One direction of profile p into one allocation (see struct cdir). */
static int
compile_dir(struct profile_eval *pe, const struct profile *p, int egress,
            const struct profile **byname, struct cdir **cdp, uint32_t *sizep,
            uint32_t *rule_id, struct strbuf *b)
{
	size_t j, k, nr = 0, nport = 0, nseg = 0, off[5];
	uint32_t po = 0, *cut = NULL;
	struct cdir *cd;
	char *block;
	long ncut, peer0;

	for (j = 0; j < p->nrules; j++) {
		const struct rule *r = &p->rules[j];
		if (!!r->egress != egress)
			continue;
		nr++;
		nport += r->nports;
	}
	if (nr <= SEG_MAX_RULES) {
		if ((ncut = port_cuts(p, egress, &cut)) < 0)
			return -1;
		nseg = (size_t)ncut;
	}
	/* head, seg_rules, seg_start, hot, ports */
	off[0] = align8(sizeof(struct cdir));
	off[1] = off[0] + nseg * sizeof(uint64_t);
	off[2] = align8(off[1] + nseg * sizeof(uint16_t));
	off[3] = off[2] + nr * sizeof(struct rhot);
	off[4] = off[3] + nport * sizeof(struct port_range);
	if (!(block = calloc(1, off[4]))) {
		free(cut);
		return -1;
	}
	*sizep = (uint32_t)(off[4] < UINT32_MAX ? off[4] : UINT32_MAX);
	*cdp = cd = (struct cdir *)(void *)block;
	cd->seg_rules = nseg ? (uint64_t *)(void *)(block + off[0]) : NULL;
	cd->seg_start = (uint16_t *)(void *)(block + off[1]);
	cd->nseg = (uint32_t)nseg;
	for (k = 0; k < nseg; k++)
		cd->seg_start[k] = (uint16_t)cut[k];
	free(cut);
	cd->hot = (struct rhot *)(void *)(block + off[2]);
	cd->ports = (struct port_range *)(void *)(block + off[3]);
	cd->nports = (uint32_t)nport;
	cd->n = 0;
	cd->id0 = *rule_id;
	for (j = 0; j < p->nrules; j++) {
		const struct rule *r = &p->rules[j];
		struct rhot *h;
		unsigned needc = 1, needd = 1, cidrs = 1;

		if (!!r->egress != egress)
			continue;
		h = &cd->hot[cd->n++];
		h->proto = (uint8_t)r->proto;
		h->allow = (uint8_t)r->allow;
		h->nports = (uint16_t)r->nports;
		h->port0 = po;
		for (k = 0; k < r->nports; k++)
			cd->ports[po++] = r->ports[k];
		if ((peer0 = intern_peers(pe, r, byname, b)) < 0)
			return -1;
		h->npeers = (uint16_t)r->npeers;
		h->peer0 = (uint32_t)peer0;
		for (k = 0; k < r->npeers; k++) {
			enum peer_kind kind = r->peers[k].kind;
			needc &= kind == PEER_CONTAINER || kind == PEER_PROFILE || kind == PEER_LABEL;
			needd &= kind == PEER_DNS;
			cidrs &= kind == PEER_CIDR;
			if (kind == PEER_DNS)
				pe->uses_dns = 1;
		}
		h->need = (uint8_t)((r->npeers && needc ? NEED_CONTAINER : 0) |
		                    (r->npeers && needd ? NEED_DNS : 0) |
		                    (r->npeers && cidrs ? ALL_CIDR : 0));
		pe->rule_of[(*rule_id)++] = r;     /* cd->id0 + its index */
	}
	mark_shadowed(cd);
	if (cd->seg_rules)
		index_dir(cd);
	return 0;
}

struct profile_eval *
profile_eval_new(const struct profile_set *set, const struct attrib *a,
                 const struct dns_cache *dns, int strict)
{
	struct profile_eval *pe = calloc(1, sizeof(*pe));
	const struct profile **byname = NULL;
	struct strbuf key;
	uint32_t id = 0;
	size_t i, total = 0;
	int k;

	if (!pe)
		return NULL;
	if (set->n >= UINT16_MAX) {       /* judgements keep 16-bit profile numbers */
		free(pe);
		return NULL;
	}
	pe->set = set;
	pe->attrib = a;
	pe->dns = dns;
	pe->strict = strict;
	pe->gen = new_gen();
	strbuf_init(&key, 256);
	for (i = 0; i < set->n; i++)
		total += set->p[i].nrules;
	if (total >= UINT32_MAX || !(pe->selix = profile_selindex_new(set)))
		goto fail;
	pe->prof = calloc(set->n ? set->n : 1, sizeof(*pe->prof));
	pe->loc = calloc(total ? total : 1, sizeof(*pe->loc));
	pe->rule_of = calloc(total ? total : 1, sizeof(*pe->rule_of));
	byname = calloc(set->n ? set->n : 1, sizeof(*byname));
	pe->arena = arena_new();
	pe->keys = arena_new();
	if (!pe->prof || !pe->loc || !pe->rule_of || !byname || !pe->arena || !pe->keys)
		goto fail;
	for (i = 0; i < set->n; i++)
		byname[i] = &set->p[i];
	qsort(byname, set->n, sizeof(*byname), cmp_prof_name);
	for (i = 0; i < set->n; i++) {
		for (k = 0; k < 2; k++)
			if (compile_dir(pe, &set->p[i], k, byname, &pe->prof[i].dir[k],
			                &pe->prof[i].size[k], &id, &key) < 0)
				goto fail;
	}
	pe->nrules = id;
	compile_done(pe);
	free(byname);
	strbuf_free(&key);
	return pe;
fail:
	pe->nrules = id;
	free(byname);
	strbuf_free(&key);
	profile_eval_free(pe);
	return NULL;
}

void
profile_eval_free(struct profile_eval *pe)
{
	size_t i, k;

	if (!pe)
		return;
	for (i = 0; pe->prof && i < pe->set->n; i++)
		for (k = 0; k < 2; k++)
			free(pe->prof[i].dir[k]);
	profile_selindex_free(pe->selix);
	for (i = 0; i < pe->nrules; i++)
		free(pe->loc[i]);
	free(pe->loc);
	free(pe->rule_of);
	free(pe->prof);
	free(pe->peers);
	arena_free(pe->arena);
	compile_done(pe);
	free(pe);
}

void
profile_eval_bind(struct profile_eval *pe, const struct attrib *a, const struct dns_cache *dns)
{
	pe->attrib = a;
	pe->dns = dns;
	pe->gen = new_gen();
}

/* ---- container -> profile ---------------------------------------------- */

/* A container's labels as 64 bits, one for each key and one for each
 * key=value: a label peer whose bit is clear cannot match, and is passed
 * over without reading the labels (most are, with a thousand profiles).
 * A set bit proves nothing: the labels are then compared as text. */
static uint64_t
key_bit(uint32_t kh)
{
	return 1ULL << ((kh * 0x9e3779b1u) >> 26);
}

static uint64_t
pair_bit(uint32_t kh, uint32_t vh)
{
	return 1ULL << (((kh * 0x9e3779b1u) ^ (vh * 0x85ebca77u)) * 0xc2b2ae3du >> 26);
}

static uint64_t
label_filter(const struct inv_container *c)
{
	uint64_t bits = 0;
	size_t i;

	for (i = 0; i < c->nlabels; i++) {
		const struct inv_label *l = &c->labels[i];
		uint32_t kh = l->kh ? l->kh : inv_label_hash(l->key);
		uint32_t vh = l->vh ? l->vh : inv_label_hash(l->value);
		bits |= key_bit(kh) | pair_bit(kh, vh);
	}
	return bits;
}

/* The container's cached answers (profile, label filter), made again for
 * a new evaluator or a changed inventory. */
static void
container_refresh(struct profile_eval *pe, const struct inv_container *c)
{
	struct inv_container *m = (struct inv_container *)c;    /* its cache fields */

	if (c->eval_gen == pe->gen)
		return;
	/* The first profile in file order: `check` refuses a container two
	 * profiles select, but one started later is only seen here. */
	m->eval_prof = profile_selindex_first(pe->selix, c);
	m->eval_labels = label_filter(c);
	m->eval_gen = pe->gen;
}

static int
profile_index(struct profile_eval *pe, const struct inv_container *c)
{
	if (!c)
		return -1;
	container_refresh(pe, c);
	return c->eval_prof;
}

/* ---- matching ---------------------------------------------------------- */

/* The other end of the connection, as a rule of one side sees it. */
struct endpoint {
	const struct inv_container *c;
	int family;
	const uint8_t *addr;
	const uint8_t *alt;       /* the same end's address on the other side of NAT, or NULL */
	/* addr and alt as CIDR peers hold theirs (cidr_compile): loaded once. */
	uint64_t w[2], altw[2];
	int8_t dns_known;         /* names[] fetched: -1 not yet, else how many (capped) */
	int8_t host;              /* addr is this host's: -1 not yet asked */
	/* The names passive DNS gives addr and alt within their TTL, fetched
	 * once for all the dns peers of a judgement. */
	const char *names[2 * DNS_NAMES_PER_ADDR];
	uint16_t lens[2 * DNS_NAMES_PER_ADDR];
	uint32_t sfx[2 * DNS_NAMES_PER_ADDR];
};

static void
addr_words(uint64_t w[2], int family, const uint8_t *a)
{
	w[0] = w[1] = 0;
	if (family == 4)
		memcpy(w, a, 4);
	else
		memcpy(w, a, 16);
}

static inline int
in_prefix(const struct cpeer *p, const uint64_t w[2])
{
	return (((w[0] ^ p->u.net.addr[0]) & p->u.net.mask[0]) |
	        ((w[1] ^ p->u.net.addr[1]) & p->u.net.mask[1])) == 0;
}

static inline int
cidr_matches(const struct cpeer *p, const struct endpoint *ep)
{
	return p->family == ep->family &&
	       (in_prefix(p, ep->w) || (ep->alt && in_prefix(p, ep->altw)));
}
static int
is_loopback(int family, const uint8_t *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	return family == 4 ? a[0] == 127 : !memcmp(a, v6lo, 16);
}

static int
is_host(const struct profile_eval *pe, int family, const uint8_t *a)
{
	return is_loopback(family, a) || (pe->attrib && attrib_is_host(pe->attrib, family, a));
}

static int
endpoint_is_host(const struct profile_eval *pe, struct endpoint *ep)
{
	if (ep->host < 0)
		ep->host = (int8_t)is_host(pe, ep->family, ep->addr);
	return ep->host;
}

/* The names of the peer end, asked of passive DNS once per judgement
 * (most addresses were never in an answer: one filter bit says so). */
static int
dns_known(const struct profile_eval *pe, struct endpoint *ep, uint64_t now)
{
	size_t n = 0;

	if (ep->dns_known >= 0)
		return ep->dns_known;
	if (pe->dns) {
		n = dns_cache_names(pe->dns, ep->family, ep->addr, now, ep->names, ep->lens,
		                    ep->sfx, DNS_NAMES_PER_ADDR);
		if (ep->alt)
			n += dns_cache_names(pe->dns, ep->family, ep->alt, now, ep->names + n,
			                     ep->lens + n, ep->sfx + n, DNS_NAMES_PER_ADDR);
	}
	ep->dns_known = (int8_t)n;
	return ep->dns_known;
}

/* label KEY=GLOB: the container's first label of that key decides, as
 * for selectors. A literal value is turned down by hash, unread. */
static int
label_matches(struct profile_eval *pe, const struct cpeer *p, const struct inv_container *c)
{
	const struct inv_label *l;

	container_refresh(pe, c);
	if (!(c->eval_labels & (p->literal ? pair_bit(p->u.label.kh, p->u.label.vh)
	                                   : key_bit(p->u.label.kh))))
		return 0;
	if (!(l = inv_container_label_find(c, p->key, p->u.label.kh)))
		return 0;
	if (p->literal)
		return (!l->vh || l->vh == p->u.label.vh) && !strcmp(l->value, p->pattern);
	return profile_glob(p->pattern, l->value);
}

static int
peer_matches(struct profile_eval *pe, const struct cpeer *p, struct endpoint *ep, uint64_t now)
{
	int i;

	switch (p->kind) {
	case PEER_ANY:
		return 1;
	case PEER_WORLD:
		return !ep->c && !endpoint_is_host(pe, ep);
	case PEER_HOST:
		return endpoint_is_host(pe, ep);
	case PEER_CIDR:
		return cidr_matches(p, ep);
	case PEER_CONTAINER:
		return ep->c && ep->c->name && profile_glob(p->pattern, ep->c->name);
	case PEER_PROFILE:
		return ep->c && p->prof >= 0 && profile_index(pe, ep->c) == p->prof;
	case PEER_LABEL:
		return ep->c && label_matches(pe, p, ep->c);
	case PEER_DNS:
		for (i = 0; i < dns_known(pe, ep, now); i++)
			if ((p->u.dns.need & ~ep->sfx[i]) == 0 &&
			    dns_glob_match(&p->u.dns, ep->names[i], ep->lens[i]))
				return 1;
		return 0;
	}
	return 0;
}

/* Rule i of cd against the flow, the protocol and ports already known to
 * fit: its peers (and the kinds of peer end it needs). */
static inline int
rule_peers_match(struct profile_eval *pe, const struct cdir *cd, size_t i,
                 struct endpoint *peer, uint64_t now)
{
	const struct rhot *h = &cd->hot[i];
	const struct cpeer *p = &pe->peers[h->peer0];
	size_t k;

	if (h->need & ALL_CIDR) {
		for (k = 0; k < h->npeers; k++)
			if (cidr_matches(&p[k], peer))
				return 1;
		return 0;
	}
	if ((h->need & NEED_CONTAINER) && !peer->c)
		return 0;
	if ((h->need & NEED_DNS) && !dns_known(pe, peer, now))
		return 0;
	for (k = 0; k < h->npeers; k++)
		if (peer_matches(pe, &p[k], peer, now))
			return 1;
	return 0;
}

/* One side's decision: 1 allow, 0 deny; *rule_id = 1 + id or 0 (default). */
static int
decide(struct profile_eval *pe, int prof, int egress, uint8_t proto, int has_port,
       uint16_t port, struct endpoint *peer, uint64_t now, uint32_t *rule_id)
{
	const struct cdir *cd = pe->prof[prof].dir[egress];
	const struct rhot *h;
	size_t i, k;

	if (cd->seg_rules) {
		uint64_t cand = cd->proto_rules[proto_class(proto)];
		if (!has_port) {
			cand &= cd->portless;
		} else {
			size_t lo = 0, hi = cd->nseg;       /* the last start <= port */
			while (hi - lo > 1) {
				size_t mid = (lo + hi) / 2;
				if (cd->seg_start[mid] <= port)
					lo = mid;
				else
					hi = mid;
			}
			cand &= cd->seg_rules[lo];
		}
		if (!peer->c)
			cand &= ~cd->need_ctr;
		while (cand) {
			i = (size_t)__builtin_ctzll(cand);
			if (((cd->need_dns >> i) & 1) && !dns_known(pe, peer, now)) {
				cand &= ~cd->need_dns;      /* none of them can match */
				continue;
			}
			if (rule_peers_match(pe, cd, i, peer, now)) {
				*rule_id = cd->id0 + (uint32_t)i + 1;
				return cd->hot[i].allow;
			}
			cand &= cand - 1;
		}
		*rule_id = 0;
		return pe->set->p[prof].default_allow;
	}
	for (i = 0; i < cd->n; i++) {
		h = &cd->hot[i];
		if (h->shadowed || (h->proto != PROTO_ANY && h->proto != proto))
			continue;
		if (h->nports) {
			/* A port list never matches a port-less flow. */
			if (!has_port)
				continue;
			for (k = 0; k < h->nports; k++)
				if (port >= cd->ports[h->port0 + k].lo && port <= cd->ports[h->port0 + k].hi)
					break;
			if (k == h->nports)
				continue;
		}
		if (!rule_peers_match(pe, cd, i, peer, now))
			continue;
		*rule_id = cd->id0 + (uint32_t)i + 1;
		return h->allow;
	}
	*rule_id = 0;
	return pe->set->p[prof].default_allow;
}

static void
endpoint_init(struct endpoint *ep, const struct flow *f, int side)
{
	ep->c = f->ctr[side];
	ep->family = f->key.family;
	ep->addr = f->key.addr[side];
	addr_words(ep->w, ep->family, ep->addr);
	ep->alt = NULL;
	ep->dns_known = -1;
	ep->host = -1;
}

/* IPv6 neighbour discovery and multicast listener messages (RFC 4861,
 * RFC 2710/3810) are how an interface works at all, not a connection: no
 * profile judges them (NetworkPolicy implementations let them pass too). */
static int
is_link_control(const struct flow *f)
{
	if (f->key.proto != 58)
		return 0;
	switch (f->icmp_type) {
	case 130: case 131: case 132:          /* MLD query, report, done */
	case 133: case 134: case 135: case 136: /* RS, RA, NS, NA */
	case 137: case 143:                     /* redirect, MLDv2 report */
		return 1;
	default:
		return 0;
	}
}

static void
prefetch_dir(const struct cprofile *cp, int dir)
{
	const char *p = (const char *)cp->dir[dir];
	uint32_t i, n = cp->size[dir] < 2048 ? cp->size[dir] : 2048;

	/* The head, the index, the rule records and the ports (the
	 * size is kept beside the pointer: no waiting for the head). Measured
	 * against stopping after the rule records: no slower. */
	for (i = 0; i < n; i += 64)
		__builtin_prefetch(p + i);
}

int
profile_eval_uses_dns(const struct profile_eval *pe)
{
	return pe->uses_dns;
}

void
profile_eval_prefetch(struct profile_eval *pe, struct flow *f)
{
	int s = flow_src_side(f), d = flow_dst_side(f), ps, pd;

	if ((ps = profile_index(pe, f->ctr[s])) >= 0)
		prefetch_dir(&pe->prof[ps], 1);
	if ((pd = profile_index(pe, f->ctr[d])) >= 0)
		prefetch_dir(&pe->prof[pd], 0);
	/* Each end's labels, for the other end's label peers (array and text
	 * are one allocation: its first two lines). */
	for (int side = 0; side < 2; side++) {
		const struct inv_container *c = f->ctr[side];
		if (c && c->labels) {
			__builtin_prefetch(c->labels);
			__builtin_prefetch((const char *)c->labels + 64);
		}
	}
	/* The judgement will not look them up again. */
	f->judged.prof[0] = (uint16_t)(ps + 1);
	f->judged.prof[1] = (uint16_t)(pd + 1);
	f->judged.hinted = 1;
}

void
profile_eval_judge(struct profile_eval *pe, const struct flow *f, uint64_t now,
                   struct judgement *j)
{
	int s = flow_src_side(f), d = flow_dst_side(f);
	int has_port = !f->key.noports && f->key.proto != 1 && f->key.proto != 58;
	uint16_t port = f->key.port[d];
	struct endpoint src, dst;       /* set field by field: names[] stays unwritten */
	int role, allowed = 0, hint[2] = { -2, -2 };

	if (f->judged.hinted) {
		hint[0] = f->judged.prof[0] - 1;
		hint[1] = f->judged.prof[1] - 1;
	}
	memset(j, 0, sizeof(*j));
	j->judged = 1;
	endpoint_init(&src, f, s);
	endpoint_init(&dst, f, d);
	if (is_link_control(f))
		return;                 /* unprofiled: recorded, never judged */
	/* After DNAT the responder's real address is the reply's source and
	 * the address the initiator asked for the original destination; a
	 * CIDR or dns peer may name either. */
	if (f->nat) {
		src.alt = f->nat->orig.src;
		dst.alt = !memcmp(f->nat->orig.dst, dst.addr, f->key.family == 6 ? 16 : 4)
		          ? f->nat->reply.src : f->nat->orig.dst;
		addr_words(src.altw, src.family, src.alt);
		addr_words(dst.altw, dst.family, dst.alt);
		/* Ports are the responder's own, as its profile names them (a
		 * published 8080->80 is port 80 to the container behind it). */
		if (has_port && f->nat->reply.sport)
			port = f->nat->reply.sport;
	}
	for (role = 0; role < 2; role++) {
		const struct inv_container *c = role ? dst.c : src.c;
		int prof, ok;
		if (!c)
			continue;
		prof = hint[role] >= -1 ? hint[role] : profile_index(pe, c);
		if (prof < 0) {
			if (pe->strict) {
				j->denied |= (uint8_t)(1u << role);
				j->strict |= (uint8_t)(1u << role);
			}
			continue;
		}
		j->prof[role] = (uint16_t)(prof + 1);
		ok = decide(pe, prof, role == 0, f->key.proto, has_port, port,
		            role == 0 ? &dst : &src, now, &j->rule[role]);
		if (ok)
			allowed = 1;
		else
			j->denied |= (uint8_t)(1u << role);
	}
	j->verdict = j->denied ? VERDICT_DENY : allowed ? VERDICT_ALLOW : VERDICT_UNPROFILED;
}

void
profile_eval_covered(const struct profile_eval *pe, profile_covered_fn fn, void *data)
{
	size_t p, r;
	long j;

	for (p = 0; p < pe->set->n; p++) {
		const struct profile *pr = &pe->set->p[p];
		size_t at[2] = { 0, 0 };    /* a rule's place among its direction's */

		for (r = 0; r < pr->nrules; r++) {
			int d = !!pr->rules[r].egress;
			const struct cdir *cd = pe->prof[p].dir[d];
			size_t i = at[d]++;

			if (cd->hot[i].shadowed && (j = covered_by(cd, i)) >= 0)
				fn(&pr->rules[r], pe->rule_of[cd->id0 + (uint32_t)j], data);
		}
	}
}

/* "file:line" of rule id: formatted when a record first names it (most
 * of a large set never decides anything). */
static const char *
rule_loc(const struct profile_eval *pe, uint32_t id)
{
	const struct rule *r = pe->rule_of[id];
	char buf[4096];

	if (!pe->loc[id]) {
		snprintf(buf, sizeof(buf), "%s:%d", r->file ? r->file : "?", r->line);
		if (!(pe->loc[id] = strdup(buf)))
			return "?";
	}
	return pe->loc[id];
}

void
profile_eval_describe(const struct profile_eval *pe, const struct judgement *j,
                      const struct flow *f, struct record *r)
{
	int s = flow_src_side(f), d = flow_dst_side(f), role;

	for (role = 0; role < 2; role++)
		r->ctr_profile[role] = j->prof[role] ? pe->set->p[j->prof[role] - 1].name : NULL;
	r->verdict = (enum verdict)j->verdict;
	r->denied_by = j->denied == 3 ? "both" : j->denied == 1 ? "egress"
	             : j->denied == 2 ? "ingress" : NULL;
	/* The side that speaks for the record: the one that denied (egress
	 * first), else the profiled one (egress first). */
	if (j->denied)
		role = (j->denied & 1) ? 0 : 1;
	else if (j->prof[0])
		role = 0;
	else if (j->prof[1])
		role = 1;
	else
		role = f->ctr[s] ? 0 : f->ctr[d] ? 1 : -1;
	r->direction = role == 0 ? "egress" : role == 1 ? "ingress" : NULL;
	if (role < 0 || (!j->prof[role] && !(j->strict & (1u << role)))) {
		r->profile = r->rule = NULL;
		r->reason = NULL;
		return;
	}
	if (j->strict & (1u << role)) {
		r->profile = NULL;
		r->rule = NULL;
		r->reason = "unprofiled container (--strict)";
		return;
	}
	r->profile = pe->set->p[j->prof[role] - 1].name;
	r->rule = j->rule[role] ? rule_loc(pe, j->rule[role] - 1) : "default";
	if (j->denied & (1u << role))
		r->reason = j->rule[role] ? "explicit deny" : "default deny";
	else
		r->reason = j->rule[role] ? "explicit allow" : "default allow";
}
