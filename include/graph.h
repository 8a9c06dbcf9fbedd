/* graph.h — the communication graph of DESIGN.md "Graph": who talked to
 * whom, built from judged flow records, written as JSON, DOT, SVG/PNG
 * (Graphviz's libgvc, in-process) or msgpack, merged across nodes and runs,
 * compared (cnetmon-graph(8)).
 *
 * Nodes: containers ("c:NAME", or a group "g:label:app=web",
 * "g:image:IMAGE", "g:profile:NAME" with --group-by), the host ("host"),
 * world addresses ("ip:ADDR", or "net:CIDR" with --collapse-world). Edges:
 * one per (src node, dst node, proto, server port) with flows/packets/bytes,
 * first/last seen, and the verdict (deny when any flow on it was denied,
 * else allow when any was allowed, else unprofiled).
 *
 * Output is sorted (nodes by id, edges by src, dst, proto, port), so two
 * graphs of the same system are byte-identical and draw alike. */
#ifndef CNETMON_GRAPH_H
#define CNETMON_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "inventory.h"
#include "output.h"
#include "strbuf.h"

struct graph;

struct graph_options {
	const char *group_by;     /* NULL, "label:KEY", "image", "profile" */
	const char **collapse;    /* CIDR strings folded into one world node each */
	size_t ncollapse;
	size_t max_world;         /* world addresses kept as nodes; later ones share
	                           * net:0.0.0.0/0 or net:::/0 (0: no cap) */
};

/* 0, or -1 with what is wrong with a --group-by or --collapse-world value. */
int graph_options_check(const struct graph_options *opt, char *err, size_t errlen);

/* node: the graph's node name (NULL: taken from the first record). NULL
 * with errno EINVAL on bad options (see graph_options_check), ENOMEM. */
struct graph *graph_new(const char *node, const struct graph_options *opt);
void graph_free(struct graph *g);

/* Which addresses are "host" (the inventory's host_addrs; copied). Without
 * them the host's own addresses are drawn as world. -1 on ENOMEM. */
int graph_set_host_addrs(struct graph *g, const struct inv_addr *a, size_t n);

/* Account one flow record (type RECORD_FLOW). Alerts (RECORD_VIOLATION)
 * mark their edge denied without counting (the flow record counts it when
 * the flow ends), so a denial shows in a daemon's graph at once. Other
 * types are ignored. Everything the graph keeps is copied. -1 on ENOMEM. */
int graph_add_record(struct graph *g, const struct record *r);
/* The same as an engine_on_record() consumer: data is the graph. */
void graph_on_record(const struct record *r, void *data);

/* Load a graph written as .json or .msgpack (told apart by content) and
 * merge it into g: counters summed, first/last widened, verdicts combined
 * (deny wins), nodes unioned, g's group_by/collapse applied to what is
 * read. On error g is unchanged and err says "FILE: what is wrong". */
int graph_merge_file(struct graph *g, const char *path, char *err, size_t errlen);
int graph_merge_buffer(struct graph *g, const char *name, const void *data, size_t len,
                       char *err, size_t errlen);
/* Merge src into dst (same rules). -1 on ENOMEM. */
int graph_merge(struct graph *dst, const struct graph *src);

/* Keep NAME's node and its neighbours only. NAME is a node id ("c:web-1",
 * "g:label:app=web", "ip:10.0.0.1", "host"), a container or group name, or
 * a member of a group. -1 with errno ENOENT when nothing matches. */
int graph_focus(struct graph *g, const char *name);

enum graph_format { GRAPH_JSON, GRAPH_DOT, GRAPH_SVG, GRAPH_PNG, GRAPH_MSGPACK };
/* Format from a file name's extension; -1 when unknown. */
int graph_format_from_path(const char *path);
int graph_format_from_name(const char *name);   /* "json", "dot", ... */
/* The format of `-g PATH` (read, run): -1 logged as "-g PATH: the
 * extension says the format: ..." when the extension is none of them. */
int graph_output_format(const char *path);

/* Encode into b (appended). -1 with a message in err. */
int graph_encode(const struct graph *g, enum graph_format f, struct strbuf *b, char *err,
                 size_t errlen);
/* Write atomically (temporary file, rename) to path, or to stdout when
 * path is "-" . -1 with a message in err. */
int graph_write(const struct graph *g, enum graph_format f, const char *path, char *err,
                size_t errlen);

/* Edges that appeared in cur, vanished from old, or changed verdict,
 * written to fp as text (one "+ - ~" line each, then a summary) or, json
 * set, as one JSON object {"appeared":[...],"vanished":[...],"changed":[...]}.
 * Returns the number of differences, -1 on ENOMEM or write error. */
long graph_diff(const struct graph *old, const struct graph *cur, int json, FILE *fp);

/* Inspection (tests, summaries). */
size_t graph_nnodes(const struct graph *g);
/* World addresses that came after max_world and were folded. */
uint64_t graph_world_folded(const struct graph *g);
size_t graph_nedges(const struct graph *g);
struct graph_edge_info {
	uint64_t flows, packets, bytes, first_ns, last_ns;
	enum verdict verdict;
};
/* port -1: portless. 0 and *out filled when the edge exists, else -1. */
int graph_edge_get(const struct graph *g, const char *src, const char *dst, uint8_t proto,
                   int port, struct graph_edge_info *out);
/* Member count of a group node, 1 for another node, 0 when absent. */
size_t graph_node_members(const struct graph *g, const char *id);

#endif
