/* profile-learn.c — the learner of `cnetmon learn` (include/learn.h): flow
 * records in, profiles (cnetmon.profile(5)) out.
 *
 * Records are folded, per flow, into observations keyed by (container,
 * direction, protocol, server port, peer): a capture of millions of packets
 * becomes a table the size of the communication graph. Workloads, selectors
 * and rule text are worked out once at the end, from every container known
 * by then, so that a selector is checked against all of them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "learn.h"
#include "log.h"
#include "profile.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { DIR_INGRESS = 0, DIR_EGRESS = 1 };

/* ---- small open-addressing index over entries kept in arrays ----------- */

struct lslot {
	uint32_t idx1;            /* entry index + 1; 0: empty */
	uint32_t h;
};

struct lindex {
	struct lslot *s;
	size_t cap, n;            /* cap: a power of two */
};

static int
ix_grow(struct lindex *ix)
{
	size_t ncap = ix->cap ? ix->cap * 2 : 64, i, j;
	struct lslot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 0; i < ix->cap; i++) {
		if (!ix->s[i].idx1)
			continue;
		for (j = ix->s[i].h & (ncap - 1); ns[j].idx1; j = (j + 1) & (ncap - 1))
			;
		ns[j] = ix->s[i];
	}
	free(ix->s);
	ix->s = ns;
	ix->cap = ncap;
	return 0;
}

/* The slot for hash h whose entry eq() accepts, or the empty slot where it
 * belongs (grown first so that an insert there keeps the load under 1/2).
 * NULL on allocation failure. */
static struct lslot *
ix_find(struct lindex *ix, uint32_t h, int (*eq)(const void *ctx, uint32_t idx, const void *key),
        const void *ctx, const void *key)
{
	size_t j;

	if ((ix->n + 1) * 2 > ix->cap && ix_grow(ix) < 0)
		return NULL;
	for (j = h & (ix->cap - 1); ix->s[j].idx1; j = (j + 1) & (ix->cap - 1))
		if (ix->s[j].h == h && eq(ctx, ix->s[j].idx1 - 1, key))
			return &ix->s[j];
	ix->s[j].h = h;
	return &ix->s[j];
}

/* ---- the learner's state ---------------------------------------------- */

struct lctr {                     /* a container, copied when first met */
	struct inv_container *c;  /* id, name, image, namespace, labels */
	char *ident;              /* id, or "name:" NAME without one */
	int wl;                   /* its workload, after learn_finish */
	int seen;                 /* named by a flow */
};

enum lp_kind { LP_CTR, LP_HOST, LP_DNS, LP_ADDR };

struct lpeer {                    /* the other end of a connection, as met */
	uint8_t kind, family, plen;
	uint8_t addr[16];
	int ctr;                  /* LP_CTR */
	char *name;               /* LP_DNS */
	char *blob;               /* identity bytes, for the index */
	size_t blen;
};

struct lobs_key {
	int32_t ctr;              /* the container the rule is for */
	int32_t peer;
	uint16_t port;
	uint8_t dir, proto, hasport, resolver;
	uint8_t pad[2];
};

struct lobs {
	struct lobs_key k;
	uint64_t flows, first, last;
};

struct lwork {                    /* a workload: one profile */
	char *name;
	char **match;             /* match lines (their text after "match ") */
	size_t nmatch;
	int inexact;              /* its selector also selects others: noted */
	int *ctrs;                /* members, by name */
	size_t nctrs;
	int learned;              /* some member was in a flow */
	int resolver;             /* it answered DNS for a learned workload */
	struct strbuf text;       /* the profile, after learn_finish */
};

struct learner {
	struct learn_config cfg;
	uint8_t key[16];
	struct lctr *ctr;
	size_t nctr;
	struct lindex ctr_ix;
	struct lpeer *peer;
	size_t npeer;
	struct lindex peer_ix;
	struct lobs *obs;
	size_t nobs;
	struct lindex obs_ix;
	struct inv_addr *host;
	size_t nhost;
	int *resolvers;           /* --resolver: peer indices */
	size_t nresolvers;
	char *origin;
	uint64_t first, last;     /* span of the records used */
	unsigned long long records, used, failures;
	struct lwork *wl;
	size_t nwl;
	int *order;               /* learned workloads in name order */
	size_t norder;
	int finished;
};

void
learn_config_default(struct learn_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_peers = LEARN_MAX_PEERS_DEFAULT;
}

struct learner *
learn_new(const struct learn_config *c)
{
	struct learner *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (c)
		l->cfg = *c;
	else
		learn_config_default(&l->cfg);
	if (!l->cfg.max_peers)
		l->cfg.max_peers = LEARN_MAX_PEERS_DEFAULT;
	/* A keyed hash: peers and names come from the network. The output
	 * is sorted, so it does not depend on the key. */
	if (hash_random_key(l->key) < 0)
		memset(l->key, 0x5a, sizeof(l->key));
	return l;
}

static void
work_free(struct lwork *w)
{
	size_t i;

	free(w->name);
	for (i = 0; i < w->nmatch; i++)
		free(w->match[i]);
	free(w->match);
	free(w->ctrs);
	strbuf_free(&w->text);
}

void
learn_free(struct learner *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nctr; i++) {
		inv_container_free(l->ctr[i].c);
		free(l->ctr[i].ident);
	}
	free(l->ctr);
	free(l->ctr_ix.s);
	for (i = 0; i < l->npeer; i++) {
		free(l->peer[i].name);
		free(l->peer[i].blob);
	}
	free(l->peer);
	free(l->peer_ix.s);
	free(l->obs);
	free(l->obs_ix.s);
	free(l->host);
	free(l->resolvers);
	free(l->origin);
	for (i = 0; i < l->nwl; i++)
		work_free(&l->wl[i]);
	free(l->wl);
	free(l->order);
	free(l);
}

static void *
grow(void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	char *na;

	if (*n >= INT32_MAX - 1 || !(na = realloc(*arr, (*n + 1) * sz)))
		return NULL;
	*arr = na;
	memset(na + *n * sz, 0, sz);
	return na + (*n)++ * sz;
}

/* ---- containers ------------------------------------------------------- */

static int
ctr_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct learner *l = ctx;

	return !strcmp(l->ctr[idx].ident, key);
}

static struct inv_container *
ctr_copy(const struct inv_container *c)
{
	struct inv_container *n = inv_container_new();
	size_t i;

	if (!n)
		return NULL;
	if (inv_set(&n->id, c->id) < 0 || inv_set(&n->name, c->name ? c->name : "") < 0 ||
	    inv_set(&n->image, c->image) < 0 || inv_set(&n->namespace, c->namespace) < 0)
		goto fail;
	for (i = 0; i < c->nlabels; i++)
		if (inv_container_add_label(n, c->labels[i].key, c->labels[i].value) < 0)
			goto fail;
	return n;
fail:
	inv_container_free(n);
	return NULL;
}

