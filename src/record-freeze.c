/* record-freeze.c — a record copied, with all it borrows, into one block on
 * the capture thread, so that a sink's thread encodes it later (output.c).
 *
 * A record borrows what it prints: the flow, the containers, NAT tuples,
 * DNS and profile names, all of which change or go once the capture
 * thread moves on. Freezing copies exactly what record_walk() reads
 * (record-walk.h says what that is) and nothing is formatted: escaping,
 * numbers, times, addresses and the Community ID are the sink thread's
 * work. The block:
 *
 *   struct frozen   the record and the flow, copied whole
 *   containers      the flow's (0 to 2), then its NAT entry if any, whole
 *   labels          each container's struct inv_label array
 *   strings         NUL-terminated, then padding to 8 bytes
 *
 * Pointers in the copies hold offsets into the block (0: NULL) until
 * thawed; thawing turns them back into pointers, in place. Absent parts
 * take no room: most records have no NAT entry, and without an inventory
 * no containers (the block is then ~350 bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "nat.h"
#include "output-int.h"

struct frozen {
	uint64_t len;                 /* the whole block, a multiple of 8 */
	uint32_t ctr_at[2];           /* where each container's copy is, 0: none */
	uint32_t nat_at;              /* where the NAT entry's copy is, 0: none */
	struct record r;
	struct flow f;
};

/* The record's strings: copied on freezing, their offsets fixed on
 * thawing; one list for both. */
static const size_t rec_strs[] = {
	offsetof(struct record, node), offsetof(struct record, interface),
	offsetof(struct record, direction), offsetof(struct record, profile),
	offsetof(struct record, rule), offsetof(struct record, reason),
	offsetof(struct record, denied_by), offsetof(struct record, ctr_profile[0]),
	offsetof(struct record, ctr_profile[1]), offsetof(struct record, dns[0]),
	offsetof(struct record, dns[1]),
};
#define NREC_STRS (sizeof(rec_strs) / sizeof(rec_strs[0]))

/* A container's, as record_walk prints it (the rest is set NULL). */
static const size_t ctr_strs[] = {
	offsetof(struct inv_container, id), offsetof(struct inv_container, name),
	offsetof(struct inv_container, image), offsetof(struct inv_container, namespace),
	offsetof(struct inv_container, pod),
};
#define NCTR_STRS (sizeof(ctr_strs) / sizeof(ctr_strs[0]))

#define FIELD(base, off) (*(const char **)((char *)(base) + (off)))

static size_t
pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Copy s into the block at *at, put its offset in the field: strings are
 * written in the order they were measured. */
static inline void
put_str(uint8_t *blk, size_t *at, const char **field, const char *s, size_t n)
{
	if (!s) {
		*field = NULL;
		return;
	}
	memcpy(blk + *at, s, n + 1);
	*field = (const char *)(uintptr_t)*at;
	*at += n + 1;
}

