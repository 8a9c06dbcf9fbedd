/* nat.h — translated connections from the kernel's conntrack table, so a
 * flow captured after DNAT (a published port, a Service virtual IP) or
 * around masquerade can be tied to its original and translated tuples.
 *
 * Source: conntrack events (NFNLGRP_CONNTRACK_NEW/UPDATE/DESTROY) plus a
 * dump at open and after every lost event batch (ENOBUFS). Only connections
 * whose original tuple reversed differs from the reply tuple (DNAT, SNAT,
 * masquerade) are kept. Implemented in src/nat-conntrack.c with
 * libnetfilter_conntrack (pkg-config libnetfilter_conntrack). */
#ifndef CNETMON_NAT_H
#define CNETMON_NAT_H

#include <stddef.h>
#include <stdint.h>

/* Addresses in network byte order (IPv4 in the first 4 bytes, the rest 0);
 * ports in host byte order; 0 for protocols without ports (ICMP: the echo
 * id is not part of the key). */
struct nat_tuple {
	uint8_t family;             /* 4 or 6 */
	uint8_t proto;              /* IPPROTO_* */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

struct nat_entry {
	struct nat_tuple orig;      /* as the initiator sent it */
	struct nat_tuple reply;     /* as the responder answers, i.e. after
	                             * translation, reversed */
};

struct nat_table;

/* Most connections kept; past it the oldest is dropped (stats.evicted). */
#define NAT_MAX_ENTRIES 262144

/* Subscribe to NEW/UPDATE/DESTROY events, then dump the existing table.
 * Needs CAP_NET_ADMIN. NULL and a message in err on failure. */
struct nat_table *nat_open(char *err, size_t errlen);
/* Pollable (POLLIN) event socket; non-blocking. */
int nat_fd(const struct nat_table *t);
/* Process pending events (a bounded batch: call again while the fd stays
 * readable). On ENOBUFS the lost events are counted and the table is
 * resynchronised by a fresh dump. Entries added, changed or removed, or -1
 * (errno set) on a socket error other than EAGAIN/ENOBUFS. */
int nat_drain(struct nat_table *t);
/* Look a packet's 5-tuple up in either direction (as a capture sees it:
 * the original tuple, the reply tuple, the reply reversed, or the original
 * reversed). 1 and *out (out may be NULL) if that connection is NATed,
 * 0 otherwise. */
int nat_lookup(const struct nat_table *t, const struct nat_tuple *seen,
    struct nat_entry *out);

struct nat_stats {
	unsigned long long entries;   /* NATed connections held now */
	unsigned long long events;    /* conntrack messages processed */
	unsigned long long enobufs;   /* times the event socket overflowed */
	unsigned long long resyncs;   /* dumps after an overflow */
	unsigned long long evicted;   /* oldest dropped at NAT_MAX_ENTRIES */
};
const struct nat_stats *nat_stats(const struct nat_table *t);
void nat_close(struct nat_table *t);

#endif