/* The learner's index of container c, added when new; -1 on failure. */
static int
ctr_index(struct learner *l, const struct inv_container *c)
{
	struct lslot *s;
	struct lctr *e;
	char *ident;
	uint32_t h;

	if (c->id && *c->id)
		ident = strdup(c->id);
	else if (asprintf(&ident, "name:%s", c->name ? c->name : "") < 0)
		ident = NULL;
	if (!ident)
		return -1;
	h = (uint32_t)siphash13(ident, strlen(ident), l->key);
	if (!(s = ix_find(&l->ctr_ix, h, ctr_eq, l, ident))) {
		free(ident);
		return -1;
	}
	if (s->idx1) {
		free(ident);
		return (int)s->idx1 - 1;
	}
	if (!(e = grow(&l->ctr, &l->nctr, sizeof(*l->ctr)))) {
		free(ident);
		return -1;
	}
	if (!(e->c = ctr_copy(c))) {
		l->nctr--;
		free(ident);
		return -1;
	}
	e->ident = ident;
	e->wl = -1;
	s->idx1 = (uint32_t)l->nctr;
	l->ctr_ix.n++;
	return (int)l->nctr - 1;
}

int
learn_add_inventory(struct learner *l, const struct inventory *inv)
{
	size_t i, k;

	for (i = 0; i < inv->n; i++)
		if (ctr_index(l, inv->c[i]) < 0)
			return -1;
	for (i = 0; i < inv->nhost_addrs; i++) {
		struct inv_addr *a;
		for (k = 0; k < l->nhost; k++)
			if (l->host[k].family == inv->host_addrs[i].family &&
			    !memcmp(l->host[k].addr, inv->host_addrs[i].addr, 16))
				break;
		if (k < l->nhost)
			continue;
		if (!(a = grow(&l->host, &l->nhost, sizeof(*l->host))))
			return -1;
		*a = inv->host_addrs[i];
	}
	return 0;
}

static int
is_host(const struct learner *l, int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < l->nhost; i++)
		if (l->host[i].family == family &&
		    !memcmp(l->host[i].addr, addr, family == 6 ? 16 : 4))
			return 1;
	return 0;
}

/* ---- peers ------------------------------------------------------------ */

static int
peer_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct learner *l = ctx;
	const struct lpeer *k = key;

	return l->peer[idx].blen == k->blen && !memcmp(l->peer[idx].blob, k->blob, k->blen);
}

/* Intern a peer described by p (its blob borrowed); -1 on failure. */
static int
peer_intern(struct learner *l, const struct lpeer *p)
{
	uint32_t h = (uint32_t)siphash13(p->blob, p->blen, l->key);
	struct lslot *s = ix_find(&l->peer_ix, h, peer_eq, l, p);
	struct lpeer *e;

	if (!s)
		return -1;
	if (s->idx1)
		return (int)s->idx1 - 1;
	if (!(e = grow(&l->peer, &l->npeer, sizeof(*l->peer))))
		return -1;
	*e = *p;
	e->blob = malloc(p->blen);
	e->name = p->name ? strdup(p->name) : NULL;
	if (!e->blob || (p->name && !e->name)) {
		free(e->blob);
		free(e->name);
		l->npeer--;
		return -1;
	}
	memcpy(e->blob, p->blob, p->blen);
	s->idx1 = (uint32_t)l->npeer;
	l->peer_ix.n++;
	return (int)l->npeer - 1;
}

static int
peer_addr(struct learner *l, int kind, int family, const uint8_t *addr, int plen)
{
	struct lpeer p = { .kind = (uint8_t)kind, .family = (uint8_t)family, .plen = (uint8_t)plen };
	uint8_t blob[19];

	memcpy(p.addr, addr, family == 6 ? 16 : 4);
	blob[0] = (uint8_t)kind;
	blob[1] = (uint8_t)family;
	blob[2] = (uint8_t)plen;
	memcpy(blob + 3, p.addr, 16);
	p.blob = (char *)blob;
	p.blen = kind == LP_HOST ? 1 : sizeof(blob);
	return peer_intern(l, &p);
}

/* A name from passive DNS fit to be written as a `dns` peer: letters,
 * digits, '-', '_' and dots, as host names are; anything else (it came
 * off the wire) is not trusted into a profile, and the address is used. */
static int
dns_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 253 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

static int
peer_dns(struct learner *l, const char *name)
{
	struct lpeer p = { .kind = LP_DNS };
	char blob[256];
	size_t n = strlen(name), i;

	if (n && name[n - 1] == '.')
		n--;                      /* "api.stripe.com." is api.stripe.com */
	blob[0] = LP_DNS;
	for (i = 0; i < n; i++)
		blob[i + 1] = (char)tolower((unsigned char)name[i]);
	blob[n + 1] = '\0';
	p.name = blob + 1;
	p.blob = blob;
	p.blen = n + 1;
	return peer_intern(l, &p);
}

static int
peer_ctr(struct learner *l, int ctr)
{
	struct lpeer p = { .kind = LP_CTR, .ctr = ctr };
	char blob[5];

	blob[0] = LP_CTR;
	memcpy(blob + 1, &ctr, 4);
	p.blob = blob;
	p.blen = sizeof(blob);
	return peer_intern(l, &p);
}

int
learn_add_resolver(struct learner *l, const char *text)
{
	struct inv_addr a;
	int plen, bytes, i, idx, *slot;
	uint8_t mask[16];

	if (inv_addr_parse(text, &a) < 0) {
		errno = EINVAL;
		return -1;
	}
	bytes = a.family == 6 ? 16 : 4;
	plen = strchr(text, '/') ? a.prefixlen : bytes * 8;
	inv_prefix_mask((unsigned)plen, mask);
	for (i = 0; i < bytes; i++) {        /* host bits must be clear, as in a profile */
		if (a.addr[i] & ~mask[i]) {
			errno = EINVAL;
			return -1;
		}
	}
	if ((idx = peer_addr(l, LP_ADDR, a.family, a.addr, plen)) < 0)
		return -1;
	if (!(slot = grow(&l->resolvers, &l->nresolvers, sizeof(*l->resolvers))))
		return -1;
	*slot = idx;
	return 0;
}

int
learn_set_origin(struct learner *l, const char *text)
{
	return inv_set(&l->origin, text);
}

/* ---- records ---------------------------------------------------------- */

static int
obs_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct learner *l = ctx;

	return !memcmp(&l->obs[idx].k, key, sizeof(struct lobs_key));
}

