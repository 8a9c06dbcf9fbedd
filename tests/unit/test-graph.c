/* The communication graph (DESIGN.md "Graph"): records in, edges and nodes
 * out; merge, focus, diff; JSON and msgpack round trips; DOT parsed back
 * by Graphviz's own parser; malformed files refused with FILE: messages. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <graphviz/cgraph.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "inventory.h"

#define NS 1000000000ULL
#define T0 (1795728420ULL * NS)   /* 2026-11-26T21:27:00Z */

static struct inv_container *
ctr(const char *name, const char *image, const char *ns, const char *app)
{
	struct inv_container *c = inv_container_new();

	cr_assert(c);
	cr_assert(inv_set(&c->name, name) == 0);
	if (image)
		cr_assert(inv_set(&c->image, image) == 0);
	if (ns)
		cr_assert(inv_set(&c->namespace, ns) == 0);
	if (app)
		cr_assert(inv_container_add_label(c, "app", app) == 0);
	return c;
}

/* A flow from (a, sport) to (b, dport), initiator on key side 0. */
static void
flow(struct flow *f, const char *a, int sport, const char *b, int dport, uint8_t proto,
     const struct inv_container *ca, const struct inv_container *cb, uint64_t t, uint64_t pk)
{
	memset(f, 0, sizeof(*f));
	f->key.family = strchr(a, ':') ? 6 : 4;
	inet_pton(f->key.family == 6 ? AF_INET6 : AF_INET, a, f->key.addr[0]);
	inet_pton(f->key.family == 6 ? AF_INET6 : AF_INET, b, f->key.addr[1]);
	f->key.port[0] = (uint16_t)sport;
	f->key.port[1] = (uint16_t)dport;
	f->key.proto = proto;
	f->init_side = 0;
	f->first_ns = t;
	f->last_ns = t + NS;
	f->pkts[0] = pk;
	f->pkts[1] = pk;
	f->bytes[0] = pk * 100;
	f->bytes[1] = pk * 50;
	f->ctr[0] = ca;
	f->ctr[1] = cb;
}

static void
add(struct graph *g, const struct flow *f, enum verdict v, const char *p0, const char *p1,
    const char *dns1)
{
	struct record r = { .type = RECORD_FLOW, .flow = f, .node = "host-a", .verdict = v };

	r.ctr_profile[0] = p0;
	r.ctr_profile[1] = p1;
	r.dns[1] = dns1;
	cr_assert(graph_add_record(g, &r) == 0);
}

static struct inv_container *web1, *web2, *api, *odd;

static void
setup(void)
{
	web1 = ctr("web-1", "shop/frontend:2.3", "shop", "web");
	web2 = ctr("web-2", "shop/frontend:2.3", "shop", "web");
	api = ctr("api", "shop/api:1.9", "shop", "api");
	/* Everything a drawing must escape. */
	odd = ctr("we\"ird\\N <b>&]\xff{x}", NULL, "ns\"\n", "x");
}

static void
teardown(void)
{
	inv_container_free(web1);
	inv_container_free(web2);
	inv_container_free(api);
	inv_container_free(odd);
}

/* A small system: replicas to an api, the api to the world and the host,
 * a denial, ICMP, IPv6, and a container with a hostile name. */
