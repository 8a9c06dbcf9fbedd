/* runtime-cri.c — Kubernetes containers run through the CRI by containerd
 * or CRI-O, read from the OCI runtime bundle each writes for runc: a
 * config.json in the OCI runtime spec format (opencontainers/runtime-spec
 * config.md) whose "annotations" object carries the Kubernetes identity.
 * Files only: the CRI itself (ListPodSandbox, ContainerStatus) is gRPC over
 * protobuf, which we do not link.
 *
 * containerd (CRI plugin), bundle <containerd_state>/<namespace>/<id>/
 * config.json; Kubernetes uses the "k8s.io" containerd namespace, Docker
 * "moby", ctr/nerdctl "default". Annotations (containerd
 * pkg/cri/annotations/annotations.go, DefaultCRIAnnotations):
 *	io.kubernetes.cri.container-type      "sandbox" (the pause container) | "container"
 *	io.kubernetes.cri.container-name      containers only
 *	io.kubernetes.cri.image-name          containers only
 *	io.kubernetes.cri.sandbox-name        pod name
 *	io.kubernetes.cri.sandbox-namespace   pod namespace
 *	io.kubernetes.cri.sandbox-uid         pod uid (containerd >= 1.6)
 *	io.kubernetes.cri.sandbox-log-directory  sandboxes: /var/log/pods/<ns>_<pod>_<uid>
 * Pod labels are not in any containerd bundle: the CRI plugin keeps them in
 * its BoltDB (meta.db) only, so containerd containers get no labels here.
 *
 * CRI-O, bundle <crio_storage>/<id>/userdata/config.json (CRI-O writes the
 * spec there and in /var/lib/containers/storage; server/container_create.go).
 * CRI-O copies the container's CRI labels and annotations into the spec as
 * they are, and adds its own (pkg/annotations, internal/annotations):
 *	io.kubernetes.container.name, io.kubernetes.pod.name,
 *	io.kubernetes.pod.namespace, io.kubernetes.pod.uid
 *	                                     the kubelet's CRI labels, copied
 *	io.kubernetes.cri-o.ContainerType    "sandbox" | "container"
 *	io.kubernetes.cri-o.ImageName        image as named in the pod spec
 *	io.kubernetes.cri-o.Image            image as resolved (fallback)
 *	io.kubernetes.cri-o.SandboxID        the pod's infra container id
 *	io.kubernetes.cri-o.Labels           the CRI labels again, as a JSON string:
 *	                                     on the sandbox these are the pod's
 *	                                     labels plus the kubelet's three
 *	                                     io.kubernetes.pod.* keys
 *	io.kubernetes.cri-o.KubeName, .Namespace, .Metadata ({"name", "uid",
 *	                                     "namespace"})   sandboxes
 * So a CRI-O container's labels are its pod's, read from the sandbox's
 * bundle (the infra container's id is the sandbox id).
 *
 * Where the pod uid is missing (containerd < 1.6), the kubelet's pod log
 * directory <pods_log_dir>/<namespace>_<pod>_<uid> gives it (kubelet
 * BuildPodLogsDirectory). A sandbox is named "<pod>/pause". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inventory.h"
#include "log.h"
#include "runtime.h"
#include "runtime-int.h"


#define K8S_CONTAINER_NAME "io.kubernetes.container.name"
#define K8S_POD_NAME       "io.kubernetes.pod.name"
#define K8S_POD_NAMESPACE  "io.kubernetes.pod.namespace"
#define K8S_POD_UID        "io.kubernetes.pod.uid"

/* The kubelet adds these to every sandbox's and container's labels; they
 * are the pod's identity, kept in pod/namespace/pod_uid, not user labels. */
static const char *const kubelet_labels[] = {
	K8S_CONTAINER_NAME, K8S_POD_NAME, K8S_POD_NAMESPACE, K8S_POD_UID, NULL
};

static const char *const containerd_namespaces[] = { "k8s.io", "moby", "default" };

/* What a bundle said; pointers into its JSON. */
struct cri_meta {
	const char *name, *image, *pod, *ns, *uid;
	int sandbox;
};

static const char *
first(const char *a, const char *b)
{
	return a && *a ? a : b;
}

/* The uid of pod ns/pod from the kubelet's <dir>/<ns>_<pod>_<uid>. Namespace
 * and pod names are DNS labels/subdomains (no '_'), so the uid is what
 * follows the second '_'. Several matches (a pod re-created under the same
 * name while the old logs remain) are ambiguous: none is taken. */
