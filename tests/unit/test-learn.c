/* The learner of `cnetmon learn` (profile-learn.c), fed with flow records
 * built here the way the engine builds them, so that every peer kind can be
 * tried, passive DNS names included. Every learned set is loaded back with
 * the real parser and checked against the inventory (profile_check_set), and
 * each profile must select exactly its workload's containers. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "learn.h"
#include "profile.h"

#define T0 1795730400000000000ULL      /* 2026-11-26T22:00:00Z */
#define SEC 1000000000ULL

static struct inventory *inv;
static struct learner *lr;
static struct strbuf out;
static int swapped;      /* build keys with the initiator on side 1 */

static void
setup(void)
{
	struct inv_addr h;

	inv = inventory_new();
	cr_assert(inv);
	cr_assert_eq(inv_addr_parse("10.88.0.1", &h), 0);
	cr_assert_eq(inventory_add_host_addr(inv, &h), 0);
	strbuf_init(&out, 1024);
	lr = NULL;
}

static void
teardown(void)
{
	learn_free(lr);
	inventory_free(inv);
	strbuf_free(&out);
	swapped = 0;
}

/* A container: labels as "k=v" strings, NULL-terminated. */
static struct inv_container *
ctr(const char *name, const char *ip, const char *ns, const char *image, ...)
{
	struct inv_container *c = inv_container_new();
	struct inv_iface *i;
	struct inv_addr a;
	char id[65];
	const char *kv;
	va_list ap;

	cr_assert(c);
	snprintf(id, sizeof(id), "%064zx", inv->n + 1);
	cr_assert_eq(inv_set(&c->id, id), 0);
	cr_assert_eq(inv_set(&c->name, name), 0);
	cr_assert_eq(inv_set(&c->namespace, ns), 0);
	cr_assert_eq(inv_set(&c->image, image), 0);
	va_start(ap, image);
	while ((kv = va_arg(ap, const char *))) {
		char k[128];
		const char *eq = strchr(kv, '=');
		snprintf(k, sizeof(k), "%.*s", (int)(eq - kv), kv);
		cr_assert_eq(inv_container_add_label(c, k, eq + 1), 0);
	}
	va_end(ap);
	cr_assert(i = inv_container_add_iface(c, "eth0"));
	cr_assert_eq(inv_addr_parse(ip, &a), 0);
	cr_assert_eq(inv_iface_add_addr(i, &a), 0);
	cr_assert_eq(inventory_add(inv, c), 0);
	return c;
}

static const struct inv_container *
by_ip(const char *ip)
{
	struct inv_addr a;
	size_t i;

	cr_assert_eq(inv_addr_parse(ip, &a), 0);
	for (i = 0; i < inv->n; i++)
		if (!memcmp(inv->c[i]->ifaces[0].addrs[0].addr, a.addr, 4))
			return inv->c[i];
	return NULL;
}

static void
start(unsigned max_peers)
{
	struct learn_config c;

	learn_config_default(&c);
	if (max_peers)
		c.max_peers = max_peers;
	cr_assert(lr = learn_new(&c));
	cr_assert_eq(learn_add_inventory(lr, inv), 0);
}

/* One flow record, src (the initiator) to dst; containers by address as
 * the engine attributes them; dns names as passive DNS would give them. */
static void
rec(const char *src, int sport, const char *dst, int dport, int proto, const char *dns_dst,
    int sec)
{
	struct flow f;
	struct record r;
	struct inv_addr a;

	int i = swapped, o = !swapped;

	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	/* Keys are canonical (lower endpoint first): the initiator may be on
	 * either side, and records speak in roles. */
	cr_assert_eq(inv_addr_parse(src, &a), 0);
	memcpy(f.key.addr[i], a.addr, 16);
	f.key.family = a.family;
	cr_assert_eq(inv_addr_parse(dst, &a), 0);
	memcpy(f.key.addr[o], a.addr, 16);
	f.key.port[i] = (uint16_t)sport;
	f.key.port[o] = (uint16_t)dport;
	f.key.proto = (uint8_t)proto;
	f.key.noports = proto != 6 && proto != 17 && proto != 132;
	f.init_side = (uint8_t)i;
	f.part = 1;
	f.first_ns = T0 + (uint64_t)sec * SEC;
	f.last_ns = f.first_ns + SEC / 2;
	f.ctr[i] = by_ip(src);
	f.ctr[o] = by_ip(dst);
	r.type = RECORD_FLOW;
	r.flow = &f;
	r.dns[1] = dns_dst;
	learn_record(&r, lr);
}

