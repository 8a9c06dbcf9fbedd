/* cgroup.h — container identity from cgroup paths, the way every runtime
 * names them (cgroup v1 and v2, cgroupfs and systemd drivers):
 *   podman      /libpod_parent/libpod-<64hex>, machine.slice/libpod-<64hex>.scope
 *   docker      /docker/<64hex>, system.slice/docker-<64hex>.scope
 *   containerd  kubepods.slice/kubepods-<qos>-pod<uid>.slice/cri-containerd-<64hex>.scope,
 *               /kubepods/<qos>/pod<uid>/<64hex>
 *   cri-o       crio-<64hex>.scope */
#ifndef CNETMON_CGROUP_H
#define CNETMON_CGROUP_H

#include <stddef.h>

struct cgroup_info {
	char runtime[16];       /* "podman", "docker", "containerd", "cri-o", "" */
	char id[65];            /* container id, "" if none */
	char pod_uid[37];       /* Kubernetes pod UID (dashes restored), "" if none */
	char qos[16];           /* "guaranteed", "burstable", "besteffort", "" */
};

/* Parse one cgroup path. 1 if it names a container, 0 if not. */
int cgroup_parse_path(const char *path, struct cgroup_info *out);
/* Read /proc/PID/cgroup (root: "/proc" or a test root) and pick the path
 * that names the container (v2 "0::" line or any v1 line). 1 found, 0 not a
 * container, -1 unreadable (errno). path receives the chosen line's path. */
int cgroup_of_pid(const char *proc_root, int pid, struct cgroup_info *out, char *path,
                  size_t pathlen);

#endif