static int
obs_add(struct learner *l, const struct lobs_key *k, const struct flow *f)
{
	uint32_t h = (uint32_t)siphash13(k, sizeof(*k), l->key);
	struct lslot *s = ix_find(&l->obs_ix, h, obs_eq, l, k);
	struct lobs *o;

	if (!s)
		return -1;
	if (s->idx1) {
		o = &l->obs[s->idx1 - 1];
	} else {
		if (!(o = grow(&l->obs, &l->nobs, sizeof(*l->obs))))
			return -1;
		o->k = *k;
		o->first = f->first_ns;
		s->idx1 = (uint32_t)l->nobs;
		l->obs_ix.n++;
	}
	/* An active-timeout part continues a flow already counted. */
	if (f->part <= 1)
		o->flows++;
	if (f->first_ns < o->first)
		o->first = f->first_ns;
	if (f->last_ns > o->last)
		o->last = f->last_ns;
	return 0;
}

static int
is_loopback(int family, const uint8_t *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	return family == 4 ? a[0] == 127 : !memcmp(a, v6lo, 16);
}

/* The peer that side s of the flow is, seen from the other side. A DNS
 * resolver is named by its address (or profile): naming it by DNS would be
 * circular, and `host` would say less than its address. */
static int
peer_of(struct learner *l, const struct record *r, int role, int ctr, int resolver)
{
	const struct flow *f = r->flow;
	int s = role ? flow_dst_side(f) : flow_src_side(f);   /* dns[] is by role */
	const uint8_t *a = f->key.addr[s];
	int fam = f->key.family == 6 ? 6 : 4;

	if (ctr >= 0)
		return peer_ctr(l, ctr);
	if (!resolver && is_host(l, fam, a) && !is_loopback(fam, a))
		return peer_addr(l, LP_HOST, fam, a, 0);
	if (!resolver && r->dns[role] && dns_name_ok(r->dns[role]))
		return peer_dns(l, r->dns[role]);
	return peer_addr(l, LP_ADDR, fam, a, fam == 6 ? 128 : 32);
}

/* The protocol a rule names: the ones with a keyword, else `any`. */
static int
rule_proto(int proto, int family)
{
	switch (proto) {
	case PROTO_TCP: case PROTO_UDP: case PROTO_SCTP:
		return proto;
	case PROTO_ICMP:
		return family == 4 ? PROTO_ICMP : PROTO_ANY;
	case PROTO_ICMPV6:
		return family == 6 ? PROTO_ICMPV6 : PROTO_ANY;
	default:
		return PROTO_ANY;
	}
}

void
learn_record(const struct record *r, void *data)
{
	struct learner *l = data;
	const struct flow *f = r->flow;
	struct lobs_key k;
	int s, d, cs = -1, cd = -1, proto, hasport, resolver;

	if (r->type != RECORD_FLOW || !f || l->finished)
		return;
	l->records++;
	s = flow_src_side(f);
	d = flow_dst_side(f);
	if (f->ctr[s] && (cs = ctr_index(l, f->ctr[s])) < 0)
		goto fail;
	if (f->ctr[d] && (cd = ctr_index(l, f->ctr[d])) < 0)
		goto fail;
	if (cs < 0 && cd < 0)
		return;                   /* no container: nothing any profile decides */
	l->used++;
	if (!l->first || f->first_ns < l->first)
		l->first = f->first_ns;
	if (f->last_ns > l->last)
		l->last = f->last_ns;
	proto = rule_proto(f->key.proto, f->key.family);
	hasport = (proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP) &&
	          !f->key.noports;
	resolver = hasport && proto != PROTO_SCTP && f->key.port[d] == 53;
	memset(&k, 0, sizeof(k));
	k.proto = (uint8_t)proto;
	k.hasport = (uint8_t)hasport;
	k.port = hasport ? f->key.port[d] : 0;
	if (cs >= 0) {
		l->ctr[cs].seen = 1;
		k.ctr = cs;
		k.dir = DIR_EGRESS;
		k.resolver = (uint8_t)resolver;
		if ((k.peer = peer_of(l, r, 1, cd, resolver)) < 0 || obs_add(l, &k, f) < 0)
			goto fail;
	}
	if (cd >= 0) {
		l->ctr[cd].seen = 1;
		k.ctr = cd;
		k.dir = DIR_INGRESS;
		/* A container's query to a container resolver is covered by the
		 * resolver's rule for every workload; other clients are peers. */
		k.resolver = (uint8_t)(resolver && cs >= 0);
		if ((k.peer = peer_of(l, r, 0, cs, 0)) < 0 || obs_add(l, &k, f) < 0)
			goto fail;
	}
	return;
fail:
	l->failures++;
}

void
learn_stats(const struct learner *l, unsigned long long *records, unsigned long long *used)
{
	*records = l->records;
	*used = l->used;
}

/* ---- workloads and selectors ------------------------------------------ */

/* Labels that name an application, most specific first (Kubernetes
 * recommended labels, the older app/k8s-app conventions). */
static const char *const app_labels[] = { "app.kubernetes.io/name", "app", "k8s-app" };
#define COMPOSE_SERVICE "com.docker.compose.service"
#define COMPOSE_PROJECT "com.docker.compose.project"

/* Can s be written in a profile at all (the lexer refuses control bytes)? */
static int
writable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* s as one word of a profile: bare when it is plain, else quoted. With
 * glob, the glob characters are escaped so that fnmatch(3) takes them
 * literally: a selector for "web[1]" must not also select "web1". */
