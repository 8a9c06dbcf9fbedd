/* engine.c — capture → decode → flow table → records. One packet is decoded
 * once, in place, and touches one flow slot per IP layer (two for a tunnel:
 * the outer and the inner flow). Records are built only when a flow ends and
 * only if a sink wants them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "cgroup.h"
#include "dns.h"
#include "engine.h"
#include "handoff.h"
#include "log.h"
#include "nat.h"
#include "netlink.h"
#include "profile.h"

#define ENGINE_MAX_OUTPUTS 16
#define ENGINE_MAX_IFACES  4096
#define ENGINE_MAX_CONSUMERS 4
#define ENGINE_DNS_ENTRIES 65536
#define ENGINE_ALERT_FOLDS 65536
#define PORT_DNS 53
#define ENGINE_PENDING (ENGINE_BATCH * DECODE_MAX_LAYERS)

struct engine {
	struct flow_table *ft;
	char *node;                  /* owned: inventories come and go under it */
	struct attrib *attrib;
	const struct inventory *inv;
	int live;
	int *ifindex;                /* host ifindex of interned interfaces [0, nifindex) */
	int nifindex;
	struct sock_table *socks;    /* live: host sockets, refreshed on a miss */
	uint64_t socks_ns;
	const struct nat_table *nat; /* live: conntrack's translated connections */
	struct output *flow_out[ENGINE_MAX_OUTPUTS];
	int nflow_out;
	struct { engine_record_fn fn; void *data; } consumer[ENGINE_MAX_CONSUMERS];
	int nconsumers;
	struct output *alert_out[ENGINE_MAX_OUTPUTS];
	int nalert_out;
	struct dns_cache *dns;       /* passive DNS: names for records, `dns` peers */
	struct profile_eval *pe;     /* NULL: no profiles, every flow unprofiled */
	struct alerts *alerts;
	uint64_t alert_window;
	struct flow *pending[ENGINE_PENDING]; /* new flows of this batch, not judged yet */
	int npending;
	char **ifnames;              /* ENGINE_MAX_IFACES of them: never moved */
	int nifnames;
	struct engine_stats st;
	/* Offloaded (engine_offload): judging, passive DNS, alerts and
	 * records are the worker thread's, fed by events in packet order. */
	struct handoff *ho;
	pthread_t worker;
	struct judgement *wjudged;   /* the worker's verdicts, by flow slot */
	uint32_t max_flows;
};

/* An event for the worker: this head, then a struct flow (EV_NEW, EV_END)
 * or a DNS message (EV_DNS); each a multiple of 8 bytes long. */
enum { EV_NEW = 1, EV_END, EV_DNS, EV_TICK, EV_ALERTS_FLUSH };
struct ev {
	uint32_t type, size;
	uint32_t slot;               /* the flow's (EV_NEW, EV_END, EV_DNS) */
	uint32_t paylen;             /* EV_DNS */
	uint64_t ts;                 /* EV_DNS, EV_TICK */
	uint8_t why;                 /* EV_END */
	uint8_t proto;               /* EV_DNS: 6 or 17 */
	uint8_t pad[6];
};

static void worker_stop(struct engine *e);

/* What every record of flow f says beyond the flow itself: the verdict and
 * who made it, the names passive DNS knows. */
static void
record_fill(struct engine *e, const struct flow *f, struct record *r)
{
	int s = flow_src_side(f), d = flow_dst_side(f);

	r->node = e->node;
	/* Not bounded by nifnames: the worker reads this while the capture
	 * thread may name a new interface (a flow's was named before it). */
	r->interface = f->iface >= 0 && f->iface < ENGINE_MAX_IFACES && e->ifnames
	               ? e->ifnames[f->iface] : NULL;
	r->dns[0] = e->dns ? dns_cache_name(e->dns, f->key.family, f->key.addr[s]) : NULL;
	r->dns[1] = e->dns ? dns_cache_name(e->dns, f->key.family, f->key.addr[d]) : NULL;
	if (e->pe && f->judged.judged) {
		profile_eval_describe(e->pe, &f->judged, f, r);
		return;
	}
	/* Unjudged: seen from the container that owns the flow, leaving the
	 * initiator or, when only the responder is one, arriving at it. */
	r->verdict = VERDICT_UNPROFILED;
	r->direction = f->ctr[s] ? "egress" : f->ctr[d] ? "ingress" : NULL;
}

