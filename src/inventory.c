/* inventory.c — the inventory's data model: allocation, appends, parsing of
 * addresses and MACs. Counts are capped so that a hostile inventory file or
 * runtime state cannot make us allocate without bound. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

#define INV_MAX_CONTAINERS (1u << 20)
#define INV_MAX_LABELS     1024
#define INV_MAX_LABEL_TEXT (1u << 20)  /* a key and its value, bytes */
#define INV_MAX_IFACES     256
#define INV_MAX_ADDRS      256
#define INV_MAX_HOST_ADDRS 4096

/* A container's labels and their text in one allocation: judging a flow
 * reads a label of each end, and the array and its strings then sit in a
 * cache line or two instead of one allocation per string. The header
 * before the array keeps the room; c->labels points past it. */
struct label_block {
	uint32_t cap;             /* labels the array has room for */
	uint32_t scap, sused;     /* bytes of text after the array: room, used */
	uint32_t pad;
	struct inv_label l[];
};

static struct label_block *
label_block(struct inv_label *l)
{
	return l ? (struct label_block *)(void *)((char *)l - offsetof(struct label_block, l)) : NULL;
}

/* len bytes of s (its NUL included) appended to b's text, room known. */
static char *
label_put(struct label_block *b, const char *s, size_t len)
{
	char *at = (char *)&b->l[b->cap] + b->sused;

	memcpy(at, s, len);
	b->sused += (uint32_t)len;
	return at;
}

struct inventory *
inventory_new(void)
{
	return calloc(1, sizeof(struct inventory));
}

struct inv_container *
inv_container_new(void)
{
	/* On a cache line's start: its first line is what judging reads. */
	size_t n = (sizeof(struct inv_container) + 63) & ~(size_t)63;
	struct inv_container *c = aligned_alloc(64, n);

	if (c)
		memset(c, 0, n);
	return c;
}

void
inv_container_free(struct inv_container *c)
{
	size_t i;

	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->runtime);
	free(c->namespace);
	free(c->pod);
	free(c->pod_uid);
	free(c->cgroup);
	free(label_block(c->labels));
	for (i = 0; i < c->nifaces; i++)
		free(c->ifaces[i].addrs);
	free(c->ifaces);
	free(c);
}

void
inventory_free(struct inventory *inv)
{
	size_t i;

	if (!inv)
		return;
	for (i = 0; i < inv->n; i++)
		inv_container_free(inv->c[i]);
	free(inv->c);
	free(inv->host_addrs);
	free(inv->node);
	free(inv);
}

/* Grow *arr (of elements of size sz, count *n) by one zeroed element. */
static void *
push(void *arrp, size_t *n, size_t sz, size_t max)
{
	void **arr = arrp;
	char *na;

	if (*n >= max)
		return NULL;
	na = realloc(*arr, (*n + 1) * sz);
	if (!na)
		return NULL;
	*arr = na;
	memset(na + *n * sz, 0, sz);
	return na + (*n)++ * sz;
}

int
inventory_add(struct inventory *inv, struct inv_container *c)
{
	struct inv_container **slot = push(&inv->c, &inv->n, sizeof(*slot), INV_MAX_CONTAINERS);

	if (!slot) {
		inv_container_free(c);
		return -1;
	}
	*slot = c;
	return 0;
}

int
inv_set(char **field, const char *value)
{
	char *v = NULL;

	if (value && !(v = strdup(value)))
		return -1;
	free(*field);
	*field = v;
	return 0;
}

