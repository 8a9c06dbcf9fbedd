/* graph-json.c — the graph as DESIGN.md "Graph" JSON: written with strbuf
 * (one node or edge per line, sorted, so files diff well), read with
 * jansson. Files come from other nodes and other runs: every field is
 * type- and range-checked, and an error says where ("edges[12]: port").
 *
 *   {"node":N|null,"from":T|null,"to":T|null,"sources":[N...],
 *    "nodes":[{"id","kind":"container","name","namespace","image","profile","labels"}
 *             {"id","kind":"group","name","count","members","namespace","image","profile"}
 *             {"id":"host","kind":"host"}
 *             {"id","kind":"world","addr","dns"}],
 *    "edges":[{"src","dst","proto","port","flows","packets","bytes",
 *              "first_seen","last_seen","verdict"}]} */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"
#include "log.h"

static void
str_or_null(struct strbuf *b, const char *s)
{
	if (s)
		strbuf_add_json_string(b, s, strlen(s));
	else
		strbuf_adds(b, "null");
}

/* ["a","b",...] */
static void
str_array(struct strbuf *b, char *const *s, size_t n)
{
	size_t i;

	strbuf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addc(b, ',');
		str_or_null(b, s[i]);
	}
	strbuf_addc(b, ']');
}

static void
time_or_null(struct strbuf *b, uint64_t ns, int known)
{
	if (known)
		strbuf_add_time(b, ns);
	else
		strbuf_adds(b, "null");
}

static void
add_node(struct strbuf *b, const struct gnode *n)
{
	size_t i;

	strbuf_adds(b, "{\"id\":");
	str_or_null(b, n->id);
	strbuf_adds(b, ",\"kind\":\"");
	strbuf_adds(b, graph_kind_name((enum gkind)n->kind));
	strbuf_addc(b, '"');
	switch (n->kind) {
	case GK_CONTAINER:
	case GK_GROUP:
		strbuf_adds(b, ",\"name\":");
		str_or_null(b, n->name);
		if (n->kind == GK_GROUP) {
			strbuf_adds(b, ",\"count\":");
			strbuf_addu64(b, n->nmembers);
			strbuf_adds(b, ",\"members\":");
			str_array(b, n->members, n->nmembers);
		}
		strbuf_adds(b, ",\"namespace\":");
		str_or_null(b, n->namespace);
		strbuf_adds(b, ",\"image\":");
		str_or_null(b, n->image);
		strbuf_adds(b, ",\"profile\":");
		str_or_null(b, n->profile);
		if (n->kind == GK_CONTAINER) {
			strbuf_adds(b, ",\"labels\":{");
			for (i = 0; i < n->nlabels; i++) {
				if (i)
					strbuf_addc(b, ',');
				str_or_null(b, n->labels[i].key);
				strbuf_addc(b, ':');
				str_or_null(b, n->labels[i].value);
			}
			strbuf_addc(b, '}');
		}
		break;
	case GK_WORLD:
		strbuf_adds(b, ",\"addr\":");
		str_or_null(b, n->addr);
		strbuf_adds(b, ",\"dns\":");
		str_or_null(b, n->dns);
		break;
	}
	strbuf_addc(b, '}');
}

void
graph_json_edge(struct strbuf *b, const struct graph *g, const struct gedge *e)
{
	char tmp[4];

	strbuf_reserve(b, 512);
	strbuf_adds(b, "{\"src\":");
	str_or_null(b, g->n[e->src].id);
	strbuf_adds(b, ",\"dst\":");
	str_or_null(b, g->n[e->dst].id);
	strbuf_adds(b, ",\"proto\":\"");
	strbuf_adds(b, graph_proto_name(e->proto, tmp));
	strbuf_adds(b, "\",\"port\":");
	if (e->port < 0)
		strbuf_adds(b, "null");
	else
		strbuf_addu64(b, (uint64_t)e->port);
	strbuf_adds(b, ",\"flows\":");
	strbuf_addu64(b, e->flows);
	strbuf_adds(b, ",\"packets\":");
	strbuf_addu64(b, e->packets);
	strbuf_adds(b, ",\"bytes\":");
	strbuf_addu64(b, e->bytes);
	strbuf_adds(b, ",\"first_seen\":");
	time_or_null(b, e->first_ns, e->first_ns != UINT64_MAX);
	strbuf_adds(b, ",\"last_seen\":");
	time_or_null(b, e->last_ns, e->first_ns != UINT64_MAX);
	strbuf_adds(b, ",\"verdict\":\"");
	strbuf_adds(b, verdict_name((enum verdict)e->verdict));
	strbuf_adds(b, "\"}");
}

