/* scan.h — live container discovery: /proc for network namespaces and their
 * processes, cgroups for container ids, the runtimes for names and labels,
 * netlink for interfaces. A scanner keeps what it learnt between scans:
 * runtime metadata is asked once per container, and a container that
 * disappears stays in the inventory (gone_ns set) for a grace period so
 * that late packets and finished flows still name it. */
#ifndef CNETMON_SCAN_H
#define CNETMON_SCAN_H

#include <stdint.h>

#include "inventory.h"
#include "runtime.h"

struct scan_config {
	const char *proc_root;        /* "/proc" */
	struct runtime_config rc;
	uint64_t grace_ns;            /* how long a gone container is kept (60 s) */
	const char *node;             /* NULL: the host name */
};

struct scan_stats {
	unsigned namespaces;          /* network namespaces other than the host's */
	unsigned containers;          /* running, in the last scan */
	unsigned gone;                /* kept for their grace period */
	unsigned lookups;             /* runtime metadata lookups made (cache misses) */
	unsigned skipped;             /* processes/namespaces that vanished or could not be read */
	unsigned netns_read;          /* namespaces whose interfaces were read by netlink */
};

void scan_config_default(struct scan_config *c);

struct scanner;
struct scanner *scanner_new(const struct scan_config *c);
void scanner_free(struct scanner *s);
/* The same container (same namespace, id, host-network flag) keeps the
 * same struct inv_container across scans, refreshed in place, so flows may
 * point at it; one past its grace period is freed only when its refs (the
 * flows naming it) are 0.
 *
 * Scan now. Returns the current inventory (owned by the scanner, valid
 * until the next scan or free), NULL with err on a fatal error (e.g. /proc
 * unreadable). Problems with single containers are warnings, not errors.
 * full: read every namespace's interfaces again; otherwise only new
 * namespaces' are read and known ones keep what the last scan found. */
const struct inventory *scanner_scan(struct scanner *s, uint64_t now_ns, int full, char *err,
                                     size_t errlen);
const struct scan_stats *scanner_stats(const struct scanner *s);

/* When to rescan, for an event loop: at once (full) on a link/address
 * notification; then, since runtimes create the network before the
 * container's process, cheaply (new namespaces only) every follow step for
 * a while; and fully every so often for what makes no notification
 * (host-network containers) and to age gone containers out. */
struct rescan_clock {
	uint64_t next_full_ms, follow_until_ms;
};
#define RESCAN_FULL_EVERY_MS  30000
#define RESCAN_FOLLOW_MS      2000
#define RESCAN_FOLLOW_STEP_MS 50

void rescan_clock_init(struct rescan_clock *rc, uint64_t now_ms);
/* A notification arrived. */
void rescan_clock_event(struct rescan_clock *rc, uint64_t now_ms);
/* How long poll may sleep, in ms. */
int rescan_clock_timeout(const struct rescan_clock *rc, uint64_t now_ms);
/* 0: nothing due; 1: a cheap rescan; 2: a full one (which it then books). */
int rescan_clock_due(struct rescan_clock *rc, uint64_t now_ms, int event);

#endif
