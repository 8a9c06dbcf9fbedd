/* cmd-read.c — `cnetmon read`: analyse capture files offline.
 *
 * Files are read in the order given, as one stream (rotated captures
 * continue each other's flows). A file that cannot be opened, or that is
 * damaged before its first packet, is an error (exit 2); damage later in a
 * file is reported and everything before it is analysed. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "duration.h"
#include "engine.h"
#include "graph.h"
#include "log.h"
#include "profile.h"
#include "strbuf.h"

#define MAX_SINKS 16

struct read_opts {
	struct flow_config flow;
	const char *flow_sinks[MAX_SINKS];
	int nflow_sinks;
	const char *alert_sinks[MAX_SINKS];
	int nalert_sinks;
	const char *profiles[MAX_SINKS];
	int nprofiles;
	int strict;
	uint64_t alert_window_ns;
	const char *graph;
	int graph_format;
	struct output_options sinks;
	const char *node;
	const char *inventory;
	int quiet;
};

static void
read_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cnetmon read [-I INVENTORY] [-p PATH]... [-o SINK]... [--flows SINK]... [-g FILE]\n"
	    "                    [--strict] [--alert-window SECONDS] [--max-flows N]\n"
	    "                    [--timeout CLASS=SECONDS]... [--node NAME] [-q] FILE...\n"
	    "  -I INVENTORY       name containers from this inventory (cnetmon containers --json)\n"
	    "  -p PATH            judge flows by these profiles (a .profile file or a directory)\n"
	    "  -o SINK            where alerts go (default json:- when profiles are given)\n"
	    "  --flows SINK       where finished flow records go: json:-, json:PATH, msgpack:PATH,\n"
	    "                     syslog:udp://HOST:PORT, syslog:tcp://HOST:PORT, syslog:unix:PATH,\n"
	    "                     forward://HOST:PORT?tag=TAG\n"
	    "  --flush-timeout S  wait up to S seconds for collectors before exiting (default 30)\n"
	    "  --spool-dir DIR    where records wait on disk while a collector is down\n"
	    "  --spool-max SIZE   spool cap per sink (default 1G); --queue-size SIZE in memory\n"
	    "  -g FILE            write the communication graph (.json .dot .svg .png .msgpack)\n"
	    "  --strict           flag the flows of containers no profile selects\n"
	    "  --alert-window S   fold repeats of one violation within S seconds (default 60)\n"
	    "  --max-flows N      flows kept at once; the oldest idle is finished beyond (default 524288)\n"
	    "  --timeout C=S      idle timeout of class C in seconds: tcp-opening, tcp, tcp-closed,\n"
	    "                     udp, icmp, other; or 'active' for long flows (0 disables)\n"
	    "  --node NAME        node name put in records\n"
	    "  -q, --quiet        no summary on stderr\n");
}

static int
parse_opts(int argc, char **argv, struct read_opts *o)
{
	enum { OPT_FLOWS = 256, OPT_MAXFLOWS, OPT_TIMEOUT, OPT_NODE, OPT_STRICT, OPT_WINDOW,
	       OPT_SINK };
	static const struct option longopts[] = {
		{ "flush-timeout", required_argument, NULL, OPT_SINK },
		{ "spool-dir", required_argument, NULL, OPT_SINK },
		{ "spool-max", required_argument, NULL, OPT_SINK },
		{ "queue-size", required_argument, NULL, OPT_SINK },
		{ "profile", required_argument, NULL, 'p' },
		{ "graph", required_argument, NULL, 'g' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "alert-window", required_argument, NULL, OPT_WINDOW },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "max-flows", required_argument, NULL, OPT_MAXFLOWS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "inventory", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int ch, li;

	flow_config_default(&o->flow);
	output_options_default(&o->sinks);
	o->alert_window_ns = 60ULL * 1000000000ULL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "I:o:p:g:qh", longopts, &li)) != -1) {
		switch (ch) {
		case 'p':
			if (cmd_opt_push(o->profiles, &o->nprofiles, MAX_SINKS, "-p", optarg) < 0)
				return -1;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		case OPT_SINK:
			if (output_option(&o->sinks, longopts[li].name, optarg, err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return -1;
			}
			break;
		case 'g':
			if ((o->graph_format = graph_output_format(optarg)) < 0)
				return -1;
			o->graph = optarg;
			break;
		case OPT_WINDOW:
			if (duration_parse(optarg, 86400, &o->alert_window_ns) < 0) {
				log_warnx("--alert-window %s: expected seconds, e.g. 60 or 0.5", optarg);
				return -1;
			}
			break;
		case 'I':
			o->inventory = optarg;
			break;
		case OPT_FLOWS:
			if (cmd_opt_push(o->flow_sinks, &o->nflow_sinks, MAX_SINKS, "--flows", optarg) < 0)
				return -1;
			break;
		case 'o':
			if (cmd_opt_push(o->alert_sinks, &o->nalert_sinks, MAX_SINKS, "-o", optarg) < 0)
				return -1;
			break;
		case OPT_MAXFLOWS:
		case OPT_TIMEOUT:
			if (flow_config_option(&o->flow, ch == OPT_MAXFLOWS ? "max-flows" : "timeout",
			                       optarg, err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return -1;
			}
			break;
		case OPT_NODE:
			o->node = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			read_usage(stdout);
			exit(0);
		default:
			read_usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		log_warnx("read: no capture file given");
		read_usage(stderr);
		return -1;
	}
	return 0;
}

static void
print_time(FILE *fp, uint64_t ns)
{
	struct strbuf b;

	strbuf_init(&b, 40);
	strbuf_add_time(&b, ns);
	/* strbuf_add_time quotes the value for JSON; the summary does not. */
	if (!b.oom && b.len >= 2)
		fprintf(fp, "%.*s", (int)(b.len - 2), b.p + 1);
	strbuf_free(&b);
}