int
record_freeze(struct strbuf *b, const struct record *r)
{
	const struct flow *f = r->flow;
	size_t rlen[NREC_STRS], clen[2][NCTR_STRS], *llen[2] = { NULL, NULL };
	size_t need = sizeof(struct frozen), at, base, i, k;
	size_t lstack[2][16];
	struct frozen *fz;
	struct inv_container *cc;
	struct inv_label *lab;
	const struct inv_container *c;
	uint8_t *blk;

	/* Measure. */
	for (i = 0; i < NREC_STRS; i++) {
		const char *s = FIELD(r, rec_strs[i]);
		rlen[i] = s ? strlen(s) : 0;
		need += s ? rlen[i] + 1 : 0;
	}
	for (k = 0; k < 2; k++)
		need += f->ctr[k] ? sizeof(struct inv_container) : 0;
	need += f->nat ? pad8(sizeof(struct nat_entry)) : 0;
	for (k = 0; k < 2; k++) {
		if (!(c = f->ctr[k]))
			continue;
		for (i = 0; i < NCTR_STRS; i++) {
			const char *s = FIELD(c, ctr_strs[i]);
			clen[k][i] = s ? strlen(s) : 0;
			need += s ? clen[k][i] + 1 : 0;
		}
		llen[k] = c->nlabels <= 8 ? lstack[k] : malloc(2 * c->nlabels * sizeof(size_t));
		if (!llen[k])
			goto oom;
		need += c->nlabels * sizeof(struct inv_label);
		for (i = 0; i < c->nlabels; i++) {
			llen[k][2 * i] = strlen(c->labels[i].key);
			llen[k][2 * i + 1] = strlen(c->labels[i].value);
			need += llen[k][2 * i] + llen[k][2 * i + 1] + 2;
		}
	}
	need = pad8(need);
	base = pad8(b->len);
	if (need > UINT32_MAX || strbuf_reserve(b, base - b->len + need) < 0)
		goto oom;
	b->len = base;
	blk = (uint8_t *)b->p + base;

	/* Copy: the structures whole, then what their pointers point to. */
	fz = (struct frozen *)blk;
	fz->len = need;
	fz->ctr_at[0] = fz->ctr_at[1] = fz->nat_at = 0;
	fz->r = *r;
	fz->f = *f;
	fz->r.flow = NULL;
	fz->f.ctr[0] = fz->f.ctr[1] = NULL;
	fz->f.nat = NULL;
	at = sizeof(*fz);
	for (k = 0; k < 2; k++) {
		if (!f->ctr[k])
			continue;
		fz->ctr_at[k] = (uint32_t)at;
		at += sizeof(struct inv_container);
	}
	if (f->nat) {
		fz->nat_at = (uint32_t)at;
		memcpy(blk + at, f->nat, sizeof(struct nat_entry));
		at += pad8(sizeof(struct nat_entry));
	}
	for (k = 0; k < 2; k++) {
		if (!(c = f->ctr[k]))
			continue;
		cc = (struct inv_container *)(blk + fz->ctr_at[k]);
		*cc = (struct inv_container){
			.nlabels = c->nlabels,
			.labels = (struct inv_label *)(uintptr_t)at,
		};
		at += c->nlabels * sizeof(struct inv_label);
	}
	for (i = 0; i < NREC_STRS; i++)
		put_str(blk, &at, &FIELD(&fz->r, rec_strs[i]), FIELD(r, rec_strs[i]), rlen[i]);
	for (k = 0; k < 2; k++) {
		if (!(c = f->ctr[k]))
			continue;
		cc = (struct inv_container *)(blk + fz->ctr_at[k]);
		for (i = 0; i < NCTR_STRS; i++)
			put_str(blk, &at, &FIELD(cc, ctr_strs[i]), FIELD(c, ctr_strs[i]), clen[k][i]);
		lab = (struct inv_label *)(blk + (uintptr_t)cc->labels);
		for (i = 0; i < c->nlabels; i++) {
			put_str(blk, &at, (const char **)&lab[i].key, c->labels[i].key, llen[k][2 * i]);
			put_str(blk, &at, (const char **)&lab[i].value, c->labels[i].value,
			        llen[k][2 * i + 1]);
		}
		if (llen[k] != lstack[k])
			free(llen[k]);
	}
	memset(blk + at, 0, need - at);
	b->len += need;
	return 0;
oom:
	for (k = 0; k < 2; k++)
		if (llen[k] && llen[k] != lstack[k])
			free(llen[k]);
	return -1;
}

/* An offset stored in a pointer field back to a pointer into the block:
 * 0 stays NULL; anything else must name a NUL-terminated string inside. */
static int
thaw_str(uint8_t *blk, size_t len, const char **field)
{
	uintptr_t off = (uintptr_t)*field;

	if (!off)
		return 0;
	if (off < sizeof(struct frozen) || off >= len || !memchr(blk + off, '\0', len - off))
		return -1;
	*field = (const char *)blk + off;
	return 0;
}

int
record_thaw(uint8_t *p, size_t avail, const struct record **rp, size_t *lenp)
{
	struct frozen *fz = (struct frozen *)p;
	struct inv_container *c;
	struct inv_label *lab;
	uintptr_t loff;
	size_t i, k, len;

	if (avail < sizeof(*fz) || ((uintptr_t)p & 7))
		return -1;
	len = fz->len;
	if (len < sizeof(*fz) || len > avail || (len & 7))
		return -1;
	for (i = 0; i < NREC_STRS; i++)
		if (thaw_str(p, len, &FIELD(&fz->r, rec_strs[i])) < 0)
			return -1;
	for (k = 0; k < 2; k++) {
		fz->f.ctr[k] = NULL;
		if (!fz->ctr_at[k])
			continue;
		if (fz->ctr_at[k] < sizeof(*fz) || (fz->ctr_at[k] & 7) ||
		    fz->ctr_at[k] > len - sizeof(*c))
			return -1;
		c = (struct inv_container *)(p + fz->ctr_at[k]);
		for (i = 0; i < NCTR_STRS; i++)
			if (thaw_str(p, len, &FIELD(c, ctr_strs[i])) < 0)
				return -1;
		loff = (uintptr_t)c->labels;
		if (loff > len || (loff & 7) || c->nlabels > (len - loff) / sizeof(*lab))
			return -1;
		lab = (struct inv_label *)(p + loff);
		c->labels = lab;
		for (i = 0; i < c->nlabels; i++)
			if (thaw_str(p, len, (const char **)&lab[i].key) < 0 || !lab[i].key ||
			    thaw_str(p, len, (const char **)&lab[i].value) < 0 || !lab[i].value)
				return -1;
		fz->f.ctr[k] = c;
	}
	fz->f.nat = NULL;
	if (fz->nat_at) {
		if (fz->nat_at < sizeof(*fz) || fz->nat_at > len - sizeof(struct nat_entry))
			return -1;
		fz->f.nat = (struct nat_entry *)(p + fz->nat_at);
	}
	fz->r.flow = &fz->f;
	*rp = &fz->r;
	*lenp = len;
	return 0;
}
