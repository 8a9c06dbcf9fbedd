/* duration.c — seconds as the user writes them. */
#include <errno.h>
#include <stdlib.h>

#include "duration.h"

int
duration_parse(const char *s, double max_s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* !(v >= 0) also refuses NaN. */
	if (errno || end == s || *end || !(v >= 0) || v > max_s) {
		errno = EINVAL;
		return -1;
	}
	*ns = (uint64_t)(v * 1e9);
	return 0;
}
