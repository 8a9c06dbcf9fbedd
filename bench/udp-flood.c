/* udp-flood.c — send minimum-size UDP datagrams as fast as possible, or at
 * a given rate, for bench/live.sh. sendmmsg in batches of 64.
 *   udp-flood DST_IP PORT SECONDS [PPS]     prints the number sent */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	char payload[18] = "cnetmon-bench";
	unsigned long long sent = 0;
	double t0, end, pps;
	int fd, i, sport = 0;

	if (argc < 4)
		return 2;
	inet_pton(AF_INET, argv[1], &dst.sin_addr);
	dst.sin_port = htons((unsigned short)atoi(argv[2]));
	pps = argc > 4 ? atof(argv[4]) : 0;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return 1;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = sizeof(payload);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}
	(void)sport;
	t0 = now();
	end = t0 + atof(argv[3]);
	for (;;) {
		double t = now();
		int n;
		if (t >= end)
			break;
		/* Paced: stay at or under the rate, a batch at a time. */
		if (pps > 0 && (double)sent > (t - t0) * pps)
			continue;
		n = sendmmsg(fd, msgs, 64, 0);
		if (n > 0)
			sent += (unsigned long long)n;
	}
	printf("%llu\n", sent);
	return 0;
}
