/* metrics.c — Prometheus text exposition over a minimal HTTP/1.x server
 * driven by the daemon's poll loop.
 *
 * Each client is a small state machine: READ (collect the request head, at
 * most 8 KiB), WRITE (send the prepared answer), DRAIN (our side is shut
 * down; discard what the client still sends until it closes, so that
 * closing does not turn unread input into a RST that destroys the answer
 * in flight). Every socket is non-blocking and every client has a
 * deadline, so no client can hold the loop or a slot for long. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "strbuf.h"

/* Once the answer is sent, a client that keeps its side open gets at most
 * this long before we close regardless. */
#define DRAIN_MS 1000
/* After accept() fails for lack of descriptors, the listening socket stays
 * readable; stop polling it for a while rather than spin. */
#define ACCEPT_PAUSE_MS 100

enum client_state { C_FREE, C_READ, C_WRITE, C_DRAIN };

struct client {
	int fd;
	enum client_state state;
	long long deadline;          /* CLOCK_MONOTONIC, ms */
	size_t reqlen;
	size_t outoff;
	struct strbuf out;
	char req[METRICS_MAX_REQUEST];
};

struct metrics_server {
	int lfd;
	int timeout_ms;
	long long accept_paused_until;
	metrics_render_fn fn;
	void *data;
	struct strbuf body;          /* reused for every render */
	struct client c[METRICS_MAX_CLIENTS];
};

static long long
now_ms(void)
{
	return (long long)(clock_ns(CLOCK_MONOTONIC) / 1000000);
}

/* ---- listening socket ---- */

static int
parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 5)
			return -1;
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (n == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* Splits "host:port", "[v6]:port" or ":port" into host (possibly empty)
 * and port. A bare IPv6 address is refused: its last colon is ambiguous. */
static int
split_addr(const char *ap, char *host, size_t hostlen, unsigned *port)
{
	const char *colon, *hs = ap, *he;

	if (ap[0] == '[') {
		hs = ap + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':')
			return -1;
		colon = he + 1;
	} else {
		colon = strrchr(ap, ':');
		if (!colon)
			return -1;
		he = colon;
		if (memchr(ap, ':', (size_t)(colon - ap)))
			return -1;
	}
	if ((size_t)(he - hs) >= hostlen)
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	return parse_port(colon + 1, port);
}

static int
listen_on(const struct sockaddr *sa, socklen_t salen, int v6only, char *err,
    size_t errlen, const char *what)
{
	int fd, one = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int saved = errno;

		errbuf_set(err, errlen, "metrics %s: socket: %s", what, strerror(saved));
		errno = saved;   /* listen_any falls back to IPv4 on EAFNOSUPPORT */
		return -1;
	}
	/* A restarted daemon must rebind while old connections sit in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (bind(fd, sa, salen) < 0 || listen(fd, 64) < 0) {
		int saved = errno;

		errbuf_set(err, errlen, "metrics %s: %s", what, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* ":port": IPv6 dual-stack so both families are served by one socket;
 * IPv4 only when the kernel has no IPv6. */
static int
listen_any(unsigned port, char *err, size_t errlen, const char *what)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int fd;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_any;
	s6.sin6_port = htons((uint16_t)port);
	fd = listen_on((struct sockaddr *)&s6, sizeof(s6), 0, err, errlen, what);
	if (fd >= 0 || errno != EAFNOSUPPORT)
		return fd;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_addr.s_addr = htonl(INADDR_ANY);
	s4.sin_port = htons((uint16_t)port);
	return listen_on((struct sockaddr *)&s4, sizeof(s4), 0, err, errlen, what);
}

