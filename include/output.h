/* output.h — records (flow records and alerts) and the sinks they go to
 * (DESIGN.md "Sinks"): json:-, json:PATH, msgpack:PATH,
 * syslog:udp://HOST:PORT, syslog:tcp://HOST:PORT, syslog:unix:PATH (RFC 5424;
 * RFC 6587 octet counting on TCP), forward://HOST:PORT?tag=T (Fluentd Forward
 * protocol v1). One ops table per sink kind (src/output-int.h), chosen by the
 * scheme; the encoders share one list of fields (src/record-walk.h). */
#ifndef CNETMON_OUTPUT_H
#define CNETMON_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "strbuf.h"

enum record_type { RECORD_FLOW, RECORD_VIOLATION };

enum verdict { VERDICT_UNPROFILED = 0, VERDICT_ALLOW, VERDICT_DENY };

/* Everything a sink serialises about one record. Pointers are borrowed for
 * the duration of the write call: a sink that delivers later encodes (or
 * copies) what it needs inside write(). The profile fields are worked out by
 * the engine (profile-eval.c); encoders print them as they are. */
struct record {
	enum record_type type;
	const struct flow *flow;
	enum flow_end end;            /* flow records only */
	const char *node;             /* NULL: unknown (offline, no inventory) */
	const char *interface;        /* capture interface name, NULL unknown */
	/* DESIGN.md "Flow records and alerts": the decision and who made it. */
	enum verdict verdict;
	const char *direction;        /* "egress", "ingress", NULL: no container */
	const char *profile;          /* the deciding profile, NULL */
	const char *rule;             /* "file:line" or "default", NULL */
	const char *reason;           /* "explicit deny", "default deny", ..., NULL */
	const char *denied_by;        /* "egress", "ingress", "both", NULL */
	const char *ctr_profile[2];   /* [0] src, [1] dst container's profile, NULL */
	const char *dns[2];           /* [0] src, [1] dst name passive DNS knows, NULL */
	/* Alerts: when, and how many violations this one stands for (folding
	 * within --alert-window). time_ns 0: the flow's last packet. */
	uint64_t time_ns;
	uint64_t count;               /* 0 for flow records (no "count" field) */
	int severity;                 /* syslog severity (RFC 5424), 4 warning for violations */
};

/* A record's name for its verdict, as records and graphs print it. */
const char *verdict_name(enum verdict v);

/* Append the JSON object for r (no newline) to b. */
void record_json(struct strbuf *b, const struct record *r);
/* Append r as one msgpack map, the same keys and values as the JSON. */
void record_msgpack(struct strbuf *b, const struct record *r);

/*
 * Sinks. output_write() copies what the record prints into the sink's own
 * bounded queue and returns: it never waits for a collector (unless told
 * to, as `read` does: full_wait_ms), and the encoding (JSON, msgpack,
 * framing) happens on the sink's thread.
 * Each sink has a thread that delivers batches, reconnects with exponential
 * backoff and jitter, spills to a spool directory when the queue is full
 * and replays the spool in order; only at the spool's cap does it drop,
 * oldest first, counted and logged. Every sink, including json: files, is
 * written by its thread. One thread may write to a sink at a time (the
 * capture thread); the other calls may come from any thread.
 */
struct output_options {
	size_t queue_bytes;          /* per sink, in memory (default 16 MiB) */
	const char *spool_dir;       /* NULL: no spool, a full queue drops its oldest */
	uint64_t spool_max_bytes;    /* per sink (default 1 GiB) */
	unsigned close_timeout_ms;   /* output_close() delivers for this long (30000) */
	unsigned backoff_max_ms;     /* reconnect delay cap (30000); starts at 100 ms */
	/* `read` (its --flush-timeout): with no spool, a full queue makes
	 * output_write wait for its sink instead of dropping (nothing is live:
	 * the capture file waits too), as long as the sink delivers something
	 * every full_wait_ms. `run` leaves it 0: a sink never stalls capture. */
	unsigned full_wait_ms;
};

void output_options_default(struct output_options *opt);
/* For the sinks opened from then on; call before output_open. */
void output_set_options(const struct output_options *opt);

/* A sink option of the command line or config file, as `read` and `run`
 * take it: "spool-dir", "spool-max", "queue-size", "flush-timeout". 0, or
 * -1 with why in err. arg is kept (not copied). */
int output_option(struct output_options *opt, const char *name, const char *arg, char *err,
                  size_t errlen);

struct output_stats {
	uint64_t accepted;           /* records given to output_write and encoded */
	uint64_t delivered;          /* written to the file / acknowledged by the collector */
	uint64_t queued;             /* waiting in memory now (including the batch in flight) */
	uint64_t spool_records;      /* waiting in the spool now */
	uint64_t spool_bytes;
	uint64_t spooled;            /* records ever written to the spool */
	uint64_t dropped;            /* lost at the queue or spool cap, oldest first */
	uint64_t failures;           /* failed connects and sends */
	uint64_t reconnects;         /* connections made after the first */
	uint64_t truncated;          /* syslog datagrams cut at the size limit */
	uint64_t waits;              /* full_wait_ms: times output_write waited for room */
	int connected;
};

struct output_queue;
struct output_ops;

struct output {
	const struct output_ops *ops;
	char *spec;
	void *priv;
	struct output_queue *q;
};

/* Parse "scheme:arg" and open the sink. NULL with a reason on failure. A
 * collector that is not there yet is no failure: it is retried. */
struct output *output_open(const char *spec, char *err, size_t errlen);
int output_write(struct output *o, const struct record *r);
/* Hand what is buffered to the sink's thread now; does not wait. */
int output_flush(struct output *o);
/* Reopen what the sink writes to (json:/msgpack: files after logrotate). */
int output_reopen(struct output *o);
/* Wait up to timeout_ms for everything accepted to be delivered. Returns
 * the records still not delivered (in memory or in the spool). */
uint64_t output_drain(struct output *o, unsigned timeout_ms);
struct output_stats output_stats(struct output *o);
/* Drain n sinks within one shared timeout, opt's --flush-timeout, and say
 * what was left: "N records not delivered within --flush-timeout S s" (and,
 * with a spool, that they wait there for `later`, e.g. "the next run").
 * Returns the records left. */
uint64_t output_drain_report(struct output *const *o, int n, const struct output_options *opt,
                             const char *later);
/* Deliver for up to the close timeout, then stop. What is left goes to the
 * spool when there is one (replayed by the next run), else is counted lost
 * and logged. */
void output_close(struct output *o);

#endif
