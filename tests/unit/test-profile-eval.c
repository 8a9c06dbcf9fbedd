/* Judging flows (DESIGN.md "Profiles"): both sides, first match, default,
 * every peer kind the wire alone decides, --strict, what a record says;
 * and alert folding within the window. Flows are built the way the flow
 * table leaves them after attribution. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "attrib.h"
#include "inventory.h"
#include "nat.h"
#include "output.h"
#include "profile.h"

static const char *policy =
    "profile frontend {\n"                                        /* 1 */
    "    match name \"shop-frontend-*\"\n"                        /* 2 */
    "    ingress allow tcp 80,443 from any\n"                     /* 3 */
    "    ingress allow icmp from host\n"                          /* 4 */
    "    egress  deny  any to 169.254.169.254\n"                  /* 5 */
    "    egress  allow tcp 8080-8089 to profile backend\n"        /* 6 */
    "    egress  allow udp 53 to 10.96.0.10\n"                    /* 7 */
    "    egress  allow tcp 443 to world\n"                        /* 8 */
    "    default deny\n"                                          /* 9 */
    "}\n"                                                         /* 10 */
    "profile backend {\n"                                         /* 11 */
    "    match label app=backend\n"                               /* 12 */
    "    ingress allow tcp 8080 from label tier=web\n"            /* 13 */
    "    ingress deny  tcp 8081 from any\n"                       /* 14 */
    "    ingress allow tcp 8081-8089 from container \"shop-*\"\n" /* 15 */
    "    egress  allow tcp 5432 to fd00:db::/64\n"                /* 16 */
    "    default allow\n"                                         /* 17 */
    "}\n";

struct fixture {
	struct profile_set set;
	struct inventory *inv;
	struct attrib *attrib;
	struct profile_eval *pe;
	struct inv_container *fe, *be, *other;
};

static struct inv_container *
mkctr(struct inventory *inv, const char *name, const char *app, const char *tier,
      const char *addr)
{
	struct inv_container *c = inv_container_new();
	struct inv_iface *i;
	struct inv_addr a;

	inv_set(&c->name, name);
	if (app)
		inv_container_add_label(c, "app", app);
	if (tier)
		inv_container_add_label(c, "tier", tier);
	i = inv_container_add_iface(c, "eth0");
	cr_assert(inv_addr_parse(addr, &a) == 0);
	inv_iface_add_addr(i, &a);
	inventory_add(inv, c);
	return c;
}

static void
setup_text(struct fixture *fx, const char *text, int strict)
{
	struct inv_addr h;

	memset(fx, 0, sizeof(*fx));
	cr_assert_eq(profile_load_buffer(&fx->set, "t.profile", text, strlen(text), NULL, NULL), 0);
	fx->inv = inventory_new();
	fx->fe = mkctr(fx->inv, "shop-frontend-1", "frontend", "web", "10.0.0.2");
	fx->be = mkctr(fx->inv, "shop-backend-1", "backend", NULL, "10.0.0.3");
	fx->other = mkctr(fx->inv, "batch", NULL, "web", "10.0.0.4");
	cr_assert(inv_addr_parse("192.0.2.10", &h) == 0);
	inventory_add_host_addr(fx->inv, &h);
	cr_assert_eq(profile_check_set(&fx->set, fx->inv, NULL, NULL), 0);
	fx->attrib = attrib_build(fx->inv);
	fx->pe = profile_eval_new(&fx->set, fx->attrib, NULL, strict);
	cr_assert(fx->pe);
}

static void
setup(struct fixture *fx, int strict)
{
	setup_text(fx, policy, strict);
}

static void
teardown(struct fixture *fx)
{
	profile_eval_free(fx->pe);
	attrib_free(fx->attrib);
	inventory_free(fx->inv);
	profile_set_free(&fx->set);
}

