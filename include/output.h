/* output.h — records (flow records now, alerts later) and the sinks they go
 * to. One ops table per sink kind, chosen by the scheme of the sink spec
 * ("json:-", "json:PATH"; syslog, forward and msgpack join behind the same
 * table). Encoders (record-json.c) are shared by the sinks that need them. */
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

struct output;

struct output_ops {
	const char *scheme;
	int (*open)(struct output *o, const char *arg, char *err, size_t errlen);
	int (*write)(struct output *o, const struct record *r);
	int (*flush)(struct output *o);
	/* Reopen what the sink writes to (after logrotate moved it); may be NULL. */
	int (*reopen)(struct output *o);
	void (*close)(struct output *o);
};

struct output {
	const struct output_ops *ops;
	char *spec;
	void *priv;
	unsigned long long written, failed;
};

/* Parse "scheme:arg" and open the sink. NULL with a reason on failure. */
struct output *output_open(const char *spec, char *err, size_t errlen);
int output_write(struct output *o, const struct record *r);
int output_flush(struct output *o);
int output_reopen(struct output *o);
void output_close(struct output *o);

extern const struct output_ops output_json_ops;

#endif
