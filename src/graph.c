/* graph.c — the communication graph's model (DESIGN.md "Graph"): nodes
 * resolved from records or files (groups folded, world ranges collapsed),
 * edges accounted, graphs merged, focused and sorted for the writers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "graph-int.h"
#include "hash.h"
#include "log.h"
#include "log.h"

const char *
graph_proto_name(uint8_t p, char tmp[4])
{
	switch (p) {
	case 1:   return "icmp";
	case 6:   return "tcp";
	case 17:  return "udp";
	case 47:  return "gre";
	case 50:  return "esp";
	case 58:  return "icmpv6";
	case 132: return "sctp";
	default:
		snprintf(tmp, 4, "%u", p);
		return tmp;
	}
}

int
graph_proto_parse(const char *s, uint8_t *p)
{
	static const char *names[] = { "icmp", "tcp", "udp", "gre", "esp", "icmpv6", "sctp" };
	static const uint8_t nums[] = { 1, 6, 17, 47, 50, 58, 132 };
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(nums); i++)
		if (!strcmp(s, names[i])) {
			*p = nums[i];
			return 0;
		}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 255)
		return -1;
	*p = (uint8_t)v;
	return 0;
}

const char *
graph_kind_name(enum gkind k)
{
	switch (k) {
	case GK_CONTAINER: return "container";
	case GK_GROUP:     return "group";
	case GK_HOST:      return "host";
	default:           return "world";
	}
}

int
graph_time_parse(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	unsigned y, mo, d, h, mi, sec, frac = 0, digits = 0;
	int n = 0;
	time_t t;

	if (sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19)
		return -1;
	s += n;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (digits < 9) {
				frac = frac * 10 + (unsigned)(*s - '0');
				digits++;
			}
		if (!digits)
			return -1;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (strcmp(s, "Z") || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	if (t < 0)
		return -1;
	*ns = (uint64_t)t * 1000000000ULL + frac;
	return 0;
}

/* "10.1.2.3/8" -> 10.0.0.0/8 (host bits cleared); -1 when malformed. */
static int
cidr_parse(const char *s, struct gcidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], out[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long plen;
	size_t alen, i;

	memset(c, 0, sizeof(*c));
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = 4;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = 6;
	else
		return -1;
	plen = c->family == 4 ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || *end || plen > (c->family == 4 ? 32u : 128u))
			return -1;
	}
	c->prefix = (uint8_t)plen;
	for (i = 0; i < 16; i++) {
		unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? (unsigned)(plen - i * 8) : 0;
		c->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, out, sizeof(out));
	snprintf(buf, sizeof(buf), "%s/%u", out, c->prefix);
	return (c->text = strdup(buf)) ? 0 : -1;
}

static int
cidr_contains(const struct gcidr *c, int family, const uint8_t *a, unsigned plen)
{
	unsigned i, bits = c->prefix;

	if (c->family != family || plen < bits)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != c->addr[i])
			return 0;
	return !bits || !((a[i] ^ c->addr[i]) & (uint8_t)(0xff00u >> bits));
}

static int
group_parse(const char *s, enum ggroup *kind, const char **key)
{
	*key = NULL;
	if (!s)
		*kind = GG_NONE;
	else if (!strcmp(s, "image"))
		*kind = GG_IMAGE;
	else if (!strcmp(s, "profile"))
		*kind = GG_PROFILE;
	else if (!strncmp(s, "label:", 6) && s[6]) {
		*kind = GG_LABEL;
		*key = s + 6;
	} else
		return -1;
	return 0;
}

int
graph_options_check(const struct graph_options *opt, char *err, size_t errlen)
{
	enum ggroup k;
	const char *key;
	struct gcidr c;
	size_t i;

	if (!opt)
		return 0;
	if (group_parse(opt->group_by, &k, &key) < 0) {
		errbuf_set(err, errlen, "--group-by %s: expected label:KEY, image or profile",
		           opt->group_by);
		return -1;
	}
	for (i = 0; i < opt->ncollapse; i++) {
		if (cidr_parse(opt->collapse[i], &c) < 0) {
			errbuf_set(err, errlen, "--collapse-world %s: not an address or CIDR",
			           opt->collapse[i]);
			return -1;
		}
		free(c.text);
	}
	return 0;
}