/* A flow from (a, ap) to (b, bp): side 0 the initiator, containers by address. */
static void
mkflow(struct fixture *fx, struct flow *f, int proto, const char *a, int ap, const char *b, int bp)
{
	int family = strchr(a, ':') ? 6 : 4;

	memset(f, 0, sizeof(*f));
	f->key.family = (uint8_t)family;
	f->key.proto = (uint8_t)proto;
	cr_assert(inet_pton(family == 6 ? AF_INET6 : AF_INET, a, f->key.addr[0]) == 1);
	cr_assert(inet_pton(family == 6 ? AF_INET6 : AF_INET, b, f->key.addr[1]) == 1);
	f->key.port[0] = (uint16_t)ap;
	f->key.port[1] = (uint16_t)bp;
	f->init_side = 0;
	f->ctr[0] = attrib_by_ip(fx->attrib, family, f->key.addr[0]);
	f->ctr[1] = attrib_by_ip(fx->attrib, family, f->key.addr[1]);
}

static struct judgement
judge(struct fixture *fx, int proto, const char *a, int ap, const char *b, int bp,
      struct record *r)
{
	struct flow f;
	struct judgement j;

	mkflow(fx, &f, proto, a, ap, b, bp);
	profile_eval_judge(fx->pe, &f, 0, &j);
	if (r) {
		memset(r, 0, sizeof(*r));
		profile_eval_describe(fx->pe, &j, &f, r);
	}
	return j;
}

