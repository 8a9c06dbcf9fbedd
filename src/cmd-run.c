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
 * Settings come from the config file (-c, INI, section [run], keys are the
 * long option names) and then the command line, through one parser: the
 * file is turned into "--key=value" arguments placed before the real ones,
 * so the command line wins for single values and adds to lists.
 *
 * Privileges: captures, netlink sockets and sinks are opened as root; then
 * the daemon becomes --user (default "cnetmon" when it exists) keeping only
 * the capabilities it still needs for containers that start later: packet
 * sockets, setns into their namespaces, reading their /proc entries.
 *
 * SIGTERM/SIGINT: every open flow is finished and written, then exit 0. */
#include <errno.h>
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

#include <cap-ng.h>
#include <ini.h>

#include "cmd.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "nat.h"
#include "netlink.h"
#include "scan.h"

#define MAX_SINKS   16
#define MAX_CAPS    4096
#define PER_ROUND   256        /* packets from one capture before looking at the others */
#define DEFAULT_CONFIG "/etc/cnetmon/cnetmon.conf"
#define MAX_CONF_ARGS  1024


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
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cnetmon run [-c FILE] [--check-config] [-i IFACE]... [--flows SINK]... [-o SINK]...\n"
	    "                   [--bpf EXPR] [--buffer-size MIB] [--max-flows N]\n"
	    "                   [--timeout CLASS=SECONDS]... [--node NAME] [--grace SECONDS]\n"
	    "                   [--user USER] [-v]\n"
	    "  -c FILE           settings (INI, [run], long option names; default " DEFAULT_CONFIG ")\n"
	    "  --check-config    check the settings and the sinks, then exit\n"
	    "  -i IFACE          capture here (default: every container veth, followed live)\n"
	    "  --flows SINK      where finished flow records go (json:-, json:PATH)\n"
	    "  --bpf EXPR        an extra capture filter\n"
	    "  --buffer-size M   kernel ring per interface in MiB (default 8)\n"
	    "  --user USER       run as USER after start-up (default cnetmon, if it exists)\n"
	    "  --metrics A:P     Prometheus metrics on http://A:P/metrics\n");
}

/* ---- config file ------------------------------------------------------- */

struct conf {
	const char *path;
	char *args[MAX_CONF_ARGS];
	int nargs;
	char bad[160];
};

static const char *const conf_keys[] = {
	"interface", "flows", "output", "bpf", "buffer-size", "max-flows", "timeout", "node",
	"grace", "user", "verbose", "metrics",
};

static int
conf_entry(void *data, const char *section, const char *key, const char *value)
{
	struct conf *cf = data;
	size_t i;
	int v;

	if (strcmp(section, "run") != 0) {
		snprintf(cf->bad, sizeof(cf->bad), "settings belong in [run], not [%s]", section);
		return 0;
	}
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (!strcmp(key, conf_keys[i]))
			break;
	if (i == sizeof(conf_keys) / sizeof(conf_keys[0])) {
		snprintf(cf->bad, sizeof(cf->bad), "unknown setting '%s'", key);
		return 0;
	}
	if (!strcmp(key, "verbose")) {
		/* verbose = N (or true/false): N times -v */
		v = !strcmp(value, "true") ? 1 : !strcmp(value, "false") ? 0 : atoi(value);
		while (v-- > 0 && cf->nargs < MAX_CONF_ARGS)
			cf->args[cf->nargs++] = strdup("-v");
		return 1;
	}
	if (cf->nargs == MAX_CONF_ARGS) {
		snprintf(cf->bad, sizeof(cf->bad), "more than %d settings", MAX_CONF_ARGS);
		return 0;
	}
	if (asprintf(&cf->args[cf->nargs], "--%s=%s", key, value) < 0) {
		snprintf(cf->bad, sizeof(cf->bad), "out of memory");
		return 0;
	}
	cf->nargs++;
	return 1;
}

/* -1: unreadable or wrong (message logged); 0: loaded, or the default file
 * is simply not there. */
