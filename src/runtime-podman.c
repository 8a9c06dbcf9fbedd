/* runtime-podman.c — name, image, labels and pod of a podman container.
 *
 * Podman keeps labels only in its BoltDB (storage/libpod/bolt_state.db); its
 * OCI config.json has none. So the source is podman's REST API on
 * podman_socket (podman-system-service(1); the podman.socket unit on systemd
 * hosts), documented at docs.podman.io "Reference: API":
 *
 *   GET /v4.0.0/libpod/containers/json?all=true   (ContainerListLibpod)
 *	[{"Id": "<64 hex>", "Names": ["web"], "Image": "localhost/x:latest",
 *	  "Labels": {...}, "Pod": "<id>", "PodName": "mypod", ...}]
 *     once per scan: one request for all containers instead of one each.
 *     The libpod list rather than the Docker-compatible /containers/json
 *     because only it carries PodName; both are served by podman 4.3 here.
 *   GET /v4.0.0/libpod/containers/{id}/json        (ContainerInspectLibpod)
 *	{"Id", "Name": "web", "ImageName", "Config": {"Labels"}, "Pod": "<id>"}
 *     for a container that started after the list was taken; its pod is
 *     named by id only, so then also
 *   GET /v4.0.0/libpod/pods/{id}/json              (PodInspectLibpod)  {"Name"}
 *
 * Without the socket, `podman container inspect --format json ID` prints the
 * same inspect object in a one-element array, `podman pod inspect --format
 * json ID` the pod's (podman-inspect(1), podman-pod-inspect(1)); about 25 ms
 * each, so only as the fallback. Run without a shell, stdout captured up to
 * a cap, stderr discarded, killed after PODMAN_EXEC_TIMEOUT_MS.
 *
 * A container started with --rootfs has "Image" and "ImageName" "". */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "inventory.h"
#include "log.h"
#include "runtime.h"
#include "runtime-int.h"


extern char **environ;

#define PODMAN_API             "/v4.0.0/libpod"
#define PODMAN_LIST_TIMEOUT_MS 5000        /* 1,000 containers take ~1 s */
#define PODMAN_ONE_TIMEOUT_MS  1000
#define PODMAN_LIST_MAX        (64u << 20) /* ~2 KiB per container listed */
#define PODMAN_ONE_MAX         (4u << 20)
#define PODMAN_EXEC_TIMEOUT_MS 5000
#define POD_ID_LEN             129

struct podman_ent {
	const char *id;            /* points into root */
	const json_t *obj;
};

struct podman_scan {
	int sock_ok;               /* the socket answered: no exec fallback */
	json_t *root;              /* the list, owning the strings below */
	struct podman_ent *v;      /* sorted by id */
	size_t n;
};

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct podman_ent *)a)->id, ((const struct podman_ent *)b)->id);
}

/* The first of "Names" ("web"; the Docker-compatible list says "/web"). */
static const char *
first_name(const char *what, const json_t *o)
{
	const json_t *names = json_object_get(o, "Names");
	const char *s;

	if (!json_is_array(names) || json_array_size(names) == 0 ||
	    !json_is_string(json_array_get(names, 0)))
		return NULL;
	s = json_string_value(json_array_get(names, 0));
	if (strlen(s) > 4096) {
		log_warnx("%s: over-long name ignored", what);
		return NULL;
	}
	return *s == '/' ? s + 1 : s;
}

/* Fill c from one list entry (list != 0) or one inspect object. An inspect
 * object names its pod by id only: that goes to podid (size POD_ID_LEN)
 * for the caller to resolve. */
static int
podman_parse(const char *what, const json_t *o, int list, struct inv_container *c,
             char *podid)
{
	struct inv_container *t;
	const char *id, *name, *image, *pod;
	const json_t *labels;

	id = rt_json_str(what, o, "Id");
	if (!id || strcmp(id, c->id) != 0) {
		log_warnx("%s: not a record of container %.64s", what, c->id);
		return -1;
	}
	if (list) {
		name = first_name(what, o);
		image = rt_json_str(what, o, "Image");
		labels = json_object_get(o, "Labels");
		pod = rt_json_str(what, o, "PodName");
	} else {
		name = rt_json_str(what, o, "Name");
		image = rt_json_str(what, o, "ImageName");
		labels = rt_json_path(o, "Config", "Labels");
		pod = NULL;
		if (podid) {
			const char *pid = rt_json_str(what, o, "Pod");

			podid[0] = '\0';
			if (pid && rt_id_valid(pid) && strlen(pid) < POD_ID_LEN)
				memcpy(podid, pid, strlen(pid) + 1);
		}
	}
	if (!(t = inv_container_new())) {
		log_warn("%s", what);
		return -1;
	}
	if (rt_set(what, &t->name, name) < 0 || rt_set(what, &t->image, image) < 0 ||
	    rt_set(what, &t->runtime, "podman") < 0 || rt_set(what, &t->pod, pod) < 0 ||
	    rt_add_labels(what, t, labels, NULL) < 0) {
		inv_container_free(t);
		return -1;
	}
	rt_commit(c, t);
	return 1;
}