static void
deliver(struct engine *e, const struct record *r, struct output **out, int nout)
{
	int i;

	for (i = 0; i < nout; i++)
		if (output_write(out[i], r) < 0)
			e->st.output_failures++;
	for (i = 0; i < e->nconsumers; i++)
		e->consumer[i].fn(r, e->consumer[i].data);
}

static void judge_now(struct engine *e, struct flow *f);

/* An event of extra bytes after its head, for the worker: fill them, then
 * ev_commit. NULL only if it can never fit (a buffer is bigger than any). */
static struct ev *
ev_begin(struct engine *e, uint32_t type, size_t extra)
{
	size_t size = (sizeof(struct ev) + extra + 7) & ~(size_t)7;
	struct ev *ev = handoff_reserve(e->ho, size);

	if (!ev)
		return NULL;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->size = (uint32_t)size;
	return ev;
}

static void
ev_commit(struct engine *e, struct ev *ev)
{
	handoff_commit(e->ho, ev->size);
}

/* The alert clock, EV_TICK (close the windows opened before now's) or
 * EV_ALERTS_FLUSH (close them all): here, or in order on the worker. */
static void
alerts_clock(struct engine *e, uint32_t type, uint64_t now)
{
	struct ev *ev;

	if (!e->alerts)
		return;
	if (e->ho) {
		if ((ev = ev_begin(e, type, 0))) {
			ev->ts = now;
			ev_commit(e, ev);
		}
	} else if (type == EV_TICK) {
		alerts_expire(e->alerts, now);
	} else {
		alerts_flush(e->alerts);
	}
}

/* A flow as it is now, for the worker (at its first packet, at its end). */
static void
ev_flow(struct engine *e, uint32_t type, const struct flow *f, enum flow_end why)
{
	struct ev *ev = ev_begin(e, type, sizeof(*f));

	if (!ev)
		return;
	ev->slot = flow_table_slot(e->ft, f);
	ev->why = (uint8_t)why;
	memcpy(ev + 1, f, sizeof(*f));
	ev_commit(e, ev);
}

static void
emit_flow(const struct flow *f, enum flow_end why, void *data)
{
	struct engine *e = data;
	struct record r = { .type = RECORD_FLOW, .flow = f, .end = why, .severity = 6 };
	int side;

	/* Finished within the batch that made it: judged now, before its
	 * record. */
	if (e->pe && !f->judged.judged)
		judge_now(e, (struct flow *)f);
	if (e->nflow_out || e->nconsumers) {
		if (e->ho) {
			/* The worker has its verdict and writes its record (the
			 * containers outlive the worker: read only). */
			ev_flow(e, EV_END, f, why);
		} else {
			record_fill(e, f, &r);
			deliver(e, &r, e->flow_out, e->nflow_out);
		}
	}
	/* The flow ends (an active-timeout part goes on): let go of its
	 * containers. */
	if (why != FLOW_END_ACTIVE) {
		for (side = 0; side < 2; side++)
			if (f->ctr[side])
				((struct inv_container *)f->ctr[side])->refs--;
		free(f->nat);
		((struct flow *)f)->nat = NULL;
	}
}

static void
emit_alert(const struct flow *f, uint64_t count, void *data)
{
	struct engine *e = data;
	struct record r = { .type = RECORD_VIOLATION, .flow = f, .end = FLOW_END_EOF,
	                    .time_ns = f->last_ns, .count = count, .severity = 4 };

	e->st.alerts++;
	record_fill(e, f, &r);
	deliver(e, &r, e->alert_out, e->nalert_out);
}