static void
add_word(struct strbuf *b, const char *s, int glob, int force_quotes)
{
	const char *p;
	int bare = !force_quotes && *s;

	for (p = s; *p && bare; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./:@=+", *p))
			bare = 0;
	if (bare) {
		strbuf_adds(b, s);
		return;
	}
	strbuf_addc(b, '"');
	for (p = s; *p; p++) {
		if (glob && strchr("*?[\\", *p))
			strbuf_adds(b, "\\\\");      /* a backslash for fnmatch, quoted */
		if (*p == '"' || *p == '\\')
			strbuf_addc(b, '\\');
		strbuf_addc(b, *p);
	}
	strbuf_addc(b, '"');
}

static int
add_label_sel(struct strbuf *b, const struct inv_container *c, const char *key)
{
	const char *v = inv_container_label(c, key);
	struct strbuf w;

	if (!v || !*key || strchr(key, '=') || !writable(key) || !writable(v))
		return 0;
	/* KEY=GLOB is one word: the key is compared as it is, the value is
	 * a glob; quote the word whole when either part needs it. */
	strbuf_init(&w, 64);
	add_word(&w, v, 1, 0);
	strbuf_adds(b, b->len ? " label " : "label ");
	if (w.len && w.p[0] == '"') {
		strbuf_addc(b, '"');
		for (const char *p = key; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addc(b, '\\');
			strbuf_addc(b, *p);
		}
		strbuf_addc(b, '=');
		strbuf_add(b, w.p + 1, w.len - 1);
	} else {
		add_word(b, key, 0, 0);
		strbuf_addc(b, '=');
		strbuf_add(b, w.p, w.len);
	}
	strbuf_free(&w);
	return 1;
}

/* The match line that should select c's replicas, best first; its text is
 * also the workload's identity. Sets *label to the value the profile is
 * named after. Returns 0, or -1 on allocation failure. */
static int
group_selector(const struct inv_container *c, struct strbuf *b, const char **label)
{
	size_t i;

	strbuf_reset(b);
	for (i = 0; i < NELEM(app_labels); i++) {
		const char *v = inv_container_label(c, app_labels[i]);
		if (!v || !*v || !writable(v))
			continue;
		if (c->namespace && *c->namespace && writable(c->namespace)) {
			strbuf_adds(b, "namespace ");
			add_word(b, c->namespace, 1, 0);
		}
		add_label_sel(b, c, app_labels[i]);
		*label = v;
		return b->oom ? -1 : 0;
	}
	if (inv_container_label(c, COMPOSE_SERVICE) && *inv_container_label(c, COMPOSE_SERVICE) &&
	    add_label_sel(b, c, COMPOSE_SERVICE)) {
		add_label_sel(b, c, COMPOSE_PROJECT);
		*label = inv_container_label(c, COMPOSE_SERVICE);
		return b->oom ? -1 : 0;
	}
	if (c->image && *c->image && writable(c->image)) {
		strbuf_adds(b, "image ");
		add_word(b, c->image, 1, 1);
		*label = c->image;
		return b->oom ? -1 : 0;
	}
	strbuf_adds(b, "name ");
	add_word(b, writable(c->name) ? c->name : "?", 1, 1);
	*label = c->name;
	return b->oom ? -1 : 0;
}

static void
ignore_error(const char *msg, void *data)
{
	(void)msg;
	(void)data;
}

/* Does the profile made of these match lines select exactly the members of
 * w among the known containers? Decided by the parser and profile_selects,
 * so that it is what `check` and the evaluator will see. -1: unusable. */
static int
selects_exactly(const struct learner *l, char *const *lines, size_t n, int wl)
{
	struct profile_set set = { 0 };
	struct strbuf b;
	size_t i;
	int ok = 1;

	strbuf_init(&b, 256);
	strbuf_adds(&b, "profile x {\n");
	for (i = 0; i < n; i++) {
		strbuf_adds(&b, "match ");
		strbuf_adds(&b, lines[i]);
		strbuf_addc(&b, '\n');
	}
	strbuf_adds(&b, "}\n");
	if (b.oom || profile_load_buffer(&set, "learn", b.p, b.len, ignore_error, NULL) ||
	    set.n != 1 || set.p[0].nmatches != n) {
		ok = -1;
	} else {
		for (i = 0; i < l->nctr && ok == 1; i++)
			if (profile_selects(&set.p[0], l->ctr[i].c) != (l->ctr[i].wl == wl))
				ok = 0;
	}
	profile_set_free(&set);
	strbuf_free(&b);
	return ok;
}

static int
set_lines(struct lwork *w, char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < w->nmatch; i++)
		free(w->match[i]);
	free(w->match);
	w->match = malloc((n ? n : 1) * sizeof(*w->match));
	w->nmatch = 0;
	if (!w->match)
		return -1;
	for (i = 0; i < n; i++) {
		if (!(w->match[i] = strdup(lines[i])))
			return -1;
		w->nmatch++;
	}
	return 0;
}

/* Selectors for workload wl: its group's line; with the image when that
 * makes it exact; else one line per member, by name, or by id when names
 * repeat. */
static int
choose_selectors(struct learner *l, int wl, const char *group_line)
{
	struct lwork *w = &l->wl[wl];
	const struct inv_container *c0 = l->ctr[w->ctrs[0]].c;
	char *line = (char *)group_line, **lines = NULL;
	struct strbuf b;
	size_t i;
	int r, rc = -1;

	if ((r = selects_exactly(l, &line, 1, wl)) == 1)
		return set_lines(w, &line, 1);
	strbuf_init(&b, 128);
	if (c0->image && *c0->image && writable(c0->image) && !strstr(group_line, "image ")) {
		for (i = 1; i < w->nctrs; i++) {
			const char *im = l->ctr[w->ctrs[i]].c->image;
			if (!im || strcmp(im, c0->image))
				break;
		}
		if (i == w->nctrs) {
			strbuf_adds(&b, group_line);
			strbuf_adds(&b, " image ");
			add_word(&b, c0->image, 1, 1);
			strbuf_addc(&b, '\0');
			line = b.p;
			if (!b.oom && selects_exactly(l, &line, 1, wl) == 1) {
				rc = set_lines(w, &line, 1);
				goto done;
			}
		}
	}
	if (!(lines = calloc(w->nctrs, sizeof(*lines))))
		goto done;
	for (i = 0; i < w->nctrs; i++) {
		const struct inv_container *c = l->ctr[w->ctrs[i]].c;
		size_t k, same = 0;
		for (k = 0; k < l->nctr; k++)
			same += l->ctr[k].c->name && c->name && !strcmp(l->ctr[k].c->name, c->name);
		strbuf_reset(&b);
		if (same > 1 && c->id && *c->id && writable(c->id)) {
			strbuf_adds(&b, "id ");
			add_word(&b, c->id, 0, 0);
		} else {
			strbuf_adds(&b, "name ");
			add_word(&b, writable(c->name) ? c->name : "?", 1, 1);
		}
		strbuf_addc(&b, '\0');
		if (b.oom || !(lines[i] = strdup(b.p)))
			goto done;
	}
	w->inexact = selects_exactly(l, lines, w->nctrs, wl) != 1;
	rc = set_lines(w, lines, w->nctrs);
done:
	for (i = 0; lines && i < w->nctrs; i++)
		free(lines[i]);
	free(lines);
	strbuf_free(&b);
	return rc;
}

/* A profile name from what the workload is called: letters, digits, '-',
 * '_', '.'; an image "registry/shop/api:1.9" gives "api". */
static void
base_name(const char *label, int from_image, char *out, size_t outlen)
{
	const char *s = label ? label : "", *p;
	size_t o = 0;

	if (from_image) {
		if ((p = strrchr(s, '/')))
			s = p + 1;
	}
	for (p = s; *p && o + 1 < outlen && o < 63; p++) {
		char ch = *p;
		if (from_image && (ch == ':' || ch == '@'))
			break;
		if (!isalnum((unsigned char)ch) && ch != '_' && ch != '.')
			ch = '-';
		if ((ch == '-' && (!o || out[o - 1] == '-')) || (ch == '.' && !o))
			continue;         /* "we\"ird*" is we-ird; no hidden file names */
		out[o++] = ch;
	}
	while (o && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	if (!o)
		snprintf(out, outlen, "workload");
}

static int
name_used(const struct learner *l, size_t upto, const char *name)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (l->wl[i].name && !strcmp(l->wl[i].name, name))
			return 1;
	return 0;
}

struct gsort {
	char *line;               /* the group's match line */
	char *label;
	int image;                /* named after an image */
	int ctr;
};

