/* scan.c — see scan.h.
 *
 * One pass over /proc: every process's network namespace (stat of
 * /proc/PID/ns/net gives its inode). Processes in the host's namespace are
 * checked for a container cgroup too: that is how host-network containers
 * are found. Every other namespace is a container's (or a pod's): its
 * lowest pid represents it. A namespace shared by several containers (a
 * Kubernetes pod: pause plus its app containers) is one network identity,
 * named after its first non-sandbox container. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "netlink.h"
#include "scan.h"

#define NS_PER_SEC 1000000000ULL

/* What a runtime told us about a container id, kept across scans. */
struct meta {
	char id[65];
	struct inv_container *c;       /* name, image, labels, pod...: a template */
	uint64_t seen_ns;
};

struct nsgroup {
	uint64_t netns;
	int pid;                       /* lowest pid in the namespace */
	int host;                      /* the host's namespace (host-network containers) */
	struct cgroup_info ci;         /* container of that pid */
	char cgpath[512];
	int has_ci;
};

struct scanner {
	struct scan_config cfg;
	struct inventory *inv;         /* the current inventory */
	struct inv_container **zombies; /* past their grace, still named by flows */
	size_t nzombies;
	struct meta *meta;
	size_t nmeta, capmeta;
	struct scan_stats st;
	char hostname[256];
};

void
rescan_clock_init(struct rescan_clock *rc, uint64_t now)
{
	rc->next_full_ms = now + RESCAN_FULL_EVERY_MS;
	rc->follow_until_ms = 0;
}

void
rescan_clock_event(struct rescan_clock *rc, uint64_t now)
{
	rc->follow_until_ms = now + RESCAN_FOLLOW_MS;
}

int
rescan_clock_timeout(const struct rescan_clock *rc, uint64_t now)
{
	uint64_t wake = rc->next_full_ms;

	if (rc->follow_until_ms > now && now + RESCAN_FOLLOW_STEP_MS < wake)
		wake = now + RESCAN_FOLLOW_STEP_MS;
	return wake > now ? (int)(wake - now) : 0;
}

int
rescan_clock_due(struct rescan_clock *rc, uint64_t now, int event)
{
	if (event || now >= rc->next_full_ms) {
		if (now >= rc->next_full_ms)
			rc->next_full_ms = now + RESCAN_FULL_EVERY_MS;
		return 2;
	}
	return rc->follow_until_ms > now ? 1 : 0;
}

void
scan_config_default(struct scan_config *c)
{
	memset(c, 0, sizeof(*c));
	c->proc_root = "/proc";
	runtime_config_default(&c->rc);
	c->grace_ns = 60 * NS_PER_SEC;
}

struct scanner *
scanner_new(const struct scan_config *c)
{
	struct scanner *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *c;
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
		strcpy(s->hostname, "localhost");
	return s;
}

void
scanner_free(struct scanner *s)
{
	size_t i;

	if (!s)
		return;
	inventory_free(s->inv);
	for (i = 0; i < s->nzombies; i++)
		inv_container_free(s->zombies[i]);
	free(s->zombies);
	for (i = 0; i < s->nmeta; i++)
		inv_container_free(s->meta[i].c);
	free(s->meta);
	free(s);
}

const struct scan_stats *
scanner_stats(const struct scanner *s)
{
	return &s->st;
}

static int
netns_of(const char *proc, int pid, uint64_t *ino)
{
	char p[128];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%d/ns/net", proc, pid);
	if (stat(p, &st) < 0)
		return -1;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

/* The process's short name, for containers no runtime knows. */
static void
comm_of(const char *proc, int pid, char *out, size_t outlen)
{
	char p[128], buf[64] = "";
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%d/comm", proc, pid);
	if ((fp = fopen(p, "re"))) {
		if (fgets(buf, sizeof(buf), fp))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(fp);
	}
	snprintf(out, outlen, "%s[%d]", buf[0] ? buf : "process", pid);
}

static struct nsgroup *
group_for(struct nsgroup **gs, size_t *n, size_t *cap, uint64_t netns)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*gs)[i].netns == netns)
			return &(*gs)[i];
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct nsgroup *ng = realloc(*gs, nc * sizeof(*ng));
		if (!ng)
			return NULL;
		*gs = ng;
		*cap = nc;
	}
	memset(&(*gs)[*n], 0, sizeof(**gs));
	(*gs)[*n].netns = netns;
	return &(*gs)[(*n)++];
}