struct graph *
graph_new(const char *node, const struct graph_options *opt)
{
	struct graph *g;
	const char *key;
	size_t i;

	if (graph_options_check(opt, NULL, 0) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (!(g = calloc(1, sizeof(*g))))
		return NULL;
	strbuf_init(&g->tmp, 128);
	g->from_ns = UINT64_MAX;
	if (hash_random_key(g->hkey) < 0)
		/* Only collision resistance is lost: carry on with a fixed key. */
		memset(g->hkey, 0x5a, sizeof(g->hkey));
	if (node && (!(g->node = strdup(node)) || graph_add_source(g, node) < 0))
		goto fail;
	if (opt) {
		group_parse(opt->group_by, &g->group, &key);
		if (key && !(g->group_key = strdup(key)))
			goto fail;
		if (opt->ncollapse &&
		    !(g->collapse = calloc(opt->ncollapse, sizeof(*g->collapse))))
			goto fail;
		for (i = 0; i < opt->ncollapse; i++, g->ncollapse++)
			if (cidr_parse(opt->collapse[i], &g->collapse[i]) < 0)
				goto fail;
		g->max_world = opt->max_world;
	}
	if (g->tmp.oom)
		goto fail;
	return g;
fail:
	graph_free(g);
	errno = ENOMEM;
	return NULL;
}

static void
node_clear(struct gnode *n)
{
	size_t i;

	free(n->id);
	free(n->name);
	free(n->namespace);
	free(n->image);
	free(n->profile);
	free(n->dns);
	free(n->addr);
	for (i = 0; i < n->nlabels; i++) {
		free(n->labels[i].key);
		free(n->labels[i].value);
	}
	free(n->labels);
	for (i = 0; i < n->nmembers; i++)
		free(n->members[i]);
	free(n->members);
}

void
graph_free(struct graph *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->nn; i++)
		node_clear(&g->n[i]);
	free(g->n);
	free(g->e);
	free(g->nidx);
	free(g->eidx);
	for (i = 0; i < g->nsources; i++)
		free(g->sources[i]);
	free(g->sources);
	for (i = 0; i < g->ncollapse; i++)
		free(g->collapse[i].text);
	free(g->collapse);
	free(g->host);
	free(g->group_key);
	free(g->node);
	strbuf_free(&g->tmp);
	free(g);
}

int
graph_set_host_addrs(struct graph *g, const struct inv_addr *a, size_t n)
{
	struct inv_addr *c = NULL;

	if (n && !(c = malloc(n * sizeof(*c))))
		return -1;
	if (n)
		memcpy(c, a, n * sizeof(*c));
	free(g->host);
	g->host = c;
	g->nhost = n;
	return 0;
}

/* A sorted set of strings (group members, sources): insert unless present. */
static int
set_add(char ***v, size_t *n, size_t *cap, const char *s)
{
	size_t lo = 0, hi = *n, mid;
	char **nv, *c;
	int cmp;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		cmp = strcmp((*v)[mid], s);
		if (!cmp)
			return 0;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		if (!(nv = realloc(*v, nc * sizeof(*nv))))
			return -1;
		*v = nv;
		*cap = nc;
	}
	if (!(c = strdup(s)))
		return -1;
	memmove(*v + lo + 1, *v + lo, (*n - lo) * sizeof(**v));
	(*v)[lo] = c;
	(*n)++;
	return 0;
}

int
graph_add_source(struct graph *g, const char *node)
{
	size_t cap = g->nsources;   /* exact: set_add doubles when full */

	if (!node)
		return 0;
	/* set_add wants a capacity: the array is always exactly full here. */
	return set_add(&g->sources, &g->nsources, &cap, node);
}

/* --- indexes --------------------------------------------------------------- */

static uint32_t
hash_bytes(const struct graph *g, const void *p, size_t n)
{
	return (uint32_t)siphash13(p, n, g->hkey);
}

static int
nidx_grow(struct graph *g)
{
	size_t cap = g->nidxcap ? g->nidxcap * 2 : 64, i, j;
	uint32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; i < g->nn; i++) {
		const char *id = g->n[i].id;
		j = hash_bytes(g, id, strlen(id)) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = (uint32_t)i + 1;
	}
	free(g->nidx);
	g->nidx = t;
	g->nidxcap = cap;
	return 0;
}

static int64_t
node_find(const struct graph *g, const char *id, size_t len)
{
	size_t j;

	if (!g->nidxcap)
		return -1;
	j = hash_bytes(g, id, len) & (g->nidxcap - 1);
	for (; g->nidx[j]; j = (j + 1) & (g->nidxcap - 1)) {
		const char *k = g->n[g->nidx[j] - 1].id;
		if (!strncmp(k, id, len) && !k[len])
			return g->nidx[j] - 1;
	}
	return -1;
}

struct ekey {
	uint32_t src, dst;
	int32_t port;
	uint32_t proto;
};

static uint32_t
edge_hash(const struct graph *g, uint32_t src, uint32_t dst, uint8_t proto, int32_t port)
{
	struct ekey k = { src, dst, port, proto };

	return hash_bytes(g, &k, sizeof(k));
}

