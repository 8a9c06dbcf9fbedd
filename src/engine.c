/* engine.c — capture → decode → flow table → records. One packet is decoded
 * once, in place, and touches one flow slot per IP layer (two for a tunnel:
 * the outer and the inner flow). Records are built only when a flow ends and
 * only if a sink wants them. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"

#define ENGINE_MAX_OUTPUTS 16
#define ENGINE_MAX_IFACES  4096

struct engine {
	struct flow_table *ft;
	const char *node;
	struct attrib *attrib;
	struct output *flow_out[ENGINE_MAX_OUTPUTS];
	int nflow_out;
	char **ifnames;
	int nifnames;
	struct engine_stats st;
};

static void
emit_flow(const struct flow *f, enum flow_end why, void *data)
{
	struct engine *e = data;
	struct record r = {
		.type = RECORD_FLOW,
		.flow = f,
		.end = why,
		.node = e->node,
		.interface = f->iface >= 0 && f->iface < e->nifnames ? e->ifnames[f->iface] : NULL,
	};
	int i;

	for (i = 0; i < e->nflow_out; i++)
		if (output_write(e->flow_out[i], &r) < 0)
			e->st.output_failures++;
}

struct engine *
engine_new(const struct flow_config *fc, const char *node)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->node = node;
	e->ft = flow_table_new(fc, emit_flow, e);
	if (!e->ft) {
		free(e);
		return NULL;
	}
	return e;
}

/* Name each side of a new flow: by the link address the capture saw (a
 * veth's MAC belongs to one container), else by IP address. Once per flow. */
static void
attribute_flow(struct flow *f, void *data)
{
	const struct attrib *a = data;
	int side;

	for (side = 0; side < 2; side++) {
		const struct inv_container *c = NULL;
		if (f->has_mac & (1u << side))
			c = attrib_by_mac(a, f->mac[side]);
		if (!c)
			c = attrib_by_ip(a, f->key.family, f->key.addr[side]);
		f->ctr[side] = c;
	}
}

int
engine_set_inventory(struct engine *e, const struct inventory *inv)
{
	attrib_free(e->attrib);
	if (!(e->attrib = attrib_build(inv)))
		return -1;
	if (!e->node && inv->node)
		e->node = inv->node;
	flow_table_on_new(e->ft, attribute_flow, e->attrib);
	return 0;
}

void
engine_free(struct engine *e)
{
	int i;

	if (!e)
		return;
	flow_table_free(e->ft);
	attrib_free(e->attrib);
	for (i = 0; i < e->nifnames; i++)
		free(e->ifnames[i]);
	free(e->ifnames);
	free(e);
}

int
engine_add_flow_output(struct engine *e, struct output *o)
{
	if (e->nflow_out >= ENGINE_MAX_OUTPUTS)
		return -1;
	e->flow_out[e->nflow_out++] = o;
	return 0;
}

int
engine_iface(struct engine *e, const char *name)
{
	char **n;
	int i;

	if (!name)
		return -1;
	for (i = 0; i < e->nifnames; i++)
		if (!strcmp(e->ifnames[i], name))
			return i;
	if (e->nifnames >= ENGINE_MAX_IFACES)
		return -1;
	n = realloc(e->ifnames, sizeof(*n) * (size_t)(e->nifnames + 1));
	if (!n)
		return -1;
	e->ifnames = n;
	if (!(n[e->nifnames] = strdup(name)))
		return -1;
	return e->nifnames++;
}

/* Count a packet and decode it; returns its number of IP layers. */
static int
account(struct engine *e, const struct pkt *p, struct decoded *d)
{
	int n;

	e->st.packets++;
	e->st.bytes += p->len;
	if (!e->st.first_ns || p->ts_ns < e->st.first_ns)
		e->st.first_ns = p->ts_ns;
	if (p->ts_ns > e->st.last_ns)
		e->st.last_ns = p->ts_ns;
	n = decode_packet(p, d);
	if (n == 0)
		e->st.undecoded[d->reason]++;
	else if (d->reason != DEC_OK)
		e->st.inner_undecoded[d->reason]++;
	return n;
}

void
engine_packet(struct engine *e, const struct pkt *p, int iface)
{
	struct decoded d;
	int i, n = account(e, p, &d);

	for (i = 0; i < n; i++)
		flow_table_packet(e->ft, &d.layer[i], p->ts_ns, p->len, iface);
}

void
engine_packets(struct engine *e, const struct pkt *p, const int *iface, int n)
{
	struct flow_prep fp[ENGINE_BATCH * DECODE_MAX_LAYERS];
	int owner[ENGINE_BATCH * DECODE_MAX_LAYERS];
	struct decoded d;
	int i, j, nl = 0;

	if (n > ENGINE_BATCH)
		n = ENGINE_BATCH;
	/* Stage 1: decode, key, hash; the index slot is prefetched. */
	for (i = 0; i < n; i++) {
		int k, layers = account(e, &p[i], &d);
		for (k = 0; k < layers; k++) {
			flow_table_prepare(e->ft, &d.layer[k], p[i].ts_ns, &fp[nl]);
			owner[nl++] = i;
		}
	}
	/* Stage 2: the slots have arrived; fetch the flows they name. */
	for (j = 0; j < nl; j++)
		flow_table_prefetch(e->ft, &fp[j]);
	/* Stage 3: update, in packet order. */
	for (j = 0; j < nl; j++)
		flow_table_apply(e->ft, &fp[j], p[owner[j]].ts_ns, p[owner[j]].len, iface[owner[j]]);
}

/* Map a capture's interface index to the engine's interface id. */
struct iface_map {
	int *id;
	int n;
};

static int
iface_map_get(struct iface_map *m, struct engine *e, const struct capture *c, int iface)
{
	if (iface < 0)
		return -1;
	if (iface >= m->n) {
		int k, nn = iface + 1;
		int *id = realloc(m->id, sizeof(*id) * (size_t)nn);
		if (!id)
			return -1;      /* the packet just goes without a name */
		for (k = m->n; k < nn; k++)
			id[k] = -2;
		m->id = id;
		m->n = nn;
	}
	if (m->id[iface] == -2)
		m->id[iface] = engine_iface(e, capture_iface_name(c, iface));
	return m->id[iface];
}

int
engine_read(struct engine *e, struct capture *c, unsigned long long *npackets)
{
	struct pkt batch[ENGINE_BATCH];
	int ifaces[ENGINE_BATCH];
	struct iface_map ifm = { 0 };
	int r, nb;

	*npackets = 0;
	do {
		for (nb = 0; nb < ENGINE_BATCH; nb++) {
			if ((r = capture_next(c, &batch[nb])) != 1)
				break;
			ifaces[nb] = iface_map_get(&ifm, e, c, batch[nb].iface);
		}
		engine_packets(e, batch, ifaces, nb);
		capture_release(c);
		*npackets += (unsigned long long)nb;
	} while (r == 1);
	free(ifm.id);
	return r < 0 ? -1 : 0;
}

void
engine_finish(struct engine *e)
{
	int i;

	flow_table_finish(e->ft, FLOW_END_EOF);
	for (i = 0; i < e->nflow_out; i++)
		if (output_flush(e->flow_out[i]) < 0)
			e->st.output_failures++;
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->st;
}

const struct flow_stats *
engine_flow_stats(const struct engine *e)
{
	return flow_table_stats(e->ft);
}
