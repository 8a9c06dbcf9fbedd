/* output-json.c — JSON lines to stdout ("json:-") or appended to a file
 * ("json:PATH"). Records are encoded into one buffer that is written out
 * whole when it passes JSON_FLUSH_AT bytes, and on flush/close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"

#define JSON_FLUSH_AT (256 * 1024)

struct json_sink {
	FILE *fp;
	char *path;           /* NULL for stdout */
	struct strbuf buf;
};

static int
json_open(struct output *o, const char *arg, char *err, size_t errlen)
{
	struct json_sink *js = calloc(1, sizeof(*js));

	if (!js) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!*arg) {
		free(js);
		snprintf(err, errlen, "sink '%s': json needs '-' or a file path", o->spec);
		return -1;
	}
	if (strcmp(arg, "-") == 0) {
		js->fp = stdout;
	} else {
		js->path = strdup(arg);
		js->fp = js->path ? fopen(arg, "ae") : NULL;
		if (!js->fp) {
			snprintf(err, errlen, "%s: %s", arg, strerror(errno));
			free(js->path);
			free(js);
			return -1;
		}
	}
	strbuf_init(&js->buf, JSON_FLUSH_AT + 4096);
	o->priv = js;
	return 0;
}

static int
json_flush(struct output *o)
{
	struct json_sink *js = o->priv;
	size_t n = js->buf.len;

	strbuf_reset(&js->buf);
	if ((n && fwrite(js->buf.p, 1, n, js->fp) != n) || fflush(js->fp) != 0) {
		log_warn("%s", o->spec);
		clearerr(js->fp);
		return -1;
	}
	return 0;
}

static int
json_write(struct output *o, const struct record *r)
{
	struct json_sink *js = o->priv;
	size_t mark = js->buf.len;

	record_json(&js->buf, r);
	strbuf_addc(&js->buf, '\n');
	if (js->buf.oom) {
		/* Keep what was whole; this record is lost and counted. */
		js->buf.len = mark;
		js->buf.oom = 0;
		return -1;
	}
	if (js->buf.len >= JSON_FLUSH_AT)
		return json_flush(o);
	return 0;
}

/* SIGHUP: logrotate renamed the file; what was buffered goes to the old
 * one, then the path is opened afresh. */
static int
json_reopen(struct output *o)
{
	struct json_sink *js = o->priv;
	FILE *fp;

	if (!js->path)
		return 0;
	json_flush(o);
	if (!(fp = fopen(js->path, "ae"))) {
		log_warn("%s: reopen", js->path);
		return -1;          /* keep writing to the old file rather than nowhere */
	}
	fclose(js->fp);
	js->fp = fp;
	return 0;
}

static void
json_close(struct output *o)
{
	struct json_sink *js = o->priv;

	json_flush(o);
	if (js->path)
		fclose(js->fp);
	free(js->path);
	strbuf_free(&js->buf);
	free(js);
}

const struct output_ops output_json_ops = {
	.scheme = "json",
	.open = json_open,
	.write = json_write,
	.flush = json_flush,
	.reopen = json_reopen,
	.close = json_close,
};
