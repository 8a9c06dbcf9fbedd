/* The profile language (DESIGN.md "Profiles"): what DESIGN's own example
 * parses into, the selection semantics, and one test per error class with
 * the exact position and message `cnetmon check` prints. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "profile.h"

struct errs {
	char msg[32][512];
	int n;
};

static void
collect(const char *msg, void *data)
{
	struct errs *e = data;

	if (e->n < 32)
		snprintf(e->msg[e->n++], sizeof(e->msg[0]), "%s", msg);
}

static int
load(struct profile_set *set, const char *text, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	memset(set, 0, sizeof(*set));
	return profile_load_buffer(set, "t.profile", text, strlen(text), collect, e);
}

static const char *design_example =
    "# profiles/shop.profile: a file may hold several profiles\n"
    "profile frontend {\n"
    "    match name \"shop-frontend-*\"             # selectors on one line are ANDed,\n"
    "    match label app=frontend image \"shop/*\"  # several match lines are ORed\n"
    "    ingress allow tcp 80,443 from any\n"
    "    egress  allow tcp 8080-8089 to profile backend\n"
    "    egress  allow udp 53 to 10.96.0.10\n"
    "    egress  allow tcp 443 to dns \"*.stripe.com\"\n"
    "    egress  deny  any to 169.254.169.254\n"
    "    default deny\n"
    "}\n"
    "profile backend {\n"
    "    match label app=backend\n"
    "    ingress allow tcp 8080-8089 from profile frontend, label team=\"pay*\", 10.0.0.0/8, "
    "2001:db8::/32, world, host, container \"admin-*\"\n"
    "    default allow\n"
    "}\n";

Test(profile, design_example)
{
	struct profile_set set;
	struct errs e;
	const struct profile *p;
	const struct rule *r;

	cr_assert_eq(load(&set, design_example, &e), 0, "%s", e.msg[0]);
	cr_assert_eq(profile_check_set(&set, NULL, collect, &e), 0, "%s", e.msg[0]);
	cr_assert_eq(set.n, 2);
	p = &set.p[0];
	cr_expect_str_eq(p->name, "frontend");
	cr_expect_eq(p->line, 2);
	cr_assert_eq(p->nmatches, 2);
	cr_expect_eq(p->matches[0].nsel, 1);
	cr_expect_eq(p->matches[1].nsel, 2);
	cr_expect_eq(p->matches[1].sel[0].kind, SEL_LABEL);
	cr_expect_str_eq(p->matches[1].sel[0].key, "app");
	cr_expect_str_eq(p->matches[1].sel[1].pattern, "shop/*");
	cr_assert_eq(p->nrules, 5);
	r = &p->rules[0];
	cr_expect_eq(r->egress, 0);
	cr_expect_eq(r->allow, 1);
	cr_expect_eq(r->proto, PROTO_TCP);
	cr_assert_eq(r->nports, 2);
	cr_expect_eq(r->ports[1].lo, 443);
	cr_expect_eq(r->peers[0].kind, PEER_ANY);
	cr_expect_eq(r->line, 5);
	cr_expect_eq(p->rules[1].ports[0].lo, 8080);
	cr_expect_eq(p->rules[1].ports[0].hi, 8089);
	cr_expect_eq(p->rules[1].peers[0].kind, PEER_PROFILE);
	cr_expect_eq(p->rules[2].peers[0].kind, PEER_CIDR);
	cr_expect_eq(p->rules[2].peers[0].prefixlen, 32);
	cr_expect_eq(p->rules[3].peers[0].kind, PEER_DNS);
	cr_expect_str_eq(p->rules[3].peers[0].pattern, "*.stripe.com");
	cr_expect_eq(p->rules[4].allow, 0);
	cr_expect_eq(p->rules[4].proto, PROTO_ANY);
	cr_expect_eq(p->default_allow, 0);
	cr_expect_eq(p->default_line, 10);
	r = &set.p[1].rules[0];
	cr_assert_eq(r->npeers, 7);
	cr_expect_eq(r->peers[1].kind, PEER_LABEL);
	cr_expect_str_eq(r->peers[1].key, "team");
	cr_expect_str_eq(r->peers[1].pattern, "pay*");
	cr_expect_eq(r->peers[2].prefixlen, 8);
	cr_expect_eq(r->peers[3].family, 6);
	cr_expect_eq(r->peers[4].kind, PEER_WORLD);
	cr_expect_eq(r->peers[5].kind, PEER_HOST);
	cr_expect_eq(r->peers[6].kind, PEER_CONTAINER);
	cr_expect_eq(set.p[1].default_allow, 1);
	profile_set_free(&set);
}

/* One bad line in a valid profile: exactly one error, this one. */
static void
expect_error(const char *line, const char *want)
{
	char text[1024];
	struct profile_set set;
	struct errs e;

	snprintf(text, sizeof(text), "profile p {\n    match name x\n%s\n}\nprofile backend {\n}\n",
	         line);
	load(&set, text, &e);
	profile_check_set(&set, NULL, collect, &e);
	cr_expect_eq(e.n, 1, "for \"%s\": %d errors, first \"%s\"", line, e.n, e.msg[0]);
	cr_expect_str_eq(e.msg[0], want, "for \"%s\"", line);
	profile_set_free(&set);
}

