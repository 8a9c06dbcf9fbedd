/* record-json.c — a record as one JSON object, field names and order as in
 * DESIGN.md "Flow records and alerts". Written straight into a strbuf: a
 * record costs a few hundred bytes of appends, no allocation once the
 * buffer has grown. */
#include <stdio.h>
#include <string.h>

#include "community-id.h"
#include "inventory.h"
#include "nat.h"
#include "output.h"

static const char *
proto_name(uint8_t p, char tmp[4])
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

/* ,"key": — the literal is pasted at compile time, so its length is too. */
#define add_key(b, k) strbuf_add((b), ",\"" k "\":", sizeof(",\"" k "\":") - 1)

static void
add_str_or_null(struct strbuf *b, const char *s)
{
	if (s)
		strbuf_add_json_string(b, s, strlen(s));
	else
		strbuf_adds(b, "null");
}

/* The container object of DESIGN.md: who it is, as the runtime says. */
static void
add_container(struct strbuf *b, const struct inv_container *c)
{
	size_t i;

	if (!c) {
		strbuf_adds(b, "null");
		return;
	}
	strbuf_adds(b, "{\"id\":");
	add_str_or_null(b, c->id && *c->id ? c->id : NULL);
	add_key(b, "name");
	add_str_or_null(b, c->name);
	add_key(b, "image");
	add_str_or_null(b, c->image);
	add_key(b, "labels");
	strbuf_addc(b, '{');
	for (i = 0; i < c->nlabels; i++) {
		if (i)
			strbuf_addc(b, ',');
		strbuf_add_json_string(b, c->labels[i].key, strlen(c->labels[i].key));
		strbuf_addc(b, ':');
		strbuf_add_json_string(b, c->labels[i].value, strlen(c->labels[i].value));
	}
	strbuf_addc(b, '}');
	add_key(b, "namespace");
	add_str_or_null(b, c->namespace);
	add_key(b, "pod");
	add_str_or_null(b, c->pod);
	strbuf_adds(b, ",\"profile\":null}");
}

static void
add_tuple(struct strbuf *b, const struct nat_tuple *t)
{
	strbuf_adds(b, "{\"src\":");
	strbuf_add_ip(b, t->family, t->src);
	strbuf_adds(b, ",\"sport\":");
	strbuf_addu64(b, t->sport);
	strbuf_adds(b, ",\"dst\":");
	strbuf_add_ip(b, t->family, t->dst);
	strbuf_adds(b, ",\"dport\":");
	strbuf_addu64(b, t->dport);
	strbuf_addc(b, '}');
}

static void
add_endpoint(struct strbuf *b, const struct flow *f, int side, int is_dst)
{
	int ports = !f->key.noports && f->key.proto != 1 && f->key.proto != 58;

	strbuf_adds(b, "{\"ip\":");
	strbuf_add_ip(b, f->key.family, f->key.addr[side]);
	strbuf_adds(b, ",\"port\":");
	if (ports)
		strbuf_addu64(b, f->key.port[side]);
	else
		strbuf_adds(b, "null");
	add_key(b, "container");
	add_container(b, f->ctr[side]);
	if (is_dst)
		strbuf_adds(b, ",\"dns\":null");
	strbuf_addc(b, '}');
}