/* A flow's verdict, and an alert if denied. */
static void
judge_here(struct engine *e, struct flow *f)
{
	/* As at its first packet: judging may wait for the end of the batch. */
	profile_eval_judge(e->pe, f, f->first_ns, &f->judged);
	e->st.verdicts[f->judged.verdict < 3 ? f->judged.verdict : VERDICT_UNPROFILED]++;
	if (f->judged.verdict == VERDICT_DENY) {
		e->st.violations++;
		alerts_raise(e->alerts, f, f->first_ns);
	}
}

/* Offloaded, the worker judges a copy of the flow as it is now (so that an
 * alert shows the same as on one thread); here judged only says it went. */
static void
judge_now(struct engine *e, struct flow *f)
{
	if (!e->ho) {
		judge_here(e, f);
		return;
	}
	ev_flow(e, EV_NEW, f, 0);
	f->judged.judged = 1;
}

/* After a flow's first packet. Within a batch, new flows are judged
 * together at its end, their profiles' rules fetched as each is made: with
 * many profiles those are never in cache, and waiting for them one flow at
 * a time is most of what judging costs. Finding the profile costs nothing
 * here: attribution has just counted the flow in its containers, on the
 * line that holds their profiles. */
static void
judge_flow(struct flow *f, void *data)
{
	struct engine *e = data;

	if (!e->pe)
		return;
	if (e->npending < ENGINE_PENDING) {
		/* (Not offloaded: the containers' cached answers are the
		 * worker's to write.) */
		if (!e->ho)
			profile_eval_prefetch(e->pe, f);
		e->pending[e->npending++] = f;
		return;
	}
	judge_now(e, f);
}

/* The batch's new flows. A slot may have been finished (judged then, in
 * emit_flow) or even reused by a later flow of the batch, which is also in
 * the list: judged once either way. */
static void
judge_pending(struct engine *e)
{
	int i;

	for (i = 0; i < e->npending; i++) {
		struct flow *f = e->pending[i];
		if (f->in_use && !f->judged.judged)
			judge_now(e, f);
	}
	e->npending = 0;
}

/* A reload: judge the flows in the table again; one newly denied alerts. */
static void
rejudge_flow(struct flow *f, void *data)
{
	struct engine *e = data;
	uint8_t was = f->judged.judged ? f->judged.verdict : VERDICT_UNPROFILED;

	if (!e->pe) {
		memset(&f->judged, 0, sizeof(f->judged));
		return;
	}
	profile_eval_judge(e->pe, f, f->last_ns, &f->judged);
	if (f->judged.verdict == VERDICT_DENY && was != VERDICT_DENY) {
		e->st.violations++;
		alerts_raise(e->alerts, f, f->last_ns);
	}
}

struct engine *
engine_new(const struct flow_config *fc, const char *node)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (node && !(e->node = strdup(node))) {
		free(e);
		return NULL;
	}
	e->ft = flow_table_new(fc, emit_flow, e);
	e->max_flows = fc->max_flows;
	e->dns = dns_cache_new(ENGINE_DNS_ENTRIES);
	e->alert_window = 60ULL * 1000000000ULL;
	if (!e->ft || !e->dns) {
		flow_table_free(e->ft);
		dns_cache_free(e->dns);
		free(e->node);
		free(e);
		return NULL;
	}
	flow_table_on_first(e->ft, judge_flow, e);
	return e;
}

static int
has_addr(const struct inv_container *c, int family, const uint8_t *addr)
{
	size_t i, k;

	for (i = 0; i < c->nifaces; i++)
		for (k = 0; k < c->ifaces[i].naddrs; k++)
			if (c->ifaces[i].addrs[k].family == family &&
			    !memcmp(c->ifaces[i].addrs[k].addr, addr, family == 6 ? 16 : 4))
				return 1;
	return 0;
}

static int
has_mac(const struct inv_container *c, const uint8_t mac[6])
{
	size_t i;

	for (i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].has_mac && !memcmp(c->ifaces[i].mac, mac, 6))
			return 1;
	return 0;
}

/* A host-network container owns a host address's port through a socket:
 * the socket's process, its cgroup, the container with that id. */
