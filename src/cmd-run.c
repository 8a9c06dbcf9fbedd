/* cmd-run.c — `cnetmon run`: capture live, attribute, emit flow records.
 *
 * One thread, one poll loop over every capture's selectable fd and the
 * netlink watch. Without -i it captures on the host side of every
 * container's veth that the inventory knows, following containers as they
 * come and go. A frame between two containers crosses both their veths;
 * it is counted once, at the sender's: on a container's veth, a frame whose
 * source MAC belongs to another captured container is that one's, and is
 * dropped here.
 *
 * Settings: run-settings.c. SIGHUP parses them again and reloads the
 * profiles, all or nothing: a broken profile leaves the running ones in
 * force. Settings that cannot change in place are named for a restart.
 *
 * Privileges: captures, netlink sockets and sinks are opened as root; then
 * the daemon becomes --user (default "cnetmon" when it exists) keeping only
 * the capabilities it still needs for containers that start later: packet
 * sockets, setns into their namespaces, reading their /proc entries.
 *
 * SIGTERM/SIGINT: every open flow is finished and written, then exit 0.
 *
 * `learn --live` runs the same start-up and loop through run_with(), with
 * hooks (run-settings.h): its learner is a record consumer told of every rescan,
 * and the loop stops by itself after the learning period. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cap-ng.h>

#include "cmd.h"
#include "duration.h"
#include "daemon.h"
#include "engine.h"
#include "graph.h"
#include "log.h"
#include "metrics.h"
#include "nat.h"
#include "netlink.h"
#include "profile.h"
#include "run-settings.h"
#include "scan.h"

#define MAX_CAPS    RUN_MAX_IFACES
#define PER_ROUND   256        /* packets from one capture before looking at the others */


struct cap {
	struct capture *c;
	char name[IF_NAMESIZE];
	int ifindex;
	int iface;                       /* engine interface id */
	int fixed;                       /* from -i: never closed for vanishing */
	int alive;                       /* still wanted after the last rescan */
	unsigned long long dropped;      /* kernel drops last seen */
	const struct inv_container *owner; /* the container behind this veth, or NULL */
};

struct run {
	struct engine *e;
	struct scanner *sc;
	const struct inventory *inv;
	struct cap caps[MAX_CAPS];
	int ncaps;
	int autocap;                     /* no -i: follow containers' veths */
	int bufsize;
	const char *bpf;
	unsigned long long deduped;
	/* Owners of the captured veths, sorted by address: the count-once rule
	 * asks per frame whether the sender's veth is captured too. */
	const struct inv_container **captured;
	size_t ncaptured;
	struct nat_table *nat;
	struct metrics_server *metrics;
	struct output **outs;
	int nouts;
	struct run_settings s;           /* as started */
	struct run_settings reloaded;    /* the last SIGHUP's, whose profile paths are in force */
	struct profile_set *profiles;    /* in force (the engine borrows it) */
	uint64_t alerts_flushed;         /* alerts emitted when sinks were last flushed */
	struct graph *graph;             /* -g: every record since start */
	uint64_t graph_next_ms;          /* --graph-interval */
	int argc;                        /* to parse again on SIGHUP */
	char **argv;
	const struct run_hooks *h;       /* learn --live; NULL for run */
};

/* ---- privileges -------------------------------------------------------- */

/* Become user, keeping what a running daemon needs for containers that start
 * later. "" or "root": stay root. -1 on failure (logged). */
static int
drop_privileges(const char *user, int explicit)
{
	struct passwd *pw;
	int r;

	if (getuid() != 0 || !strcmp(user, "root") || !*user)
		return 0;
	if (!(pw = getpwnam(user))) {
		if (explicit) {
			log_warnx("--user %s: no such user", user);
			return -1;
		}
		log_info("no user '%s': staying root", user);
		return 0;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	r = capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	                  CAP_NET_RAW,          /* packet sockets for new veths */
	                  CAP_NET_ADMIN,        /* netlink, ring setup */
	                  CAP_SYS_ADMIN,        /* setns into container namespaces */
	                  CAP_SYS_PTRACE,       /* /proc/PID/ns of other users' processes */
	                  CAP_DAC_READ_SEARCH,  /* runtime state, /proc/PID/fd */
	                  -1);
	if (r < 0 || capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
	                             CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0) {
		log_warnx("--user %s: could not switch with capabilities kept (libcap-ng)", user);
		return -1;
	}
	log_info("running as %s (uid %u) with net_raw, net_admin, sys_admin, sys_ptrace, "
	         "dac_read_search", user, (unsigned)pw->pw_uid);
	return 0;
}