#define expect_str(got, want) \
	cr_expect((got) && !strcmp((got), (want)), "%s: got %s, want %s", #got, (got) ? (got) : "NULL", (want))

Test(profile_eval, both_sides_allow)
{
	struct fixture fx;
	struct record r;
	struct judgement j;

	setup(&fx, 0);
	/* frontend egress line 6 (profile peer), backend ingress line 13 (label peer). */
	j = judge(&fx, 6, "10.0.0.2", 40000, "10.0.0.3", 8080, &r);
	cr_expect_eq(j.verdict, VERDICT_ALLOW);
	cr_expect_eq(j.denied, 0);
	expect_str(r.direction, "egress");
	expect_str(r.profile, "frontend");
	expect_str(r.rule, "t.profile:6");
	expect_str(r.reason, "explicit allow");
	cr_expect_null(r.denied_by);
	expect_str(r.ctr_profile[0], "frontend");
	expect_str(r.ctr_profile[1], "backend");
	teardown(&fx);
}

Test(profile_eval, ingress_side_denies_first_match)
{
	struct fixture fx;
	struct record r;
	struct judgement j;

	setup(&fx, 0);
	/* frontend allows 8081 (6: 8080-8089), backend's line 14 denies it
	 * before line 15 would allow: first match wins. */
	j = judge(&fx, 6, "10.0.0.2", 40001, "10.0.0.3", 8081, &r);
	cr_expect_eq(j.verdict, VERDICT_DENY);
	cr_expect_eq(j.denied, 2);
	expect_str(r.direction, "ingress");
	expect_str(r.profile, "backend");
	expect_str(r.rule, "t.profile:14");
	expect_str(r.reason, "explicit deny");
	expect_str(r.denied_by, "ingress");
	/* 8082: line 15 allows the container glob. */
	j = judge(&fx, 6, "10.0.0.2", 40002, "10.0.0.3", 8082, NULL);
	cr_expect_eq(j.verdict, VERDICT_ALLOW);
	teardown(&fx);
}

Test(profile_eval, egress_explicit_and_default)
{
	struct fixture fx;
	struct record r;
	struct judgement j;

	setup(&fx, 0);
	/* Metadata: line 5 denies any protocol, before line 8 would allow 443 to world. */
	j = judge(&fx, 6, "10.0.0.2", 40003, "169.254.169.254", 443, &r);
	cr_expect_eq(j.verdict, VERDICT_DENY);
	expect_str(r.rule, "t.profile:5");
	expect_str(r.denied_by, "egress");
	/* world on 443: line 8. */
	j = judge(&fx, 6, "10.0.0.2", 40004, "198.51.100.7", 443, &r);
	cr_expect_eq(j.verdict, VERDICT_ALLOW);
	expect_str(r.rule, "t.profile:8");
	/* the host is not world: default deny. */
	j = judge(&fx, 6, "10.0.0.2", 40005, "192.0.2.10", 443, &r);
	cr_expect_eq(j.verdict, VERDICT_DENY);
	expect_str(r.rule, "default");
	expect_str(r.reason, "default deny");
	/* udp 53 to the resolver address, not to another. */
	cr_expect_eq(judge(&fx, 17, "10.0.0.2", 5353, "10.96.0.10", 53, NULL).verdict, VERDICT_ALLOW);
	cr_expect_eq(judge(&fx, 17, "10.0.0.2", 5353, "10.96.0.11", 53, NULL).verdict, VERDICT_DENY);
	/* A container is not world either. */
	cr_expect_eq(judge(&fx, 6, "10.0.0.2", 40006, "10.0.0.4", 443, NULL).verdict, VERDICT_DENY);
	teardown(&fx);
}

Test(profile_eval, ingress_from_world_and_host_icmp)
{
	struct fixture fx;
	struct record r;
	struct judgement j;

	setup(&fx, 0);
	j = judge(&fx, 6, "203.0.113.9", 50000, "10.0.0.2", 443, &r);
	cr_expect_eq(j.verdict, VERDICT_ALLOW);
	expect_str(r.direction, "ingress");
	expect_str(r.rule, "t.profile:3");
	cr_expect_null(r.ctr_profile[0]);
	/* ICMP (no ports) from the host: line 4; from elsewhere: default. */
	cr_expect_eq(judge(&fx, 1, "192.0.2.10", 0, "10.0.0.2", 0, NULL).verdict, VERDICT_ALLOW);
	cr_expect_eq(judge(&fx, 1, "203.0.113.9", 0, "10.0.0.2", 0, NULL).verdict, VERDICT_DENY);
	/* A port-list rule never matches ICMP: tcp 80,443 from any did not. */
	teardown(&fx);
}

Test(profile_eval, cidr_v6_and_default_allow)
{
	struct fixture fx;
	struct record r;
	struct judgement j;

	setup(&fx, 0);
	j = judge(&fx, 6, "10.0.0.3", 40000, "10.0.0.9", 22, &r);
	cr_expect_eq(j.verdict, VERDICT_ALLOW);
	expect_str(r.reason, "default allow");
	expect_str(r.rule, "default");
	teardown(&fx);
}

Test(profile_eval, unprofiled_and_strict)
{
	struct fixture fx;
	struct record r;
	struct judgement j;

	setup(&fx, 0);
	/* batch is selected by no profile: it judges nothing; backend's
	 * ingress (label tier=web on 8080) allows. */
	j = judge(&fx, 6, "10.0.0.4", 40000, "10.0.0.3", 8080, &r);
	cr_expect_eq(j.verdict, VERDICT_ALLOW);
	expect_str(r.direction, "ingress");
	/* batch to the world: nobody judges. */
	j = judge(&fx, 6, "10.0.0.4", 40000, "198.51.100.7", 80, &r);
	cr_expect_eq(j.verdict, VERDICT_UNPROFILED);
	expect_str(r.direction, "egress");
	cr_expect_null(r.rule);
	cr_expect_null(r.reason);
	/* Neither end a container. */
	j = judge(&fx, 6, "198.51.100.8", 40000, "198.51.100.7", 80, &r);
	cr_expect_eq(j.verdict, VERDICT_UNPROFILED);
	cr_expect_null(r.direction);
	teardown(&fx);

	setup(&fx, 1);
	j = judge(&fx, 6, "10.0.0.4", 40000, "198.51.100.7", 80, &r);
	cr_expect_eq(j.verdict, VERDICT_DENY);
	expect_str(r.reason, "unprofiled container (--strict)");
	expect_str(r.denied_by, "egress");
	/* Still never a non-container side. */
	cr_expect_eq(judge(&fx, 6, "198.51.100.8", 1, "198.51.100.7", 80, NULL).verdict,
	             VERDICT_UNPROFILED);
	teardown(&fx);
}

/* Up to 64 rules a direction are found through the port-segment index,
 * more by a scan: both must give the first matching rule. The same rules
 * come after 4 or after 80 non-matching ones. */
static void
first_match_behind(int fillers)
{
	struct fixture fx;
	struct record r;
	char text[16384], line[64], want[32];
	size_t at = 0;
	int i, base;

	at += (size_t)snprintf(text + at, sizeof(text) - at,
	                       "profile frontend {\n    match name \"shop-frontend-*\"\n");
	for (i = 0; i < fillers; i++) {
		snprintf(line, sizeof(line), "    egress deny tcp %d to any\n", 20000 + i);
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s", line);
	}
	base = 3 + fillers;          /* the line of the first rule below */
	at += (size_t)snprintf(text + at, sizeof(text) - at,
	    "    egress deny tcp 8081 to any\n"                 /* base */
	    "    egress allow tcp 8000-8100 to 10.0.0.0/24\n"    /* base + 1 */
	    "    egress allow udp 53 to any\n"                   /* base + 2 */
	    "    egress allow any to host\n"                     /* base + 3 */
	    "    default deny\n}\n");
	setup_text(&fx, text, 0);
	cr_expect_eq(judge(&fx, 6, "10.0.0.2", 40000, "10.0.0.3", 8081, &r).verdict, VERDICT_DENY);
	snprintf(want, sizeof(want), "t.profile:%d", base);
	expect_str(r.rule, want);
	cr_expect_eq(judge(&fx, 6, "10.0.0.2", 40000, "10.0.0.3", 8080, &r).verdict, VERDICT_ALLOW);
	snprintf(want, sizeof(want), "t.profile:%d", base + 1);
	expect_str(r.rule, want);
	cr_expect_eq(judge(&fx, 17, "10.0.0.2", 5353, "198.51.100.1", 53, &r).verdict,
	             VERDICT_ALLOW);
	snprintf(want, sizeof(want), "t.profile:%d", base + 2);
	expect_str(r.rule, want);
	/* ICMP has no port: only port-less rules are candidates. */
	cr_expect_eq(judge(&fx, 1, "10.0.0.2", 0, "192.0.2.10", 0, &r).verdict, VERDICT_ALLOW);
	snprintf(want, sizeof(want), "t.profile:%d", base + 3);
	expect_str(r.rule, want);
	/* A filler's own port: its deny decides. */
	cr_expect_eq(judge(&fx, 6, "10.0.0.2", 40000, "10.0.0.3", 20000 + fillers - 1, &r).verdict,
	             VERDICT_DENY);
	snprintf(want, sizeof(want), "t.profile:%d", base - 1);
	expect_str(r.rule, want);
	/* Nothing matches: the default. */
	cr_expect_eq(judge(&fx, 6, "10.0.0.2", 40000, "198.51.100.1", 9999, &r).verdict,
	             VERDICT_DENY);
	expect_str(r.rule, "default");
	teardown(&fx);
}

Test(profile_eval, first_match_indexed_and_scanned)
{
	first_match_behind(4);       /* 8 rules: the index */
	first_match_behind(80);      /* 84 rules: the scan */
}

/* ---- alert folding ---------------------------------------------------- */

struct seen {
	uint64_t count[16], first[16], last[16];
	int n;
};

static void
on_alert(const struct flow *f, uint64_t count, void *data)
{
	struct seen *s = data;

	cr_assert_lt(s->n, 16);
	s->count[s->n] = count;
	s->first[s->n] = f->first_ns;
	s->last[s->n] = f->last_ns;
	s->n++;
}

#define SEC 1000000000ULL

static void
violate(struct alerts *a, struct flow *f, uint64_t t)
{
	f->first_ns = f->last_ns = t;
	alerts_raise(a, f, t);
}

Test(alert, fold_within_window)
{
	struct seen s = { 0 };
	struct alerts *a = alerts_new(10 * SEC, 16, on_alert, &s);
	struct flow f = { 0 }, g;

	f.key.family = 4;
	f.key.proto = 6;
	f.key.addr[0][0] = 10;
	f.key.addr[1][0] = 169;
	f.key.port[0] = 40000;
	f.key.port[1] = 80;
	f.judged.denied = 1;
	f.judged.rule[0] = 3;
	violate(a, &f, 100 * SEC);
	cr_assert_eq(s.n, 1, "the first violation is an alert at once");
	cr_expect_eq(s.count[0], 1);
	f.key.port[0] = 40001;                  /* a new connection, same key */
	violate(a, &f, 103 * SEC);
	f.key.port[0] = 40002;
	violate(a, &f, 105 * SEC);
	cr_expect_eq(s.n, 1, "repeats wait for the window to close");
	g = f;
	g.key.port[1] = 443;                    /* another server port: its own alert */
	violate(a, &g, 106 * SEC);
	cr_expect_eq(s.n, 2);
	alerts_expire(a, 109 * SEC);
	cr_expect_eq(s.n, 2, "the window is 10 s");
	alerts_expire(a, 110 * SEC);
	cr_assert_eq(s.n, 3);
	cr_expect_eq(s.count[2], 2, "two repeats folded");
	cr_expect_eq(s.first[2], 103 * SEC);
	cr_expect_eq(s.last[2], 105 * SEC);
	/* After the window: a new first alert. */
	violate(a, &f, 111 * SEC);
	cr_expect_eq(s.n, 4);
	cr_expect_eq(s.count[3], 1);
	/* The 443 window had no repeats: nothing more at its close. */
	alerts_flush(a);
	cr_expect_eq(s.n, 4);
	cr_expect_eq(alerts_stats(a)->violations, 5);
	cr_expect_eq(alerts_stats(a)->folded, 2);
	alerts_free(a);
}

Test(alert, bounded_table_closes_oldest)
{
	struct seen s = { 0 };
	struct alerts *a = alerts_new(60 * SEC, 2, on_alert, &s);
	struct flow f = { 0 };
	int i;

	f.key.family = 4;
	f.key.proto = 17;
	f.judged.denied = 1;
	for (i = 0; i < 3; i++) {                /* three keys, each with one repeat */
		f.key.port[1] = (uint16_t)(1000 + i);
		violate(a, &f, (uint64_t)(10 + i) * SEC);
		violate(a, &f, (uint64_t)(10 + i) * SEC + 1);
	}
	/* Three first alerts; the third key's window pushed out the first,
	 * whose repeat was emitted early rather than lost. */
	cr_expect_eq(s.n, 4);
	cr_expect_eq(s.count[3], 1);
	alerts_flush(a);
	cr_expect_eq(s.n, 6);
	alerts_free(a);
}

/* label KEY=GLOB peers: literal values, globs, a key that is a prefix of
 * another, and labels set without their hashes (compared by text). */
Test(profile_eval, label_peers)
{
	static const char *text =
	    "profile db {\n"                                              /* 1 */
	    "    match name \"db\"\n"                                     /* 2 */
	    "    ingress allow tcp 5432 from label tier=web\n"            /* 3 */
	    "    ingress allow tcp 5433 from label tier=\"w*\"\n"         /* 4 */
	    "    ingress allow tcp 5434 from label tie=web\n"             /* 5 */
	    "    ingress allow tcp 5435 from label app=frontend\n"        /* 6 */
	    "    default deny\n"                                          /* 7 */
	    "}\n";
	struct fixture fx;
	struct inv_container *db, *bare;
	struct inv_label raw[2] = { { "tier", "web", 0, 0 }, { "app", "frontend", 0, 0 } };
	struct flow f;
	struct judgement j;
	static const struct { int port; int from_fe, from_other, from_bare; } want[] = {
		/* fe: app=frontend tier=web; other: tier=web; bare: same, no hashes */
		{ 5432, 1, 1, 1 },
		{ 5433, 1, 1, 1 },
		{ 5434, 0, 0, 0 },
		{ 5435, 1, 0, 1 },
	};
	size_t i;

	setup_text(&fx, text, 0);
	profile_eval_free(fx.pe);
	attrib_free(fx.attrib);
	db = mkctr(fx.inv, "db", NULL, NULL, "10.0.0.9");
	bare = mkctr(fx.inv, "bare", NULL, NULL, "10.0.0.8");
	bare->labels = raw;
	bare->nlabels = 2;
	fx.attrib = attrib_build(fx.inv);
	fx.pe = profile_eval_new(&fx.set, fx.attrib, NULL, 0);
	cr_assert(fx.pe);
	(void)db;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		j = judge(&fx, 6, "10.0.0.2", 40000, "10.0.0.9", want[i].port, NULL);
		cr_expect_eq(j.verdict, want[i].from_fe ? VERDICT_ALLOW : VERDICT_DENY, "fe -> %d",
		             want[i].port);
		j = judge(&fx, 6, "10.0.0.4", 40000, "10.0.0.9", want[i].port, NULL);
		cr_expect_eq(j.verdict, want[i].from_other ? VERDICT_ALLOW : VERDICT_DENY,
		             "other -> %d", want[i].port);
		mkflow(&fx, &f, 6, "10.0.0.8", 40000, "10.0.0.9", want[i].port);
		profile_eval_judge(fx.pe, &f, 0, &j);
		cr_expect_eq(j.verdict, want[i].from_bare ? VERDICT_ALLOW : VERDICT_DENY,
		             "bare -> %d", want[i].port);
	}
	bare->labels = NULL;
	bare->nlabels = 0;
	teardown(&fx);
}