Test(profile, every_error_has_its_position)
{
	expect_error("    mach name x", "t.profile:3:5: unknown keyword 'mach' (did you mean 'match'?)");
	expect_error("    egres allow tcp 80 to any",
	             "t.profile:3:5: unknown keyword 'egres' (did you mean 'egress'?)");
	expect_error("    match nam x", "t.profile:3:11: unknown selector 'nam' (did you mean 'name'?)");
	expect_error("    match label app", "t.profile:3:17: label selector 'app' must be KEY=GLOB");
	expect_error("    egress allow tcp 70000 to any", "t.profile:3:22: port 70000 out of range (1-65535)");
	expect_error("    egress allow tcp 0 to any", "t.profile:3:22: port 0 out of range (1-65535)");
	expect_error("    egress allow tcp 9000-8000 to any",
	             "t.profile:3:22: inverted port range 9000-8000 (did you mean 8000-9000?)");
	expect_error("    egress allow tcp 80 to 10.0.0.1/8",
	             "t.profile:3:28: CIDR '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)");
	expect_error("    egress allow tcp 80 to 10.0.0.0/33", "t.profile:3:28: bad address or CIDR '10.0.0.0/33'");
	expect_error("    egress allow tcp 80 to fd00::/129", "t.profile:3:28: bad address or CIDR 'fd00::/129'");
	expect_error("    egress allow tcp 80 to profile backnd",
	             "t.profile:3:28: no profile named 'backnd' (did you mean 'backend'?)");
	expect_error("    egress allow tcp 80 to wrold", "t.profile:3:28: unknown peer 'wrold' (did you mean 'world'?)");
	expect_error("    ingress allow tcp 80 to any",
	             "t.profile:3:26: ingress rules name their peers with 'from', not 'to'");
	expect_error("    egress alow tcp 80 to any",
	             "t.profile:3:12: 'alow': allow or deny expected (did you mean 'allow'?)");
	expect_error("    egress allow tpc 80 to any",
	             "t.profile:3:18: unknown protocol 'tpc' (did you mean 'tcp'?)");
	expect_error("    egress allow icmp 80 to any", "t.profile:3:23: icmp has no ports");
	expect_error("    egress allow tcp 80 too any",
	             "t.profile:3:25: 'too': a port or 'to' expected (did you mean 'to'?)");
	expect_error("    egress allow tcp 80 to", "t.profile:3:27: a peer expected at the end of the line");
	expect_error("    egress allow tcp 80 to any,", "t.profile:3:32: a peer after ',' expected at the end of the line");
	/* found by fuzz/fuzz-profile.c: a comma where a peer starts */
	expect_error("    egress allow tcp 80 to ,any", "t.profile:3:28: peer expected, not ','");
	expect_error("    egress allow tcp 80 to \"world\"",
	             "t.profile:3:28: peer expected, not the string \"world\" (quote only the glob: dns \"*.example.com\")");
	expect_error("    egress allow tcp 80 443 to any", "t.profile:3:25: ',' expected between ports, or 'to'");
	expect_error("    match label foo", "t.profile:3:17: label selector 'foo' must be KEY=GLOB");
	expect_error("    egress allow tcp 80 to any world",
	             "t.profile:3:32: ',' or the end of the line expected, not 'world'");
	expect_error("    egress allow tcp 80 to dns \"unterminated",
	             "t.profile:3:32: unterminated string");
	expect_error("    default maybe", "t.profile:3:13: default allow or default deny");
	expect_error("    default deny\n    default allow", "t.profile:4:5: a second default (the first is on line 3)");
	expect_error("    egress allow tcp 80 to profile \"bad name\"",
	             "t.profile:3:36: 'bad name' is not a profile name");
}