int
graph_json_encode(const struct graph *g, struct strbuf *b)
{
	uint32_t *no, *rank, *eo;
	size_t i;

	if (graph_sort(g, &no, &rank, &eo) < 0)
		return -1;
	strbuf_adds(b, "{\"node\":");
	str_or_null(b, g->node);
	strbuf_adds(b, ",\"from\":");
	time_or_null(b, g->from_ns, g->from_ns != UINT64_MAX);
	strbuf_adds(b, ",\"to\":");
	time_or_null(b, g->to_ns, g->from_ns != UINT64_MAX);
	strbuf_adds(b, ",\"sources\":");
	str_array(b, g->sources, g->nsources);
	strbuf_adds(b, ",\n\"nodes\":[");
	for (i = 0; i < g->nn; i++) {
		strbuf_adds(b, i ? ",\n" : "\n");
		add_node(b, &g->n[no[i]]);
	}
	strbuf_adds(b, "],\n\"edges\":[");
	for (i = 0; i < g->ne; i++) {
		strbuf_adds(b, i ? ",\n" : "\n");
		graph_json_edge(b, g, &g->e[eo[i]]);
	}
	strbuf_adds(b, "]}\n");
	free(no);
	free(rank);
	free(eo);
	return b->oom ? -1 : 0;
}

/* --- reading ----------------------------------------------------------------- */

struct rd {
	char *err;
	size_t errlen;
	char where[48];
};

static int
fail(struct rd *r, const char *field, const char *what)
{
	errbuf_set(r->err, r->errlen, "%s%s\"%s\": %s", r->where, r->where[0] ? ": " : "",
	           field, what);
	return -1;
}

/* A string field: required (NULL not accepted) or optional (absent or null
 * gives NULL). Strings with NUL bytes are refused: ids are C strings. */