static int
listen_host(const char *host, unsigned port, char *err, size_t errlen,
    const char *what)
{
	struct addrinfo hints, *res, *ai;
	char serv[8];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(host, serv, &hints, &res);
	if (rc != 0) {
		errbuf_set(err, errlen, "metrics %s: %s", what, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_on(ai->ai_addr, ai->ai_addrlen, 1, err, errlen, what);
	freeaddrinfo(res);
	return fd;
}

struct metrics_server *
metrics_open(const char *addr_port, metrics_render_fn fn, void *data,
    char *err, size_t errlen)
{
	struct metrics_server *m;
	char host[256];
	unsigned port;
	int i;

	if (!addr_port || !fn ||
	    split_addr(addr_port, host, sizeof(host), &port) < 0) {
		errbuf_set(err, errlen, "metrics: bad address '%s' (want ADDR:PORT, "
		    "[IPV6]:PORT or :PORT)", addr_port ? addr_port : "");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		errbuf_set(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->lfd = host[0] ? listen_host(host, port, err, errlen, addr_port)
	                 : listen_any(port, err, errlen, addr_port);
	if (m->lfd < 0) {
		free(m);
		return NULL;
	}
	m->fn = fn;
	m->data = data;
	m->timeout_ms = METRICS_CLIENT_TIMEOUT_MS;
	strbuf_init(&m->body, 4096);
	for (i = 0; i < METRICS_MAX_CLIENTS; i++)
		m->c[i].fd = -1;
	return m;
}

unsigned
metrics_port(const struct metrics_server *m)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!m || getsockname(m->lfd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void
metrics_set_client_timeout(struct metrics_server *m, int ms)
{
	if (m && ms > 0)
		m->timeout_ms = ms;
}

/* ---- poll integration ---- */

static int
listening(const struct metrics_server *m, long long now)
{
	return now >= m->accept_paused_until;
}

int
metrics_fds(const struct metrics_server *m, int *fds, int max)
{
	int i, n = 0;

	if (!m || max <= 0)
		return 0;
	fds[n++] = m->lfd;
	for (i = 0; i < METRICS_MAX_CLIENTS && n < max; i++)
		if (m->c[i].state != C_FREE)
			fds[n++] = m->c[i].fd;
	return n;
}

int
metrics_pollfds(const struct metrics_server *m, struct pollfd *pfds, int max)
{
	int i, n = 0;

	if (!m || max <= 0)
		return 0;
	pfds[n].fd = m->lfd;
	pfds[n].events = listening(m, now_ms()) ? POLLIN : 0;
	pfds[n++].revents = 0;
	for (i = 0; i < METRICS_MAX_CLIENTS && n < max; i++) {
		const struct client *c = &m->c[i];

		if (c->state == C_FREE)
			continue;
		pfds[n].fd = c->fd;
		pfds[n].events = c->state == C_WRITE ? POLLOUT : POLLIN;
		pfds[n++].revents = 0;
	}
	return n;
}

int
metrics_timeout_ms(const struct metrics_server *m)
{
	long long now = now_ms(), next = -1, d;
	int i;

	if (!m)
		return -1;
	if (!listening(m, now))
		next = m->accept_paused_until;
	for (i = 0; i < METRICS_MAX_CLIENTS; i++)
		if (m->c[i].state != C_FREE &&
		    (next < 0 || m->c[i].deadline < next))
			next = m->c[i].deadline;
	if (next < 0)
		return -1;
	d = next - now;
	return d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
}

/* ---- clients ---- */

static void
client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->state = C_FREE;
	c->reqlen = 0;
	c->outoff = 0;
	/* Keep only a modest buffer between scrapes. */
	if (c->out.cap > 65536)
		strbuf_free(&c->out);
	else
		strbuf_reset(&c->out);
}

static void
response_head(struct strbuf *o, const char *status, const char *ctype,
    size_t length, const char *extra)
{
	strbuf_adds(o, "HTTP/1.1 ");
	strbuf_adds(o, status);
	strbuf_adds(o, "\r\nContent-Type: ");
	strbuf_adds(o, ctype);
	strbuf_adds(o, "\r\nContent-Length: ");
	strbuf_addu64(o, length);
	strbuf_adds(o, "\r\nConnection: close\r\n");
	if (extra)
		strbuf_adds(o, extra);
	strbuf_adds(o, "\r\n");
}

/* Error answers carry their reason phrase as a one-line body. */
static void
respond_error(struct client *c, const char *status, const char *extra)
{
	size_t n = strlen(status) - 4;   /* skip "NNN " */

	strbuf_reset(&c->out);
	response_head(&c->out, status, "text/plain; charset=utf-8", n + 1, extra);
	strbuf_adds(&c->out, status + 4);
	strbuf_addc(&c->out, '\n');
	c->outoff = 0;
	c->state = C_WRITE;
}

static void
respond_metrics(struct metrics_server *m, struct client *c, int head_only)
{
	strbuf_reset(&m->body);
	m->fn(&m->body, m->data);
	strbuf_reset(&c->out);
	if (m->body.oom) {
		respond_error(c, "500 Internal Server Error", NULL);
		return;
	}
	response_head(&c->out, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
	    m->body.len, NULL);
	if (!head_only)
		strbuf_add(&c->out, m->body.p, m->body.len);
	if (c->out.oom) {
		respond_error(c, "500 Internal Server Error", NULL);
		return;
	}
	c->outoff = 0;
	c->state = C_WRITE;
	/* A huge render once should not pin its memory forever. */
	if (m->body.cap > (1u << 20))
		strbuf_free(&m->body);
}

static int
is_tchar(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* "METHOD SP /target SP HTTP/1.x" (line without its CR LF). Returns 0 and
 * the pieces, or -1 if it is not an HTTP/1.x request line. */
static int
parse_request_line(const char *s, size_t n, size_t *mlen, const char **target,
    size_t *tlen)
{
	size_t i = 0, t;

	while (i < n && is_tchar(s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ' ')
		return -1;
	*mlen = i++;
	t = i;
	while (i < n && s[i] > ' ' && s[i] < 0x7f)
		i++;
	if (i == t || s[t] != '/' || i >= n || s[i] != ' ')
		return -1;
	*target = s + t;
	*tlen = i - t;
	i++;
	if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 ||
	    s[i + 7] < '0' || s[i + 7] > '9')
		return -1;
	return 0;
}

/* Header lines need a token name and a colon; no control bytes anywhere. */
static int
headers_valid(const char *s, size_t n)
{
	size_t i = 0, ls, j;

	while (i < n) {
		ls = i;
		while (i < n && s[i] != '\n')
			i++;
		j = i;
		if (j > ls && s[j - 1] == '\r')
			j--;
		if (j == ls)
			break;                  /* the blank line ending the head */
		for (size_t k = ls; k < j; k++)
			if ((unsigned char)s[k] < ' ' && s[k] != '\t')
				return 0;
		for (size_t k = ls; k < j && s[k] != ':'; k++)
			if (!is_tchar(s[k]))
				return 0;
		if (!memchr(s + ls, ':', j - ls) || s[ls] == ':')
			return 0;
		i++;
	}
	return 1;
}

/* Line length up to (not including) the first LF, without a trailing CR;
 * -1 if there is no LF yet. */
static long
line_len(const char *s, size_t n)
{
	const char *lf = memchr(s, '\n', n);
	size_t l;

	if (!lf)
		return -1;
	l = (size_t)(lf - s);
	if (l > 0 && s[l - 1] == '\r')
		l--;
	return (long)l;
}

/* An incomplete request line that already holds a byte no request line
 * may contain (TLS, binary noise) is answered without waiting for a LF. */
static int
line_plausible(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < ' ' && !(s[i] == '\r' && i + 1 == n)) ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Offset just past the blank line ending the head, or 0 if not there yet. */
static size_t
head_end(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '\n')
			continue;
		if (s[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Decide once enough of the request is in: a bad request line is answered
 * as soon as its LF arrives, the rest when the head is complete. Returns 1
 * when an answer was prepared. */
static int
handle_request(struct metrics_server *m, struct client *c)
{
	const char *target, *hdr, *q;
	size_t mlen, tlen, end, path;
	long l = line_len(c->req, c->reqlen);

	if (l < 0) {
		if (c->reqlen >= sizeof(c->req) || !line_plausible(c->req, c->reqlen)) {
			respond_error(c, "400 Bad Request", NULL);
			return 1;
		}
		return 0;
	}
	if (parse_request_line(c->req, (size_t)l, &mlen, &target, &tlen) < 0) {
		respond_error(c, "400 Bad Request", NULL);
		return 1;
	}
	end = head_end(c->req, c->reqlen);
	if (!end) {
		if (c->reqlen >= sizeof(c->req)) {
			respond_error(c, "400 Bad Request", NULL);
			return 1;
		}
		return 0;
	}
	hdr = (const char *)memchr(c->req, '\n', c->reqlen) + 1;
	if (!headers_valid(hdr, end - (size_t)(hdr - c->req))) {
		respond_error(c, "400 Bad Request", NULL);
		return 1;
	}
	/* The query string is ignored: Prometheus may add one. */
	q = memchr(target, '?', tlen);
	path = q ? (size_t)(q - target) : tlen;
	if (path != 8 || memcmp(target, "/metrics", 8) != 0)
		respond_error(c, "404 Not Found", NULL);
	else if (mlen == 3 && memcmp(c->req, "GET", 3) == 0)
		respond_metrics(m, c, 0);
	else if (mlen == 4 && memcmp(c->req, "HEAD", 4) == 0)
		respond_metrics(m, c, 1);
	else
		respond_error(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n");
	return 1;
}

static void
client_write(struct client *c, long long now)
{
	ssize_t w;

	while (c->outoff < c->out.len) {
		w = send(c->fd, c->out.p + c->outoff, c->out.len - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			client_close(c);
			return;
		}
		c->outoff += (size_t)w;
	}
	shutdown(c->fd, SHUT_WR);
	c->state = C_DRAIN;
	if (c->deadline > now + DRAIN_MS)
		c->deadline = now + DRAIN_MS;
}

static void
client_read(struct metrics_server *m, struct client *c, long long now)
{
	ssize_t r;

	for (;;) {
		size_t room = sizeof(c->req) - c->reqlen;
		char sink[512];

		if (c->state == C_READ && room == 0) {
			handle_request(m, c);    /* full: answers 400 or the request */
			break;
		}
		if (c->state == C_READ)
			r = recv(c->fd, c->req + c->reqlen, room, MSG_DONTWAIT);
		else
			r = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {                    /* EOF or error: nothing more to do */
			client_close(c);
			return;
		}
		if (c->state != C_READ)
			continue;                /* draining: discard */
		c->reqlen += (size_t)r;
		if (handle_request(m, c))
			break;
	}
	if (c->state == C_WRITE)
		client_write(c, now);
}

static void
refuse(int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n"
	    "Connection: close\r\nRetry-After: 1\r\n\r\nService Unavailable\n";

	/* Best effort: a fresh socket's buffer takes this without blocking. */
	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
accept_clients(struct metrics_server *m, long long now)
{
	int fd, i;

	while (listening(m, now)) {
		fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("metrics: accept");
				m->accept_paused_until = now + ACCEPT_PAUSE_MS;
			}
			return;
		}
		for (i = 0; i < METRICS_MAX_CLIENTS; i++)
			if (m->c[i].state == C_FREE)
				break;
		if (i == METRICS_MAX_CLIENTS) {
			refuse(fd);
			continue;
		}
		m->c[i].fd = fd;
		m->c[i].state = C_READ;
		m->c[i].reqlen = 0;
		m->c[i].outoff = 0;
		m->c[i].deadline = now + m->timeout_ms;
		if (!m->c[i].out.p)
			strbuf_init(&m->c[i].out, 1024);
		strbuf_reset(&m->c[i].out);
	}
}

void
metrics_service(struct metrics_server *m)
{
	long long now;
	int i;

	if (!m)
		return;
	now = now_ms();
	/* Serve existing clients first so that slots freed now can be reused
	 * by connections waiting in the backlog. */
	for (i = 0; i < METRICS_MAX_CLIENTS; i++) {
		struct client *c = &m->c[i];

		if (c->state == C_FREE)
			continue;
		if (c->state == C_WRITE)
			client_write(c, now);
		else
			client_read(m, c, now);
		if (c->state != C_FREE && now >= c->deadline)
			client_close(c);
	}
	accept_clients(m, now);
	/* New clients may have sent their request with the handshake. */
	for (i = 0; i < METRICS_MAX_CLIENTS; i++)
		if (m->c[i].state == C_READ && m->c[i].reqlen == 0)
			client_read(m, &m->c[i], now);
}

void
metrics_close(struct metrics_server *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < METRICS_MAX_CLIENTS; i++) {
		if (m->c[i].state != C_FREE)
			close(m->c[i].fd);
		strbuf_free(&m->c[i].out);
	}
	close(m->lfd);
	strbuf_free(&m->body);
	free(m);
}

/* ---- exposition text ---- */

static void
escape_into(struct strbuf *out, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_add(out, "\\\\", 2);
		else if (*s == '\n')
			strbuf_add(out, "\\n", 2);
		else if (quote && *s == '"')
			strbuf_add(out, "\\\"", 2);
		else
			strbuf_addc(out, *s);
	}
}

void
metrics_label_escape(struct strbuf *out, const char *value)
{
	escape_into(out, value ? value : "", 1);
}

const char *
metrics_label(struct strbuf *lab, const char *key, const char *value)
{
	strbuf_reset(lab);
	strbuf_adds(lab, key);
	strbuf_add(lab, "=\"", 2);
	metrics_label_escape(lab, value);
	strbuf_addc(lab, '"');
	strbuf_addc(lab, '\0');
	return lab->oom ? "" : lab->p;
}

void
metrics_one(struct strbuf *out, const char *name, const char *type, const char *help,
    unsigned long long value)
{
	metrics_family(out, name, type, help);
	metrics_sample(out, name, NULL, value);
}

void
metrics_family(struct strbuf *out, const char *name, const char *type,
    const char *help)
{
	strbuf_adds(out, "# HELP ");
	strbuf_adds(out, name);
	strbuf_addc(out, ' ');
	escape_into(out, help ? help : "", 0);   /* HELP escapes no quotes */
	strbuf_adds(out, "\n# TYPE ");
	strbuf_adds(out, name);
	strbuf_addc(out, ' ');
	strbuf_adds(out, type);
	strbuf_addc(out, '\n');
}

void
metrics_sample(struct strbuf *out, const char *name, const char *labels,
    unsigned long long value)
{
	strbuf_adds(out, name);
	if (labels && *labels) {
		strbuf_addc(out, '{');
		strbuf_adds(out, labels);
		strbuf_addc(out, '}');
	}
	strbuf_addc(out, ' ');
	strbuf_addu64(out, value);
	strbuf_addc(out, '\n');
}
