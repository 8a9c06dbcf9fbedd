/* output-syslog.c — records as RFC 5424 syslog messages, the JSON record as
 * MSG:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME cnetmon PROCID MSGID - {"time":...}
 *
 * PRI = facility * 8 + severity: facility local0 unless ?facility=NAME
 * (RFC 5424 6.2.1 names: kern user mail daemon auth syslog lpr news uucp
 * cron authpriv ftp local0..local7); severity the alert's (4 warning by
 * default), 6 informational for flow records. TIMESTAMP the record's time
 * (UTC, microseconds), HOSTNAME the node name (else gethostname()), MSGID
 * "violation" or "flow", no STRUCTURED-DATA, no BOM.
 *
 *   syslog:tcp://HOST:PORT   RFC 6587 octet counting: "LEN SP MESSAGE"
 *   syslog:udp://HOST:PORT   RFC 5426: one message per datagram
 *   syslog:unix:PATH         a datagram socket (/dev/log); a stream socket
 *                            gets LF-terminated messages
 *
 * Datagrams have a size limit, ?max=N bytes (default 8192, what rsyslog and
 * syslog-ng accept by default; RFC 5426 asks receivers for 480 at least and
 * 2048 should): a longer message is cut at the limit (its JSON no longer
 * parses), counted as truncated and logged once. TCP has no limit.
 *
 * Batches hold octet-counted frames whatever the transport: TCP sends them
 * as they are, the datagram transports take them apart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "output-int.h"

#define IO_TIMEOUT_MS 10000
#define DEFAULT_MAX   8192

enum transport { T_TCP, T_UDP, T_UNIX };

struct syslog_sink {
	enum transport t;
	struct net_addr addr;
	char *path;
	int fd, socktype;
	int facility;
	size_t max;
	char host[256];           /* gethostname(), for records without a node */
	char procid[16];
	struct strbuf msg;        /* encode's scratch (one encoder at a time) */
	int warned_trunc;
};

static const char *const facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", NULL, NULL, NULL, NULL,
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

/* RFC 5424 HOSTNAME: 1..255 of PRINTUSASCII (33..126). */
static void
add_hostname(struct strbuf *b, const char *h)
{
	size_t i, n = h ? strlen(h) : 0;

	if (n == 0) {
		strbuf_addc(b, '-');
		return;
	}
	for (i = 0; i < n && i < 255; i++) {
		unsigned char c = (unsigned char)h[i];
		strbuf_addc(b, c >= 33 && c <= 126 ? (char)c : '_');
	}
}

static int
syslog_open(struct output *o, const char *arg, char *err, size_t errlen)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	char val[64], *end;
	size_t i;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->fd = -1;
	s->facility = 16;
	s->max = DEFAULT_MAX;
	if (!strncmp(arg, "tcp:", 4) || !strncmp(arg, "udp:", 4)) {
		s->t = arg[0] == 't' ? T_TCP : T_UDP;
		if (net_parse(arg + 4, &s->addr, err, errlen) < 0)
			goto bad;
	} else if (!strncmp(arg, "unix:", 5) && arg[5]) {
		s->t = T_UNIX;
		if (!(s->path = strdup(arg + 5))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	} else {
		snprintf(err, errlen, "expected syslog:udp://HOST:PORT, syslog:tcp://HOST:PORT "
		         "or syslog:unix:PATH");
		goto bad;
	}
	if (net_query(s->addr.query, "facility", val, sizeof(val))) {
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (facilities[i] && !strcmp(val, facilities[i]))
				break;
		if (i == sizeof(facilities) / sizeof(facilities[0])) {
			snprintf(err, errlen, "facility '%s': expected kern, user, mail, daemon, auth, "
			         "syslog, lpr, news, uucp, cron, authpriv, ftp or local0..local7", val);
			goto bad;
		}
		s->facility = (int)i;
	}
	if (net_query(s->addr.query, "max", val, sizeof(val))) {
		unsigned long m = strtoul(val, &end, 10);
		if (*end || m < 480 || m > 65000) {
			snprintf(err, errlen, "max '%s': expected 480..65000 bytes", val);
			goto bad;
		}
		s->max = m;
	}
	if (gethostname(s->host, sizeof(s->host) - 1) < 0)
		s->host[0] = '\0';
	snprintf(s->procid, sizeof(s->procid), "%ld", (long)getpid());
	strbuf_init(&s->msg, 2048);
	o->priv = s;
	return 0;
bad:
	{
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "sink '%s': %s", o->spec, tmp);
	}
fail:
	free(s->path);
	free(s);
	return -1;
}