/* Flows from the frontend container (10.0.0.2:40000) and the rule that
 * must decide each. */
struct want_rule {
	int proto;
	const char *dst;
	int port;
	int verdict;
	const char *rule;
};

static void
expect_rules(struct fixture *fx, const struct want_rule *w, size_t n)
{
	struct record r;
	size_t i;

	for (i = 0; i < n; i++) {
		struct judgement j = judge(fx, w[i].proto, "10.0.0.2", w[i].proto == 1 ? 0 : 40000,
		                           w[i].dst, w[i].port, &r);
		cr_expect_eq(j.verdict, w[i].verdict, "%d %s:%d", w[i].proto, w[i].dst, w[i].port);
		expect_str(r.rule, w[i].rule);
	}
}

/* Rules that repeat an earlier one's peers are passed over when the earlier
 * rule matches all they would (it decides first anyway), and only then:
 * other ports, another protocol or other peers still decide. */
Test(profile_eval, repeated_rules)
{
	static const char *text =
	    "profile frontend {\n"                                       /* 1 */
	    "    match name \"shop-frontend-*\"\n"                       /* 2 */
	    "    egress allow tcp 80 to 10.0.0.0/8\n"                    /* 3 */
	    "    egress deny  tcp 443 to 10.0.0.0/8\n"                   /* 4: other port */
	    "    egress deny  udp 80 to 10.0.0.0/8\n"                    /* 5: other protocol */
	    "    egress deny  tcp 80 to 10.0.0.0/8\n"                    /* 6: repeats 3 */
	    "    egress allow tcp 80,81 to 10.0.0.0/8\n"                 /* 7: more ports */
	    "    egress deny  any to 192.0.2.0/24, 198.51.100.0/24\n"    /* 8 */
	    "    egress allow tcp 22 to 192.0.2.0/24, 198.51.100.0/24\n" /* 9: covered by 8 */
	    "    egress allow tcp 22 to 198.51.100.0/24, 192.0.2.0/24\n" /* 10: other order */
	    "    egress allow tcp 22 to 203.0.113.0/24\n"                /* 11: other peers */
	    "    default deny\n"
	    "}\n";
	static const struct want_rule want[] = {
		{ 6, "10.9.9.9", 80, VERDICT_ALLOW, "t.profile:3" },
		{ 6, "10.9.9.9", 443, VERDICT_DENY, "t.profile:4" },
		{ 17, "10.9.9.9", 80, VERDICT_DENY, "t.profile:5" },
		{ 6, "10.9.9.9", 81, VERDICT_ALLOW, "t.profile:7" },
		{ 6, "192.0.2.5", 22, VERDICT_DENY, "t.profile:8" },
		{ 6, "203.0.113.5", 22, VERDICT_ALLOW, "t.profile:11" },
		{ 6, "203.0.113.5", 23, VERDICT_DENY, "default" },
	};
	struct fixture fx;

	setup_text(&fx, text, 0);
	expect_rules(&fx, want, sizeof(want) / sizeof(want[0]));
	teardown(&fx);
}