static int
cmp_gsort(const void *a, const void *b)
{
	const struct gsort *x = a, *y = b;
	int c = strcmp(x->line, y->line);

	if (c)
		return c;
	return x->ctr - y->ctr;
}

/* Members by name (as a reader looks for them), then identity. */
static int
cmp_member(const void *a, const void *b, void *ctx)
{
	const struct lctr *x = &((const struct learner *)ctx)->ctr[*(const int *)a];
	const struct lctr *y = &((const struct learner *)ctx)->ctr[*(const int *)b];
	int c = strcmp(x->c->name, y->c->name);

	return c ? c : strcmp(x->ident, y->ident);
}

/* Group the known containers into workloads and name them. */
static int
make_workloads(struct learner *l)
{
	struct gsort *g = calloc(l->nctr ? l->nctr : 1, sizeof(*g));
	size_t *gfirst = NULL;
	struct strbuf b;
	size_t i, j, w;
	int rc = -1;

	strbuf_init(&b, 128);
	if (!g)
		return -1;
	for (i = 0; i < l->nctr; i++) {
		const char *label = NULL;
		if (group_selector(l->ctr[i].c, &b, &label) < 0)
			goto done;
		strbuf_addc(&b, '\0');
		g[i].ctr = (int)i;
		g[i].image = !strncmp(b.p, "image ", 6);
		if (b.oom || !(g[i].line = strdup(b.p)) || !(g[i].label = strdup(label ? label : "")))
			goto done;
	}
	qsort(g, l->nctr, sizeof(*g), cmp_gsort);
	if (!(gfirst = calloc(l->nctr ? l->nctr : 1, sizeof(*gfirst))))
		goto done;
	for (i = 0; i < l->nctr; i = j) {
		struct lwork *wk;
		for (j = i + 1; j < l->nctr && !strcmp(g[j].line, g[i].line); j++)
			;
		if (!(wk = grow(&l->wl, &l->nwl, sizeof(*l->wl))))
			goto done;
		gfirst[l->nwl - 1] = i;
		strbuf_init(&wk->text, 0);
		if (!(wk->ctrs = malloc((j - i) * sizeof(*wk->ctrs))))
			goto done;
		for (w = i; w < j; w++) {
			wk->ctrs[wk->nctrs++] = g[w].ctr;
			l->ctr[g[w].ctr].wl = (int)l->nwl - 1;
			wk->learned |= l->ctr[g[w].ctr].seen;
		}
		qsort_r(wk->ctrs, wk->nctrs, sizeof(*wk->ctrs), cmp_member, l);
	}
	/* Names in group order, so that they do not depend on the input's;
	 * a name taken already gets the namespace, then a number. */
	for (w = 0; w < l->nwl; w++) {
		const struct gsort *g0 = &g[gfirst[w]];
		const struct inv_container *c0 = l->ctr[g0->ctr].c;
		char base[80], name[176];
		int n = 2;

		base_name(g0->label, g0->image, base, sizeof(base));
		snprintf(name, sizeof(name), "%s", base);
		if (name_used(l, w, name) && c0->namespace && *c0->namespace) {
			char ns[80];
			base_name(c0->namespace, 0, ns, sizeof(ns));
			snprintf(name, sizeof(name), "%s.%s", base, ns);
		}
		while (name_used(l, w, name))
			snprintf(name, sizeof(name), "%s-%d", base, n++);
		if (!(l->wl[w].name = strdup(name)))
			goto done;
	}
	for (w = 0; w < l->nwl; w++)
		if (choose_selectors(l, (int)w, g[gfirst[w]].line) < 0)
			goto done;
	rc = 0;
done:
	for (i = 0; i < l->nctr; i++) {
		free(g[i].line);
		free(g[i].label);
	}
	free(g);
	free(gfirst);
	strbuf_free(&b);
	return rc;
}

/* ---- rules ------------------------------------------------------------ */

/* A peer as a rule names it. */
enum fp_kind { FP_PROFILE, FP_HOST, FP_DNS, FP_ADDR, FP_WORLD };

struct item {                     /* observations merged per workload */
	int wl;
	uint8_t dir, resolver, proto, hasport;
	uint16_t port;
	uint8_t fkind;
	int fid;                  /* FP_PROFILE: workload; else a peer index */
	uint64_t flows, first, last;
};

static int
proto_rank(int proto)
{
	switch (proto) {
	case PROTO_TCP: return 0;
	case PROTO_UDP: return 1;
	case PROTO_SCTP: return 2;
	case PROTO_ICMP: return 3;
	case PROTO_ICMPV6: return 4;
	default: return 5;
	}
}

static const char *
proto_word(int proto)
{
	switch (proto) {
	case PROTO_TCP: return "tcp";
	case PROTO_UDP: return "udp";
	case PROTO_SCTP: return "sctp";
	case PROTO_ICMP: return "icmp";
	case PROTO_ICMPV6: return "icmpv6";
	default: return "any";
	}
}

static int
cmp_peer(const struct learner *l, int ka, int ia, int kb, int ib)
{
	const struct lpeer *a, *b;
	int c;

	if (ka != kb)
		return ka - kb;
	switch (ka) {
	case FP_PROFILE:
		return strcmp(l->wl[ia].name, l->wl[ib].name);
	case FP_DNS:
		return strcmp(l->peer[ia].name, l->peer[ib].name);
	case FP_ADDR:
		a = &l->peer[ia];
		b = &l->peer[ib];
		if (a->family != b->family)
			return a->family - b->family;
		if ((c = memcmp(a->addr, b->addr, 16)))
			return c;
		return a->plen - b->plen;
	default:
		return 0;
	}
}

static int
cmp_item(const void *pa, const void *pb, void *ctx)
{
	const struct item *a = pa, *b = pb;
	int c;

	if (a->wl != b->wl)
		return strcmp(((const struct learner *)ctx)->wl[a->wl].name,
		              ((const struct learner *)ctx)->wl[b->wl].name);
	if (a->dir != b->dir)
		return a->dir - b->dir;
	if (a->resolver != b->resolver)
		return a->resolver - b->resolver;
	if (a->proto != b->proto)
		return proto_rank(a->proto) - proto_rank(b->proto);
	if ((c = cmp_peer(ctx, a->fkind, a->fid, b->fkind, b->fid)))
		return c;
	if (a->hasport != b->hasport)
		return a->hasport - b->hasport;
	return a->port - b->port;
}

static void
add_addr(struct strbuf *b, const struct lpeer *p)
{
	char t[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, t, sizeof(t)))
		snprintf(t, sizeof(t), "?");
	strbuf_adds(b, t);
	if (p->plen != (p->family == 6 ? 128 : 32)) {
		strbuf_addc(b, '/');
		strbuf_addu64(b, p->plen);
	}
}

