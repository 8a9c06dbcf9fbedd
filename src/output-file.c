/* output-file.c — records to stdout ("json:-", "msgpack:-") or appended to
 * a file ("json:PATH": JSON lines; "msgpack:PATH": a stream of msgpack
 * maps, one per record). The sink's thread writes whole batches; SIGHUP
 * (output_reopen) makes it open the path afresh, for logrotate. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "output-int.h"

struct file_sink {
	int fd;               /* -1 while closed */
	char *path;           /* NULL for stdout */
};

static int
open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static int
file_open(struct output *o, const char *arg, char *err, size_t errlen)
{
	struct file_sink *fs = calloc(1, sizeof(*fs));

	if (!fs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!*arg) {
		free(fs);
		snprintf(err, errlen, "sink '%s': %s needs '-' or a file path", o->spec,
		         o->ops->scheme);
		return -1;
	}
	if (strcmp(arg, "-") == 0) {
		fs->fd = STDOUT_FILENO;
	} else {
		/* Opened now so that a bad path is refused before any work. */
		if (!(fs->path = strdup(arg)) || (fs->fd = open_path(arg)) < 0) {
			snprintf(err, errlen, "%s: %s", arg, strerror(errno));
			free(fs->path);
			free(fs);
			return -1;
		}
	}
	o->priv = fs;
	return 0;
}

static int
file_connect(struct output *o)
{
	struct file_sink *fs = o->priv;

	if (fs->fd >= 0)
		return 0;
	if ((fs->fd = open_path(fs->path)) < 0) {
		output_warn(o, 1, "reopen");
		return -1;
	}
	return 0;
}

static int
file_send(struct output *o, struct out_batch *b)
{
	struct file_sink *fs = o->priv;
	size_t off = 0;
	ssize_t w;

	while (off < b->buf.len) {
		w = write(fs->fd, b->buf.p + off, b->buf.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			output_warn(o, 1, "write");
			/* What went out stays out: a retry sends the rest
			 * only, so a line is never written twice. */
			if (off) {
				memmove(b->buf.p, b->buf.p + off, b->buf.len - off);
				b->buf.len -= off;
			}
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

static void
file_disconnect(struct output *o)
{
	struct file_sink *fs = o->priv;

	if (fs->path && fs->fd >= 0) {
		close(fs->fd);
		fs->fd = -1;
	}
}

static void
file_close(struct output *o)
{
	struct file_sink *fs = o->priv;

	file_disconnect(o);
	free(fs->path);
	free(fs);
}

static int
json_encode(struct output *o, struct strbuf *b, const struct record *r)
{
	(void)o;
	record_json(b, r);
	strbuf_addc(b, '\n');
	return 0;
}

static int
msgpack_encode(struct output *o, struct strbuf *b, const struct record *r)
{
	(void)o;
	record_msgpack(b, r);
	return 0;
}

const struct output_ops output_json_ops = {
	.scheme = "json",
	.open = file_open,
	.encode = json_encode,
	.connect = file_connect,
	.send = file_send,
	.disconnect = file_disconnect,
	.close = file_close,
	.reopen = 1,
};

const struct output_ops output_msgpack_ops = {
	.scheme = "msgpack",
	.open = file_open,
	.encode = msgpack_encode,
	.connect = file_connect,
	.send = file_send,
	.disconnect = file_disconnect,
	.close = file_close,
	.reopen = 1,
};
