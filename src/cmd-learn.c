/* cmd-learn.c — `cnetmon learn [-I INVENTORY] [-o DIR] [--resolver ADDR]...
 * FILE...` and `cnetmon learn --live SECONDS [-i IFACE]... [-o DIR]...`:
 * profiles that allow exactly what the traffic shows (DESIGN.md "Command
 * line", issue #5; the learner is profile-learn.c).
 *
 * Files are read as `read` reads them (one stream, damage reported and read
 * up to). --live captures as `run` does, through run_with() (cmd-run.c):
 * container veths followed as containers come and go, the count-once rule,
 * conntrack NAT; every rescan's containers are told to the learner, so one
 * that started during the period is known. It stops after SECONDS, or
 * earlier on SIGINT/SIGTERM, and open flows are finished either way.
 *
 * Every flow record goes to the learner, and the profiles are written one
 * per workload: to DIR/NAME.profile, or all to stdout. Before anything is
 * written the learned set is loaded back and checked with the containers,
 * as `cnetmon check -I` would: a learner that wrote a profile `check`
 * refuses would be a bug, and is reported as one. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon.h"
#include "duration.h"
#include "engine.h"
#include "learn.h"
#include "run-settings.h"
#include "log.h"
#include "profile.h"

#define MAX_RESOLVERS 64
#define LIVE_MAX_S    (30 * 86400.0)

struct learn_opts {
	struct flow_config flow;
	struct learn_config learn;
	const char *inventory;
	const char *dir;
	const char *resolvers[MAX_RESOLVERS];
	int nresolvers;
	int quiet;
	uint64_t live_ns;         /* --live: the period; 0: files */
	const char *live_arg;
	char **run_argv;          /* --live: run's settings (run-settings.h) */
	int run_argc;
	const char *live_only;    /* an option that needs --live, when given */
};

/* learn --live: the hooks' state. */
struct live {
	struct learner *l;
	int failed;               /* a rescan's containers could not be kept */
	uint64_t start_ns;        /* wall clock at the first scan */
	char node[256];
};

static void
learn_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cnetmon learn -I INVENTORY [-o DIR] [--resolver ADDR]... [--max-peers N]\n"
	    "                     [--max-flows N] [--timeout CLASS=SECONDS]... [-q] FILE...\n"
	    "       cnetmon learn --live SECONDS [-i IFACE]... [--bpf EXPR] [--buffer-size MIB]\n"
	    "                     [-o DIR] [--resolver ADDR]... [--max-peers N] [--max-flows N]\n"
	    "                     [--timeout CLASS=SECONDS]... [-q] [-v]\n"
	    "  -I INVENTORY       the containers of the captures (cnetmon containers --json)\n"
	    "  --live SECONDS     capture live as `cnetmon run` does (every container veth,\n"
	    "                     followed as containers start and stop) for SECONDS, or until\n"
	    "                     SIGINT/SIGTERM, then learn from what was seen (needs root)\n"
	    "  -i IFACE           --live: capture here instead (repeatable)\n"
	    "  --bpf EXPR, --buffer-size MIB   --live: as for `cnetmon run`\n"
	    "  -o DIR             write one NAME.profile per workload into DIR (default: all\n"
	    "                     to stdout)\n"
	    "  --resolver ADDR    a DNS resolver every workload may query, besides those seen\n"
	    "                     (address or CIDR; repeatable)\n"
	    "  --max-peers N      addresses or DNS names in one rule before it says `world`\n"
	    "                     (default %d)\n"
	    "  --max-flows N, --timeout C=S   the flow table, as for `cnetmon read`\n"
	    "  -q, --quiet        no summary on stderr\n"
	    "  -v, --verbose      --live: say what is captured (repeat for more)\n",
	    LEARN_MAX_PEERS_DEFAULT);
}

