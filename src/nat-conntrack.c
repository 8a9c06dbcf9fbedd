/*
 * nat-conntrack.c — translated connections (DNAT, SNAT, masquerade) from
 * the kernel's conntrack table, kept in memory for nat_lookup.
 *
 * References: libnetfilter_conntrack documentation
 * (https://netfilter.org/projects/libnetfilter_conntrack/doxygen/:
 * nfct_nlmsg_parse, nfct_attr_is_set, nfct_get_attr*), conntrack(8)
 * (the events and the table it lists), netlink(7) (ENOBUFS on overflow,
 * SO_RCVBUFFORCE) and linux/netfilter/nfnetlink_conntrack.h (message types
 * IPCTNL_MSG_CT_NEW/DELETE, groups NFNLGRP_CONNTRACK_*).
 *
 * The sockets are plain netlink sockets and only the parsing of a message
 * into a conntrack object is left to libnetfilter_conntrack
 * (nfct_nlmsg_parse): nfct_catch would loop until the socket is empty, which
 * under a flood never returns to the caller's poll loop, and hides whether a
 * datagram came from the kernel or was truncated. Here a drain reads a
 * bounded batch and checks the sender, the length and every attribute.
 *
 * Events arrive on one non-blocking socket; the dump (at open, and after an
 * overflow) uses a second, short-lived blocking socket so that dump replies
 * and events never interleave. A dump marks every entry it sees with a new
 * generation and the entries it did not see are then dropped: that is how
 * DESTROY events lost in an overflow are made good.
 *
 * Table: a pool of entries (oldest-first list for eviction) and an
 * open-addressing hash (linear probing, backward-shift deletion, so no
 * tombstones) from a tuple to (entry, which tuple). Each entry is keyed by
 * its original tuple, its reply tuple and its reply reversed (the forward
 * tuple after translation); nat_lookup also tries the seen tuple reversed,
 * which covers the original reversed (an answer after un-NAT).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "log.h"
#include "nat.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NAT_RCVBUF     (16 << 20)   /* event socket: bursts of NEW/DESTROY */
#define NAT_BUFLEN     65536        /* one datagram; dumps fill up to 32 KiB */
#define NAT_BUDGET     1024         /* datagrams per nat_drain call */
#define NAT_DUMP_WAIT  5            /* seconds a dump may stall */
#define NONE           UINT32_MAX

enum { K_ORIG, K_REPLY, K_FWD, K_NUM };

struct ent {
	struct nat_tuple key[K_NUM]; /* orig, reply, reply reversed */
	uint32_t older, newer;       /* age list; free list through newer */
	uint32_t gen;                /* last dump that saw it */
	bool used;
};

struct nat_table {
	int fd;                      /* events, non-blocking */
	uint32_t seq;
	struct nat_stats st;
	uint64_t seed;
	struct ent *ents;
	uint32_t nents, capents;     /* in use, allocated */
	uint32_t freel, oldest, newest;
	uint32_t *slots;             /* 0 empty, else ref + 1 */
	size_t nslots, nkeys;        /* nslots a power of two */
	uint32_t gen;
	unsigned char *buf;
};

/* --- tuples ------------------------------------------------------------ */

static size_t
addr_len(const struct nat_tuple *k)
{
	return k->family == 6 ? 16 : 4;
}

static bool
tuple_eq(const struct nat_tuple *a, const struct nat_tuple *b)
{
	/* Field by field: a caller's tuple may carry junk past an IPv4
	 * address, so memcmp of the whole struct would not do. */
	return a->family == b->family && a->proto == b->proto &&
	    a->sport == b->sport && a->dport == b->dport &&
	    memcmp(a->src, b->src, addr_len(a)) == 0 &&
	    memcmp(a->dst, b->dst, addr_len(a)) == 0;
}

static void
tuple_reverse(const struct nat_tuple *in, struct nat_tuple *out)
{
	struct nat_tuple r;

	memset(&r, 0, sizeof(r));
	r.family = in->family;
	r.proto = in->proto;
	memcpy(r.src, in->dst, addr_len(in));
	memcpy(r.dst, in->src, addr_len(in));
	r.sport = in->dport;
	r.dport = in->sport;
	*out = r;
}

static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;   /* FNV-1a */
	return h;
}