static void
collect(const char *msg, void *data)
{
	(void)data;
	cr_log_error("%s", msg);
}

/* Finish, write everything, load it back and check it with the inventory;
 * each profile must select exactly the containers of one workload. */
static void
finish_and_check(void)
{
	struct profile_set set = { 0 };
	size_t i, k;

	cr_assert_eq(learn_finish(lr), 0);
	for (i = 0; i < learn_count(lr); i++)
		learn_write(lr, i, &out);
	strbuf_addc(&out, '\0');
	out.len--;
	cr_assert_eq(profile_load_buffer(&set, "learned", out.p, out.len, collect, NULL), 0, "%s",
	             out.p);
	cr_assert_eq(profile_check_set(&set, inv, collect, NULL), 0, "%s", out.p);
	cr_assert_eq(set.n, learn_count(lr));
	for (i = 0; i < set.n; i++) {
		int sel = 0;
		for (k = 0; k < inv->n; k++)
			sel += profile_selects(&set.p[i], inv->c[k]);
		cr_assert_gt(sel, 0, "profile %s selects nothing", set.p[i].name);
	}
	profile_set_free(&set);
}

/* The block of profile name (from "profile NAME {" to its "}"), static. */
static const char *
block(const char *name)
{
	static char buf[16384];
	char head[128];
	const char *p, *e;

	snprintf(head, sizeof(head), "profile %s {\n", name);
	cr_assert(p = strstr(out.p, head), "no profile %s in:\n%s", name, out.p);
	cr_assert(e = strstr(p, "\n}\n"));
	snprintf(buf, sizeof(buf), "%.*s", (int)(e - p + 3), p);
	return buf;
}

static void
shop(void)
{
	ctr("web-a", "10.88.1.11", "shop", "shop/web:2", "app=web", NULL);
	ctr("web-b", "10.88.1.12", "shop", "shop/web:2", "app=web", NULL);
	ctr("web-c", "10.88.1.13", "shop", "shop/web:2", "app=web", NULL);
	ctr("web-staging", "10.88.9.11", "staging", "shop/web:3", "app=web", NULL);
	ctr("api-a", "10.88.2.21", "shop", "shop/api:1", "app.kubernetes.io/name=api", "app=api",
	    NULL);
	ctr("api-b", "10.88.2.22", "shop", "shop/api:1", "app.kubernetes.io/name=api", "app=api",
	    NULL);
	ctr("db-0", "10.88.3.31", NULL, "postgres:16", NULL);
}

TestSuite(learn, .init = setup, .fini = teardown);

Test(learn, replicas_make_one_profile_with_an_exact_selector)
{
	shop();
	start(0);
	rec("10.88.1.11", 40001, "10.88.2.21", 8080, 6, NULL, 1);
	rec("10.88.1.12", 40002, "10.88.2.22", 8080, 6, NULL, 2);
	rec("10.88.1.13", 40003, "10.88.2.21", 8080, 6, NULL, 3);
	rec("10.88.2.22", 40004, "10.88.3.31", 5432, 6, NULL, 4);
	finish_and_check();
	cr_assert_eq(learn_count(lr), 3, "%s", out.p);
	cr_assert_str_eq(learn_name(lr, 0), "api");
	cr_assert_str_eq(learn_name(lr, 1), "postgres");
	cr_assert_str_eq(learn_name(lr, 2), "web");
	/* web of staging shares app=web: the namespace keeps it out. */
	cr_assert(strstr(block("web"), "    match namespace shop label app=web\n"), "%s", out.p);
	cr_assert(strstr(block("api"), "    match namespace shop label app.kubernetes.io/name=api\n"));
	cr_assert(strstr(block("postgres"), "    match image \"postgres:16\"\n"));
	cr_assert(strstr(block("web"), "    egress  allow tcp 8080 to profile api\n"));
	cr_assert(strstr(block("api"), "    ingress allow tcp 8080 from profile web\n"));
	cr_assert(strstr(block("api"), "    egress  allow tcp 5432 to profile postgres\n"));
	cr_assert(strstr(block("postgres"), "    ingress allow tcp 5432 from profile api\n"));
	cr_assert(strstr(block("web"), "    default deny\n"));
	cr_assert(strstr(block("web"), "    # 3 flows, 2026-11-26T22:00:01Z to 2026-11-26T22:00:03Z\n"),
	          "%s", out.p);
	cr_assert(strstr(out.p, "#   3 containers: web-a, web-b, web-c (3 in traffic)\n"));
	/* Nothing about web-staging: it is no replica. */
	cr_assert_null(strstr(out.p, "web-staging"));
}