static int
eidx_grow(struct graph *g)
{
	size_t cap = g->eidxcap ? g->eidxcap * 2 : 64, i, j;
	uint32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; i < g->ne; i++) {
		const struct gedge *e = &g->e[i];
		j = edge_hash(g, e->src, e->dst, e->proto, e->port) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = (uint32_t)i + 1;
	}
	free(g->eidx);
	g->eidx = t;
	g->eidxcap = cap;
	return 0;
}

static int64_t
edge_find(const struct graph *g, uint32_t src, uint32_t dst, uint8_t proto, int32_t port)
{
	size_t j;

	if (!g->eidxcap)
		return -1;
	j = edge_hash(g, src, dst, proto, port) & (g->eidxcap - 1);
	for (; g->eidx[j]; j = (j + 1) & (g->eidxcap - 1)) {
		const struct gedge *e = &g->e[g->eidx[j] - 1];
		if (e->src == src && e->dst == dst && e->proto == proto && e->port == port)
			return g->eidx[j] - 1;
	}
	return -1;
}

struct gedge *
graph_edge_at(struct graph *g, uint32_t src, uint32_t dst, uint8_t proto, int32_t port)
{
	int64_t i = edge_find(g, src, dst, proto, port);
	struct gedge *e;
	size_t j;

	if (i >= 0)
		return &g->e[i];
	if (g->ne == g->cape) {
		size_t nc = g->cape ? g->cape * 2 : 64;
		if (nc > UINT32_MAX - 1 || !(e = realloc(g->e, nc * sizeof(*e))))
			return NULL;
		g->e = e;
		g->cape = nc;
	}
	if ((g->ne + 1) * 2 > g->eidxcap && eidx_grow(g) < 0)
		return NULL;
	e = &g->e[g->ne];
	memset(e, 0, sizeof(*e));
	e->src = src;
	e->dst = dst;
	e->proto = proto;
	e->port = port;
	e->first_ns = UINT64_MAX;
	j = edge_hash(g, src, dst, proto, port) & (g->eidxcap - 1);
	while (g->eidx[j])
		j = (j + 1) & (g->eidxcap - 1);
	g->eidx[j] = (uint32_t)++g->ne;
	return e;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void
graph_edge_widen(struct graph *g, struct gedge *e, uint64_t first, uint64_t last,
                 uint64_t flows, uint64_t packets, uint64_t bytes, uint8_t verdict)
{
	e->flows = sat_add(e->flows, flows);
	e->packets = sat_add(e->packets, packets);
	e->bytes = sat_add(e->bytes, bytes);
	if (first < e->first_ns)
		e->first_ns = first;
	if (last > e->last_ns && last != UINT64_MAX)
		e->last_ns = last;
	if (first < g->from_ns)
		g->from_ns = first;
	if (last > g->to_ns && last != UINT64_MAX)
		g->to_ns = last;
	/* deny > allow > unprofiled, the enum's order. */
	if (verdict > e->verdict && verdict <= VERDICT_DENY)
		e->verdict = verdict;
}

/* --- nodes ----------------------------------------------------------------- */

static void
attr_merge(char **field, const char *v, uint8_t *mixed, uint8_t bit, int *oom)
{
	if ((*mixed & bit) || !v)
		return;
	if (!*field) {
		if (!(*field = strdup(v)))
			*oom = 1;
	} else if (strcmp(*field, v)) {
		free(*field);
		*field = NULL;
		*mixed |= bit;
	}
}

static void
fill_null(char **field, const char *v, int *oom)
{
	if (!*field && v && !(*field = strdup(v)))
		*oom = 1;
}

static const char *
label_of(const struct gnode_desc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nlabels; i++)
		if (!strcmp(d->labels[i].key, key))
			return d->labels[i].value;
	return NULL;
}

/* Build d's node id in g->tmp (NUL-terminated). For a container that a
 * group takes, *group is set and *gname points at the group's name
 * (inside g->tmp). */
