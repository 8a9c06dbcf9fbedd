/* attrib.c — address, MAC and interface lookups over an inventory.
 *
 * Three open-addressing tables built once. When two containers claim the
 * same key (an address reused after a container stopped, within its grace
 * period), the running one wins over the gone one, and of two gone ones the
 * one that went last: a flow must never be named after a container whose
 * address was handed to another. */
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "hash.h"

struct akey {
	uint8_t kind;          /* 'i' address, 'm' MAC, 'x' host ifindex, 'h' host address */
	uint8_t family;
	uint8_t b[16];
};

struct aslot {
	struct akey k;
	const struct inv_container *c;   /* NULL for host addresses */
	uint8_t used;
};

#define ATTRIB_HOSTS_SCAN 8    /* up to this many host addresses: compared in a row */

struct attrib {
	struct aslot *s;
	uint32_t mask;
	/* The host's addresses when few (the usual case): asked for every
	 * `host`/`world` peer, cheaper compared than hashed. */
	struct inv_addr hosts[ATTRIB_HOSTS_SCAN];
	size_t nhosts;          /* > ATTRIB_HOSTS_SCAN: use the table */
};

static const uint8_t hkey[16];   /* keys come from the inventory, not traffic */

static uint32_t
akey_hash(const struct akey *k)
{
	return (uint32_t)siphash13(k, sizeof(*k), hkey);
}

/* 1 if a is a better owner than b for a shared key. */
static int
better(const struct inv_container *a, const struct inv_container *b)
{
	if (!b)
		return 1;
	if (!a->gone_ns != !b->gone_ns)
		return !a->gone_ns;
	return a->gone_ns > b->gone_ns;
}

static void
put(struct attrib *a, const struct akey *k, const struct inv_container *c)
{
	uint32_t i = akey_hash(k) & a->mask;

	while (a->s[i].used) {
		if (!memcmp(&a->s[i].k, k, sizeof(*k))) {
			if (c && better(c, a->s[i].c))
				a->s[i].c = c;
			return;
		}
		i = (i + 1) & a->mask;
	}
	a->s[i].k = *k;
	a->s[i].c = c;
	a->s[i].used = 1;
}

static const struct aslot *
get(const struct attrib *a, const struct akey *k)
{
	uint32_t i;

	if (!a)
		return NULL;
	i = akey_hash(k) & a->mask;
	while (a->s[i].used) {
		if (!memcmp(&a->s[i].k, k, sizeof(*k)))
			return &a->s[i];
		i = (i + 1) & a->mask;
	}
	return NULL;
}

static void
ip_key(struct akey *k, uint8_t kind, int family, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->family = (uint8_t)family;
	memcpy(k->b, addr, family == 6 ? 16 : 4);
}

struct attrib *
attrib_build(const struct inventory *inv)
{
	struct attrib *a = calloc(1, sizeof(*a));
	size_t keys = inv->nhost_addrs, i, j, k;
	uint64_t n = 16;
	struct akey key;

	if (!a)
		return NULL;
	for (i = 0; i < inv->n; i++)
		for (j = 0; j < inv->c[i]->nifaces; j++)
			keys += 2 + inv->c[i]->ifaces[j].naddrs;
	while (n < (uint64_t)keys * 2)
		n <<= 1;
	if (!(a->s = calloc(n, sizeof(*a->s)))) {
		free(a);
		return NULL;
	}
	a->mask = (uint32_t)(n - 1);
	a->nhosts = inv->nhost_addrs;
	for (i = 0; i < inv->nhost_addrs && i < ATTRIB_HOSTS_SCAN; i++)
		a->hosts[i] = inv->host_addrs[i];
	for (i = 0; i < inv->nhost_addrs; i++) {
		ip_key(&key, 'h', inv->host_addrs[i].family, inv->host_addrs[i].addr);
		put(a, &key, NULL);
	}
	for (i = 0; i < inv->n; i++) {
		const struct inv_container *c = inv->c[i];
		/* A host-network container's addresses are the host's: it is
		 * found per socket, not per address. */
		if (c->host_network)
			continue;
		for (j = 0; j < c->nifaces; j++) {
			const struct inv_iface *f = &c->ifaces[j];
			for (k = 0; k < f->naddrs; k++) {
				ip_key(&key, 'i', f->addrs[k].family, f->addrs[k].addr);
				put(a, &key, c);
			}
			if (f->has_mac) {
				memset(&key, 0, sizeof(key));
				key.kind = 'm';
				memcpy(key.b, f->mac, 6);
				put(a, &key, c);
			}
			if (f->host_ifindex > 0) {
				memset(&key, 0, sizeof(key));
				key.kind = 'x';
				memcpy(key.b, &f->host_ifindex, sizeof(f->host_ifindex));
				put(a, &key, c);
			}
		}
	}
	return a;
}

void
attrib_free(struct attrib *a)
{
	if (!a)
		return;
	free(a->s);
	free(a);
}

const struct inv_container *
attrib_by_ip(const struct attrib *a, int family, const uint8_t *addr)
{
	struct akey k;
	const struct aslot *s;

	ip_key(&k, 'i', family, addr);
	s = get(a, &k);
	return s ? s->c : NULL;
}

const struct inv_container *
attrib_by_mac(const struct attrib *a, const uint8_t mac[6])
{
	struct akey k;
	const struct aslot *s;

	memset(&k, 0, sizeof(k));
	k.kind = 'm';
	memcpy(k.b, mac, 6);
	s = get(a, &k);
	return s ? s->c : NULL;
}

const struct inv_container *
attrib_by_host_ifindex(const struct attrib *a, int ifindex)
{
	struct akey k;
	const struct aslot *s;

	memset(&k, 0, sizeof(k));
	k.kind = 'x';
	memcpy(k.b, &ifindex, sizeof(ifindex));
	s = get(a, &k);
	return s ? s->c : NULL;
}

int
attrib_is_host(const struct attrib *a, int family, const uint8_t *addr)
{
	struct akey k;
	size_t i;

	if (a->nhosts <= ATTRIB_HOSTS_SCAN) {
		for (i = 0; i < a->nhosts; i++)
			if (a->hosts[i].family == family &&
			    !memcmp(a->hosts[i].addr, addr, family == 6 ? 16 : 4))
				return 1;
		return 0;
	}
	ip_key(&k, 'h', family, addr);
	return get(a, &k) != NULL;
}
