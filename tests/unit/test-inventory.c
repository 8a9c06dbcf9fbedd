/* Inventory JSON (DESIGN.md "Inventory") and the attribution index. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "inventory.h"

static char path[64];

static const char *
write_tmp(const char *text)
{
	int fd;

	strcpy(path, "/tmp/cnetmon-inv-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct inventory *
load(const char *text, char *err, size_t errlen)
{
	struct inventory *inv = inventory_load_json(write_tmp(text), err, errlen);
	unlink(path);
	return inv;
}

/* The message must start with the file name and contain want. */
static void
expect_error(const char *text, const char *want)
{
	char err[512] = "";
	struct inventory *inv = load(text, err, sizeof(err));

	cr_expect_null(inv, "accepted: %s", text);
	inventory_free(inv);
	cr_expect(strncmp(err, path, strlen(path)) == 0, "no file name in \"%s\"", err);
	cr_expect(strstr(err, want) != NULL, "\"%s\" lacks \"%s\"", err, want);
}

static const char *design_example =
    "{ \"node\": \"host-a\",\n"
    "  \"host_addrs\": [\"192.0.2.10\", \"2001:db8::10\"],\n"
    "  \"containers\": [\n"
    "    { \"id\": \"3f2a9c\", \"name\": \"web-1\", \"image\": \"nginx:1.25\", \"runtime\": \"docker\",\n"
    "      \"labels\": {\"app\": \"web\"}, \"namespace\": \"default\", \"pod\": \"web-7d9f\",\n"
    "      \"pid\": 4242, \"netns\": 4026532301, \"cgroup\": \"/system.slice/docker-3f2a9c.scope\",\n"
    "      \"host_network\": false, \"future_field\": [1, 2],\n"
    "      \"interfaces\": [ { \"name\": \"eth0\", \"host_ifname\": \"veth3c1a2b\", \"host_ifindex\": 12,\n"
    "                        \"mac\": \"02:42:ac:11:00:02\", \"addrs\": [\"172.17.0.2\", \"fd00::2\"] } ] },\n"
    "    { \"name\": \"minimal\", \"interfaces\": [ { \"addrs\": [\"10.0.0.9\"] } ] },\n"
    "    { \"name\": \"hostnet\", \"host_network\": true }\n"
    "  ] }\n";

Test(inventory, design_example_loads)
{
	char err[512];
	struct inventory *inv = load(design_example, err, sizeof(err));
	const struct inv_container *c;

	cr_assert_not_null(inv, "%s", err);
	cr_expect_str_eq(inv->node, "host-a");
	cr_expect_eq(inv->nhost_addrs, 2);
	cr_assert_eq(inv->n, 3);
	c = inv->c[0];
	cr_expect_str_eq(c->name, "web-1");
	cr_expect_str_eq(c->image, "nginx:1.25");
	cr_expect_str_eq(inv_container_label(c, "app"), "web");
	cr_expect_eq(c->pid, 4242);
	cr_expect_eq(c->netns, 4026532301ULL);
	cr_assert_eq(c->nifaces, 1);
	cr_expect_eq(c->ifaces[0].host_ifindex, 12);
	cr_expect_str_eq(c->ifaces[0].host_ifname, "veth3c1a2b");
	cr_expect_eq(c->ifaces[0].has_mac, 1);
	cr_expect_eq(c->ifaces[0].mac[5], 2);
	cr_expect_eq(c->ifaces[0].naddrs, 2);
	cr_expect_eq(inv->c[2]->host_network, 1);
	inventory_free(inv);
}

Test(inventory, errors_say_where)
{
	expect_error("{ \"containers\": [ { \"name\": \"a\", ", ":1:");         /* syntax: line:col */
	expect_error("{\n\"containers\": [\n{ \"name\" \"a\" } ] }", ":3:");
	expect_error("[]", "expected a JSON object");
	expect_error("{}", "\"containers\": expected an array");
	expect_error("{ \"containers\": [ { \"interfaces\": [ { \"addrs\": [\"10.0.0.1\"] } ] } ] }",
	             "containers[0]: \"name\" is required");
	expect_error("{ \"containers\": [ { \"name\": \"a\" } ] }", "needs at least one address");
	expect_error("{ \"containers\": [ { \"name\": \"a\", \"interfaces\": [ { \"addrs\": "
	             "[\"10.0.0.300\"] } ] } ] }", "containers[0].interfaces[0].addrs[0]: expected");
	expect_error("{ \"containers\": [ { \"name\": \"a\", \"interfaces\": [ { \"mac\": \"02:42\", "
	             "\"addrs\": [\"10.0.0.1\"] } ] } ] }", "interfaces[0].mac");
	expect_error("{ \"containers\": [ { \"name\": 7, \"interfaces\": [] } ] }",
	             "containers[0].name: expected a string");
	expect_error("{ \"containers\": [ { \"name\": \"a\", \"pid\": -1, \"interfaces\": [ { \"addrs\": "
	             "[\"10.0.0.1\"] } ] } ] }", "containers[0].pid: expected an integer");
	expect_error("{ \"containers\": [ { \"name\": \"a\", \"labels\": { \"k\": 1 }, \"interfaces\": "
	             "[ { \"addrs\": [\"10.0.0.1\"] } ] } ] }", "containers[0].labels.k");
	expect_error("{ \"containers\": [], \"containers\": [] }", "duplicate");
	expect_error("{ \"containers\": [ { \"name\": \"a\", \"interfaces\": [ { \"name\": "
	             "\"an-interface-name-far-too-long\", \"addrs\": [\"10.0.0.1\"] } ] } ] }",
	             "longer than an interface name");
	expect_error("", ":");
}