static int
node_id(struct graph *g, const struct gnode_desc *d, int *group, size_t *gname,
        const struct gcidr **net)
{
	struct strbuf *b = &g->tmp;
	const char *v = NULL;
	char tmp[INET6_ADDRSTRLEN];
	struct gcidr c = { 0 };
	const struct gcidr *best = NULL;
	size_t i;

	strbuf_reset(b);
	*group = 0;
	*net = NULL;
	switch (d->kind) {
	case GK_CONTAINER:
		if (g->group == GG_LABEL && (v = label_of(d, g->group_key))) {
			strbuf_adds(b, "g:label:");
			*gname = b->len;
			strbuf_adds(b, g->group_key);
			strbuf_addc(b, '=');
		} else if (g->group == GG_IMAGE && (v = d->image)) {
			strbuf_adds(b, "g:image:");
			*gname = b->len;
		} else if (g->group == GG_PROFILE && (v = d->profile)) {
			strbuf_adds(b, "g:profile:");
			*gname = b->len;
		}
		if (v) {
			*group = 1;
			strbuf_adds(b, v);
		} else {
			strbuf_adds(b, "c:");
			strbuf_adds(b, d->name);
		}
		break;
	case GK_GROUP:
		*group = 1;
		strbuf_adds(b, d->id);
		*gname = 0;   /* the caller takes d->name */
		break;
	case GK_HOST:
		strbuf_adds(b, "host");
		break;
	case GK_WORLD:
		if (d->family) {
			c.family = (uint8_t)d->family;
			c.prefix = d->family == 4 ? 32 : 128;
			memcpy(c.addr, d->bin, d->family == 4 ? 4 : 16);
		} else {
			if (cidr_parse(d->addr, &c) < 0) {
				errno = EINVAL;
				return -1;
			}
			free(c.text);
			/* An address is written as such, a range as a net node. */
			if (!d->is_net && c.prefix != (c.family == 4 ? 32 : 128)) {
				errno = EINVAL;
				return -1;
			}
		}
		/* The most specific range that holds it wins. */
		for (i = 0; i < g->ncollapse; i++)
			if (cidr_contains(&g->collapse[i], c.family, c.addr, c.prefix) &&
			    (!best || g->collapse[i].prefix > best->prefix))
				best = &g->collapse[i];
		if (best) {
			*net = best;
			strbuf_adds(b, "net:");
			strbuf_adds(b, best->text);
		} else if (d->is_net) {
			char t2[INET6_ADDRSTRLEN];
			inet_ntop(c.family == 4 ? AF_INET : AF_INET6, c.addr, t2, sizeof(t2));
			strbuf_adds(b, "net:");
			strbuf_adds(b, t2);
			strbuf_addc(b, '/');
			strbuf_addu64(b, c.prefix);
		} else {
			inet_ntop(c.family == 4 ? AF_INET : AF_INET6, c.addr, tmp, sizeof(tmp));
			strbuf_adds(b, "ip:");
			strbuf_adds(b, tmp);
		}
		break;
	}
	strbuf_addc(b, 0);
	if (b->oom) {
		strbuf_reset(b);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int64_t
graph_node_get(struct graph *g, const struct gnode_desc *d)
{
	const char *overflow = NULL;
	const struct gcidr *net;
	struct gnode *n;
	size_t gname = 0, i, j;
	int group, oom = 0;
	int64_t k;

	if (node_id(g, d, &group, &gname, &net) < 0)
		return -1;
	k = node_find(g, g->tmp.p, g->tmp.len - 1);
	if (k < 0 && d->kind == GK_WORLD && !net && !d->is_net && g->max_world &&
	    g->nworld >= g->max_world) {
		/* Past the cap, new world addresses share one node per family
		 * (what --collapse-world 0.0.0.0/0 would make): a scan of the
		 * node must not grow a daemon's graph without bound. */
		overflow = strchr(g->tmp.p, ':') != strrchr(g->tmp.p, ':') ? "net:::/0"
		                                                          : "net:0.0.0.0/0";
		strbuf_reset(&g->tmp);
		strbuf_adds(&g->tmp, overflow);
		strbuf_addc(&g->tmp, 0);
		if (g->tmp.oom)
			return -1;
		g->world_folded++;
		k = node_find(g, g->tmp.p, g->tmp.len - 1);
	}
	if (k < 0) {
		if (g->nn == g->capn) {
			size_t nc = g->capn ? g->capn * 2 : 32;
			if (nc > UINT32_MAX - 1 || !(n = realloc(g->n, nc * sizeof(*n))))
				return -1;
			g->n = n;
			g->capn = nc;
		}
		if ((g->nn + 1) * 2 > g->nidxcap && nidx_grow(g) < 0)
			return -1;
		n = &g->n[g->nn];
		memset(n, 0, sizeof(*n));
		if (!(n->id = strdup(g->tmp.p)))
			return -1;
		n->kind = (uint8_t)(group ? GK_GROUP : d->kind);
		if (group)
			n->name = strdup(d->kind == GK_GROUP ? d->name : g->tmp.p + gname);
		else if (d->kind == GK_CONTAINER)
			n->name = strdup(d->name);
		if ((group || d->kind == GK_CONTAINER) && !n->name) {
			free(n->id);
			return -1;
		}
		if (d->kind == GK_WORLD)
			n->addr = strdup(overflow ? overflow + 4 : net ? net->text
			                 : g->tmp.p + (d->is_net ? 4 : 3));
		if (d->kind == GK_WORLD && !overflow && !net && !d->is_net)
			g->nworld++;
		k = (int64_t)g->nn;
		j = hash_bytes(g, n->id, strlen(n->id)) & (g->nidxcap - 1);
		while (g->nidx[j])
			j = (j + 1) & (g->nidxcap - 1);
		g->nidx[j] = (uint32_t)++g->nn;
		if (d->kind == GK_WORLD && !n->addr)
			return -1;
	}
	n = &g->n[k];
	switch (n->kind) {
	case GK_CONTAINER:
		fill_null(&n->namespace, d->namespace, &oom);
		fill_null(&n->image, d->image, &oom);
		fill_null(&n->profile, d->profile, &oom);
		if (!n->nlabels && d->nlabels) {
			if (!(n->labels = calloc(d->nlabels, sizeof(*n->labels))))
				return -1;
			for (i = 0; i < d->nlabels; i++, n->nlabels++) {
				n->labels[i].key = strdup(d->labels[i].key);
				n->labels[i].value = strdup(d->labels[i].value);
				if (!n->labels[i].key || !n->labels[i].value) {
					n->nlabels++;
					return -1;
				}
			}
		}
		break;
	case GK_GROUP:
		attr_merge(&n->namespace, d->namespace, &n->mixed, GMIX_NS, &oom);
		attr_merge(&n->image, d->image, &n->mixed, GMIX_IMAGE, &oom);
		attr_merge(&n->profile, d->profile, &n->mixed, GMIX_PROFILE, &oom);
		if (d->kind == GK_CONTAINER) {
			if (set_add(&n->members, &n->nmembers, &n->capmembers, d->name) < 0)
				return -1;
		} else
			for (i = 0; i < d->nmembers; i++)
				if (set_add(&n->members, &n->nmembers, &n->capmembers,
				            d->members[i]) < 0)
					return -1;
		break;
	case GK_WORLD:
		/* A collapsed range has many names: it keeps none. */
		if (!net && !overflow)
			fill_null(&n->dns, d->dns, &oom);
		break;
	}
	return oom ? -1 : k;
}

/* --- records --------------------------------------------------------------- */

static int
is_host(const struct graph *g, int family, const uint8_t *a)
{
	size_t i;

	for (i = 0; i < g->nhost; i++)
		if (g->host[i].family == family &&
		    !memcmp(g->host[i].addr, a, family == 4 ? 4 : 16))
			return 1;
	return 0;
}

static int64_t
endpoint(struct graph *g, const struct record *r, int side, int i)
{
	const struct flow *f = r->flow;
	const struct inv_container *c = f->ctr[side];
	struct gnode_desc d = { 0 };

	if (c && c->name) {
		d.kind = GK_CONTAINER;
		d.name = c->name;
		d.namespace = c->namespace;
		d.image = c->image;
		d.profile = r->ctr_profile[i];
		d.labels = c->labels;
		d.nlabels = c->nlabels;
	} else if (is_host(g, f->key.family, f->key.addr[side])) {
		d.kind = GK_HOST;
	} else {
		d.kind = GK_WORLD;
		d.family = f->key.family == 6 ? 6 : 4;
		d.bin = f->key.addr[side];
		d.dns = r->dns[i];
	}
	return graph_node_get(g, &d);
}

int
graph_add_record(struct graph *g, const struct record *r)
{
	const struct flow *f = r->flow;
	int s, d, flow = r->type == RECORD_FLOW;
	int64_t a, b;
	int32_t port;
	struct gedge *e;

	if (!f || (r->type != RECORD_FLOW && r->type != RECORD_VIOLATION))
		return 0;
	if (!g->node && r->node &&
	    (!(g->node = strdup(r->node)) || graph_add_source(g, r->node) < 0))
		return -1;
	s = flow_src_side(f);
	d = flow_dst_side(f);
	if ((a = endpoint(g, r, s, 0)) < 0 || (b = endpoint(g, r, d, 1)) < 0)
		return -1;
	port = f->key.noports || f->key.proto == 1 || f->key.proto == 58 ? -1 : f->key.port[d];
	if (!(e = graph_edge_at(g, (uint32_t)a, (uint32_t)b, f->key.proto, port)))
		return -1;
	graph_edge_widen(g, e, f->first_ns, f->last_ns, flow, flow ? f->pkts[0] + f->pkts[1] : 0,
	                 flow ? f->bytes[0] + f->bytes[1] : 0,
	                 flow || r->verdict == VERDICT_DENY ? (uint8_t)r->verdict : 0);
	return 0;
}

void
graph_on_record(const struct record *r, void *data)
{
	static int warned;

	if (graph_add_record(data, r) < 0 && !warned++)
		log_warnx("graph: out of memory, flows are missing from the graph");
}

/* --- merge ----------------------------------------------------------------- */

static void
desc_of(const struct gnode *n, struct gnode_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = (enum gkind)n->kind;
	d->id = n->id;
	d->name = n->name;
	d->namespace = n->namespace;
	d->image = n->image;
	d->profile = n->profile;
	d->dns = n->dns;
	d->labels = n->labels;
	d->nlabels = n->nlabels;
	d->members = (const char *const *)n->members;
	d->nmembers = n->nmembers;
	d->addr = n->addr;
	d->is_net = n->kind == GK_WORLD && !strncmp(n->id, "net:", 4);
}

int
graph_merge(struct graph *dst, const struct graph *src)
{
	struct gnode_desc d;
	int64_t *map, k;
	size_t i, ne = src->ne;   /* src may be dst: merge what was there */
	struct gedge *e;

	if (src->nn && !(map = malloc(src->nn * sizeof(*map))))
		return -1;
	if (!src->nn)
		map = NULL;
	for (i = 0; i < src->nn; i++) {
		desc_of(&src->n[i], &d);
		if ((k = graph_node_get(dst, &d)) < 0) {
			free(map);
			return -1;
		}
		map[i] = k;
	}
	for (i = 0; i < ne; i++) {
		struct gedge s = src->e[i];   /* a copy: dst's array may move */
		if (!(e = graph_edge_at(dst, (uint32_t)map[s.src], (uint32_t)map[s.dst], s.proto,
		                        s.port))) {
			free(map);
			return -1;
		}
		graph_edge_widen(dst, e, s.first_ns, s.last_ns, s.flows, s.packets, s.bytes,
		                 s.verdict);
	}
	free(map);
	if (src->from_ns < dst->from_ns)
		dst->from_ns = src->from_ns;
	if (src->to_ns > dst->to_ns)
		dst->to_ns = src->to_ns;
	if (src != dst)
		for (i = 0; i < src->nsources; i++)
			if (graph_add_source(dst, src->sources[i]) < 0)
				return -1;
	/* One node's graph keeps its name; several nodes' have none. */
	if (!dst->node && dst->nsources == 1 && !(dst->node = strdup(dst->sources[0])))
		return -1;
	if (dst->node && dst->nsources > 1) {
		free(dst->node);
		dst->node = NULL;
	}
	return 0;
}

int
graph_merge_buffer(struct graph *g, const char *name, const void *data, size_t len,
                   char *err, size_t errlen)
{
	struct graph *t;
	const unsigned char *p = data;
	char msg[400];
	size_t i = 0;
	int rc;

	if (!(t = calloc(1, sizeof(*t)))) {
		errbuf_set(err, errlen, "%s: out of memory", name);
		return -1;
	}
	/* The same options as g so that folding happens while reading. */
	memcpy(t, g, sizeof(*t));
	t->node = NULL;
	t->sources = NULL;
	t->nsources = 0;
	t->n = NULL;
	t->e = NULL;
	t->nidx = t->eidx = NULL;
	t->nn = t->capn = t->ne = t->cape = t->nidxcap = t->eidxcap = 0;
	t->from_ns = UINT64_MAX;
	t->to_ns = 0;
	strbuf_init(&t->tmp, 128);
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	msg[0] = 0;
	if (i < len && p[i] == '{')
		rc = graph_json_decode(t, data, len, msg, sizeof(msg));
	else if (i < len && ((p[i] & 0xf0) == 0x80 || p[i] == 0xde || p[i] == 0xdf))
		rc = graph_msgpack_decode(t, data, len, msg, sizeof(msg));
	else {
		rc = -1;
		snprintf(msg, sizeof(msg), "not a graph (neither a JSON object nor a msgpack map)");
	}
	if (rc == 0 && graph_merge(g, t) < 0) {
		rc = -1;
		snprintf(msg, sizeof(msg), "out of memory");
	}
	if (rc < 0)
		errbuf_set(err, errlen, "%s%s%s", name, msg[0] == ':' ? "" : ": ", msg);
	/* The options were g's: do not free them twice. */
	t->group_key = NULL;
	t->collapse = NULL;
	t->ncollapse = 0;
	t->host = NULL;
	t->nhost = 0;
	graph_free(t);
	return rc;
}

#define GRAPH_MAX_FILE (1024UL * 1024 * 1024)

int
graph_merge_file(struct graph *g, const char *path, char *err, size_t errlen)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct strbuf b;
	size_t n;
	int rc;

	if (!fp) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	strbuf_init(&b, 65536);
	for (;;) {
		if (strbuf_reserve(&b, 65536) < 0)
			break;
		n = fread(b.p + b.len, 1, 65536, fp);
		b.len += n;
		if (n < 65536 || b.len > GRAPH_MAX_FILE)
			break;
	}
	if (ferror(fp) || b.oom || b.len > GRAPH_MAX_FILE) {
		errbuf_set(err, errlen, "%s: %s", path,
		           ferror(fp) ? strerror(errno) : b.oom ? "out of memory"
		                                                 : "larger than 1 GiB");
		rc = -1;
	} else
		rc = graph_merge_buffer(g, path, b.p, b.len, err, errlen);
	if (fp != stdin)
		fclose(fp);
	strbuf_free(&b);
	return rc;
}

/* --- focus ----------------------------------------------------------------- */

static int
node_matches(const struct gnode *n, const char *name)
{
	size_t i;

	if (!strcmp(n->id, name) || (n->name && !strcmp(n->name, name)) ||
	    (n->addr && !strcmp(n->addr, name)))
		return 1;
	for (i = 0; i < n->nmembers; i++)
		if (!strcmp(n->members[i], name))
			return 1;
	return 0;
}

int
graph_focus(struct graph *g, const char *name)
{
	uint32_t *remap;
	uint8_t *keep;
	size_t i, nn = 0, ne = 0, found = 0;

	for (i = 0; i < g->nn; i++)
		if ((g->n[i].keep = (uint8_t)node_matches(&g->n[i], name)))
			found++;
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	/* Mark neighbours (keep 2) of the focused nodes (keep 1). */
	for (i = 0; i < g->ne; i++) {
		struct gnode *s = &g->n[g->e[i].src], *d = &g->n[g->e[i].dst];
		if (s->keep == 1 && !d->keep)
			d->keep = 2;
		if (d->keep == 1 && !s->keep)
			s->keep = 2;
	}
	if (!(remap = malloc(g->nn * sizeof(*remap))) || !(keep = malloc(g->nn))) {
		free(remap);
		return -1;
	}
	for (i = 0; i < g->nn; i++) {
		keep[i] = g->n[i].keep;
		if (!keep[i]) {
			node_clear(&g->n[i]);
			continue;
		}
		remap[i] = (uint32_t)nn;
		g->n[nn++] = g->n[i];
	}
	g->nn = nn;
	g->from_ns = UINT64_MAX;
	g->to_ns = 0;
	for (i = 0; i < g->ne; i++) {
		struct gedge e = g->e[i];
		/* Edges among neighbours are not the focused node's. */
		if (!keep[e.src] || !keep[e.dst] || (keep[e.src] != 1 && keep[e.dst] != 1))
			continue;
		e.src = remap[e.src];
		e.dst = remap[e.dst];
		if (e.first_ns < g->from_ns)
			g->from_ns = e.first_ns;
		if (e.last_ns > g->to_ns)
			g->to_ns = e.last_ns;
		g->e[ne++] = e;
	}
	g->ne = ne;
	free(remap);
	free(keep);
	/* Rebuild both indexes for the new positions. */
	free(g->nidx);
	free(g->eidx);
	g->nidx = g->eidx = NULL;
	g->nidxcap = g->eidxcap = 0;
	while (g->nidxcap < g->nn * 2 + 2)
		if (nidx_grow(g) < 0)
			return -1;
	while (g->eidxcap < g->ne * 2 + 2)
		if (eidx_grow(g) < 0)
			return -1;
	return 0;
}

/* --- sorting, inspection ---------------------------------------------------- */

static const struct graph *sort_g;
static const uint32_t *sort_rank;

static int
cmp_node(const void *a, const void *b)
{
	return strcmp(sort_g->n[*(const uint32_t *)a].id, sort_g->n[*(const uint32_t *)b].id);
}

static int
cmp_edge(const void *a, const void *b)
{
	const struct gedge *x = &sort_g->e[*(const uint32_t *)a];
	const struct gedge *y = &sort_g->e[*(const uint32_t *)b];

	if (x->src != y->src)
		return sort_rank[x->src] < sort_rank[y->src] ? -1 : 1;
	if (x->dst != y->dst)
		return sort_rank[x->dst] < sort_rank[y->dst] ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

int
graph_sort(const struct graph *g, uint32_t **norder, uint32_t **rank, uint32_t **eorder)
{
	uint32_t *no = malloc((g->nn + 1) * sizeof(*no));
	uint32_t *rk = malloc((g->nn + 1) * sizeof(*rk));
	uint32_t *eo = malloc((g->ne + 1) * sizeof(*eo));
	size_t i;

	if (!no || !rk || !eo) {
		free(no);
		free(rk);
		free(eo);
		return -1;
	}
	for (i = 0; i < g->nn; i++)
		no[i] = (uint32_t)i;
	for (i = 0; i < g->ne; i++)
		eo[i] = (uint32_t)i;
	/* qsort has no context argument in C11: writers are not reentrant
	 * across threads, which the graph never is. */
	sort_g = g;
	qsort(no, g->nn, sizeof(*no), cmp_node);
	for (i = 0; i < g->nn; i++)
		rk[no[i]] = (uint32_t)i;
	sort_rank = rk;
	qsort(eo, g->ne, sizeof(*eo), cmp_edge);
	*norder = no;
	*rank = rk;
	*eorder = eo;
	return 0;
}

uint64_t
graph_world_folded(const struct graph *g)
{
	return g->world_folded;
}

size_t
graph_nnodes(const struct graph *g)
{
	return g->nn;
}

size_t
graph_nedges(const struct graph *g)
{
	return g->ne;
}

int
graph_edge_get(const struct graph *g, const char *src, const char *dst, uint8_t proto,
               int port, struct graph_edge_info *out)
{
	int64_t a = node_find(g, src, strlen(src)), b = node_find(g, dst, strlen(dst)), i;

	if (a < 0 || b < 0 || (i = edge_find(g, (uint32_t)a, (uint32_t)b, proto, port)) < 0)
		return -1;
	out->flows = g->e[i].flows;
	out->packets = g->e[i].packets;
	out->bytes = g->e[i].bytes;
	out->first_ns = g->e[i].first_ns;
	out->last_ns = g->e[i].last_ns;
	out->verdict = (enum verdict)g->e[i].verdict;
	return 0;
}

size_t
graph_node_members(const struct graph *g, const char *id)
{
	int64_t i = node_find(g, id, strlen(id));

	if (i < 0)
		return 0;
	return g->n[i].kind == GK_GROUP ? g->n[i].nmembers : 1;
}

/* --- formats, writing -------------------------------------------------------- */

int
graph_format_from_name(const char *name)
{
	static const char *names[] = { "json", "dot", "svg", "png", "msgpack" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	if (!strcmp(name, "gv"))
		return GRAPH_DOT;
	if (!strcmp(name, "mpk") || !strcmp(name, "msgpk"))
		return GRAPH_MSGPACK;
	return -1;
}

int
graph_format_from_path(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (!dot || (slash && slash > dot) || dot == path || (slash && dot == slash + 1))
		return -1;
	return graph_format_from_name(dot + 1);
}

int
graph_output_format(const char *path)
{
	int f = graph_format_from_path(path);

	if (f < 0)
		log_warnx("-g %s: the extension says the format: .json, .dot, .svg, .png or .msgpack",
		          path);
	return f;
}

int
graph_encode(const struct graph *g, enum graph_format f, struct strbuf *b, char *err,
             size_t errlen)
{
	int rc;

	switch (f) {
	case GRAPH_JSON:    rc = graph_json_encode(g, b); break;
	case GRAPH_DOT:     rc = graph_dot_encode(g, b); break;
	case GRAPH_MSGPACK: rc = graph_msgpack_encode(g, b); break;
	case GRAPH_SVG:
	case GRAPH_PNG:     return graph_render(g, f, b, err, errlen);
	default:
		errbuf_set(err, errlen, "unknown graph format");
		return -1;
	}
	if (rc < 0 || b->oom) {
		errbuf_set(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
graph_write(const struct graph *g, enum graph_format f, const char *path, char *err,
            size_t errlen)
{
	struct strbuf b;
	char *tmp = NULL, e2[256];
	int fd = -1, rc = -1;
	size_t off = 0;
	ssize_t n;

	strbuf_init(&b, 65536);
	if (graph_encode(g, f, &b, e2, sizeof(e2)) < 0) {
		errbuf_set(err, errlen, "%s: %s", path, e2);
		goto out;
	}
	if (!strcmp(path, "-"))
		fd = STDOUT_FILENO;
	else {
		/* Beside the target, so that rename(2) replaces it in one step:
		 * a reader never sees half a graph. */
		if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
			tmp = NULL;
			errbuf_set(err, errlen, "%s: out of memory", path);
			goto out;
		}
		if ((fd = mkstemp(tmp)) < 0) {
			errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
			free(tmp);
			tmp = NULL;
			goto out;
		}
		fchmod(fd, 0644);
	}
	while (off < b.len) {
		n = write(fd, b.p + off, b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errbuf_set(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)n;
	}
	if (tmp) {
		if (close(fd) < 0) {
			fd = -1;
			errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		fd = -1;
		if (rename(tmp, path) < 0) {
			errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		free(tmp);
		tmp = NULL;
	}
	rc = 0;
out:
	if (tmp) {
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
	}
	strbuf_free(&b);
	return rc;
}