Test(learn, dns_names_replace_addresses)
{
	shop();
	start(0);
	rec("10.88.2.21", 40001, "3.18.12.63", 443, 6, "api.stripe.com", 1);
	swapped = 1;
	rec("10.88.2.22", 40002, "3.18.12.64", 443, 6, "API.Stripe.com.", 2);
	rec("10.88.1.11", 40009, "10.88.2.22", 8080, 6, NULL, 2);
	swapped = 0;
	rec("10.88.2.22", 40003, "198.51.100.7", 443, 6, NULL, 3);
	/* A name off the wire that is no host name is not written. */
	rec("10.88.2.22", 40004, "198.51.100.8", 443, 6, "evil\" , any", 4);
	finish_and_check();
	cr_assert(strstr(block("api"), "    egress  allow tcp 443 to dns \"api.stripe.com\", "
	          "198.51.100.7, 198.51.100.8\n"), "%s", out.p);
	cr_assert(strstr(block("api"), "    ingress allow tcp 8080 from profile web\n"));
	cr_assert(strstr(block("web"), "    egress  allow tcp 8080 to profile api\n"));
	cr_assert_null(strstr(out.p, "3.18.12.6"));
	cr_assert_null(strstr(out.p, "evil"));
}

Test(learn, host_and_icmp_and_other_protocols)
{
	shop();
	start(0);
	rec("10.88.0.1", 50000, "10.88.1.11", 8081, 6, NULL, 1);
	rec("10.88.0.1", 0, "10.88.3.31", 0, 1, NULL, 2);
	rec("10.88.3.31", 0, "192.0.2.9", 0, 47, NULL, 3);      /* GRE: `any` */
	finish_and_check();
	cr_assert(strstr(block("web"), "    ingress allow tcp 8081 from host\n"));
	cr_assert(strstr(block("postgres"), "    ingress allow icmp from host\n"));
	cr_assert(strstr(block("postgres"), "    egress  allow any to 192.0.2.9\n"), "%s", out.p);
}

Test(learn, ports_collapse_into_lists_and_ranges)
{
	shop();
	start(0);
	rec("10.88.1.11", 40001, "10.88.2.21", 8080, 6, NULL, 1);
	rec("10.88.1.11", 40002, "10.88.2.21", 8081, 6, NULL, 1);
	rec("10.88.1.12", 40003, "10.88.2.22", 8082, 6, NULL, 1);
	rec("10.88.1.12", 40004, "10.88.2.22", 9000, 6, NULL, 1);
	rec("10.88.1.12", 40005, "10.88.2.22", 7000, 6, NULL, 1);
	rec("10.88.1.12", 40006, "10.88.2.22", 8081, 6, NULL, 2);
	rec("10.88.1.12", 40007, "10.88.2.22", 5353, 17, NULL, 2);
	finish_and_check();
	cr_assert(strstr(block("web"), "    egress  allow tcp 7000,8080-8082,9000 to profile api\n"),
	          "%s", out.p);
	cr_assert(strstr(block("web"), "    egress  allow udp 5353 to profile api\n"));
	/* Several peers with one port set share a rule; others get their own. */
	cr_assert(strstr(block("api"), "    ingress allow tcp 7000,8080-8082,9000 from profile web\n"));
}

Test(learn, peers_with_the_same_ports_share_a_rule)
{
	shop();
	start(0);
	rec("10.88.1.11", 40001, "10.88.3.31", 5432, 6, NULL, 1);
	rec("10.88.2.21", 40002, "10.88.3.31", 5432, 6, NULL, 2);
	rec("10.88.0.1", 40003, "10.88.3.31", 5432, 6, NULL, 3);
	rec("192.0.2.50", 40004, "10.88.3.31", 6432, 6, NULL, 3);
	finish_and_check();
	cr_assert(strstr(block("postgres"),
	                 "    # 3 flows (api 1, web 1, host 1), 2026-11-26T22:00:01Z to "
	                 "2026-11-26T22:00:03Z\n"
	                 "    ingress allow tcp 5432 from profile api, profile web, host\n"
	                 "    # 1 flow, 2026-11-26T22:00:03Z\n"
	                 "    ingress allow tcp 6432 from 192.0.2.50\n"), "%s", out.p);
}