static int
conf_load(struct conf *cf, const char *path, int explicit)
{
	FILE *fp = fopen(path, "re");
	int line;

	cf->path = path;
	if (!fp) {
		if (!explicit && errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	line = ini_parse_file(fp, conf_entry, cf);
	fclose(fp);
	if (line != 0) {
		log_warnx("%s:%d: %s", path, line, cf->bad[0] ? cf->bad : "not a KEY = VALUE line");
		return -1;
	}
	return 0;
}

static void
conf_free(struct conf *cf)
{
	while (cf->nargs)
		free(cf->args[--cf->nargs]);
}

/* A setting was refused (the parser said why): if it came from the config
 * file, say so, since the message names it as an option. */
static int
bad_setting(const struct conf *cf, int next_index, char **all)
{
	if (next_index - 1 <= cf->nargs)
		log_warnx("%s: in \"%s\"", cf->path, all[next_index - 1] + 2);
	free(all);
	return 2;
}

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
	metrics_family(out, "cnetmon_packets_total", "counter", "Packets read from all captures.");
	metrics_sample(out, "cnetmon_packets_total", NULL, es->packets);
	metrics_family(out, "cnetmon_bytes_total", "counter", "Bytes on the wire of those packets.");
	metrics_sample(out, "cnetmon_bytes_total", NULL, es->bytes);
	for (k = 0; k < 2; k++) {
		metrics_family(out, k ? "cnetmon_interface_kernel_drops_total" :
		                        "cnetmon_interface_packets_total", "counter",
		               k ? "Packets the kernel dropped because the capture ring was full." :
		                   "Packets captured on the interface.");
		for (i = 0; i < r->ncaps; i++) {
			unsigned long long rx = 0, dr = 0;
			capture_live_stats(r->caps[i].c, &rx, &dr);
			strbuf_reset(&lab);
			strbuf_adds(&lab, "interface=\"");
			metrics_label_escape(&lab, r->caps[i].name);
			strbuf_addc(&lab, '"');
			strbuf_addc(&lab, '\0');
			metrics_sample(out, k ? "cnetmon_interface_kernel_drops_total" :
			                        "cnetmon_interface_packets_total", lab.p, k ? dr : rx);
		}
	}
	metrics_family(out, "cnetmon_frames_deduplicated_total", "counter",
	               "Frames between two captured containers, counted at the sender's veth only.");
	metrics_sample(out, "cnetmon_frames_deduplicated_total", NULL, r->deduped);
	for (k = 1; k < DEC_REASON_MAX; k++)
		undecoded += es->undecoded[k];
	metrics_family(out, "cnetmon_packets_undecoded_total", "counter",
	               "Packets that made no flow (not IP, or damaged).");
	metrics_sample(out, "cnetmon_packets_undecoded_total", NULL, undecoded);
	metrics_family(out, "cnetmon_flows_active", "gauge", "Flows in the table now.");
	metrics_sample(out, "cnetmon_flows_active", NULL, fs->active);
	metrics_family(out, "cnetmon_flows_created_total", "counter", "Flows started.");
	metrics_sample(out, "cnetmon_flows_created_total", NULL, fs->created);
	metrics_family(out, "cnetmon_flow_records_total", "counter",
	               "Flow records emitted (active-timeout parts included).");
	metrics_sample(out, "cnetmon_flow_records_total", NULL, fs->records);
	metrics_family(out, "cnetmon_flows_evicted_total", "counter",
	               "Flows finished early because the table was full (--max-flows).");
	metrics_sample(out, "cnetmon_flows_evicted_total", NULL, fs->evicted);
	for (k = 0; k < 2; k++) {
		metrics_family(out, k ? "cnetmon_sink_failures_total" : "cnetmon_sink_records_total",
		               "counter", k ? "Records a sink could not write." :
		                              "Records written to a sink.");
		for (i = 0; i < r->nouts; i++) {
			strbuf_reset(&lab);
			strbuf_adds(&lab, "sink=\"");
			metrics_label_escape(&lab, r->outs[i]->spec);
			strbuf_addc(&lab, '"');
			strbuf_addc(&lab, '\0');
			metrics_sample(out, k ? "cnetmon_sink_failures_total" : "cnetmon_sink_records_total",
			               lab.p, k ? r->outs[i]->failed : r->outs[i]->written);
		}
	}
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
		metrics_family(out, "cnetmon_nat_entries", "gauge",
		               "Translated connections known from conntrack.");
		metrics_sample(out, "cnetmon_nat_entries", NULL, ns->entries);
		metrics_family(out, "cnetmon_nat_event_losses_total", "counter",
		               "Times conntrack events were lost (ENOBUFS) and the table was dumped again.");
		metrics_sample(out, "cnetmon_nat_event_losses_total", NULL, ns->enobufs);
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

static int
loop(struct run *r, struct nl_watch *w)
{
	struct pollfd pfd[MAX_CAPS + 2 + METRICS_MAX_FDS];
	struct rescan_clock rc;
	uint64_t next_tick = 0;
	char err[256];

	rescan_clock_init(&rc, clock_ns(CLOCK_MONOTONIC) / 1000000);
	while (!daemon_stop) {
		uint64_t now_ms = clock_ns(CLOCK_MONOTONIC) / 1000000;
		int i, n, timeout = rescan_clock_timeout(&rc, now_ms), event = 0, due, nm = 0;

		if (timeout > 1000)
			timeout = 1000;
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
				for (size_t c = 0; c < inv->n; c++)
					if (!inv->c[c]->gone_ns && !inv->c[c]->host_network)
						nl_watch_add_netns(w, inv->c[c]->pid);
			} else {
				log_warnx("%s", err);
			}
		}
		if (daemon_hup) {
			daemon_hup = 0;
			for (i = 0; i < r->nouts; i++)
				output_reopen(r->outs[i]);
			log_info("SIGHUP: sinks reopened");
		}
		if (now_ms >= next_tick) {
			engine_tick(r->e, clock_ns(CLOCK_REALTIME));
			check_drops(r);
			next_tick = now_ms + 1000;
		}
	}
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	enum { OPT_FLOWS = 256, OPT_BPF, OPT_BUF, OPT_MAXFLOWS, OPT_TIMEOUT, OPT_NODE, OPT_GRACE,
	       OPT_CHECK, OPT_USER, OPT_METRICS };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "user", required_argument, NULL, OPT_USER },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "interface", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "buffer-size", required_argument, NULL, OPT_BUF },
		{ "max-flows", required_argument, NULL, OPT_MAXFLOWS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct run r;
	const char *ifaces[MAX_CAPS], *flow_sinks[MAX_SINKS], *alert_sinks[MAX_SINKS];
	struct output *outs[2 * MAX_SINKS];
	int nifaces = 0, nflow = 0, nalert = 0, nouts = 0, ch, i, status = 0, verbose = 0;
	struct flow_config fc;
	struct scan_config sc;
	struct nl_watch *w = NULL;
	char err[512], *end;
	const char *node = NULL, *config = DEFAULT_CONFIG, *user = "cnetmon", *metrics = NULL;
	int config_given = 0, check = 0, user_given = 0, nall;
	static struct conf cf;
	char **all;
	long v;
	double g;

	flow_config_default(&fc);
	scan_config_default(&sc);
	memset(&r, 0, sizeof(r));
	r.bufsize = 8 << 20;
	/* The config file's settings go first, so find it before parsing. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			if (i + 1 < argc) {
				config = argv[i + 1];
				config_given = 1;
			}
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config = argv[i] + 9;
			config_given = 1;
		} else if (!strcmp(argv[i], "--")) {
			break;
		}
	}
	conf_free(&cf);
	if (conf_load(&cf, config, config_given) < 0)
		return 2;
	nall = 1 + cf.nargs + (argc - 1);
	if (!(all = calloc((size_t)nall + 1, sizeof(*all))))
		fatal("run");
	all[0] = argv[0];
	for (i = 0; i < cf.nargs; i++)
		all[1 + i] = cf.args[i];
	for (i = 1; i < argc; i++)
		all[cf.nargs + i] = argv[i];
	argc = nall;
	argv = all;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:i:o:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': break;                     /* read above */
		case OPT_CHECK: check = 1; break;
		case OPT_USER: user = optarg; user_given = 1; break;
		case OPT_METRICS: metrics = optarg; break;
		case 'i':
			if (nifaces == MAX_CAPS)
				fatalx("at most %d -i", MAX_CAPS);
			ifaces[nifaces++] = optarg;
			break;
		case OPT_FLOWS:
			if (nflow == MAX_SINKS)
				fatalx("at most %d --flows", MAX_SINKS);
			flow_sinks[nflow++] = optarg;
			break;
		case 'o':
			if (nalert == MAX_SINKS)
				fatalx("at most %d -o", MAX_SINKS);
			alert_sinks[nalert++] = optarg;
			break;
		case OPT_BPF: r.bpf = optarg; break;
		case OPT_BUF:
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 1 || v > 4096) {
				log_warnx("--buffer-size '%s': expected MiB from 1 to 4096", optarg);
				return bad_setting(&cf, optind, all);
			}
			r.bufsize = (int)(v << 20);
			break;
		case OPT_MAXFLOWS:
		case OPT_TIMEOUT:
			if (flow_config_option(&fc, ch == OPT_MAXFLOWS ? "max-flows" : "timeout", optarg,
			                       err, sizeof(err)) < 0) {
				log_warnx("%s", err);
				return bad_setting(&cf, optind, all);
			}
			break;
		case OPT_NODE: node = sc.node = optarg; break;
		case OPT_GRACE:
			g = strtod(optarg, &end);
			if (end == optarg || *end || !(g >= 0) || g > 86400) {
				log_warnx("--grace '%s': expected seconds from 0 to 86400", optarg);
				return bad_setting(&cf, optind, all);
			}
			sc.grace_ns = (uint64_t)(g * 1e9);
			break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return bad_setting(&cf, optind, all);
		}
	}
	if (optind != argc) {
		usage(stderr);
		free(all);
		return 2;
	}
	log_init("cnetmon", LOG_LVL_WARN + verbose);
	if (check && user_given && strcmp(user, "root") && !getpwnam(user)) {
		log_warnx("--user %s: no such user", user);
		free(all);
		return 2;
	}

	if (!(r.e = engine_new(&fc, node)))
		fatal("flow table");
	for (i = 0; i < nflow; i++) {
		if (!(outs[nouts] = output_open(flow_sinks[i], err, sizeof(err)))) {
			log_warnx("--flows %s", err);
			status = 2;
			goto done;
		}
		engine_add_flow_output(r.e, outs[nouts++]);
	}
	for (i = 0; i < nalert; i++) {
		if (!(outs[nouts++] = output_open(alert_sinks[i], err, sizeof(err)))) {
			nouts--;
			log_warnx("-o %s", err);
			status = 2;
			goto done;
		}
	}
	r.outs = outs;
	r.nouts = nouts;
	if (metrics && !(r.metrics = metrics_open(metrics, render_metrics, &r, err, sizeof(err)))) {
		log_warnx("--metrics %s", err);
		status = 2;
		goto done;
	}
	for (i = 0; i < nifaces && check; i++)
		if (!if_nametoindex(ifaces[i])) {
			log_warnx("-i %s: no such interface", ifaces[i]);
			status = 2;
		}
	if (check) {
		if (!status)
			printf("cnetmon: configuration OK (%s%s)\n", config,
			       cf.nargs || config_given ? "" : ": not there, defaults");
		goto done;
	}
	if (!(r.sc = scanner_new(&sc)) || !(w = nl_watch_open(err, sizeof(err)))) {
		log_warnx("netlink: %s", w ? "" : err);
		status = 2;
		goto done;
	}
	if (!(r.inv = scanner_scan(r.sc, clock_ns(CLOCK_REALTIME), 1, err, sizeof(err)))) {
		log_warnx("%s", err);
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
	r.autocap = nifaces == 0;
	for (i = 0; i < nifaces; i++)
		if (cap_open(&r, ifaces[i], 1) < 0) {
			status = 2;
			goto done;
		}
	follow_inventory(&r);
	for (size_t c = 0; c < r.inv->n; c++)
		if (!r.inv->c[c]->host_network && !r.inv->c[c]->gone_ns)
			nl_watch_add_netns(w, r.inv->c[c]->pid);
	if (drop_privileges(user, user_given) < 0) {
		status = 2;
		goto done;
	}
	daemon_catch_signals();
	log_info("running: %d interfaces, %zu containers", r.ncaps, r.inv->n);
	status = loop(&r, w);
	engine_finish(r.e);
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
	nat_close(r.nat);
	nl_watch_close(w);
	scanner_free(r.sc);
	conf_free(&cf);
	free(all);
	return status;
}
