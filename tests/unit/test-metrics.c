/* The metrics endpoint, over real loopback sockets. The test process is
 * both server and clients, so client sockets are non-blocking and every
 * wait drives metrics_service: a blocking read here would hide exactly the
 * bugs (a server that blocks on one client) these tests look for. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "strbuf.h"

struct body {
	size_t big;        /* when non-zero, render this many bytes of filler */
	int renders;
};

static void
render(struct strbuf *out, void *data)
{
	struct body *b = data;

	b->renders++;
	if (b->big) {
		for (size_t i = 0; i < b->big / 64; i++)
			strbuf_adds(out, "# filler filler filler filler filler filler filler filler fille\n");
		return;
	}
	metrics_family(out, "cnetmon_packets_total", "counter", "Packets captured.");
	metrics_sample(out, "cnetmon_packets_total", "iface=\"veth0\"", 42);
	metrics_family(out, "cnetmon_flows_active", "gauge", "Open flows.");
	metrics_sample(out, "cnetmon_flows_active", NULL, 7);
}

static const char want_body[] =
    "# HELP cnetmon_packets_total Packets captured.\n"
    "# TYPE cnetmon_packets_total counter\n"
    "cnetmon_packets_total{iface=\"veth0\"} 42\n"
    "# HELP cnetmon_flows_active Open flows.\n"
    "# TYPE cnetmon_flows_active gauge\n"
    "cnetmon_flows_active 7\n";

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct metrics_server *
start(struct body *b)
{
	char err[256] = "";
	struct metrics_server *m = metrics_open("127.0.0.1:0", render, b, err, sizeof(err));

	cr_assert_not_null(m, "metrics_open: %s", err);
	cr_assert_gt(metrics_port(m), 0);
	return m;
}

static int
connect_to(unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	/* Loopback connects complete from the backlog, before any accept. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		cr_assert_eq(errno, EINPROGRESS, "connect: %s", strerror(errno));
	return fd;
}

/* One round of the daemon's loop: poll what the server asks for (and the
 * extra fd, if any), then service. */
static void
turn(struct metrics_server *m, int extra, int max_ms)
{
	struct pollfd p[METRICS_MAX_FDS + 1];
	int n = metrics_pollfds(m, p, METRICS_MAX_FDS), t = metrics_timeout_ms(m);

	if (extra >= 0) {
		p[n].fd = extra;
		p[n].events = POLLIN;
		p[n++].revents = 0;
	}
	if (t < 0 || t > max_ms)
		t = max_ms;
	poll(p, (nfds_t)n, t);
	metrics_service(m);
}

/* Reads what is there without blocking; 1 on EOF, -1 on error, 0 if more
 * may come. */
static int
drain(int fd, struct strbuf *got)
{
	char buf[65536];
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0) {
			strbuf_add(got, buf, (size_t)r);
			continue;
		}
		if (r == 0)
			return 1;
		return errno == EAGAIN ? 0 : -1;
	}
}

/* Drives the server until fd sees EOF; the answer, NUL-terminated, in got.
 * Returns 1 on EOF, -1 on a reset, 0 on timeout. */
static int
await(struct metrics_server *m, int fd, struct strbuf *got, int max_ms)
{
	long long end = ms_now() + max_ms;
	int rc = 0;

	while (ms_now() < end && (rc = drain(fd, got)) == 0)
		turn(m, fd, 50);
	strbuf_addc(got, 0);
	got->len--;
	return rc;
}