static struct graph *
sample(const struct graph_options *opt)
{
	struct graph *g = graph_new("host-a", opt);
	struct inv_addr h;
	struct flow f;

	cr_assert(g);
	cr_assert(inv_addr_parse("192.0.2.10", &h) == 0);
	cr_assert(graph_set_host_addrs(g, &h, 1) == 0);
	flow(&f, "10.0.0.2", 40000, "10.0.0.3", 8080, 6, web1, api, T0, 5);
	add(g, &f, VERDICT_ALLOW, "frontend", "backend", NULL);
	flow(&f, "10.0.0.2", 40001, "10.0.0.3", 8080, 6, web1, api, T0 + 10 * NS, 3);
	add(g, &f, VERDICT_ALLOW, "frontend", "backend", NULL);
	flow(&f, "10.0.0.4", 40002, "10.0.0.3", 8080, 6, web2, api, T0 + 5 * NS, 2);
	add(g, &f, VERDICT_ALLOW, "frontend", "backend", NULL);
	flow(&f, "10.0.0.3", 50000, "169.254.169.254", 80, 6, api, NULL, T0 + 2 * NS, 4);
	add(g, &f, VERDICT_DENY, "backend", NULL, NULL);
	flow(&f, "10.0.0.3", 50001, "169.254.169.254", 80, 6, api, NULL, T0 + 3 * NS, 4);
	add(g, &f, VERDICT_ALLOW, "backend", NULL, NULL);
	flow(&f, "10.0.0.3", 50002, "198.51.100.20", 443, 6, api, NULL, T0 + 4 * NS, 6);
	add(g, &f, VERDICT_ALLOW, "backend", NULL, "api.stripe.com");
	flow(&f, "10.0.0.3", 53000, "192.0.2.10", 53, 17, api, NULL, T0 + 4 * NS, 1);
	add(g, &f, VERDICT_ALLOW, "backend", NULL, NULL);
	flow(&f, "192.0.2.10", 0, "10.0.0.2", 0, 1, NULL, web1, T0 + 20 * NS, 2);
	add(g, &f, VERDICT_UNPROFILED, NULL, "frontend", NULL);
	flow(&f, "2001:db8::7", 33000, "10.0.0.9", 22, 6, NULL, odd, T0 + 30 * NS, 1);
	add(g, &f, VERDICT_UNPROFILED, NULL, NULL, "evil\"<dns>");
	flow(&f, "10.0.0.9", 33001, "203.0.113.5", 443, 6, odd, NULL, T0 + 31 * NS, 1);
	add(g, &f, VERDICT_UNPROFILED, NULL, NULL, NULL);
	return g;
}

static char *
encode(const struct graph *g, enum graph_format fmt, size_t *len)
{
	struct strbuf b;
	char err[256];

	strbuf_init(&b, 1024);
	cr_assert(graph_encode(g, fmt, &b, err, sizeof(err)) == 0, "%s", err);
	if (len)
		*len = b.len;
	strbuf_addc(&b, 0);
	return b.p;
}

TestSuite(graph, .init = setup, .fini = teardown);

Test(graph, edges_from_records)
{
	struct graph *g = sample(NULL);
	struct graph_edge_info e;

	/* One edge per (src, dst, proto, server port): two flows of web-1. */
	cr_assert(graph_edge_get(g, "c:web-1", "c:api", 6, 8080, &e) == 0);
	cr_expect_eq(e.flows, 2);
	cr_expect_eq(e.packets, 16);
	cr_expect_eq(e.bytes, 8 * 150);
	cr_expect_eq(e.first_ns, T0);
	cr_expect_eq(e.last_ns, T0 + 11 * NS);
	cr_expect_eq(e.verdict, VERDICT_ALLOW);
	/* deny wins over allow on one edge. */
	cr_assert(graph_edge_get(g, "c:api", "ip:169.254.169.254", 6, 80, &e) == 0);
	cr_expect_eq(e.verdict, VERDICT_DENY);
	cr_expect_eq(e.flows, 2);
	/* The host is recognised by its address; ICMP has no port. */
	cr_expect(graph_edge_get(g, "c:api", "host", 17, 53, &e) == 0);
	cr_expect(graph_edge_get(g, "host", "c:web-1", 1, -1, &e) == 0);
	cr_expect_eq(e.verdict, VERDICT_UNPROFILED);
	cr_expect(graph_edge_get(g, "ip:2001:db8::7", "c:we\"ird\\N <b>&]\xff{x}", 6, 22, &e) == 0);
	/* The client's port is not part of the edge. */
	cr_expect(graph_edge_get(g, "c:web-1", "c:api", 6, 40000, &e) < 0);
	cr_expect_eq(graph_nedges(g), 8);
	cr_expect_eq(graph_nnodes(g), 9);
	graph_free(g);
}