/* The peer as a rule writes it (rule), or as a comment names it. */
static void
add_peer(struct strbuf *b, const struct learner *l, int kind, int id, int rule)
{
	switch (kind) {
	case FP_PROFILE:
		if (rule)
			strbuf_adds(b, "profile ");
		strbuf_adds(b, l->wl[id].name);
		break;
	case FP_HOST:
		strbuf_adds(b, "host");
		break;
	case FP_DNS:
		if (rule) {
			strbuf_adds(b, "dns ");
			add_word(b, l->peer[id].name, 1, 1);
		} else {
			strbuf_adds(b, l->peer[id].name);
		}
		break;
	case FP_ADDR:
		add_addr(b, &l->peer[id]);
		break;
	default:
		strbuf_adds(b, "world");
	}
}

static void
add_time(struct strbuf *b, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char s[40];

	if (!gmtime_r(&t, &tm) || !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(s, sizeof(s), "?");
	strbuf_adds(b, s);
}

static void
add_count(struct strbuf *b, uint64_t n, const char *one, const char *many)
{
	strbuf_addu64(b, n);
	strbuf_addc(b, ' ');
	strbuf_adds(b, n == 1 ? one : many);
}

static void
add_span(struct strbuf *b, uint64_t first, uint64_t last)
{
	add_time(b, first);
	if (last / 1000000000ULL != first / 1000000000ULL) {
		strbuf_adds(b, " to ");
		add_time(b, last);
	}
}

/* One peer of a (workload, direction, protocol) with its ports. */
struct pentry {
	int fkind, fid;
	uint16_t *ports;          /* sorted, distinct */
	size_t nports;
	int allports;             /* a flow without ports: the rule names none */
	uint64_t flows, first, last;
	size_t merged;            /* FP_WORLD: how many addresses and names */
};

static int
cmp_ports(const struct pentry *a, const struct pentry *b)
{
	size_t i;

	if (a->allports != b->allports)
		return b->allports - a->allports;
	for (i = 0; i < a->nports && i < b->nports; i++)
		if (a->ports[i] != b->ports[i])
			return a->ports[i] - b->ports[i];
	return (a->nports > b->nports) - (a->nports < b->nports);
}

static int
cmp_pentry(const void *pa, const void *pb, void *ctx)
{
	const struct pentry *a = pa, *b = pb;
	int c = cmp_ports(a, b);

	return c ? c : cmp_peer(ctx, a->fkind, a->fid, b->fkind, b->fid);
}

static int
cmp_u16(const void *a, const void *b)
{
	return *(const uint16_t *)a - *(const uint16_t *)b;
}

static void
add_ports(struct strbuf *b, const uint16_t *p, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j + 1 < n && p[j + 1] == p[j] + 1; j++)
			;
		if (i)
			strbuf_addc(b, ',');
		strbuf_addu64(b, p[i]);
		if (j > i) {
			strbuf_addc(b, '-');
			strbuf_addu64(b, p[j]);
		}
		i = j + 1;
	}
}

/* Fold e into the world entry w (ports united). */
static int
merge_world(struct pentry *w, const struct pentry *e)
{
	uint16_t *np;
	size_t i, n;

	w->allports |= e->allports;
	if (e->nports) {
		if (!(np = realloc(w->ports, (w->nports + e->nports) * sizeof(*np))))
			return -1;
		memcpy(np + w->nports, e->ports, e->nports * sizeof(*np));
		w->ports = np;
		w->nports += e->nports;
		qsort(w->ports, w->nports, sizeof(*np), cmp_u16);
		for (i = n = 0; i < w->nports; i++)
			if (!n || w->ports[n - 1] != w->ports[i])
				w->ports[n++] = w->ports[i];
		w->nports = n;
	}
	w->flows += e->flows;
	if (e->first < w->first)
		w->first = e->first;
	if (e->last > w->last)
		w->last = e->last;
	w->merged++;
	return 0;
}

/* Rules of one (workload, direction, protocol): items[0..n) sorted by peer
 * then port. */
static int
write_segment(const struct learner *l, struct strbuf *b, const struct item *it, size_t n)
{
	struct pentry *pe = calloc(n + 1, sizeof(*pe)), world = { .fkind = FP_WORLD };
	size_t np = 0, i, j, naddr = 0, ndns = 0;
	int egress = it[0].dir == DIR_EGRESS, proto = it[0].proto, rc = -1;

	if (!pe)
		return -1;
	for (i = 0; i < n; i++) {
		struct pentry *e;
		if (!np || pe[np - 1].fkind != it[i].fkind || pe[np - 1].fid != it[i].fid) {
			e = &pe[np++];
			e->fkind = it[i].fkind;
			e->fid = it[i].fid;
			e->first = it[i].first;
			naddr += e->fkind == FP_ADDR;
			ndns += e->fkind == FP_DNS;
		}
		e = &pe[np - 1];
		if (!it[i].hasport) {
			e->allports = 1;
		} else if (!e->nports || e->ports[e->nports - 1] != it[i].port) {
			uint16_t *p = realloc(e->ports, (e->nports + 1) * sizeof(*p));
			if (!p)
				goto done;
			e->ports = p;
			e->ports[e->nports++] = it[i].port;
		}
		e->flows += it[i].flows;
		if (it[i].first < e->first)
			e->first = it[i].first;
		if (it[i].last > e->last)
			e->last = it[i].last;
	}
	/* Too many addresses (or names) to read: `world` says it better. */
	if (naddr > l->cfg.max_peers || ndns > l->cfg.max_peers) {
		world.fkind = FP_WORLD;
		for (i = j = 0; i < np; i++) {
			if ((pe[i].fkind == FP_ADDR && naddr > l->cfg.max_peers) ||
			    (pe[i].fkind == FP_DNS && ndns > l->cfg.max_peers)) {
				if (!world.merged)
					world.first = pe[i].first;
				if (merge_world(&world, &pe[i]) < 0)
					goto done;
				free(pe[i].ports);
				continue;
			}
			pe[j++] = pe[i];
		}
		np = j;
		pe[np++] = world;
		world.ports = NULL;
	}
	for (i = 0; i < np; i++)
		if (pe[i].allports || proto == PROTO_ICMP || proto == PROTO_ICMPV6 ||
		    proto == PROTO_ANY) {
			pe[i].allports = 1;
			pe[i].nports = 0;
		}
	/* Peers with the same ports share a rule. */
	qsort_r(pe, np, sizeof(*pe), cmp_pentry, (void *)l);
	for (i = 0; i < np; i = j) {
		uint64_t flows = 0, first = pe[i].first, last = 0;
		size_t k;
		for (j = i; j < np && !cmp_ports(&pe[i], &pe[j]); j++) {
			flows += pe[j].flows;
			if (pe[j].first < first)
				first = pe[j].first;
			if (pe[j].last > last)
				last = pe[j].last;
		}
		strbuf_adds(b, "    # ");
		add_count(b, flows, "flow", "flows");
		if (j - i > 1 || pe[i].fkind == FP_WORLD) {
			strbuf_adds(b, " (");
			for (k = i; k < j; k++) {
				if (k > i)
					strbuf_adds(b, ", ");
				add_peer(b, l, pe[k].fkind, pe[k].fid, 0);
				strbuf_addc(b, ' ');
				strbuf_addu64(b, pe[k].flows);
				if (pe[k].fkind == FP_WORLD) {
					strbuf_adds(b, " over ");
					add_count(b, pe[k].merged, "peer", "peers");
				}
			}
			strbuf_addc(b, ')');
		}
		strbuf_adds(b, ", ");
		add_span(b, first, last);
		strbuf_addc(b, '\n');
		strbuf_adds(b, egress ? "    egress  allow " : "    ingress allow ");
		strbuf_adds(b, proto_word(proto));
		if (!pe[i].allports && pe[i].nports) {
			strbuf_addc(b, ' ');
			add_ports(b, pe[i].ports, pe[i].nports);
		}
		strbuf_adds(b, egress ? " to " : " from ");
		for (k = i; k < j; k++) {
			if (k > i)
				strbuf_adds(b, ", ");
			add_peer(b, l, pe[k].fkind, pe[k].fid, 1);
		}
		strbuf_addc(b, '\n');
	}
	rc = 0;
done:
	for (i = 0; i < np; i++)
		free(pe[i].ports);
	free(world.ports);
	free(pe);
	return rc;
}