int
inv_container_add_label(struct inv_container *c, const char *key, const char *value)
{
	struct label_block *b = label_block(c->labels), *nb;
	size_t klen = strlen(key) + 1, vlen, need, cap, scap, i;
	struct inv_label *l;

	value = value ? value : "";
	vlen = strlen(value) + 1;
	if (c->nlabels >= INV_MAX_LABELS || klen + vlen > INV_MAX_LABEL_TEXT)
		return -1;
	need = (b ? b->sused : 0) + klen + vlen;   /* < 1024 * INV_MAX_LABEL_TEXT */
	if (!b || c->nlabels == b->cap || need > b->scap) {
		/* Room doubles: adding n labels copies O(n) of them in all. */
		cap = b ? b->cap : 2;
		if (c->nlabels == cap)
			cap *= 2;
		for (scap = b ? b->scap : 64; scap < need; scap *= 2)
			;
		if (!(nb = malloc(sizeof(*nb) + cap * sizeof(nb->l[0]) + scap)))
			return -1;
		nb->cap = (uint32_t)cap;
		nb->scap = (uint32_t)scap;
		nb->sused = 0;
		for (i = 0; i < c->nlabels; i++) {
			const struct inv_label *o = &c->labels[i];
			nb->l[i] = *o;
			nb->l[i].key = label_put(nb, o->key, strlen(o->key) + 1);
			nb->l[i].value = label_put(nb, o->value, strlen(o->value) + 1);
		}
		free(b);
		b = nb;
		c->labels = b->l;
	}
	l = &b->l[c->nlabels++];
	l->key = label_put(b, key, klen);
	l->value = label_put(b, value, vlen);
	l->kh = inv_label_hash(l->key);
	l->vh = inv_label_hash(l->value);
	return 0;
}

uint32_t
inv_label_hash(const char *s)
{
	uint32_t h = 2166136261u;          /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h | 1;
}

const struct inv_label *
inv_container_label_find(const struct inv_container *c, const char *key, uint32_t kh)
{
	size_t i;

	for (i = 0; i < c->nlabels; i++)
		if ((!c->labels[i].kh || c->labels[i].kh == kh) && !strcmp(c->labels[i].key, key))
			return &c->labels[i];
	return NULL;
}

const char *
inv_container_label(const struct inv_container *c, const char *key)
{
	const struct inv_label *l = inv_container_label_find(c, key, inv_label_hash(key));

	return l ? l->value : NULL;
}

struct inv_iface *
inv_container_add_iface(struct inv_container *c, const char *name)
{
	struct inv_iface *i = push(&c->ifaces, &c->nifaces, sizeof(*i), INV_MAX_IFACES);

	if (i && name)
		snprintf(i->name, sizeof(i->name), "%s", name);
	return i;
}

int
inv_iface_add_addr(struct inv_iface *i, const struct inv_addr *a)
{
	struct inv_addr *na = push(&i->addrs, &i->naddrs, sizeof(*na), INV_MAX_ADDRS);

	if (!na)
		return -1;
	*na = *a;
	return 0;
}

int
inventory_add_host_addr(struct inventory *inv, const struct inv_addr *a)
{
	struct inv_addr *na = push(&inv->host_addrs, &inv->nhost_addrs, sizeof(*na),
	                           INV_MAX_HOST_ADDRS);

	if (!na)
		return -1;
	*na = *a;
	return 0;
}

void
inv_prefix_mask(unsigned plen, uint8_t mask[16])
{
	unsigned i;

	for (i = 0; i < 16; i++, plen = plen > 8 ? plen - 8 : 0)
		mask[i] = plen >= 8 ? 0xff : (uint8_t)(0xff00u >> plen);
}

int
inv_addr_parse(const char *s, struct inv_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 5], *slash, *end;
	long plen = -1;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	memset(a, 0, sizeof(*a));
	if ((slash = strchr(buf, '/'))) {
		*slash = '\0';
		plen = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || plen < 0)
			return -1;
	}
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = 4;
		if (plen > 32)
			return -1;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = 6;
		if (plen > 128)
			return -1;
	} else {
		return -1;
	}
	a->prefixlen = plen < 0 ? 0 : (uint8_t)plen;
	return 0;
}

int
inv_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
	                              &v[4], &v[5], &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (s[i * 3] == ' ' || s[i * 3] == '+' || s[i * 3] == '-')
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}