static void
collect_covered(const struct rule *r, const struct rule *by, void *data)
{
	char *out = data;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%d<%d ", r->line, by->line);
}

/* What `check` warns about: each rule that never decides, with the first
 * earlier rule that covers it, in file order across both directions. */
Test(profile_eval, covered_rules_are_listed)
{
	static const char *text =
	    "profile frontend {\n"                                  /* 1 */
	    "    match name \"shop-frontend-*\"\n"                  /* 2 */
	    "    egress allow tcp 80 to 10.0.0.0/8\n"               /* 3 */
	    "    ingress allow tcp 22 from host\n"                  /* 4 */
	    "    egress deny  tcp 443 to 10.0.0.0/8\n"              /* 5 */
	    "    egress deny  tcp 80 to 10.0.0.0/8\n"               /* 6: < 3 */
	    "    ingress deny any from host\n"                      /* 7 */
	    "    ingress allow tcp 22 from host\n"                  /* 8: < 4 */
	    "    egress allow udp 80 to 10.0.0.0/8\n"               /* 9 */
	    "    ingress allow udp 53 from host\n"                  /* 10: < 7 */
	    "}\n";
	struct fixture fx;
	char out[256] = "";

	setup_text(&fx, text, 0);
	profile_eval_covered(fx.pe, collect_covered, out);
	cr_expect_str_eq(out, "6<3 8<4 10<7 ");
	teardown(&fx);
}