static const struct inv_container *
by_socket(struct engine *e, const struct flow *f, int side)
{
	struct cgroup_info ci;
	char path[512], err[256];
	int pid, tries;
	size_t i;

	for (tries = 0; tries < 2; tries++) {
		uint64_t now = e->socks_ns;
		if (!e->socks || tries) {
			/* Refresh on a miss, at most every 100 ms: a dump costs a
			 * netlink round trip and a walk of every process's fds. */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
			if (e->socks && now - e->socks_ns < 100000000ULL)
				return NULL;
			sock_table_free(e->socks);
			if (!(e->socks = sock_table_dump(err, sizeof(err)))) {
				log_warnx("socket table: %s", err);
				return NULL;
			}
			e->socks_ns = now;
		}
		pid = sock_table_owner(e->socks, f->key.proto, f->key.family, f->key.addr[side],
		                       f->key.port[side]);
		if (pid > 0)
			break;
	}
	if (pid <= 0 || cgroup_of_pid("/proc", pid, &ci, path, sizeof(path)) != 1)
		return NULL;
	for (i = 0; i < e->inv->n; i++) {
		const struct inv_container *c = e->inv->c[i];
		if (c->host_network && c->id && !strcmp(c->id, ci.id))
			return c;
	}
	return NULL;
}

/* 127.0.0.0/8 and ::1 are the host's too, though no interface lists them. */
static int
is_loopback(int family, const uint8_t *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	return family == 4 ? a[0] == 127 : !memcmp(a, v6lo, 16);
}

/* Name each side of a new flow, once per flow: live, the container whose
 * veth the packet was captured on, for the side that is it; then by the
 * link address the capture saw (a veth's MAC belongs to one container);
 * then by IP address; and a host address, live, by the socket that owns
 * its port (host-network containers). */
/* The NAT entry of a new flow, as the initiator's first packet shows it. */
static void
nat_of(struct engine *e, struct flow *f)
{
	struct nat_tuple seen = { .family = f->key.family, .proto = f->key.proto };
	struct nat_entry ne;
	int s = flow_src_side(f), d = flow_dst_side(f);
	size_t alen = f->key.family == 6 ? 16 : 4;

	if (!e->nat || f->key.noports)
		return;
	memcpy(seen.src, f->key.addr[s], alen);
	memcpy(seen.dst, f->key.addr[d], alen);
	seen.sport = f->key.port[s];
	seen.dport = f->key.port[d];
	if (nat_lookup(e->nat, &seen, &ne) == 1 && (f->nat = malloc(sizeof(*f->nat))))
		*f->nat = ne;
}

static void
attribute_flow(struct flow *f, void *data)
{
	struct engine *e = data;
	const struct inv_container *onif = NULL;
	int side;

	nat_of(e, f);
	if (f->iface >= 0 && f->iface < e->nifindex && e->ifindex[f->iface] > 0)
		onif = attrib_by_host_ifindex(e->attrib, e->ifindex[f->iface]);
	for (side = 0; side < 2; side++) {
		const struct inv_container *c = NULL;
		int mac = f->has_mac & (1u << side);

		if (onif && ((mac && has_mac(onif, f->mac[side])) ||
		             has_addr(onif, f->key.family, f->key.addr[side])))
			c = onif;
		if (!c && mac)
			c = attrib_by_mac(e->attrib, f->mac[side]);
		if (!c)
			c = attrib_by_ip(e->attrib, f->key.family, f->key.addr[side]);
		/* Behind NAT: the initiator's address before translation, the
		 * responder's after (a published port's container). */
		if (!c && f->nat)
			c = attrib_by_ip(e->attrib, f->key.family, side == flow_src_side(f) ?
			                 f->nat->orig.src : f->nat->reply.src);
		if (!c && e->live && !f->key.noports &&
		    (f->key.proto == 6 || f->key.proto == 17) &&
		    (attrib_is_host(e->attrib, f->key.family, f->key.addr[side]) ||
		     is_loopback(f->key.family, f->key.addr[side])))
			c = by_socket(e, f, side);
		if (c)
			((struct inv_container *)c)->refs++;
		f->ctr[side] = c;
	}
}