static struct cap *
cap_find(struct run *r, int ifindex, const char *name)
{
	int i;

	for (i = 0; i < r->ncaps; i++)
		if ((ifindex && r->caps[i].ifindex == ifindex) || !strcmp(r->caps[i].name, name))
			return &r->caps[i];
	return NULL;
}

static int
cap_open(struct run *r, const char *name, int fixed)
{
	struct cap *k;
	char err[512];
	struct capture *c;

	if (r->ncaps == MAX_CAPS) {
		log_warnx("%s: not captured: at most %d interfaces", name, MAX_CAPS);
		return -1;
	}
	if (!(c = capture_live_open(name, r->bufsize, r->bpf, err, sizeof(err)))) {
		log_warnx("capture %s", err);
		return -1;
	}
	k = &r->caps[r->ncaps++];
	memset(k, 0, sizeof(*k));
	k->c = c;
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->ifindex = capture_live_ifindex(c);
	k->iface = engine_iface(r->e, name);
	k->fixed = fixed;
	k->alive = 1;
	engine_iface_ifindex(r->e, k->iface, k->ifindex);
	log_info("capturing on %s (ifindex %d)", name, k->ifindex);
	return 0;
}

static void
cap_close(struct run *r, int i, const char *why)
{
	log_info("%s: capture closed (%s)", r->caps[i].name, why);
	capture_close(r->caps[i].c);
	r->caps[i] = r->caps[--r->ncaps];
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

/* Once per change of captures or inventory, not per packet: who is behind
 * each capture, and the sorted set of them. */
static void
index_captures(struct run *r)
{
	const struct inv_container **set;
	int i;

	r->ncaptured = 0;
	if (!(set = realloc(r->captured, sizeof(*set) * (size_t)(r->ncaps ? r->ncaps : 1))))
		return;
	r->captured = set;
	for (i = 0; i < r->ncaps; i++) {
		r->caps[i].owner = attrib_by_host_ifindex(engine_attrib(r->e), r->caps[i].ifindex);
		if (r->caps[i].owner)
			set[r->ncaptured++] = r->caps[i].owner;
	}
	qsort(set, r->ncaptured, sizeof(*set), cmp_ptr);
}

/* After a rescan: attribution from the new inventory; without -i, capture
 * on new containers' veths and let go of the vanished ones'. */
static void
follow_inventory(struct run *r)
{
	size_t i, k;
	int j;

	engine_set_inventory(r->e, r->inv);
	if (!r->autocap) {
		index_captures(r);
		return;
	}
	for (j = 0; j < r->ncaps; j++)
		r->caps[j].alive = 0;
	for (i = 0; i < r->inv->n; i++) {
		const struct inv_container *c = r->inv->c[i];
		if (c->gone_ns || c->host_network)
			continue;
		for (k = 0; k < c->nifaces; k++) {
			const struct inv_iface *f = &c->ifaces[k];
			struct cap *cp;
			if (!f->host_ifname[0])
				continue;
			if ((cp = cap_find(r, f->host_ifindex, f->host_ifname)))
				cp->alive = 1;
			else
				cap_open(r, f->host_ifname, 0);
		}
	}
	for (j = r->ncaps - 1; j >= 0; j--)
		if (!r->caps[j].alive && !r->caps[j].fixed)
			cap_close(r, j, "its container is gone");
	index_captures(r);
}

/* Per sink, labelled by its spec: what it took, delivered, queued, spooled
 * and lost (DESIGN: no sink loses a record silently). */
static void
sink_metrics(struct strbuf *out, struct run *r, struct strbuf *lab)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} m[] = {
#define F(f) offsetof(struct output_stats, f)
		{ "cnetmon_sink_records_total", "counter", "Records given to the sink.", F(accepted) },
		{ "cnetmon_sink_delivered_total", "counter",
		  "Records written, or acknowledged by the collector.", F(delivered) },
		{ "cnetmon_sink_queued_records", "gauge", "Records waiting in memory.", F(queued) },
		{ "cnetmon_sink_spooled_total", "counter", "Records that went to the spool.", F(spooled) },
		{ "cnetmon_sink_spool_records", "gauge", "Records waiting in the spool.", F(spool_records) },
		{ "cnetmon_sink_spool_bytes", "gauge", "Bytes in the spool.", F(spool_bytes) },
		{ "cnetmon_sink_dropped_total", "counter",
		  "Records lost at the queue or spool cap (oldest first).", F(dropped) },
		{ "cnetmon_sink_failures_total", "counter", "Failed connects and sends.", F(failures) },
		{ "cnetmon_sink_reconnects_total", "counter", "Connections made after the first.",
		  F(reconnects) },
		{ "cnetmon_sink_truncated_total", "counter", "Syslog datagrams cut at the size limit.",
		  F(truncated) },
#undef F
	};
	struct output_stats st[2 * RUN_MAX_SINKS];
	size_t k;
	int i;

	for (i = 0; i < r->nouts; i++)
		st[i] = output_stats(r->outs[i]);
	for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		metrics_family(out, m[k].name, m[k].type, m[k].help);
		for (i = 0; i < r->nouts; i++)
			metrics_sample(out, m[k].name, metrics_label(lab, "sink", r->outs[i]->spec),
			               *(const uint64_t *)((const char *)&st[i] + m[k].off));
	}
}