static int
uid_from_pod_logs(const char *dir, const char *ns, const char *pod, char *uid, size_t len)
{
	char prefix[600];
	struct dirent *d;
	size_t pl;
	DIR *dp;
	int n = 0;

	if (!dir || !*dir || !ns || !pod)
		return 0;
	if ((size_t)snprintf(prefix, sizeof(prefix), "%s_%s_", ns, pod) >= sizeof(prefix))
		return 0;
	if (!(dp = opendir(dir)))
		return 0;
	pl = strlen(prefix);
	while ((d = readdir(dp))) {
		const char *u = d->d_name + pl;

		if (strncmp(d->d_name, prefix, pl) != 0 || !*u || strlen(u) >= len ||
		    strspn(u, "0123456789abcdefABCDEF-") != strlen(u))
			continue;
		if (n++ == 0)
			snprintf(uid, len, "%s", u);
	}
	closedir(dp);
	return n == 1;
}

/* Move m into c, with pod labels from labels (may be NULL). */
static int
cri_fill(const char *what, const struct runtime_config *rc, const struct cri_meta *m,
         const char *runtime, const json_t *labels, struct inv_container *c)
{
	struct inv_container *t;
	char name[600], uid[80];
	const char *u = m->uid;

	if (m->sandbox) {
		/* The pause container holds the pod's network namespace: name
		 * it for the pod, so flows it is blamed for read right. */
		snprintf(name, sizeof(name), "%.500s/pause", first(m->pod, "pod"));
	} else {
		snprintf(name, sizeof(name), "%.500s", first(m->name, ""));
	}
	if ((!u || !*u) && uid_from_pod_logs(rc->pods_log_dir, m->ns, m->pod, uid, sizeof(uid)))
		u = uid;
	if (!(t = inv_container_new())) {
		log_warn("%s", what);
		return -1;
	}
	if (rt_set(what, &t->name, name) < 0 || rt_set(what, &t->image, m->image) < 0 ||
	    rt_set(what, &t->runtime, runtime) < 0 || rt_set(what, &t->pod, m->pod) < 0 ||
	    rt_set(what, &t->namespace, m->ns) < 0 || rt_set(what, &t->pod_uid, u) < 0 ||
	    rt_add_labels(what, t, labels, kubelet_labels) < 0) {
		inv_container_free(t);
		return -1;
	}
	rt_commit(c, t);
	return 1;
}

/* Once per scan: the pods the CRI knows, for their labels. containerd
 * keeps pod labels in its database only; its CRI socket is the way to them.
 * The scan handle must not be NULL when nothing answers, so it wraps. */
struct containerd_scan {
	struct cri_pods *pods;
};

static void *
containerd_scan_begin(const struct runtime_config *rc)
{
	struct containerd_scan *s = calloc(1, sizeof(*s));

	if (s)
		s->pods = cri_pods_list(rc->cri_socket);
	return s;
}

static void
containerd_scan_end(void *scan)
{
	struct containerd_scan *s = scan;

	if (!s)
		return;
	cri_pods_free(s->pods);
	free(s);
}

/* containerd: the first namespace directory holding the bundle. */
static int
containerd_lookup(const struct runtime_config *rc, void *scan, struct inv_container *c)
{
	struct containerd_scan *cs = scan;
	json_t *labels = NULL;
	struct cri_meta m = { 0 };
	char path[4096];
	const json_t *ann;
	const char *type;
	json_t *j = NULL;
	size_t i;
	int absent = 1, r;

	if (!rt_id_valid(c->id) || !rc->containerd_state || !*rc->containerd_state)
		return 0;
	for (i = 0; i < sizeof(containerd_namespaces) / sizeof(containerd_namespaces[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s/config.json", rc->containerd_state,
		    containerd_namespaces[i], c->id) >= sizeof(path))
			return 0;
		if ((j = rt_json_load_file(path, &absent)) || !absent)
			break;
	}
	if (!j)
		return absent ? 0 : -1;
	ann = rt_json_path(j, "annotations", NULL);
	type = rt_json_str(path, ann, "io.kubernetes.cri.container-type");
	m.sandbox = type && strcmp(type, "sandbox") == 0;
	m.name = rt_json_str(path, ann, "io.kubernetes.cri.container-name");
	m.image = rt_json_str(path, ann, "io.kubernetes.cri.image-name");
	m.pod = rt_json_str(path, ann, "io.kubernetes.cri.sandbox-name");
	m.ns = rt_json_str(path, ann, "io.kubernetes.cri.sandbox-namespace");
	m.uid = rt_json_str(path, ann, "io.kubernetes.cri.sandbox-uid");
	/* A bundle without CRI annotations (Docker's "moby", plain ctr) says
	 * nothing we can use: leave the container to other sources. */
	if (!type && !m.name && !m.pod) {
		json_decref(j);
		return 0;
	}
	/* A sandbox's own id is the pod's; a container names its sandbox. */
	if (cs)
		labels = cri_pod_labels(cs->pods, m.uid, m.sandbox ? c->id :
		                        rt_json_str(path, ann, "io.kubernetes.cri.sandbox-id"));
	r = cri_fill(path, rc, &m, "containerd", labels, c);
	json_decref(labels);
	json_decref(j);
	return r;
}