int
engine_set_inventory(struct engine *e, const struct inventory *inv)
{
	struct attrib *a = attrib_build(inv);

	if (!a)
		return -1;
	attrib_free(e->attrib);
	e->attrib = a;
	e->inv = inv;
	if (e->pe)
		profile_eval_bind(e->pe, a, e->dns);
	if (!e->node && inv->node)
		e->node = strdup(inv->node);
	flow_table_on_new(e->ft, attribute_flow, e);
	return 0;
}

const struct attrib *
engine_attrib(const struct engine *e)
{
	return e->attrib;
}

void
engine_set_nat(struct engine *e, const struct nat_table *nat)
{
	e->nat = nat;
}

void
engine_set_live(struct engine *e, int live)
{
	e->live = live;
}

void
engine_iface_ifindex(struct engine *e, int iface, int ifindex)
{
	int *n, k;

	if (iface < 0 || iface >= e->nifnames)
		return;
	if (iface >= e->nifindex) {
		if (!(n = realloc(e->ifindex, sizeof(*n) * (size_t)(iface + 1))))
			return;
		for (k = e->nifindex; k <= iface; k++)
			n[k] = 0;
		e->ifindex = n;
		e->nifindex = iface + 1;
	}
	e->ifindex[iface] = ifindex;
}

void
engine_tick(struct engine *e, uint64_t now_ns)
{
	flow_table_expire(e->ft, now_ns);
	alerts_clock(e, EV_TICK, now_ns);
}

int
engine_set_profiles(struct engine *e, const struct profile_set *set, int strict)
{
	struct profile_eval *pe = NULL;

	if (set && !(pe = profile_eval_new(set, e->attrib, e->dns, strict)))
		return -1;
	return engine_use_profiles(e, pe);
}

int
engine_use_profiles(struct engine *e, struct profile_eval *pe)
{
	if (pe && !e->alerts &&
	    !(e->alerts = alerts_new(e->alert_window, ENGINE_ALERT_FOLDS, emit_alert, e))) {
		profile_eval_free(pe);
		return -1;
	}
	if (pe)
		profile_eval_bind(pe, e->attrib, e->dns);
	/* Folded alerts name rules of the old set: deliver them first. */
	alerts_clock(e, EV_ALERTS_FLUSH, 0);
	profile_eval_free(e->pe);
	e->pe = pe;
	flow_table_foreach(e->ft, rejudge_flow, e);
	return 0;
}

void
engine_set_alert_window(struct engine *e, uint64_t ns)
{
	e->alert_window = ns;
}

int
engine_add_alert_output(struct engine *e, struct output *o)
{
	if (e->nalert_out >= ENGINE_MAX_OUTPUTS)
		return -1;
	e->alert_out[e->nalert_out++] = o;
	return 0;
}

void
engine_free(struct engine *e)
{
	int i;

	if (!e)
		return;
	worker_stop(e);
	flow_table_free(e->ft);
	alerts_free(e->alerts);
	profile_eval_free(e->pe);
	dns_cache_free(e->dns);
	free(e->node);
	attrib_free(e->attrib);
	sock_table_free(e->socks);
	free(e->ifindex);
	for (i = 0; i < e->nifnames; i++)
		free(e->ifnames[i]);
	free(e->ifnames);
	free(e);
}

int
engine_on_record(struct engine *e, engine_record_fn fn, void *data)
{
	if (e->nconsumers >= ENGINE_MAX_CONSUMERS)
		return -1;
	e->consumer[e->nconsumers].fn = fn;
	e->consumer[e->nconsumers].data = data;
	e->nconsumers++;
	return 0;
}

int
engine_open_sinks(struct engine *e, const struct output_options *opt,
                  const char *const *flow, int nflow, const char *const *alert, int nalert,
                  struct output **outs, int *nouts)
{
	struct output_options oo = *opt;
	char err[512];
	int i;