/* /metrics: what the daemon has done, per interface and overall. */
static void
render_metrics(struct strbuf *out, void *data)
{
	struct run *r = data;
	const struct engine_stats *es = engine_stats(r->e);
	const struct flow_stats *fs = engine_flow_stats(r->e);
	struct strbuf lab;
	unsigned long long undecoded = 0, running = 0, gone = 0;
	int i, k;
	size_t c;

	strbuf_init(&lab, 128);
	metrics_one(out, "cnetmon_packets_total", "counter",
	            "Packets read from all captures.", es->packets);
	metrics_one(out, "cnetmon_bytes_total", "counter",
	            "Bytes on the wire of those packets.", es->bytes);
	for (k = 0; k < 2; k++) {
		metrics_family(out, k ? "cnetmon_interface_kernel_drops_total" :
		                        "cnetmon_interface_packets_total", "counter",
		               k ? "Packets the kernel dropped because the capture ring was full." :
		                   "Packets captured on the interface.");
		for (i = 0; i < r->ncaps; i++) {
			unsigned long long rx = 0, dr = 0;
			capture_live_stats(r->caps[i].c, &rx, &dr);
			metrics_sample(out, k ? "cnetmon_interface_kernel_drops_total" :
			                        "cnetmon_interface_packets_total",
			               metrics_label(&lab, "interface", r->caps[i].name), k ? dr : rx);
		}
	}
	metrics_one(out, "cnetmon_frames_deduplicated_total", "counter",
	            "Frames between two captured containers, counted at the sender's veth only.",
	            r->deduped);
	for (k = 1; k < DEC_REASON_MAX; k++)
		undecoded += es->undecoded[k];
	metrics_one(out, "cnetmon_packets_undecoded_total", "counter",
	            "Packets that made no flow (not IP, or damaged).", undecoded);
	metrics_one(out, "cnetmon_flows_active", "gauge",
	            "Flows in the table now.", fs->active);
	metrics_one(out, "cnetmon_flows_created_total", "counter",
	            "Flows started.", fs->created);
	metrics_one(out, "cnetmon_flow_records_total", "counter",
	            "Flow records emitted (active-timeout parts included).", fs->records);
	metrics_one(out, "cnetmon_flows_evicted_total", "counter",
	            "Flows finished early because the table was full (--max-flows).", fs->evicted);
	metrics_one(out, "cnetmon_flows_denied_total", "counter",
	            "Flows a profile denied (violations), folded or not.", es->violations);
	metrics_one(out, "cnetmon_alerts_total", "counter",
	            "Alerts emitted (a folded alert counts once).", es->alerts);
	metrics_family(out, "cnetmon_flows_judged_total", "counter",
	               "Flows judged by the profiles, by verdict.");
	for (k = 0; k < 3; k++)
		metrics_sample(out, "cnetmon_flows_judged_total",
		               metrics_label(&lab, "verdict", verdict_name((enum verdict)k)),
		               es->verdicts[k]);
	sink_metrics(out, r, &lab);
	for (c = 0; r->inv && c < r->inv->n; c++) {
		if (r->inv->c[c]->gone_ns)
			gone++;
		else
			running++;
	}
	metrics_family(out, "cnetmon_containers", "gauge",
	               "Containers in the inventory: running, or gone but kept for their grace period.");
	metrics_sample(out, "cnetmon_containers", "state=\"running\"", running);
	metrics_sample(out, "cnetmon_containers", "state=\"gone\"", gone);
	if (r->nat) {
		const struct nat_stats *ns = nat_stats(r->nat);
		metrics_one(out, "cnetmon_nat_entries", "gauge",
		            "Translated connections known from conntrack.", ns->entries);
		metrics_one(out, "cnetmon_nat_event_losses_total", "counter",
		            "Times conntrack events were lost (ENOBUFS) and the table was dumped again.",
		            ns->enobufs);
	}
	strbuf_free(&lab);
}