static void *
podman_scan_begin(const struct runtime_config *rc)
{
	struct podman_scan *s;
	struct rt_buf b;
	const json_t *o;
	char what[4200];
	size_t i;
	int st;

	if (!(s = calloc(1, sizeof(*s)))) {
		log_warn("podman scan");
		return NULL;
	}
	st = rt_http_get(rc->podman_socket, PODMAN_API "/containers/json?all=true",
	                 PODMAN_LIST_TIMEOUT_MS, PODMAN_LIST_MAX, &b);
	if (st <= 0)
		return s;      /* not running (0) or broken (-1, warned): exec */
	s->sock_ok = 1;
	snprintf(what, sizeof(what), "%s: GET " PODMAN_API "/containers/json", rc->podman_socket);
	if (st != 200) {
		log_warnx("%s: HTTP status %d", what, st);
		free(b.p);
		return s;
	}
	s->root = rt_json_load_buf(what, b.p, b.len);
	free(b.p);
	if (!s->root)
		return s;
	if (!json_is_array(s->root)) {
		log_warnx("%s: not a list", what);
		goto drop;
	}
	if (!(s->v = calloc(json_array_size(s->root) + 1, sizeof(*s->v)))) {
		log_warn("%s", what);
		goto drop;
	}
	json_array_foreach(s->root, i, o) {
		const char *id = rt_json_str(what, o, "Id");

		if (id && rt_id_valid(id))
			s->v[s->n++] = (struct podman_ent){ .id = id, .obj = o };
	}
	qsort(s->v, s->n, sizeof(*s->v), ent_cmp);
	return s;
drop:
	json_decref(s->root);
	s->root = NULL;
	return s;
}

static void
podman_scan_end(void *arg)
{
	struct podman_scan *s = arg;

	if (!s)
		return;
	json_decref(s->root);
	free(s->v);
	free(s);
}

/* GET req on the socket, as JSON. NULL with *st: 0 no socket, 404 no such
 * object, -1 anything else (warned). */
static json_t *
api_json(const struct runtime_config *rc, const char *req, int *st)
{
	char what[4400];
	struct rt_buf b;
	json_t *j;

	*st = rt_http_get(rc->podman_socket, req, PODMAN_ONE_TIMEOUT_MS, PODMAN_ONE_MAX, &b);
	if (*st <= 0)
		return NULL;
	snprintf(what, sizeof(what), "%s: GET %s", rc->podman_socket, req);
	if (*st != 200) {
		if (*st != 404)
			log_warnx("%s: HTTP status %d", what, *st);
		free(b.p);
		*st = *st == 404 ? 404 : -1;
		return NULL;
	}
	j = rt_json_load_buf(what, b.p, b.len);
	free(b.p);
	*st = j ? 200 : -1;
	return j;
}

static long long
now_ms(void)
{
	return (long long)(clock_ns(CLOCK_MONOTONIC) / 1000000);
}

/* Read the child's stdout until EOF, the cap or the deadline. 0 at EOF. */
static int
read_child(int fd, struct rt_buf *b, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;
	char *p;
	int left;

	for (;;) {
		left = (int)(deadline - now_ms());
		if (left <= 0)
			return -1;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (b->len + 65536 > b->max) {
			b->over = 1;
			return -1;
		}
		if (!(p = realloc(b->p, b->len + 65536 + 1)))
			return -1;
		b->p = p;
		r = read(fd, b->p + b->len, 65536);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		b->len += (size_t)r;
	}
}

/* `podman KIND inspect --format json ID` (KIND "container" or "pod"): its
 * exit status (0 found, 125 no such object) with stdout in out; -2 when
 * there is no podman to run; -1 with a warning when it could not be run or
 * timed out (then it is killed and reaped). */
