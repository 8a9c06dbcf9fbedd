/* learn.h — `cnetmon learn`: profiles that allow exactly what was observed
 * (DESIGN.md "Command line", "Profiles"; issue #5 "cnetmon learn").
 *
 * The learner consumes finished flow records (an engine_record_fn) and, at
 * the end, writes one profile per workload in the language of
 * cnetmon.profile(5):
 *
 *   - a workload is a set of replicas: containers sharing a Kubernetes or
 *     Compose application label (with their namespace), else an image, else
 *     a name; its match lines select all of them and no other container the
 *     learner knows of (checked with profile_selects itself);
 *   - a peer is named, best first, as `profile NAME` (a container of a
 *     learned workload), `host`, `dns "NAME"` (passive DNS named the
 *     address), the address, or `world` when a rule would list more than
 *     max_peers addresses or names;
 *   - peers with the same port set share a rule; ports are written as
 *     lists and ranges;
 *   - DNS to the resolvers (every destination of port 53 seen, plus those
 *     given) is allowed to every workload, over UDP and TCP, observed or not;
 *   - each rule carries a comment with what was seen (flows, peers, first and
 *     last time), and the output is sorted, so reruns diff cleanly.
 *
 * Containers are copied when first met (from an inventory or a record), so
 * a live inventory may free its own while the learner runs. */
#ifndef CNETMON_LEARN_H
#define CNETMON_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "output.h"
#include "strbuf.h"

struct learn_config {
	unsigned max_peers;       /* addresses (or DNS names) per rule before `world` */
};

#define LEARN_MAX_PEERS_DEFAULT 8

void learn_config_default(struct learn_config *c);

struct learner;

struct learner *learn_new(const struct learn_config *c);
void learn_free(struct learner *l);
/* Know inv's containers (so that selectors are checked against all of them,
 * even those that sent nothing) and its host addresses (peers named `host`).
 * May be called again after a rescan. -1 on allocation failure. */
int learn_add_inventory(struct learner *l, const struct inventory *inv);
/* A resolver every workload may query (--resolver): an address, or a CIDR
 * with its host bits clear. -1 and errno EINVAL when a is not one. */
int learn_add_resolver(struct learner *l, const char *a);
/* A line for the header comment of every profile ("from FILE..."). */
int learn_set_origin(struct learner *l, const char *text);
/* engine_record_fn: data is the learner. Flow records only; alerts are
 * ignored. Allocation failures are counted and make learn_finish fail. */
void learn_record(const struct record *r, void *data);

/* Work out workloads, selectors and rules. -1 on allocation failure (or a
 * record that could not be kept). Call once, after the last record. */
int learn_finish(struct learner *l);
/* Learned profiles, in name order: those of workloads seen in a flow. */
size_t learn_count(const struct learner *l);
const char *learn_name(const struct learner *l, size_t i);
/* Append profile i's text (its header comment, then the block) to b. */
void learn_write(const struct learner *l, size_t i, struct strbuf *b);
/* Flow records consumed, and those that named a container. */
void learn_stats(const struct learner *l, unsigned long long *records,
                 unsigned long long *used);
/* profile_check_set against every container the learner knows (those of
 * all inventories given and of all records): what `cnetmon check -I` says
 * of the set, for a live run whose inventory changed while it learned.
 * The number of errors, each passed to err. */
struct profile_set;
int learn_check(const struct learner *l, const struct profile_set *set,
                void (*err)(const char *msg, void *data), void *data);

#endif
