/* run-settings.c — `cnetmon run`'s config file and command line, one
 * parser for both (see run-settings.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cmd.h"
#include "duration.h"
#include "graph.h"
#include "log.h"
#include "run-settings.h"

#define MAX_CONF_ARGS 1024

void
run_settings_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cnetmon run [-c FILE] [--check-config] [-i IFACE]... [-p PATH]... [-o SINK]...\n"
	    "                   [--flows SINK]... [-g FILE] [--graph-interval SECONDS] [--strict]\n"
	    "                   [--alert-window SECONDS] [--bpf EXPR] [--buffer-size MIB]\n"
	    "                   [--max-flows N] [--timeout CLASS=SECONDS]... [--node NAME]\n"
	    "                   [--grace SECONDS] [--user USER] [--metrics ADDR:PORT]\n"
	    "                   [--spool-dir DIR] [--spool-max SIZE] [--queue-size SIZE]\n"
	    "                   [--flush-timeout SECONDS] [-v]\n"
	    "  -c FILE           settings (INI, [run], long option names; default "
	    RUN_DEFAULT_CONFIG ")\n"
	    "  --check-config    check the settings, profiles and sinks, then exit\n"
	    "  -i IFACE          capture here (default: every container veth, followed live)\n"
	    "  -p PATH           judge flows by these profiles (file or directory; SIGHUP reloads)\n"
	    "  -o SINK           where alerts go (default json:- when profiles are given)\n"
	    "  --flows SINK      where finished flow records go (json:, msgpack:, syslog:, forward://)\n"
	    "  --spool-dir DIR   where records wait on disk while a collector is down\n"
	    "  --spool-max SIZE  spool cap per sink (default 1G); --queue-size SIZE in memory (16M)\n"
	    "  --flush-timeout S on SIGTERM, wait up to S seconds for collectors (default 30)\n"
	    "  -g FILE           write the communication graph on exit and SIGUSR1 (.json .dot .svg\n"
	    "                    .png .msgpack)\n"
	    "  --graph-interval S  also every S seconds\n"
	    "  --strict          flag the flows of containers no profile selects\n"
	    "  --alert-window S  fold repeats of one violation within S seconds (default 60)\n"
	    "  --bpf EXPR        an extra capture filter\n"
	    "  --buffer-size M   kernel ring per interface in MiB (default 8)\n"
	    "  --user USER       run as USER after start-up (default cnetmon, if it exists)\n"
	    "  --metrics A:P     Prometheus metrics on http://A:P/metrics\n");
}

/* ---- config file ------------------------------------------------------- */

struct conf {
	char **args;
	int nargs;
	char bad[160];
};

static const char *const conf_keys[] = {
	"interface", "flows", "output", "profile", "strict", "alert-window", "graph",
	"graph-interval", "bpf", "buffer-size", "max-flows", "timeout", "node", "grace", "user",
	"verbose", "metrics", "spool-dir", "spool-max", "queue-size", "flush-timeout",
};

static int
conf_bool(const char *v)
{
	return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") ? 1
	     : !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") ? 0 : -1;
}

static int
conf_add(struct conf *cf, char *arg)
{
	if (!arg) {
		snprintf(cf->bad, sizeof(cf->bad), "out of memory");
		return 0;
	}
	if (cf->nargs == MAX_CONF_ARGS) {
		free(arg);
		snprintf(cf->bad, sizeof(cf->bad), "more than %d settings", MAX_CONF_ARGS);
		return 0;
	}
	cf->args[cf->nargs++] = arg;
	return 1;
}

