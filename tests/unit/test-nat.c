/* nat: the conntrack reader (src/nat-conntrack.c) against the real kernel
 * table. Entries are inserted and deleted with conntrack(8)
 * (`conntrack -I ... --reply-src ...` makes a NATed entry without any
 * traffic or rule), then read back through events and dumps.
 *
 * Needs root (CAP_NET_ADMIN for ctnetlink) and the conntrack tool; skips
 * otherwise. Every entry uses 198.18.B.0/24 / 2001:db8:c7::B:0/112 (B from
 * the test worker's pid; RFC 2544 and documentation ranges), is deleted
 * by the suite's fini even when an assertion fails, and has a 60 s timeout
 * as a last resort if the worker crashes. No traffic, no rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "nat.h"

static int B;          /* this worker's /24 */
static struct nat_table *T;   /* open one, closed by fini if a test fails */
static int P;          /* base port */

static int
run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof(cmd) - 32);
	strcat(cmd, " >/dev/null 2>&1");
	return system(cmd);
}

static void
setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	if (system("command -v conntrack >/dev/null 2>&1") != 0)
		cr_skip_test("needs conntrack(8) (package conntrack)");
	B = (int)(getpid() % 250) + 1;
	P = 20000 + (int)(getpid() % 2000) * 10;
}

static void
teardown(void)
{
	nat_close(T);
	T = NULL;
	if (!B)
		return;
	/* Every entry this worker made has its original source in one of
	 * these. conntrack -D dumps then deletes, and a dump interrupted by
	 * other workers' changes gives up: retry until none is listed. */
	run("for s in 198.18.%d.1 2001:db8:c7::%x:1; do for i in 1 2 3 4 5; do "
	    "conntrack -D -s $s; conntrack -L -s $s 2>/dev/null | grep -q . || break; "
	    "sleep 0.1; done; done", B, B);
}

TestSuite(nat, .init = setup, .fini = teardown, .timeout = 30);

/* A NATed TCP entry: 198.18.B.1:sport -> 198.18.B.2:dport (a "virtual"
 * address), answered by 198.18.B.3:80 (DNAT). */
static int
insert_dnat(int sport, int dport)
{
	return run("conntrack -I -p tcp -s 198.18.%d.1 -d 198.18.%d.2 --sport %d "
	    "--dport %d --reply-src 198.18.%d.3 --reply-dst 198.18.%d.1 "
	    "--reply-port-src 80 --reply-port-dst %d --state ESTABLISHED "
	    "--timeout 60 -u SEEN_REPLY", B, B, sport, dport, B, B, sport);
}

static void
tuple4(struct nat_tuple *k, uint8_t proto, const char *s, int sp, const char *d, int dp)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->proto = proto;
	cr_assert(inet_pton(AF_INET, s, k->src) == 1);
	cr_assert(inet_pton(AF_INET, d, k->dst) == 1);
	k->sport = (uint16_t)sp;
	k->dport = (uint16_t)dp;
}

static void
tuple6(struct nat_tuple *k, uint8_t proto, const char *s, int sp, const char *d, int dp)
{
	memset(k, 0, sizeof(*k));
	k->family = 6;
	k->proto = proto;
	cr_assert(inet_pton(AF_INET6, s, k->src) == 1);
	cr_assert(inet_pton(AF_INET6, d, k->dst) == 1);
	k->sport = (uint16_t)sp;
	k->dport = (uint16_t)dp;
}