/* Rules that need a container peer, or a name passive DNS knows, are turned
 * down together when the peer end has none: the rules after them decide. */
Test(profile_eval, rules_needing_what_the_peer_lacks)
{
	static const char *text =
	    "profile frontend {\n"                                 /* 1 */
	    "    match name \"shop-frontend-*\"\n"                 /* 2 */
	    "    egress allow tcp 443 to dns \"*.a.test\"\n"       /* 3 */
	    "    egress deny  tcp 443 to label app=backend\n"      /* 4 */
	    "    egress deny  tcp 443 to dns \"*.b.test\"\n"       /* 5 */
	    "    egress allow tcp 443 to world\n"                  /* 6 */
	    "    egress allow tcp 443 to container \"batch\"\n"    /* 7 */
	    "    default deny\n"
	    "}\n";
	static const struct want_rule want[] = {
		{ 6, "198.51.100.7", 443, VERDICT_ALLOW, "t.profile:6" }, /* no container, no names */
		{ 6, "10.0.0.3", 443, VERDICT_DENY, "t.profile:4" },      /* app=backend */
		{ 6, "10.0.0.4", 443, VERDICT_ALLOW, "t.profile:7" },     /* a container, not world */
	};
	struct fixture fx;

	setup_text(&fx, text, 0);
	expect_rules(&fx, want, sizeof(want) / sizeof(want[0]));
	teardown(&fx);
}