static int
conf_entry(void *data, const char *section, const char *key, const char *value)
{
	struct conf *cf = data;
	char *arg;
	size_t i;
	int v;

	if (strcmp(section, "run") != 0) {
		snprintf(cf->bad, sizeof(cf->bad), "settings belong in [run], not [%s]", section);
		return 0;
	}
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (!strcmp(key, conf_keys[i]))
			break;
	if (i == sizeof(conf_keys) / sizeof(conf_keys[0])) {
		snprintf(cf->bad, sizeof(cf->bad), "unknown setting '%s'", key);
		return 0;
	}
	if (!strcmp(key, "verbose")) {
		/* verbose = N (or true/false): N times -v */
		v = conf_bool(value);
		if (v < 0)
			v = atoi(value);
		while (v-- > 0)
			if (!conf_add(cf, strdup("-v")))
				return 0;
		return 1;
	}
	if (!strcmp(key, "strict")) {
		if ((v = conf_bool(value)) < 0) {
			snprintf(cf->bad, sizeof(cf->bad), "strict = %s: expected true or false", value);
			return 0;
		}
		return v ? conf_add(cf, strdup("--strict")) : 1;
	}
	if (asprintf(&arg, "--%s=%s", key, value) < 0)
		arg = NULL;
	return conf_add(cf, arg);
}

/* -1: unreadable or wrong (message logged); 0: loaded, or the default file
 * is simply not there. */