static char *
addr(int b, int host)
{
	static char s[4][32];
	static int i;

	i = (i + 1) % 4;
	snprintf(s[i], sizeof(s[i]), "198.18.%d.%d", b, host);
	return s[i];
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Drain events until nat_lookup(k) gives want or ms pass; elapsed ms, or
 * -1 on timeout. */
static long
wait_for(struct nat_table *t, const struct nat_tuple *k, int want, long ms)
{
	long start = now_ms(), left;
	struct pollfd pfd = { .fd = nat_fd(t), .events = POLLIN };

	for (;;) {
		cr_assert(nat_drain(t) >= 0, "nat_drain: %s", strerror(errno));
		if (nat_lookup(t, k, NULL) == want)
			return now_ms() - start;
		left = start + ms - now_ms();
		if (left <= 0)
			return -1;
		(void)poll(&pfd, 1, (int)left);
	}
}

static struct nat_table *
open_table(void)
{
	char err[256] = "";
	struct nat_table *t = nat_open(err, sizeof(err));

	cr_assert_not_null(t, "nat_open: %s", err);
	T = t;
	cr_assert(nat_fd(t) >= 0);
	return t;
}

static void
close_table(struct nat_table *t)
{
	nat_close(t);
	T = NULL;
}

static void
assert_tuple(const struct nat_tuple *got, const struct nat_tuple *want, const char *what)
{
	cr_assert(got->family == want->family && got->proto == want->proto &&
	    !memcmp(got->src, want->src, 16) && !memcmp(got->dst, want->dst, 16) &&
	    got->sport == want->sport && got->dport == want->dport,
	    "%s tuple differs (ports %u->%u, want %u->%u)", what,
	    got->sport, got->dport, want->sport, want->dport);
}

Test(nat, event_within_100ms_and_all_tuples)
{
	struct nat_table *t = open_table();
	struct nat_tuple orig, reply, fwd, back, miss;
	struct nat_entry e;
	const char *const names[] = { "orig", "reply", "reply reversed", "orig reversed" };
	const struct nat_tuple *seen[] = { &orig, &reply, &fwd, &back };
	long ms;
	size_t i;

	tuple4(&orig, IPPROTO_TCP, addr(B, 1), P, addr(B, 2), 8080);
	tuple4(&reply, IPPROTO_TCP, addr(B, 3), 80, addr(B, 1), P);
	tuple4(&fwd, IPPROTO_TCP, addr(B, 1), P, addr(B, 3), 80);
	tuple4(&back, IPPROTO_TCP, addr(B, 2), 8080, addr(B, 1), P);
	cr_assert_eq(nat_lookup(t, &orig, &e), 0, "present before insertion");
	cr_assert_eq(insert_dnat(P, 8080), 0, "conntrack -I failed");
	ms = wait_for(t, &orig, 1, 100);
	cr_assert(ms >= 0, "no NEW event within 100 ms");
	for (i = 0; i < 4; i++) {
		memset(&e, 0xa5, sizeof(e));
		cr_assert_eq(nat_lookup(t, seen[i], &e), 1, "not found by %s", names[i]);
		assert_tuple(&e.orig, &orig, "orig");
		assert_tuple(&e.reply, &reply, "reply");
	}
	cr_assert_eq(nat_lookup(t, &orig, NULL), 1, "out may be NULL");
	/* A neighbour tuple (another source port) is not this connection. */
	tuple4(&miss, IPPROTO_TCP, addr(B, 1), P + 1, addr(B, 2), 8080);
	cr_assert_eq(nat_lookup(t, &miss, &e), 0);
	miss = orig;
	miss.proto = IPPROTO_UDP;
	cr_assert_eq(nat_lookup(t, &miss, &e), 0, "UDP matched a TCP entry");
	cr_assert_geq(nat_stats(t)->events, 1);
	cr_assert_geq(nat_stats(t)->entries, 1);
	close_table(t);
}

Test(nat, destroy_removes)
{
	struct nat_table *t = open_table();
	struct nat_tuple orig, reply, fwd;
	unsigned long long n;

	tuple4(&orig, IPPROTO_TCP, addr(B, 1), P, addr(B, 2), 8080);
	tuple4(&reply, IPPROTO_TCP, addr(B, 3), 80, addr(B, 1), P);
	tuple4(&fwd, IPPROTO_TCP, addr(B, 1), P, addr(B, 3), 80);
	cr_assert_eq(insert_dnat(P, 8080), 0);
	cr_assert(wait_for(t, &orig, 1, 1000) >= 0);
	n = nat_stats(t)->entries;
	cr_assert_eq(run("conntrack -D -p tcp -s %s --sport %d", addr(B, 1), P), 0);
	cr_assert(wait_for(t, &orig, 0, 1000) >= 0, "DESTROY not applied");
	cr_assert_eq(nat_lookup(t, &reply, NULL), 0, "reply key left behind");
	cr_assert_eq(nat_lookup(t, &fwd, NULL), 0, "forward key left behind");
	/* Other workers change the table at the same time: only a bound. */
	cr_assert_leq(nat_stats(t)->entries, n);
	close_table(t);
}

Test(nat, not_natted_is_not_returned)
{
	struct nat_table *t = open_table();
	struct nat_tuple plain, marker;

	/* Reply = original reversed: no translation. */
	cr_assert_eq(run("conntrack -I -p tcp -s %s -d %s --sport %d --dport 443 "
	    "--reply-src %s --reply-dst %s --reply-port-src 443 --reply-port-dst %d "
	    "--state ESTABLISHED --timeout 60 -u SEEN_REPLY",
	    addr(B, 1), addr(B, 4), P + 2, addr(B, 4), addr(B, 1), P + 2), 0);
	/* Events come in order: once this later NATed one is seen, the
	 * plain one has been processed too. */
	cr_assert_eq(insert_dnat(P + 3, 8080), 0);
	tuple4(&marker, IPPROTO_TCP, addr(B, 1), P + 3, addr(B, 2), 8080);
	cr_assert(wait_for(t, &marker, 1, 1000) >= 0);
	tuple4(&plain, IPPROTO_TCP, addr(B, 1), P + 2, addr(B, 4), 443);
	cr_assert_eq(nat_lookup(t, &plain, NULL), 0, "non-NATed entry returned");
	close_table(t);
	/* Nor through the dump. */
	t = open_table();
	cr_assert_eq(nat_lookup(t, &marker, NULL), 1, "dump missed the NATed one");
	cr_assert_eq(nat_lookup(t, &plain, NULL), 0, "non-NATed entry returned by dump");
	close_table(t);
}

Test(nat, dump_at_open)
{
	struct nat_table *t;
	struct nat_tuple orig;
	struct nat_entry e;

	cr_assert_eq(insert_dnat(P + 4, 9090), 0);
	t = open_table();
	tuple4(&orig, IPPROTO_TCP, addr(B, 1), P + 4, addr(B, 2), 9090);
	cr_assert_eq(nat_lookup(t, &orig, &e), 1, "existing entry not dumped");
	cr_assert_eq(e.reply.sport, 80);
	cr_assert_eq(nat_stats(t)->events, 0);
	close_table(t);
}

Test(nat, ipv6_and_udp_snat)
{
	struct nat_table *t = open_table();
	struct nat_tuple orig, reply, fwd;
	struct nat_entry e;
	char s[64], d[64], m[64];

	/* Source NAT: s:P -> d:53 leaves as m:40000 -> d:53. */
	snprintf(s, sizeof(s), "2001:db8:c7::%x:1", B);
	snprintf(d, sizeof(d), "2001:db8:c7::%x:5", B);
	snprintf(m, sizeof(m), "2001:db8:c7::%x:6", B);
	cr_assert_eq(run("conntrack -I -p udp -s %s -d %s --sport %d --dport 53 "
	    "--reply-src %s --reply-dst %s --reply-port-src 53 --reply-port-dst 40000 "
	    "--timeout 60", s, d, P + 5, d, m), 0, "conntrack -I (IPv6) failed");
	tuple6(&orig, IPPROTO_UDP, s, P + 5, d, 53);
	tuple6(&reply, IPPROTO_UDP, d, 53, m, 40000);
	tuple6(&fwd, IPPROTO_UDP, m, 40000, d, 53);
	cr_assert(wait_for(t, &orig, 1, 1000) >= 0, "IPv6 entry not seen");
	cr_assert_eq(nat_lookup(t, &fwd, &e), 1, "not found by the masqueraded tuple");
	assert_tuple(&e.orig, &orig, "orig");
	assert_tuple(&e.reply, &reply, "reply");
	close_table(t);
}

/* Overflow: a tiny receive buffer makes the kernel drop events (ENOBUFS);
 * the drain must count it, dump again, keep what exists and drop what was
 * deleted meanwhile, whether or not its DESTROY got through. */
Test(nat, enobufs_resync)
{
	struct nat_table *t = open_table();
	struct nat_tuple gone, k;
	int small = 0, i, n = 12;

	cr_assert_eq(insert_dnat(P, 8080), 0);
	tuple4(&gone, IPPROTO_TCP, addr(B, 1), P, addr(B, 2), 8080);
	cr_assert(wait_for(t, &gone, 1, 1000) >= 0);
	/* The kernel's minimum (about 2 KiB) holds a couple of events. */
	cr_assert_eq(setsockopt(nat_fd(t), SOL_SOCKET, SO_RCVBUFFORCE, &small,
	    sizeof(small)), 0);
	for (i = 1; i <= n; i++)
		cr_assert_eq(insert_dnat(P + i, 8080), 0);
	cr_assert_eq(run("conntrack -D -p tcp -s %s --sport %d", addr(B, 1), P), 0);
	cr_assert_geq(nat_drain(t), 0);
	cr_assert_geq(nat_stats(t)->enobufs, 1, "no overflow seen");
	cr_assert_geq(nat_stats(t)->resyncs, 1, "no resync");
	cr_assert_eq(nat_lookup(t, &gone, NULL), 0, "deleted entry survived the resync");
	for (i = 1; i <= n; i++) {
		tuple4(&k, IPPROTO_TCP, addr(B, 1), P + i, addr(B, 2), 8080);
		cr_assert_eq(nat_lookup(t, &k, NULL), 1, "entry %d lost", i);
	}
	close_table(t);
}

Test(nat, lookup_rejects_bad_family)
{
	struct nat_table *t = open_table();
	struct nat_tuple k;

	memset(&k, 0, sizeof(k));
	k.family = 5;
	cr_assert_eq(nat_lookup(t, &k, NULL), 0);
	close_table(t);
}
