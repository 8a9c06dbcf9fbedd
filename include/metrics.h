/* metrics.h — a tiny Prometheus endpoint for the daemon's poll loop.
 *
 * No threads and no HTTP library: the daemon owns one poll() loop, so the
 * server only hands out its file descriptors and does non-blocking work
 * when told to. Every connection is HTTP/1.x with "Connection: close":
 *   GET  /metrics   200, text/plain; version=0.0.4, body rendered by fn
 *   HEAD /metrics   200, same headers (Content-Length included), no body
 *   other method    405 with "Allow: GET, HEAD"
 *   other path      404
 *   malformed       400 (also a request over 8 KiB)
 *   17th client     503 and closed at once (at most 16 are served)
 * A client gets 5 s from accept to finish its request and read the answer;
 * then it is closed. A slow client never delays another one. */
#ifndef CNETMON_METRICS_H
#define CNETMON_METRICS_H

#include <stddef.h>

struct strbuf;
struct pollfd;

/* Writes the exposition text into out (which the server owns and resets). */
typedef void (*metrics_render_fn)(struct strbuf *out, void *data);

struct metrics_server;

#define METRICS_MAX_CLIENTS 16
#define METRICS_MAX_REQUEST 8192
#define METRICS_CLIENT_TIMEOUT_MS 5000
/* The most descriptors metrics_fds/metrics_pollfds can return. */
#define METRICS_MAX_FDS (METRICS_MAX_CLIENTS + 1)

/* addr_port: "127.0.0.1:9412", "[::1]:9412", or ":9412" for every address
 * (IPv6 dual-stack when the kernel has IPv6, else IPv4 only). Port 0 picks
 * a free port (see metrics_port). The listening socket is non-blocking and
 * close-on-exec. NULL with a message in err on failure. */
struct metrics_server *metrics_open(const char *addr_port, metrics_render_fn fn,
    void *data, char *err, size_t errlen);

/* The port actually bound (useful after port 0); 0 on error. */
unsigned metrics_port(const struct metrics_server *m);

/* The listening socket first, then the open client sockets; returns how
 * many were written (at most max). Poll them for POLLIN: a client whose
 * answer did not fit the socket buffer is also retried by every
 * metrics_service call, but metrics_pollfds wakes the loop exactly. */
int metrics_fds(const struct metrics_server *m, int *fds, int max);

/* Same descriptors as pollfd entries with the right events (POLLIN while
 * reading a request, POLLOUT while an answer is pending); revents zeroed. */
int metrics_pollfds(const struct metrics_server *m, struct pollfd *pfds, int max);

/* Milliseconds until the next client deadline (0 if one has passed), or -1
 * when no client is open: a poll timeout no larger than this lets
 * metrics_service close idle clients on time. */
int metrics_timeout_ms(const struct metrics_server *m);

/* Do whatever can be done without blocking: accept pending connections,
 * read requests, write answers, close finished or expired clients. Safe to
 * call at any time, also when nothing is ready. */
void metrics_service(struct metrics_server *m);

/* Per-client deadline in milliseconds (default METRICS_CLIENT_TIMEOUT_MS);
 * applies to clients accepted afterwards. Meant for tests. */
void metrics_set_client_timeout(struct metrics_server *m, int ms);

/* Closes the listening socket and every client. NULL is accepted. */
void metrics_close(struct metrics_server *m);

/* Exposition helpers (text format 0.0.4). */

/* "# HELP name help" and "# TYPE name type"; call once per family, before
 * its samples. type is "counter" or "gauge". help is escaped (\\ and \n). */
void metrics_family(struct strbuf *out, const char *name, const char *type,
    const char *help);

/* "name{labels} value\n"; labels is already-escaped text such as
 * iface="veth0",dir="rx" (built with metrics_label_escape), or NULL/"" for
 * none. */
void metrics_sample(struct strbuf *out, const char *name, const char *labels,
    unsigned long long value);

/* A label value with backslash, double quote and newline escaped, without
 * the surrounding quotes. */
void metrics_label_escape(struct strbuf *out, const char *value);

/* lab emptied and set to key="value" (value escaped), NUL-terminated:
 * the labels argument of metrics_sample. Returns lab->p ("" out of memory). */
const char *metrics_label(struct strbuf *lab, const char *key, const char *value);

/* A family with one unlabelled sample. */
void metrics_one(struct strbuf *out, const char *name, const char *type, const char *help,
    unsigned long long value);

#endif