static void
send_all(int fd, const char *s, size_t n)
{
	cr_assert_eq(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* A full exchange on a fresh connection. */
static char *
ask(struct metrics_server *m, const char *req)
{
	struct strbuf got;
	int fd = connect_to(metrics_port(m));

	strbuf_init(&got, 256);
	send_all(fd, req, strlen(req));
	cr_assert_eq(await(m, fd, &got, 3000), 1, "no complete answer to %s", req);
	close(fd);
	return got.p;
}

static int
status_of(const char *resp)
{
	int code = 0;

	if (sscanf(resp, "HTTP/1.1 %d ", &code) != 1)
		return -1;
	return code;
}

static const char *
body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p ? p + 4 : NULL;
}

Test(metrics, get_renders_body_and_headers)
{
	struct body b = { 0, 0 };
	struct metrics_server *m = start(&b);
	char *r = ask(m, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	char cl[64];

	cr_expect_eq(status_of(r), 200, "%s", r);
	cr_expect_not_null(strstr(r, "\r\nContent-Type: text/plain; version=0.0.4"));
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(want_body));
	cr_expect_not_null(strstr(r, cl), "%s", r);
	cr_expect_not_null(strstr(r, "\r\nConnection: close\r\n"));
	cr_assert_not_null(body_of(r));
	cr_expect_str_eq(body_of(r), want_body);
	cr_expect_eq(b.renders, 1);
	free(r);
	/* HTTP/1.0, bare LF line ends and a query string are all fine. */
	r = ask(m, "GET /metrics?x=1 HTTP/1.0\n\n");
	cr_expect_eq(status_of(r), 200, "%s", r);
	free(r);
	metrics_close(m);
}

Test(metrics, other_paths_404_methods_405)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	char *r;

	r = ask(m, "GET /other HTTP/1.1\r\n\r\n");
	cr_expect_eq(status_of(r), 404, "%s", r);
	free(r);
	r = ask(m, "GET /metricsx HTTP/1.1\r\n\r\n");
	cr_expect_eq(status_of(r), 404, "%s", r);
	free(r);
	r = ask(m, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	cr_expect_eq(status_of(r), 405, "%s", r);
	cr_expect_not_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	metrics_close(m);
}

/* HEAD is answered like GET without the body (RFC 9110 9.3.2). */
Test(metrics, head_has_length_but_no_body)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	char *r = ask(m, "HEAD /metrics HTTP/1.1\r\n\r\n");
	char cl[64];

	cr_expect_eq(status_of(r), 200, "%s", r);
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(want_body));
	cr_expect_not_null(strstr(r, cl), "%s", r);
	cr_assert_not_null(body_of(r));
	cr_expect_str_eq(body_of(r), "");
	free(r);
	metrics_close(m);
}

Test(metrics, garbage_is_400)
{
	static const char *bad[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /metrics\r\n\r\n",                  /* HTTP/0.9 */
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nX: a\001b\r\n\r\n",
		"\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03",   /* TLS hello-ish, no LF */
	};
	struct metrics_server *m = start(&(struct body){ 0, 0 });

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *r = ask(m, bad[i]);

		cr_expect_eq(status_of(r), 400, "request %zu: %s", i, r);
		free(r);
	}
	metrics_close(m);
}

/* A bad request line is answered as soon as it is complete, without
 * waiting for a head that may never come. */
Test(metrics, bad_request_line_answered_early)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	char *r = ask(m, "BLAH BLAH BLAH\r\n");

	cr_expect_eq(status_of(r), 400, "%s", r);
	free(r);
	/* Bytes that cannot be in a request line: no need to wait for a LF. */
	r = ask(m, "GET /\x80");
	cr_expect_eq(status_of(r), 400, "%s", r);
	free(r);
	metrics_close(m);
}

Test(metrics, oversized_request_is_400)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	struct strbuf req, got;
	int fd;

	strbuf_init(&req, 16384);
	strbuf_adds(&req, "GET /metrics HTTP/1.1\r\n");
	while (req.len < METRICS_MAX_REQUEST + 100)
		strbuf_adds(&req, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	fd = connect_to(metrics_port(m));
	send_all(fd, req.p, req.len);
	strbuf_init(&got, 256);
	/* The server reads 8 KiB and answers; the answer survives our unread
	 * excess because the server drains before closing. */
	cr_expect_eq(await(m, fd, &got, 3000), 1);
	cr_expect_eq(status_of(got.p), 400, "%s", got.p);
	close(fd);
	strbuf_free(&req);
	strbuf_free(&got);
	metrics_close(m);
}

