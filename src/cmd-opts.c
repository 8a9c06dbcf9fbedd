/* cmd-opts.c — what the commands' option parsers share. */
#include "cmd.h"
#include "log.h"

int
cmd_opt_push(const char **list, int *n, int max, const char *opt, const char *arg)
{
	if (*n >= max) {
		log_warnx("%s: at most %d", opt, max);
		return -1;
	}
	list[(*n)++] = arg;
	return 0;
}