/* The resolvers every workload may query, in peer order. */
struct rtarget {
	int fkind, fid;
};

static int
cmp_rtarget(const void *a, const void *b, void *ctx)
{
	const struct rtarget *x = a, *y = b;

	return cmp_peer(ctx, x->fkind, x->fid, y->fkind, y->fid);
}

/* The flows of n items, and the span of time they cover (0 when none). */
static uint64_t
items_total(const struct item *it, size_t n, uint64_t *first, uint64_t *last)
{
	uint64_t flows = 0;
	size_t i;

	*first = *last = 0;
	for (i = 0; i < n; i++) {
		flows += it[i].flows;
		if (!*first || it[i].first < *first)
			*first = it[i].first;
		if (it[i].last > *last)
			*last = it[i].last;
	}
	return flows;
}

static void
write_dns_rules(const struct learner *l, struct strbuf *b, const struct rtarget *rt, size_t nrt,
                const struct item *it, size_t n)
{
	uint64_t first, last, flows = items_total(it, n, &first, &last);
	size_t i;
	int udp;

	if (!nrt) {
		strbuf_adds(b, "    # No DNS resolver was seen: give `cnetmon learn --resolver ADDR`\n"
		               "    # to let this workload look names up.\n");
		return;
	}
	strbuf_adds(b, "    # DNS, kept for every workload: ");
	if (flows) {
		add_count(b, flows, "lookup", "lookups");
		strbuf_adds(b, ", ");
		add_span(b, first, last);
	} else {
		strbuf_adds(b, "no lookup seen");
	}
	strbuf_addc(b, '\n');
	for (udp = 1; udp >= 0; udp--) {
		strbuf_adds(b, udp ? "    egress  allow udp 53 to " : "    egress  allow tcp 53 to ");
		for (i = 0; i < nrt; i++) {
			if (i)
				strbuf_adds(b, ", ");
			add_peer(b, l, rt[i].fkind, rt[i].fid, 1);
		}
		strbuf_addc(b, '\n');
	}
}

/* A resolver that is a container: every learned workload may query it. */
static void
write_resolver_ingress(const struct learner *l, struct strbuf *b, const struct item *it, size_t n)
{
	uint64_t first, last, flows = items_total(it, n, &first, &last);
	size_t i;
	int udp;

	strbuf_adds(b, "    # A DNS resolver: every learned workload may query it (");
	add_count(b, flows, "lookup flow", "lookup flows");
	strbuf_adds(b, " from containers seen)\n");
	for (udp = 1; udp >= 0; udp--) {
		strbuf_adds(b, udp ? "    ingress allow udp 53 from " : "    ingress allow tcp 53 from ");
		for (i = 0; i < l->norder; i++) {
			if (i)
				strbuf_adds(b, ", ");
			strbuf_adds(b, "profile ");
			strbuf_adds(b, l->wl[l->order[i]].name);
		}
		strbuf_addc(b, '\n');
	}
}

static void
write_header(const struct learner *l, const struct lwork *w, struct strbuf *b,
             uint64_t flows, uint64_t first, uint64_t last)
{
	size_t i, seen = 0;

	for (i = 0; i < w->nctrs; i++)
		seen += l->ctr[w->ctrs[i]].seen;
	strbuf_adds(b, "# ");
	strbuf_adds(b, w->name);
	strbuf_adds(b, ": learned by cnetmon learn");
	if (l->origin) {
		strbuf_adds(b, " from ");
		strbuf_adds(b, l->origin);
	}
	strbuf_adds(b, "\n#   ");
	add_count(b, w->nctrs, "container", "containers");
	strbuf_adds(b, ": ");
	for (i = 0; i < w->nctrs && i < 6; i++) {
		const char *nm = l->ctr[w->ctrs[i]].c->name;
		if (i)
			strbuf_adds(b, ", ");
		for (; nm && *nm; nm++)      /* names may hold anything: keep the comment one line */
			strbuf_addc(b, (unsigned char)*nm < 0x20 || *nm == 0x7f ? '?' : *nm);
	}
	if (w->nctrs > 6)
		strbuf_adds(b, ", ...");
	strbuf_adds(b, " (");
	strbuf_addu64(b, seen);
	strbuf_adds(b, " in traffic)\n#   ");
	add_count(b, flows, "flow", "flows");
	if (flows) {
		strbuf_adds(b, ", ");
		add_span(b, first, last);
	}
	strbuf_adds(b, "\n# It allows what was seen and nothing else: review it before use.\n");
	if (w->inexact)
		strbuf_adds(b, "# WARNING: no selector tells these containers apart from others; "
		               "check the match lines.\n");
}