static uint64_t
tuple_hash(uint64_t seed, const struct nat_tuple *k)
{
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	uint8_t hdr[6] = { k->family, k->proto, (uint8_t)(k->sport >> 8),
	    (uint8_t)k->sport, (uint8_t)(k->dport >> 8), (uint8_t)k->dport };

	h = mix(h, hdr, sizeof(hdr));
	h = mix(h, k->src, addr_len(k));
	h = mix(h, k->dst, addr_len(k));
	return h ^ (h >> 29);
}

/* --- hash of keys -------------------------------------------------------- */

static const struct nat_tuple *
ref_key(const struct nat_table *t, uint32_t ref)
{
	return &t->ents[ref >> 2].key[ref & 3];
}

static size_t
slot_home(const struct nat_table *t, const struct nat_tuple *k)
{
	return (size_t)tuple_hash(t->seed, k) & (t->nslots - 1);
}

/* Slot holding key k, or (size_t)-1. */
static size_t
slot_find(const struct nat_table *t, const struct nat_tuple *k)
{
	size_t mask = t->nslots - 1, i = slot_home(t, k);

	for (; t->slots[i]; i = (i + 1) & mask)
		if (tuple_eq(ref_key(t, t->slots[i] - 1), k))
			return i;
	return (size_t)-1;
}

static void
slot_put(uint32_t *slots, size_t mask, size_t i, uint32_t v)
{
	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = v;
}

static int
slots_grow(struct nat_table *t)
{
	size_t n = t->nslots * 2, i;
	uint32_t *ns = calloc(n, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i])
			slot_put(ns, n - 1, (size_t)tuple_hash(t->seed,
			    ref_key(t, t->slots[i] - 1)) & (n - 1), t->slots[i]);
	free(t->slots);
	t->slots = ns;
	t->nslots = n;
	return 0;
}

/* Key (entry, which) into the hash. A tuple already owned by another entry
 * is taken over: the newer connection is the one the kernel now tracks. */
static void
key_add(struct nat_table *t, uint32_t idx, int which)
{
	uint32_t ref = idx << 2 | (uint32_t)which;
	const struct nat_tuple *k = ref_key(t, ref);
	size_t i = slot_find(t, k);

	if (i != (size_t)-1) {
		t->slots[i] = ref + 1;
		return;
	}
	/* Keep the load under one half so probes stay short; if growing
	 * fails the table is still usable, only slower. */
	if ((t->nkeys + 1) * 2 > t->nslots)
		(void)slots_grow(t);
	if (t->nkeys + 1 >= t->nslots)
		return;   /* out of memory and full: leave this key out */
	slot_put(t->slots, t->nslots - 1, slot_home(t, k), ref + 1);
	t->nkeys++;
}

/* Remove (entry, which) if it still owns its tuple; backward-shift the
 * cluster behind it so lookups never meet a hole inside a probe run. */