/* Past 64 rules a direction, rules are walked in order without the port
 * index: the same first-match verdicts, port lists, ranges and port-less
 * flows included. */
Test(profile_eval, long_rule_lists_are_walked_in_order)
{
	static const struct want_rule want[] = {
		{ 6, "10.9.9.9", 1000, VERDICT_DENY, "t.profile:3" },
		{ 6, "10.9.9.9", 1069, VERDICT_DENY, "t.profile:72" },
		{ 6, "10.9.9.9", 5692, VERDICT_DENY, "t.profile:72" },
		{ 6, "10.9.9.9", 5695, VERDICT_ALLOW, "t.profile:74" },
		{ 17, "10.9.9.9", 1000, VERDICT_ALLOW, "t.profile:74" },
		{ 1, "10.9.9.9", 0, VERDICT_ALLOW, "t.profile:73" },
	};
	struct fixture fx;
	char *text, *p;
	size_t cap = 16384;
	int i;

	cr_assert(text = malloc(cap));
	p = text + snprintf(text, cap, "profile frontend {\n    match name \"shop-frontend-*\"\n");
	for (i = 0; i < 70; i++)                                /* lines 3..72 */
		p += snprintf(p, cap - (size_t)(p - text), "    egress deny tcp %d,%d-%d to 10.0.0.0/8\n",
		              1000 + i, 5000 + 10 * i, 5004 + 10 * i);
	p += snprintf(p, cap - (size_t)(p - text), "    egress allow icmp to 10.0.0.0/8\n"   /* 73 */
	              "    egress allow any to 10.0.0.0/8\n"                                /* 74 */
	              "}\n");
	setup_text(&fx, text, 0);
	expect_rules(&fx, want, sizeof(want) / sizeof(want[0]));
	teardown(&fx);
	free(text);
}

