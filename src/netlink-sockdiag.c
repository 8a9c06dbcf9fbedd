/*
 * netlink-sockdiag.c — who owns a local (protocol, address, port) in the
 * host's network namespace: how flows of host-network containers, which
 * have no interface of their own, are attributed.
 *
 * sock_diag(7): SOCK_DIAG_BY_FAMILY dumps with struct inet_diag_req_v2,
 * one per (TCP, UDP) x (AF_INET, AF_INET6), all states. Each answer is a
 * struct inet_diag_msg (local address and port, socket inode) followed by
 * attributes, of which INET_DIAG_CGROUP_ID (kernels >= 5.7, sent
 * unrequested) and INET_DIAG_SKV6ONLY are kept. The inode is mapped to a
 * process through the "socket:[INODE]" links of /proc/PID/fd, scanned
 * once per dump, as ss -p and lsof do.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "log.h"
#include "netlink.h"

#define SOCK_MAX_ENTRIES (1u << 22)   /* a bound on what a host can make us hold */

struct sock_ent {
	uint8_t proto;          /* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t family;         /* 4 or 6 */
	uint8_t state;          /* TCP_* (UDP: ESTABLISHED when connected, CLOSE not) */
	uint8_t v6only;         /* 1: an AF_INET6 socket refusing IPv4 */
	uint8_t addr[16];
	uint16_t port;          /* host order */
	uint32_t inode;
	uint64_t cgroup_id;     /* 0 unknown */
	int pid;                /* 0 unknown */
};

struct sock_table {
	struct sock_ent *e;
	size_t n, cap;
};

struct dump_ctx {
	struct sock_table *t;
	uint8_t proto;
	uint8_t family;         /* AF_INET or AF_INET6 asked for */
	int full;
};

static struct sock_ent *
table_push(struct sock_table *t)
{
	struct sock_ent *ne;
	size_t ncap;

	if (t->n == t->cap) {
		if (t->cap >= SOCK_MAX_ENTRIES)
			return NULL;
		ncap = t->cap ? t->cap * 2 : 256;
		if (!(ne = realloc(t->e, ncap * sizeof(*ne))))
			return NULL;
		t->e = ne;
		t->cap = ncap;
	}
	memset(&t->e[t->n], 0, sizeof(t->e[0]));
	return &t->e[t->n++];
}

static int
attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* Attributes newer than our headers are skipped, not refused. */
	if (mnl_attr_type_valid(attr, INET_DIAG_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case INET_DIAG_CGROUP_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_OK;
		break;
	case INET_DIAG_SKV6ONLY:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_OK;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int
diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	struct dump_ctx *ctx = data;
	const struct inet_diag_msg *m;
	struct sock_ent *e;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	m = mnl_nlmsg_get_payload(nlh);
	/* TIME_WAIT and request sockets have no inode, hence no owner. */
	if (m->idiag_inode == 0 || m->idiag_family != ctx->family)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return MNL_CB_OK;       /* a malformed tail: keep going without it */
	if (!(e = table_push(ctx->t))) {
		ctx->full = 1;
		return MNL_CB_OK;
	}
	e->proto = ctx->proto;
	e->family = m->idiag_family == AF_INET ? 4 : 6;
	e->state = m->idiag_state;
	memcpy(e->addr, m->id.idiag_src, e->family == 4 ? 4 : 16);
	e->port = ntohs(m->id.idiag_sport);
	e->inode = m->idiag_inode;
	if (tb[INET_DIAG_CGROUP_ID])
		e->cgroup_id = mnl_attr_get_u64(tb[INET_DIAG_CGROUP_ID]);
	if (tb[INET_DIAG_SKV6ONLY])
		e->v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]) != 0;
	return MNL_CB_OK;
}