/* Count-once rule for a frame captured on container veth k. */
static int
is_other_containers_frame(struct run *r, const struct cap *k, const struct pkt *p)
{
	const struct inv_container *sender;

	if (!r->autocap || p->link != LINK_ETHERNET || p->caplen < 14)
		return 0;
	sender = attrib_by_mac(engine_attrib(r->e), p->data + 6);
	if (!sender || sender == k->owner)
		return 0;
	return bsearch(&sender, r->captured, r->ncaptured, sizeof(*r->captured), cmp_ptr) != NULL;
}

static void
check_drops(struct run *r)
{
	int i;

	for (i = 0; i < r->ncaps; i++) {
		unsigned long long rx, dr;
		if (capture_live_stats(r->caps[i].c, &rx, &dr) < 0 || dr <= r->caps[i].dropped)
			continue;
		log_warnx("%s: the kernel dropped %llu packets (%llu in all): the ring "
		          "(--buffer-size) is too small for this rate",
		          r->caps[i].name, dr - r->caps[i].dropped, dr);
		r->caps[i].dropped = dr;
	}
}

static void reload(struct run *r);

/* The graph so far, written whole (graph_write renames into place, so a
 * reader never sees half of it). */
static void
write_graph(struct run *r, const char *why)
{
	char err[256];

	if (!r->graph)
		return;
	if (graph_write(r->graph, (enum graph_format)r->s.graph_format, r->s.graph, err,
	                sizeof(err)) < 0)
		log_warnx("-g %s", err);
	else
		log_debug("graph written to %s (%s): %zu nodes, %zu edges, %llu world addresses "
		          "folded past %d", r->s.graph, why, graph_nnodes(r->graph),
		          graph_nedges(r->graph), (unsigned long long)graph_world_folded(r->graph),
		          RUN_GRAPH_MAX_WORLD);
}

