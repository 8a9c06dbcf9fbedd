/* flow-frag.c — remembers, per fragmented datagram, the ports its first
 * fragment carried (IPv4: RFC 791 identification; IPv6: RFC 8200 section
 * 4.5), so later fragments are counted in the right flow without
 * reassembly. Direct-mapped and fixed-size: a colliding datagram replaces
 * an older one, whose remaining fragments then become port-less. */
#include <stdlib.h>
#include <string.h>

#include "flow-int.h"
#include "hash.h"

struct frag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint32_t vni;
	uint16_t vlan[2];
	uint8_t proto, family, depth, nvlan;
};

struct frag_entry {
	struct frag_key k;
	uint64_t expires;
	uint16_t sport, dport;
	uint8_t used;
};

struct frag_table {
	struct frag_entry *e;
	uint32_t mask;
};

struct frag_table *
frag_table_new(uint32_t size)
{
	struct frag_table *t = calloc(1, sizeof(*t));
	uint32_t n = 1;

	if (!t)
		return NULL;
	while (n < size && n < (1u << 24))
		n <<= 1;
	t->e = calloc(n, sizeof(*t->e));
	if (!t->e) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

void
frag_table_free(struct frag_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

static void
fkey(struct frag_key *k, const struct l34 *l)
{
	size_t alen = l->family == 6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	memcpy(k->src, l->src, alen);
	memcpy(k->dst, l->dst, alen);
	k->id = l->frag_id;
	k->vni = l->vni;
	memcpy(k->vlan, l->vlan, sizeof(k->vlan));
	k->proto = l->proto;
	k->family = l->family;
	k->depth = l->depth;
	k->nvlan = l->nvlan;
}

void
frag_remember(struct frag_table *t, const uint8_t key[16], const struct l34 *first,
              uint64_t expires_ns)
{
	struct frag_key k;
	struct frag_entry *e;

	if (!first->has_ports)
		return;
	fkey(&k, first);
	e = &t->e[siphash13(&k, sizeof(k), key) & t->mask];
	e->k = k;
	e->expires = expires_ns;
	e->sport = first->sport;
	e->dport = first->dport;
	e->used = 1;
}

int
frag_lookup(struct frag_table *t, const uint8_t key[16], const struct l34 *later,
            uint64_t now_ns, uint16_t *sport, uint16_t *dport)
{
	struct frag_key k;
	struct frag_entry *e;

	fkey(&k, later);
	e = &t->e[siphash13(&k, sizeof(k), key) & t->mask];
	if (!e->used || now_ns > e->expires || memcmp(&e->k, &k, sizeof(k)))
		return 0;
	*sport = e->sport;
	*dport = e->dport;
	return 1;
}
