/* graph-dot.c — the graph as Graphviz DOT, drawn for a review: containers
 * clustered by namespace, then by profile; denied edges red and labelled;
 * unprofiled containers grey and dashed; the host and world addresses in
 * shapes of their own; a legend. Nodes, clusters and edges come out in a
 * sorted order, so dot lays out two graphs of the same system alike.
 * Every name is untrusted (runtime metadata, DNS): it is made valid UTF-8
 * and escaped for the DOT string or the HTML-like label it lands in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"

#define C_DENY      "#d62728"
#define C_ALLOW     "#2e7d32"
#define C_UNPROF    "#8a8a8a"
#define C_CTR_FILL  "#e3eefb"
#define C_CTR_LINE  "#2f5f98"

/* A DOT double-quoted string. Backslashes are doubled, so a name never
 * becomes one of Graphviz's label escapes (\N, \G...). */
static void
dot_str(struct strbuf *b, const char *s)
{
	strbuf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			strbuf_addc(b, '\\');
		strbuf_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	strbuf_addc(b, '"');
}

/* Text inside an HTML-like label. */
static void
html_text(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': strbuf_adds(b, "&amp;"); break;
		case '<': strbuf_adds(b, "&lt;"); break;
		case '>': strbuf_adds(b, "&gt;"); break;
		case '"': strbuf_adds(b, "&quot;"); break;
		case ']': strbuf_adds(b, "&#93;"); break;
		default:  strbuf_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		}
	}
}

/* Sanitised copies of a node's strings, made once per write. */
struct dnode {
	char *id, *name, *ns, *image, *profile, *dns, *addr;
};

static char *
clean(const char *s)
{
	return s ? utf8_sanitize(s) : NULL;
}

static void
dnode_free(struct dnode *d)
{
	free(d->id);
	free(d->name);
	free(d->ns);
	free(d->image);
	free(d->profile);
	free(d->dns);
	free(d->addr);
}

static int
dnode_make(struct dnode *d, const struct gnode *n)
{
	d->id = clean(n->id);
	d->name = clean(n->name);
	d->ns = clean(n->namespace);
	d->image = clean(n->image);
	d->profile = clean(n->profile);
	d->dns = clean(n->dns);
	d->addr = clean(n->addr);
	return d->id && (!n->name || d->name) && (!n->namespace || d->ns) &&
	               (!n->image || d->image) && (!n->profile || d->profile) &&
	               (!n->dns || d->dns) && (!n->addr || d->addr) ? 0 : -1;
}

static void
add_node(struct strbuf *b, const struct gnode *n, const struct dnode *d, const char *indent)
{
	strbuf_adds(b, indent);
	dot_str(b, d->id);
	switch (n->kind) {
	case GK_CONTAINER:
	case GK_GROUP:
		strbuf_adds(b, " [label=<");
		if (n->kind == GK_GROUP)
			strbuf_adds(b, "<B>");
		html_text(b, d->name ? d->name : d->id);
		if (n->kind == GK_GROUP) {
			strbuf_adds(b, "</B><BR/><FONT POINT-SIZE=\"8\">");
			strbuf_addu64(b, n->nmembers);
			strbuf_adds(b, n->nmembers == 1 ? " replica" : " replicas");
			strbuf_adds(b, "</FONT>");
		}
		if (d->image) {
			strbuf_adds(b, "<BR/><FONT POINT-SIZE=\"8\" COLOR=\"#5a6470\">");
			html_text(b, d->image);
			strbuf_adds(b, "</FONT>");
		}
		strbuf_adds(b, ">");
		if (!n->profile)
			strbuf_adds(b, ", style=\"rounded,dashed,filled\", fillcolor=\"#f4f4f4\", "
			               "color=\"" C_UNPROF "\", fontcolor=\"#505050\"");
		if (n->kind == GK_GROUP)
			strbuf_adds(b, ", peripheries=2");
		strbuf_adds(b, ", tooltip=");
		dot_str(b, d->id);
		strbuf_adds(b, "];\n");
		break;
	case GK_HOST:
		strbuf_adds(b, " [label=\"host\", shape=box3d, style=filled, fillcolor=\"#e6f4e6\", "
		               "color=\"#3d7a3d\"];\n");
		break;
	default: {
		int net = !strncmp(n->id, "net:", 4);
		strbuf_adds(b, " [label=");
		if (d->dns) {
			/* Name first: people read names; the address is the proof. */
			strbuf_adds(b, "<");
			html_text(b, d->dns);
			strbuf_adds(b, "<BR/><FONT POINT-SIZE=\"8\" COLOR=\"#6b5a3a\">");
			html_text(b, d->addr ? d->addr : d->id);
			strbuf_adds(b, "</FONT>>");
		} else
			dot_str(b, d->addr ? d->addr : d->id);
		strbuf_adds(b, ", shape=ellipse, style=filled, fillcolor=\"#fff3dc\", "
		               "color=\"#a8782a\"");
		if (net)
			strbuf_adds(b, ", peripheries=2");
		strbuf_adds(b, "];\n");
	}
	}
}