Test(metrics, request_byte_by_byte)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct body b = { 0, 0 };
	struct metrics_server *m = start(&b);
	struct strbuf got;
	int fd = connect_to(metrics_port(m));

	strbuf_init(&got, 256);
	for (size_t i = 0; i < sizeof(req) - 1; i++) {
		send_all(fd, req + i, 1);
		turn(m, -1, 5);
		if (i + 1 == sizeof(req) - 1)
			break;
		cr_expect_eq(b.renders, 0, "answered before the head was complete");
		cr_assert_eq(drain(fd, &got), 0, "closed after %zu bytes", i + 1);
	}
	cr_expect_eq(await(m, fd, &got, 3000), 1);
	cr_expect_eq(status_of(got.p), 200, "%s", got.p);
	cr_expect_eq(b.renders, 1);
	close(fd);
	strbuf_free(&got);
	metrics_close(m);
}

Test(metrics, silent_client_times_out_without_blocking_others)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	struct strbuf got;
	long long t0;
	int quiet, fds[METRICS_MAX_FDS], rc;
	char *r;

	metrics_set_client_timeout(m, 300);
	quiet = connect_to(metrics_port(m));
	t0 = ms_now();
	turn(m, -1, 10);
	cr_expect_eq(metrics_fds(m, fds, METRICS_MAX_FDS), 2, "listener + silent client");
	cr_expect_leq(metrics_timeout_ms(m), 300);
	/* Others are served at once while the silent one holds its slot. */
	r = ask(m, "GET /metrics HTTP/1.1\r\n\r\n");
	cr_expect_eq(status_of(r), 200);
	free(r);
	cr_expect_lt(ms_now() - t0, 250, "a silent client delayed another one");
	strbuf_init(&got, 64);
	rc = await(m, quiet, &got, 3000);
	cr_expect(rc != 0, "silent client never closed");
	cr_expect_geq(ms_now() - t0, 290);
	cr_expect_lt(ms_now() - t0, 1500);
	cr_expect_eq(got.len, 0);
	cr_expect_eq(metrics_fds(m, fds, METRICS_MAX_FDS), 1);
	cr_expect_eq(metrics_timeout_ms(m), -1);
	close(quiet);
	strbuf_free(&got);
	metrics_close(m);
}

Test(metrics, default_timeout_is_five_seconds)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	int fd = connect_to(metrics_port(m)), t;

	turn(m, -1, 10);
	t = metrics_timeout_ms(m);
	cr_expect(t > 4800 && t <= 5000, "timeout %d", t);
	close(fd);
	metrics_close(m);
}

Test(metrics, seventeenth_client_refused_none_blocks)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	int fds[METRICS_MAX_CLIENTS + 1], pf[METRICS_MAX_FDS], i, rc;
	unsigned port = metrics_port(m);
	struct strbuf got;
	long long t0 = ms_now();

	for (i = 0; i <= METRICS_MAX_CLIENTS; i++)
		fds[i] = connect_to(port);
	for (i = 0; i < 5; i++)
		turn(m, -1, 10);
	cr_expect_eq(metrics_fds(m, pf, METRICS_MAX_FDS), METRICS_MAX_CLIENTS + 1);
	/* The 17th was accepted only to be told 503 and closed. */
	strbuf_init(&got, 256);
	rc = await(m, fds[METRICS_MAX_CLIENTS], &got, 2000);
	cr_expect(rc != 0, "17th client left hanging");
	if (rc == 1)
		cr_expect_eq(status_of(got.p), 503, "%s", got.p);
	close(fds[METRICS_MAX_CLIENTS]);
	/* The 16 all get their answer, whichever order they ask in. */
	for (i = METRICS_MAX_CLIENTS - 1; i >= 0; i--)
		send_all(fds[i], "GET /metrics HTTP/1.1\r\n\r\n", 25);
	for (i = 0; i < METRICS_MAX_CLIENTS; i++) {
		strbuf_reset(&got);
		cr_expect_eq(await(m, fds[i], &got, 2000), 1, "client %d", i);
		cr_expect_eq(status_of(got.p), 200, "client %d: %s", i, got.p);
		close(fds[i]);
	}
	cr_expect_lt(ms_now() - t0, 2000);
	/* Slots are free again. */
	for (i = 0; i < 5; i++)
		turn(m, -1, 10);
	cr_expect_eq(metrics_fds(m, pf, METRICS_MAX_FDS), 1);
	free(ask(m, "GET /metrics HTTP/1.1\r\n\r\n"));
	strbuf_free(&got);
	metrics_close(m);
}

