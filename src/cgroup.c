/* cgroup.c — which container a process belongs to, from its cgroup path.
 *
 * Runtimes name a container's cgroup after its id, in a few layouts (see
 * cgroup.h). The path is read from the leaf up: the innermost component that
 * carries an id decides, so nested layouts (kubepods slices around a
 * cri-containerd scope, podman's "/container" sub-cgroup) resolve to the
 * container. conmon and the like run in cgroups of their own ("-conmon-")
 * and are not containers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

static int
is_hex_id(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Does component [s, s+n) equal prefix + 64 hex (+ ".scope")? */
static int
prefixed_id(const char *s, size_t n, const char *prefix, char id[65])
{
	size_t pl = strlen(prefix);

	if (n > 6 && !memcmp(s + n - 6, ".scope", 6))
		n -= 6;
	if (n != pl + 64 || memcmp(s, prefix, pl) || !is_hex_id(s + pl, 64))
		return 0;
	memcpy(id, s + pl, 64);
	id[64] = '\0';
	return 1;
}

/* Kubernetes pod components: "pod<uid>" (cgroupfs) or
 * "kubepods-[<qos>-]pod<uid with _ for ->.slice" (systemd). */
static void
pod_of(const char *s, size_t n, struct cgroup_info *out)
{
	const char *p;
	size_t i, ul;

	if (n > 6 && !memcmp(s + n - 6, ".slice", 6))
		n -= 6;
	for (p = s; p + 3 <= s + n; p++) {
		if (memcmp(p, "pod", 3) || (p != s && p[-1] != '-'))
			continue;
		ul = (size_t)(s + n - (p + 3));
		if (ul != 36 && ul != 32)
			continue;
		for (i = 0; i < ul; i++) {
			char ch = p[3 + i];
			if (!isxdigit((unsigned char)ch) && ch != '_' && ch != '-')
				break;
		}
		if (i != ul)
			continue;
		for (i = 0; i < ul && i < sizeof(out->pod_uid) - 1; i++)
			out->pod_uid[i] = p[3 + i] == '_' ? '-' : p[3 + i];
		out->pod_uid[i] = '\0';
		return;
	}
}

static void
qos_of(const char *s, size_t n, struct cgroup_info *out)
{
	static const char *const q[] = { "burstable", "besteffort" };
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t ql = strlen(q[i]);
		/* "burstable" (cgroupfs) or "kubepods-burstable[-pod...].slice" */
		if ((n == ql && !memcmp(s, q[i], ql)) ||
		    (n > 9 + ql && !memcmp(s, "kubepods-", 9) && !memcmp(s + 9, q[i], ql)))
			snprintf(out->qos, sizeof(out->qos), "%s", q[i]);
	}
}

int
cgroup_parse_path(const char *path, struct cgroup_info *out)
{
	const char *end = path + strlen(path), *s, *e;
	int kube = 0, docker_parent = 0, found = 0;

	memset(out, 0, sizeof(*out));
	/* First pass: context from every component. */
	for (s = path; s < end; s = e + 1) {
		size_t n;
		e = strchr(s, '/');
		if (!e)
			e = end;
		n = (size_t)(e - s);
		if (n >= 8 && !memcmp(s, "kubepods", 8))
			kube = 1;
		if (n == 6 && !memcmp(s, "docker", 6))
			docker_parent = 1;
		pod_of(s, n, out);
		qos_of(s, n, out);
	}
	/* Second pass: the innermost component with an id decides. */
	for (e = end; e > path && !found;) {
		size_t n;
		s = e;
		while (s > path && s[-1] != '/')
			s--;
		n = (size_t)(e - s);
		if (n >= 7 && strstr(s, "-conmon-") && strstr(s, "-conmon-") < e)
			return 0;
		if (prefixed_id(s, n, "libpod-", out->id)) {
			strcpy(out->runtime, "podman");
			found = 1;
		} else if (prefixed_id(s, n, "docker-", out->id)) {
			strcpy(out->runtime, "docker");
			found = 1;
		} else if (prefixed_id(s, n, "cri-containerd-", out->id)) {
			strcpy(out->runtime, "containerd");
			found = 1;
		} else if (prefixed_id(s, n, "crio-", out->id)) {
			strcpy(out->runtime, "cri-o");
			found = 1;
		} else if (is_hex_id(s, n)) {
			memcpy(out->id, s, 64);
			out->id[64] = '\0';
			/* /docker/<id>; under kubepods a bare id may be any CRI runtime. */
			if (docker_parent)
				strcpy(out->runtime, "docker");
			found = 1;
		}
		e = s > path ? s - 1 : path;
	}
	if (!found) {
		out->pod_uid[0] = out->qos[0] = '\0';
		return 0;
	}
	if (kube && out->pod_uid[0] && !out->qos[0])
		strcpy(out->qos, "guaranteed");
	return 1;
}

int
cgroup_of_pid(const char *proc_root, int pid, struct cgroup_info *out, char *path,
              size_t pathlen)
{
	char fn[256], line[4096], first[4096] = "";
	int found = 0;
	FILE *fp;

	snprintf(fn, sizeof(fn), "%s/%d/cgroup", proc_root, pid);
	if (!(fp = fopen(fn, "re")))
		return -1;
	memset(out, 0, sizeof(*out));
	while (!found && fgets(line, sizeof(line), fp)) {
		char *p1 = strchr(line, ':'), *p2 = p1 ? strchr(p1 + 1, ':') : NULL, *cg;
		size_t n;

		if (!p2)
			continue;       /* not "id:controllers:path": skip, it is not ours to trust */
		cg = p2 + 1;
		n = strcspn(cg, "\n");
		cg[n] = '\0';
		if (!first[0] || !strncmp(line, "0::", 3))
			snprintf(first, sizeof(first), "%s", cg);
		if (cgroup_parse_path(cg, out)) {
			snprintf(path, pathlen, "%s", cg);
			found = 1;
		}
	}
	if (ferror(fp)) {
		int saved = errno;
		fclose(fp);
		errno = saved ? saved : EIO;
		return -1;
	}
	fclose(fp);
	if (!found)
		snprintf(path, pathlen, "%s", first);
	return found;
}
