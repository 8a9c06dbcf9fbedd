/* run-settings.h — the settings of `cnetmon run`: the config file (-c, INI,
 * section [run], keys are the long option names) and then the command line,
 * through one parser. The file's settings become "--key=value" arguments
 * placed before the real ones, so the command line wins for single values
 * and adds to lists. Parsed again on SIGHUP: the reload is all or nothing. */
#ifndef CNETMON_RUN_SETTINGS_H
#define CNETMON_RUN_SETTINGS_H

#include <stdint.h>
#include <stdio.h>

#include "flow.h"
#include "output.h"
#include "scan.h"

#define RUN_MAX_SINKS    16
#define RUN_MAX_IFACES   4096
#define RUN_MAX_PROFILES 64
#define RUN_DEFAULT_CONFIG "/etc/cnetmon/cnetmon.conf"
#define RUN_GRAPH_MAX_WORLD 10000      /* world address nodes in the daemon's graph */

struct run_settings {
	const char *config;              /* the file read (given or default) */
	int config_given, config_found;
	int check, help, verbose;
	const char *ifaces[RUN_MAX_IFACES];
	int nifaces;
	const char *flow_sinks[RUN_MAX_SINKS];
	int nflow;
	const char *alert_sinks[RUN_MAX_SINKS];
	int nalert;
	const char *profiles[RUN_MAX_PROFILES];
	int nprofiles;
	int strict;
	uint64_t alert_window_ns;
	const char *graph;               /* -g FILE, NULL */
	int graph_format;                /* enum graph_format of its extension */
	uint64_t graph_interval_ns;      /* 0: only on SIGUSR1 and exit */
	const char *bpf;
	int bufsize;                     /* bytes */
	struct flow_config fc;
	struct scan_config sc;
	const char *node;
	const char *user;
	int user_given;
	const char *metrics;
	struct output_options sinks;     /* --spool-dir, --spool-max, --queue-size, --flush-timeout */
	/* What the strings above point into. */
	char **conf_args;
	int nconf_args;
	char **all;
};

/* Parse the config file named by argv's -c (or the default, when there) and
 * argv. 0 on success; 2 on a bad setting (logged, naming the file when it
 * came from there). */
int run_settings_parse(struct run_settings *s, int argc, char **argv);
void run_settings_free(struct run_settings *s);
void run_settings_usage(FILE *fp);

/* ---- live capture with hooks (cmd-run.c) -------------------------------
 * `cnetmon run`'s start-up and poll loop, shared with `learn --live`: the
 * same captures (container veths followed live, count-once rule, conntrack
 * NAT, rescans), with hooks for a consumer of the records. argv holds run's
 * settings. SIGHUP reloads nothing when hooks are given. */

struct engine;
struct inventory;
struct run_hooks {
	/* After the first scan, before any capture opens: add consumers
	 * (engine_on_record). -1 stops the start (exit 2). */
	int (*on_engine)(struct engine *e, const struct inventory *inv, void *data);
	/* After every rescan, with the inventory now in force (borrowed: copy
	 * what is kept). */
	void (*on_rescan)(const struct inventory *inv, void *data);
	uint64_t stop_after_ns;   /* stop this long after the captures opened; 0: never */
	void *data;
};

/* Capture until SIGINT/SIGTERM or stop_after_ns, then finish every flow
 * (consumers see their records) and return the exit status. h NULL: the
 * daemon of `cnetmon run`. */
int run_with(int argc, char **argv, const struct run_hooks *h);

#endif
