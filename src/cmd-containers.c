/* cmd-containers.c — `cnetmon containers`: the live inventory, as a table,
 * as JSON (what `read -I` takes), or as a stream of start/stop events.
 *
 * --watch is event-driven: rtnetlink link and address notifications (a
 * container's veth appearing or going, its address being set) trigger a
 * rescan at once, with the follow-ups and periodic full rescans of
 * struct rescan_clock (scan.h). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "duration.h"
#include "daemon.h"
#include "log.h"
#include "netlink.h"
#include "scan.h"

#define NS_PER_SEC 1000000000ULL

static uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static uint64_t
mono_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cnetmon containers [--json] [--watch] [--node NAME] [--grace SECONDS]\n"
	    "  --json        the inventory as JSON (what `cnetmon read -I` takes)\n"
	    "  --watch       keep running and print containers as they start and stop\n"
	    "  --node NAME   node name (default: the host name)\n"
	    "  --grace S     keep a stopped container this long (default 60)\n");
}



static void
print_event(const char *what, const struct inv_container *c, int json)
{
	if (json) {
		printf("{\"event\":\"%s\",\"time\":%llu,\"container\":", what,
		       (unsigned long long)(now_ns() / 1000));
		inv_container_write_json(c, stdout);
		printf("}\n");
	} else {
		printf("%s %s id=%.12s runtime=%s pid=%d\n", what, c->name, c->id && *c->id ? c->id : "-",
		       c->runtime ? c->runtime : "-", c->pid);
	}
	fflush(stdout);
}

/* Keys of the running containers, to diff the next scan against. */
struct key {
	uint64_t netns;
	int host;
	char id[65];
	char name[96];
};

static struct key *
keys_of(const struct inventory *inv, size_t *n)
{
	struct key *k = calloc(inv->n ? inv->n : 1, sizeof(*k));
	size_t i;

	*n = 0;
	if (!k)
		fatal("containers");
	for (i = 0; i < inv->n; i++) {
		const struct inv_container *c = inv->c[i];
		if (c->gone_ns)
			continue;
		k[*n].netns = c->netns;
		k[*n].host = c->host_network;
		snprintf(k[*n].id, sizeof(k[*n].id), "%s", c->id ? c->id : "");
		snprintf(k[*n].name, sizeof(k[*n].name), "%s", c->name ? c->name : "");
		(*n)++;
	}
	return k;
}

static int
has_key(const struct key *k, size_t n, const struct inv_container *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (k[i].netns == c->netns && k[i].host == c->host_network &&
		    !strcmp(k[i].id, c->id ? c->id : ""))
			return 1;
	return 0;
}

static int
watch(struct scanner *sc, int json)
{
	const struct inventory *inv;
	struct key *prev;
	struct nl_watch *w;
	struct rescan_clock rc;
	size_t nprev, i;
	char err[256];

	if (!(w = nl_watch_open(err, sizeof(err)))) {
		log_warnx("watch: %s", err);
		return 2;
	}
	if (!(inv = scanner_scan(sc, now_ns(), 1, err, sizeof(err)))) {
		log_warnx("%s", err);
		nl_watch_close(w);
		return 2;
	}
	for (i = 0; i < inv->n; i++) {
		print_event("running", inv->c[i], json);
		if (!inv->c[i]->host_network)
			nl_watch_add_netns(w, inv->c[i]->pid);
	}
	prev = keys_of(inv, &nprev);
	rescan_clock_init(&rc, mono_ms());
	while (!daemon_stop) {
		struct pollfd pfd = { .fd = nl_watch_fd(w), .events = POLLIN };
		int r, event = 0, due;

		r = poll(&pfd, 1, rescan_clock_timeout(&rc, mono_ms()));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			break;
		}
		if (r > 0 && nl_watch_drain(w) != 0) {
			event = 1;
			rescan_clock_event(&rc, mono_ms());
		}
		if (!(due = rescan_clock_due(&rc, mono_ms(), event)))
			continue;
		if (!(inv = scanner_scan(sc, now_ns(), due == 2, err, sizeof(err)))) {
			log_warnx("%s", err);
			continue;
		}
		for (i = 0; i < inv->n; i++) {
			const struct inv_container *c = inv->c[i];
			if (!c->gone_ns && !has_key(prev, nprev, c)) {
				print_event("start", c, json);
				if (!c->host_network)
					nl_watch_add_netns(w, c->pid);
			}
		}
		{
			size_t ncur;
			struct key *cur = keys_of(inv, &ncur);
			for (i = 0; i < nprev; i++) {
				size_t j;
				int still = 0;
				for (j = 0; j < ncur && !still; j++)
					still = cur[j].netns == prev[i].netns && cur[j].host == prev[i].host &&
					    !strcmp(cur[j].id, prev[i].id);
				if (still)
					continue;
				/* Report the gone container as the inventory keeps it. */
				for (j = 0; j < inv->n; j++) {
					const struct inv_container *c = inv->c[j];
					if (c->gone_ns && c->netns == prev[i].netns &&
					    !strcmp(c->id ? c->id : "", prev[i].id)) {
						print_event("stop", c, json);
						break;
					}
				}
			}
			free(prev);
			prev = cur;
			nprev = ncur;
		}
	}
	free(prev);
	nl_watch_close(w);
	return 0;
}

int
cmd_containers(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_WATCH, OPT_NODE, OPT_GRACE };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_config cfg;
	const struct inventory *inv;
	struct scanner *sc;
	int ch, json = 0, watching = 0, status = 0;
	char err[256];

	scan_config_default(&cfg);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = 1; break;
		case OPT_WATCH: watching = 1; break;
		case OPT_NODE: cfg.node = optarg; break;
		case OPT_GRACE:
			if (duration_parse(optarg, 86400, &cfg.grace_ns) < 0) {
				log_warnx("--grace '%s': expected seconds from 0 to 86400", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!(sc = scanner_new(&cfg)))
		fatal("containers");
	if (watching) {
		daemon_catch_signals();
		status = watch(sc, json);
	} else if (!(inv = scanner_scan(sc, now_ns(), 1, err, sizeof(err)))) {
		log_warnx("%s", err);
		status = 2;
	} else if (json) {
		if (inventory_write_json(inv, stdout) < 0 || fflush(stdout) != 0)
			status = 2;
	} else {
		inventory_write_table(inv, stdout);
	}
	scanner_free(sc);
	return status;
}
