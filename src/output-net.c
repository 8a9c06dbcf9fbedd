/* output-net.c — sockets for the sinks that talk to collectors: address
 * parsing (RFC 3986 host, [IPv6] literals), connect with a timeout, writes
 * and reads that give up after a timeout instead of hanging on a collector
 * that stopped reading. Only the sinks' threads call these. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "output-int.h"

/* <netinet/tcp.h> clashes with flow.h's TCP state names. */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif

int
net_parse(const char *arg, struct net_addr *a, char *err, size_t errlen)
{
	const char *h, *hend, *p, *q;
	size_t n;
	char *end;
	long port;

	memset(a, 0, sizeof(*a));
	if (strncmp(arg, "//", 2) != 0) {
		snprintf(err, errlen, "'%s': expected //HOST:PORT", arg);
		return -1;
	}
	h = arg + 2;
	q = strchr(h, '?');
	if (q) {
		if (strlen(q + 1) >= sizeof(a->query)) {
			snprintf(err, errlen, "'%s': options too long", arg);
			return -1;
		}
		strcpy(a->query, q + 1);
	} else
		q = h + strlen(h);
	if (*h == '[') {
		hend = memchr(h, ']', (size_t)(q - h));
		if (!hend || hend[1] != ':') {
			snprintf(err, errlen, "'%s': expected //[IPV6]:PORT", arg);
			return -1;
		}
		p = hend + 2;
		h++;
	} else {
		hend = NULL;
		for (const char *c = h; c < q; c++)
			if (*c == ':')
				hend = c;
		if (!hend) {
			snprintf(err, errlen, "'%s': expected //HOST:PORT", arg);
			return -1;
		}
		p = hend + 1;
	}
	n = (size_t)(hend - h);
	if (n == 0 || n >= sizeof(a->host) || (size_t)(q - p) >= sizeof(a->port)) {
		snprintf(err, errlen, "'%s': bad host or port", arg);
		return -1;
	}
	memcpy(a->host, h, n);
	memcpy(a->port, p, (size_t)(q - p));
	port = strtol(a->port, &end, 10);
	if (!a->port[0] || *end || port < 1 || port > 65535) {
		snprintf(err, errlen, "'%s': port must be 1..65535", arg);
		return -1;
	}
	return 0;
}

int
net_query(const char *query, const char *key, char *val, size_t vallen)
{
	size_t kl = strlen(key);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = len - kl - 1;
			if (vl >= vallen)
				vl = vallen - 1;
			memcpy(val, p + kl + 1, vl);
			val[vl] = '\0';
			return 1;
		}
		if (len == kl && !strncmp(p, key, kl)) {
			snprintf(val, vallen, "1");
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static int
wait_fd(int fd, short ev, unsigned timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&pfd, 1, (int)timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

int
net_connect(const struct net_addr *a, int socktype, unsigned timeout_ms, char *err,
            size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = socktype };
	struct addrinfo *res, *ai;
	int fd = -1, r, e = 0;
	socklen_t el = sizeof(e);

	if ((r = getaddrinfo(a->host, a->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", a->host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, timeout_ms) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
			break;
		if (e)
			errno = e;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "%s", strerror(errno));
	if (fd >= 0 && socktype == SOCK_STREAM) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

int
net_connect_unix(const char *path, int *socktype)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int types[2] = { SOCK_DGRAM, SOCK_STREAM }, fd, i;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* /dev/log is a datagram socket; some syslog daemons listen on a
	 * stream one (EPROTOTYPE tells). */
	for (i = 0; i < 2; i++) {
		if ((fd = socket(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			*socktype = types[i];
			return fd;
		}
		close(fd);
		if (errno != EPROTOTYPE)
			return -1;
	}
	return -1;
}

int
net_writev_all(int fd, struct iovec *iov, int n, unsigned timeout_ms)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w;

	while (mh.msg_iovlen > 0) {
		if (mh.msg_iov->iov_len == 0) {
			mh.msg_iov++;
			mh.msg_iovlen--;
			continue;
		}
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_fd(fd, POLLOUT, timeout_ms) == 0)
				continue;
			return -1;
		}
		while (w > 0 && mh.msg_iovlen > 0) {
			size_t k = (size_t)w < mh.msg_iov->iov_len ? (size_t)w : mh.msg_iov->iov_len;
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + k;
			mh.msg_iov->iov_len -= k;
			w -= (ssize_t)k;
			if (mh.msg_iov->iov_len == 0) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}

ssize_t
net_read(int fd, void *buf, size_t n, unsigned timeout_ms)
{
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, n, 0);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLIN, timeout_ms) == 0)
			continue;
		return -1;
	}
}

int
net_peer_gone(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
