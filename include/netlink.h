/* netlink.h — interfaces and addresses through rtnetlink (libnl-3 route),
 * inside container network namespaces and on the host; link/address change
 * notifications; and socket ownership through NETLINK_SOCK_DIAG (libmnl),
 * for containers that share the host's network namespace. */
#ifndef CNETMON_NETLINK_H
#define CNETMON_NETLINK_H

#include <stdint.h>

#include "inventory.h"

/* Links (loopback skipped), MACs and addresses inside the network
 * namespace /proc/PID/ns/net, appended to c->ifaces. For a veth, the
 * container side's IFLA_LINK is the host peer's ifindex: it goes in
 * host_ifindex (names say nothing). -1 with err set on failure; the
 * calling thread's namespace is always restored. */
int netns_read_ifaces(int pid, struct inv_container *c, char *err, size_t errlen);

/* In the host namespace: fill host_ifname and bridge for every interface
 * whose host_ifindex is known, and inv->host_addrs with the host's
 * addresses (loopback excluded). 0 or -1. */
int host_links_resolve(struct inventory *inv, char *err, size_t errlen);

/* Link and address notifications (RTNLGRP_LINK, IPV4_IFADDR, IPV6_IFADDR)
 * in the host namespace and in namespaces it is told about: a fd to poll,
 * and a drain that reports whether anything changed. */
struct nl_watch;
struct nl_watch *nl_watch_open(char *err, size_t errlen);
int nl_watch_fd(const struct nl_watch *w);
/* Watch the namespace of pid as well (container interfaces appear there). */
int nl_watch_add_netns(struct nl_watch *w, int pid);
/* Read pending notifications; 1 if links or addresses changed, 0 if not,
 * -1 on error. ENOBUFS (lost notifications) counts as a change. */
int nl_watch_drain(struct nl_watch *w);
void nl_watch_close(struct nl_watch *w);

/* Socket table of the host namespace via sock_diag (TCP, UDP; IPv4, IPv6):
 * who owns (proto, local address, local port). */
struct sock_table;
struct sock_table *sock_table_dump(char *err, size_t errlen);
/* The owning process id, 0 if unknown. Inode-to-pid by /proc/PID/fd. */
int sock_table_owner(const struct sock_table *t, uint8_t proto, int family,
                     const uint8_t *addr, uint16_t port);
void sock_table_free(struct sock_table *t);

#endif
