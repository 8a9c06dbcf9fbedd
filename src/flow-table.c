/* flow-table.c — flows keyed by a canonical bidirectional key.
 *
 * Layout: a pool of max_flows struct flow (calloc: pages are touched only as
 * flows are created, so RSS follows the live flow count) and an index of
 * 2^k slots, k chosen for a load factor of at most 1/2, holding (pool index
 * + 1, 32 bits of hash). Linear probing; deletion shifts later entries back
 * (Knuth 6.4 algorithm R), so there are no tombstones to age.
 *
 * Each timeout class keeps an LRU list in last-seen order; a packet moves its
 * flow to the tail. Idle expiry pops heads; eviction at the memory bound
 * takes the oldest head over all classes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community-id.h"
#include "flow-int.h"
#include "hash.h"
#include "duration.h"
#include "log.h"

#define NS_PER_SEC 1000000000ULL

struct slot {
	uint32_t idx1;     /* pool index + 1; 0 = empty */
	uint32_t hash;
};

struct lru {
	uint32_t head, tail;
};

struct flow_table {
	struct flow_config cfg;
	flow_emit_fn emit;
	void *emit_data;
	flow_new_fn on_new;
	void *on_new_data;
	flow_new_fn on_first;
	void *on_first_data;
	uint8_t key[16];

	struct flow *pool;
	uint32_t pool_used;         /* never-used entries start here */
	uint32_t free_head;         /* recycled entries, linked by lru_next */

	struct slot *slots;
	uint32_t mask;

	struct lru lru[TCLASS_MAX];
	uint64_t now;               /* latest packet time seen */
	uint64_t next_sweep;

	struct frag_table *frags;
	struct flow_stats st;
};

static const char *const tclass_names[TCLASS_MAX] = {
	[TCLASS_TCP_OPENING] = "tcp-opening",
	[TCLASS_TCP] = "tcp",
	[TCLASS_TCP_CLOSED] = "tcp-closed",
	[TCLASS_UDP] = "udp",
	[TCLASS_ICMP] = "icmp",
	[TCLASS_OTHER] = "other",
};

const char *
flow_tclass_name(enum flow_tclass t)
{
	return (unsigned)t < TCLASS_MAX ? tclass_names[t] : "?";
}

void
flow_config_default(struct flow_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_flows = 524288;
	c->idle_ns[TCLASS_TCP_OPENING] = 30 * NS_PER_SEC;
	c->idle_ns[TCLASS_TCP] = 300 * NS_PER_SEC;
	c->idle_ns[TCLASS_TCP_CLOSED] = 5 * NS_PER_SEC;
	c->idle_ns[TCLASS_UDP] = 60 * NS_PER_SEC;
	c->idle_ns[TCLASS_ICMP] = 30 * NS_PER_SEC;
	c->idle_ns[TCLASS_OTHER] = 60 * NS_PER_SEC;
	c->active_ns = 1800 * NS_PER_SEC;
	c->max_frags = 16384;
	c->frag_ns = 30 * NS_PER_SEC;
}

int
flow_config_set_timeout(struct flow_config *c, const char *spec)
{
	const char *eq = strchr(spec, '=');
	uint64_t ns;
	size_t n;
	int i;

	if (!eq || eq == spec)
		goto bad;
	n = (size_t)(eq - spec);
	if (duration_parse(eq + 1, 365.0 * 86400, &ns) < 0)
		goto bad;
	if (n == 6 && !strncmp(spec, "active", 6)) {
		c->active_ns = ns;
		return 0;
	}
	for (i = 0; i < TCLASS_MAX; i++) {
		if (strlen(tclass_names[i]) == n && !strncmp(spec, tclass_names[i], n)) {
			if (ns == 0)
				goto bad;
			c->idle_ns[i] = ns;
			return 0;
		}
	}
bad:
	errno = EINVAL;
	return -1;
}

