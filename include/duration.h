/* duration.h — "60", "0.5", "1800": seconds on the command line and in the
 * config file, as nanoseconds. */
#ifndef CNETMON_DURATION_H
#define CNETMON_DURATION_H

#include <stdint.h>

/* 0, or -1 (errno EINVAL) unless s is a number of seconds in [0, max_s]. */
int duration_parse(const char *s, double max_s, uint64_t *ns);

#endif