	oo.close_timeout_ms = 0;
	output_set_options(&oo);
	*nouts = 0;
	for (i = 0; i < nflow + nalert; i++) {
		const char *spec = i < nflow ? flow[i] : alert[i - nflow];
		struct output *o = output_open(spec, err, sizeof(err));
		if (!o) {
			log_warnx("%s %s", i < nflow ? "--flows" : "-o", err);
			return -1;
		}
		outs[(*nouts)++] = o;
		if (i < nflow)
			engine_add_flow_output(e, o);
		else
			engine_add_alert_output(e, o);
	}
	return 0;
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
	int i;

	if (!name)
		return -1;
	for (i = 0; i < e->nifnames; i++)
		if (!strcmp(e->ifnames[i], name))
			return i;
	if (e->nifnames >= ENGINE_MAX_IFACES)
		return -1;
	if (!e->ifnames && !(e->ifnames = calloc(ENGINE_MAX_IFACES, sizeof(*e->ifnames))))
		return -1;
	if (!(e->ifnames[e->nifnames] = strdup(name)))
		return -1;
	return e->nifnames++;
}

static void judge_pending(struct engine *e);

/* Passive DNS: answers from port 53 teach names, in packet order, before
 * the flows they name begin. Only an answer to the flow's initiator counts
 * (a response to a query that was seen going out, not a packet someone sent
 * from port 53 unasked), and not on a flow the profiles deny: `dns` peers
 * must not be poisonable by the traffic they judge. A TCP segment is read
 * as it comes (a response split over segments is not reassembled: rare,
 * and then just not learned). */
