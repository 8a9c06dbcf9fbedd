/* cmd-check.c — `cnetmon check PATH...`: validate profile files (and, with
 * -I, that no container is selected by two profiles). Every error goes to
 * stderr as FILE:LINE:COL: message; exit 0 when all is well, 2 otherwise,
 * which is what a CI pipeline wants. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "inventory.h"
#include "log.h"
#include "profile.h"

/* A rule that can never decide is almost always a mistake (a copy, or a
 * narrower rule written after a broader one): said, but not an error. */
static void
warn_covered(const struct rule *r, const struct rule *by, void *data)
{
	int *n = data;

	fprintf(stderr, "cnetmon: %s:%d:1: warning: this rule never decides: the rule on line %d "
	        "matches every flow it would\n", r->file ? r->file : "?", r->line, by->line);
	(*n)++;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "inventory", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct profile_set set = { 0 };
	struct inventory *inv = NULL;
	const char *invpath = NULL;
	char err[512];
	int ch, errors, warnings = 0;
	size_t rules = 0, k;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "I:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'I': invpath = optarg; break;
		case 'h':
			printf("usage: cnetmon check [-I INVENTORY] PATH...\n");
			return 0;
		default:
			fprintf(stderr, "usage: cnetmon check [-I INVENTORY] PATH...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		log_warnx("check: no profile file or directory given");
		return 2;
	}
	if (invpath && !(inv = inventory_load_json(invpath, err, sizeof(err)))) {
		log_warnx("%s", err);
		return 2;
	}
	errors = profile_load_paths(&set, (const char *const *)argv + optind, argc - optind, inv,
	                            profile_error_stderr, NULL);
	for (k = 0; k < set.n; k++)
		rules += set.p[k].nrules;
	if (!errors) {
		struct profile_eval *pe = profile_eval_new(&set, NULL, NULL, 0);
		char more[64] = "";

		if (pe)
			profile_eval_covered(pe, warn_covered, &warnings);
		profile_eval_free(pe);
		if (warnings)
			snprintf(more, sizeof(more), ", %d warning%s", warnings, warnings == 1 ? "" : "s");
		printf("cnetmon check: %zu profile%s, %zu rule%s in %zu file%s: OK%s\n", set.n,
		       set.n == 1 ? "" : "s", rules, rules == 1 ? "" : "s", set.nfiles,
		       set.nfiles == 1 ? "" : "s", more);
	}
	else
		fprintf(stderr, "cnetmon check: %d error%s\n", errors, errors == 1 ? "" : "s");
	profile_set_free(&set);
	inventory_free(inv);
	return errors ? 2 : 0;
}