/* An annotation holding JSON (CRI-O's io.kubernetes.cri-o.Labels and
 * .Metadata); NULL, with a warning if it is damaged. */
static json_t *
annotation_json(const char *path, const json_t *ann, const char *key)
{
	char what[4200];
	const char *s;
	json_t *j;

	if (!(s = json_string_value(json_object_get(ann, key))))
		return NULL;
	snprintf(what, sizeof(what), "%s: %s", path, key);
	if ((j = rt_json_load_buf(what, s, strlen(s))) && !json_is_object(j)) {
		log_warnx("%s: not a JSON object", what);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* A CRI-O bundle's JSON and annotations; NULL with *absent, or a warning. */
static json_t *
crio_bundle(const struct runtime_config *rc, const char *id, char *path, size_t len,
            int *absent)
{
	*absent = 1;
	if (!rc->crio_storage || !*rc->crio_storage || !rt_id_valid(id) ||
	    (size_t)snprintf(path, len, "%s/%s/userdata/config.json", rc->crio_storage, id) >= len)
		return NULL;
	return rt_json_load_file(path, absent);
}

/* The pod's labels: the sandbox bundle's io.kubernetes.cri-o.Labels. A
 * missing or damaged sandbox bundle costs the labels, not the container. */
static json_t *
crio_pod_labels(const struct runtime_config *rc, const char *sandbox_id)
{
	char path[4096];
	json_t *j, *l;
	int absent;

	if (!sandbox_id || !(j = crio_bundle(rc, sandbox_id, path, sizeof(path), &absent)))
		return NULL;
	l = annotation_json(path, rt_json_path(j, "annotations", NULL), "io.kubernetes.cri-o.Labels");
	json_decref(j);
	return l;
}

static int
crio_lookup(const struct runtime_config *rc, void *scan, struct inv_container *c)
{
	struct cri_meta m = { 0 };
	json_t *j, *lab, *md, *podlab = NULL;
	const char *type, *sid;
	const json_t *ann;
	char path[4096];
	int absent, r;

	(void)scan;
	if (!(j = crio_bundle(rc, c->id, path, sizeof(path), &absent)))
		return absent ? 0 : -1;
	ann = rt_json_path(j, "annotations", NULL);
	type = rt_json_str(path, ann, "io.kubernetes.cri-o.ContainerType");
	/* Podman shares containers/storage with CRI-O: a bundle without
	 * CRI-O's annotations is not a CRI-O container. */
	if (!type && !rt_json_str(path, ann, K8S_POD_NAME)) {
		json_decref(j);
		return 0;
	}
	m.sandbox = type && strcmp(type, "sandbox") == 0;
	lab = annotation_json(path, ann, "io.kubernetes.cri-o.Labels");
	md = m.sandbox ? annotation_json(path, ann, "io.kubernetes.cri-o.Metadata") : NULL;
	m.name = first(rt_json_str(path, ann, K8S_CONTAINER_NAME),
	               rt_json_str(path, lab, K8S_CONTAINER_NAME));
	m.pod = first(first(rt_json_str(path, ann, K8S_POD_NAME), rt_json_str(path, lab, K8S_POD_NAME)),
	              m.sandbox ? rt_json_str(path, ann, "io.kubernetes.cri-o.KubeName") : NULL);
	m.ns = first(first(rt_json_str(path, ann, K8S_POD_NAMESPACE),
	                   rt_json_str(path, lab, K8S_POD_NAMESPACE)),
	             m.sandbox ? rt_json_str(path, ann, "io.kubernetes.cri-o.Namespace") : NULL);
	m.uid = first(first(rt_json_str(path, ann, K8S_POD_UID), rt_json_str(path, lab, K8S_POD_UID)),
	              rt_json_str(path, md, "uid"));
	m.image = first(rt_json_str(path, ann, "io.kubernetes.cri-o.ImageName"),
	                rt_json_str(path, ann, "io.kubernetes.cri-o.Image"));
	sid = rt_json_str(path, ann, "io.kubernetes.cri-o.SandboxID");
	if (!m.sandbox && sid && strcmp(sid, c->id) != 0)
		podlab = crio_pod_labels(rc, sid);
	r = cri_fill(path, rc, &m, "cri-o", m.sandbox ? lab : podlab, c);
	json_decref(podlab);
	json_decref(md);
	json_decref(lab);
	json_decref(j);
	return r;
}

const struct runtime_ops runtime_containerd_ops = {
	.name = "containerd",
	.scan_begin = containerd_scan_begin,
	.lookup = containerd_lookup,
	.scan_end = containerd_scan_end,
};

const struct runtime_ops runtime_crio_ops = {
	.name = "cri-o",
	.scan_begin = NULL,
	.lookup = crio_lookup,
	.scan_end = NULL,
};