static void
key_del(struct nat_table *t, uint32_t idx, int which)
{
	uint32_t ref = idx << 2 | (uint32_t)which;
	size_t mask = t->nslots - 1, i, j, h;

	i = slot_find(t, ref_key(t, ref));
	if (i == (size_t)-1 || t->slots[i] != ref + 1)
		return;
	t->slots[i] = 0;
	t->nkeys--;
	for (j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
		h = slot_home(t, ref_key(t, t->slots[j] - 1));
		/* Move slot j into the hole unless its home lies cyclically
		 * in (i, j], where it is reachable without passing i. */
		if (i <= j ? (h > i && h <= j) : (h > i || h <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j] = 0;
		i = j;
	}
}

/* --- entries ------------------------------------------------------------- */

static void
age_unlink(struct nat_table *t, uint32_t idx)
{
	struct ent *e = &t->ents[idx];

	if (e->older != NONE)
		t->ents[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NONE)
		t->ents[e->newer].older = e->older;
	else
		t->newest = e->older;
}

static void
ent_free(struct nat_table *t, uint32_t idx)
{
	int k;

	for (k = 0; k < K_NUM; k++)
		key_del(t, idx, k);
	age_unlink(t, idx);
	t->ents[idx].used = false;
	t->ents[idx].newer = t->freel;
	t->freel = idx;
	t->nents--;
}

/* A free entry index: from the free list, a larger pool, or the oldest
 * connection dropped once the bound is reached. NONE without memory. */
static uint32_t
ent_alloc(struct nat_table *t)
{
	uint32_t idx, n, i;
	struct ent *ne;

	if (t->freel == NONE && t->capents < NAT_MAX_ENTRIES) {
		n = t->capents ? t->capents * 2 : 256;
		if (n > NAT_MAX_ENTRIES)
			n = NAT_MAX_ENTRIES;
		ne = realloc(t->ents, n * sizeof(*ne));
		if (ne) {
			t->ents = ne;
			for (i = n; i-- > t->capents;) {
				ne[i].used = false;
				ne[i].newer = t->freel;
				t->freel = i;
			}
			t->capents = n;
		}
	}
	if (t->freel == NONE) {
		if (t->oldest == NONE)
			return NONE;
		ent_free(t, t->oldest);
		t->st.evicted++;
	}
	idx = t->freel;
	t->freel = t->ents[idx].newer;
	return idx;
}

static void
ent_set_reply(struct nat_table *t, uint32_t idx, const struct nat_tuple *reply)
{
	struct ent *e = &t->ents[idx];

	e->key[K_REPLY] = *reply;
	tuple_reverse(reply, &e->key[K_FWD]);
	key_add(t, idx, K_REPLY);
	key_add(t, idx, K_FWD);
}

/* Entry whose original tuple is o, or NONE. */
static uint32_t
ent_by_orig(const struct nat_table *t, const struct nat_tuple *o)
{
	size_t i = slot_find(t, o);

	if (i == (size_t)-1 || ((t->slots[i] - 1) & 3) != K_ORIG)
		return NONE;
	return (t->slots[i] - 1) >> 2;
}

/* NEW/UPDATE or a dump line for a NATed connection. 1 if the table
 * changed. */
static int
ent_upsert(struct nat_table *t, const struct nat_entry *ne)
{
	uint32_t idx = ent_by_orig(t, &ne->orig);
	struct ent *e;

	if (idx != NONE) {
		e = &t->ents[idx];
		e->gen = t->gen;
		if (tuple_eq(&e->key[K_REPLY], &ne->reply))
			return 0;
		key_del(t, idx, K_REPLY);
		key_del(t, idx, K_FWD);
		ent_set_reply(t, idx, &ne->reply);
		return 1;
	}
	if ((idx = ent_alloc(t)) == NONE)
		return 0;
	e = &t->ents[idx];
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->gen = t->gen;
	e->key[K_ORIG] = ne->orig;
	e->older = t->newest;
	e->newer = NONE;
	if (t->newest != NONE)
		t->ents[t->newest].newer = idx;
	else
		t->oldest = idx;
	t->newest = idx;
	t->nents++;
	key_add(t, idx, K_ORIG);
	ent_set_reply(t, idx, &ne->reply);
	return 1;
}

static int
ent_remove(struct nat_table *t, const struct nat_tuple *orig)
{
	uint32_t idx = ent_by_orig(t, orig);

	if (idx == NONE)
		return 0;
	ent_free(t, idx);
	return 1;
}

/* After a complete dump: what it did not report is gone from the kernel. */
static int
sweep(struct nat_table *t)
{
	uint32_t idx, next;
	int n = 0;

	for (idx = t->oldest; idx != NONE; idx = next) {
		next = t->ents[idx].newer;
		if (t->ents[idx].gen != t->gen) {
			ent_free(t, idx);
			n++;
		}
	}
	return n;
}

/* --- conntrack messages -------------------------------------------------- */

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_DCCP;
}

/* One direction's tuple; -1 when an attribute it needs is missing. */
static int
ct_tuple(const struct nf_conntrack *ct, bool reply, struct nat_tuple *k)
{
	const enum nf_conntrack_attr l3 = reply ? ATTR_REPL_L3PROTO : ATTR_ORIG_L3PROTO,
	    l4 = reply ? ATTR_REPL_L4PROTO : ATTR_ORIG_L4PROTO,
	    s4 = reply ? ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC,
	    d4 = reply ? ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST,
	    s6 = reply ? ATTR_REPL_IPV6_SRC : ATTR_ORIG_IPV6_SRC,
	    d6 = reply ? ATTR_REPL_IPV6_DST : ATTR_ORIG_IPV6_DST,
	    sp = reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC,
	    dp = reply ? ATTR_REPL_PORT_DST : ATTR_ORIG_PORT_DST;
	uint32_t a;

	memset(k, 0, sizeof(*k));
	if (!nfct_attr_is_set(ct, l3) || !nfct_attr_is_set(ct, l4))
		return -1;
	switch (nfct_get_attr_u8(ct, l3)) {
	case AF_INET:
		if (!nfct_attr_is_set(ct, s4) || !nfct_attr_is_set(ct, d4))
			return -1;
		k->family = 4;
		a = nfct_get_attr_u32(ct, s4);   /* network order */
		memcpy(k->src, &a, 4);
		a = nfct_get_attr_u32(ct, d4);
		memcpy(k->dst, &a, 4);
		break;
	case AF_INET6:
		if (!nfct_attr_is_set(ct, s6) || !nfct_attr_is_set(ct, d6))
			return -1;
		k->family = 6;
		memcpy(k->src, nfct_get_attr(ct, s6), 16);
		memcpy(k->dst, nfct_get_attr(ct, d6), 16);
		break;
	default:
		return -1;
	}
	k->proto = nfct_get_attr_u8(ct, l4);
	if (has_ports(k->proto)) {
		if (!nfct_attr_is_set(ct, sp) || !nfct_attr_is_set(ct, dp))
			return -1;
		k->sport = ntohs(nfct_get_attr_u16(ct, sp));
		k->dport = ntohs(nfct_get_attr_u16(ct, dp));
	}
	return 0;
}