/* A 4 MiB answer to a client that does not read yet: the server keeps it
 * in WRITE state, polls for POLLOUT and serves others meanwhile. */
Test(metrics, slow_reader_does_not_block)
{
	struct body b = { 4u << 20, 0 };
	struct metrics_server *m = start(&b);
	struct pollfd p[METRICS_MAX_FDS];
	struct strbuf got;
	int slow = connect_to(metrics_port(m)), n, i, waiting = 0;
	const char *body;
	char *r;

	send_all(slow, "GET /metrics HTTP/1.1\r\n\r\n", 25);
	for (long long end = ms_now() + 2000; !waiting && ms_now() < end;) {
		turn(m, -1, 10);
		n = metrics_pollfds(m, p, METRICS_MAX_FDS);
		for (i = 1; i < n; i++)
			waiting += p[i].events == POLLOUT;
	}
	cr_expect_eq(waiting, 1, "answer should be pending on POLLOUT");
	b.big = 0;
	r = ask(m, "GET /metrics HTTP/1.1\r\n\r\n");
	cr_expect_eq(status_of(r), 200);
	free(r);
	strbuf_init(&got, 1 << 20);
	cr_expect_eq(await(m, slow, &got, 5000), 1);
	body = body_of(got.p);
	cr_assert_not_null(body);
	cr_expect_eq(strlen(body), (4u << 20) / 64 * 64);
	close(slow);
	strbuf_free(&got);
	metrics_close(m);
}

Test(metrics, curl_scrape)
{
	struct metrics_server *m = start(&(struct body){ 0, 0 });
	struct strbuf got;
	char cmd[256];
	FILE *f;
	int fd, rc;

	if (system("command -v curl >/dev/null 2>&1") != 0)
		cr_skip_test("curl not installed");
	snprintf(cmd, sizeof(cmd), "curl -sS --max-time 5 -D /dev/stderr "
	    "http://127.0.0.1:%u/metrics 2>/dev/null", metrics_port(m));
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	fd = fileno(f);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	strbuf_init(&got, 256);
	{
		long long end = ms_now() + 5000;
		char buf[4096];
		ssize_t r;

		while (ms_now() < end) {
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				strbuf_add(&got, buf, (size_t)r);
				continue;
			}
			if (r == 0)
				break;
			turn(m, fd, 50);
		}
	}
	rc = pclose(f);
	strbuf_addc(&got, 0);
	cr_expect_eq(rc, 0);
	cr_expect_str_eq(got.p, want_body);
	strbuf_free(&got);
	metrics_close(m);
}

Test(metrics, addresses)
{
	static const char *bad[] = { "", "9412", "1.2.3.4", ":99999", ":", "::1:80",
	    "[::1]", "[::1]80", "127.0.0.1:12a" };
	char err[256];
	struct metrics_server *m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		m = metrics_open(bad[i], render, NULL, err, sizeof(err));
		cr_expect_null(m, "'%s' accepted", bad[i]);
		cr_expect_neq(err[0], 0, "no message for '%s'", bad[i]);
		metrics_close(m);
	}
	cr_expect_null(metrics_open("127.0.0.1:0", NULL, NULL, err, sizeof(err)));
	m = metrics_open(":0", render, NULL, err, sizeof(err));
	cr_expect_not_null(m, "%s", err);
	metrics_close(m);
	/* [::1] needs IPv6 on lo; tolerate a kernel without it. */
	m = metrics_open("[::1]:0", render, &(struct body){ 0, 0 }, err, sizeof(err));
	if (m) {
		cr_expect_gt(metrics_port(m), 0);
		metrics_close(m);
	} else
		cr_log_warn("[::1]:0: %s", err);
}

