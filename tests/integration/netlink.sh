#!/bin/sh
# tests/integration/netlink.sh — netlink at scale: N network namespaces
# (default 1,000), each with one veth to a bridge and an IPv4 and an IPv6
# address, read through netns_read_ifaces; the host side resolved with
# host_links_resolve; all of them watched with nl_watch. Prints the cost in
# ms per namespace. Needs root; no traffic; removes everything it made.
#
#	tests/integration/netlink.sh            # NETLINK_SCALE_N=200 for a quick run
#
# Addresses are from 198.18.0.0/15 (RFC 2544, benchmarking) and
# 2001:db8::/32, only inside the namespaces this script creates.
. "$(dirname "$0")/lib.sh"
it_init netlink
it_need_root

N=${NETLINK_SCALE_N:-1000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=$$
# Names stay under IFNAMSIZ: "cs" + pid + "v" + index <= 15 characters.
NSP=cnmsc$P-
VP=cs${P}v
BR=cs${P}br
B=$IT_TMP

command -v ip >/dev/null || it_skip "no ip(8)"
for m in libnl-3.0 libnl-route-3.0 libmnl; do
	pkg-config --exists $m || it_skip "no $m (contrib/install-deps.sh)"
done

# Cleanup first registered, so it runs last: links, then namespaces, then
# the bridge; each a batch so 1,000 of them take seconds, not minutes.
cleanup_all() {
	i=0
	: >"$B/del-links" ; : >"$B/del-ns"
	while [ $i -lt "$N" ]; do
		echo "link del $VP$i" >>"$B/del-links"
		echo "netns del $NSP$i" >>"$B/del-ns"
		i=$((i + 1))
	done
	ip -force -batch "$B/del-links" >/dev/null 2>&1
	ip -force -batch "$B/del-ns" >/dev/null 2>&1
	ip link del "$BR" >/dev/null 2>&1
}
# lib.sh removes $IT_TMP after the cleanups, which need the batch files.
it_cleanup 'cleanup_all'

cat >"$B/driver.c" <<'EOF'
/* netlink.sh's driver: one process parked in each namespace (dies with
 * us), then netns_read_ifaces on each, host_links_resolve once, nl_watch
 * over all. Prints "ok DESC" / "FAIL DESC" and "stat NAME VALUE". */
#include <sys/prctl.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "inventory.h"
#include "log.h"
#include "netlink.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
check(int ok, const char *what, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "ok" : "FAIL", what, detail[0] ? ": " : "", detail);
}

static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	int n = atoi(argv[1]), i, bad = 0, badres = 0, rdy[2];
	const char *nsp = argv[2], *vp = argv[3], *br = argv[4];
	struct inventory *inv = inventory_new();
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	char err[256], detail[512] = "", path[128], c;
	struct nl_watch *w;
	double t0, t1;

	log_init("netlink-driver", LOG_LVL_WARN);
	if (pipe(rdy) == -1 || !inv || !pids)
		return 2;
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0) {
			int fd;
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			snprintf(path, sizeof(path), "/run/netns/%s%d", nsp, i);
			if ((fd = open(path, O_RDONLY)) == -1 || setns(fd, CLONE_NEWNET) == -1)
				_exit(1);
			(void)!write(rdy[1], "r", 1);
			pause();
			_exit(0);
		}
	}
	for (i = 0; i < n; i++)
		if (read(rdy[0], &c, 1) != 1)
			return 2;

	t0 = now();
	for (i = 0; i < n; i++) {
		struct inv_container *ct = inv_container_new();
		if (!ct || netns_read_ifaces(pids[i], ct, err, sizeof(err)) < 0) {
			if (!bad++)
				snprintf(detail, sizeof(detail), "ns %d: %s", i, err);
			inv_container_free(ct);
			continue;
		}
		inventory_add(inv, ct);
	}
	t1 = now();
	check(bad == 0, "every namespace read", detail);
	printf("stat read_ms_per_ns %.3f\n", (t1 - t0) / n);
	printf("stat read_ms_total %.1f\n", t1 - t0);

	t0 = now();
	if (host_links_resolve(inv, err, sizeof(err)) < 0)
		check(0, "host_links_resolve", err);
	t1 = now();
	printf("stat resolve_ms_total %.1f\n", t1 - t0);
	detail[0] = '\0';
	for (i = 0; i < (int)inv->n; i++) {
		const struct inv_container *ct = inv->c[i];
		const struct inv_iface *f = ct->nifaces == 1 ? &ct->ifaces[0] : NULL;
		char want[IF_NAMESIZE];
		int k = -1;
		/* Which namespace this is: by its v4 address 198.18.X.Y. */
		if (f && f->naddrs && f->addrs[0].family == 4)
			k = (f->addrs[0].addr[2] << 8 | f->addrs[0].addr[3]) - 1;
		snprintf(want, sizeof(want), "%s%d", vp, k);
		if (!f || strcmp(f->name, "eth0") || !f->has_mac || f->naddrs < 2 || k < 0 ||
		    f->host_ifindex != (int)if_nametoindex(want) ||
		    strcmp(f->host_ifname, want) || strcmp(f->bridge, br)) {
			if (!badres++)
				snprintf(detail, sizeof(detail), "container %d: iface %s host %s/%d bridge %s, want %s",
				         i, f ? f->name : "-", f ? f->host_ifname : "-",
				         f ? f->host_ifindex : 0, f ? f->bridge : "-", want);
		}
	}
	check(badres == 0 && (int)inv->n == n, "each eth0 has its own host veth and the bridge", detail);

	if (!(w = nl_watch_open(err, sizeof(err)))) {
		check(0, "nl_watch_open", err);
		return 1;
	}
	i = nfds();
	t0 = now();
	bad = 0;
	for (i = 0; i < n; i++)
		bad += nl_watch_add_netns(w, pids[i]) < 0;
	t1 = now();
	snprintf(detail, sizeof(detail), "%d failed", bad);
	check(bad == 0, "every namespace watched", detail);
	printf("stat watch_add_ms_per_ns %.3f\n", (t1 - t0) / n);
	snprintf(detail, sizeof(detail), "%d fds open", nfds());
	check(nfds() < 16, "watching them all costs no fd per namespace", detail);
	while (nl_watch_drain(w) > 0)
		;
	{
		struct pollfd pfd = { .fd = nl_watch_fd(w), .events = POLLIN };
		char cmd[256];
		double ms = -1;
		snprintf(cmd, sizeof(cmd), "ip -n %s%d addr add 2001:db8:ffff::1/64 dev eth0 nodad", nsp, n - 1);
		t0 = now();
		if (system(cmd) == 0 && poll(&pfd, 1, 100) == 1 && nl_watch_drain(w) > 0)
			ms = now() - t0;
		snprintf(detail, sizeof(detail), "%.1f ms", ms);
		check(ms >= 0, "address added in the last namespace seen", detail);
	}
	nl_watch_close(w);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	inventory_free(inv);
	free(pids);
	return 0;
}
EOF