static int
write_profile(struct learner *l, int wl, const struct item *it, size_t n,
              const struct rtarget *rt, size_t nrt)
{
	struct lwork *w = &l->wl[wl];
	struct strbuf *b = &w->text;
	const struct item *dns = NULL;
	size_t i, j, ndns = 0;
	uint64_t first, last, flows;
	int lastdir = -1, resolver_done = 0;

	/* Flows are counted on the side that opened them, or, for flows
	 * from outside, on the side that accepted them. */
	flows = items_total(it, n, &first, &last);
	write_header(l, w, b, flows, first, last);
	strbuf_adds(b, "profile ");
	strbuf_adds(b, w->name);
	strbuf_adds(b, " {\n");
	for (i = 0; i < w->nmatch; i++) {
		strbuf_adds(b, "    match ");
		strbuf_adds(b, w->match[i]);
		strbuf_addc(b, '\n');
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && it[j].dir == it[i].dir && it[j].resolver == it[i].resolver &&
		                it[j].proto == it[i].proto; j++)
			;
		if (it[i].resolver && it[i].dir == DIR_EGRESS) {
			/* Lookups (last in the sort, so contiguous) are
			 * counted here and allowed by the resolvers' rules. */
			if (!dns)
				dns = &it[i];
			ndns += j - i;
			continue;
		}
		if (it[i].dir != lastdir)
			strbuf_addc(b, '\n');
		lastdir = it[i].dir;
		if (it[i].resolver) {
			/* Queries from containers: the resolver's one rule. */
			while (j < n && it[j].dir == DIR_INGRESS && it[j].resolver)
				j++;
			write_resolver_ingress(l, b, &it[i], j - i);
			resolver_done = 1;
			continue;
		}
		if (write_segment(l, b, &it[i], j - i) < 0)
			return -1;
	}
	if (w->resolver && !resolver_done) {
		strbuf_addc(b, '\n');
		write_resolver_ingress(l, b, NULL, 0);
	}
	strbuf_addc(b, '\n');
	write_dns_rules(l, b, rt, nrt, dns, ndns);
	strbuf_adds(b, "    default deny\n}\n");
	return b->oom ? -1 : 0;
}

static int
cmp_wl_name(const void *a, const void *b, void *ctx)
{
	const struct learner *l = ctx;

	return strcmp(l->wl[*(const int *)a].name, l->wl[*(const int *)b].name);
}

int
learn_finish(struct learner *l)
{
	struct item *it = NULL;
	struct rtarget *rt = NULL;
	size_t i, j, nit = 0, nrt = 0;
	int rc = -1;

	if (l->finished)
		return 0;
	l->finished = 1;
	if (l->failures) {
		errno = ENOMEM;
		return -1;
	}
	if (make_workloads(l) < 0)
		return -1;
	if (!(l->order = malloc((l->nwl ? l->nwl : 1) * sizeof(*l->order))))
		return -1;
	for (i = 0; i < l->nwl; i++)
		if (l->wl[i].learned)
			l->order[l->norder++] = (int)i;
	qsort_r(l->order, l->norder, sizeof(*l->order), cmp_wl_name, l);

	if (!(it = calloc(l->nobs ? l->nobs : 1, sizeof(*it))) ||
	    !(rt = calloc(l->nobs + l->nresolvers + 1, sizeof(*rt))))
		goto done;
	for (i = 0; i < l->nobs; i++) {
		const struct lobs *o = &l->obs[i];
		const struct lpeer *p = &l->peer[o->k.peer];
		struct item *e = &it[nit++];
		e->wl = l->ctr[o->k.ctr].wl;
		e->dir = o->k.dir;
		e->resolver = o->k.resolver;
		e->proto = o->k.proto;
		e->hasport = o->k.hasport;
		e->port = o->k.port;
		e->flows = o->flows;
		e->first = o->first;
		e->last = o->last;
		switch (p->kind) {
		case LP_CTR: e->fkind = FP_PROFILE; e->fid = l->ctr[p->ctr].wl; break;
		case LP_HOST: e->fkind = FP_HOST; e->fid = 0; break;
		case LP_DNS: e->fkind = FP_DNS; e->fid = o->k.peer; break;
		default: e->fkind = FP_ADDR; e->fid = o->k.peer; break;
		}
		if (e->resolver && e->dir == DIR_EGRESS && e->fkind == FP_PROFILE)
			l->wl[e->fid].resolver = 1;
	}
	/* A resolver's own lookups (upstream, to other servers) are its
	 * business, not every workload's: rules of its own. */
	for (i = 0; i < nit; i++)
		if (it[i].resolver && it[i].dir == DIR_EGRESS && l->wl[it[i].wl].resolver &&
		    !(it[i].fkind == FP_PROFILE && it[i].fid == it[i].wl))
			it[i].resolver = 0;
	for (i = 0; i < nit; i++) {
		if (!it[i].resolver || it[i].dir != DIR_EGRESS)
			continue;
		rt[nrt].fkind = it[i].fkind;
		rt[nrt++].fid = it[i].fid;
	}
	for (i = 0; i < l->nresolvers; i++) {
		rt[nrt].fkind = FP_ADDR;
		rt[nrt++].fid = l->resolvers[i];
	}
	qsort_r(rt, nrt, sizeof(*rt), cmp_rtarget, l);
	for (i = j = 0; i < nrt; i++)
		if (!j || cmp_peer(l, rt[j - 1].fkind, rt[j - 1].fid, rt[i].fkind, rt[i].fid))
			rt[j++] = rt[i];
	nrt = j;

	/* Merge the observations of replicas into their workload's. */
	qsort_r(it, nit, sizeof(*it), cmp_item, l);
	for (i = j = 0; i < nit; i++) {
		struct item *p = j ? &it[j - 1] : NULL;
		if (p && p->wl == it[i].wl && !cmp_item(p, &it[i], l)) {
			p->flows += it[i].flows;
			if (it[i].first < p->first)
				p->first = it[i].first;
			if (it[i].last > p->last)
				p->last = it[i].last;
			continue;
		}
		it[j++] = it[i];
	}
	nit = j;
	/* Items and learned workloads are both in name order. */
	for (i = 0, j = 0; i < l->norder; i++) {
		int wl = l->order[i];
		size_t a = j;
		while (j < nit && it[j].wl == wl)
			j++;
		if (write_profile(l, wl, it + a, j - a, rt, nrt) < 0)
			goto done;
	}
	rc = 0;
done:
	free(it);
	free(rt);
	return rc;
}

size_t
learn_count(const struct learner *l)
{
	return l->norder;
}

const char *
learn_name(const struct learner *l, size_t i)
{
	return i < l->norder ? l->wl[l->order[i]].name : NULL;
}

void
learn_write(const struct learner *l, size_t i, struct strbuf *b)
{
	const struct strbuf *t;

	if (i >= l->norder)
		return;
	t = &l->wl[l->order[i]].text;
	strbuf_add(b, t->p, t->len);
}

int
learn_check(const struct learner *l, const struct profile_set *set,
            void (*err)(const char *msg, void *data), void *data)
{
	struct inventory inv;
	struct inv_container **c;
	size_t i;
	int errors;

	/* A view of the learner's copies: borrowed, nothing to free but the
	 * array. */
	if (!(c = calloc(l->nctr ? l->nctr : 1, sizeof(*c))))
		return 1;
	for (i = 0; i < l->nctr; i++)
		c[i] = l->ctr[i].c;
	memset(&inv, 0, sizeof(inv));
	inv.c = c;
	inv.n = l->nctr;
	errors = profile_check_set(set, &inv, err, data);
	free(c);
	return errors;
}
