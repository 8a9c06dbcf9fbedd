/* flow.h — the bidirectional flow table.
 *
 * Open addressing (linear probing, backward-shift deletion) over a
 * preallocated pool of --max-flows entries; the hash is SipHash keyed with
 * random bytes at start so crafted traffic cannot force collisions. Flows
 * sit on one LRU list per timeout class, so idle expiry and eviction only
 * ever look at list heads. At the memory bound the least recently seen flow
 * is finished and emitted (counted as evicted), never dropped. */
#ifndef CNETMON_FLOW_H
#define CNETMON_FLOW_H

#include <stdint.h>

#include "decode.h"

struct inv_container;
struct nat_entry;

/* The key is canonical: side 0 is the lower (address, port) endpoint, so both
 * directions find the same slot. VLAN ids, tunnel depth/type and VNI are part
 * of it: the same 5-tuple on two VLANs or in two overlays is two flows. */
struct flow_key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t proto;
	uint8_t family;    /* 4 or 6 */
	uint8_t depth;
	uint8_t tunnel;
	uint16_t vlan[2];
	uint8_t nvlan;
	uint8_t oneway;    /* ICMP message without a counterpart type: not reordered */
	uint8_t noports;   /* no ports: other protocols, or a fragment whose first was not seen */
	uint8_t pad;
	uint32_t vni;
};

enum tcp_state {
	TCP_NONE = 0,      /* not TCP */
	TCP_SYN_SENT,      /* SYN seen, no SYN-ACK yet */
	TCP_SYN_RECEIVED,  /* SYN-ACK seen */
	TCP_ESTABLISHED,   /* handshake completed, or data both ways mid-stream */
	TCP_CLOSING,       /* FIN from one side */
	TCP_CLOSED,        /* FIN from both sides */
	TCP_RESET,         /* RST seen */
};

/* Why a flow record was emitted. */
enum flow_end {
	FLOW_END_FIN,      /* closed by FIN both ways */
	FLOW_END_RST,      /* reset */
	FLOW_END_IDLE,     /* idle timeout */
	FLOW_END_ACTIVE,   /* active timeout: a part of a longer flow */
	FLOW_END_EVICTED,  /* memory bound reached: finished early */
	FLOW_END_EOF,      /* end of input / daemon exit */
};

/* Timeout classes, each with its own idle timeout and LRU list. */
enum flow_tclass {
	TCLASS_TCP_OPENING,   /* SYN without answer */
	TCLASS_TCP,           /* established or mid-stream */
	TCLASS_TCP_CLOSED,    /* FIN both ways or RST: short linger for trailing ACKs */
	TCLASS_UDP,
	TCLASS_ICMP,
	TCLASS_OTHER,
	TCLASS_MAX
};

/* A flow's verdict under the profiles in force (profile-eval.c). Sides are
 * roles: [0] the initiator (its egress), [1] the responder (its ingress). */
struct judgement {
	uint8_t verdict;          /* enum verdict (output.h) */
	uint8_t denied;           /* bit 0: egress denied, bit 1: ingress denied */
	uint8_t strict;           /* bit per side: denied only because unprofiled (--strict) */
	uint8_t judged;           /* 1 once evaluated */
	uint8_t hinted;           /* prof[] already looked up (by the prefetch) */
	uint16_t prof[2];         /* 1 + profile index, 0: no profile for that side */
	uint32_t rule[2];         /* 1 + rule id, 0: decided by default (or undecided) */
};

struct flow {
	struct flow_key key;
	uint32_t hash;
	uint32_t lru_prev, lru_next;   /* pool indices, FLOW_NIL terminated */
	uint8_t tclass;
	uint8_t init_side;             /* key side that initiated the flow */
	uint8_t tcp_state;
	uint8_t midstream;
	uint8_t tcp_flags[2];          /* flags seen from each key side, OR-ed */
	uint8_t fin_sides;             /* bit per key side that sent FIN */
	uint8_t icmp_type, icmp_code;  /* of the initiator's first packet */
	uint8_t in_use;
	uint16_t part;                 /* 1 for the first record of a flow */
	int16_t iface;                 /* capture interface of the first packet */
	uint64_t first_ns, last_ns;    /* of this part */
	uint64_t pkts[2], bytes[2];    /* sent by each key side, this part */
	uint8_t mac[2][6];             /* link address of each key side, first packet */
	uint8_t has_mac;               /* bit per key side */
	/* Set by the flow-creation hook (attribution), read by record encoders. */
	const struct inv_container *ctr[2];
	struct nat_entry *nat;         /* live: the connection's tuples before and after NAT */
	struct judgement judged;       /* set after the first packet when profiles are loaded */
};