static int
loop(struct run *r, struct nl_watch *w)
{
	struct pollfd pfd[MAX_CAPS + 2 + METRICS_MAX_FDS];
	struct rescan_clock rc;
	uint64_t next_tick = 0, stop_ms = 0;
	char err[256];

	rescan_clock_init(&rc, clock_ns(CLOCK_MONOTONIC) / 1000000);
	if (r->h && r->h->stop_after_ns)
		stop_ms = clock_ns(CLOCK_MONOTONIC) / 1000000 + r->h->stop_after_ns / 1000000;
	while (!daemon_stop) {
		uint64_t now_ms = clock_ns(CLOCK_MONOTONIC) / 1000000;
		int i, n, timeout = rescan_clock_timeout(&rc, now_ms), event = 0, due, nm = 0;

		if (stop_ms && now_ms >= stop_ms) {
			log_info("the period of %.1f s is over", (double)r->h->stop_after_ns / 1e9);
			break;
		}
		if (timeout > 1000)
			timeout = 1000;
		if (stop_ms && stop_ms - now_ms < (uint64_t)timeout)
			timeout = (int)(stop_ms - now_ms);
		if (r->metrics) {
			int mt = metrics_timeout_ms(r->metrics);
			if (mt >= 0 && mt < timeout)
				timeout = mt;
		}
		for (i = 0; i < r->ncaps; i++) {
			pfd[i].fd = capture_live_fd(r->caps[i].c);
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[r->ncaps].fd = nl_watch_fd(w);
		pfd[r->ncaps].events = POLLIN;
		pfd[r->ncaps].revents = 0;
		pfd[r->ncaps + 1].fd = r->nat ? nat_fd(r->nat) : -1;
		pfd[r->ncaps + 1].events = POLLIN;
		pfd[r->ncaps + 1].revents = 0;
		if (r->metrics)
			nm = metrics_pollfds(r->metrics, &pfd[r->ncaps + 2], METRICS_MAX_FDS);
		n = poll(pfd, (nfds_t)(r->ncaps + 2 + nm), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return 2;
		}
		if (r->metrics)
			metrics_service(r->metrics);
		/* Conntrack first: a connection's NAT entry is made when its
		 * first packet passes, so read it before that packet is. */
		if (r->nat && pfd[r->ncaps + 1].revents && nat_drain(r->nat) < 0)
			log_warnx("conntrack: reading events failed");
		/* Captures: drain each a round at a time. TPACKET_V3 hands out
		 * blocks on its timeout too, so read even without POLLIN. */
		for (i = r->ncaps - 1; i >= 0; i--) {
			struct cap *k = &r->caps[i];
			struct pkt p;
			int got = 0, rv = 0;

			while (got < PER_ROUND && (rv = capture_next(k->c, &p)) == 1) {
				got++;
				if (is_other_containers_frame(r, k, &p)) {
					r->deduped++;
					continue;
				}
				engine_packet(r->e, &p, k->iface);
			}
			if (rv < 0) {
				if (k->fixed)
					log_warnx("%s", capture_error(k->c));
				cap_close(r, i, k->fixed ? "error" : "interface gone");
				index_captures(r);
			}
		}
		/* An alert goes out now, not when a buffer fills: the time from
		 * packet to collector is the attacker's dwell time. */
		if (engine_stats(r->e)->alerts != r->alerts_flushed) {
			r->alerts_flushed = engine_stats(r->e)->alerts;
			for (i = 0; i < r->nouts; i++)
				output_flush(r->outs[i]);
		}
		now_ms = clock_ns(CLOCK_MONOTONIC) / 1000000;
		if (pfd[r->ncaps].revents && nl_watch_drain(w) != 0) {
			event = 1;
			rescan_clock_event(&rc, now_ms);
		}
		if ((due = rescan_clock_due(&rc, now_ms, event))) {
			const struct inventory *inv;
			if ((inv = scanner_scan(r->sc, clock_ns(CLOCK_REALTIME), due == 2, err,
			                        sizeof(err)))) {
				r->inv = inv;
				follow_inventory(r);
				if (r->h && r->h->on_rescan)
					r->h->on_rescan(inv, r->h->data);
				if (r->graph)
					graph_set_host_addrs(r->graph, inv->host_addrs, inv->nhost_addrs);
				for (size_t c = 0; c < inv->n; c++)
					if (!inv->c[c]->gone_ns && !inv->c[c]->host_network)
						nl_watch_add_netns(w, inv->c[c]->pid);
			} else {
				log_warnx("%s", err);
			}
		}
		if (daemon_hup) {
			daemon_hup = 0;
			if (r->h)
				log_info("SIGHUP: nothing to reload while learning");
			else
				reload(r);
		}
		if (daemon_usr1) {
			daemon_usr1 = 0;
			write_graph(r, "SIGUSR1");
		}
		if (r->graph && r->s.graph_interval_ns && now_ms >= r->graph_next_ms) {
			if (r->graph_next_ms)
				write_graph(r, "interval");
			r->graph_next_ms = now_ms + r->s.graph_interval_ns / 1000000;
		}
		if (now_ms >= next_tick) {
			engine_tick(r->e, clock_ns(CLOCK_REALTIME));
			check_drops(r);
			for (i = 0; i < r->nouts; i++)
				output_flush(r->outs[i]);
			next_tick = now_ms + 1000;
		}
	}
	return 0;
}

/* A profile directory anyone may write to is a policy anyone may change:
 * refuse it (and a world-writable profile file, or its directory). On a
 * read-only file system the mode bits give nothing away: Kubernetes mounts
 * a ConfigMap's directory 0777 (or 1777), read-only in the pod. */
static int
world_writable(const char *path, const struct stat *st)
{
	struct statvfs fs;

	if (!(st->st_mode & S_IWOTH))
		return 0;
	return !(statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY));
}