Test(learn, many_addresses_become_world)
{
	char ip[32];
	int i;

	shop();
	start(3);
	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", 10 + i);
		rec(ip, 40000 + i, "10.88.1.11", 443, 6, NULL, i);
	}
	rec("10.88.1.11", 40100, "198.51.100.1", 443, 6, NULL, 1);
	rec("10.88.1.11", 40101, "198.51.100.2", 443, 6, NULL, 1);
	finish_and_check();
	cr_assert(strstr(block("web"), "    ingress allow tcp 443 from world\n"), "%s", out.p);
	cr_assert(strstr(block("web"), "(world 5 over 5 peers)"), "%s", out.p);
	cr_assert(strstr(block("web"), "    egress  allow tcp 443 to 198.51.100.1, 198.51.100.2\n"));
}

Test(learn, dns_to_resolvers_is_kept_for_every_workload)
{
	shop();
	start(0);
	cr_assert_eq(learn_add_resolver(lr, "fd00:96::a"), 0);
	cr_assert_eq(learn_add_resolver(lr, "10.0.0.1/8"), -1);       /* host bits */
	cr_assert_eq(learn_add_resolver(lr, "resolver"), -1);
	rec("10.88.1.11", 40001, "10.96.0.10", 53, 17, NULL, 1);
	rec("10.88.1.12", 40002, "10.96.0.10", 53, 6, "kube-dns.example", 2);
	rec("10.88.1.12", 40003, "10.88.2.21", 8080, 6, NULL, 3);
	rec("10.88.3.31", 40004, "10.96.0.11", 53, 17, NULL, 4);
	finish_and_check();
	/* Every learned workload, the one that never looked a name up too. */
	cr_assert(strstr(block("api"), "    egress  allow udp 53 to 10.96.0.10, 10.96.0.11, fd00:96::a\n"
	                               "    egress  allow tcp 53 to 10.96.0.10, 10.96.0.11, fd00:96::a\n"),
	          "%s", out.p);
	cr_assert(strstr(block("web"), "    egress  allow udp 53 to 10.96.0.10, 10.96.0.11, fd00:96::a\n"));
	cr_assert(strstr(block("web"), "# DNS, kept for every workload: 2 lookups, "));
	cr_assert(strstr(block("api"), "# DNS, kept for every workload: no lookup seen"));
	/* The lookups are not rules of their own. */
	cr_assert_null(strstr(block("web"), "egress  allow udp 53 to 10.96.0.10\n"));
	cr_assert_null(strstr(out.p, "kube-dns.example"));
}

Test(learn, no_resolver_known_says_so)
{
	shop();
	start(0);
	rec("10.88.1.11", 40001, "10.88.2.21", 8080, 6, NULL, 1);
	finish_and_check();
	cr_assert(strstr(block("web"), "No DNS resolver was seen: give `cnetmon learn --resolver ADDR`"));
	cr_assert_null(strstr(out.p, " 53 "));
}

Test(learn, a_container_resolver_answers_every_workload)
{
	shop();
	ctr("coredns-1", "10.88.5.51", "kube-system", "coredns:1.11", "k8s-app=kube-dns", NULL);
	ctr("coredns-2", "10.88.5.52", "kube-system", "coredns:1.11", "k8s-app=kube-dns", NULL);
	start(0);
	rec("10.88.1.11", 40001, "10.88.5.51", 53, 17, NULL, 1);
	rec("10.88.2.21", 40002, "10.88.5.52", 53, 17, NULL, 2);
	rec("10.88.1.11", 40003, "10.88.2.21", 8080, 6, NULL, 3);
	rec("10.88.3.31", 40004, "10.88.2.21", 8080, 6, NULL, 3);
	/* Upstream lookups of the resolver stay its own. */
	rec("10.88.5.51", 40005, "8.8.8.8", 53, 17, NULL, 4);
	finish_and_check();
	cr_assert(strstr(block("web"), "    egress  allow udp 53 to profile kube-dns\n"), "%s", out.p);
	cr_assert(strstr(block("postgres"), "    egress  allow tcp 53 to profile kube-dns\n"));
	cr_assert(strstr(block("kube-dns"), "    match namespace kube-system label k8s-app=kube-dns\n"));
	cr_assert(strstr(block("kube-dns"),
	                 "    ingress allow udp 53 from profile api, profile kube-dns, profile postgres, "
	                 "profile web\n"), "%s", out.p);
	cr_assert(strstr(block("kube-dns"), "    egress  allow udp 53 to 8.8.8.8\n"));
	cr_assert_null(strstr(block("web"), "8.8.8.8"));
}