static struct meta *
meta_find(struct scanner *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nmeta; i++)
		if (!strcmp(s->meta[i].id, id))
			return &s->meta[i];
	return NULL;
}

static int
copy_meta(struct inv_container *dst, const struct inv_container *src)
{
	size_t i;

	/* Only what the runtime said: the cgroup may have told us the pod. */
	char **const d[] = { &dst->name, &dst->image, &dst->runtime, &dst->namespace, &dst->pod,
	                     &dst->pod_uid };
	char *const v[] = { src->name, src->image, src->runtime, src->namespace, src->pod,
	                    src->pod_uid };

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (v[i] && inv_set(d[i], v[i]) < 0)
			return -1;
	for (i = 0; i < src->nlabels; i++)
		if (inv_container_add_label(dst, src->labels[i].key, src->labels[i].value) < 0)
			return -1;
	return 0;
}

/* Name, image, labels for a container id: from the cache, or by asking the
 * runtime its cgroup names (every runtime in turn when the cgroup does not
 * say, as for /kubepods/<qos>/pod<uid>/<id>). */
static void
describe(struct scanner *s, struct inv_container *c, const char *runtime, void **scans,
         uint64_t now)
{
	/* Indices into runtime_all (docker, podman, containerd, cri-o), which
	 * also index the per-scan handles in scans[]. */
	static const size_t order[RUNTIME_COUNT] = { 1, 0, 2, 3 };
	/* A bare id under kubepods is a CRI runtime's, most likely: ask them
	 * first (podman's fallback, an exec of podman inspect, is slow). */
	static const size_t kube_order[RUNTIME_COUNT] = { 2, 3, 0, 1 };
	const size_t *ord = !runtime[0] && c->pod_uid ? kube_order : order;
	struct meta *m = meta_find(s, c->id);
	struct inv_container *t;
	size_t i;

	if (m) {
		m->seen_ns = now;
		copy_meta(c, m->c);
		return;
	}
	if (!(t = inv_container_new()))
		return;
	inv_set(&t->id, c->id);
	for (i = 0; i < RUNTIME_COUNT; i++) {
		size_t k = ord[i];
		const struct runtime_ops *ops = runtime_all[k];
		if (runtime[0] && strcmp(runtime, ops->name))
			continue;
		if (ops->scan_begin && !scans[k])
			scans[k] = ops->scan_begin(&s->cfg.rc);
		s->st.lookups++;
		if (ops->lookup(&s->cfg.rc, scans[k], t) == 1) {
			if (!t->runtime)
				inv_set(&t->runtime, ops->name);
			break;
		}
	}
	if (s->nmeta == s->capmeta) {
		size_t nc = s->capmeta ? s->capmeta * 2 : 64;
		struct meta *nm = realloc(s->meta, nc * sizeof(*nm));
		if (!nm) {
			copy_meta(c, t);
			inv_container_free(t);
			return;
		}
		s->meta = nm;
		s->capmeta = nc;
	}
	m = &s->meta[s->nmeta++];
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", c->id);
	m->c = t;
	m->seen_ns = now;
	copy_meta(c, t);
}

/* Interfaces of a namespace the last scan read, if the same process still
 * represents it: copied instead of asking netlink again. */
