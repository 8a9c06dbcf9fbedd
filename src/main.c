/* main.c — subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

#ifndef CNETMON_VERSION
#define CNETMON_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "read", cmd_read, "analyse captures: flow records, verdicts and alerts (-p), graphs (-g)" },
	{ "containers", cmd_containers, "list the containers on this host (--json: inventory)" },
	{ "run", cmd_run, "the node daemon: capture live, attribute, judge, alert, draw" },
	{ "check", cmd_check, "validate network profiles (FILE:LINE:COL errors, exit 2)" },
	{ "learn", cmd_learn, "write reviewable profiles from observed traffic" },
	{ "graph", cmd_graph, "merge, convert, compare and draw communication graphs" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: cnetmon COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'cnetmon COMMAND --help' for a command's options; man cnetmon(8).\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	log_init("cnetmon", LOG_LVL_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("cnetmon %s\n", CNETMON_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	log_warnx("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