int
flow_config_option(struct flow_config *c, const char *opt, const char *arg, char *err,
                   size_t errlen)
{
	unsigned long long v;
	char *end;

	if (!strcmp(opt, "max-flows")) {
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || v < 1 ||
		    v > (1u << 30)) {
			snprintf(err, errlen, "--max-flows '%s': expected a number from 1 to %u", arg,
			         1u << 30);
			return -1;
		}
		c->max_flows = (uint32_t)v;
		return 0;
	}
	if (!strcmp(opt, "timeout")) {
		if (flow_config_set_timeout(c, arg) == 0)
			return 0;
		snprintf(err, errlen, "--timeout '%s': expected CLASS=SECONDS with CLASS one of "
		         "tcp-opening, tcp, tcp-closed, udp, icmp, other, active", arg);
		return -1;
	}
	snprintf(err, errlen, "--%s: not a flow-table option", opt);
	return -1;
}

static const char *const tcp_state_names[] = {
	[TCP_NONE] = NULL,
	[TCP_SYN_SENT] = "syn_sent",
	[TCP_SYN_RECEIVED] = "syn_received",
	[TCP_ESTABLISHED] = "established",
	[TCP_CLOSING] = "closing",
	[TCP_CLOSED] = "closed",
	[TCP_RESET] = "reset",
};

const char *
tcp_state_name(enum tcp_state s)
{
	return (unsigned)s <= TCP_RESET ? tcp_state_names[s] : NULL;
}

static const char *const end_names[] = {
	[FLOW_END_FIN] = "fin", [FLOW_END_RST] = "rst", [FLOW_END_IDLE] = "idle",
	[FLOW_END_ACTIVE] = "active", [FLOW_END_EVICTED] = "evicted", [FLOW_END_EOF] = "eof",
};

const char *
flow_end_name(enum flow_end e)
{
	return (unsigned)e <= FLOW_END_EOF ? end_names[e] : "?";
}

/* ---- key ---------------------------------------------------------------- */

void
flow_key_from_l34(struct flow_key *k, const struct l34 *l, int *sender_side)
{
	size_t alen = l->family == 6 ? 16 : 4;
	uint16_t sp = l->sport, dp = l->dport;
	int c;

	memset(k, 0, sizeof(*k));
	k->proto = l->proto;
	k->family = l->family;
	k->depth = l->depth;
	k->tunnel = l->tunnel;
	k->nvlan = l->nvlan;
	memcpy(k->vlan, l->vlan, sizeof(k->vlan));
	k->vni = l->vni;
	if (!l->has_ports) {
		sp = dp = 0;
		k->noports = 1;
	} else if (l->proto == 1 || l->proto == 58) {
		k->oneway = (uint8_t)community_id_icmp_ports(l->proto == 58, (uint8_t)l->sport,
		                                             (uint8_t)l->dport, &sp, &dp);
	}
	c = memcmp(l->src, l->dst, alen);
	if (!k->oneway && (c > 0 || (c == 0 && sp > dp))) {
		memcpy(k->addr[0], l->dst, alen);
		memcpy(k->addr[1], l->src, alen);
		k->port[0] = dp;
		k->port[1] = sp;
		*sender_side = 1;
	} else {
		memcpy(k->addr[0], l->src, alen);
		memcpy(k->addr[1], l->dst, alen);
		k->port[0] = sp;
		k->port[1] = dp;
		*sender_side = 0;
	}
}

static inline uint32_t
key_hash(const struct flow_table *ft, const struct flow_key *k)
{
	return (uint32_t)siphash13(k, sizeof(*k), ft->key);
}

/* ---- LRU lists ---------------------------------------------------------- */