static const struct graph *cl_g;

/* Containers by namespace (none last), then profile (unprofiled last), id. */
static int
cmp_cluster(const void *a, const void *b)
{
	const struct gnode *x = &cl_g->n[*(const uint32_t *)a], *y = &cl_g->n[*(const uint32_t *)b];
	int c;

	if (!x->namespace != !y->namespace)
		return x->namespace ? -1 : 1;
	if (x->namespace && (c = strcmp(x->namespace, y->namespace)))
		return c;
	if (!x->profile != !y->profile)
		return x->profile ? -1 : 1;
	if (x->profile && (c = strcmp(x->profile, y->profile)))
		return c;
	return strcmp(x->id, y->id);
}

static int
same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* One node, an HTML-like table: compact wherever dot puts it, and not
 * tied to the graph by edges that would pull the layout about. */
static void
add_legend(struct strbuf *b)
{
	strbuf_adds(b,
	    "  \"legend\" [shape=plaintext, style=\"\", margin=0, label=<"
	    "<TABLE BORDER=\"1\" COLOR=\"#b0b0b0\" CELLBORDER=\"0\" CELLSPACING=\"3\" "
	    "CELLPADDING=\"2\" STYLE=\"rounded\">"
	    "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><FONT POINT-SIZE=\"9\"><B>legend</B></FONT></TD></TR>"
	    "<TR><TD BORDER=\"1\" STYLE=\"rounded\" COLOR=\"" C_CTR_LINE "\" BGCOLOR=\""
	    C_CTR_FILL "\"><FONT POINT-SIZE=\"8\">name</FONT></TD>"
	    "<TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">container, clustered by profile</FONT></TD></TR>"
	    "<TR><TD BORDER=\"1\" STYLE=\"dashed\" COLOR=\"" C_UNPROF "\" BGCOLOR=\"#f4f4f4\">"
	    "<FONT POINT-SIZE=\"8\" COLOR=\"#505050\">name</FONT></TD>"
	    "<TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">unprofiled container</FONT></TD></TR>"
	    "<TR><TD BORDER=\"1\" COLOR=\"#3d7a3d\" BGCOLOR=\"#e6f4e6\"><FONT POINT-SIZE=\"8\">"
	    "host</FONT></TD><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">this node</FONT></TD></TR>"
	    "<TR><TD BORDER=\"1\" STYLE=\"rounded\" COLOR=\"#a8782a\" BGCOLOR=\"#fff3dc\">"
	    "<FONT POINT-SIZE=\"8\">addr</FONT></TD><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">"
	    "world (double: a collapsed range)</FONT></TD></TR>"
	    "<TR><TD><FONT POINT-SIZE=\"9\" COLOR=\"" C_ALLOW "\">&#8212;&#8212;&#9654;</FONT></TD>"
	    "<TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">allowed</FONT></TD></TR>"
	    "<TR><TD><FONT POINT-SIZE=\"9\" COLOR=\"" C_DENY "\"><B>&#8212;&#8212;&#9654;</B></FONT></TD>"
	    "<TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\" COLOR=\"" C_DENY "\"><B>denied</B> "
	    "(label: proto/port)</FONT></TD></TR>"
	    "<TR><TD><FONT POINT-SIZE=\"9\" COLOR=\"" C_UNPROF "\">&#8212;&#8212;&#9654;</FONT></TD>"
	    "<TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">unprofiled (no profile judged it)</FONT></TD></TR>"
	    "</TABLE>>];\n");
}

