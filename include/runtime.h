/* runtime.h — container metadata from the runtime that runs a container:
 * name, image, labels, Kubernetes pod/namespace. One ops table per runtime
 * (runtime-docker.c, runtime-podman.c, runtime-cri.c). Asked once per
 * container, when it first appears; never per packet or per flow. */
#ifndef CNETMON_RUNTIME_H
#define CNETMON_RUNTIME_H

#include "inventory.h"

/* Where each runtime keeps its state; defaults are the usual paths, tests
 * point them elsewhere. */
struct runtime_config {
	const char *docker_root;      /* /var/lib/docker */
	const char *docker_socket;    /* /var/run/docker.sock */
	const char *podman_socket;    /* /run/podman/podman.sock */
	const char *podman_binary;    /* podman (PATH), for `podman inspect` fallback */
	const char *containerd_state; /* /run/containerd/io.containerd.runtime.v2.task */
	const char *cri_socket;       /* /run/containerd/containerd.sock: CRI, for pod labels */
	const char *crio_storage;     /* /run/containers/storage/overlay-containers */
	const char *pods_log_dir;     /* /var/log/pods */
};

void runtime_config_default(struct runtime_config *rc);

struct runtime_ops {
	const char *name;                 /* matches cgroup_info.runtime */
	/* Per scan: list what the runtime knows at once (one API call for all
	 * containers instead of one per container). May be NULL. */
	void *(*scan_begin)(const struct runtime_config *rc);
	/* Fill c (c->id is set) from the runtime: 1 found, 0 unknown to it, -1
	 * error (a warning is logged, c keeps what it had). On success it sets
	 * c->runtime and replaces c's labels as a whole; a Kubernetes pause
	 * container is named "<pod>/pause". */
	int (*lookup)(const struct runtime_config *rc, void *scan, struct inv_container *c);
	void (*scan_end)(void *scan);
};

extern const struct runtime_ops runtime_docker_ops;
extern const struct runtime_ops runtime_podman_ops;
extern const struct runtime_ops runtime_containerd_ops;   /* OCI bundle annotations */
extern const struct runtime_ops runtime_crio_ops;         /* CRI-O's config.json annotations */

/* Every runtime, in this order: docker, podman, containerd, cri-o. */
#define RUNTIME_COUNT 4
extern const struct runtime_ops *const runtime_all[RUNTIME_COUNT];

/* The table for a cgroup_info.runtime name, or NULL. */
const struct runtime_ops *runtime_find(const char *name);

#endif