Test(inventory, missing_file)
{
	char err[256];

	cr_expect_null(inventory_load_json("/nonexistent/inv.json", err, sizeof(err)));
	cr_expect(strstr(err, "/nonexistent/inv.json: No such file") != NULL, "%s", err);
}

Test(inventory, write_then_load_round_trips)
{
	char err[512], *buf = NULL;
	size_t len = 0;
	struct inventory *a = load(design_example, err, sizeof(err)), *b;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_not_null(a, "%s", err);
	cr_assert_not_null(fp);
	inventory_write_json(a, fp);
	fclose(fp);
	b = load(buf, err, sizeof(err));
	cr_assert_not_null(b, "%s\n%s", err, buf);
	cr_assert_eq(b->n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		cr_expect_str_eq(b->c[i]->name, a->c[i]->name);
		cr_expect_eq(b->c[i]->nifaces, a->c[i]->nifaces);
		cr_expect_eq(b->c[i]->nlabels, a->c[i]->nlabels);
		cr_expect_eq(b->c[i]->host_network, a->c[i]->host_network);
	}
	cr_expect_eq(memcmp(b->c[0]->ifaces[0].mac, a->c[0]->ifaces[0].mac, 6), 0);
	cr_expect_eq(b->nhost_addrs, 2);
	inventory_free(a);
	inventory_free(b);
	free(buf);
}

Test(inventory, invalid_utf8_is_written_as_valid_json)
{
	struct inventory *inv = inventory_new();
	struct inv_container *c = inv_container_new();
	char *buf = NULL, err[512];
	size_t len = 0;
	FILE *fp;
	struct inventory *back;

	inv_set(&c->name, "bad\xff" "name");
	inv_container_add_label(c, "k\xc3", "v");
	inventory_add(inv, c);
	fp = open_memstream(&buf, &len);
	inventory_write_json(inv, fp);
	fclose(fp);
	cr_expect(strstr(buf, "bad\xef\xbf\xbdname") != NULL, "%s", buf);
	/* No address: reading it back is refused, but as content, not syntax. */
	back = load(buf, err, sizeof(err));
	cr_expect_null(back);
	cr_expect(strstr(err, "needs at least one address") != NULL, "%s", err);
	inventory_free(inv);
	free(buf);
}

/* What `containers --json` writes must read back: a container with an id
 * or a namespace but no address (--network none) is one. */
Test(inventory, addressless_container_with_id_reads_back)
{
	char err[256];
	struct inventory *back;
	const char *doc = "{ \"containers\": [ { \"name\": \"offline\", \"id\": \"ab12\","
	                  " \"netns\": 4026532999, \"interfaces\": [] } ] }";

	back = load(doc, err, sizeof(err));
	cr_assert_not_null(back, "%s", err);
	cr_expect_eq(back->n, 1);
	inventory_free(back);
}

static struct inv_container *
mk(struct inventory *inv, const char *name, const char *addr, const char *mac, uint64_t gone)
{
	struct inv_container *c = inv_container_new();
	struct inv_iface *f;
	struct inv_addr a;

	inv_set(&c->name, name);
	c->gone_ns = gone;
	f = inv_container_add_iface(c, "eth0");
	cr_assert_eq(inv_addr_parse(addr, &a), 0);
	inv_iface_add_addr(f, &a);
	if (mac) {
		cr_assert_eq(inv_mac_parse(mac, f->mac), 0);
		f->has_mac = 1;
	}
	inventory_add(inv, c);
	return c;
}

