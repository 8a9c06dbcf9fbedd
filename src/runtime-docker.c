/* runtime-docker.c — name, image and labels of a Docker Engine container.
 *
 * First from <docker_root>/containers/<id>/config.v2.json: the daemon's own
 * record of the container (moby daemon/container/container.go, type
 * Container, written by CheckpointTo/toDisk through an atomic rename), so it
 * reads the same with the daemon stopped. Not a documented interface, but
 * stable since Docker 1.11 (it replaced config.json then). Fields used:
 *	"ID"               full id, checked against the one asked for
 *	"Name"             "/web": the leading "/" is Docker's, not the user's
 *	"Config"."Image"   the image as the user named it ("nginx:1.25");
 *	                   the top-level "Image" is only the sha256 digest
 *	"Config"."Labels"  {"key": "value"}
 *
 * Then, when that file is missing or damaged, from the Engine API on
 * docker_socket: GET /containers/{id}/json (Docker Engine API reference,
 * "ContainerInspect"), whose reply uses the same names ("Id", "Name",
 * "Config"."Image", "Config"."Labels").
 *
 * Kubernetes through dockershim (kubelet before 1.24) or cri-dockerd puts the
 * pod in the container's labels: io.kubernetes.pod.name, .namespace, .uid,
 * and the container's name in the pod, io.kubernetes.container.name ("POD"
 * for the pause container, whose io.kubernetes.docker.type is "podsandbox")
 * (kubelet pkg/kubelet/types/labels.go, dockershim naming.go). Such a
 * container is named as the CRI readers name theirs, "nginx" rather than
 * Docker's "k8s_nginx_web-7d9f_default_<uid>_0", the pause container
 * "<pod>/pause", so a profile's `match name` means the same on any runtime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inventory.h"
#include "log.h"
#include "runtime.h"
#include "runtime-int.h"


#define DOCKER_API_TIMEOUT_MS 1000
#define DOCKER_API_MAX        (4u << 20)

/* Pod and container names of a dockershim container, from its labels. */
static int
kubernetes(const char *what, struct inv_container *t)
{
	const char *pod = inv_container_label(t, "io.kubernetes.pod.name");
	const char *cname = inv_container_label(t, "io.kubernetes.container.name");
	const char *type = inv_container_label(t, "io.kubernetes.docker.type");
	char name[600];

	if (!pod)
		return 0;
	if ((type && strcmp(type, "podsandbox") == 0) || (cname && strcmp(cname, "POD") == 0)) {
		snprintf(name, sizeof(name), "%.500s/pause", pod);
		cname = name;
	}
	if (rt_set(what, &t->pod, pod) < 0 ||
	    rt_set(what, &t->namespace, inv_container_label(t, "io.kubernetes.pod.namespace")) < 0 ||
	    rt_set(what, &t->pod_uid, inv_container_label(t, "io.kubernetes.pod.uid")) < 0 ||
	    rt_set(what, &t->name, cname) < 0)
		return -1;
	return 0;
}

/* One container record, from the file or the API, into a scratch
 * container; then into c. */
static int
docker_parse(const char *what, const json_t *j, const char *idkey, struct inv_container *c)
{
	struct inv_container *t;
	const json_t *cfg;
	const char *id, *name;

	cfg = rt_json_path(j, "Config", NULL);
	name = rt_json_str(what, j, "Name");
	id = rt_json_str(what, j, idkey);
	if (!json_is_object(j) || (!name && !json_is_object(cfg))) {
		log_warnx("%s: not a Docker container record", what);
		return -1;
	}
	/* A record under another container's id (copied, or a reused
	 * directory) must not name this one. */
	if (id && strcmp(id, c->id) != 0) {
		log_warnx("%s: record is for container %.64s", what, id);
		return -1;
	}
	if (!(t = inv_container_new())) {
		log_warn("%s", what);
		return -1;
	}
	if (name && *name == '/')
		name++;
	if (rt_set(what, &t->name, name) < 0 ||
	    rt_set(what, &t->image, rt_json_str(what, cfg, "Image")) < 0 ||
	    rt_set(what, &t->runtime, "docker") < 0 ||
	    rt_add_labels(what, t, rt_json_path(cfg, "Labels", NULL), NULL) < 0 ||
	    kubernetes(what, t) < 0) {
		inv_container_free(t);
		return -1;
	}
	rt_commit(c, t);
	return 1;
}

static int
from_file(const struct runtime_config *rc, struct inv_container *c)
{
	char path[4096];
	json_t *j;
	int absent, r;

	if (!rc->docker_root || !*rc->docker_root)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json",
	    rc->docker_root, c->id) >= sizeof(path))
		return 0;
	if (!(j = rt_json_load_file(path, &absent)))
		return absent ? 0 : -1;
	r = docker_parse(path, j, "ID", c);
	json_decref(j);
	return r;
}

static int
from_api(const struct runtime_config *rc, struct inv_container *c)
{
	struct rt_buf b;
	char req[256], what[4096 + 300];
	json_t *j;
	int st, r;

	snprintf(req, sizeof(req), "/containers/%s/json", c->id);
	st = rt_http_get(rc->docker_socket, req, DOCKER_API_TIMEOUT_MS, DOCKER_API_MAX, &b);
	if (st <= 0)
		return st;
	snprintf(what, sizeof(what), "%s: GET %s", rc->docker_socket, req);
	if (st == 404) {         /* "No such container" */
		free(b.p);
		return 0;
	}
	if (st != 200) {
		log_warnx("%s: HTTP status %d", what, st);
		free(b.p);
		return -1;
	}
	j = rt_json_load_buf(what, b.p, b.len);
	free(b.p);
	if (!j)
		return -1;
	r = docker_parse(what, j, "Id", c);
	json_decref(j);
	return r;
}

/* The file first: no daemon round trip, and it works with dockerd down.
 * The API when the file is not there (another data root than ours) or is
 * damaged (being rewritten as we read). */
static int
docker_lookup(const struct runtime_config *rc, void *scan, struct inv_container *c)
{
	int f, a;

	(void)scan;
	if (!rt_id_valid(c->id))
		return 0;
	if ((f = from_file(rc, c)) == 1)
		return 1;
	if ((a = from_api(rc, c)) == 1)
		return 1;
	return f < 0 || a < 0 ? -1 : 0;
}

const struct runtime_ops runtime_docker_ops = {
	.name = "docker",
	.scan_begin = NULL,
	.lookup = docker_lookup,
	.scan_end = NULL,
};
