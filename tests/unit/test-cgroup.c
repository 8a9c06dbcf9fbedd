/* cgroup paths as runtimes write them (cgroup.h lists the layouts). Real
 * cgroups are exercised by the integration tests; this checks the parser
 * on every layout, including the ones no runtime on the test host makes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

#define ID "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b"
#define UID "5f0c6b4e-2a7d-4d0e-9c1b-8e3f2a1b0c9d"
#define UID_ "5f0c6b4e_2a7d_4d0e_9c1b_8e3f2a1b0c9d"

static void
expect(const char *path, const char *runtime, const char *id, const char *pod, const char *qos)
{
	struct cgroup_info ci;
	int r = cgroup_parse_path(path, &ci);

	cr_expect_eq(r, id ? 1 : 0, "%s", path);
	if (!id)
		return;
	cr_expect_str_eq(ci.runtime, runtime, "%s", path);
	cr_expect_str_eq(ci.id, id, "%s", path);
	cr_expect_str_eq(ci.pod_uid, pod, "%s", path);
	cr_expect_str_eq(ci.qos, qos, "%s", path);
}

Test(cgroup, podman)
{
	expect("/libpod_parent/libpod-" ID, "podman", ID, "", "");
	expect("/machine.slice/libpod-" ID ".scope", "podman", ID, "", "");
	expect("/machine.slice/libpod-" ID ".scope/container", "podman", ID, "", "");
	expect("/machine.slice/libpod-conmon-" ID ".scope", NULL, NULL, NULL, NULL);
}

Test(cgroup, docker)
{
	expect("/docker/" ID, "docker", ID, "", "");
	expect("/system.slice/docker-" ID ".scope", "docker", ID, "", "");
	expect("/system.slice/docker.service", NULL, NULL, NULL, NULL);
}

Test(cgroup, kubernetes)
{
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/"
	       "cri-containerd-" ID ".scope", "containerd", ID, UID, "burstable");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	       "containerd", ID, UID, "guaranteed");
	expect("/kubepods/besteffort/pod" UID "/" ID, "", ID, UID, "besteffort");
	expect("/kubepods/pod" UID "/" ID, "", ID, UID, "guaranteed");
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/"
	       "crio-" ID ".scope", "cri-o", ID, UID, "besteffort");
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/"
	       "crio-conmon-" ID ".scope", NULL, NULL, NULL, NULL);
}

Test(cgroup, not_containers)
{
	expect("/", NULL, NULL, NULL, NULL);
	expect("/user.slice/user-0.slice/session-1.scope", NULL, NULL, NULL, NULL);
	expect("/docker/" "3f2a9c", NULL, NULL, NULL, NULL);              /* short id */
	expect("/docker/" "3F2A9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B",
	       NULL, NULL, NULL, NULL);                                    /* not lowercase hex */
	expect("/libpod-" ID "0", NULL, NULL, NULL, NULL);                  /* 65 chars */
	expect("", NULL, NULL, NULL, NULL);
	expect("////", NULL, NULL, NULL, NULL);
}

/* /proc/PID/cgroup files as the kernel writes them, in a temp proc root. */
static void
write_proc(const char *root, int pid, const char *content)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%d", root, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%d/cgroup", root, pid);
	fp = fopen(p, "w");
	cr_assert(fp);
	fputs(content, fp);
	fclose(fp);
}

Test(cgroup, proc_files_v1_v2_hybrid)
{
	char root[] = "/tmp/cnetmon-proc-XXXXXX", path[512];
	struct cgroup_info ci;

	cr_assert(mkdtemp(root));
	/* cgroup v2 only */
	write_proc(root, 10, "0::/system.slice/docker-" ID ".scope\n");
	/* hybrid, as podman with cgroupfs on the test hosts (HOST-NOTES.md) */
	write_proc(root, 11, "12:pids:/libpod_parent/libpod-" ID "\n"
	                     "1:name=systemd:/libpod_parent/libpod-" ID "\n"
	                     "0::/libpod_parent/libpod-" ID "\n");
	/* v1 with the id only on one controller line */
	write_proc(root, 12, "3:cpu,cpuacct:/\n2:memory:/docker/" ID "\n1:name=systemd:/\n");
	/* the host */
	write_proc(root, 13, "0::/init.scope\n");
	/* garbage */
	write_proc(root, 14, "not a cgroup file\n::\n");

	cr_expect_eq(cgroup_of_pid(root, 10, &ci, path, sizeof(path)), 1);
	cr_expect_str_eq(ci.runtime, "docker");
	cr_expect_eq(cgroup_of_pid(root, 11, &ci, path, sizeof(path)), 1);
	cr_expect_str_eq(ci.runtime, "podman");
	cr_expect_str_eq(path, "/libpod_parent/libpod-" ID);
	cr_expect_eq(cgroup_of_pid(root, 12, &ci, path, sizeof(path)), 1);
	cr_expect_str_eq(ci.id, ID);
	cr_expect_eq(cgroup_of_pid(root, 13, &ci, path, sizeof(path)), 0);
	cr_expect_str_eq(path, "/init.scope");
	cr_expect_eq(cgroup_of_pid(root, 14, &ci, path, sizeof(path)), 0);
	cr_expect_eq(cgroup_of_pid(root, 99, &ci, path, sizeof(path)), -1);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		cr_expect_eq(system(cmd), 0);
	}
}