static int
run_inspect(const char *bin, const char *kind, const char *id, struct rt_buf *out)
{
	char *argv[] = { (char *)bin, (char *)kind, "inspect", "--format", "json",
	                 (char *)id, NULL };
	posix_spawn_file_actions_t fa;
	int p[2], st = 0, r, err;
	pid_t pid;

	*out = (struct rt_buf){ .max = PODMAN_ONE_MAX };
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (err) {
		close(p[0]);
		if (err == ENOENT)
			return -2;
		errno = err;
		log_warn("%s", bin);
		return -1;
	}
	r = read_child(p[0], out, now_ms() + PODMAN_EXEC_TIMEOUT_MS);
	close(p[0]);
	if (r < 0) {
		kill(pid, SIGKILL);
		log_warnx("%s %s inspect %s: %s", bin, kind, id,
		          out->over ? "output too large" : "timed out");
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		free(out->p);
		*out = (struct rt_buf){ 0 };
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The one object `podman KIND inspect` printed: podman 4 prints a pod as
 * an object and a container as a one-element list; podman 5 lists both.
 * NULL with *st: -2 no podman, exit status (no such object), -1 damage
 * (warned). */
static json_t *
exec_json(const char *bin, const char *kind, const char *id, int *st)
{
	char what[512];
	struct rt_buf b;
	json_t *j, *o = NULL;

	*st = run_inspect(bin, kind, id, &b);
	if (*st != 0 || b.len == 0) {
		free(b.p);
		if (*st == 0)
			*st = 125;
		return NULL;
	}
	snprintf(what, sizeof(what), "%s %s inspect %.128s", bin, kind, id);
	j = rt_json_load_buf(what, b.p, b.len);
	free(b.p);
	if (j && json_is_object(j))
		return j;
	if (j && json_is_array(j) && json_array_size(j) == 1 &&
	    json_is_object(json_array_get(j, 0)))
		o = json_incref(json_array_get(j, 0));
	else if (j)
		log_warnx("%s: expected one %s", what, kind);
	json_decref(j);
	*st = o ? 0 : -1;
	return o;
}

/* Inspect over the socket: 1, 0 (404 or no socket: *nosock), -1. */
static int
from_api(const struct runtime_config *rc, struct inv_container *c, int *nosock)
{
	char req[512], what[4400], podid[POD_ID_LEN];
	json_t *j;
	int st, r;

	snprintf(req, sizeof(req), PODMAN_API "/containers/%s/json", c->id);
	j = api_json(rc, req, &st);
	*nosock = st == 0;
	if (!j)
		return st == -1 ? -1 : 0;
	snprintf(what, sizeof(what), "%s: GET %s", rc->podman_socket, req);
	r = podman_parse(what, j, 0, c, podid);
	json_decref(j);
	if (r == 1 && podid[0]) {
		snprintf(req, sizeof(req), PODMAN_API "/pods/%s/json", podid);
		if ((j = api_json(rc, req, &st))) {
			rt_set(what, &c->pod, rt_json_str(what, j, "Name"));
			json_decref(j);
		}
	}
	return r;
}

static int
from_exec(const struct runtime_config *rc, struct inv_container *c)
{
	const char *bin = rc->podman_binary && *rc->podman_binary ? rc->podman_binary : "podman";
	char what[512], podid[POD_ID_LEN];
	json_t *j;
	int st, r;

	/* Exit status 125, "no such container": not podman's. No podman
	 * installed: not podman's either. */
	if (!(j = exec_json(bin, "container", c->id, &st)))
		return st == -1 ? -1 : 0;
	snprintf(what, sizeof(what), "%s container inspect %.128s", bin, c->id);
	r = podman_parse(what, j, 0, c, podid);
	json_decref(j);
	if (r == 1 && podid[0] && (j = exec_json(bin, "pod", podid, &st))) {
		rt_set(what, &c->pod, rt_json_str(what, j, "Name"));
		json_decref(j);
	}
	return r;
}

static int
podman_lookup(const struct runtime_config *rc, void *arg, struct inv_container *c)
{
	struct podman_scan *s = arg;
	struct podman_ent key, *e;
	char what[4200];
	int r, nosock;

	if (!rt_id_valid(c->id))
		return 0;
	if (s && s->root) {
		key.id = c->id;
		e = bsearch(&key, s->v, s->n, sizeof(*s->v), ent_cmp);
		if (e) {
			snprintf(what, sizeof(what), "%s: container list", rc->podman_socket);
			return podman_parse(what, e->obj, 1, c, NULL);
		}
	}
	/* Not in the list (started since, or no list): ask for it alone, on
	 * the socket when it answered, else by running podman. */
	if (!s || s->sock_ok) {
		r = from_api(rc, c, &nosock);
		if (!nosock)
			return r;
	}
	return from_exec(rc, c);
}

const struct runtime_ops runtime_podman_ops = {
	.name = "podman",
	.scan_begin = podman_scan_begin,
	.lookup = podman_lookup,
	.scan_end = podman_scan_end,
};