Test(profile, file_structure_errors)
{
	struct profile_set set;
	struct errs e;

	load(&set, "match name x\n", &e);
	cr_expect_str_eq(e.msg[0], "t.profile:1:1: 'match' outside a profile { ... } block");
	profile_set_free(&set);
	load(&set, "profile a {\n", &e);
	cr_expect_str_eq(e.msg[0], "t.profile:1:1: profile 'a' is not closed: '}' missing");
	profile_set_free(&set);
	load(&set, "profile a\n}\n", &e);
	cr_expect_str_eq(e.msg[0], "t.profile:1:10: '{' expected after the profile name");
	profile_set_free(&set);
	load(&set, "}\n", &e);
	cr_expect_str_eq(e.msg[0], "t.profile:1:1: '}' without an open profile");
	profile_set_free(&set);
	load(&set, "profle a {\n}\n", &e);
	cr_expect_str_eq(e.msg[0], "t.profile:1:1: unknown keyword 'profle' (did you mean 'profile'?)");
	profile_set_free(&set);
	load(&set, "profile a {\n}\nprofile a {\n}\n", &e);
	cr_expect_eq(profile_check_set(&set, NULL, collect, &e), 1);
	cr_expect_str_eq(e.msg[0], "t.profile:3:1: profile 'a' is already defined at t.profile:1");
	profile_set_free(&set);
	/* Every later definition points at the first, in file order. */
	load(&set, "profile b {\n}\nprofile a {\n}\nprofile a {\n}\nprofile c {\n}\n"
	     "profile a {\n}\nprofile b {\n}\n", &e);
	cr_expect_eq(profile_check_set(&set, NULL, collect, &e), 3);
	cr_expect_str_eq(e.msg[0], "t.profile:5:1: profile 'a' is already defined at t.profile:3");
	cr_expect_str_eq(e.msg[1], "t.profile:9:1: profile 'a' is already defined at t.profile:3");
	cr_expect_str_eq(e.msg[2], "t.profile:11:1: profile 'b' is already defined at t.profile:1");
	profile_set_free(&set);
}

Test(profile, garbage_never_crashes)
{
	static const char *const inputs[] = {
		"", "\n\n\n", "profile", "profile {", "{}", ",,,", "\"", "profile a {\x01}",
		"profile a {\n egress allow tcp 1-2-3 to any\n}", "profile a {\n egress allow tcp 80, to any\n}",
		"profile a {\n match label =x\n}", "profile a {\n egress allow tcp 80 to label k\n}",
		"profile a {\n egress allow any 80-65535,1 to ::/0, 0.0.0.0/0\n}",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct profile_set set;
		struct errs e;
		load(&set, inputs[i], &e);
		profile_check_set(&set, NULL, collect, &e);
		profile_set_free(&set);
	}
}

