/* netlink: interfaces read inside a real network namespace, the host side
 * of its veth, link/address notifications, socket owners via sock_diag.
 *
 * The namespace tests need root (ip netns, veth, bridge) and skip without
 * it. Everything is named after the test worker's pid; a guardian process
 * removes it even when the worker dies half way, and the sleepers that hold
 * the namespaces die with the worker (PR_SET_PDEATHSIG). No traffic. */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "inventory.h"
#include "netlink.h"

static char ns1[32], ns2[32], hveth[IF_NAMESIZE], br[IF_NAMESIZE], hdummy[IF_NAMESIZE];
static pid_t sleeper1, sleeper2, guardian;
static int guard_fd = -1;
static int have_root;

static int sh(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static ino_t
netns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void
cleanup_cmds(char *buf, size_t len)
{
	snprintf(buf, len,
	         "for p in $(ip netns pids %s 2>/dev/null) $(ip netns pids %s 2>/dev/null); "
	         "do kill -9 $p; done; ip link del %s; ip link del %s; ip link del %s; "
	         "ip netns del %s; ip netns del %s",
	         ns1, ns2, hveth, br, hdummy, ns1, ns2);
}

/* Removes everything if the worker dies before teardown (crash, kill):
 * waits for EOF on a pipe; a byte first means teardown already did it. */
static void
start_guardian(void)
{
	char cmd[1024], c;
	int p[2], fd;

	cleanup_cmds(cmd, sizeof(cmd));
	if (pipe(p) == -1)
		return;
	if ((guardian = fork()) == 0) {
		for (fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				close(fd);
		setsid();
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	guard_fd = p[1];
}

/* `ip netns exec NS sleep 60`, dying with the worker; waits until it is
 * inside the namespace. */
static pid_t
start_sleeper(const char *ns)
{
	char path[64];
	pid_t pid, parent = getpid();
	ino_t want;
	int i;

	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		execlp("ip", "ip", "netns", "exec", ns, "sleep", "60", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	want = netns_ino(path);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	for (i = 0; i < 200 && netns_ino(path) != want; i++)
		usleep(10000);
	return pid;
}

static void
setup(void)
{
	int p = (int)getpid();

	have_root = geteuid() == 0;
	if (!have_root)
		return;
	snprintf(ns1, sizeof(ns1), "cnmnl%d", p);
	snprintf(ns2, sizeof(ns2), "cnmnl%db", p);
	snprintf(hveth, sizeof(hveth), "cnmh%d", p);
	snprintf(br, sizeof(br), "cnmb%d", p);
	snprintf(hdummy, sizeof(hdummy), "cnmd%d", p);
	start_guardian();
	cr_assert_eq(sh("ip netns add %s && ip netns add %s", ns1, ns2), 0);
	cr_assert_eq(sh("ip link add %s type bridge && "
	                "ip link add %s type veth peer name eth0 netns %s && "
	                "ip link set %s master %s up && ip link set %s up && "
	                "ip addr add 198.51.100.1/32 dev %s",
	                br, hveth, ns1, hveth, br, br, br), 0);
	cr_assert_eq(sh("ip -n %s link set eth0 address 02:00:5e:10:20:30 up && "
	                "ip -n %s addr add 203.0.113.2/24 dev eth0 && "
	                "ip -n %s addr add 2001:db8:5::2/64 dev eth0 nodad && "
	                "ip -n %s link set lo up",
	                ns1, ns1, ns1, ns1), 0);
	sleeper1 = start_sleeper(ns1);
	sleeper2 = start_sleeper(ns2);
}

static void
reap(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static void
teardown(void)
{
	char cmd[1024];

	if (!have_root)
		return;
	reap(&sleeper1);
	reap(&sleeper2);
	cleanup_cmds(cmd, sizeof(cmd));
	sh("(%s) >/dev/null 2>&1", cmd);
	if (guard_fd != -1) {
		(void)!write(guard_fd, "x", 1);
		close(guard_fd);
		guard_fd = -1;
	}
	if (guardian > 0)
		waitpid(guardian, NULL, 0);
	guardian = 0;
}

static void
need_root(void)
{
	if (!have_root)
		cr_skip_test("needs root");
}

static int
has_addr(const struct inv_iface *i, const char *s, int plen)
{
	struct inv_addr want;
	size_t k;

	if (inv_addr_parse(s, &want) < 0)
		return 0;
	for (k = 0; k < i->naddrs; k++)
		if (i->addrs[k].family == want.family && i->addrs[k].prefixlen == plen &&
		    memcmp(i->addrs[k].addr, want.addr, want.family == 4 ? 4 : 16) == 0)
			return 1;
	return 0;
}

static const struct inv_iface *
find_iface(const struct inv_container *c, const char *name)
{
	size_t k;

	for (k = 0; k < c->nifaces; k++)
		if (strcmp(c->ifaces[k].name, name) == 0)
			return &c->ifaces[k];
	return NULL;
}

TestSuite(netlink, .init = setup, .fini = teardown, .timeout = 30);

Test(netlink, reads_container_side)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
	struct inv_container *c;
	const struct inv_iface *i;
	char err[256] = "", path[64];
	ino_t before = netns_ino("/proc/thread-self/ns/net");

	need_root();
	cr_assert(!!(c = inv_container_new()));
	cr_assert_eq(netns_read_ifaces(sleeper1, c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(netns_ino("/proc/thread-self/ns/net"), before, "thread netns restored");
	cr_expect_eq(c->nifaces, 1, "loopback skipped, eth0 kept (%zu)", c->nifaces);
	cr_assert(!!(i = find_iface(c, "eth0")));
	cr_expect(i->has_mac);
	cr_expect_arr_eq(i->mac, mac, 6);
	cr_expect(has_addr(i, "203.0.113.2", 24));
	cr_expect(has_addr(i, "2001:db8:5::2", 64));
	cr_expect_eq(i->host_ifindex, (int)if_nametoindex(hveth));
	snprintf(path, sizeof(path), "/run/netns/%s", ns1);
	cr_expect_eq(c->netns, (uint64_t)netns_ino(path));
	inv_container_free(c);
}

Test(netlink, resolves_host_side_and_host_addrs)
{
	struct inventory *inv;
	struct inv_container *c;
	const struct inv_iface *i;
	char err[256] = "";
	size_t k;
	int found = 0, lo = 0;

	need_root();
	cr_assert(!!(inv = inventory_new()));
	cr_assert(!!(c = inv_container_new()));
	cr_assert_eq(netns_read_ifaces(sleeper1, c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inventory_add(inv, c), 0);
	cr_assert_eq(host_links_resolve(inv, err, sizeof(err)), 0, "%s", err);
	cr_assert(!!(i = find_iface(c, "eth0")));
	cr_expect_str_eq(i->host_ifname, hveth);
	cr_expect_str_eq(i->bridge, br);
	for (k = 0; k < inv->nhost_addrs; k++) {
		const uint8_t *a = inv->host_addrs[k].addr;

		if (inv->host_addrs[k].family == 4 && a[0] == 198 && a[1] == 51 &&
		    a[2] == 100 && a[3] == 1)
			found = 1;
		if (inv->host_addrs[k].family == 4 && a[0] == 127)
			lo = 1;
	}
	cr_expect(found, "198.51.100.1 on the bridge is a host address");
	cr_expect(!lo, "no loopback address");
	/* Twice: the list is replaced, not appended to. */
	k = inv->nhost_addrs;
	cr_assert_eq(host_links_resolve(inv, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(inv->nhost_addrs, k);
	inventory_free(inv);
}

/* A veth whose peer is in the same namespace or in another container's
 * namespace has no host side, whatever its IFLA_LINK says. */
Test(netlink, peers_outside_the_host_are_not_host_veths)
{
	struct inv_container *c;
	const struct inv_iface *i;
	char err[256] = "";

	need_root();
	cr_assert_eq(sh("ip -n %s link add cin0 type veth peer name cin1 && "
	                "ip -n %s link add cx0 type veth peer name cx1 netns %s",
	                ns1, ns1, ns2), 0);
	cr_assert(!!(c = inv_container_new()));
	cr_assert_eq(netns_read_ifaces(sleeper1, c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c->nifaces, 4);
	cr_assert(!!(i = find_iface(c, "cin0")));
	cr_expect_eq(i->host_ifindex, 0);
	cr_assert(!!(i = find_iface(c, "cx0")));
	cr_expect_eq(i->host_ifindex, 0);
	cr_assert(!!(i = find_iface(c, "eth0")));
	cr_expect_eq(i->host_ifindex, (int)if_nametoindex(hveth));
	inv_container_free(c);
}

/* A process gone before the call, and a pid now in another namespace
 * than the one the container had: errors, not crashes, namespace kept. */
Test(netlink, vanished_or_reused_pid)
{
	struct inv_container *c;
	char err[256] = "";
	ino_t before = netns_ino("/proc/thread-self/ns/net");
	pid_t pid;

	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	cr_assert(!!(c = inv_container_new()));
	cr_expect_eq(netns_read_ifaces(pid, c, err, sizeof(err)), -1);
	cr_expect_neq(err[0], '\0');
	cr_expect_eq(c->nifaces, 0);
	err[0] = '\0';
	c->netns = 1;
	cr_expect_eq(netns_read_ifaces(getpid(), c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "network namespace") != NULL, "%s", err);
	cr_expect_eq(netns_read_ifaces(0, c, err, sizeof(err)), -1);
	cr_expect_eq(netns_ino("/proc/thread-self/ns/net"), before);
	inv_container_free(c);
}

/* Processes that leave while they are being read: each call either reads
 * the namespace (the open fd keeps it alive) or fails cleanly, and the
 * thread always ends up back home. */
Test(netlink, process_exiting_during_the_read)
{
	ino_t home = netns_ino("/proc/thread-self/ns/net");
	char path[64], err[256];
	int i, ok = 0, failed = 0, fd;

	need_root();
	snprintf(path, sizeof(path), "/run/netns/%s", ns1);
	for (i = 0; i < 60; i++) {
		struct inv_container *c = inv_container_new();
		pid_t pid = fork();

		cr_assert(c != NULL && pid >= 0);
		if (pid == 0) {
			if ((fd = open(path, O_RDONLY)) != -1)
				(void)!setns(fd, CLONE_NEWNET);
			_exit(0);
		}
		usleep((useconds_t)(i % 6) * 200);
		if (netns_read_ifaces(pid, c, err, sizeof(err)) == 0)
			ok++;
		else
			failed++;
		cr_assert_eq(netns_ino("/proc/thread-self/ns/net"), home);
		waitpid(pid, NULL, 0);
		inv_container_free(c);
	}
	cr_log_info("exiting processes: %d read, %d failed cleanly", ok, failed);
	cr_expect_eq(ok + failed, 60);
}

/* Drain what is pending, run cmd, and wait at most 100 ms after it for a
 * change to be reported. Returns the ms from the command's start. */
static long
change_after(struct nl_watch *w, const char *cmd)
{
	struct pollfd pfd = { .fd = nl_watch_fd(w), .events = POLLIN };
	uint64_t t0, deadline;
	int rc;

	while (nl_watch_drain(w) > 0)
		;
	t0 = now_ms();
	if (sh("%s", cmd) != 0)
		return -2;
	deadline = now_ms() + 100;
	for (;;) {
		uint64_t t = now_ms();

		if (t > deadline)
			return -1;
		if (poll(&pfd, 1, (int)(deadline - t)) <= 0)
			continue;
		if ((rc = nl_watch_drain(w)) > 0)
			return (long)(now_ms() - t0);
		if (rc < 0)
			return -3;
	}
}

Test(netlink, watch_reports_host_and_namespace_changes)
{
	struct nl_watch *w;
	char err[256] = "", cmd[256];
	long ms;

	need_root();
	cr_assert(!!(w = nl_watch_open(err, sizeof(err))), "%s", err);
	cr_assert_geq(nl_watch_fd(w), 0);
	/* ns2 has no link to the host: without add_netns its events would
	 * never reach a host socket. */
	cr_assert_eq(nl_watch_add_netns(w, sleeper2), 0);
	cr_assert_eq(nl_watch_add_netns(w, sleeper2), 0, "adding twice is harmless");
	cr_assert_eq(nl_watch_add_netns(w, sleeper1), 0);
	cr_assert_eq(nl_watch_add_netns(w, getpid()), 0, "own namespace");

	snprintf(cmd, sizeof(cmd), "ip -n %s link add nd0 type bridge", ns2);
	ms = change_after(w, cmd);
	cr_expect(ms >= 0, "link add in watched namespace: %ld", ms);
	cr_log_info("netns link add seen after %ld ms", ms);

	snprintf(cmd, sizeof(cmd), "ip -n %s addr add 203.0.113.77/24 dev nd0", ns2);
	ms = change_after(w, cmd);
	cr_expect(ms >= 0, "addr add in watched namespace: %ld", ms);

	snprintf(cmd, sizeof(cmd), "ip -n %s addr add 2001:db8:6::7/64 dev eth0 nodad", ns1);
	ms = change_after(w, cmd);
	cr_expect(ms >= 0, "IPv6 addr add in the veth namespace: %ld", ms);

	snprintf(cmd, sizeof(cmd), "ip link add %s type bridge", hdummy);
	ms = change_after(w, cmd);
	cr_expect(ms >= 0, "link add on the host: %ld", ms);
	cr_log_info("host link add seen after %ld ms", ms);

	snprintf(cmd, sizeof(cmd), "ip link del %s", hdummy);
	ms = change_after(w, cmd);
	cr_expect(ms >= 0, "link del on the host: %ld", ms);
	nl_watch_close(w);
}

/* The host sees other namespaces' notifications only for those it has an
 * id for: check that an event of ns2 (no link to the host, so no id until
 * nl_watch_add_netns) really arrives tagged with ns2's id, which host noise
 * (other containers starting) could not fake. Reads the watch fd itself,
 * which is the notification socket. */
static int
host_nsid_of(const char *ns)
{
	char cmd[128], line[256], want[64];
	int id = -1;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "ip netns list 2>/dev/null");
	snprintf(want, sizeof(want), "%s (id: ", ns);
	if (!(fp = popen(cmd, "r")))
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, want, strlen(want)) == 0)
			id = atoi(line + strlen(want));
	pclose(fp);
	return id;
}

static int
event_from_nsid(int fd, int nsid, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	char buf[65536], cbuf[CMSG_SPACE(sizeof(int)) * 4];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		                     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		uint64_t t = now_ms();

		if (t >= deadline || poll(&pfd, 1, (int)(deadline - t)) <= 0)
			return 0;
		if (recvmsg(fd, &mh, MSG_DONTWAIT) <= 0)
			continue;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == 270 /* SOL_NETLINK */ &&
			    cm->cmsg_type == 8 /* NETLINK_LISTEN_ALL_NSID */ &&
			    *(int *)CMSG_DATA(cm) == nsid)
				return 1;
	}
}

Test(netlink, watch_namespace_events_carry_its_id)
{
	struct nl_watch *w;
	char err[256] = "";
	int nsid;

	need_root();
	cr_assert(!!(w = nl_watch_open(err, sizeof(err))), "%s", err);
	cr_expect_eq(host_nsid_of(ns2), -1, "ns2 has no id before it is watched");
	cr_assert_eq(nl_watch_add_netns(w, sleeper2), 0);
	cr_assert_geq((nsid = host_nsid_of(ns2)), 0, "ns2 got an id");
	while (nl_watch_drain(w) > 0)
		;
	cr_assert_eq(sh("ip -n %s link add nd1 type bridge", ns2), 0);
	cr_expect(event_from_nsid(nl_watch_fd(w), nsid, 100),
	          "RTM_NEWLINK from ns2 (id %d) within 100 ms", nsid);
	nl_watch_close(w);
}

Test(netlink, watch_add_netns_of_gone_pid_fails_cleanly)
{
	struct nl_watch *w;
	char err[256] = "";
	pid_t pid;

	need_root();
	cr_assert(!!(w = nl_watch_open(err, sizeof(err))), "%s", err);
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	cr_expect_eq(nl_watch_add_netns(w, pid), -1);
	cr_expect_geq(nl_watch_drain(w), 0);
	nl_watch_close(w);
}

/* sock_diag needs no privilege for our own sockets. */

static int
bound_socket(int family, int type, const char *addr, int v6only, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s4->sin_addr);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		sl = sizeof(*s6);
	}
	if ((fd = socket(family, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 4) == -1) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int
owner(const struct sock_table *t, uint8_t proto, int family, const char *addr, uint16_t port)
{
	uint8_t a[16] = { 0 };

	inet_pton(family, addr, a);
	return sock_table_owner(t, proto, family, a, port);
}

Test(sockdiag, finds_own_sockets)
{
	struct sock_table *t;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	uint16_t ptcp, pudp, pwild, pcli;
	char err[256] = "";
	int ftcp, fudp, fwild, fcli;

	cr_assert((ftcp = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.1", 0, &ptcp)) >= 0);
	cr_assert((fudp = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", 0, &pudp)) >= 0);
	cr_assert((fwild = bound_socket(AF_INET, SOCK_DGRAM, "0.0.0.0", 0, &pwild)) >= 0);
	cr_assert((fcli = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(ptcp);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fcli, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fcli, (struct sockaddr *)&sin, &sl), 0);
	pcli = ntohs(sin.sin_port);

	cr_assert(!!(t = sock_table_dump(err, sizeof(err))), "%s", err);
	cr_expect_eq(owner(t, IPPROTO_TCP, AF_INET, "127.0.0.1", ptcp), getpid());
	cr_expect_eq(owner(t, IPPROTO_UDP, AF_INET, "127.0.0.1", pudp), getpid());
	cr_expect_eq(owner(t, IPPROTO_TCP, AF_INET, "127.0.0.1", pcli), getpid(),
	             "connected client socket");
	/* Wildcard UDP answers for any local address; 4 works as family too. */
	cr_expect_eq(owner(t, IPPROTO_UDP, AF_INET, "127.0.0.1", pwild), getpid());
	cr_expect_eq(owner(t, IPPROTO_UDP, 4, "127.0.0.1", pwild), getpid());
	/* Wrong protocol, other address on an exact bind. */
	cr_expect_eq(owner(t, IPPROTO_UDP, AF_INET, "127.0.0.1", ptcp), 0);
	cr_expect_eq(owner(t, IPPROTO_TCP, AF_INET, "127.0.0.2", ptcp), 0);
	cr_expect_eq(sock_table_owner(t, IPPROTO_TCP, 99, (const uint8_t *)"xxxxxxxxxxxxxxxx", ptcp), 0);
	cr_expect_eq(sock_table_owner(NULL, IPPROTO_TCP, AF_INET, NULL, ptcp), 0);
	sock_table_free(t);
	close(ftcp);
	close(fudp);
	close(fwild);
	close(fcli);
}

Test(sockdiag, ipv6_and_dual_stack)
{
	struct sock_table *t;
	uint16_t p6, pdual, ponly;
	char err[256] = "";
	int f6, fdual, fonly;

	if ((f6 = bound_socket(AF_INET6, SOCK_STREAM, "::1", 1, &p6)) == -1)
		cr_skip_test("no IPv6 loopback");
	cr_assert((fdual = bound_socket(AF_INET6, SOCK_STREAM, "::", 0, &pdual)) >= 0);
	cr_assert((fonly = bound_socket(AF_INET6, SOCK_DGRAM, "::", 1, &ponly)) >= 0);
	cr_assert(!!(t = sock_table_dump(err, sizeof(err))), "%s", err);
	cr_expect_eq(owner(t, IPPROTO_TCP, AF_INET6, "::1", p6), getpid());
	cr_expect_eq(owner(t, IPPROTO_TCP, AF_INET6, "::1", pdual), getpid());
	cr_expect_eq(owner(t, IPPROTO_TCP, AF_INET, "127.0.0.1", pdual), getpid(),
	             "IPv4 to a dual-stack listener");
	cr_expect_eq(owner(t, IPPROTO_UDP, AF_INET6, "::1", ponly), getpid());
	cr_expect_eq(owner(t, IPPROTO_UDP, AF_INET, "127.0.0.1", ponly), 0,
	             "IPV6_V6ONLY socket takes no IPv4");
	sock_table_free(t);
	close(f6);
	close(fdual);
	close(fonly);
}