static int
get_str(struct rd *r, const json_t *o, const char *field, int required, const char **out)
{
	const json_t *v = json_object_get(o, field);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(r, field, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return fail(r, field, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(r, field, "contains a NUL byte");
	*out = json_string_value(v);
	return 0;
}

static int
get_u64(struct rd *r, const json_t *o, const char *field, uint64_t *out)
{
	const json_t *v = json_object_get(o, field);

	if (!v)
		return fail(r, field, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(r, field, "expected a non-negative integer");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_time(struct rd *r, const json_t *o, const char *field, uint64_t *out, int *known)
{
	const char *s;

	*known = 0;
	if (get_str(r, o, field, 0, &s) < 0)
		return -1;
	if (!s)
		return 0;
	if (graph_time_parse(s, out) < 0)
		return fail(r, field, "expected a time like 2026-11-26T21:17:00.123456Z");
	*known = 1;
	return 0;
}

/* Node ids of the file, in its order, for edges to refer to. */
struct idmap {
	const char **id;
	int64_t *at;
	size_t n;
};

static const struct idmap *cmp_map;
static int
cmp_id(const void *a, const void *b)
{
	return strcmp(cmp_map->id[*(const size_t *)a], cmp_map->id[*(const size_t *)b]);
}

static int64_t
map_find(const struct idmap *m, const size_t *order, const char *id)
{
	size_t lo = 0, hi = m->n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(m->id[order[mid]], id);
		if (!c)
			return m->at[order[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int
load_node(struct graph *g, struct rd *r, const json_t *o, const char **idp, int64_t *at)
{
	struct gnode_desc d = { 0 };
	struct inv_label *labels = NULL;
	const char **members = NULL;
	const char *kind, *k;
	const json_t *v, *lv;
	size_t i;
	int rc = -1;

	if (!json_is_object(o)) {
		errbuf_set(r->err, r->errlen, "%s: expected an object", r->where);
		return -1;
	}
	if (get_str(r, o, "id", 1, idp) < 0 || get_str(r, o, "kind", 1, &kind) < 0)
		return -1;
	d.id = *idp;
	if (!strcmp(kind, "container") || !strcmp(kind, "group")) {
		d.kind = kind[0] == 'c' ? GK_CONTAINER : GK_GROUP;
		if (get_str(r, o, "name", 1, &d.name) < 0 ||
		    get_str(r, o, "namespace", 0, &d.namespace) < 0 ||
		    get_str(r, o, "image", 0, &d.image) < 0 ||
		    get_str(r, o, "profile", 0, &d.profile) < 0)
			return -1;
		if (d.kind == GK_GROUP && strncmp(d.id, "g:", 2))
			return fail(r, "id", "a group's id starts with \"g:\"");
	} else if (!strcmp(kind, "host")) {
		d.kind = GK_HOST;
	} else if (!strcmp(kind, "world")) {
		d.kind = GK_WORLD;
		if (get_str(r, o, "addr", 0, &d.addr) < 0 || get_str(r, o, "dns", 0, &d.dns) < 0)
			return -1;
		d.is_net = !strncmp(d.id, "net:", 4);
		if (!d.addr && (!strncmp(d.id, "ip:", 3) || d.is_net))
			d.addr = d.id + (d.is_net ? 4 : 3);
		if (!d.addr)
			return fail(r, "addr", "missing");
	} else
		return fail(r, "kind", "expected container, group, host or world");

	if (d.kind == GK_CONTAINER && (v = json_object_get(o, "labels")) && !json_is_null(v)) {
		if (!json_is_object(v))
			return fail(r, "labels", "expected an object");
		if (json_object_size(v) &&
		    !(labels = calloc(json_object_size(v), sizeof(*labels))))
			goto oom;
		json_object_foreach((json_t *)v, k, lv) {
			if (!json_is_string(lv) ||
			    strlen(json_string_value(lv)) != json_string_length(lv) || !*k) {
				fail(r, "labels", "expected an object of strings");
				goto out;
			}
			labels[d.nlabels].key = (char *)k;
			labels[d.nlabels++].value = (char *)json_string_value(lv);
		}
		d.labels = labels;
	}
	if (d.kind == GK_GROUP) {
		v = json_object_get(o, "members");
		if (!json_is_array(v))
			return fail(r, "members", "expected an array of container names");
		if (json_array_size(v) &&
		    !(members = calloc(json_array_size(v), sizeof(*members))))
			goto oom;
		for (i = 0; i < json_array_size(v); i++) {
			lv = json_array_get(v, i);
			if (!json_is_string(lv) ||
			    strlen(json_string_value(lv)) != json_string_length(lv)) {
				fail(r, "members", "expected an array of container names");
				goto out;
			}
			members[i] = json_string_value(lv);
		}
		d.members = members;
		d.nmembers = json_array_size(v);
	}
	if ((*at = graph_node_get(g, &d)) < 0) {
		if (errno == EINVAL)
			fail(r, "addr", "not an address or CIDR");
		else
			goto oom;
		goto out;
	}
	rc = 0;
	goto out;
oom:
	errbuf_set(r->err, r->errlen, "out of memory");
out:
	free(labels);
	free(members);
	return rc;
}

static int
load_edge(struct graph *g, struct rd *r, const json_t *o, const struct idmap *m,
          const size_t *order)
{
	const char *src, *dst, *proto, *verdict;
	uint64_t flows, packets, bytes, first = UINT64_MAX, last = 0;
	int64_t a, b, port = -1;
	int fk, lk;
	uint8_t p, vd;
	const json_t *v;
	struct gedge *e;

	if (!json_is_object(o)) {
		errbuf_set(r->err, r->errlen, "%s: expected an object", r->where);
		return -1;
	}
	if (get_str(r, o, "src", 1, &src) < 0 || get_str(r, o, "dst", 1, &dst) < 0 ||
	    get_str(r, o, "proto", 1, &proto) < 0 || get_str(r, o, "verdict", 1, &verdict) < 0 ||
	    get_u64(r, o, "flows", &flows) < 0 || get_u64(r, o, "packets", &packets) < 0 ||
	    get_u64(r, o, "bytes", &bytes) < 0 ||
	    get_time(r, o, "first_seen", &first, &fk) < 0 ||
	    get_time(r, o, "last_seen", &last, &lk) < 0)
		return -1;
	if ((a = map_find(m, order, src)) < 0)
		return fail(r, "src", "no node has this id");
	if ((b = map_find(m, order, dst)) < 0)
		return fail(r, "dst", "no node has this id");
	if (graph_proto_parse(proto, &p) < 0)
		return fail(r, "proto", "expected a protocol name or number");
	v = json_object_get(o, "port");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535)
			return fail(r, "port", "expected 0 to 65535 or null");
		port = json_integer_value(v);
	}
	if (!strcmp(verdict, "deny"))
		vd = VERDICT_DENY;
	else if (!strcmp(verdict, "allow"))
		vd = VERDICT_ALLOW;
	else if (!strcmp(verdict, "unprofiled"))
		vd = VERDICT_UNPROFILED;
	else
		return fail(r, "verdict", "expected allow, deny or unprofiled");
	if (fk != lk || (fk && first > last))
		return fail(r, "last_seen", "before first_seen, or only one of them given");
	if (!(e = graph_edge_at(g, (uint32_t)a, (uint32_t)b, p, (int32_t)port))) {
		errbuf_set(r->err, r->errlen, "out of memory");
		return -1;
	}
	graph_edge_widen(g, e, fk ? first : UINT64_MAX, fk ? last : 0, flows, packets, bytes, vd);
	return 0;
}

int
graph_json_load(struct graph *g, const json_t *root, char *err, size_t errlen)
{
	struct rd r = { err, errlen, "" };
	const json_t *nodes, *edges, *v;
	struct idmap m = { 0 };
	size_t i, *order = NULL;
	const char *s;
	uint64_t t;
	int known, rc = -1;

	if (!json_is_object(root)) {
		errbuf_set(err, errlen, "not a graph: expected an object");
		return -1;
	}
	if (get_str(&r, root, "node", 0, &s) < 0)
		return -1;
	if (s && (!(g->node = strdup(s)) || graph_add_source(g, s) < 0))
		goto oom;
	if ((v = json_object_get(root, "sources")) && !json_is_null(v)) {
		if (!json_is_array(v))
			return fail(&r, "sources", "expected an array of node names");
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *sv = json_array_get(v, i);
			if (!json_is_string(sv) ||
			    strlen(json_string_value(sv)) != json_string_length(sv))
				return fail(&r, "sources", "expected an array of node names");
			if (graph_add_source(g, json_string_value(sv)) < 0)
				goto oom;
		}
	}
	if (get_time(&r, root, "from", &t, &known) < 0)
		return -1;
	if (known && t < g->from_ns)
		g->from_ns = t;
	if (get_time(&r, root, "to", &t, &known) < 0)
		return -1;
	if (known && t > g->to_ns)
		g->to_ns = t;
	nodes = json_object_get(root, "nodes");
	edges = json_object_get(root, "edges");
	if (!json_is_array(nodes))
		return fail(&r, "nodes", "expected an array");
	if (!json_is_array(edges))
		return fail(&r, "edges", "expected an array");
	m.n = json_array_size(nodes);
	m.id = calloc(m.n + 1, sizeof(*m.id));
	m.at = calloc(m.n + 1, sizeof(*m.at));
	order = calloc(m.n + 1, sizeof(*order));
	if (!m.id || !m.at || !order)
		goto oom;
	for (i = 0; i < m.n; i++) {
		snprintf(r.where, sizeof(r.where), "nodes[%zu]", i);
		if (load_node(g, &r, json_array_get(nodes, i), &m.id[i], &m.at[i]) < 0)
			goto out;
		order[i] = i;
	}
	cmp_map = &m;
	qsort(order, m.n, sizeof(*order), cmp_id);
	for (i = 1; i < m.n; i++)
		if (!strcmp(m.id[order[i - 1]], m.id[order[i]])) {
			snprintf(r.where, sizeof(r.where), "nodes[%zu]", order[i]);
			fail(&r, "id", "a second node with this id");
			goto out;
		}
	for (i = 0; i < json_array_size(edges); i++) {
		snprintf(r.where, sizeof(r.where), "edges[%zu]", i);
		if (load_edge(g, &r, json_array_get(edges, i), &m, order) < 0)
			goto out;
	}
	rc = 0;
	goto out;
oom:
	errbuf_set(err, errlen, "out of memory");
out:
	free(m.id);
	free(m.at);
	free(order);
	return rc;
}

int
graph_json_decode(struct graph *g, const void *data, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	/* Duplicate keys would make the file mean two things. */
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		errbuf_set(err, errlen, ":%d:%d: %s", je.line, je.column, je.text);
		return -1;
	}
	rc = graph_json_load(g, root, err, errlen);
	json_decref(root);
	return rc;
}