static struct inv_container *
ctr(const char *name, const char *image, const char *id, const char *app, const char *ns)
{
	struct inv_container *c = inv_container_new();

	inv_set(&c->name, name);
	inv_set(&c->image, image);
	inv_set(&c->id, id);
	inv_set(&c->namespace, ns);
	if (app)
		inv_container_add_label(c, "app", app);
	return c;
}

Test(profile, selection_and_or_globs)
{
	struct profile_set set;
	struct errs e;
	struct inventory *inv = inventory_new();
	struct inv_container *a = ctr("shop-frontend-1", "nginx:1", "3f2a", NULL, NULL);
	struct inv_container *b = ctr("web", "shop/frontend:2", "aa", "frontend", NULL);
	struct inv_container *c = ctr("web2", "other/frontend", "ab", "frontend", NULL);
	struct inv_container *d = ctr("x", "y", "3f2a9c", NULL, "team-a");

	cr_assert_eq(load(&set, design_example, &e), 0);
	cr_expect(profile_selects(&set.p[0], a), "match line 1: name glob");
	cr_expect(profile_selects(&set.p[0], b), "match line 2: label AND image");
	cr_expect(!profile_selects(&set.p[0], c), "line 2 needs both selectors");
	profile_set_free(&set);
	cr_assert_eq(load(&set, "profile p {\n match id 3f2a9\n}\nprofile q {\n match namespace \"team-*\"\n}\n",
	                  &e), 0);
	cr_expect(profile_selects(&set.p[0], d), "id prefix");
	cr_expect(!profile_selects(&set.p[0], a), "id 3f2a is shorter than the prefix");
	cr_expect(profile_selects(&set.p[1], d), "namespace glob");
	/* d is selected by both: that is an error with an inventory. */
	inventory_add(inv, a);
	inventory_add(inv, d);
	memset(&e, 0, sizeof(e));
	cr_expect_eq(profile_check_set(&set, inv, collect, &e), 1);
	cr_expect(strstr(e.msg[0], "container 'x' is selected by profile 'q' and by 'p'") != NULL,
	          "%s", e.msg[0]);
	profile_set_free(&set);
	inventory_free(inv);
	inv_container_free(b);
	inv_container_free(c);
}

/* Profiles filed under literal names and labels, and unfiled ones (globs):
 * a container is checked against all that may select it, and only those. */
Test(profile, two_profiles_select_one_container)
{
	struct profile_set set;
	struct errs e;
	struct inventory *inv = inventory_new();
	struct inv_container *x = ctr("x", "img", "01", "x", NULL);
	struct inv_container *y = ctr("app", "img", "02", "y", NULL);
	struct inv_container *z = ctr("z", "img", "03", "x-", NULL);

	cr_assert_eq(load(&set, "profile byname {\n match name x\n}\n"
	                        "profile bylabel {\n match label app=x\n}\n"
	                        "profile other {\n match label app=y\n}\n"
	                        "profile glob {\n match name \"x*\"\n}\n"
	                        "profile notname {\n match label x=app\n}\n", &e), 0);
	inventory_add(inv, x);
	inventory_add(inv, y);
	inventory_add(inv, z);
	cr_expect_eq(profile_check_set(&set, inv, collect, &e), 2);
	cr_expect(strstr(e.msg[0], "t.profile:4:1: container 'x' is selected by profile 'bylabel' "
	                           "and by 'byname' (t.profile:1)") != NULL, "%s", e.msg[0]);
	cr_expect(strstr(e.msg[1], "t.profile:10:1: container 'x' is selected by profile 'glob' "
	                           "and by 'byname' (t.profile:1)") != NULL, "%s", e.msg[1]);
	profile_set_free(&set);
	inventory_free(inv);
}
