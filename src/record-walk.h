/* record-walk.h — the one list of a record's fields (DESIGN.md "Flow records
 * and alerts"), walked through an emitter. record-json.c and
 * record-msgpack.c each supply an emitter; both call record_walk() with a
 * `static const` emitter table, so after inlining every call is direct (the
 * JSON path must stay as fast as the hand-written encoder was) and the two
 * encodings cannot list different fields.
 *
 * Sinks walk records on their own threads, after the capture thread has
 * moved on: record-freeze.c copies exactly what this walk reads (the
 * record's strings, the flow, its containers' id, name, image, labels,
 * namespace and pod, its NAT entry). A field read here must be copied
 * there too (tests/unit/test-output.c, records_are_copied_at_write).
 *
 * Private to the record encoders: include only from record-*.c. */
#ifndef CNETMON_RECORD_WALK_H
#define CNETMON_RECORD_WALK_H

#include <stdio.h>
#include <string.h>

#include "community-id.h"
#include "inventory.h"
#include "nat.h"
#include "output.h"

#define RW_INLINE static inline __attribute__((always_inline))

/* Maps and arrays say their size first (msgpack needs it); JSON ignores it.
 * Keys given to key() are literals the walker knows to be plain ASCII;
 * key_str() and str() carry untrusted bytes (names, labels, DNS names). */
struct rec_emit {
	void (*map)(void *c, size_t npairs);
	void (*map_end)(void *c);
	void (*key)(void *c, const char *k, size_t n);
	void (*key_str)(void *c, const char *s);
	void (*array)(void *c, size_t n);
	void (*elem)(void *c);                       /* before each array element */
	void (*array_end)(void *c);
	void (*nil)(void *c);
	void (*str)(void *c, const char *s);         /* untrusted; never NULL */
	void (*lit)(void *c, const char *s, size_t n); /* plain ASCII */
	void (*u64)(void *c, uint64_t v);
	void (*boolean)(void *c, int v);
	void (*time)(void *c, uint64_t ns);          /* RFC 3339 UTC, microseconds */
	void (*ip)(void *c, int family, const uint8_t *addr);
};

#define RW_KEY(e, c, k) (e)->key((c), k, sizeof(k) - 1)
#define RW_LIT(e, c, s) (e)->lit((c), s, sizeof(s) - 1)

RW_INLINE void
rw_str_or_nil(const struct rec_emit *e, void *c, const char *s)
{
	if (s)
		e->str(c, s);
	else
		e->nil(c);
}

RW_INLINE void
rw_lit_or_nil(const struct rec_emit *e, void *c, const char *s)
{
	if (s)
		e->lit(c, s, strlen(s));
	else
		e->nil(c);
}

static inline const char *
rw_proto_name(uint8_t p, char tmp[4])
{
	switch (p) {
	case 1:   return "icmp";
	case 2:   return "igmp";
	case 4:   return "ipip";
	case 6:   return "tcp";
	case 17:  return "udp";
	case 41:  return "ipv6";
	case 47:  return "gre";
	case 50:  return "esp";
	case 51:  return "ah";
	case 58:  return "icmpv6";
	case 59:  return "ipv6-nonxt";
	case 89:  return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 132: return "sctp";
	default:
		snprintf(tmp, 4, "%u", p);
		return tmp;
	}
}

/* The container object: who it is, as the runtime says, and the profile
 * the engine found for it. */
RW_INLINE void
rw_container(const struct rec_emit *e, void *c, const struct inv_container *k,
             const char *profile)
{
	size_t i;

	if (!k) {
		e->nil(c);
		return;
	}
	e->map(c, 7);
	RW_KEY(e, c, "id");
	rw_str_or_nil(e, c, k->id && *k->id ? k->id : NULL);
	RW_KEY(e, c, "name");
	rw_str_or_nil(e, c, k->name);
	RW_KEY(e, c, "image");
	rw_str_or_nil(e, c, k->image);
	RW_KEY(e, c, "labels");
	e->map(c, k->nlabels);
	for (i = 0; i < k->nlabels; i++) {
		e->key_str(c, k->labels[i].key);
		e->str(c, k->labels[i].value);
	}
	e->map_end(c);
	RW_KEY(e, c, "namespace");
	rw_str_or_nil(e, c, k->namespace);
	RW_KEY(e, c, "pod");
	rw_str_or_nil(e, c, k->pod);
	RW_KEY(e, c, "profile");
	rw_str_or_nil(e, c, profile);
	e->map_end(c);
}

/* src (which = 0) or dst (1): the flow's key side `side`. */
RW_INLINE void
rw_endpoint(const struct rec_emit *e, void *c, const struct record *r, int side, int which)
{
	const struct flow *f = r->flow;
	int ports = !f->key.noports && f->key.proto != 1 && f->key.proto != 58;

	e->map(c, 4);
	RW_KEY(e, c, "ip");
	e->ip(c, f->key.family, f->key.addr[side]);
	RW_KEY(e, c, "port");
	if (ports)
		e->u64(c, f->key.port[side]);
	else
		e->nil(c);
	RW_KEY(e, c, "container");
	rw_container(e, c, f->ctr[side], r->ctr_profile[which]);
	RW_KEY(e, c, "dns");
	rw_str_or_nil(e, c, r->dns[which]);
	e->map_end(c);
}