static int
parse_opts(int argc, char **argv, struct learn_opts *o)
{
	enum { OPT_RESOLVER = 256, OPT_MAXPEERS, OPT_MAXFLOWS, OPT_TIMEOUT, OPT_LIVE, OPT_BPF,
	       OPT_BUF };
	static const struct option longopts[] = {
		{ "live", required_argument, NULL, OPT_LIVE },
		{ "interface", required_argument, NULL, 'i' },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "buffer-size", required_argument, NULL, OPT_BUF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "inventory", required_argument, NULL, 'I' },
		{ "output", required_argument, NULL, 'o' },
		{ "resolver", required_argument, NULL, OPT_RESOLVER },
		{ "max-peers", required_argument, NULL, OPT_MAXPEERS },
		{ "max-flows", required_argument, NULL, OPT_MAXFLOWS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256], *end;
	unsigned long v;
	int ch;

	flow_config_default(&o->flow);
	learn_config_default(&o->learn);
	/* run's settings for --live: learn's command line is all of them (no
	 * config file: its sinks and profiles are the daemon's, not ours), and
	 * it stays root to write DIR at the end. Each option below adds at
	 * most two. */
	if (!(o->run_argv = calloc((size_t)argc * 2 + 8, sizeof(*o->run_argv))))
		fatal("learn");
	o->run_argv[o->run_argc++] = "learn";
	o->run_argv[o->run_argc++] = "--config=/dev/null";
	o->run_argv[o->run_argc++] = "--user=root";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "I:o:i:qvh", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LIVE:
			if (duration_parse(optarg, LIVE_MAX_S, &o->live_ns) < 0 || !o->live_ns) {
				log_warnx("--live %s: expected seconds, more than 0 and at most %.0f",
				          optarg, LIVE_MAX_S);
				return -1;
			}
			o->live_arg = optarg;
			break;
		case 'i':
		case OPT_BPF:
		case OPT_BUF:
			/* Checked by run's parser, which says what is wrong. */
			o->live_only = ch == 'i' ? "-i" : ch == OPT_BPF ? "--bpf" : "--buffer-size";
			o->run_argv[o->run_argc++] = ch == 'i' ? "-i" : ch == OPT_BPF ? "--bpf" :
			                             "--buffer-size";
			o->run_argv[o->run_argc++] = optarg;
			break;
		case 'v':
			o->run_argv[o->run_argc++] = "-v";
			break;
		case 'I':
			o->inventory = optarg;
			break;
		case 'o':
			o->dir = optarg;
			break;
		case OPT_RESOLVER:
			if (cmd_opt_push(o->resolvers, &o->nresolvers, MAX_RESOLVERS, "--resolver",
			                 optarg) < 0)
				return -1;
			break;
		case OPT_MAXPEERS:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 4096) {
				log_warnx("--max-peers %s: not a number from 1 to 4096", optarg);
				return -1;
			}
			o->learn.max_peers = (unsigned)v;
			break;
		case OPT_MAXFLOWS:
		case OPT_TIMEOUT:
			if (flow_config_option(&o->flow, ch == OPT_MAXFLOWS ? "max-flows" : "timeout",
			                       optarg, err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return -1;
			}
			o->run_argv[o->run_argc++] = ch == OPT_MAXFLOWS ? "--max-flows" : "--timeout";
			o->run_argv[o->run_argc++] = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			learn_usage(stdout);
			exit(0);
		default:
			learn_usage(stderr);
			return -1;
		}
	}
	if (o->live_ns) {
		if (optind < argc) {
			log_warnx("learn: --live captures: no file as well ('%s')", argv[optind]);
			return -1;
		}
		if (o->inventory) {
			log_warnx("learn: -I is for capture files: --live takes the containers from "
			          "the host");
			return -1;
		}
		return 0;
	}
	if (o->live_only) {
		log_warnx("learn: %s is for --live", o->live_only);
		learn_usage(stderr);
		return -1;
	}
	if (optind >= argc) {
		log_warnx("learn: no capture file given (or --live SECONDS)");
		learn_usage(stderr);
		return -1;
	}
	if (!o->inventory) {
		/* Without one no address is a container: nothing to learn. */
		log_warnx("learn: -I INVENTORY is needed to know the captures' containers "
		          "(save it with `cnetmon containers --json`)");
		return -1;
	}
	return 0;
}

static void
print_error(const char *msg, void *data)
{
	(void)data;
	fprintf(stderr, "cnetmon: learned profile: %s\n", msg);
}

/* Write b to DIR/NAME.profile through a temporary file: a reader never
 * sees half a profile. */