static int
conf_load(struct conf *cf, const char *path, int explicit, int *found)
{
	FILE *fp = fopen(path, "re");
	int line;

	*found = 0;
	if (!fp) {
		if (!explicit && errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	*found = 1;
	line = ini_parse_file(fp, conf_entry, cf);
	fclose(fp);
	if (line != 0) {
		log_warnx("%s:%d: %s", path, line, cf->bad[0] ? cf->bad : "not a KEY = VALUE line");
		return -1;
	}
	return 0;
}

void
run_settings_free(struct run_settings *s)
{
	while (s->nconf_args)
		free(s->conf_args[--s->nconf_args]);
	free(s->conf_args);
	free(s->all);
	memset(s, 0, sizeof(*s));
}

/* A setting was refused (the parser said why): if it came from the config
 * file, say so, since the message names it as an option. */
static int
bad_setting(const struct run_settings *s, int next_index)
{
	if (next_index - 1 <= s->nconf_args && next_index >= 2)
		log_warnx("%s: in \"%s\"", s->config, s->all[next_index - 1] + 2);
	return 2;
}

#define ADD(list, n, max, what)                                            \
	do {                                                               \
		if (cmd_opt_push((list), &(n), (max), (what), optarg) < 0) \
			return bad_setting(s, optind);                     \
	} while (0)

int
run_settings_parse(struct run_settings *s, int argc, char **argv)
{
	enum { OPT_FLOWS = 256, OPT_BPF, OPT_BUF, OPT_MAXFLOWS, OPT_TIMEOUT, OPT_NODE, OPT_GRACE,
	       OPT_CHECK, OPT_USER, OPT_METRICS, OPT_STRICT, OPT_WINDOW, OPT_GRAPH_INTERVAL,
	       OPT_SINK };
	static const struct option longopts[] = {
		{ "flush-timeout", required_argument, NULL, OPT_SINK },
		{ "spool-dir", required_argument, NULL, OPT_SINK },
		{ "spool-max", required_argument, NULL, OPT_SINK },
		{ "queue-size", required_argument, NULL, OPT_SINK },
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "user", required_argument, NULL, OPT_USER },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "interface", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'p' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "alert-window", required_argument, NULL, OPT_WINDOW },
		{ "graph", required_argument, NULL, 'g' },
		{ "graph-interval", required_argument, NULL, OPT_GRAPH_INTERVAL },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "buffer-size", required_argument, NULL, OPT_BUF },
		{ "max-flows", required_argument, NULL, OPT_MAXFLOWS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf cf = { 0 };
	char err[256], *end;
	int i, ch, nall, li;
	long v;

	memset(s, 0, sizeof(*s));
	s->config = RUN_DEFAULT_CONFIG;
	s->user = "cnetmon";
	s->bufsize = 8 << 20;
	s->alert_window_ns = 60ULL * 1000000000ULL;
	flow_config_default(&s->fc);
	scan_config_default(&s->sc);
	output_options_default(&s->sinks);
	/* The config file's settings go first, so find it before parsing. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			if (i + 1 < argc) {
				s->config = argv[i + 1];
				s->config_given = 1;
			}
		} else if (!strncmp(argv[i], "--config=", 9)) {
			s->config = argv[i] + 9;
			s->config_given = 1;
		} else if (!strcmp(argv[i], "--")) {
			break;
		}
	}
	if (!(cf.args = calloc(MAX_CONF_ARGS, sizeof(*cf.args))))
		fatal("settings");
	s->conf_args = cf.args;
	if (conf_load(&cf, s->config, s->config_given, &s->config_found) < 0) {
		s->nconf_args = cf.nargs;
		return 2;
	}
	s->nconf_args = cf.nargs;
	nall = 1 + cf.nargs + (argc - 1);
	if (!(s->all = calloc((size_t)nall + 1, sizeof(*s->all))))
		fatal("settings");
	s->all[0] = argv[0];
	for (i = 0; i < cf.nargs; i++)
		s->all[1 + i] = cf.args[i];
	for (i = 1; i < argc; i++)
		s->all[cf.nargs + i] = argv[i];
	optind = 1;
	while ((ch = getopt_long(nall, s->all, "c:i:o:p:g:vh", longopts, &li)) != -1) {
		switch (ch) {
		case 'c': break;                     /* read above */
		case OPT_CHECK: s->check = 1; break;
		case OPT_USER: s->user = optarg; s->user_given = 1; break;
		case OPT_METRICS: s->metrics = optarg; break;
		case 'i': ADD(s->ifaces, s->nifaces, RUN_MAX_IFACES, "-i"); break;
		case OPT_FLOWS: ADD(s->flow_sinks, s->nflow, RUN_MAX_SINKS, "--flows"); break;
		case 'o': ADD(s->alert_sinks, s->nalert, RUN_MAX_SINKS, "-o"); break;
		case 'p': ADD(s->profiles, s->nprofiles, RUN_MAX_PROFILES, "-p"); break;
		case OPT_STRICT: s->strict = 1; break;
		case OPT_WINDOW:
			if (duration_parse(optarg, 86400, &s->alert_window_ns) < 0) {
				log_warnx("--alert-window '%s': expected seconds from 0 to 86400", optarg);
				return bad_setting(s, optind);
			}
			break;
		case 'g':
			if ((s->graph_format = graph_output_format(optarg)) < 0)
				return bad_setting(s, optind);
			s->graph = optarg;
			break;
		case OPT_SINK:
			if (output_option(&s->sinks, longopts[li].name, optarg, err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return bad_setting(s, optind);
			}
			break;
		case OPT_GRAPH_INTERVAL:
			if (duration_parse(optarg, 7 * 86400, &s->graph_interval_ns) < 0) {
				log_warnx("--graph-interval '%s': expected seconds", optarg);
				return bad_setting(s, optind);
			}
			break;
		case OPT_BPF: s->bpf = optarg; break;
		case OPT_BUF:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 4096) {
				log_warnx("--buffer-size '%s': expected MiB from 1 to 4096", optarg);
				return bad_setting(s, optind);
			}
			s->bufsize = (int)(v << 20);
			break;
		case OPT_MAXFLOWS:
		case OPT_TIMEOUT:
			if (flow_config_option(&s->fc, ch == OPT_MAXFLOWS ? "max-flows" : "timeout",
			                       optarg, err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return bad_setting(s, optind);
			}
			break;
		case OPT_NODE: s->node = s->sc.node = optarg; break;
		case OPT_GRACE:
			if (duration_parse(optarg, 86400, &s->sc.grace_ns) < 0) {
				log_warnx("--grace '%s': expected seconds from 0 to 86400", optarg);
				return bad_setting(s, optind);
			}
			break;
		case 'v': s->verbose++; break;
		case 'h': s->help = 1; return 0;
		default:
			run_settings_usage(stderr);
			return bad_setting(s, optind);
		}
	}
	if (optind != nall) {
		log_warnx("run: unexpected argument '%s'", s->all[optind]);
		run_settings_usage(stderr);
		return 2;
	}
	return 0;
}