/* One (protocol, family) dump into t. */
static int
dump_one(struct mnl_socket *nl, char *buf, size_t buflen, uint32_t seq,
         struct dump_ctx *ctx, char *err, size_t errlen)
{
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = ctx->family;
	req->sdiag_protocol = ctx->proto;
	req->idiag_states = ~0u;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1) {
		errbuf_set(err, errlen, "sock_diag: send: %s", strerror(errno));
		return -1;
	}
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, buflen)) == -1) {
			errbuf_set(err, errlen, "sock_diag: recv: %s", strerror(errno));
			return -1;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, diag_cb, ctx);
	} while (rc > MNL_CB_STOP);
	if (rc == -1) {
		errbuf_set(err, errlen, "sock_diag %s/%s: %s",
		       ctx->proto == IPPROTO_TCP ? "tcp" : "udp",
		       ctx->family == AF_INET ? "ipv4" : "ipv6", strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmp_inode(const void *a, const void *b)
{
	const struct sock_ent *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* Key order for sock_table_owner: protocol, family, port, address. */
static int
cmp_key(const void *a, const void *b)
{
	const struct sock_ent *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

/* "socket:[12345]" -> 12345; 0 for anything else. */
static uint32_t
socket_inode(const char *link)
{
	unsigned long v = 0;
	const char *p;

	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	for (p = link + 8; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return *p == ']' ? (uint32_t)v : 0;
}

/* The fds of one process; returns how many entries got their pid. */
static size_t
scan_fds(struct sock_table *t, int procfd, int pid)
{
	char path[32], link[64];
	struct dirent *de;
	struct sock_ent key, *e;
	size_t found = 0;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%d/fd", pid);
	/* Gone, or not ours to read: skipped, that is the bound. */
	if ((fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (!(key.inode = socket_inode(link)))
			continue;
		e = bsearch(&key, t->e, t->n, sizeof(*t->e), cmp_inode);
		if (e && e->pid == 0) {
			e->pid = pid;
			found++;
		}
	}
	closedir(d);
	return found;
}

/* Inode -> pid over /proc, with t sorted by inode. The first process
 * found (lowest pid) wins for a socket shared across fork. */
static void
resolve_pids(struct sock_table *t)
{
	struct dirent *de;
	size_t left = t->n;
	DIR *proc;
	char *end;
	long pid;

	if (!left)
		return;
	if (!(proc = opendir("/proc"))) {
		log_warn("sock_diag: /proc");
		return;
	}
	while (left && (de = readdir(proc))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		left -= scan_fds(t, dirfd(proc), (int)pid);
	}
	closedir(proc);
}

struct sock_table *
sock_table_dump(char *err, size_t errlen)
{
	static const struct { uint8_t proto, family; } dumps[] = {
		{ IPPROTO_TCP, AF_INET }, { IPPROTO_TCP, AF_INET6 },
		{ IPPROTO_UDP, AF_INET }, { IPPROTO_UDP, AF_INET6 },
	};
	struct sock_table *t;
	struct mnl_socket *nl = NULL;
	size_t buflen = 64 * 1024, i, ok = 0;
	uint32_t seq = (uint32_t)time(NULL);
	char *buf = NULL, why[256];

	if (!(t = calloc(1, sizeof(*t))) || !(buf = malloc(buflen))) {
		errbuf_set(err, errlen, "sock_diag: out of memory");
		goto fail;
	}
	if (!(nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC)) ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		errbuf_set(err, errlen, "sock_diag socket: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		struct dump_ctx ctx = { t, dumps[i].proto, dumps[i].family, 0 };

		/* One family missing (IPv6 disabled, udp_diag not
		 * loadable) leaves the others useful. */
		if (dump_one(nl, buf, buflen, seq + (uint32_t)i, &ctx, why, sizeof(why)) == -1) {
			log_warnx("%s", why);
			continue;
		}
		if (ctx.full)
			log_warnx("sock_diag: more than %u sockets, the rest ignored",
			          SOCK_MAX_ENTRIES);
		ok++;
	}
	if (!ok) {
		errbuf_set(err, errlen, "%s", why);
		goto fail;
	}
	qsort(t->e, t->n, sizeof(*t->e), cmp_inode);
	resolve_pids(t);
	qsort(t->e, t->n, sizeof(*t->e), cmp_key);
	mnl_socket_close(nl);
	free(buf);
	return t;
fail:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	sock_table_free(t);
	return NULL;
}

/* Owner of exactly (proto, family, addr, port); wild: a wildcard entry,
 * which for TCP must be a listener and for a v4 query on an AF_INET6
 * socket must be dual-stack. */
static int
lookup(const struct sock_table *t, uint8_t proto, uint8_t family,
       const uint8_t addr[16], uint16_t port, int wild, int v4query)
{
	struct sock_ent key;
	size_t lo = 0, hi = t->n, i;

	memset(&key, 0, sizeof(key));
	key.proto = proto;
	key.family = family;
	key.port = port;
	memcpy(key.addr, addr, 16);
	while (lo < hi) {               /* first entry >= key */
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_key(&t->e[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < t->n && cmp_key(&t->e[i], &key) == 0; i++) {
		const struct sock_ent *e = &t->e[i];

		if (!e->pid)
			continue;
		if (wild && proto == IPPROTO_TCP && e->state != TCP_LISTEN)
			continue;
		if (wild && v4query && family == 6 && e->v6only)
			continue;
		return e->pid;
	}
	return 0;
}

int
sock_table_owner(const struct sock_table *t, uint8_t proto, int family,
                 const uint8_t *addr, uint16_t port)
{
	static const uint8_t any[16];
	uint8_t a[16] = { 0 };
	int pid;

	if (!t || !addr)
		return 0;
	if (family == AF_INET || family == 4) {
		memcpy(a, addr, 4);
		if ((pid = lookup(t, proto, 4, a, port, 0, 1)))
			return pid;
		/* An IPv4 peer of a dual-stack socket: ::ffff:a.b.c.d. */
		memset(a, 0, sizeof(a));
		a[10] = a[11] = 0xff;
		memcpy(a + 12, addr, 4);
		if ((pid = lookup(t, proto, 6, a, port, 0, 1)))
			return pid;
		if ((pid = lookup(t, proto, 4, any, port, 1, 1)))
			return pid;
		return lookup(t, proto, 6, any, port, 1, 1);
	}
	if (family == AF_INET6 || family == 6) {
		memcpy(a, addr, 16);
		if ((pid = lookup(t, proto, 6, a, port, 0, 0)))
			return pid;
		return lookup(t, proto, 6, any, port, 1, 0);
	}
	return 0;
}

void
sock_table_free(struct sock_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}