static inline void
learn_dns(struct engine *e, const struct l34 *l, const struct flow *f, int sender, uint64_t ts)
{
	if (!l->payload || l->sport != PORT_DNS || !l->paylen || !f)
		return;
	/* Names serve records and dns peers: without either, not worth learning. */
	if (!e->nflow_out && !e->nconsumers && !e->nalert_out &&
	    !(e->pe && profile_eval_uses_dns(e->pe)))
		return;
	if (sender == f->init_side)
		return;
	/* Flows that began before this answer are judged without it; this
	 * one among them (a query and its answer in one batch), so that an
	 * answer on a flow the profiles deny is not learned. */
	if (e->npending)
		judge_pending(e);
	if (e->ho) {
		/* The worker has the verdict, and judges in this order. */
		struct ev *ev = ev_begin(e, EV_DNS, l->paylen);
		if (!ev)
			return;
		ev->slot = flow_table_slot(e->ft, f);
		ev->ts = ts;
		ev->proto = l->proto;
		ev->paylen = l->paylen;
		memcpy(ev + 1, l->payload, l->paylen);
		ev_commit(e, ev);
		return;
	}
	if (f->judged.denied & ~f->judged.strict)
		return;
	if (l->proto == 17)
		dns_learn(e->dns, l->payload, l->paylen, ts);
	else if (l->proto == 6)
		dns_learn_tcp(e->dns, l->payload, l->paylen, ts);
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

	for (i = 0; i < n; i++) {
		struct flow_prep fp;
		struct flow *f;
		flow_table_prepare(e->ft, &d.layer[i], p->ts_ns, &fp);
		f = flow_table_apply(e->ft, &fp, p->ts_ns, p->len, iface);
		learn_dns(e, &fp.l, f, fp.sender, p->ts_ns);
	}
	if (e->npending)
		judge_pending(e);
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
	for (j = 0; j < nl; j++) {
		struct flow *f = flow_table_apply(e->ft, &fp[j], p[owner[j]].ts_ns, p[owner[j]].len,
		                                  iface[owner[j]]);
		learn_dns(e, &fp[j].l, f, fp[j].sender, p[owner[j]].ts_ns);
	}
	if (e->npending)
		judge_pending(e);
	if (nl)
		alerts_clock(e, EV_TICK, p[owner[nl - 1]].ts_ns);
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

int
engine_read_file(struct engine *e, const char *path)
{
	unsigned long long n = 0;
	struct capture *c;
	char err[256];
	int r;

	if (!(c = capture_open_file(path, err, sizeof(err)))) {
		log_warnx("%s: %s", path, err);
		return -1;
	}
	r = engine_read(e, c, &n);
	if (r < 0) {
		if (n == 0)
			log_warnx("%s: %s", path, capture_error(c));
		else
			log_warnx("%s: damaged after %llu packets, the rest is not read: %s", path, n,
			          capture_error(c));
	}
	capture_close(c);
	return r < 0 && n == 0 ? -1 : 0;
}

/* ---- the worker (engine_offload) ------------------------------------- */

#define WORKER_BUFS    8
#define WORKER_BUFSIZE (1u << 20)  /* more than any event: a DNS message is < 256 KiB */

static void
worker_event(struct engine *e, const struct ev *ev)
{
	struct flow fc;
	struct judgement *j;
	struct record r = { .type = RECORD_FLOW, .severity = 6 };

	switch (ev->type) {
	case EV_NEW:
		memcpy(&fc, ev + 1, sizeof(fc));
		j = &e->wjudged[ev->slot];
		judge_here(e, &fc);
		*j = fc.judged;
		break;
	case EV_END:
		memcpy(&fc, ev + 1, sizeof(fc));
		if (e->pe)
			fc.judged = e->wjudged[ev->slot];
		r.flow = &fc;
		r.end = (enum flow_end)ev->why;
		record_fill(e, &fc, &r);
		deliver(e, &r, e->flow_out, e->nflow_out);
		break;
	case EV_DNS:
		j = &e->wjudged[ev->slot];
		if (e->pe && (j->denied & ~j->strict))
			break;
		if (ev->proto == 17)
			dns_learn(e->dns, (const uint8_t *)(ev + 1), ev->paylen, ev->ts);
		else if (ev->proto == 6)
			dns_learn_tcp(e->dns, (const uint8_t *)(ev + 1), ev->paylen, ev->ts);
		break;
	case EV_TICK:
		alerts_expire(e->alerts, ev->ts);
		break;
	case EV_ALERTS_FLUSH:
		alerts_flush(e->alerts);
		break;
	}
}

static void *
worker_main(void *arg)
{
	struct engine *e = arg;
	const char *buf;
	size_t len, at;

	while ((buf = handoff_take(e->ho, &len))) {
		for (at = 0; at + sizeof(struct ev) <= len; at += ((const struct ev *)(buf + at))->size)
			worker_event(e, (const struct ev *)(buf + at));
		handoff_done(e->ho);
	}
	return NULL;
}

static void
worker_free(struct engine *e)
{
	handoff_free(e->ho);
	e->ho = NULL;
	free(e->wjudged);
	e->wjudged = NULL;
}

int
engine_offload(struct engine *e)
{
	if (e->ho || e->live || e->nat)
		return e->ho ? 0 : -1;
	if (!(e->wjudged = calloc(e->max_flows, sizeof(*e->wjudged))) ||
	    !(e->ho = handoff_new(WORKER_BUFS, WORKER_BUFSIZE)))
		goto fail;
	if (pthread_create(&e->worker, NULL, worker_main, e) != 0)
		goto fail;
	return 0;
fail:
	worker_free(e);
	return -1;
}

/* Everything handed over is done, the worker gone: from here on the
 * engine is one thread's again. */
static void
worker_stop(struct engine *e)
{
	if (!e->ho)
		return;
	handoff_close(e->ho);
	pthread_join(e->worker, NULL);
	worker_free(e);
}

void
engine_finish(struct engine *e)
{
	int i;

	alerts_clock(e, EV_ALERTS_FLUSH, 0);
	flow_table_finish(e->ft, FLOW_END_EOF);
	worker_stop(e);
	for (i = 0; i < e->nflow_out; i++)
		if (output_flush(e->flow_out[i]) < 0)
			e->st.output_failures++;
	for (i = 0; i < e->nalert_out; i++)
		if (output_flush(e->alert_out[i]) < 0)
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