Test(learn, an_ambiguous_label_falls_back_to_an_exact_selector)
{
	/* "app=web" of b would select a (grouped by its more specific label):
	 * b's profile must find another way to name b alone. */
	ctr("a", "10.88.1.1", NULL, "img/a:1", "app.kubernetes.io/name=front", "app=web", NULL);
	ctr("b", "10.88.1.2", NULL, "img/b:1", "app=web", NULL);
	ctr("b2", "10.88.1.3", NULL, "img/b:1", "app=web", NULL);
	ctr("c", "10.88.1.4", NULL, "img/b:1", NULL);
	start(0);
	rec("10.88.1.2", 40001, "10.88.1.1", 80, 6, NULL, 1);
	rec("10.88.1.3", 40002, "10.88.1.1", 80, 6, NULL, 1);
	finish_and_check();
	cr_assert(strstr(block("web"), "    match label app=web image \"img/b:1\"\n"), "%s", out.p);
	cr_assert(strstr(block("front"), "    match label app.kubernetes.io/name=front\n"));
}

Test(learn, names_are_taken_literally_in_selectors)
{
	struct profile_set set = { 0 };
	size_t i;

	ctr("db[1]", "10.88.1.1", NULL, NULL, NULL);
	ctr("db1", "10.88.1.2", NULL, NULL, NULL);
	ctr("x", "10.88.1.3", NULL, "we\"ird*", "team=a b", NULL);
	start(0);
	rec("10.88.1.1", 40001, "10.88.1.2", 80, 6, NULL, 1);
	rec("10.88.1.3", 40001, "10.88.1.2", 80, 6, NULL, 1);
	finish_and_check();
	cr_assert(strstr(out.p, "profile db-1 {\n    match name \"db\\\\[1]\"\n"), "%s", out.p);
	cr_assert(strstr(out.p, "    match image \"we\\\"ird\\\\*\"\n"), "%s", out.p);
	cr_assert_eq(profile_load_buffer(&set, "l", out.p, out.len, collect, NULL), 0);
	for (i = 0; i < set.n; i++) {
		int k, n = 0;
		for (k = 0; k < (int)inv->n; k++)
			n += profile_selects(&set.p[i], inv->c[k]);
		cr_assert_eq(n, 1, "%s selects %d", set.p[i].name, n);
	}
	profile_set_free(&set);
}

Test(learn, name_clashes_get_the_namespace)
{
	ctr("web-a", "10.88.1.1", "shop", NULL, "app=web", NULL);
	ctr("web-b", "10.88.1.2", "blog", NULL, "app=web", NULL);
	start(0);
	rec("10.88.1.1", 40001, "10.88.1.2", 80, 6, NULL, 1);
	finish_and_check();
	cr_assert_str_eq(learn_name(lr, 0), "web");
	cr_assert_str_eq(learn_name(lr, 1), "web.shop");
	cr_assert(strstr(block("web"), "match namespace blog label app=web"));
}

Test(learn, output_does_not_depend_on_record_order)
{
	char *first = NULL;
	int round;

	shop();
	for (round = 0; round < 2; round++) {
		learn_free(lr);
		strbuf_reset(&out);
		start(0);
		if (!round) {
			rec("10.88.1.11", 40001, "10.88.2.21", 8080, 6, NULL, 1);
			rec("10.88.2.21", 40002, "3.18.12.63", 443, 6, "api.stripe.com", 2);
			rec("10.88.0.1", 40003, "10.88.3.31", 5432, 6, NULL, 3);
			rec("10.88.1.12", 40004, "10.96.0.10", 53, 17, NULL, 4);
		} else {
			rec("10.88.1.12", 40004, "10.96.0.10", 53, 17, NULL, 4);
			rec("10.88.0.1", 40003, "10.88.3.31", 5432, 6, NULL, 3);
			rec("10.88.2.21", 40002, "3.18.12.63", 443, 6, "api.stripe.com", 2);
			rec("10.88.1.11", 40001, "10.88.2.21", 8080, 6, NULL, 1);
		}
		finish_and_check();
		if (!round)
			first = strdup(out.p);
	}
	cr_assert_str_eq(out.p, first);
	free(first);
}

Test(learn, alerts_and_container_less_flows_are_ignored)
{
	struct flow f;
	struct record r;
	unsigned long long n, used;

	shop();
	start(0);
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	f.ctr[0] = inv->c[0];
	f.key.family = 4;
	f.part = 1;
	r.type = RECORD_VIOLATION;
	r.flow = &f;
	learn_record(&r, lr);
	rec("192.0.2.1", 1, "192.0.2.2", 2, 6, NULL, 1);
	learn_stats(lr, &n, &used);
	cr_assert_eq(n, 1);
	cr_assert_eq(used, 0);
	cr_assert_eq(learn_finish(lr), 0);
	cr_assert_eq(learn_count(lr), 0);
}