Test(graph, json_fields)
{
	struct graph *g = sample(NULL);
	char *j = encode(g, GRAPH_JSON, NULL);

	cr_expect(strstr(j, "{\"node\":\"host-a\",\"from\":\"2026-11-26T21:27:00.000000Z\","
	                    "\"to\":\"2026-11-26T21:27:32.000000Z\",\"sources\":[\"host-a\"]"));
	cr_expect(strstr(j, "{\"id\":\"c:api\",\"kind\":\"container\",\"name\":\"api\","
	                    "\"namespace\":\"shop\",\"image\":\"shop/api:1.9\",\"profile\":\"backend\","
	                    "\"labels\":{\"app\":\"api\"}}"));
	cr_expect(strstr(j, "{\"id\":\"ip:198.51.100.20\",\"kind\":\"world\","
	                    "\"addr\":\"198.51.100.20\",\"dns\":\"api.stripe.com\"}"));
	cr_expect(strstr(j, "{\"id\":\"host\",\"kind\":\"host\"}"));
	cr_expect(strstr(j, "{\"src\":\"c:api\",\"dst\":\"ip:169.254.169.254\",\"proto\":\"tcp\","
	                    "\"port\":80,\"flows\":2,\"packets\":16,\"bytes\":1200,"
	                    "\"first_seen\":\"2026-11-26T21:27:02.000000Z\","
	                    "\"last_seen\":\"2026-11-26T21:27:04.000000Z\",\"verdict\":\"deny\"}"));
	cr_expect(strstr(j, "\"proto\":\"icmp\",\"port\":null"));
	/* Invalid UTF-8 in a name is escaped, the file stays JSON. */
	cr_expect(strstr(j, "\\u00ff"));
	free(j);
	graph_free(g);
}

Test(graph, json_and_msgpack_round_trip)
{
	struct graph *g = sample(NULL), *h, *m;
	char err[256], *a, *b, *c, *mp;
	size_t alen, mlen;

	a = encode(g, GRAPH_JSON, &alen);
	h = graph_new(NULL, NULL);
	cr_assert(graph_merge_buffer(h, "a.json", a, alen, err, sizeof(err)) == 0, "%s", err);
	b = encode(h, GRAPH_JSON, NULL);
	/* Identical but for the byte that is not UTF-8: JSON wrote it as
	 * \u00ff, which reads back as U+00FF. */
	cr_expect_eq(strlen(b), strlen(a) - 4 * strlen("\\u00ff") + 4 * strlen("\xc3\xbf"));
	cr_expect(strstr(b, "\"c:we\\\"ird\\\\N <b>&]\xc3\xbf{x}\""));
	mp = encode(g, GRAPH_MSGPACK, &mlen);
	m = graph_new(NULL, NULL);
	cr_assert(graph_merge_buffer(m, "a.msgpack", mp, mlen, err, sizeof(err)) == 0, "%s", err);
	c = encode(m, GRAPH_JSON, NULL);
	cr_expect_str_eq(c, a);
	free(a);
	free(b);
	free(c);
	free(mp);
	graph_free(g);
	graph_free(h);
	graph_free(m);
}

Test(graph, merge_with_itself_doubles_counters)
{
	struct graph *g = sample(NULL), *h = sample(NULL);
	struct graph_edge_info e1, e2;
	char *before = encode(g, GRAPH_JSON, NULL), *after;
	size_t n = graph_nedges(g);

	cr_assert(graph_merge(g, g) == 0);
	cr_expect_eq(graph_nedges(g), n);
	cr_expect_eq(graph_nnodes(g), graph_nnodes(h));
	cr_assert(graph_edge_get(h, "c:web-1", "c:api", 6, 8080, &e1) == 0);
	cr_assert(graph_edge_get(g, "c:web-1", "c:api", 6, 8080, &e2) == 0);
	cr_expect_eq(e2.flows, 2 * e1.flows);
	cr_expect_eq(e2.packets, 2 * e1.packets);
	cr_expect_eq(e2.bytes, 2 * e1.bytes);
	cr_expect_eq(e2.first_ns, e1.first_ns);
	cr_expect_eq(e2.last_ns, e1.last_ns);
	after = encode(g, GRAPH_JSON, NULL);
	cr_expect_str_neq(after, before);
	free(before);
	free(after);
	graph_free(g);
	graph_free(h);
}

Test(graph, merge_two_nodes)
{
	struct graph *a = sample(NULL), *b = graph_new("host-b", NULL);
	struct graph_edge_info e;
	struct flow f;
	char *j;

	flow(&f, "10.1.0.2", 40000, "10.1.0.3", 8080, 6, web1, api, T0 + 100 * NS, 1);
	add(b, &f, VERDICT_DENY, "frontend", "backend", NULL);
	cr_assert(graph_merge(a, b) == 0);
	cr_assert(graph_edge_get(a, "c:web-1", "c:api", 6, 8080, &e) == 0);
	cr_expect_eq(e.flows, 3);
	cr_expect_eq(e.verdict, VERDICT_DENY);
	cr_expect_eq(e.last_ns, T0 + 101 * NS);
	j = encode(a, GRAPH_JSON, NULL);
	cr_expect(strstr(j, "{\"node\":null,"));
	cr_expect(strstr(j, "\"sources\":[\"host-a\",\"host-b\"]"));
	free(j);
	graph_free(a);
	graph_free(b);
}