/* After DNAT a CIDR peer may name the address the initiator asked for (the
 * metadata address a proxy answers behind): the entry's original
 * destination is checked as well as the address on the wire. */
Test(profile_eval, cidr_peer_matches_the_original_destination_of_a_nat_entry)
{
	struct fixture fx;
	struct nat_entry ne;
	struct record r;
	struct judgement j;
	struct flow f;

	setup(&fx, 0);
	mkflow(&fx, &f, 6, "10.0.0.2", 40000, "10.9.9.9", 80);
	profile_eval_judge(fx.pe, &f, 0, &j);
	memset(&r, 0, sizeof(r));
	profile_eval_describe(fx.pe, &j, &f, &r);
	cr_expect_eq(j.verdict, VERDICT_DENY);
	expect_str(r.rule, "default");
	memset(&ne, 0, sizeof(ne));
	ne.orig.family = ne.reply.family = 4;
	ne.orig.proto = ne.reply.proto = 6;
	cr_assert(inet_pton(AF_INET, "10.0.0.2", ne.orig.src) == 1);
	cr_assert(inet_pton(AF_INET, "169.254.169.254", ne.orig.dst) == 1);
	cr_assert(inet_pton(AF_INET, "10.9.9.9", ne.reply.src) == 1);
	cr_assert(inet_pton(AF_INET, "10.0.0.2", ne.reply.dst) == 1);
	ne.orig.sport = ne.reply.dport = 40000;
	ne.orig.dport = ne.reply.sport = 80;
	f.nat = &ne;
	profile_eval_judge(fx.pe, &f, 0, &j);
	memset(&r, 0, sizeof(r));
	profile_eval_describe(fx.pe, &j, &f, &r);
	cr_expect_eq(j.verdict, VERDICT_DENY);
	expect_str(r.rule, "t.profile:5");
	teardown(&fx);
}