static void
add_title(struct strbuf *b, const struct graph *g)
{
	struct strbuf t;
	char *s;

	strbuf_init(&t, 128);
	strbuf_adds(&t, "cnetmon");
	if (g->node) {
		strbuf_adds(&t, " \xe2\x80\x94 node ");
		strbuf_adds(&t, g->node);
	} else if (g->nsources > 1) {
		strbuf_adds(&t, " \xe2\x80\x94 ");
		strbuf_addu64(&t, g->nsources);
		strbuf_adds(&t, " nodes");
	}
	if (g->from_ns != UINT64_MAX) {
		/* strbuf_add_time quotes: drop the quotes. */
		size_t at;
		strbuf_adds(&t, "   ");
		at = t.len;
		strbuf_add_time(&t, g->from_ns);
		memmove(t.p + at, t.p + at + 1, t.len - at - 2);
		t.len -= 2;
		strbuf_adds(&t, " to ");
		at = t.len;
		strbuf_add_time(&t, g->to_ns);
		memmove(t.p + at, t.p + at + 1, t.len - at - 2);
		t.len -= 2;
	}
	strbuf_adds(&t, "   ");
	strbuf_addu64(&t, g->nn);
	strbuf_adds(&t, g->nn == 1 ? " node, " : " nodes, ");
	strbuf_addu64(&t, g->ne);
	strbuf_adds(&t, g->ne == 1 ? " edge" : " edges");
	strbuf_addc(&t, 0);
	s = t.oom ? NULL : utf8_sanitize(t.p);
	strbuf_adds(b, "  label=");
	dot_str(b, s ? s : "cnetmon");
	strbuf_adds(b, ";\n");
	free(s);
	strbuf_free(&t);
}