RW_INLINE void
rw_tuple(const struct rec_emit *e, void *c, const struct nat_tuple *t)
{
	e->map(c, 4);
	RW_KEY(e, c, "src");
	e->ip(c, t->family, t->src);
	RW_KEY(e, c, "sport");
	e->u64(c, t->sport);
	RW_KEY(e, c, "dst");
	e->ip(c, t->family, t->dst);
	RW_KEY(e, c, "dport");
	e->u64(c, t->dport);
	e->map_end(c);
}

/* Fields of the top-level map: 28 for flow records, one more ("count")
 * for alerts. */
#define RW_NFIELDS 28

RW_INLINE void
record_walk(const struct record *r, const struct rec_emit *e, void *c)
{
	const struct flow *f = r->flow;
	int s = flow_src_side(f), d = flow_dst_side(f);
	int alert = r->type == RECORD_VIOLATION;
	char cid[COMMUNITY_ID_LEN], tmp[4];
	const char *p;
	int i, nvlan;

	e->map(c, RW_NFIELDS + (alert ? 1 : 0));
	RW_KEY(e, c, "time");
	e->time(c, r->time_ns ? r->time_ns : f->last_ns);
	RW_KEY(e, c, "type");
	if (alert)
		RW_LIT(e, c, "violation");
	else
		RW_LIT(e, c, "flow");
	RW_KEY(e, c, "node");
	rw_str_or_nil(e, c, r->node);
	community_id_flow(f, cid);
	RW_KEY(e, c, "community_id");
	e->lit(c, cid, strlen(cid));
	RW_KEY(e, c, "proto");
	p = rw_proto_name(f->key.proto, tmp);
	e->lit(c, p, strlen(p));
	RW_KEY(e, c, "src");
	rw_endpoint(e, c, r, s, 0);
	RW_KEY(e, c, "dst");
	rw_endpoint(e, c, r, d, 1);
	RW_KEY(e, c, "direction");
	rw_str_or_nil(e, c, r->direction);
	RW_KEY(e, c, "profile");
	rw_str_or_nil(e, c, r->profile);
	RW_KEY(e, c, "rule");
	rw_str_or_nil(e, c, r->rule);
	RW_KEY(e, c, "verdict");
	p = verdict_name(r->verdict);
	e->lit(c, p, strlen(p));
	if (alert) {
		RW_KEY(e, c, "count");
		e->u64(c, r->count);
	}
	RW_KEY(e, c, "reason");
	rw_str_or_nil(e, c, r->reason);
	RW_KEY(e, c, "denied_by");
	rw_str_or_nil(e, c, r->denied_by);
	RW_KEY(e, c, "first_seen");
	e->time(c, f->first_ns);
	RW_KEY(e, c, "last_seen");
	e->time(c, f->last_ns);
	RW_KEY(e, c, "packets");
	e->u64(c, f->pkts[0] + f->pkts[1]);
	RW_KEY(e, c, "bytes");
	e->u64(c, f->bytes[0] + f->bytes[1]);
	RW_KEY(e, c, "packets_to_src");
	e->u64(c, f->pkts[d]);
	RW_KEY(e, c, "bytes_to_src");
	e->u64(c, f->bytes[d]);
	RW_KEY(e, c, "tcp_state");
	rw_lit_or_nil(e, c, tcp_state_name((enum tcp_state)f->tcp_state));
	RW_KEY(e, c, "midstream");
	e->boolean(c, f->midstream);
	/* An alert is about a flow that goes on: it has no end yet. */
	RW_KEY(e, c, "end");
	if (alert)
		e->nil(c);
	else
		rw_lit_or_nil(e, c, flow_end_name(r->end));
	RW_KEY(e, c, "part");
	e->u64(c, f->part);
	RW_KEY(e, c, "interface");
	rw_str_or_nil(e, c, r->interface);
	RW_KEY(e, c, "vlan");
	nvlan = f->key.nvlan < 2 ? f->key.nvlan : 2;
	e->array(c, (size_t)nvlan);
	for (i = 0; i < nvlan; i++) {
		e->elem(c);
		e->u64(c, f->key.vlan[i]);
	}
	e->array_end(c);
	RW_KEY(e, c, "tunnel");
	if (f->key.tunnel != TUNNEL_NONE) {
		e->map(c, 3);
		RW_KEY(e, c, "type");
		if (f->key.tunnel == TUNNEL_VXLAN)
			RW_LIT(e, c, "vxlan");
		else
			RW_LIT(e, c, "geneve");
		RW_KEY(e, c, "vni");
		e->u64(c, f->key.vni);
		RW_KEY(e, c, "depth");
		e->u64(c, f->key.depth);
		e->map_end(c);
	} else
		e->nil(c);
	RW_KEY(e, c, "icmp");
	if (f->key.proto == 1 || f->key.proto == 58) {
		e->map(c, 2);
		RW_KEY(e, c, "type");
		e->u64(c, f->icmp_type);
		RW_KEY(e, c, "code");
		e->u64(c, f->icmp_code);
		e->map_end(c);
	} else
		e->nil(c);
	/* The connection as conntrack knows it: what the initiator sent
	 * (original) and what the responder answers (reply), when NAT made
	 * them differ from what this capture saw. */
	RW_KEY(e, c, "nat");
	if (f->nat) {
		e->map(c, 2);
		RW_KEY(e, c, "original");
		rw_tuple(e, c, &f->nat->orig);
		RW_KEY(e, c, "reply");
		rw_tuple(e, c, &f->nat->reply);
		e->map_end(c);
	} else
		e->nil(c);
	e->map_end(c);
}

#endif
