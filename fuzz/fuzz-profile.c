/* fuzz-profile.c — libFuzzer target for the .profile parser
 * (cnetmon.profile(5)): whatever a person could type, or a broken file
 * could hold, goes through profile_load_buffer() and the whole-set checks
 * of `cnetmon check`, without and with an inventory (as `check -I` does,
 * which runs profile_selects() on every profile, even after parse errors),
 * and must yield errors, never a crash or a leak. Messages are dropped.
 * Build and run: make fuzz; seeds: profiles/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "inventory.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile_set set;

	memset(&set, 0, sizeof(set));
	profile_load_buffer(&set, "fuzz.profile", (const char *)data, size, ignore, NULL);
	profile_check_set(&set, NULL, ignore, NULL);
	profile_check_set(&set, inventory(), ignore, NULL);
	profile_set_free(&set);
	return 0;
}
