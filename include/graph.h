/* graph.h — the communication graph of DESIGN.md "Graph": who talked to
 * whom, built from judged flow records, written as JSON, DOT, SVG/PNG
 * (Graphviz's libgvc) or msgpack, merged across nodes and runs, compared.
 *
 * Nodes: containers ("c:NAME", or a group "g:label:app=web" with
 * --group-by), the host ("host"), world addresses ("ip:ADDR", or "net:CIDR"
 * with --collapse-world). Edges: one per (src node, dst node, proto, server
 * port) with flows/packets/bytes, first/last seen, and the verdict (deny
 * when any flow on it was denied, else allow when any was judged, else
 * unprofiled). */
#ifndef CNETMON_GRAPH_H
#define CNETMON_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"

struct graph;

struct graph_options {
	const char *group_by;     /* NULL, "label:KEY", "image", "profile" */
	const char **collapse;    /* CIDR strings folded into one world node each */
	size_t ncollapse;
};

struct graph *graph_new(const char *node, const struct graph_options *opt);
void graph_free(struct graph *g);

/* Account one flow record (type RECORD_FLOW; other types are ignored).
 * Everything the graph keeps is copied. -1 on allocation failure. */
int graph_add_record(struct graph *g, const struct record *r);

/* Load a graph written as .json or .msgpack and merge it into g: counters
 * summed, first/last widened, verdicts combined (deny wins). -1 with a
 * message in err (FILE: what is wrong). */
int graph_merge_file(struct graph *g, const char *path, char *err, size_t errlen);

/* Keep NAME's node (container name or group id) and its neighbours only. */
int graph_focus(struct graph *g, const char *name);

enum graph_format { GRAPH_JSON, GRAPH_DOT, GRAPH_SVG, GRAPH_PNG, GRAPH_MSGPACK };
/* Format from a file name's extension; -1 when unknown. */
int graph_format_from_path(const char *path);
int graph_format_from_name(const char *name);   /* "json", "dot", ... */

/* Write atomically (temporary file, rename) to path, or to stdout when
 * path is "-" . -1 with a message in err. */
int graph_write(const struct graph *g, enum graph_format f, const char *path, char *err,
                size_t errlen);

#endif