static void
lru_unlink(struct flow_table *ft, struct flow *f)
{
	struct lru *l = &ft->lru[f->tclass];

	if (f->lru_prev != FLOW_NIL)
		ft->pool[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != FLOW_NIL)
		ft->pool[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
}

static void
lru_append(struct flow_table *ft, struct flow *f, uint32_t idx)
{
	struct lru *l = &ft->lru[f->tclass];

	f->lru_next = FLOW_NIL;
	f->lru_prev = l->tail;
	if (l->tail != FLOW_NIL)
		ft->pool[l->tail].lru_next = idx;
	else
		l->head = idx;
	l->tail = idx;
}

static inline void
lru_touch(struct flow_table *ft, struct flow *f, uint32_t idx, uint8_t tclass)
{
	if (tclass == f->tclass && ft->lru[tclass].tail == idx)
		return;
	lru_unlink(ft, f);
	f->tclass = tclass;
	lru_append(ft, f, idx);
}

/* ---- index -------------------------------------------------------------- */

static uint32_t
index_find(const struct flow_table *ft, const struct flow_key *k, uint32_t h, uint32_t *slotp)
{
	uint32_t i = h & ft->mask;

	for (;;) {
		const struct slot *s = &ft->slots[i];
		if (!s->idx1) {
			*slotp = i;
			return FLOW_NIL;
		}
		if (s->hash == h && !memcmp(&ft->pool[s->idx1 - 1].key, k, sizeof(*k))) {
			*slotp = i;
			return s->idx1 - 1;
		}
		i = (i + 1) & ft->mask;
	}
}

static void
index_remove(struct flow_table *ft, const struct flow *f)
{
	uint32_t i = f->hash & ft->mask, j, home;
	uint32_t want = (uint32_t)(f - ft->pool) + 1;

	while (ft->slots[i].idx1 != want)
		i = (i + 1) & ft->mask;
	/* Backward shift: move later members of the cluster into the hole when
	 * their home slot does not lie cyclically in (hole, their slot]. */
	j = i;
	for (;;) {
		ft->slots[i].idx1 = 0;
		for (;;) {
			j = (j + 1) & ft->mask;
			if (!ft->slots[j].idx1)
				return;
			home = ft->slots[j].hash & ft->mask;
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		ft->slots[i] = ft->slots[j];
		i = j;
	}
}

/* ---- life cycle --------------------------------------------------------- */

struct flow_table *
flow_table_new(const struct flow_config *c, flow_emit_fn emit, void *data)
{
	struct flow_table *ft;
	uint64_t nslots = 2;
	int i;

	if (c->max_flows < 1 || c->max_flows > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (nslots < (uint64_t)c->max_flows * 2)
		nslots <<= 1;
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->cfg = *c;
	ft->emit = emit;
	ft->emit_data = data;
	ft->pool = calloc(c->max_flows, sizeof(*ft->pool));
	ft->slots = calloc(nslots, sizeof(*ft->slots));
	ft->frags = frag_table_new(c->max_frags);
	if (!ft->pool || !ft->slots || !ft->frags || hash_random_key(ft->key) < 0) {
		flow_table_free(ft);
		return NULL;
	}
	ft->mask = (uint32_t)(nslots - 1);
	ft->free_head = FLOW_NIL;
	for (i = 0; i < TCLASS_MAX; i++)
		ft->lru[i].head = ft->lru[i].tail = FLOW_NIL;
	return ft;
}

void
flow_table_on_new(struct flow_table *ft, flow_new_fn fn, void *data)
{
	ft->on_new = fn;
	ft->on_new_data = data;
}

void
flow_table_on_first(struct flow_table *ft, flow_new_fn fn, void *data)
{
	ft->on_first = fn;
	ft->on_first_data = data;
}

void
flow_table_foreach(struct flow_table *ft, flow_new_fn fn, void *data)
{
	uint32_t i;

	for (i = 0; i < ft->pool_used; i++)
		if (ft->pool[i].in_use)
			fn(&ft->pool[i], data);
}

void
flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	free(ft->pool);
	free(ft->slots);
	frag_table_free(ft->frags);
	free(ft);
}

const struct flow_stats *
flow_table_stats(const struct flow_table *ft)
{
	return &ft->st;
}

uint32_t
flow_table_slot(const struct flow_table *ft, const struct flow *f)
{
	return (uint32_t)(f - ft->pool);
}

/* A closed or reset TCP flow ended for that reason, whatever made us emit it
 * now (linger expiry, end of input, eviction). */
static enum flow_end
end_reason(const struct flow *f, enum flow_end why)
{
	if (why == FLOW_END_ACTIVE)
		return why;
	if (f->tcp_state == TCP_CLOSED)
		return FLOW_END_FIN;
	if (f->tcp_state == TCP_RESET)
		return FLOW_END_RST;
	return why;
}

static void
flow_release(struct flow_table *ft, struct flow *f, enum flow_end why)
{
	uint32_t idx = (uint32_t)(f - ft->pool);

	why = end_reason(f, why);
	if (why == FLOW_END_EVICTED)
		ft->st.evicted++;
	ft->st.records++;
	ft->emit(f, why, ft->emit_data);
	lru_unlink(ft, f);
	index_remove(ft, f);
	f->in_use = 0;
	f->lru_next = ft->free_head;
	ft->free_head = idx;
	ft->st.active--;
}

void
flow_table_expire(struct flow_table *ft, uint64_t now)
{
	int c;

	for (c = 0; c < TCLASS_MAX; c++) {
		uint64_t idle = ft->cfg.idle_ns[c];
		while (ft->lru[c].head != FLOW_NIL) {
			struct flow *f = &ft->pool[ft->lru[c].head];
			if (now < f->last_ns || now - f->last_ns < idle)
				break;
			flow_release(ft, f, FLOW_END_IDLE);
		}
	}
}

void
flow_table_finish(struct flow_table *ft, enum flow_end why)
{
	int c;

	/* Oldest first within each class, so records come out in time order
	 * as far as a list order allows. */
	for (c = 0; c < TCLASS_MAX; c++)
		while (ft->lru[c].head != FLOW_NIL)
			flow_release(ft, &ft->pool[ft->lru[c].head], why);
}

static void
evict_oldest(struct flow_table *ft)
{
	struct flow *oldest = NULL;
	int c;

	for (c = 0; c < TCLASS_MAX; c++) {
		if (ft->lru[c].head == FLOW_NIL)
			continue;
		struct flow *f = &ft->pool[ft->lru[c].head];
		if (!oldest || f->last_ns < oldest->last_ns)
			oldest = f;
	}
	if (oldest)
		flow_release(ft, oldest, FLOW_END_EVICTED);
}

static uint8_t
tclass_of(const struct flow *f)
{
	switch (f->key.proto) {
	case 6:
		switch (f->tcp_state) {
		case TCP_SYN_SENT:
		case TCP_SYN_RECEIVED: return TCLASS_TCP_OPENING;
		case TCP_CLOSED:
		case TCP_RESET:        return TCLASS_TCP_CLOSED;
		default:               return TCLASS_TCP;
		}
	case 17:  return TCLASS_UDP;
	case 1:
	case 58:  return TCLASS_ICMP;
	default:  return TCLASS_OTHER;
	}
}

static struct flow *
flow_create(struct flow_table *ft, const struct flow_key *k, uint32_t h, uint32_t slot,
            const struct l34 *l, int sender, uint64_t ts, int iface)
{
	struct flow *f;
	uint32_t idx;

	if (ft->st.active >= ft->cfg.max_flows) {
		evict_oldest(ft);
		/* The eviction may have shifted our empty slot: find it again. */
		index_find(ft, k, h, &slot);
	}
	if (ft->free_head != FLOW_NIL) {
		idx = ft->free_head;
		ft->free_head = ft->pool[idx].lru_next;
	} else {
		idx = ft->pool_used++;
	}
	f = &ft->pool[idx];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->hash = h;
	f->in_use = 1;
	f->part = 1;
	f->iface = (int16_t)(iface >= 0 && iface < INT16_MAX ? iface : -1);
	f->first_ns = f->last_ns = ts;
	f->init_side = (uint8_t)sender;
	if (l->proto == 1 || l->proto == 58) {
		f->icmp_type = (uint8_t)l->sport;
		f->icmp_code = (uint8_t)l->dport;
	}
	if (l->smac) {
		memcpy(f->mac[sender], l->smac, 6);
		f->has_mac |= (uint8_t)(1u << sender);
	}
	if (l->dmac) {
		memcpy(f->mac[!sender], l->dmac, 6);
		f->has_mac |= (uint8_t)(1u << !sender);
	}
	flow_tcp_open(f, l, sender);
	f->tclass = tclass_of(f);
	if (ft->on_new)
		ft->on_new(f, ft->on_new_data);
	ft->slots[slot].idx1 = idx + 1;
	ft->slots[slot].hash = h;
	lru_append(ft, f, idx);
	ft->st.created++;
	if (++ft->st.active > ft->st.peak)
		ft->st.peak = ft->st.active;
	return f;
}

/* Emit the part so far and start counting the next one. */
static void
flow_split(struct flow_table *ft, struct flow *f, uint64_t ts)
{
	ft->st.records++;
	ft->st.active_splits++;
	ft->emit(f, FLOW_END_ACTIVE, ft->emit_data);
	f->part++;
	f->first_ns = f->last_ns = ts;
	memset(f->pkts, 0, sizeof(f->pkts));
	memset(f->bytes, 0, sizeof(f->bytes));
}

void
flow_table_prepare(struct flow_table *ft, const struct l34 *l, uint64_t ts, struct flow_prep *fp)
{
	fp->l = *l;
	/* Fragments: later ones take the ports of their first fragment. */
	if (l->frag == FRAG_FIRST) {
		frag_remember(ft->frags, ft->key, l, ts + ft->cfg.frag_ns);
	} else if (l->frag == FRAG_LATER) {
		if (frag_lookup(ft->frags, ft->key, l, ts, &fp->l.sport, &fp->l.dport)) {
			fp->l.has_ports = 1;
			ft->st.frag_later++;
		} else {
			ft->st.frag_orphans++;
		}
	}
	flow_key_from_l34(&fp->key, &fp->l, &fp->sender);
	fp->hash = key_hash(ft, &fp->key);
	__builtin_prefetch(&ft->slots[fp->hash & ft->mask]);
}

void
flow_table_prefetch(const struct flow_table *ft, const struct flow_prep *fp)
{
	uint32_t idx1 = ft->slots[fp->hash & ft->mask].idx1;

	/* The home slot's flow is ours in the common case. */
	if (idx1)
		__builtin_prefetch(&ft->pool[idx1 - 1]);
}

struct flow *
flow_table_apply(struct flow_table *ft, const struct flow_prep *fp, uint64_t ts,
                 uint32_t wirelen, int iface)
{
	const struct l34 *l = &fp->l;
	const struct flow_key *k = &fp->key;
	uint32_t h = fp->hash, slot, idx;
	int sender = fp->sender, created = 0;
	struct flow *f;

	if (ts > ft->now)
		ft->now = ts;
	if (ft->now >= ft->next_sweep) {
		flow_table_expire(ft, ft->now);
		ft->next_sweep = ft->now + NS_PER_SEC;
	}

	idx = index_find(ft, k, h, &slot);
	if (idx != FLOW_NIL) {
		f = &ft->pool[idx];
		/* Idle since before this packet (the sweep may not have run yet),
		 * or a new connection reusing a finished one's ports. */
		if ((ts > f->last_ns && ts - f->last_ns >= ft->cfg.idle_ns[f->tclass]) ||
		    flow_tcp_is_reuse(f, l, sender)) {
			flow_release(ft, f, FLOW_END_IDLE);
			index_find(ft, k, h, &slot);
			f = flow_create(ft, k, h, slot, l, sender, ts, iface);
			idx = (uint32_t)(f - ft->pool);
			created = 1;
		} else if (ft->cfg.active_ns && ts > f->first_ns &&
		           ts - f->first_ns >= ft->cfg.active_ns) {
			flow_split(ft, f, ts);
		}
	} else {
		f = flow_create(ft, k, h, slot, l, sender, ts, iface);
		idx = (uint32_t)(f - ft->pool);
		created = 1;
	}

	f->pkts[sender]++;
	f->bytes[sender] += wirelen;
	if (ts > f->last_ns)
		f->last_ns = ts;
	else if (ts < f->first_ns)
		f->first_ns = ts;
	if (k->proto == 6)
		flow_tcp_update(f, l, sender);
	lru_touch(ft, f, idx, tclass_of(f));
	ft->st.packets++;
	if (created && ft->on_first)
		ft->on_first(f, ft->on_first_data);
	return f;
}

struct flow *
flow_table_packet(struct flow_table *ft, const struct l34 *l, uint64_t ts, uint32_t wirelen,
                  int iface)
{
	struct flow_prep fp;

	flow_table_prepare(ft, l, ts, &fp);
	return flow_table_apply(ft, &fp, ts, wirelen, iface);
}