int
graph_dot_encode(const struct graph *g, struct strbuf *b)
{
	uint32_t *no, *rank, *eo, *ctr = NULL;
	struct dnode *dn;
	size_t i, nctr = 0;
	const char *ns = NULL, *pr = NULL;
	int in_ns = 0, in_pr = 0, rc = -1;
	char tmp[4];

	if (graph_sort(g, &no, &rank, &eo) < 0)
		return -1;
	if (!(dn = calloc(g->nn + 1, sizeof(*dn))) || !(ctr = malloc((g->nn + 1) * sizeof(*ctr))))
		goto out;
	for (i = 0; i < g->nn; i++)
		if (dnode_make(&dn[i], &g->n[i]) < 0)
			goto out;

	strbuf_adds(b,
	    "digraph \"cnetmon\" {\n"
	    "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, labeljust=l, "
	    "nodesep=0.25, ranksep=1.1, newrank=true, pad=0.3, bgcolor=\"white\", "
	    "outputorder=edgesfirst];\n"
	    "  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", "
	    "fillcolor=\"" C_CTR_FILL "\", color=\"" C_CTR_LINE "\", penwidth=1.2, height=0.4];\n"
	    "  edge [fontname=\"Helvetica\", fontsize=9, color=\"" C_UNPROF "\", "
	    "fontcolor=\"#555555\", arrowsize=0.7];\n");
	add_title(b, g);

	/* Containers and groups, in their clusters. */
	for (i = 0; i < g->nn; i++)
		if (g->n[no[i]].kind == GK_CONTAINER || g->n[no[i]].kind == GK_GROUP)
			ctr[nctr++] = no[i];
	cl_g = g;
	qsort(ctr, nctr, sizeof(*ctr), cmp_cluster);
	for (i = 0; i < nctr; i++) {
		const struct gnode *n = &g->n[ctr[i]];
		const struct dnode *d = &dn[ctr[i]];
		if (i == 0 || !same(ns, n->namespace)) {
			if (in_pr)
				strbuf_adds(b, in_ns ? "    }\n" : "  }\n");
			if (in_ns)
				strbuf_adds(b, "  }\n");
			in_ns = in_pr = 0;
			ns = n->namespace;
			pr = NULL;
			if (ns) {
				strbuf_adds(b, "  subgraph ");
				strbuf_adds(b, "\"cluster_ns:");
				strbuf_addu64(b, i);
				strbuf_adds(b, "\" {\n    label=");
				strbuf_adds(b, "<namespace <B>");
				html_text(b, d->ns);
				strbuf_adds(b, "</B>>; style=\"rounded,filled\"; fillcolor=\"#f5f7fa\"; "
				               "color=\"#9aa5b1\"; fontsize=11;\n");
				in_ns = 1;
			}
		}
		if ((!in_pr && n->profile) || (in_pr && !same(pr, n->profile))) {
			if (in_pr)
				strbuf_adds(b, in_ns ? "    }\n" : "  }\n");
			in_pr = 0;
			pr = n->profile;
			if (pr) {
				strbuf_adds(b, in_ns ? "    subgraph \"cluster_p:" : "  subgraph \"cluster_p:");
				strbuf_addu64(b, i);
				strbuf_adds(b, "\" {\n      label=<profile <B>");
				html_text(b, d->profile);
				strbuf_adds(b, "</B>>; style=\"rounded,filled\"; fillcolor=\"#ffffff\"; "
				               "color=\"" C_CTR_LINE "\"; fontsize=10; fontcolor=\""
				               C_CTR_LINE "\";\n");
				in_pr = 1;
			}
		}
		add_node(b, n, d, in_pr ? (in_ns ? "      " : "    ") : in_ns ? "    " : "  ");
	}
	if (in_pr)
		strbuf_adds(b, in_ns ? "    }\n" : "  }\n");
	if (in_ns)
		strbuf_adds(b, "  }\n");

	/* The host and the world, outside the clusters. */
	for (i = 0; i < g->nn; i++)
		if (g->n[no[i]].kind == GK_HOST || g->n[no[i]].kind == GK_WORLD)
			add_node(b, &g->n[no[i]], &dn[no[i]], "  ");

	for (i = 0; i < g->ne; i++) {
		const struct gedge *e = &g->e[eo[i]];
		double w = 1.0 + log10((double)(e->flows ? e->flows : 1)) * 0.8;
		char pw[16];
		strbuf_reserve(b, 256);
		strbuf_adds(b, "  ");
		dot_str(b, dn[e->src].id);
		strbuf_adds(b, " -> ");
		dot_str(b, dn[e->dst].id);
		strbuf_adds(b, " [label=\"");
		strbuf_adds(b, graph_proto_name(e->proto, tmp));
		if (e->port >= 0) {
			strbuf_addc(b, '/');
			strbuf_addu64(b, (uint64_t)e->port);
		}
		strbuf_adds(b, "\", tooltip=\"");
		strbuf_addu64(b, e->flows);
		strbuf_adds(b, e->flows == 1 ? " flow, " : " flows, ");
		strbuf_addu64(b, e->packets);
		strbuf_adds(b, " packets, ");
		strbuf_addu64(b, e->bytes);
		strbuf_adds(b, " bytes, ");
		strbuf_adds(b, verdict_name((enum verdict)e->verdict));
		strbuf_addc(b, '"');
		if (e->verdict == VERDICT_DENY) {
			w += 1.0;
			strbuf_adds(b, ", color=\"" C_DENY "\", fontcolor=\"" C_DENY "\", "
			               "fontname=\"Helvetica-Bold\"");
		} else if (e->verdict == VERDICT_ALLOW)
			strbuf_adds(b, ", color=\"" C_ALLOW "\", fontcolor=\"" C_ALLOW "\"");
		snprintf(pw, sizeof(pw), "%.1f", w > 5 ? 5 : w);
		strbuf_adds(b, ", penwidth=");
		strbuf_adds(b, pw);
		strbuf_adds(b, "];\n");
	}
	add_legend(b);
	strbuf_adds(b, "}\n");
	rc = b->oom ? -1 : 0;
out:
	if (dn)
		for (i = 0; i < g->nn; i++)
			dnode_free(&dn[i]);
	free(dn);
	free(ctr);
	free(no);
	free(rank);
	free(eo);
	return rc;
}