# shellcheck disable=SC2046
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -I"$ROOT/include" \
	$(pkg-config --cflags libnl-3.0 libnl-route-3.0 libmnl) -o "$B/driver" "$B/driver.c" \
	"$ROOT/src/netlink-ifaces.c" "$ROOT/src/netlink-watch.c" "$ROOT/src/inventory.c" \
	"$ROOT/src/log.c" $(pkg-config --libs libnl-3.0 libnl-route-3.0 libmnl) 2>"$B/cc.log"; then
	cat "$B/cc.log" >&2
	it_fatal "driver does not build"
fi

# Setup in batches: ip -batch for what it can do in the host, one
# `ip -n NS -batch` per namespace for the inside.
t0=$(date +%s%N)
ip link add "$BR" type bridge || it_fatal "bridge"
ip link set "$BR" up || it_fatal "bridge up"
i=0
: >"$B/add-ns"; : >"$B/add-links"
while [ $i -lt "$N" ]; do
	echo "netns add $NSP$i" >>"$B/add-ns"
	echo "link add $VP$i type veth peer name eth0 netns $NSP$i" >>"$B/add-links"
	echo "link set $VP$i master $BR up" >>"$B/add-links"
	i=$((i + 1))
done
ip -batch "$B/add-ns" || it_fatal "creating namespaces"
ip -batch "$B/add-links" || it_fatal "creating veths"
i=0
while [ $i -lt "$N" ]; do
	hi=$(( (i + 1) / 256 )); lo=$(( (i + 1) % 256 ))
	printf 'link set lo up\nlink set eth0 up\naddr add 198.18.%d.%d/15 dev eth0\naddr add 2001:db8:%x::2/64 dev eth0 nodad\n' \
		$hi $lo $((i + 1)) | ip -n "$NSP$i" -batch - || it_fatal "addresses in $NSP$i"
	i=$((i + 1))
done
t1=$(date +%s%N)
it_log "set up $N namespaces in $(( (t1 - t0) / 1000000 )) ms"

"$B/driver" "$N" "$NSP" "$VP" "$BR" >"$B/out" 2>"$B/err"
rc=$?
while read -r kind rest; do
	case $kind in
	ok) it_pass "$rest" ;;
	FAIL) it_fail "$rest" ;;
	stat) echo "     $rest" ;;
	esac
done <"$B/out"
[ -s "$B/err" ] && head -20 "$B/err" >&2
it_eq "driver exit status" "$rc" 0

t0=$(date +%s%N)
cleanup_all
t1=$(date +%s%N)
it_log "removed them in $(( (t1 - t0) / 1000000 )) ms"
left=$( { ip netns list; ip -o link show; } | grep -c -e "$NSP" -e "$VP" -e "$BR")
it_eq "nothing left behind" "$left" 0
it_finish