/* One IPCTNL_MSG_CT_NEW/DELETE message: table changes (0 or 1), or 0 for
 * anything malformed, which is skipped rather than trusted. */
static int
ct_message(struct nat_table *t, const struct nlmsghdr *nlh)
{
	struct nf_conntrack *ct;
	struct nat_entry ne;
	struct nat_tuple fwd;
	int type = NFNL_MSG_TYPE(nlh->nlmsg_type), r = 0;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
		return 0;
	/* A fresh object each time: nfct_nlmsg_parse only sets what it
	 * finds, so a reused one would carry the last message's fields. */
	if (!(ct = nfct_new()))
		return 0;
	if (nfct_nlmsg_parse(nlh, ct) < 0 || ct_tuple(ct, false, &ne.orig) < 0 ||
	    ct_tuple(ct, true, &ne.reply) < 0)
		goto out;
	if (type == IPCTNL_MSG_CT_DELETE) {
		r = ent_remove(t, &ne.orig);
		goto out;
	}
	tuple_reverse(&ne.reply, &fwd);
	if (!tuple_eq(&fwd, &ne.orig))
		r = ent_upsert(t, &ne);
	else
		r = ent_remove(t, &ne.orig);   /* NAT gone (never, in practice) */
out:
	nfct_destroy(ct);
	return r;
}

/* --- sockets ------------------------------------------------------------- */

static int
nl_socket(int flags)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_NETFILTER);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
events_open(void)
{
	static const int groups[] = { NFNLGRP_CONNTRACK_NEW,
	    NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY };
	int fd = nl_socket(SOCK_NONBLOCK), sz = NAT_RCVBUF;
	size_t i;

	if (fd < 0)
		return -1;
	/* Bursts (a port scan through a DNAT, a restart of many clients)
	 * outrun a default 208 KiB buffer; FORCE needs CAP_NET_ADMIN and
	 * ignores rmem_max, the plain option is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		    &groups[i], sizeof(groups[i])) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

/* Walk one datagram. For a dump, *done is set at NLMSG_DONE and an error
 * message fails it; events never carry either. Returns table changes or
 * -1 (errno) on a dump error. */
static int
datagram(struct nat_table *t, size_t len, uint32_t seq, bool *done)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)t->buf;
	const struct nlmsgerr *ne;
	int n = 0;

	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		if (done && nlh->nlmsg_seq != seq)
			continue;       /* not our dump */
		if (nlh->nlmsg_type == NLMSG_DONE) {
			if (done)
				*done = true;
			break;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (!done)
				continue;
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ne))) {
				errno = EPROTO;
				return -1;
			}
			ne = NLMSG_DATA(nlh);
			if (ne->error == 0)
				continue;
			errno = -ne->error;
			return -1;
		}
		if (!done)
			t->st.events++;
		n += ct_message(t, nlh);
	}
	return n;
}

static int
dump_request(int fd, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct nfgenmsg nfg;
	} req;
	struct sockaddr_nl sa;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	req.nfg.nfgen_family = AF_UNSPEC;   /* IPv4 and IPv6 in one dump */
	req.nfg.version = NFNETLINK_V0;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	return sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == (ssize_t)sizeof(req) ? 0 : -1;
}

/* The whole table, then the sweep of what it no longer holds. A dump that
 * fails half way sweeps nothing: stale entries beat missing ones. */
