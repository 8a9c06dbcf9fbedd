/* fuzz-profile.c — libFuzzer target for the .profile parser
 * (cnetmon.profile(5)): whatever a person could type, or a broken file
 * could hold, goes through profile_load_buffer() and the whole-set checks
 * of `cnetmon check`, without and with an inventory (as `check -I` does,
 * which runs profile_selects() on every profile, even after parse errors),
 * and must yield errors, never a crash or a leak. A set that loads is then
 * compiled as `read` does (shared peer lists, covered rules, port index)
 * and judges flows between the containers and two outside addresses, in
 * both directions, on ports taken from the input. Messages are dropped.
 * Build and run: make fuzz-profile; seeds: profiles/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attrib.h"
#include "flow.h"
#include "inventory.h"
#include "output.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ignore(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

/* A few containers that the seed profiles select, built once. */
static const struct inventory *
inventory(void)
{
	static const struct {
		const char *name, *image, *ns, *lkey, *lval;
	} cs[] = {
		{ "shop-frontend-1", "shop/frontend:2.3", NULL, "app", "frontend" },
		{ "orders-db", "postgres:16", "team-a", "app", "orders-db" },
		{ "coredns-5d78c", "registry.k8s.io/coredns:1.11", "kube-system", "k8s-app",
		  "kube-dns" },
		{ "x", "", "", "", "" },
	};
	static struct inventory *inv;
	size_t i;

	if (inv)
		return inv;
	if (!(inv = inventory_new()))
		return NULL;
	for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct inv_container *c = inv_container_new();
		if (!c)
			break;
		if (inv_set(&c->id, "4b5e57f6eb2f42b9039b3d1e13929295") < 0 ||
		    inv_set(&c->name, cs[i].name) < 0 || inv_set(&c->image, cs[i].image) < 0 ||
		    (cs[i].ns && inv_set(&c->namespace, cs[i].ns) < 0) ||
		    inv_container_add_label(c, cs[i].lkey, cs[i].lval) < 0) {
			inv_container_free(c);
			break;
		}
		if (inventory_add(inv, c) < 0)   /* frees c */
			break;
	}
	return inv;
}

/* Every pair of ends (each container, an outside address, the host's
 * loopback) with each protocol, ports from the input's last bytes. */
static void
judge_all(const struct profile_set *set, const struct inventory *inv, const uint8_t *data,
          size_t size)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 132, 47 };
	struct attrib *a = attrib_build(inv);
	struct profile_eval *pe = profile_eval_new(set, a, NULL, size & 1);
	size_t n = inv->n + 2, i, j, k;
	uint16_t port = size >= 2 ? (uint16_t)(data[size - 2] << 8 | data[size - 1]) : 80;

	for (i = 0; pe && i < n; i++) {
		for (j = 0; j < n; j++) {
			for (k = 0; k < sizeof(protos); k++) {
				struct flow f;
				struct judgement jd;
				struct record r;

				memset(&f, 0, sizeof(f));
				f.key.family = 4;
				f.key.proto = protos[k];
				f.key.port[0] = 40000;
				f.key.port[1] = (uint16_t)(port + k);
				f.key.noports = protos[k] == 47;
				f.key.addr[0][0] = i < inv->n ? 10 : i == inv->n ? 198 : 127;
				f.key.addr[1][0] = j < inv->n ? 10 : j == inv->n ? 203 : 127;
				f.key.addr[0][3] = (uint8_t)i;
				f.key.addr[1][3] = (uint8_t)j;
				f.icmp_type = (uint8_t)port;
				f.ctr[0] = i < inv->n ? inv->c[i] : NULL;
				f.ctr[1] = j < inv->n ? inv->c[j] : NULL;
				if (k & 1)
					profile_eval_prefetch(pe, &f);
				profile_eval_judge(pe, &f, 0, &jd);
				memset(&r, 0, sizeof(r));
				profile_eval_describe(pe, &jd, &f, &r);
			}
		}
	}
	profile_eval_free(pe);
	attrib_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile_set set;
	const struct inventory *inv = inventory();

	memset(&set, 0, sizeof(set));
	if (profile_load_buffer(&set, "fuzz.profile", (const char *)data, size, ignore, NULL) == 0 &&
	    profile_check_set(&set, NULL, ignore, NULL) == 0 && inv)
		judge_all(&set, inv, data, size);
	profile_check_set(&set, inv, ignore, NULL);
	profile_set_free(&set);
	return 0;
}
