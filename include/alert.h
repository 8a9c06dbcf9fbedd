/* alert.h — violations become alerts as soon as a flow is judged; repeats
 * of the same (source, destination, protocol, port, rule) within the alert
 * window are folded into one later alert carrying their count (DESIGN.md
 * "Flow records and alerts"). */
#ifndef CNETMON_ALERT_H
#define CNETMON_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct alerts;

/* f is the flow as it was at the violation (a copy for folded alerts, whose
 * first_ns/last_ns span the repeats); count: violations it stands for. */
typedef void (*alert_emit_fn)(const struct flow *f, uint64_t count, void *data);

/* window_ns: --alert-window; max: folding entries kept (the oldest is
 * closed early when full). NULL on allocation failure. */
struct alerts *alerts_new(uint64_t window_ns, size_t max, alert_emit_fn emit, void *data);
void alerts_free(struct alerts *a);
/* A judged flow was denied at now_ns: emitted at once when it opens a
 * window, else counted into the open one. Takes references on the flow's
 * containers while a folded copy is kept. */
void alerts_raise(struct alerts *a, const struct flow *f, uint64_t now_ns);
/* Close windows that ended by now_ns, emitting those with repeats. */
void alerts_expire(struct alerts *a, uint64_t now_ns);
/* Close every window (end of input, exit, profile reload). */
void alerts_flush(struct alerts *a);

struct alert_stats {
	uint64_t violations;      /* every denied flow */
	uint64_t emitted;         /* alerts emitted (first + folded) */
	uint64_t folded;          /* violations folded into a later alert */
	size_t open;              /* windows open now */
};
const struct alert_stats *alerts_stats(const struct alerts *a);

#endif
