/*
 * netlink-ifaces.c — a container's links and addresses, read through
 * rtnetlink inside its network namespace, and the host side of its veths.
 *
 * rtnetlink(7): RTM_GETLINK and RTM_GETADDR dumps (libnl-3 route caches,
 * which check every attribute against a policy). A veth's IFLA_LINK is its
 * peer's ifindex, and IFLA_LINK_NETNSID, when present, the id under which
 * the dumping namespace knows the peer's namespace; RTM_GETNSID
 * (linux/net_namespace.h) gives the id of a namespace given as a fd, so
 * the two together tell whether the peer really sits in the host.
 * setns(2): a netlink socket stays bound to the namespace it was created
 * in, so only its creation happens inside the container's namespace; the
 * thread goes back at once and the dumps run from the host.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "inventory.h"
#include "log.h"
#include "netlink.h"

/* Where a link of the namespace went in c->ifaces: the array moves as it
 * grows, so indices, not pointers. */
struct linkslot {
	int ifindex;
	size_t idx;
};

/* The host's links by ifindex: libnl's rtnl_link_get walks its list, and
 * a host with 1,000 containers has 1,000 veths to look up in 1,000. */
struct linkindex {
	struct rtnl_link **l;
	size_t n;
};

/*
 * A route socket connected inside the namespace target_fd. The thread is
 * back in self_fd before this returns, whatever happened in between: a
 * thread left in a container's namespace would read and attribute every
 * later interface wrongly, so failing to return is fatal.
 */
static struct nl_sock *
route_socket_in(int target_fd, int self_fd, char *err, size_t errlen)
{
	struct nl_sock *sk;
	int rc;

	if (setns(target_fd, CLONE_NEWNET) == -1) {
		errbuf_set(err, errlen, "setns: %s", strerror(errno));
		return NULL;
	}
	sk = nl_socket_alloc();
	rc = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (setns(self_fd, CLONE_NEWNET) == -1)
		fatal("setns back to the thread's own network namespace");
	if (rc < 0) {
		errbuf_set(err, errlen, "netlink socket in namespace: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int
nsid_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nla_policy pol[NETNSA_MAX + 1];
	struct nlattr *tb[NETNSA_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return NL_SKIP;
	memset(pol, 0, sizeof(pol));
	pol[NETNSA_NSID].type = NLA_S32;
	if (nlmsg_parse(nlh, sizeof(struct rtgenmsg), tb, NETNSA_MAX, pol) < 0)
		return NL_SKIP;
	if (tb[NETNSA_NSID])
		*(int32_t *)arg = nla_get_s32(tb[NETNSA_NSID]);
	return NL_OK;
}

/*
 * The id under which sk's namespace knows the namespace of fd, or
 * NETNSA_NSID_NOT_ASSIGNED. -2 when the kernel cannot say (it then
 * predates RTM_GETNSID, and IFLA_LINK_NETNSID is taken on trust).
 */
static int32_t
peer_nsid(struct nl_sock *sk, int fd)
{
	struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
	struct nl_msg *msg;
	int32_t id = -2;

	if (!(msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST)))
		return -2;
	if (nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, NETNSA_FD, (uint32_t)fd) < 0) {
		nlmsg_free(msg);
		return -2;
	}
	nl_socket_disable_auto_ack(sk);
	if (nl_send_auto(sk, msg) < 0) {
		nlmsg_free(msg);
		return -2;
	}
	nlmsg_free(msg);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nsid_valid_cb, &id);
	if (nl_recvmsgs_default(sk) < 0)
		return -2;
	return id;
}

/*
 * host_ifindex of a container link: only a veth whose peer lives in the
 * host namespace has one. A peer in the same namespace (no
 * IFLA_LINK_NETNSID) or in some other namespace (nested runtimes, a pod
 * sandbox) would name an unrelated host interface of the same index.
 */
static int
host_peer_index(struct rtnl_link *l, int32_t host_nsid)
{
	const char *kind = rtnl_link_get_type(l);
	int32_t nsid;
	int peer = rtnl_link_get_link(l);

	if (!kind || strcmp(kind, "veth") != 0 || peer <= 0)
		return 0;
	if (rtnl_link_get_link_netnsid(l, &nsid) < 0)
		return 0;
	if (host_nsid != -2 && nsid != host_nsid)
		return 0;
	return peer;
}

static int
is_loopback(struct rtnl_link *l)
{
	return (rtnl_link_get_flags(l) & IFF_LOOPBACK) ||
	       rtnl_link_get_arptype(l) == ARPHRD_LOOPBACK;
}

/* An rtnetlink address as an inv_addr; -1 for families we do not keep
 * and for lengths that do not fit the family. */
