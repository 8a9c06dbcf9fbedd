/*
 * netlink-watch.c — link and address notifications from the host and from
 * container network namespaces, on one socket.
 *
 * rtnetlink(7): multicast groups RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and
 * RTNLGRP_IPV6_IFADDR. netlink(7): NETLINK_LISTEN_ALL_NSID makes a socket
 * also receive the notifications of every namespace its own namespace has
 * an id for (the id comes in a SOL_NETLINK control message), and
 * RTM_NEWNSID (linux/net_namespace.h) assigns such an id to a namespace
 * given as a fd: that is what nl_watch_add_netns does.
 *
 * Why not one socket created inside each container namespace: a socket
 * holds a reference on the namespace it was created in, so every container
 * ever watched would keep its namespace, and the veth pair with it, alive
 * after it stops, until told to forget it (netlink.h has no call for that);
 * and 1,000 containers would mean 1,000 sockets. An id holds no reference,
 * and the kernel drops it with the namespace.
 *
 * libmnl rather than libnl: nothing here is parsed into objects, each
 * datagram is only validated and classified; libmnl's plain non-blocking
 * recv and mnl_cb_run do that without caches or per-message allocation.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define WATCH_RCVBUF (4 << 20)

struct nl_watch {
	struct mnl_socket *ev;      /* notifications, non-blocking */
	struct mnl_socket *req;     /* RTM_NEWNSID requests and their acks */
	uint32_t seq;
	char *buf;
	size_t buflen;
};

static void
seterr(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
}

/* Generously sized, so a burst (a thousand containers starting) does not
 * overflow; SO_RCVBUFFORCE passes rmem_max where we have CAP_NET_ADMIN. */
static void
grow_rcvbuf(int fd)
{
	int sz = WATCH_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) == -1)
		log_warn("netlink watch: receive buffer");
}

static int
join_groups(struct mnl_socket *nl)
{
	static const int groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	};
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int g = groups[i];

		if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) == -1)
			return -1;
	}
	return 0;
}

struct nl_watch *
nl_watch_open(char *err, size_t errlen)
{
	struct nl_watch *w;
	int one = 1;

	if (!(w = calloc(1, sizeof(*w)))) {
		seterr(err, errlen, "netlink watch");
		return NULL;
	}
	/* Large enough for any one notification: a link message with many
	 * VFs exceeds a page, a truncated one still counts as a change. */
	w->buflen = 64 * 1024;
	w->seq = (uint32_t)time(NULL);
	if (!(w->buf = malloc(w->buflen))) {
		seterr(err, errlen, "netlink watch");
		goto fail;
	}
	if (!(w->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC)) ||
	    mnl_socket_bind(w->ev, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    join_groups(w->ev) == -1) {
		seterr(err, errlen, "netlink watch socket");
		goto fail;
	}
	grow_rcvbuf(mnl_socket_get_fd(w->ev));
	if (mnl_socket_setsockopt(w->ev, NETLINK_LISTEN_ALL_NSID, &one, sizeof(one)) == -1) {
		seterr(err, errlen, "netlink watch: NETLINK_LISTEN_ALL_NSID");
		goto fail;
	}
	if (!(w->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) ||
	    mnl_socket_bind(w->req, 0, MNL_SOCKET_AUTOPID) == -1) {
		seterr(err, errlen, "netlink request socket");
		goto fail;
	}
	return w;
fail:
	nl_watch_close(w);
	return NULL;
}

int
nl_watch_fd(const struct nl_watch *w)
{
	return mnl_socket_get_fd(w->ev);
}

/* Give the namespace behind fd an id in ours (RTM_NEWNSID, NETNSA_NSID -1:
 * any free one). One it already has is as good. */
static int
assign_nsid(struct nl_watch *w, int fd)
{
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	uint32_t seq = ++w->seq;
	ssize_t n;
	int rc;

	nlh = mnl_nlmsg_put_header(w->buf);
	nlh->nlmsg_type = RTM_NEWNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)-1);
	if (mnl_socket_sendto(w->req, nlh, nlh->nlmsg_len) == -1)
		return -1;
	do {
		if ((n = mnl_socket_recvfrom(w->req, w->buf, w->buflen)) == -1)
			return -1;
		rc = mnl_cb_run(w->buf, (size_t)n, seq, mnl_socket_get_portid(w->req),
		                NULL, NULL);
	} while (rc > MNL_CB_STOP);
	if (rc == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
nl_watch_add_netns(struct nl_watch *w, int pid)
{
	struct stat self, st;
	char path[64];
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("netlink watch: %s", path);
		return -1;
	}
	/* Our own namespace (a host-network container) is watched already
	 * and cannot be given an id in itself. */
	if (fstat(fd, &st) == 0 && stat("/proc/thread-self/ns/net", &self) == 0 &&
	    st.st_ino == self.st_ino && st.st_dev == self.st_dev) {
		close(fd);
		return 0;
	}
	if ((rc = assign_nsid(w, fd)) == -1)
		log_warn("netlink watch: network namespace of pid %d", pid);
	close(fd);
	return rc;
}

static int
classify_cb(const struct nlmsghdr *nlh, void *data)
{
	int *changed = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		*changed = 1;
		break;
	}
	return MNL_CB_OK;
}

/* One datagram. Anything malformed or cut short counts as a change: a
 * rescan costs little, a missed container costs its flows' names. */
static void
classify(struct nl_watch *w, size_t n, int flags, int *changed)
{
	if (flags & MSG_TRUNC) {
		*changed = 1;
		return;
	}
	/* Notifications carry seq 0 and the kernel's port 0: no check. */
	if (mnl_cb_run(w->buf, n, 0, 0, classify_cb, changed) == -1)
		*changed = 1;
}

int
nl_watch_drain(struct nl_watch *w)
{
	int fd = mnl_socket_get_fd(w->ev);
	int changed = 0;
	unsigned int rounds;

	/* Bounded, so a namespace flapping links cannot keep the caller
	 * here forever; what is left makes the fd readable again. */
	for (rounds = 0; rounds < 4096; rounds++) {
		struct iovec iov = { w->buf, w->buflen };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (n > 0) {
			classify(w, (size_t)n, mh.msg_flags, &changed);
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {   /* lost some: the caller rescans */
			changed = 1;
			continue;
		}
		log_warn("netlink watch: recv");
		return -1;
	}
	return changed;
}

void
nl_watch_close(struct nl_watch *w)
{
	if (!w)
		return;
	if (w->ev)
		mnl_socket_close(w->ev);
	if (w->req)
		mnl_socket_close(w->req);
	free(w->buf);
	free(w);
}
