/* fuzz-graph.c — libFuzzer target for graph files (cnetmon-graph(8)): what
 * another node or an old run left on disk goes through graph_merge_buffer
 * (JSON or msgpack, told apart by content), plainly and with --group-by and
 * --collapse-world folding, then is written as JSON, DOT and msgpack, and
 * what was written must read back: errors for bad input, never a crash, a
 * leak or a file cnetmon cannot read itself. Seeds: tests/graph/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct graph_options *opt, const uint8_t *data, size_t size)
{
	static const enum graph_format fmts[] = { GRAPH_JSON, GRAPH_DOT, GRAPH_MSGPACK };
	struct graph *g = graph_new(NULL, opt), *h;
	char err[512];
	struct strbuf b;
	size_t i;

	if (!g)
		abort();
	if (graph_merge_buffer(g, "fuzz", data, size, err, sizeof(err)) < 0) {
		if (strncmp(err, "fuzz", 4))
			abort();   /* every message names the file */
		graph_free(g);
		return;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		strbuf_init(&b, 4096);
		if (graph_encode(g, fmts[i], &b, err, sizeof(err)) < 0)
			abort();
		if (fmts[i] != GRAPH_DOT) {
			h = graph_new(NULL, NULL);
			/* JSON turns bytes that are not UTF-8 into U+00XX, which
			 * may meet a name that had it: only msgpack keeps every
			 * edge apart for sure. */
			if (!h || graph_merge_buffer(h, "again", b.p, b.len, err, sizeof(err)) < 0 ||
			    (fmts[i] == GRAPH_MSGPACK && graph_nedges(h) != graph_nedges(g)))
				abort();
			graph_free(h);
		}
		strbuf_free(&b);
	}
	graph_merge(g, g);
	if (graph_nnodes(g))
		graph_focus(g, "host");
	graph_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *nets[] = { "10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0" };
	struct graph_options plain = { NULL, NULL, 0 };
	struct graph_options fold = { "label:app", nets, 3 };

	round_trip(&plain, data, size);
	round_trip(&fold, data, size);
	return 0;
}