Test(metrics, port_in_use)
{
	struct metrics_server *a = start(&(struct body){ 0, 0 }), *b;
	char addr[64], err[256] = "";

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", metrics_port(a));
	b = metrics_open(addr, render, NULL, err, sizeof(err));
	cr_expect_null(b);
	cr_expect_not_null(strstr(err, "in use"), "%s", err);
	metrics_close(b);
	metrics_close(a);
}

static char *
text(void (*f)(struct strbuf *, const void *), const void *arg)
{
	struct strbuf b;

	strbuf_init(&b, 16);
	f(&b, arg);
	strbuf_addc(&b, 0);
	return b.p;
}

static void
esc(struct strbuf *b, const void *s)
{
	metrics_label_escape(b, s);
}

Test(metrics, label_escaping)
{
	char *s;

	s = text(esc, "veth0");
	cr_expect_str_eq(s, "veth0");
	free(s);
	s = text(esc, "a\"b\\c\nd");
	cr_expect_str_eq(s, "a\\\"b\\\\c\\nd");
	free(s);
	s = text(esc, "tab\there caf\xc3\xa9");     /* only the three are escaped */
	cr_expect_str_eq(s, "tab\there caf\xc3\xa9");
	free(s);
	s = text(esc, "");
	cr_expect_str_eq(s, "");
	free(s);
}

Test(metrics, family_and_sample_text)
{
	struct strbuf b;
	char labels[128];
	struct strbuf l;

	strbuf_init(&l, 16);
	strbuf_adds(&l, "iface=\"");
	metrics_label_escape(&l, "we\"ird");
	strbuf_adds(&l, "\",dir=\"rx\"");
	strbuf_addc(&l, 0);
	snprintf(labels, sizeof(labels), "%s", l.p);
	strbuf_free(&l);

	strbuf_init(&b, 16);
	metrics_family(&b, "cnetmon_drops_total", "counter", "Kernel drops\\ring \"overruns\"\nper iface.");
	metrics_sample(&b, "cnetmon_drops_total", labels, 18446744073709551615ULL);
	metrics_sample(&b, "cnetmon_drops_total", "", 0);
	strbuf_addc(&b, 0);
	cr_expect_str_eq(b.p,
	    "# HELP cnetmon_drops_total Kernel drops\\\\ring \"overruns\"\\nper iface.\n"
	    "# TYPE cnetmon_drops_total counter\n"
	    "cnetmon_drops_total{iface=\"we\\\"ird\",dir=\"rx\"} 18446744073709551615\n"
	    "cnetmon_drops_total 0\n");
	strbuf_free(&b);
}

Test(metrics, label_and_single_sample)
{
	struct strbuf b, l;

	strbuf_init(&l, 4);
	cr_expect_str_eq(metrics_label(&l, "sink", "json:/a \"b\"\\c"), "sink=\"json:/a \\\"b\\\"\\\\c\"");
	/* Reused: the earlier label is gone. */
	cr_expect_str_eq(metrics_label(&l, "verdict", "deny"), "verdict=\"deny\"");
	strbuf_free(&l);
	strbuf_init(&b, 16);
	metrics_one(&b, "cnetmon_alerts_total", "counter", "Alerts.", 7);
	strbuf_addc(&b, 0);
	cr_expect_str_eq(b.p, "# HELP cnetmon_alerts_total Alerts.\n"
	                      "# TYPE cnetmon_alerts_total counter\n"
	                      "cnetmon_alerts_total 7\n");
	strbuf_free(&b);
}