static int
to_inv_addr(struct rtnl_addr *ra, struct inv_addr *a)
{
	struct nl_addr *na = rtnl_addr_get_local(ra);
	unsigned int len, plen;

	if (!na)
		return -1;
	len = nl_addr_get_len(na);
	plen = (unsigned int)rtnl_addr_get_prefixlen(ra);
	memset(a, 0, sizeof(*a));
	switch (nl_addr_get_family(na)) {
	case AF_INET:
		if (len != 4 || plen > 32)
			return -1;
		a->family = 4;
		break;
	case AF_INET6:
		if (len != 16 || plen > 128)
			return -1;
		a->family = 6;
		break;
	default:
		return -1;
	}
	a->prefixlen = (uint8_t)plen;
	memcpy(a->addr, nl_addr_get_binary_addr(na), len);
	return 0;
}

static int
is_loopback_addr(const struct inv_addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (a->family == 4)
		return a->addr[0] == 127;
	return memcmp(a->addr, v6lo, 16) == 0;
}

/* Links of the namespace into c->ifaces; slots remember where each went.
 * A container with more links than the inventory holds keeps the first. */
static size_t
add_links(struct nl_cache *links, int32_t host_nsid, struct inv_container *c,
          struct linkslot *slots, size_t maxslots, int pid)
{
	struct nl_object *o;
	size_t n = 0;

	for (o = nl_cache_get_first(links); o && n < maxslots; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);
		struct nl_addr *mac = rtnl_link_get_addr(l);
		struct inv_iface *i;

		if (is_loopback(l) || !name || !*name)
			continue;
		if (!(i = inv_container_add_iface(c, name))) {
			log_warnx("pid %d: interface %s and later ones not kept "
			          "(too many or out of memory)", pid, name);
			break;
		}
		if (mac && nl_addr_get_len(mac) == 6) {
			memcpy(i->mac, nl_addr_get_binary_addr(mac), 6);
			i->has_mac = 1;
		}
		i->host_ifindex = host_peer_index(l, host_nsid);
		slots[n].ifindex = rtnl_link_get_ifindex(l);
		slots[n].idx = c->nifaces - 1;
		n++;
	}
	return n;
}

/* Addresses onto the interfaces add_links kept; all of them, IPv6
 * link-local included (neighbour discovery is attributed by them). */
static void
add_addrs(struct nl_cache *addrs, struct inv_container *c,
          const struct linkslot *slots, size_t nslots, int pid)
{
	struct nl_object *o;
	struct inv_addr a;
	size_t k;

	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		int ifindex = rtnl_addr_get_ifindex(ra);

		if (to_inv_addr(ra, &a) < 0)
			continue;
		for (k = 0; k < nslots && slots[k].ifindex != ifindex; k++)
			;
		if (k == nslots)
			continue;       /* loopback, or a link not kept */
		if (inv_iface_add_addr(&c->ifaces[slots[k].idx], &a) < 0)
			log_warnx("pid %d: an address of %s not kept (too many "
			          "or out of memory)", pid, c->ifaces[slots[k].idx].name);
	}
}