Test(attrib, address_mac_host_and_reuse)
{
	struct inventory *inv = inventory_new();
	struct inv_container *old1, *old2, *running, *m;
	struct inv_addr h, x;
	struct attrib *a;
	uint8_t mac[6];

	/* 10.0.0.5 was held by two containers that stopped, then by a third. */
	old1 = mk(inv, "old1", "10.0.0.5", NULL, 100);
	running = mk(inv, "new", "10.0.0.5", NULL, 0);
	old2 = mk(inv, "old2", "10.0.0.5", NULL, 200);
	m = mk(inv, "bymac", "10.0.0.9", "02:00:00:00:00:09", 0);
	inv_addr_parse("192.0.2.1", &h);
	inventory_add_host_addr(inv, &h);
	a = attrib_build(inv);
	cr_assert_not_null(a);
	inv_addr_parse("10.0.0.5", &x);
	cr_expect_eq(attrib_by_ip(a, 4, x.addr), running, "the running owner wins");
	(void)old1;
	(void)old2;
	inv_mac_parse("02:00:00:00:00:09", mac);
	cr_expect_eq(attrib_by_mac(a, mac), m);
	mac[5] = 8;
	cr_expect_null(attrib_by_mac(a, mac));
	cr_expect(attrib_is_host(a, 4, h.addr));
	cr_expect(!attrib_is_host(a, 4, x.addr));
	attrib_free(a);

	/* Without the running one, the container that stopped last wins. */
	running->gone_ns = 50;
	a = attrib_build(inv);
	cr_expect_eq(attrib_by_ip(a, 4, x.addr), old2);
	attrib_free(a);
	inventory_free(inv);
}

Test(attrib, host_network_containers_are_not_named_by_address)
{
	struct inventory *inv = inventory_new();
	struct inv_container *c = mk(inv, "hostnet", "192.0.2.1", NULL, 0);
	struct inv_addr x;
	struct attrib *a;

	c->host_network = 1;
	a = attrib_build(inv);
	inv_addr_parse("192.0.2.1", &x);
	cr_expect_null(attrib_by_ip(a, 4, x.addr));
	attrib_free(a);
	inventory_free(inv);
}

Test(inventory, prefix_masks)
{
	static const struct { unsigned plen; uint8_t want[16]; } c[] = {
		{ 0, { 0 } },
		{ 1, { 0x80 } },
		{ 12, { 0xff, 0xf0 } },
		{ 24, { 0xff, 0xff, 0xff } },
		{ 32, { 0xff, 0xff, 0xff, 0xff } },
		{ 65, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80 } },
		{ 128, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	};
	uint8_t m[16];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		inv_prefix_mask(c[i].plen, m);
		cr_expect_eq(memcmp(m, c[i].want, 16), 0, "/%u", c[i].plen);
	}
}

/* Labels and their text share one allocation that grows as labels are
 * added: every label must read back whole after each move, lookups must
 * find the first of a key, and the caps must hold. */
Test(inventory, labels_grow_and_read_back)
{
	struct inv_container *c = inv_container_new();
	char key[32], *big;
	size_t i, j, vlen;

	cr_assert(c);
	for (i = 0; i < 300; i++) {
		char value[700];
		snprintf(key, sizeof(key), "k%zu", i);
		vlen = (i * 37) % (sizeof(value) - 1);  /* 0 .. 698 bytes, varied */
		memset(value, 'a' + (int)(i % 26), vlen);
		value[vlen] = '\0';
		cr_assert_eq(inv_container_add_label(c, key, value), 0, "label %zu", i);
		for (j = 0; j <= i; j += (i < 20 ? 1 : 17)) {
			snprintf(key, sizeof(key), "k%zu", j);
			cr_assert_str_eq(c->labels[j].key, key);
			cr_assert_eq(strlen(c->labels[j].value), (j * 37) % (sizeof(value) - 1));
			cr_assert(!c->labels[j].value[0] || c->labels[j].value[0] == 'a' + (int)(j % 26));
			cr_assert_eq(c->labels[j].kh, inv_label_hash(key));
			cr_assert_eq(c->labels[j].vh, inv_label_hash(c->labels[j].value));
		}
	}
	cr_assert_eq(c->nlabels, 300);
	cr_assert_eq(inv_container_add_label(c, "k5", "second"), 0);
	cr_expect_eq(strlen(inv_container_label(c, "k5")), 5 * 37, "the first label of a key decides");
	cr_expect_null(inv_container_label(c, "k300"));
	for (i = c->nlabels; i < 1024; i++)
		cr_assert_eq(inv_container_add_label(c, "x", NULL), 0);
	cr_expect_eq(inv_container_add_label(c, "one", "too many"), -1);
	inv_container_free(c);

	c = inv_container_new();
	cr_assert(big = malloc((1u << 20) + 1));
	memset(big, 'v', 1u << 20);
	big[1u << 20] = '\0';
	cr_expect_eq(inv_container_add_label(c, "k", big), -1, "a label of more than 1 MiB");
	big[(1u << 20) - 16] = '\0';
	cr_expect_eq(inv_container_add_label(c, "k", big), 0);
	cr_expect_eq(strlen(c->labels[0].value), (1u << 20) - 16);
	free(big);
	inv_container_free(c);
}