static void
print_reasons(FILE *fp, const char *title, const uint64_t *counts)
{
	uint64_t total = 0;
	int r, first = 1;

	for (r = 1; r < DEC_REASON_MAX; r++)
		total += counts[r];
	if (!total)
		return;
	fprintf(fp, "  %-13s%llu:", title, (unsigned long long)total);
	for (r = 1; r < DEC_REASON_MAX; r++) {
		if (!counts[r])
			continue;
		fprintf(fp, "%s %s %llu", first ? "" : ",", decode_reason_name((enum decode_reason)r),
		        (unsigned long long)counts[r]);
		first = 0;
	}
	fputc('\n', fp);
}

static void
print_summary(const struct engine *e, int nfiles, int nbad)
{
	const struct engine_stats *s = engine_stats(e);
	const struct flow_stats *fs = engine_flow_stats(e);
	FILE *fp = stderr;

	fprintf(fp, "cnetmon read: %d file%s", nfiles, nfiles == 1 ? "" : "s");
	if (nbad)
		fprintf(fp, " (%d with errors)", nbad);
	fputc('\n', fp);
	fprintf(fp, "  %-13s%llu (%llu bytes)\n", "packets", (unsigned long long)s->packets,
	        (unsigned long long)s->bytes);
	if (s->packets) {
		uint64_t span = s->last_ns - s->first_ns;
		fprintf(fp, "  %-13s", "time span");
		print_time(fp, s->first_ns);
		fprintf(fp, " to ");
		print_time(fp, s->last_ns);
		fprintf(fp, " (%llu.%06llu s)\n", (unsigned long long)(span / 1000000000ULL),
		        (unsigned long long)(span % 1000000000ULL / 1000));
	}
	fprintf(fp, "  %-13s%llu (records %llu: %llu active-timeout parts, %llu evicted early;"
	            " peak %u in table)\n", "flows",
	        (unsigned long long)fs->created, (unsigned long long)fs->records,
	        (unsigned long long)fs->active_splits, (unsigned long long)fs->evicted, fs->peak);
	if (fs->frag_later || fs->frag_orphans)
		fprintf(fp, "  %-13s%llu joined to their flow, %llu without their first fragment\n",
		        "fragments", (unsigned long long)fs->frag_later,
		        (unsigned long long)fs->frag_orphans);
	if (s->violations || s->alerts)
		fprintf(fp, "  %-13s%llu flows denied, %llu alerts\n", "violations",
		        (unsigned long long)s->violations, (unsigned long long)s->alerts);
	print_reasons(fp, "not decoded", s->undecoded);
	print_reasons(fp, "inner layers", s->inner_undecoded);
	if (s->output_failures)
		fprintf(fp, "  %-13s%llu records could not be written\n", "output",
		        (unsigned long long)s->output_failures);
}

static int
cpus_usable(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
}

/* -p with -I: the profiles are parsed and compiled on a thread of their
 * own while the inventory loads. At a thousand profiles and thousands of
 * containers each takes tens of milliseconds, and neither needs the other
 * until the set is checked against the inventory. The loader's messages
 * are kept and printed after the join, where one thread would print them. */
struct profile_job {
	struct profile_set *set;
	const char *const *paths;
	int npaths, strict;
	int errors;                  /* profile_load's */
	struct profile_eval *pe;     /* compiled when there were none */
	struct strbuf msgs;          /* each NUL-terminated */
	pthread_t t;
	int started;                 /* on a thread (else it ran on the caller's) */
};

static void
keep_msg(const char *msg, void *data)
{
	struct strbuf *b = data;

	strbuf_add(b, msg, strlen(msg) + 1);
}

static void *
profile_job_run(void *arg)
{
	struct profile_job *j = arg;
	int i;

	for (i = 0; i < j->npaths; i++)
		j->errors += profile_load(j->set, j->paths[i], keep_msg, &j->msgs);
	if (!j->errors)
		j->pe = profile_eval_new(j->set, NULL, NULL, j->strict);
	return NULL;
}