/* Cut at most n bytes of p without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *p, size_t n)
{
	while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int
syslog_encode(struct output *o, struct strbuf *b, const struct record *r)
{
	struct syslog_sink *s = o->priv;
	struct strbuf *m = &s->msg;
	int alert = r->type == RECORD_VIOLATION;
	int sev = alert ? (r->severity >= 0 && r->severity <= 7 ? r->severity : 4) : 6;
	size_t at, len;

	strbuf_reset(m);
	strbuf_addc(m, '<');
	strbuf_addu64(m, (uint64_t)(s->facility * 8 + sev));
	strbuf_add(m, ">1 ", 3);
	at = m->len;
	strbuf_add_time(m, r->time_ns ? r->time_ns : r->flow->last_ns);
	/* strbuf_add_time quotes for JSON: drop them. */
	if (!m->oom && m->len >= at + 2 && m->p[at] == '"') {
		memmove(m->p + at, m->p + at + 1, m->len - at - 2);
		m->len -= 2;
	}
	strbuf_addc(m, ' ');
	add_hostname(m, r->node ? r->node : s->host);
	strbuf_adds(m, " cnetmon ");
	strbuf_adds(m, s->procid);
	strbuf_adds(m, alert ? " violation - " : " flow - ");
	record_json(m, r);
	if (m->oom)
		return -1;
	len = m->len;
	if (s->t != T_TCP && len > s->max) {
		len = utf8_cut(m->p, s->max);
		output_count_truncated(o);
		if (!s->warned_trunc) {
			s->warned_trunc = 1;
			log_warnx("%s: a record of %zu bytes was cut to the %zu-byte datagram limit "
			          "(?max=N raises it)", o->spec, m->len, s->max);
		}
	}
	strbuf_addu64(b, len);
	strbuf_addc(b, ' ');
	strbuf_add(b, m->p, len);
	return 0;
}

static int
syslog_connect(struct output *o)
{
	struct syslog_sink *s = o->priv;

	if (s->t == T_UNIX) {
		s->fd = net_connect_unix(s->path, &s->socktype);
		if (s->fd < 0)
			output_warn(o, 1, "connect");
	} else {
		char err[300];

		s->socktype = s->t == T_TCP ? SOCK_STREAM : SOCK_DGRAM;
		s->fd = net_connect(&s->addr, s->socktype, IO_TIMEOUT_MS, err, sizeof(err));
		if (s->fd < 0)
			output_warn(o, 0, "connect: %s", err);
	}
	return s->fd < 0 ? -1 : 0;
}

/* The next frame of b at *off: its message and length. */
static int
next_frame(const struct out_batch *b, size_t *off, const char **msg, size_t *len)
{
	size_t i = *off, n = 0;

	while (i < b->buf.len && b->buf.p[i] >= '0' && b->buf.p[i] <= '9')
		n = n * 10 + (size_t)(b->buf.p[i++] - '0');
	if (i >= b->buf.len || b->buf.p[i] != ' ' || n > b->buf.len - i - 1)
		return -1;
	*msg = b->buf.p + i + 1;
	*len = n;
	*off = i + 1 + n;
	return 0;
}

static int
syslog_send(struct output *o, struct out_batch *b)
{
	struct syslog_sink *s = o->priv;
	const char *msg;
	size_t off, len;

	if (s->socktype == SOCK_STREAM && s->t == T_TCP) {
		/* A collector that restarted closed this connection: find
		 * out before writing into it rather than after. */
		if (net_peer_gone(s->fd)) {
			output_warn(o, 0, "connection closed by the collector");
			return -1;
		}
		struct iovec iov = { b->buf.p, b->buf.len };
		if (net_writev_all(s->fd, &iov, 1, IO_TIMEOUT_MS) < 0) {
			output_warn(o, 1, "send");
			return -1;
		}
		return 0;
	}
	for (off = b->sent; off < b->buf.len; b->sent = off) {
		if (next_frame(b, &off, &msg, &len) < 0) {
			output_warn(o, 0, "damaged batch skipped");
			return 0;
		}
		if (s->socktype == SOCK_STREAM) {
			struct iovec iov[2] = { { (void *)msg, len }, { "\n", 1 } };
			if (net_writev_all(s->fd, iov, 2, IO_TIMEOUT_MS) < 0) {
				output_warn(o, 1, "send");
				return -1;
			}
			continue;
		}
		while (send(s->fd, msg, len, MSG_NOSIGNAL) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				usleep(1000);   /* the socket buffer drains fast */
				continue;
			}
			output_warn(o, 1, "send");
			return -1;
		}
	}
	return 0;
}

static void
syslog_disconnect(struct output *o)
{
	struct syslog_sink *s = o->priv;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void
syslog_close(struct output *o)
{
	struct syslog_sink *s = o->priv;

	syslog_disconnect(o);
	strbuf_free(&s->msg);
	free(s->path);
	free(s);
}

const struct output_ops output_syslog_ops = {
	.scheme = "syslog",
	.open = syslog_open,
	.encode = syslog_encode,
	.connect = syslog_connect,
	.send = syslog_send,
	.disconnect = syslog_disconnect,
	.close = syslog_close,
};