static int
reuse_ifaces(const struct scanner *s, struct inv_container *c)
{
	size_t i, j, k;

	if (!s->inv)
		return 0;
	for (i = 0; i < s->inv->n; i++) {
		const struct inv_container *o = s->inv->c[i];
		if (!o || o->gone_ns || o->netns != c->netns || o->pid != c->pid)
			continue;
		for (j = 0; j < o->nifaces; j++) {
			const struct inv_iface *f = &o->ifaces[j];
			struct inv_iface *n = inv_container_add_iface(c, f->name);
			if (!n)
				return 1;
			memcpy(n->host_ifname, f->host_ifname, sizeof(n->host_ifname));
			memcpy(n->bridge, f->bridge, sizeof(n->bridge));
			n->host_ifindex = f->host_ifindex;
			memcpy(n->mac, f->mac, sizeof(n->mac));
			n->has_mac = f->has_mac;
			for (k = 0; k < f->naddrs; k++)
				inv_iface_add_addr(n, &f->addrs[k]);
		}
		return 1;
	}
	return 0;
}

static int
same_container(const struct inv_container *a, const struct inv_container *b)
{
	return a->netns == b->netns && a->host_network == b->host_network &&
	    !strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

/* Keep the previous scan's object for a container found again: its new
 * contents move into the old struct, whose address flows may hold. */
static void
keep_identity(struct scanner *s, struct inventory *inv)
{
	size_t i, j;

	if (!s->inv)
		return;
	for (i = 0; i < inv->n; i++) {
		for (j = 0; j < s->inv->n; j++) {
			struct inv_container *o = s->inv->c[j], tmp;
			if (!o || !same_container(o, inv->c[i]))
				continue;
			tmp = *o;
			*o = *inv->c[i];
			o->refs = tmp.refs;
			o->gone_ns = 0;
			*inv->c[i] = tmp;
			inv->c[i]->refs = 0;
			inv_container_free(inv->c[i]);   /* the old contents */
			inv->c[i] = o;
			s->inv->c[j] = NULL;               /* moved */
			break;
		}
	}
}

/* Containers of the previous inventory not running any more: kept for
 * their grace period, then freed, or parked while flows still name them. */
static void
carry_gone(struct scanner *s, struct inventory *inv, uint64_t now)
{
	size_t i;

	for (i = 0; i < s->nzombies;) {
		if (s->zombies[i]->refs <= 0) {
			inv_container_free(s->zombies[i]);
			s->zombies[i] = s->zombies[--s->nzombies];
		} else {
			i++;
		}
	}
	if (!s->inv)
		return;
	for (i = 0; i < s->inv->n; i++) {
		struct inv_container *old = s->inv->c[i];

		if (!old)
			continue;
		if (!old->gone_ns)
			old->gone_ns = now;
		s->inv->c[i] = NULL;           /* moved out, whatever happens next */
		if (now - old->gone_ns <= s->cfg.grace_ns) {
			if (inventory_add(inv, old) == 0)
				s->st.gone++;
		} else if (old->refs > 0) {
			struct inv_container **z = realloc(s->zombies,
			                                   (s->nzombies + 1) * sizeof(*z));
			if (z) {
				s->zombies = z;
				s->zombies[s->nzombies++] = old;
			} /* else: leaked rather than freed under a flow */
		} else {
			inv_container_free(old);
		}
	}
}

const struct inventory *
scanner_scan(struct scanner *s, uint64_t now, int full, char *err, size_t errlen)
{
	const char *proc = s->cfg.proc_root;
	struct nsgroup *gs = NULL;
	size_t ng = 0, capg = 0, i;
	void *scans[RUNTIME_COUNT] = { 0 };
	uint64_t hostns = 0;
	struct inventory *inv;
	struct dirent *de;
	DIR *d;

	memset(&s->st, 0, sizeof(s->st));
	if (netns_of(proc, 1, &hostns) < 0 && netns_of(proc, (int)getpid(), &hostns) < 0) {
		snprintf(err, errlen, "%s: cannot read the host's network namespace: %s", proc,
		         strerror(errno));
		return NULL;
	}
	if (!(d = opendir(proc))) {
		snprintf(err, errlen, "%s: %s", proc, strerror(errno));
		return NULL;
	}
	if (!(inv = inventory_new())) {
		closedir(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	inv_set(&inv->node, s->cfg.node ? s->cfg.node : s->hostname);

	while ((de = readdir(d))) {
		struct cgroup_info ci;
		struct nsgroup *g;
		char path[512];
		uint64_t ino;
		int pid, r;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (netns_of(proc, pid, &ino) < 0) {
			if (errno != ENOENT)
				s->st.skipped++;   /* exited meanwhile is normal; anything else is not */
			continue;
		}
		if (ino == hostns) {
			/* Only a container cgroup makes a host process interesting. */
			if (cgroup_of_pid(proc, pid, &ci, path, sizeof(path)) != 1)
				continue;
			/* Group host-network containers by id: key on a hash of it. */
			uint64_t key = 0;
			for (i = 0; ci.id[i]; i++)
				key = key * 131 + (unsigned char)ci.id[i];
			g = group_for(&gs, &ng, &capg, key | (1ULL << 63));
			if (!g)
				break;
			g->host = 1;
			if (!g->pid || pid < g->pid) {
				g->pid = pid;
				g->ci = ci;
				g->has_ci = 1;
				snprintf(g->cgpath, sizeof(g->cgpath), "%s", path);
			}
			continue;
		}
		if (!(g = group_for(&gs, &ng, &capg, ino)))
			break;
		/* /proc lists pids in ascending order: the namespace already has
		 * its lowest container process. */
		if (g->has_ci && pid > g->pid)
			continue;
		r = cgroup_of_pid(proc, pid, &ci, path, sizeof(path));
		/* Prefer a process that names a container, then the lowest pid. */
		if (!g->pid || (r == 1 && !g->has_ci) || ((r == 1) == g->has_ci && pid < g->pid)) {
			g->pid = pid;
			g->has_ci = r == 1;
			if (r == 1)
				g->ci = ci;
			snprintf(g->cgpath, sizeof(g->cgpath), "%s", r >= 0 ? path : "");
		}
	}
	closedir(d);

	for (i = 0; i < ng; i++) {
		struct nsgroup *g = &gs[i];
		struct inv_container *c = inv_container_new();
		char name[96], msg[256];

		if (!c)
			break;
		c->pid = g->pid;
		c->host_network = g->host;
		c->netns = g->host ? hostns : g->netns;
		inv_set(&c->cgroup, g->cgpath);
		inv_set(&c->id, g->has_ci ? g->ci.id : "");
		if (g->has_ci) {
			if (g->ci.pod_uid[0])
				inv_set(&c->pod_uid, g->ci.pod_uid);
			describe(s, c, g->ci.runtime, scans, now);
		}
		if (!c->runtime)
			inv_set(&c->runtime, g->has_ci && g->ci.runtime[0] ? g->ci.runtime : "unknown");
		if (!c->name) {
			comm_of(proc, g->pid, name, sizeof(name));
			inv_set(&c->name, name);
		}
		if (!g->host && (full || !reuse_ifaces(s, c))) {
			s->st.netns_read++;
			if (netns_read_ifaces(g->pid, c, msg, sizeof(msg)) < 0) {
				log_warnx("%s (pid %d): interfaces not read: %s", c->name, g->pid, msg);
				s->st.skipped++;
			}
		}
		if (inventory_add(inv, c) == 0) {
			s->st.containers++;
			if (!g->host)
				s->st.namespaces++;
		}
	}
	free(gs);
	for (i = 0; i < RUNTIME_COUNT; i++)
		if (scans[i] && runtime_all[i]->scan_end)
			runtime_all[i]->scan_end(scans[i]);
	{
		char msg[256];
		if (host_links_resolve(inv, msg, sizeof(msg)) < 0)
			log_warnx("host interfaces: %s", msg);
	}
	keep_identity(s, inv);
	carry_gone(s, inv, now);
	inventory_free(s->inv);
	s->inv = inv;
	return inv;
}
