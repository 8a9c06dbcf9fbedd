/* nat-lookup — test driver for tests/integration/nat.sh: opens the
 * conntrack NAT table (src/nat-conntrack.c), says "ready", then for each
 * line "PROTO SRC SPORT DST DPORT" on stdin drains events for up to
 * WAIT_MS until nat_lookup finds the tuple, and prints either
 *   found orig=SRC:SPORT>DST:DPORT reply=SRC:SPORT>DST:DPORT
 * or "none". At the end: "stats entries=N events=N enobufs=N resyncs=N". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nat.h"

#define WAIT_MS 3000

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int
parse(const char *line, struct nat_tuple *k)
{
	char proto[8], s[64], d[64];
	unsigned sp, dp;

	memset(k, 0, sizeof(*k));
	if (sscanf(line, "%7s %63s %u %63s %u", proto, s, &sp, d, &dp) != 5 ||
	    sp > 65535 || dp > 65535)
		return -1;
	k->proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	k->family = strchr(s, ':') ? 6 : 4;
	if (inet_pton(k->family == 6 ? AF_INET6 : AF_INET, s, k->src) != 1 ||
	    inet_pton(k->family == 6 ? AF_INET6 : AF_INET, d, k->dst) != 1)
		return -1;
	k->sport = (uint16_t)sp;
	k->dport = (uint16_t)dp;
	return 0;
}

static void
show(const char *name, const struct nat_tuple *k)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->family == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	printf(" %s=%s:%u>%s:%u", name, s, k->sport, d, k->dport);
}

int
main(void)
{
	char err[256], line[256];
	struct nat_table *t = nat_open(err, sizeof(err));
	struct nat_tuple k;
	struct nat_entry e;
	const struct nat_stats *st;

	if (!t) {
		fprintf(stderr, "nat-lookup: %s\n", err);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		struct pollfd pfd = { .fd = nat_fd(t), .events = POLLIN };
		long end = now_ms() + WAIT_MS;
		int r;

		if (parse(line, &k) < 0) {
			printf("bad input\n");
			continue;
		}
		for (;;) {
			if (nat_drain(t) < 0)
				fprintf(stderr, "nat-lookup: drain: %s\n", strerror(errno));
			if ((r = nat_lookup(t, &k, &e)) || now_ms() >= end)
				break;
			(void)poll(&pfd, 1, (int)(end - now_ms()));
		}
		if (r) {
			printf("found");
			show("orig", &e.orig);
			show("reply", &e.reply);
			printf("\n");
		} else {
			printf("none\n");
		}
		fflush(stdout);
	}
	st = nat_stats(t);
	printf("stats entries=%llu events=%llu enobufs=%llu resyncs=%llu\n",
	    st->entries, st->events, st->enobufs, st->resyncs);
	nat_close(t);
	return 0;
}