void
record_json(struct strbuf *b, const struct record *r)
{
	const struct flow *f = r->flow;
	int s = flow_src_side(f), d = flow_dst_side(f);
	char cid[COMMUNITY_ID_LEN], tmp[4];
	const char *st;
	size_t at;
	int i;

	/* One record is ~650 bytes: reserve once, the appends then only check. */
	strbuf_reserve(b, 1024);
	strbuf_adds(b, "{\"time\":");
	at = b->len;
	strbuf_add_time(b, f->last_ns);
	/* "time" and "last_seen" are the same instant: format it once. */
	char last[40];
	size_t lastlen = b->len - at < sizeof(last) ? b->len - at : 0;
	memcpy(last, b->p + at, lastlen);
	strbuf_adds(b, r->type == RECORD_FLOW ? ",\"type\":\"flow\"" : ",\"type\":\"violation\"");
	add_key(b, "node");
	add_str_or_null(b, r->node);
	community_id_flow(f, cid);
	add_key(b, "community_id");
	strbuf_addc(b, '"');
	strbuf_adds(b, cid);
	strbuf_addc(b, '"');
	add_key(b, "proto");
	strbuf_addc(b, '"');
	strbuf_adds(b, proto_name(f->key.proto, tmp));
	strbuf_addc(b, '"');
	add_key(b, "src");
	add_endpoint(b, f, s, 0);
	add_key(b, "dst");
	add_endpoint(b, f, d, 1);
	/* Seen from the container that owns the flow: leaving the initiator,
	 * or, when only the responder is a container, arriving at it. */
	add_key(b, "direction");
	if (f->ctr[s])
		strbuf_adds(b, "\"egress\"");
	else if (f->ctr[d])
		strbuf_adds(b, "\"ingress\"");
	else
		strbuf_adds(b, "null");
	strbuf_adds(b, ",\"profile\":null,\"rule\":null"
	               ",\"verdict\":\"unprofiled\",\"reason\":null");
	add_key(b, "first_seen");
	strbuf_add_time(b, f->first_ns);
	add_key(b, "last_seen");
	if (lastlen)
		strbuf_add(b, last, lastlen);
	else
		strbuf_add_time(b, f->last_ns);
	add_key(b, "packets");
	strbuf_addu64(b, f->pkts[0] + f->pkts[1]);
	add_key(b, "bytes");
	strbuf_addu64(b, f->bytes[0] + f->bytes[1]);
	add_key(b, "packets_to_src");
	strbuf_addu64(b, f->pkts[d]);
	add_key(b, "bytes_to_src");
	strbuf_addu64(b, f->bytes[d]);
	add_key(b, "tcp_state");
	st = tcp_state_name((enum tcp_state)f->tcp_state);
	if (st) {
		strbuf_addc(b, '"');
		strbuf_adds(b, st);
		strbuf_addc(b, '"');
	} else
		strbuf_adds(b, "null");
	strbuf_adds(b, f->midstream ? ",\"midstream\":true" : ",\"midstream\":false");
	add_key(b, "end");
	strbuf_addc(b, '"');
	strbuf_adds(b, flow_end_name(r->end));
	strbuf_addc(b, '"');
	add_key(b, "part");
	strbuf_addu64(b, f->part);
	add_key(b, "interface");
	add_str_or_null(b, r->interface);
	strbuf_adds(b, ",\"vlan\":[");
	for (i = 0; i < f->key.nvlan && i < 2; i++) {
		if (i)
			strbuf_addc(b, ',');
		strbuf_addu64(b, f->key.vlan[i]);
	}
	strbuf_addc(b, ']');
	add_key(b, "tunnel");
	if (f->key.tunnel != TUNNEL_NONE) {
		strbuf_adds(b, f->key.tunnel == TUNNEL_VXLAN ? "{\"type\":\"vxlan\",\"vni\":"
		                                              : "{\"type\":\"geneve\",\"vni\":");
		strbuf_addu64(b, f->key.vni);
		strbuf_adds(b, ",\"depth\":");
		strbuf_addu64(b, f->key.depth);
		strbuf_addc(b, '}');
	} else
		strbuf_adds(b, "null");
	add_key(b, "icmp");
	if (f->key.proto == 1 || f->key.proto == 58) {
		strbuf_adds(b, "{\"type\":");
		strbuf_addu64(b, f->icmp_type);
		strbuf_adds(b, ",\"code\":");
		strbuf_addu64(b, f->icmp_code);
		strbuf_addc(b, '}');
	} else
		strbuf_adds(b, "null");
	/* The connection as conntrack knows it: what the initiator sent
	 * (original) and what the responder answers (reply), when NAT made
	 * them differ from what this capture saw. */
	add_key(b, "nat");
	if (f->nat) {
		strbuf_adds(b, "{\"original\":");
		add_tuple(b, &f->nat->orig);
		strbuf_adds(b, ",\"reply\":");
		add_tuple(b, &f->nat->reply);
		strbuf_addc(b, '}');
	} else
		strbuf_adds(b, "null");
	strbuf_addc(b, '}');
}