static int
write_profile_file(const char *dir, const char *name, const struct strbuf *b)
{
	char path[4096], tmp[4096];
	FILE *fp;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s.profile", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.profile.XXXXXX", dir, name) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		log_warn("%s/%s.profile", dir, name);
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		log_warn("%s", tmp);
		return -1;
	}
	if (fchmod(fd, 0644) < 0 || !(fp = fdopen(fd, "w"))) {
		log_warn("%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (fwrite(b->p, 1, b->len, fp) != b->len || fflush(fp) != 0 || fsync(fileno(fp)) < 0) {
		log_warn("%s", tmp);
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, path) < 0) {
		log_warn("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* "FILE, FILE (inventory INV)" for the profiles' header comments. */
static char *
origin_text(char **files, int n, const char *inv)
{
	struct strbuf b;
	int i;

	strbuf_init(&b, 256);
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_adds(&b, i == 3 && n > 4 ? ", ..." : ", ");
		if (i >= 3 && n > 4) {
			/* Long lists: the first three and the count. */
			strbuf_adds(&b, " (");
			strbuf_addu64(&b, (uint64_t)n);
			strbuf_adds(&b, " files)");
			break;
		}
		strbuf_adds(&b, files[i]);
	}
	strbuf_adds(&b, " (inventory ");
	strbuf_adds(&b, inv);
	strbuf_adds(&b, ")");
	strbuf_addc(&b, '\0');
	if (b.oom) {
		strbuf_free(&b);
		return NULL;
	}
	/* A name with a newline would break the comment out of its line. */
	for (char *p = b.p; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return b.p;
}

/* learn --live, after the first scan: the learner knows the host's
 * containers and takes every record. */
static int
live_on_engine(struct engine *e, const struct inventory *inv, void *data)
{
	struct live *lv = data;

	if (learn_add_inventory(lv->l, inv) < 0 || engine_on_record(e, learn_record, lv->l) < 0) {
		log_warn("learn");
		return -1;
	}
	snprintf(lv->node, sizeof(lv->node), "%s", inv->node ? inv->node : "");
	lv->start_ns = clock_ns(CLOCK_REALTIME);
	return 0;
}

/* After each rescan: containers that started since are known, so their
 * selectors are checked against them even when they sent nothing. */
static void
live_on_rescan(const struct inventory *inv, void *data)
{
	struct live *lv = data;

	if (learn_add_inventory(lv->l, inv) < 0)
		lv->failed = 1;
}

/* "a live capture on NODE, SECONDS s from TIME" for the header comments. */
static char *
live_origin(const struct live *lv, uint64_t end_ns)
{
	time_t t = (time_t)(lv->start_ns / 1000000000ULL);
	struct tm tm;
	char when[40], *s;

	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "?");
	if (asprintf(&s, "a live capture%s%s, %.0f s from %s", lv->node[0] ? " on " : "",
	             lv->node, (double)(end_ns - lv->start_ns) / 1e9, when) < 0)
		return NULL;
	for (char *p = s; *p; p++)          /* the node name: keep the comment one line */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* The learned profiles, checked, to DIR or stdout. inv NULL: checked
 * against the containers the learner knows (--live). */
static int
write_profiles(struct learner *l, const struct learn_opts *o, const struct inventory *inv)
{
	struct profile_set set = { 0 };
	struct strbuf all;
	unsigned long long nrec = 0, nused = 0;
	size_t i, n;
	int status = 0;

	strbuf_init(&all, 4096);
	if (learn_finish(l) < 0) {
		log_warn("learn");
		status = 2;
		goto done;
	}
	n = learn_count(l);
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addc(&all, '\n');
		learn_write(l, i, &all);
	}
	if (all.oom) {
		log_warnx("learn: out of memory");
		status = 2;
		goto done;
	}
	if (profile_load_buffer(&set, "learned", all.p ? all.p : "", all.len, print_error, NULL) ||
	    (inv ? profile_check_set(&set, inv, print_error, NULL) :
	           learn_check(l, &set, print_error, NULL))) {
		log_warnx("learn: the learned profiles fail `cnetmon check` (a bug: please report it "
		          "with the input)");
		status = 2;
		goto done;
	}
	if (!o->dir) {
		if (all.len && (fwrite(all.p, 1, all.len, stdout) != all.len || fflush(stdout))) {
			log_warn("stdout");
			status = 2;
		}
	} else {
		for (i = 0; i < n; i++) {
			struct strbuf b;
			strbuf_init(&b, 1024);
			learn_write(l, i, &b);
			if (b.oom || write_profile_file(o->dir, learn_name(l, i), &b) < 0)
				status = 2;
			strbuf_free(&b);
		}
	}
	learn_stats(l, &nrec, &nused);
	if (!n)
		log_warnx("learn: no flow of a container %s%s was seen: no profile learned",
		          inv ? "of " : "", inv ? o->inventory : "on this host");
	if (!o->quiet)
		fprintf(stderr, "cnetmon learn: %zu profile%s from %llu flow record%s (%llu of "
		        "containers)%s%s\n", n, n == 1 ? "" : "s", nrec, nrec == 1 ? "" : "s", nused,
		        o->dir ? " into " : "", o->dir ? o->dir : "");
done:
	profile_set_free(&set);
	strbuf_free(&all);
	return status;
}

/* --live: capture as `run` does for the period, then learn. */
static int
learn_live(struct learner *l, struct learn_opts *o)
{
	struct live lv = { 0 };
	struct run_hooks h = { 0 };
	char *origin;
	int status;

	lv.l = l;
	h.on_engine = live_on_engine;
	h.on_rescan = live_on_rescan;
	h.stop_after_ns = o->live_ns;
	h.data = &lv;
	o->run_argv[o->run_argc] = NULL;
	if ((status = run_with(o->run_argc, o->run_argv, &h)) != 0) {
		/* Set-up failed, or the loop did: nothing trustworthy learned. */
		log_warnx("learn --live %s: capture failed: no profile written", o->live_arg);
		return status;
	}
	if (!lv.start_ns)
		return 2;               /* never started (run_with said why) */
	if (lv.failed) {
		log_warnx("learn: out of memory keeping the containers: no profile written");
		return 2;
	}
	if ((origin = live_origin(&lv, clock_ns(CLOCK_REALTIME)))) {
		learn_set_origin(l, origin);
		free(origin);
	}
	return write_profiles(l, o, NULL);
}

int
cmd_learn(int argc, char **argv)
{
	struct learn_opts o = { 0 };
	struct inventory *inv = NULL;
	struct learner *l = NULL;
	struct engine *e = NULL;
	char err[512], *origin = NULL;
	int status = 0, nbad = 0, k;

	if (parse_opts(argc, argv, &o) < 0) {
		status = 2;
		goto done;
	}
	if (!o.live_ns && !(inv = inventory_load_json(o.inventory, err, sizeof(err)))) {
		log_warnx("%s", err);
		status = 2;
		goto done;
	}
	if (!(l = learn_new(&o.learn)) || (inv && learn_add_inventory(l, inv) < 0)) {
		log_warn("learn");
		status = 2;
		goto done;
	}
	for (k = 0; k < o.nresolvers; k++)
		if (learn_add_resolver(l, o.resolvers[k]) < 0) {
			log_warnx("--resolver %s: not an address, or a CIDR with its host bits clear",
			          o.resolvers[k]);
			status = 2;
			goto done;
		}
	if (o.dir && mkdir(o.dir, 0755) < 0 && errno != EEXIST) {
		log_warn("%s", o.dir);
		status = 2;
		goto done;
	}
	if (o.live_ns) {
		status = learn_live(l, &o);
		goto done;
	}
	if ((origin = origin_text(argv + optind, argc - optind, o.inventory)))
		learn_set_origin(l, origin);
	if (!(e = engine_new(&o.flow, NULL)) || engine_set_inventory(e, inv) < 0 ||
	    engine_on_record(e, learn_record, l) < 0) {
		log_warn("cannot set up the flow table (%u flows)", o.flow.max_flows);
		status = 2;
		goto done;
	}
	for (k = optind; k < argc; k++)
		if (engine_read_file(e, argv[k]) < 0)
			nbad++;
	engine_finish(e);
	if (nbad) {
		/* Profiles learned from part of the input would deny the rest. */
		log_warnx("learn: %d file%s could not be read: no profile written", nbad,
		          nbad == 1 ? "" : "s");
		status = 2;
		goto done;
	}
	status = write_profiles(l, &o, inv);
done:
	free(origin);
	free(o.run_argv);
	engine_free(e);             /* before the learner: it is a consumer */
	learn_free(l);
	inventory_free(inv);
	return status;
}
