/* engine.h — the pipeline for one stream of packets: decode, flow table,
 * records to sinks. Shared by `read` (files) and, later, `run` (live). */
#ifndef CNETMON_ENGINE_H
#define CNETMON_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "capture.h"
#include "decode.h"
#include "flow.h"
#include "inventory.h"
#include "output.h"

struct engine_stats {
	uint64_t packets, bytes;          /* every packet read */
	uint64_t first_ns, last_ns;       /* time span of the packets */
	uint64_t undecoded[DEC_REASON_MAX];      /* packets with no flow, by reason */
	uint64_t inner_undecoded[DEC_REASON_MAX]; /* tunnel payloads not decoded */
	uint64_t output_failures;
	uint64_t violations;              /* flows denied */
	uint64_t verdicts[3];             /* flows judged, by enum verdict */
	uint64_t alerts;                  /* alerts emitted (folded ones count once) */
};

struct engine;

struct engine *engine_new(const struct flow_config *fc, const char *node);
void engine_free(struct engine *e);
/* Attribute flows to the containers of inv (borrowed). Flows take a
 * reference (inv_container.refs) on the containers they name and drop it
 * when they end, so a live scanner knows what it may free. Calling it again
 * (after a rescan) affects flows created from then on. Its node name is
 * used unless one was given. -1 on allocation failure. */
int engine_set_inventory(struct engine *e, const struct inventory *inv);
/* Live capture: attribute host-network containers' flows per socket
 * (sock_diag), and name an interface's host ifindex so a flow captured on a
 * container's veth is tied to that container first. */
void engine_set_live(struct engine *e, int live);
/* The attribution index in force (NULL without an inventory). */
const struct attrib *engine_attrib(const struct engine *e);
void engine_iface_ifindex(struct engine *e, int iface, int ifindex);
/* Live: conntrack's table of translated connections (borrowed). A flow seen
 * after DNAT or masquerade is attributed by its real ends, and its record
 * carries both tuples. */
struct nat_table;
void engine_set_nat(struct engine *e, const struct nat_table *nat);
/* Profiles: every flow is judged after its first packet, a denied one
 * raises an alert to the alert outputs. set (NULL: none) is borrowed until
 * the next call or engine_free. Calling it again (reload) judges the flows
 * in the table again: one newly denied alerts. -1 on allocation failure,
 * the profiles in force then stay. */
struct profile_set;
int engine_set_profiles(struct engine *e, const struct profile_set *set, int strict);
/* The same with an evaluator compiled elsewhere (profile_eval_new, maybe
 * on another thread): e owns it from now on, even on failure. */
struct profile_eval;
int engine_use_profiles(struct engine *e, struct profile_eval *pe);
int engine_add_alert_output(struct engine *e, struct output *o);
/* Repeats of one violation within this window fold into one alert
 * (--alert-window, default 60 s). Before engine_set_profiles. */
void engine_set_alert_window(struct engine *e, uint64_t ns);
/* Expire idle flows by the wall clock (live: no packets may come). */
void engine_tick(struct engine *e, uint64_t now_ns);
/* Flow records go to every sink added here (none: records are not built). */
int engine_add_flow_output(struct engine *e, struct output *o);
/* The sinks of a command line, opened with opt and added to e (flow sinks,
 * then alert sinks) into outs (room for nflow + nalert). The command drains
 * them itself before closing (output_drain_report), so closing waits no
 * more. -1 when one cannot be opened, logged as "--flows SPEC: why" or
 * "-o SPEC: why"; *nouts counts those opened either way (to close). */
struct output_options;
int engine_open_sinks(struct engine *e, const struct output_options *opt,
                      const char *const *flow, int nflow, const char *const *alert, int nalert,
                      struct output **outs, int *nouts);
/* In-process consumers of records (graph, learn): called for every flow
 * record and every alert, after the sinks. At most a few. -1 when full. */
typedef void (*engine_record_fn)(const struct record *r, void *data);
int engine_on_record(struct engine *e, engine_record_fn fn, void *data);
/* Intern an interface name; returns its id for engine_packet (-1 if NULL). */
int engine_iface(struct engine *e, const char *name);
void engine_packet(struct engine *e, const struct pkt *p, int iface);
/* A batch of packets (at most ENGINE_BATCH), processed as if one by one but
 * with the flow table's memory fetched ahead. Packet data must stay valid
 * for the call. */
#define ENGINE_BATCH 16
void engine_packets(struct engine *e, const struct pkt *p, const int *iface, int n);
/* Feed a whole capture, in batches whose packets stay valid until the
 * batch is done. Returns 0 at its end, -1 on damage (capture_error() says
 * what); *npackets counts the packets read either way. */
int engine_read(struct engine *e, struct capture *c, unsigned long long *npackets);
/* Open a capture file and feed it whole. Damage after some packets is
 * logged and what came before is kept (0); -1 when nothing could be read
 * (logged as "PATH: why"). */
int engine_read_file(struct engine *e, const char *path);
/* End of input: finish every flow, flush sinks. */
void engine_finish(struct engine *e);
/* `read`: judging, passive DNS, alerts and records on a thread of their
 * own, fed in packet order, so they cost the capture thread only a copy.
 * Call once the inventory, profiles, sinks and consumers are set, before
 * the first packet; engine_finish waits for it. Not with live capture
 * (containers, NAT entries and inventories must outlive the worker): -1,
 * and the engine stays on one thread. */
int engine_offload(struct engine *e);
const struct engine_stats *engine_stats(const struct engine *e);
const struct flow_stats *engine_flow_stats(const struct engine *e);

#endif
