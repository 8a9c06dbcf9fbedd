/* alert.c — emitting and folding violations.
 *
 * The first violation of a (source address, destination address, protocol,
 * server port, deciding rules) key is emitted at once: the time from packet
 * to collector is what limits an attacker's dwell time. Repeats within the
 * window are counted into it; when the window closes, one alert stands for
 * them all with their count and the span of time they covered. Windows all
 * last the same, so they close in the order they opened: a FIFO, and a
 * keyed hash table (attacker-chosen addresses) to find the open one. */
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "hash.h"
#include "inventory.h"
#include "log.h"

struct fold_key {
	uint8_t src[16], dst[16];
	uint32_t rule[2];
	uint16_t port;
	uint8_t proto, family, denied, pad[3];
};

struct fold {
	struct fold_key key;
	uint64_t opened_ns;
	uint64_t repeats;         /* violations after the first, not yet emitted */
	struct flow last;         /* the latest repeat, spanning first..last repeat */
	struct fold *hnext;       /* hash chain */
	struct fold *qnext;       /* FIFO by opening time */
};

struct alerts {
	uint64_t window;
	size_t max;
	alert_emit_fn emit;
	void *data;
	uint8_t hkey[16];
	struct fold **bucket;
	size_t nbuckets;          /* power of two */
	struct fold *head, *tail;
	struct alert_stats st;
};

struct alerts *
alerts_new(uint64_t window_ns, size_t max, alert_emit_fn emit, void *data)
{
	struct alerts *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->window = window_ns;
	a->max = max ? max : 1;
	a->emit = emit;
	a->data = data;
	for (a->nbuckets = 64; a->nbuckets < a->max; a->nbuckets <<= 1)
		;
	if (!(a->bucket = calloc(a->nbuckets, sizeof(*a->bucket))) || hash_random_key(a->hkey) < 0) {
		free(a->bucket);
		free(a);
		return NULL;
	}
	return a;
}

static void
key_of(const struct flow *f, struct fold_key *k)
{
	int s = flow_src_side(f), d = flow_dst_side(f);
	size_t alen = f->key.family == 6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	memcpy(k->src, f->key.addr[s], alen);
	memcpy(k->dst, f->key.addr[d], alen);
	k->port = f->key.noports ? 0 : f->key.port[d];
	k->proto = f->key.proto;
	k->family = f->key.family;
	k->denied = f->judged.denied;
	k->rule[0] = f->judged.rule[0];
	k->rule[1] = f->judged.rule[1];
}

static void
refs(const struct flow *f, int delta)
{
	int side;

	for (side = 0; side < 2; side++)
		if (f->ctr[side])
			((struct inv_container *)f->ctr[side])->refs += delta;
}

/* Close the oldest window: emit what it folded, let go of it. */
static void
close_head(struct alerts *a)
{
	struct fold *fo = a->head, **pp;
	size_t b = siphash13(&fo->key, sizeof(fo->key), a->hkey) & (a->nbuckets - 1);

	for (pp = &a->bucket[b]; *pp != fo; pp = &(*pp)->hnext)
		;
	*pp = fo->hnext;
	if (!(a->head = fo->qnext))
		a->tail = NULL;
	a->st.open--;
	if (fo->repeats) {
		a->st.emitted++;
		a->emit(&fo->last, fo->repeats, a->data);
		refs(&fo->last, -1);
	}
	free(fo);
}

void
alerts_raise(struct alerts *a, const struct flow *f, uint64_t now)
{
	struct fold_key k;
	struct fold *fo;
	size_t b;

	a->st.violations++;
	alerts_expire(a, now);
	key_of(f, &k);
	b = siphash13(&k, sizeof(k), a->hkey) & (a->nbuckets - 1);
	for (fo = a->bucket[b]; fo; fo = fo->hnext)
		if (!memcmp(&fo->key, &k, sizeof(k)))
			break;
	if (fo) {
		uint64_t first = fo->repeats ? fo->last.first_ns : f->first_ns;
		if (fo->repeats)
			refs(&fo->last, -1);
		fo->last = *f;
		fo->last.nat = NULL;       /* owned by the live flow */
		fo->last.last_ns = now;
		fo->last.first_ns = first < f->first_ns ? first : f->first_ns;
		refs(&fo->last, +1);
		fo->repeats++;
		a->st.folded++;
		return;
	}
	a->st.emitted++;
	{
		/* The alert's time is the violation's, whatever came after. */
		struct flow at = *f;
		at.last_ns = now;
		a->emit(&at, 1, a->data);
	}
	if (a->st.open >= a->max)
		close_head(a);
	if (!(fo = calloc(1, sizeof(*fo)))) {
		log_warnx("alerts: out of memory, repeats of this violation are not folded");
		return;
	}
	fo->key = k;
	fo->opened_ns = now;
	fo->hnext = a->bucket[b];
	a->bucket[b] = fo;
	if (a->tail)
		a->tail->qnext = fo;
	else
		a->head = fo;
	a->tail = fo;
	a->st.open++;
}

void
alerts_expire(struct alerts *a, uint64_t now)
{
	while (a->head && now >= a->head->opened_ns && now - a->head->opened_ns >= a->window)
		close_head(a);
}

void
alerts_flush(struct alerts *a)
{
	while (a->head)
		close_head(a);
}

const struct alert_stats *
alerts_stats(const struct alerts *a)
{
	return &a->st;
}

void
alerts_free(struct alerts *a)
{
	if (!a)
		return;
	/* The owner flushed what it wanted delivered; the rest just goes. */
	while (a->head) {
		struct fold *fo = a->head;
		a->head = fo->qnext;
		if (fo->repeats)
			refs(&fo->last, -1);
		free(fo);
	}
	free(a->bucket);
	free(a);
}