int
netns_read_ifaces(int pid, struct inv_container *c, char *err, size_t errlen)
{
	struct nl_cache *links = NULL, *addrs = NULL;
	struct linkslot *slots = NULL;
	struct nl_sock *sk = NULL;
	char path[64];
	struct stat st;
	int self_fd = -1, target_fd = -1, rc, ret = -1;
	int32_t host_nsid;
	size_t nslots, maxslots;

	if (pid <= 0) {
		errbuf_set(err, errlen, "pid %d: not a process", pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if ((self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) == -1) {
		errbuf_set(err, errlen, "/proc/thread-self/ns/net: %s", strerror(errno));
		goto out;
	}
	/* A process that exits from here on is harmless: the fd keeps its
	 * namespace alive until we close it. */
	if ((target_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(target_fd, &st) == -1) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* A pid reused by a process of another namespace must not lend its
	 * interfaces to the container that had it. */
	if (c->netns && c->netns != (uint64_t)st.st_ino) {
		errbuf_set(err, errlen, "pid %d: now in network namespace %llu, not %llu",
		       pid, (unsigned long long)st.st_ino, (unsigned long long)c->netns);
		goto out;
	}
	if (!(sk = route_socket_in(target_fd, self_fd, err, errlen)))
		goto out;
	if ((rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0 ||
	    (rc = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		errbuf_set(err, errlen, "pid %d: rtnetlink dump: %s", pid, nl_geterror(rc));
		goto out;
	}
	/* After the link dump: reporting IFLA_LINK_NETNSID is what makes
	 * the kernel assign the host an id in this namespace. */
	host_nsid = peer_nsid(sk, self_fd);
	maxslots = (size_t)nl_cache_nitems(links);
	if (maxslots && !(slots = calloc(maxslots, sizeof(*slots)))) {
		errbuf_set(err, errlen, "pid %d: out of memory", pid);
		goto out;
	}
	nslots = add_links(links, host_nsid, c, slots, maxslots, pid);
	add_addrs(addrs, c, slots, nslots, pid);
	if (!c->netns)
		c->netns = (uint64_t)st.st_ino;
	ret = 0;
out:
	free(slots);
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	if (target_fd != -1)
		close(target_fd);
	if (self_fd != -1)
		close(self_fd);
	return ret;
}

static int
cmp_link(const void *a, const void *b)
{
	int x = rtnl_link_get_ifindex(*(struct rtnl_link *const *)a);
	int y = rtnl_link_get_ifindex(*(struct rtnl_link *const *)b);

	return (x > y) - (x < y);
}

/* Borrowed pointers into the cache, which outlives the index. */
static int
linkindex_build(struct nl_cache *links, struct linkindex *ix)
{
	struct nl_object *o;
	int n = nl_cache_nitems(links);

	ix->l = NULL;
	ix->n = 0;
	if (n <= 0)
		return 0;
	if (!(ix->l = calloc((size_t)n, sizeof(*ix->l))))
		return -1;
	for (o = nl_cache_get_first(links); o && ix->n < (size_t)n; o = nl_cache_get_next(o))
		ix->l[ix->n++] = (struct rtnl_link *)o;
	qsort(ix->l, ix->n, sizeof(*ix->l), cmp_link);
	return 0;
}

static struct rtnl_link *
linkindex_get(const struct linkindex *ix, int ifindex)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int v = rtnl_link_get_ifindex(ix->l[mid]);

		if (v == ifindex)
			return ix->l[mid];
		if (v < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The host's own addresses, loopback excluded, replacing the old list
 * only once the new one is complete. */
static int
host_addrs_fill(struct nl_sock *sk, const struct linkindex *ix, struct inventory *inv,
                char *err, size_t errlen)
{
	struct inventory tmp = { 0 };
	struct nl_cache *addrs = NULL;
	struct nl_object *o;
	struct inv_addr a;
	int rc;

	if ((rc = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		errbuf_set(err, errlen, "host addresses: %s", nl_geterror(rc));
		return -1;
	}
	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct rtnl_link *l = linkindex_get(ix, rtnl_addr_get_ifindex(ra));

		if ((l && is_loopback(l)) || to_inv_addr(ra, &a) < 0 || is_loopback_addr(&a))
			continue;
		if (inventory_add_host_addr(&tmp, &a) < 0) {
			log_warnx("host addresses: too many or out of memory, "
			          "%zu kept", tmp.nhost_addrs);
			break;
		}
	}
	nl_cache_free(addrs);
	free(inv->host_addrs);
	inv->host_addrs = tmp.host_addrs;
	inv->nhost_addrs = tmp.nhost_addrs;
	return 0;
}

/*
 * The host side of one container interface. The index was read inside the
 * container and may be stale by now (container gone, index reused): only
 * a veth whose own peer is in another namespace is believed.
 */
static void
resolve_iface(const struct linkindex *ix, struct inv_iface *i)
{
	struct rtnl_link *l, *m;
	const char *kind;
	int32_t nsid;
	int master;

	i->host_ifname[0] = '\0';
	i->bridge[0] = '\0';
	if (!(l = linkindex_get(ix, i->host_ifindex)))
		return;
	kind = rtnl_link_get_type(l);
	if (!kind || strcmp(kind, "veth") != 0 ||
	    rtnl_link_get_link_netnsid(l, &nsid) < 0 || !rtnl_link_get_name(l)) {
		log_debug("host ifindex %d is not the peer of %s", i->host_ifindex, i->name);
		return;
	}
	snprintf(i->host_ifname, sizeof(i->host_ifname), "%s", rtnl_link_get_name(l));
	if ((master = rtnl_link_get_master(l)) > 0 && (m = linkindex_get(ix, master)) &&
	    rtnl_link_get_name(m))
		snprintf(i->bridge, sizeof(i->bridge), "%s", rtnl_link_get_name(m));
}

int
host_links_resolve(struct inventory *inv, char *err, size_t errlen)
{
	struct linkindex ix = { NULL, 0 };
	struct nl_cache *links = NULL;
	struct nl_sock *sk;
	size_t ci, ii;
	int rc, ret = -1;

	if (!(sk = nl_socket_alloc())) {
		errbuf_set(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = nl_connect(sk, NETLINK_ROUTE)) < 0 ||
	    (rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0) {
		errbuf_set(err, errlen, "host links: %s", nl_geterror(rc));
		goto out;
	}
	if (linkindex_build(links, &ix) < 0) {
		errbuf_set(err, errlen, "host links: out of memory");
		goto out;
	}
	for (ci = 0; ci < inv->n; ci++) {
		struct inv_container *c = inv->c[ci];

		/* A stopped container keeps what it had: its index may
		 * already belong to a newcomer's veth. */
		if (!c || c->gone_ns || c->host_network)
			continue;
		for (ii = 0; ii < c->nifaces; ii++)
			if (c->ifaces[ii].host_ifindex > 0)
				resolve_iface(&ix, &c->ifaces[ii]);
	}
	ret = host_addrs_fill(sk, &ix, inv, err, errlen);
out:
	free(ix.l);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	return ret;
}