Test(graph, group_by_label_and_collapse)
{
	const char *nets[] = { "169.254.0.0/16", "198.51.100.0/24", "198.51.0.0/16" };
	struct graph_options o = { .group_by = "label:app", .collapse = nets, .ncollapse = 3 };
	struct graph *g = sample(&o), *h;
	struct graph_edge_info e;
	char *j, err[256];

	cr_assert(graph_edge_get(g, "g:label:app=web", "g:label:app=api", 6, 8080, &e) == 0);
	cr_expect_eq(e.flows, 3);
	cr_expect_eq(graph_node_members(g, "g:label:app=web"), 2);
	/* The most specific range wins; a range keeps no DNS name. */
	cr_expect(graph_edge_get(g, "g:label:app=api", "net:198.51.100.0/24", 6, 443, &e) == 0);
	cr_expect(graph_edge_get(g, "g:label:app=api", "net:169.254.0.0/16", 6, 80, &e) == 0);
	j = encode(g, GRAPH_JSON, NULL);
	cr_expect(strstr(j, "{\"id\":\"g:label:app=web\",\"kind\":\"group\",\"name\":\"app=web\","
	                    "\"count\":2,\"members\":[\"web-1\",\"web-2\"],\"namespace\":\"shop\","
	                    "\"image\":\"shop/frontend:2.3\",\"profile\":\"frontend\"}"));
	cr_expect(strstr(j, "\"addr\":\"198.51.100.0/24\",\"dns\":null}"));
	free(j);
	graph_free(g);

	/* Grouping applies to graphs read from files too. */
	g = sample(NULL);
	j = encode(g, GRAPH_JSON, NULL);
	o.group_by = "image";
	o.ncollapse = 0;
	h = graph_new(NULL, &o);
	cr_assert(graph_merge_buffer(h, "x.json", j, strlen(j), err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(graph_node_members(h, "g:image:shop/frontend:2.3"), 2);
	cr_expect(graph_edge_get(h, "g:image:shop/frontend:2.3", "g:image:shop/api:1.9", 6, 8080,
	                         &e) == 0);
	cr_expect_eq(e.flows, 3);
	free(j);
	graph_free(g);
	graph_free(h);
}

/* A daemon's graph keeps at most max_world world addresses; later ones
 * share one node per family, and nothing is lost from the counters. */
Test(graph, world_cap_folds_later_addresses)
{
	struct graph_options o = { .max_world = 2 };
	struct graph *g = graph_new("host-a", &o);
	struct graph_edge_info e;
	struct flow f;

	cr_assert_not_null(g);
	flow(&f, "10.88.0.2", 40000, "198.51.100.1", 443, 6, web1, NULL, NS, 2);
	add(g, &f, VERDICT_ALLOW, "frontend", NULL, "one.example");
	flow(&f, "10.88.0.2", 40001, "198.51.100.2", 443, 6, web1, NULL, NS, 2);
	add(g, &f, VERDICT_ALLOW, "frontend", NULL, NULL);
	flow(&f, "10.88.0.2", 40002, "198.51.100.3", 443, 6, web1, NULL, NS, 2);
	add(g, &f, VERDICT_DENY, "frontend", NULL, "three.example");
	flow(&f, "fd00:88::2", 40003, "2001:db8::9", 443, 6, web1, NULL, NS, 2);
	add(g, &f, VERDICT_ALLOW, "frontend", NULL, NULL);
	/* The first two stay addresses; the known one keeps being one. */
	flow(&f, "10.88.0.2", 40004, "198.51.100.1", 443, 6, web1, NULL, NS, 2);
	add(g, &f, VERDICT_ALLOW, "frontend", NULL, NULL);
	cr_expect(graph_edge_get(g, "c:web-1", "ip:198.51.100.1", 6, 443, &e) == 0);
	cr_expect_eq(e.flows, 2);
	cr_expect(graph_edge_get(g, "c:web-1", "ip:198.51.100.2", 6, 443, &e) == 0);
	cr_expect(graph_edge_get(g, "c:web-1", "net:0.0.0.0/0", 6, 443, &e) == 0);
	cr_expect_eq(e.flows, 1);
	cr_expect_eq(e.verdict, VERDICT_DENY);
	cr_expect(graph_edge_get(g, "c:web-1", "net:::/0", 6, 443, &e) == 0);
	cr_expect_eq(graph_world_folded(g), 2);
	graph_free(g);
}

Test(graph, bad_options)
{
	const char *bad[] = { "10.0.0.0/33" };
	struct graph_options o1 = { .group_by = "label:" }, o2 = { .collapse = bad, .ncollapse = 1 };
	char err[256];

	cr_expect(graph_options_check(&o1, err, sizeof(err)) < 0);
	cr_expect(strstr(err, "--group-by"));
	cr_expect(graph_options_check(&o2, err, sizeof(err)) < 0);
	cr_expect(strstr(err, "--collapse-world 10.0.0.0/33"));
	cr_expect_null(graph_new(NULL, &o1));
}

Test(graph, focus_keeps_neighbours)
{
	struct graph *g = sample(NULL);
	struct graph_edge_info e;

	cr_assert(graph_focus(g, "web-1") == 0);
	cr_expect(graph_edge_get(g, "c:web-1", "c:api", 6, 8080, &e) == 0);
	cr_expect(graph_edge_get(g, "host", "c:web-1", 1, -1, &e) == 0);
	/* web-2 -> api is not web-1's edge; api's other peers are gone. */
	cr_expect(graph_edge_get(g, "c:web-2", "c:api", 6, 8080, &e) < 0);
	cr_expect_eq(graph_nnodes(g), 3);
	cr_expect_eq(graph_nedges(g), 2);
	cr_expect(graph_focus(g, "nothing-here") < 0);
	graph_free(g);
}

Test(graph, diff_appeared_vanished_changed)
{
	struct graph *a = sample(NULL), *b = sample(NULL);
	struct flow f;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	/* Same system: no difference, even with other counters. */
	cr_assert(graph_merge(b, b) == 0);
	fp = open_memstream(&out, &len);
	cr_expect_eq(graph_diff(a, b, 0, fp), 0);
	fclose(fp);
	cr_expect_str_eq(out, "0 appeared, 0 vanished, 0 changed verdict\n");
	free(out);
	graph_free(b);

	b = graph_new("host-a", NULL);
	flow(&f, "10.0.0.2", 40000, "10.0.0.3", 8080, 6, web1, api, T0, 5);
	add(b, &f, VERDICT_DENY, "frontend", "backend", NULL);             /* changed */
	flow(&f, "10.0.0.2", 40000, "10.0.0.3", 9090, 6, web1, api, T0, 5);
	add(b, &f, VERDICT_ALLOW, "frontend", "backend", NULL);            /* appeared */
	fp = open_memstream(&out, &len);
	cr_expect_eq(graph_diff(a, b, 0, fp), 9);   /* 1 + 7 vanished + 1 */
	fclose(fp);
	cr_expect(strstr(out, "+ c:web-1 -> c:api tcp/9090 allow (1 flow)\n"));
	cr_expect(strstr(out, "- c:api -> ip:169.254.169.254 tcp/80 deny (2 flows)\n"));
	cr_expect(strstr(out, "~ c:web-1 -> c:api tcp/8080 allow -> deny\n"));
	cr_expect(strstr(out, "\n1 appeared, 7 vanished, 1 changed verdict\n"));
	free(out);
	fp = open_memstream(&out, &len);
	cr_expect_eq(graph_diff(a, b, 1, fp), 9);
	fclose(fp);
	cr_expect(strstr(out, "\"verdict\":\"deny\",\"old_verdict\":\"allow\"}"));
	cr_expect(strstr(out, "{\"appeared\":[\n{\"src\":\"c:web-1\",\"dst\":\"c:api\","
	                      "\"proto\":\"tcp\",\"port\":9090"));
	free(out);
	graph_free(a);
	graph_free(b);
}

/* Graphviz's parser accepts the DOT, and sees the nodes, edges and
 * clusters the graph has, hostile names included. */
Test(graph, dot_parses_back)
{
	struct graph *g = sample(NULL);
	char *dot = encode(g, GRAPH_DOT, NULL);
	Agraph_t *ag = agmemread(dot);
	Agnode_t *n;
	int clusters = 0;
	Agraph_t *sub;

	cr_assert(ag, "DOT rejected:\n%s", dot);
	cr_expect_eq(agnnodes(ag), 9 + 1);   /* + the legend */
	cr_expect_eq(agnedges(ag), 8);
	/* DOT keeps a backslash of a quoted string: the id's is doubled. */
	n = agnode(ag, "c:we\"ird\\\\N <b>&]\xef\xbf\xbd{x}", 0);
	cr_expect(n, "hostile name lost");
	for (sub = agfstsubg(ag); sub; sub = agnxtsubg(sub))
		clusters += !strncmp(agnameof(sub), "cluster_", 8);
	cr_expect_eq(clusters, 2);   /* namespace shop, namespace ns"? */
	cr_expect(strstr(dot, "color=\"#d62728\""));
	cr_expect(strstr(dot, "label=\"tcp/80\""));
	agclose(ag);
	free(dot);
	graph_free(g);
}

Test(graph, svg_renders)
{
	struct graph *g = sample(NULL);
	size_t len;
	char *svg = encode(g, GRAPH_SVG, &len);

	cr_expect(strstr(svg, "<svg"));
	cr_expect(strstr(svg, "tcp/8080"));
	cr_expect(strstr(svg, "api.stripe.com"));
	free(svg);
	graph_free(g);
}

Test(graph, deterministic_output)
{
	struct graph *a = sample(NULL), *b = graph_new("host-a", NULL);
	char *x, *y, err[256];

	/* Another insertion order (through a merge) writes the same bytes. */
	x = encode(a, GRAPH_DOT, NULL);
	cr_assert(graph_merge(b, a) == 0);
	y = encode(b, GRAPH_DOT, NULL);
	cr_expect_str_eq(x, y);
	(void)err;
	free(x);
	free(y);
	graph_free(a);
	graph_free(b);
}

static void
expect_bad(const void *data, size_t len, const char *want)
{
	struct graph *g = graph_new(NULL, NULL);
	char err[512] = "";

	cr_assert(g);
	cr_expect(graph_merge_buffer(g, "bad.json", data, len, err, sizeof(err)) < 0,
	          "accepted: %.*s", (int)len, (const char *)data);
	cr_expect(!strncmp(err, "bad.json", 8), "no file name: %s", err);
	cr_expect(strstr(err, want), "'%s' not in '%s'", want, err);
	cr_expect_eq(graph_nedges(g), 0);
	graph_free(g);
}

#define BAD(s, want) expect_bad(s, strlen(s), want)
#define N "\"nodes\":[{\"id\":\"c:a\",\"kind\":\"container\",\"name\":\"a\"},{\"id\":\"host\",\"kind\":\"host\"}]"
#define E(x) "{" N ",\"edges\":[{\"src\":\"c:a\",\"dst\":\"host\",\"proto\":\"tcp\",\"port\":80," \
	"\"flows\":1,\"packets\":2,\"bytes\":3,\"first_seen\":\"2026-11-26T21:27:00.000000Z\"," \
	"\"last_seen\":\"2026-11-26T21:27:01.000000Z\",\"verdict\":\"allow\"" x "}]}"

Test(graph, malformed_files)
{
	static const uint8_t huge[] = { 0x81, 0xa1, 'n', 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t deep[] = { 0x81, 0xa1, 'a', 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
	                                0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
	                                0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
	                                0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0 };
	static const uint8_t binkey[] = { 0x81, 0xc4, 0x01, 'x', 0xc0 };

	BAD("", "not a graph");
	BAD("[]", "not a graph");
	BAD("{\"nodes\":[", "bad.json:1:");
	BAD("{\"edges\":[]}", "\"nodes\": expected an array");
	BAD("{\"nodes\":[],\"edges\":{}}", "\"edges\": expected an array");
	BAD("{\"nodes\":[1],\"edges\":[]}", "nodes[0]: expected an object");
	BAD("{\"nodes\":[{\"kind\":\"host\"}],\"edges\":[]}", "nodes[0]: \"id\": missing");
	BAD("{\"nodes\":[{\"id\":\"x\",\"kind\":\"alien\"}],\"edges\":[]}", "\"kind\": expected");
	BAD("{\"nodes\":[{\"id\":\"c:a\",\"kind\":\"container\"}],\"edges\":[]}", "\"name\": missing");
	BAD("{\"nodes\":[{\"id\":\"ip:x\",\"kind\":\"world\"}],\"edges\":[]}", "not an address");
	BAD("{\"nodes\":[{\"id\":\"ip:10.0.0.0/8\",\"kind\":\"world\"}],\"edges\":[]}",
	    "not an address");
	BAD("{\"nodes\":[{\"id\":\"g:x\",\"kind\":\"group\",\"name\":\"x\",\"members\":[1]}],"
	    "\"edges\":[]}", "\"members\"");
	BAD("{\"nodes\":[{\"id\":\"c:a\",\"kind\":\"container\",\"name\":\"a\",\"labels\":{\"k\":1}}],"
	    "\"edges\":[]}", "\"labels\"");
	BAD("{\"nodes\":[{\"id\":\"c:a\",\"kind\":\"container\",\"name\":\"a\\u0000b\"}],\"edges\":[]}",
	    "NUL");
	BAD("{\"nodes\":[{\"id\":\"host\",\"kind\":\"host\"},{\"id\":\"host\",\"kind\":\"host\"}],"
	    "\"edges\":[]}", "nodes[1]: \"id\": a second node");
	BAD("{\"nodes\":[],\"nodes\":[],\"edges\":[]}", "duplicate");
	BAD("{" N ",\"edges\":[{\"src\":\"c:zz\",\"dst\":\"host\"}]}", "edges[0]: \"proto\": missing");
	BAD("{" N ",\"edges\":[{\"src\":\"c:zz\",\"dst\":\"host\",\"proto\":\"tcp\",\"verdict\":\"allow\","
	    "\"flows\":1,\"packets\":1,\"bytes\":1}]}", "\"src\": no node has this id");
	BAD("{" N ",\"edges\":[{\"src\":\"c:a\",\"dst\":\"host\",\"proto\":\"tcp\",\"port\":70000,"
	    "\"verdict\":\"allow\",\"flows\":1,\"packets\":1,\"bytes\":1}]}", "\"port\"");
	BAD("{" N ",\"edges\":[{\"src\":\"c:a\",\"dst\":\"host\",\"proto\":\"tcp\",\"port\":1,"
	    "\"verdict\":\"maybe\",\"flows\":1,\"packets\":1,\"bytes\":1}]}", "\"verdict\"");
	BAD("{" N ",\"edges\":[{\"src\":\"c:a\",\"dst\":\"host\",\"proto\":\"tcp\",\"port\":1,"
	    "\"verdict\":\"allow\",\"flows\":-1,\"packets\":1,\"bytes\":1}]}", "\"flows\"");
	BAD("{" N ",\"edges\":[{\"src\":\"c:a\",\"dst\":\"host\",\"proto\":\"xyz\",\"port\":1,"
	    "\"verdict\":\"allow\",\"flows\":1,\"packets\":1,\"bytes\":1}]}", "\"proto\"");
	BAD("{" N ",\"edges\":[{\"src\":\"c:a\",\"dst\":\"host\",\"proto\":\"tcp\",\"port\":1,"
	    "\"verdict\":\"allow\",\"flows\":1,\"packets\":1,\"bytes\":1,\"first_seen\":\"yesterday\","
	    "\"last_seen\":\"yesterday\"}]}", "\"first_seen\"");
	expect_bad(huge, sizeof(huge), "a count larger than the data");
	expect_bad(deep, sizeof(deep), "nested too deeply");
	expect_bad(binkey, sizeof(binkey), "not a string");
}

Test(graph, valid_edge_control)
{
	struct graph *g = graph_new(NULL, NULL);
	const char *ok = E("");
	char err[256];

	cr_assert(graph_merge_buffer(g, "ok.json", ok, strlen(ok), err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(graph_nedges(g), 1);
	graph_free(g);
}

Test(graph, formats_by_name)
{
	cr_expect_eq(graph_format_from_path("/x/y/g.json"), GRAPH_JSON);
	cr_expect_eq(graph_format_from_path("g.dot"), GRAPH_DOT);
	cr_expect_eq(graph_format_from_path("g.svg"), GRAPH_SVG);
	cr_expect_eq(graph_format_from_path("g.png"), GRAPH_PNG);
	cr_expect_eq(graph_format_from_path("g.msgpack"), GRAPH_MSGPACK);
	cr_expect_eq(graph_format_from_path("g"), -1);
	cr_expect_eq(graph_format_from_path("a.d/g"), -1);
	cr_expect_eq(graph_format_from_name("txt"), -1);
}
