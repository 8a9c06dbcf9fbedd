/* log.c — "cnetmon: message" on stderr, with levels. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *prog = "cnetmon";
static int verbose = LOG_LVL_WARN;

void
log_init(const char *progname, int verbosity)
{
	if (progname)
		prog = progname;
	verbose = verbosity;
}

static void
vlog(int lvl, const char *fmt, va_list ap, const char *errstr)
{
	if (lvl > verbose)
		return;
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	if (errstr)
		fprintf(stderr, ": %s", errstr);
	fputc('\n', stderr);
}

#define LOGFN(name, lvl, witherr)                                        \
	void name(const char *fmt, ...)                                  \
	{                                                                \
		int saved = errno;                                       \
		va_list ap;                                              \
		va_start(ap, fmt);                                       \
		vlog(lvl, fmt, ap, witherr ? strerror(saved) : NULL);    \
		va_end(ap);                                              \
		errno = saved;                                           \
	}

LOGFN(log_warn, LOG_LVL_WARN, 1)
LOGFN(log_warnx, LOG_LVL_WARN, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)

void
errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(2);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(2);
}