#define FLOW_NIL UINT32_MAX

/* Accessors that speak in initiator/responder terms, as records do. */
static inline int flow_src_side(const struct flow *f) { return f->init_side; }
static inline int flow_dst_side(const struct flow *f) { return !f->init_side; }

struct flow_config {
	uint32_t max_flows;
	uint64_t idle_ns[TCLASS_MAX];
	uint64_t active_ns;          /* 0 disables the active timeout */
	uint32_t max_frags;          /* fragment-id table size */
	uint64_t frag_ns;            /* how long a first fragment's ports are remembered */
};

struct flow_stats {
	uint64_t packets;            /* layers accounted to flows */
	uint64_t created;
	uint64_t records;            /* records emitted (parts included) */
	uint64_t evicted;            /* finished early at the memory bound */
	uint64_t active_splits;
	uint64_t frag_later;         /* later fragments joined to their first fragment's flow */
	uint64_t frag_orphans;       /* later fragments whose first was never seen: port-less flow */
	uint32_t active;             /* flows in the table now */
	uint32_t peak;
};

typedef void (*flow_emit_fn)(const struct flow *f, enum flow_end why, void *data);
/* Called once when a flow is created (and again for each later flow on the
 * same key), before its first packet is counted. */
typedef void (*flow_new_fn)(struct flow *f, void *data);

void flow_config_default(struct flow_config *c);
/* "tcp=300", "udp=60", "active=1800"...: -1 and errno EINVAL on a bad spec. */
int flow_config_set_timeout(struct flow_config *c, const char *spec);
/* A flow-table option of the command line or config file, "max-flows" or
 * "timeout", as `read` and `run` take it: 0, or -1 with why in err. */
int flow_config_option(struct flow_config *c, const char *opt, const char *arg, char *err,
                       size_t errlen);
const char *flow_tclass_name(enum flow_tclass t);

struct flow_table;

struct flow_table *flow_table_new(const struct flow_config *c, flow_emit_fn emit, void *data);
void flow_table_on_new(struct flow_table *ft, flow_new_fn fn, void *data);
/* Called once a new flow's first packet is counted (where a verdict and its
 * alert belong: the flow then shows the packet that opened it). */
void flow_table_on_first(struct flow_table *ft, flow_new_fn fn, void *data);
/* Call fn on every flow in the table (profile reload re-judges them). */
void flow_table_foreach(struct flow_table *ft, flow_new_fn fn, void *data);
/* Account one IP layer of a packet: ts in ns, wirelen = frame length on the
 * wire. Returns the flow it went to, valid until the next call. */
struct flow *flow_table_packet(struct flow_table *ft, const struct l34 *l, uint64_t ts_ns,
                       uint32_t wirelen, int iface);

/* The same in three steps, for batches: the memory the flow lives in is
 * fetched while other packets of the batch are worked on, which hides the
 * cache misses a large table costs. Steps must run in packet order within
 * each stage: prepare all, prefetch all, apply all. */
struct flow_prep {
	struct l34 l;              /* the layer, ports filled in for later fragments */
	struct flow_key key;
	uint32_t hash;
	int sender;
};
void flow_table_prepare(struct flow_table *ft, const struct l34 *l, uint64_t ts_ns,
                        struct flow_prep *fp);
void flow_table_prefetch(const struct flow_table *ft, const struct flow_prep *fp);
struct flow *flow_table_apply(struct flow_table *ft, const struct flow_prep *fp, uint64_t ts_ns,
                      uint32_t wirelen, int iface);
/* Finish flows idle at time now (also done as packets advance the clock). */
void flow_table_expire(struct flow_table *ft, uint64_t now_ns);
/* Finish and emit every flow (end of input, daemon exit). */
void flow_table_finish(struct flow_table *ft, enum flow_end why);
const struct flow_stats *flow_table_stats(const struct flow_table *ft);
/* A flow's place in the table, [0, max_flows): stable while it lives; a
 * later flow may take it once it has ended. */
uint32_t flow_table_slot(const struct flow_table *ft, const struct flow *f);
void flow_table_free(struct flow_table *ft);

const char *tcp_state_name(enum tcp_state s);
const char *flow_end_name(enum flow_end e);

/* Key building, exposed for tests and for the community id. */
void flow_key_from_l34(struct flow_key *k, const struct l34 *l, int *sender_side);

#endif