static int
dump_table(struct nat_table *t)
{
	struct timeval tv = { .tv_sec = NAT_DUMP_WAIT };
	struct sockaddr_nl sa;
	socklen_t sl;
	bool done = false;
	ssize_t r;
	int fd, n = 0, c, e;
	uint32_t seq = ++t->seq;

	if ((fd = nl_socket(0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (dump_request(fd, seq) < 0)
		goto fail;
	t->gen++;
	while (!done) {
		sl = sizeof(sa);
		r = recvfrom(fd, t->buf, NAT_BUFLEN, MSG_TRUNC,
		    (struct sockaddr *)&sa, &sl);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r > NAT_BUFLEN) {
			errno = EMSGSIZE;
			goto fail;
		}
		if (sa.nl_pid != 0)
			continue;
		if ((c = datagram(t, (size_t)r, seq, &done)) < 0)
			goto fail;
		n += c;
	}
	close(fd);
	return n + sweep(t);
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* --- API ----------------------------------------------------------------- */

struct nat_table *
nat_open(char *err, size_t errlen)
{
	struct nat_table *t = calloc(1, sizeof(*t));

	if (!t) {
		errbuf_set(err, errlen, "nat: out of memory");
		return NULL;
	}
	t->fd = -1;
	t->freel = t->oldest = t->newest = NONE;
	t->nslots = 1024;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->buf = malloc(NAT_BUFLEN);
	if (!t->slots || !t->buf) {
		errbuf_set(err, errlen, "nat: out of memory");
		goto fail;
	}
	/* A secret seed: tuples are chosen by remote peers. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t;
	t->seq = (uint32_t)t->seed;
	/* Subscribe before dumping: a connection created in between is then
	 * seen by one or the other, never by neither. */
	if ((t->fd = events_open()) < 0) {
		errbuf_set(err, errlen, "nat: conntrack event socket: %s",
		    strerror(errno));
		goto fail;
	}
	if (dump_table(t) < 0) {
		errbuf_set(err, errlen, "nat: conntrack dump: %s", strerror(errno));
		goto fail;
	}
	t->st.entries = t->nents;
	return t;
fail:
	nat_close(t);
	return NULL;
}

int
nat_fd(const struct nat_table *t)
{
	return t->fd;
}

int
nat_drain(struct nat_table *t)
{
	struct sockaddr_nl sa;
	socklen_t sl;
	ssize_t r;
	int n = 0, i, c;
	bool lost = false;

	for (i = 0; i < NAT_BUDGET; i++) {
		sl = sizeof(sa);
		r = recvfrom(t->fd, t->buf, NAT_BUFLEN, MSG_TRUNC,
		    (struct sockaddr *)&sa, &sl);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* The kernel dropped events; the socket
				 * stays usable, what is queued is valid. */
				t->st.enobufs++;
				lost = true;
				continue;
			}
			return -1;
		}
		if (sa.nl_pid != 0)
			continue;               /* only the kernel speaks here */
		if (r > NAT_BUFLEN) {           /* truncated: events lost */
			lost = true;
			continue;
		}
		c = datagram(t, (size_t)r, 0, NULL);
		n += c > 0 ? c : 0;
	}
	if (lost) {
		t->st.resyncs++;
		if ((c = dump_table(t)) < 0)
			log_warn("nat: conntrack resync");
		else
			n += c;
	}
	t->st.entries = t->nents;
	return n;
}

int
nat_lookup(const struct nat_table *t, const struct nat_tuple *seen,
    struct nat_entry *out)
{
	struct nat_tuple rev;
	const struct ent *e;
	size_t i;

	if (seen->family != 4 && seen->family != 6)
		return 0;
	/* As seen first; reversed covers an answer after un-NAT (the
	 * original tuple reversed), which is not a key of its own. */
	if ((i = slot_find(t, seen)) == (size_t)-1) {
		tuple_reverse(seen, &rev);
		if ((i = slot_find(t, &rev)) == (size_t)-1)
			return 0;
	}
	e = &t->ents[(t->slots[i] - 1) >> 2];
	if (out) {
		out->orig = e->key[K_ORIG];
		out->reply = e->key[K_REPLY];
	}
	return 1;
}

const struct nat_stats *
nat_stats(const struct nat_table *t)
{
	return &t->st;
}

void
nat_close(struct nat_table *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->ents);
	free(t->slots);
	free(t->buf);
	free(t);
}
