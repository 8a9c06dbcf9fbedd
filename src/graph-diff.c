/* graph-diff.c — what changed between two audits: edges that appeared,
 * vanished, or changed verdict (counters and times are expected to move
 * and are not differences). Edges are matched by (src id, dst id, proto,
 * port); both graphs are walked in their sorted order, so the report is
 * stable. */
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"

/* An id for a terminal: control bytes would let a container name rewrite
 * the screen. */
static void
text_id(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		strbuf_addc(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

static void
text_edge(struct strbuf *b, const struct graph *g, const struct gedge *e)
{
	char tmp[4];

	text_id(b, g->n[e->src].id);
	strbuf_adds(b, " -> ");
	text_id(b, g->n[e->dst].id);
	strbuf_addc(b, ' ');
	strbuf_adds(b, graph_proto_name(e->proto, tmp));
	if (e->port >= 0) {
		strbuf_addc(b, '/');
		strbuf_addu64(b, (uint64_t)e->port);
	}
}

struct side {
	const struct graph *g;
	uint32_t *no, *rank, *eo;
};

long
graph_diff(const struct graph *old, const struct graph *cur, int json, FILE *fp)
{
	struct side s[2] = { { old, NULL, NULL, NULL }, { cur, NULL, NULL, NULL } };
	struct graph_edge_info info;
	unsigned long n[3] = { 0, 0, 0 };   /* appeared, vanished, changed */
	struct strbuf b;
	long rc = -1;
	size_t i;
	int k, pass;

	strbuf_init(&b, 4096);
	for (k = 0; k < 2; k++)
		if (graph_sort(s[k].g, &s[k].no, &s[k].rank, &s[k].eo) < 0)
			goto out;
	if (json)
		strbuf_adds(&b, "{\"appeared\":[");
	/* Pass 0: appeared (in cur, not in old); 1: vanished; 2: changed. */
	for (pass = 0; pass < 3; pass++) {
		const struct side *a = &s[pass == 0 ? 1 : 0];
		const struct graph *other = pass == 0 ? old : cur;
		for (i = 0; i < a->g->ne; i++) {
			const struct gedge *e = &a->g->e[a->eo[i]];
			int found = graph_edge_get(other, a->g->n[e->src].id, a->g->n[e->dst].id,
			                           e->proto, e->port, &info) == 0;
			if (pass < 2 ? found : !found || info.verdict == (enum verdict)e->verdict)
				continue;
			if (json) {
				if (n[pass])
					strbuf_addc(&b, ',');
				strbuf_adds(&b, "\n");
				if (pass < 2)
					graph_json_edge(&b, a->g, e);
				else {
					/* The edge as it is now, and the verdict it had. */
					struct gedge now = *e;
					now.verdict = (uint8_t)info.verdict;
					now.flows = info.flows;
					now.packets = info.packets;
					now.bytes = info.bytes;
					now.first_ns = info.first_ns;
					now.last_ns = info.last_ns;
					graph_json_edge(&b, a->g, &now);
					b.len--;   /* reopen the object */
					strbuf_adds(&b, ",\"old_verdict\":\"");
					strbuf_adds(&b, verdict_name((enum verdict)e->verdict));
					strbuf_adds(&b, "\"}");
				}
			} else {
				strbuf_adds(&b, pass == 0 ? "+ " : pass == 1 ? "- " : "~ ");
				text_edge(&b, a->g, e);
				strbuf_addc(&b, ' ');
				strbuf_adds(&b, verdict_name((enum verdict)e->verdict));
				if (pass == 2) {
					strbuf_adds(&b, " -> ");
					strbuf_adds(&b, verdict_name(info.verdict));
				} else {
					strbuf_adds(&b, " (");
					strbuf_addu64(&b, e->flows);
					strbuf_adds(&b, e->flows == 1 ? " flow)" : " flows)");
				}
				strbuf_addc(&b, '\n');
			}
			n[pass]++;
		}
		if (json)
			strbuf_adds(&b, pass == 0 ? "],\n\"vanished\":[" :
			                pass == 1 ? "],\n\"changed\":[" : "]}\n");
	}
	if (!json) {
		char line[128];
		snprintf(line, sizeof(line), "%lu appeared, %lu vanished, %lu changed verdict\n",
		         n[0], n[1], n[2]);
		strbuf_adds(&b, line);
	}
	if (b.oom)
		goto out;
	if (fwrite(b.p, 1, b.len, fp) != b.len || fflush(fp) != 0)
		goto out;
	rc = (long)(n[0] + n[1] + n[2]);
out:
	for (k = 0; k < 2; k++) {
		free(s[k].no);
		free(s[k].rank);
		free(s[k].eo);
	}
	strbuf_free(&b);
	return rc;
}
