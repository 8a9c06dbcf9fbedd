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
	int ch, errors;
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
	if (!errors)
		printf("cnetmon check: %zu profile%s, %zu rule%s in %zu file%s: OK\n", set.n,
		       set.n == 1 ? "" : "s", rules, rules == 1 ? "" : "s", set.nfiles,
		       set.nfiles == 1 ? "" : "s");
	else
		fprintf(stderr, "cnetmon check: %d error%s\n", errors, errors == 1 ? "" : "s");
	profile_set_free(&set);
	inventory_free(inv);
	return errors ? 2 : 0;
}