/* Wait for the loader; its messages to stderr unless quietly. */
static void
profile_job_join(struct profile_job *j, int quietly)
{
	size_t at;

	if (j->started)
		pthread_join(j->t, NULL);
	for (at = 0; !quietly && !j->msgs.oom && at < j->msgs.len; at += strlen(j->msgs.p + at) + 1)
		profile_error_stderr(j->msgs.p + at, NULL);
	strbuf_free(&j->msgs);
}

int
cmd_read(int argc, char **argv)
{
	struct read_opts o = { 0 };
	struct output *outs[2 * MAX_SINKS];
	struct inventory *inv = NULL;
	struct profile_set profiles = { 0 };
	struct profile_job job = { .set = &profiles };
	int job_running = 0;
	struct graph *g = NULL;
	struct engine *e;
	char err[512];
	int i, nouts = 0, nbad = 0, status = 0;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	e = engine_new(&o.flow, o.node);
	if (!e) {
		log_warn("cannot set up the flow table (%u flows)", o.flow.max_flows);
		return 2;
	}
	if (o.nprofiles) {
		job.paths = o.profiles;
		job.npaths = o.nprofiles;
		job.strict = o.strict;
		strbuf_init(&job.msgs, 0);
		job.started = pthread_create(&job.t, NULL, profile_job_run, &job) == 0;
		if (!job.started)
			profile_job_run(&job);          /* no thread: the same, here */
		job_running = 1;
	}
	if (o.inventory) {
		if (!(inv = inventory_load_json(o.inventory, err, sizeof(err)))) {
			log_warnx("%s", err);
			status = 2;
			goto done;
		}
		if (engine_set_inventory(e, inv) < 0) {
			log_warn("inventory %s", o.inventory);
			status = 2;
			goto done;
		}
	}
	if (o.graph) {
		if (!(g = graph_new(o.node, NULL)) ||
		    (inv && graph_set_host_addrs(g, inv->host_addrs, inv->nhost_addrs) < 0))
			fatal("graph");
		engine_on_record(e, graph_on_record, g);
	}
	if (o.nprofiles) {
		struct profile_eval *pe;
		profile_job_join(&job, 0);
		job_running = 0;
		pe = job.pe;
		/* Checked whatever the files said, as profile_load_paths does. */
		if (profile_check_set(&profiles, inv, profile_error_stderr, NULL) + job.errors) {
			profile_eval_free(pe);
			status = 2;
			goto done;
		}
		if (!inv)
			log_warnx("profiles without an inventory (-I): no flow can be tied to a "
			          "container, so none is judged");
		engine_set_alert_window(e, o.alert_window_ns);
		if (!pe || engine_use_profiles(e, pe) < 0) {
			log_warn("profiles");
			status = 2;
			goto done;
		}
		if (!o.nalert_sinks)
			o.alert_sinks[o.nalert_sinks++] = "json:-";
	}
	/* Nothing here is live: a sink that falls behind makes reading wait
	 * rather than drop, while it delivers (see output.h). */
	o.sinks.full_wait_ms = o.sinks.close_timeout_ms ? o.sinks.close_timeout_ms : 1;
	if (engine_open_sinks(e, &o.sinks, o.flow_sinks, o.nflow_sinks, o.alert_sinks,
	                      o.nalert_sinks, outs, &nouts) < 0) {
		status = 2;
		goto done;
	}
	/* Judging, passive DNS and records on a second thread, when there is
	 * a second CPU for it (on one, the two threads only take turns, and
	 * judging loses the batch's prefetching: 10% slower measured). */
	if ((o.nprofiles || o.nflow_sinks || g) && cpus_usable() > 1)
		engine_offload(e);

	for (i = optind; i < argc; i++)
		if (engine_read_file(e, argv[i]) < 0)
			nbad++;
	engine_finish(e);
	/* What a collector did not take in time makes the read incomplete. */
	if (output_drain_report(outs, nouts, &o.sinks, "the next run"))
		status = 2;
	if (g && graph_write(g, (enum graph_format)o.graph_format, o.graph, err, sizeof(err)) < 0) {
		log_warnx("-g %s", err);
		status = 2;
	}
	if (!o.quiet)
		print_summary(e, argc - optind, nbad);
	/* 2 wins over 1: a violation report from a partial read is not an
	 * audit result a pipeline should trust. */
	if (nbad || engine_stats(e)->output_failures || status == 2)
		status = 2;
	else if (engine_stats(e)->violations)
		status = 1;
done:
	if (job_running) {              /* given up before the profiles were wanted */
		profile_job_join(&job, 1);
		profile_eval_free(job.pe);
	}
	for (i = 0; i < nouts; i++)
		output_close(outs[i]);
	engine_free(e);
	graph_free(g);
	profile_set_free(&profiles);
	inventory_free(inv);
	return status;
}