static int
profiles_safe(const char *const *paths, int n)
{
	struct stat st;
	char dir[4096], *slash;
	int i, ok = 1;

	for (i = 0; i < n; i++) {
		if (stat(paths[i], &st) < 0)
			continue;       /* the loader says what is wrong */
		if (world_writable(paths[i], &st)) {
			log_warnx("%s: world-writable: anyone could change the policy; refusing it "
			          "(chmod o-w)", paths[i]);
			ok = 0;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			continue;
		snprintf(dir, sizeof(dir), "%s", paths[i]);
		if ((slash = strrchr(dir, '/')))
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		/* A sticky directory (/tmp) lets no one replace another's file. */
		if (stat(dir, &st) == 0 && world_writable(dir, &st) && !(st.st_mode & S_ISVTX)) {
			log_warnx("%s: its directory %s is world-writable; refusing it", paths[i], dir);
			ok = 0;
		}
	}
	return ok;
}

/* Load the profiles s names, checked against the inventory: 0, or the
 * number of errors (each printed as FILE:LINE:COL: message). */
static int
profiles_load(const struct run_settings *s, const struct inventory *inv,
              struct profile_set **setp)
{
	struct profile_set *set;
	int errors;

	*setp = NULL;
	if (!profiles_safe(s->profiles, s->nprofiles))
		return 1;
	if (!(set = calloc(1, sizeof(*set))))
		fatal("profiles");
	errors = profile_load_paths(set, s->profiles, s->nprofiles, inv, profile_error_stderr,
	                            NULL);
	if (errors) {
		profile_set_free(set);
		free(set);
		return errors;
	}
	*setp = set;
	return 0;
}

static void
profiles_free(struct profile_set *set)
{
	if (set) {
		profile_set_free(set);
		free(set);
	}
}

static int
lists_differ(const char *const *a, int na, const char *const *b, int nb)
{
	int i;

	if (na != nb)
		return 1;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return 1;
	return 0;
}

/* What SIGHUP can change in place; the rest is named and waits for a
 * restart. */
static void
note_restart_settings(const struct run_settings *o, const struct run_settings *n)
{
#define SAME_STR(a, b) ((!(a) && !(b)) || ((a) && (b) && !strcmp((a), (b))))
#define LIST_DIFF(la, na, lb, nb) lists_differ((la), (na), (lb), (nb))
	if (LIST_DIFF(o->ifaces, o->nifaces, n->ifaces, n->nifaces))
		log_warnx("reload: interface changes take effect at restart");
	if (LIST_DIFF(o->flow_sinks, o->nflow, n->flow_sinks, n->nflow) ||
	    LIST_DIFF(o->alert_sinks, o->nalert, n->alert_sinks, n->nalert))
		log_warnx("reload: sink changes take effect at restart (sinks were reopened)");
	if (!SAME_STR(o->bpf, n->bpf) || o->bufsize != n->bufsize || !SAME_STR(o->user, n->user) ||
	    !SAME_STR(o->metrics, n->metrics) || !SAME_STR(o->node, n->node) ||
	    memcmp(&o->fc, &n->fc, sizeof(o->fc)) || o->alert_window_ns != n->alert_window_ns ||
	    !SAME_STR(o->graph, n->graph) || o->graph_interval_ns != n->graph_interval_ns)
		log_warnx("reload: capture, flow-table, alert-window, graph, user and metrics "
		          "settings take effect at restart");
#undef LIST_DIFF
#undef SAME_STR
}

/* SIGHUP: settings and profiles again, all or nothing. A broken profile or
 * setting leaves everything in force as it was. */
static void
reload(struct run *r)
{
	struct run_settings n;
	struct profile_set *set;
	int i;

	for (i = 0; i < r->nouts; i++)
		output_reopen(r->outs[i]);
	if (run_settings_parse(&n, r->argc, r->argv) != 0 || n.help) {
		log_warnx("reload: settings not reloaded, the running ones stay");
		run_settings_free(&n);
		return;
	}
	if (profiles_load(&n, r->inv, &set)) {
		log_warnx("reload: profiles not reloaded, the running ones stay");
		run_settings_free(&n);
		return;
	}
	if (engine_set_profiles(r->e, n.nprofiles ? set : NULL, n.strict) < 0) {
		log_warn("reload: profiles");
		profiles_free(set);
		run_settings_free(&n);
		return;
	}
	profiles_free(r->profiles);
	r->profiles = set;
	note_restart_settings(&r->s, &n);
	/* Keep the running settings (what the daemon was started with) but the
	 * profile list and strictness, which are now in force. */
	run_settings_free(&r->reloaded);
	r->reloaded = n;
	log_info("SIGHUP: sinks reopened, %zu profiles in force", r->profiles ? r->profiles->n : 0);
}

int
cmd_run(int argc, char **argv)
{
	return run_with(argc, argv, NULL);
}

int
run_with(int argc, char **argv, const struct run_hooks *h)
{
	static struct run r;
	struct run_settings *s = &r.s;
	struct output *outs[2 * RUN_MAX_SINKS];
	int nouts = 0, i, status = 0;
	struct nl_watch *w = NULL;
	char err[512];

	memset(&r, 0, sizeof(r));
	r.argc = argc;
	r.argv = argv;
	r.h = h;
	if ((status = run_settings_parse(s, argc, argv)) != 0)
		goto done;
	if (s->help) {
		run_settings_usage(stdout);
		goto done;
	}
	r.bufsize = s->bufsize;
	r.bpf = s->bpf;
	log_init("cnetmon", LOG_LVL_WARN + s->verbose);
	if (s->check && s->user_given && strcmp(s->user, "root") && !getpwnam(s->user)) {
		log_warnx("--user %s: no such user", s->user);
		status = 2;
		goto done;
	}
	if (!(r.e = engine_new(&s->fc, s->node)))
		fatal("flow table");
	engine_set_alert_window(r.e, s->alert_window_ns);
	if (s->nprofiles && !s->nalert)
		s->alert_sinks[s->nalert++] = "json:-";
	if (s->graph) {
		/* A daemon's graph lives for months: world addresses past the
		 * cap share one node per family. */
		struct graph_options gopt = { .max_world = RUN_GRAPH_MAX_WORLD };
		if (!(r.graph = graph_new(s->node, &gopt)))
			fatal("graph");
		engine_on_record(r.e, graph_on_record, r.graph);
	}
	if (engine_open_sinks(r.e, &s->sinks, s->flow_sinks, s->nflow, s->alert_sinks, s->nalert,
	                      outs, &nouts) < 0) {
		status = 2;
		goto done;
	}
	r.outs = outs;
	r.nouts = nouts;
	if (s->metrics &&
	    !(r.metrics = metrics_open(s->metrics, render_metrics, &r, err, sizeof(err)))) {
		log_warnx("--metrics %s", err);
		status = 2;
		goto done;
	}
	for (i = 0; i < s->nifaces && s->check; i++)
		if (!if_nametoindex(s->ifaces[i])) {
			log_warnx("-i %s: no such interface", s->ifaces[i]);
			status = 2;
		}
	if (s->check) {
		/* Profiles are checked without the live inventory here. */
		if (s->nprofiles && profiles_load(s, NULL, &r.profiles))
			status = 2;
		if (!status)
			printf("cnetmon: configuration OK (%s%s)\n", s->config,
			       s->config_found ? "" : ": not there, defaults");
		goto done;
	}
	if (!(r.sc = scanner_new(&s->sc)) || !(w = nl_watch_open(err, sizeof(err)))) {
		log_warnx("netlink: %s", w ? "" : err);
		status = 2;
		goto done;
	}
	if (!(r.inv = scanner_scan(r.sc, clock_ns(CLOCK_REALTIME), 1, err, sizeof(err)))) {
		log_warnx("%s", err);
		status = 2;
		goto done;
	}
	if (s->nprofiles) {
		if (profiles_load(s, r.inv, &r.profiles)) {
			status = 2;
			goto done;
		}
		if (engine_set_profiles(r.e, r.profiles, s->strict) < 0)
			fatal("profiles");
	}
	if (r.graph)
		graph_set_host_addrs(r.graph, r.inv->host_addrs, r.inv->nhost_addrs);
	if (h && h->on_engine && h->on_engine(r.e, r.inv, h->data) < 0) {
		status = 2;
		goto done;
	}
	engine_set_live(r.e, 1);
	/* NAT: published ports and Services are DNAT, egress is masquerade. */
	if (!(r.nat = nat_open(err, sizeof(err))))
		log_warnx("conntrack: %s: flows through NAT are attributed by what the capture "
		          "sees only", err);
	else
		engine_set_nat(r.e, r.nat);
	r.autocap = s->nifaces == 0;
	for (i = 0; i < s->nifaces; i++)
		if (cap_open(&r, s->ifaces[i], 1) < 0) {
			status = 2;
			goto done;
		}
	follow_inventory(&r);
	for (size_t c = 0; c < r.inv->n; c++)
		if (!r.inv->c[c]->host_network && !r.inv->c[c]->gone_ns)
			nl_watch_add_netns(w, r.inv->c[c]->pid);
	if (drop_privileges(s->user, s->user_given) < 0) {
		status = 2;
		goto done;
	}
	daemon_catch_signals();
	log_info("running: %d interfaces, %zu containers, %zu profiles", r.ncaps, r.inv->n,
	         r.profiles ? r.profiles->n : 0);
	status = loop(&r, w);
	engine_finish(r.e);
	write_graph(&r, "exit");
	output_drain_report(outs, nouts, &s->sinks, "the next start");
	for (i = 0; i < r.ncaps; i++) {
		unsigned long long rx = 0, dr = 0;
		capture_live_stats(r.caps[i].c, &rx, &dr);
		log_info("%s: %llu packets, %llu dropped by the kernel", r.caps[i].name, rx, dr);
	}
	log_info("stopped: %llu frames counted at their sender's veth", r.deduped);
done:
	for (i = 0; i < r.ncaps; i++)
		capture_close(r.caps[i].c);
	for (i = 0; i < nouts; i++)
		output_close(outs[i]);
	metrics_close(r.metrics);
	free(r.captured);
	engine_free(r.e);           /* before the scanner: flows hold containers */
	graph_free(r.graph);
	profiles_free(r.profiles);
	nat_close(r.nat);
	nl_watch_close(w);
	scanner_free(r.sc);
	run_settings_free(&r.reloaded);
	run_settings_free(s);
	return status;
}
