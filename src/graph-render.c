/* graph-render.c — SVG and PNG through Graphviz's libraries, in-process
 * (libcgraph parses the DOT of graph-dot.c, libgvc lays it out with dot
 * and renders it): no dot(1) to find, fork or feed. Graphviz reports
 * through a global hook and keeps global state: this is not reentrant,
 * which the graph writers never need. */
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <stdio.h>
#include <string.h>

#include "graph-int.h"
#include "log.h"

static char gv_msg[256];

/* Sanitizer builds: Graphviz 2.43 and the font stack under it keep
 * allocations past gvFreeContext (caches, plugin tables). They are not
 * ours and would fail every leak check that draws a picture. */
#if defined(__SANITIZE_ADDRESS__)
#define GRAPH_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAPH_LSAN 1
#endif
#endif
#ifdef GRAPH_LSAN
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libcgraph.so\nleak:libgvplugin\nleak:libfontconfig.so\n"
	       "leak:libpango\nleak:libcairo\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\n";
}
#endif

/* Keep Graphviz's first error (it would print to stderr). */
static int
gv_collect(char *msg)
{
	size_t n;

	if (!gv_msg[0]) {
		snprintf(gv_msg, sizeof(gv_msg), "%s", msg);
		n = strlen(gv_msg);
		while (n && (gv_msg[n - 1] == '\n' || gv_msg[n - 1] == ' '))
			gv_msg[--n] = 0;
	}
	return 0;
}

int
graph_render(const struct graph *g, enum graph_format f, struct strbuf *b, char *err,
             size_t errlen)
{
	struct strbuf dot;
	agusererrf old_f;
	agerrlevel_t old_l;
	GVC_t *gvc = NULL;
	Agraph_t *ag = NULL;
	char *data = NULL;
	unsigned int len = 0;
	int rc = -1, laid = 0;

	strbuf_init(&dot, 65536);
	if (graph_dot_encode(g, &dot) < 0 || (strbuf_addc(&dot, 0), dot.oom)) {
		errbuf_set(err, errlen, "out of memory");
		strbuf_free(&dot);
		return -1;
	}
	gv_msg[0] = 0;
	old_f = agseterrf(gv_collect);
	old_l = agseterr(AGERR);     /* warnings (font fallbacks...) are not failures */
	if (!(gvc = gvContext())) {
		errbuf_set(err, errlen, "graphviz: cannot start");
		goto out;
	}
	if (!(ag = agmemread(dot.p))) {
		errbuf_set(err, errlen, "graphviz: DOT not accepted: %s",
		           gv_msg[0] ? gv_msg : "syntax error");
		goto out;
	}
	if (gvLayout(gvc, ag, "dot") != 0) {
		errbuf_set(err, errlen, "graphviz: layout failed: %s", gv_msg[0] ? gv_msg : "?");
		goto out;
	}
	laid = 1;
	if (gvRenderData(gvc, ag, f == GRAPH_PNG ? "png" : "svg", &data, &len) != 0 || !data) {
		errbuf_set(err, errlen, "graphviz: cannot render %s: %s",
		           f == GRAPH_PNG ? "PNG" : "SVG",
		           gv_msg[0] ? gv_msg : "renderer missing (graphviz plugins installed?)");
		goto out;
	}
	strbuf_add(b, data, len);
	if (b->oom) {
		errbuf_set(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (data)
		gvFreeRenderData(data);
	if (laid)
		gvFreeLayout(gvc, ag);
	if (ag)
		agclose(ag);
	if (gvc)
		gvFreeContext(gvc);
	agseterrf(old_f);
	agseterr(old_l);
	strbuf_free(&dot);
	return rc;
}
