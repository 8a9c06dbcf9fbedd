/* cmd-graph.c — `cnetmon graph`: merge graph files (several nodes of a
 * cluster, several runs), fold and focus them, convert them to JSON, DOT,
 * SVG, PNG or msgpack; or, with --diff OLD NEW, say which edges appeared,
 * vanished or changed verdict between two audits (cnetmon-graph(8)).
 * Exit status: 0 done (diff: no change), 1 diff found changes, 2 error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "graph.h"
#include "log.h"

#define GRAPH_USAGE \
	"usage: cnetmon graph [-f json|dot|svg|png|msgpack] [-o FILE] [--focus NAME]\n" \
	"                     [--group-by label:KEY|image|profile] [--collapse-world CIDR]...\n" \
	"                     GRAPH...\n" \
	"       cnetmon graph --diff [--json] [-o FILE] [--focus NAME] [--group-by ...]\n" \
	"                     [--collapse-world CIDR]... OLD NEW\n"

static struct graph *
load(const char *const *paths, int n, const struct graph_options *opt, const char *focus)
{
	struct graph *g = graph_new(NULL, opt);
	char err[512];
	int i;

	if (!g) {
		log_warn("graph");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (graph_merge_file(g, paths[i], err, sizeof(err)) < 0) {
			log_warnx("%s", err);
			graph_free(g);
			return NULL;
		}
	if (focus && graph_focus(g, focus) < 0) {
		log_warnx("--focus %s: no such container, group or address in the graph", focus);
		graph_free(g);
		return NULL;
	}
	return g;
}

static int
diff(char **paths, const struct graph_options *opt, const char *focus, int json,
     const char *out)
{
	struct graph *a, *b;
	FILE *fp = stdout;
	long n;

	if (!(a = load((const char *const *)paths, 1, opt, focus)))
		return 2;
	if (!(b = load((const char *const *)paths + 1, 1, opt, focus))) {
		graph_free(a);
		return 2;
	}
	if (out && strcmp(out, "-") && !(fp = fopen(out, "w"))) {
		log_warn("%s", out);
		n = -1;
	} else if ((n = graph_diff(a, b, json, fp)) < 0)
		log_warn("%s", out && strcmp(out, "-") ? out : "stdout");
	if (fp != stdout && fclose(fp) != 0 && n >= 0) {
		log_warn("%s", out);
		n = -1;
	}
	graph_free(a);
	graph_free(b);
	return n < 0 ? 2 : n > 0 ? 1 : 0;
}

int
cmd_graph(int argc, char **argv)
{
	enum { O_DIFF = 256, O_JSON, O_FOCUS, O_GROUP, O_COLLAPSE };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "diff", no_argument, NULL, O_DIFF },
		{ "json", no_argument, NULL, O_JSON },
		{ "focus", required_argument, NULL, O_FOCUS },
		{ "group-by", required_argument, NULL, O_GROUP },
		{ "collapse-world", required_argument, NULL, O_COLLAPSE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct graph_options opt = { 0 };
	const char *out = NULL, *fmtname = NULL, *focus = NULL;
	const char **collapse;
	int ch, fmt, do_diff = 0, json = 0, rc = 2;
	struct graph *g = NULL;
	char err[512];

	if (!(collapse = calloc((size_t)argc + 1, sizeof(*collapse))))
		fatal("graph");
	opt.collapse = collapse;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': fmtname = optarg; break;
		case 'o': out = optarg; break;
		case O_DIFF: do_diff = 1; break;
		case O_JSON: json = 1; break;
		case O_FOCUS: focus = optarg; break;
		case O_GROUP: opt.group_by = optarg; break;
		case O_COLLAPSE: collapse[opt.ncollapse++] = optarg; break;
		case 'h':
			fputs(GRAPH_USAGE, stdout);
			rc = 0;
			goto out;
		default:
			fputs(GRAPH_USAGE, stderr);
			goto out;
		}
	}
	if (graph_options_check(&opt, err, sizeof(err)) < 0) {
		log_warnx("graph: %s", err);
		goto out;
	}
	if (do_diff) {
		if (argc - optind != 2) {
			log_warnx("graph --diff: give two graphs, OLD and NEW");
			fputs(GRAPH_USAGE, stderr);
			goto out;
		}
		if (fmtname && strcmp(fmtname, "json") && strcmp(fmtname, "text")) {
			log_warnx("graph --diff: -f %s: a diff is text or json", fmtname);
			goto out;
		}
		rc = diff(argv + optind, &opt, focus, json || (fmtname && !strcmp(fmtname, "json")),
		          out);
		goto out;
	}
	if (json) {
		log_warnx("graph: --json goes with --diff (use -f json to convert)");
		goto out;
	}
	if (optind >= argc) {
		log_warnx("graph: no graph file given");
		fputs(GRAPH_USAGE, stderr);
		goto out;
	}
	if (fmtname) {
		if ((fmt = graph_format_from_name(fmtname)) < 0) {
			log_warnx("graph: -f %s: expected json, dot, svg, png or msgpack", fmtname);
			goto out;
		}
	} else if (!out || (fmt = graph_format_from_path(out)) < 0)
		fmt = GRAPH_JSON;
	if (!out)
		out = "-";
	if (!strcmp(out, "-") && (fmt == GRAPH_PNG || fmt == GRAPH_MSGPACK) &&
	    isatty(STDOUT_FILENO)) {
		log_warnx("graph: not writing binary %s to a terminal (use -o FILE)",
		          fmt == GRAPH_PNG ? "PNG" : "msgpack");
		goto out;
	}
	if (!(g = load((const char *const *)argv + optind, argc - optind, &opt, focus)))
		goto out;
	if (graph_write(g, (enum graph_format)fmt, out, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		goto out;
	}
	rc = 0;
out:
	graph_free(g);
	free(collapse);
	return rc;
}
