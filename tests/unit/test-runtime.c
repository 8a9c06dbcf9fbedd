/* Runtime metadata readers (runtime.h) on files laid out as each runtime
 * lays them out, in a temporary directory, plus damaged variants: truncated
 * (half-written), garbage, too large, wrong types, too many labels.
 *
 * Where the samples come from:
 *  - Docker config.v2.json: written by Docker 20.10.24 (Debian 12 docker.io)
 *    on the development host for `docker run --label app=web ...` of a
 *    `docker import`ed busybox, trimmed of mounts and network settings.
 *  - containerd bundles: the annotation sets of containerd 1.6/1.7
 *    (pkg/cri/annotations DefaultCRIAnnotations), with values as `crictl
 *    inspect` shows them on kubeadm clusters (a coredns sandbox, an nginx
 *    container), published in issue threads and docs.
 *  - CRI-O bundles: the annotations CRI-O 1.2x writes (crictl inspect output
 *    reproduced in Falco's libsinsp CRI tests), with the kubelet's labels
 *    copied to the top level as server/container_create_linux.go does.
 *  - podman: the libpod list/inspect replies of podman 4.3.1 on the
 *    development host, served by a small HTTP server on a unix socket; the
 *    `podman inspect` fallback through a stand-in script (the real podman
 *    and dockerd are driven by tests/integration/runtime-*.sh). */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inventory.h"
#include "runtime.h"

#define ID1 "87a005180e8cf78c584fc43776aaa0cad961049290cefe2a3e80e32c89cf1597"
#define ID2 "0c5ee1d0e765ae38e71b5d29f5645addd6e990a4aab203b55dba062292fa319d"
#define SBX "3eff2d8d3a4f3d3c0d1c4d4737c21b397bf7cbf77fd8a0fe370f6a59129cd535"
#define CTR "7d6ad449ae76b3166d44ccb50db26fca776353225381820a16dbad3dbbe5861b"
#define UID "44e4b37f-504f-4f1c-80f3-4137bfbec5e4"

static char tmp[PATH_MAX];
static struct runtime_config rc;
static char p_docker[PATH_MAX + 32], p_dsock[PATH_MAX + 32], p_psock[PATH_MAX + 32],
            p_pbin[PATH_MAX + 32], p_ctrd[PATH_MAX + 32], p_crio[PATH_MAX + 32],
            p_pods[PATH_MAX + 32];

/* ---- temporary tree, files, stderr ------------------------------------ */

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void
setup(void)
{
	strcpy(tmp, "/tmp/cnetmon-rt-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	runtime_config_default(&rc);
	snprintf(p_docker, sizeof(p_docker), "%s/docker", tmp);
	snprintf(p_dsock, sizeof(p_dsock), "%s/docker.sock", tmp);
	snprintf(p_psock, sizeof(p_psock), "%s/podman.sock", tmp);
	snprintf(p_pbin, sizeof(p_pbin), "%s/no-such-podman", tmp);
	snprintf(p_ctrd, sizeof(p_ctrd), "%s/containerd", tmp);
	snprintf(p_crio, sizeof(p_crio), "%s/crio", tmp);
	snprintf(p_pods, sizeof(p_pods), "%s/pods", tmp);
	rc.docker_root = p_docker;
	rc.docker_socket = p_dsock;
	rc.podman_socket = p_psock;
	rc.podman_binary = p_pbin;
	rc.containerd_state = p_ctrd;
	rc.crio_storage = p_crio;
	rc.pods_log_dir = p_pods;
}

static void
teardown(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mkdirs(char *p)
{
	char *s;

	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
}

/* tmp/rel with len bytes of data (len -1: strlen). Returns the path. */
static const char *
put(const char *rel, const char *data, long len)
{
	static char p[PATH_MAX + 256];
	size_t n = len < 0 ? strlen(data) : (size_t)len;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	mkdirs(p);
	cr_assert_not_null(f = fopen(p, "w"), "%s", p);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
	return p;
}

static int saved_fd = -1;
static char cap_path[PATH_MAX + 16];

static void
capture(void)
{
	int fd;

	snprintf(cap_path, sizeof(cap_path), "%s/stderr", tmp);
	fflush(stderr);
	saved_fd = dup(2);
	cr_assert((fd = open(cap_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	dup2(fd, 2);
	close(fd);
}

/* What went to stderr since capture(); static, valid until the next call. */
static const char *
captured(void)
{
	static char buf[65536];
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	cr_assert_not_null(f = fopen(cap_path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct inv_container *
cont(const char *id)
{
	struct inv_container *c = inv_container_new();

	cr_assert_not_null(c);
	cr_assert_eq(inv_set(&c->id, id), 0);
	return c;
}

static int
lookup(const struct runtime_ops *ops, struct inv_container *c)
{
	void *scan = ops->scan_begin ? ops->scan_begin(&rc) : NULL;
	int r = ops->lookup(&rc, scan, c);

	if (ops->scan_end)
		ops->scan_end(scan);
	return r;
}

#define expect_str(got, want) \
	cr_expect((got) && strcmp((got), (want)) == 0, "%s: got \"%s\", want \"%s\"", #got, \
	          (got) ? (got) : "(null)", want)
#define expect_label(c, k, v) expect_str(inv_container_label((c), (k)), (v))

/* ---- a tiny HTTP/1.1 server on a unix socket ------------------------- */

struct route {
	const char *path;   /* exact request target */
	int status;         /* 0: never answer (a hung daemon) */
	const char *body;
};

static struct {
	int fd;
	pthread_t th;
	struct route routes[8];
	char seen[16][512];
	int nseen;
} srv = { .fd = -1 };

static void *
serve(void *arg)
{
	char req[8192], path[512], head[256];
	const struct route *r;
	size_t n;
	ssize_t k;
	int c, i;

	(void)arg;
	while ((c = accept(srv.fd, NULL, NULL)) >= 0) {
		n = 0;
		while (n < sizeof(req) - 1 && (k = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
			n += (size_t)k;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = '\0';
		path[0] = '\0';
		sscanf(req, "GET %511s", path);
		if (srv.nseen < 16)
			snprintf(srv.seen[srv.nseen++], sizeof(srv.seen[0]), "%s", path);
		r = NULL;
		for (i = 0; i < 8 && srv.routes[i].path; i++)
			if (strcmp(srv.routes[i].path, path) == 0)
				r = &srv.routes[i];
		if (r && r->status == 0) {
			sleep(3);
			close(c);
			continue;
		}
		{
			const char *body = r ? r->body : "{\"message\":\"no such container\"}";
			int st = r ? r->status : 404;

			snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			         "Content-Length: %zu\r\nConnection: close\r\n\r\n", st, strlen(body));
			if (write(c, head, strlen(head)) > 0)
				(void)!write(c, body, strlen(body));
		}
		close(c);
	}
	return NULL;
}

static void
serve_on(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	cr_assert((srv.fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	cr_assert_eq(bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(srv.fd, 16), 0);
	cr_assert_eq(pthread_create(&srv.th, NULL, serve, NULL), 0);
}

static void
serve_stop(void)
{
	shutdown(srv.fd, SHUT_RDWR);
	pthread_join(srv.th, NULL);
	close(srv.fd);
}

/* ---- the table ------------------------------------------------------- */

Test(runtime, table_and_defaults)
{
	struct runtime_config d;

	cr_expect_eq(runtime_find("docker"), &runtime_docker_ops);
	cr_expect_eq(runtime_find("podman"), &runtime_podman_ops);
	cr_expect_eq(runtime_find("containerd"), &runtime_containerd_ops);
	cr_expect_eq(runtime_find("cri-o"), &runtime_crio_ops);
	cr_expect_null(runtime_find("crio"));
	cr_expect_null(runtime_find(""));
	cr_expect_null(runtime_find(NULL));
	runtime_config_default(&d);
	cr_expect_str_eq(d.docker_root, "/var/lib/docker");
	cr_expect_str_eq(d.docker_socket, "/var/run/docker.sock");
	cr_expect_str_eq(d.podman_socket, "/run/podman/podman.sock");
	cr_expect_str_eq(d.podman_binary, "podman");
	cr_expect_str_eq(d.containerd_state, "/run/containerd/io.containerd.runtime.v2.task");
	cr_expect_str_eq(d.crio_storage, "/run/containers/storage/overlay-containers");
	cr_expect_str_eq(d.pods_log_dir, "/var/log/pods");
}

/* ---- Docker ---------------------------------------------------------- */

/* config.v2.json as Docker 20.10.24 wrote it (trimmed); labels with a
 * quote, a backslash and non-ASCII. */
static const char docker_v2[] =
"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Paused\":false,\"Restarting\":false,"
"\"OOMKilled\":false,\"RemovalInProgress\":false,\"Dead\":false,\"Pid\":23256,\"ExitCode\":0,"
"\"Error\":\"\",\"StartedAt\":\"2026-11-26T22:51:54.724133284Z\",\"FinishedAt\":"
"\"0001-01-01T00:00:00Z\",\"Health\":null},\"ID\":\"" ID1 "\",\"Created\":"
"\"2026-11-26T22:51:54.314352954Z\",\"Managed\":false,\"Path\":\"/bin/httpd\",\"Args\":"
"[\"-f\",\"-p\",\"80\",\"-h\",\"/www\"],\"Config\":{\"Hostname\":\"87a005180e8c\","
"\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,"
"\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,"
"\"Cmd\":[\"/bin/httpd\",\"-f\",\"-p\",\"80\",\"-h\",\"/www\"],\"Image\":\"local/rtbusybox\","
"\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":"
"{\"app\":\"web\",\"caf\":\"\\u00e9\\u2603\",\"q\\\"uote\":\"v\\\"al\\\\\"}},\"Image\":"
"\"sha256:a050a55590f847c0f98ab4c6097298fd11d2741239da6b033bcdac800d056c87\","
"\"NetworkSettings\":{\"Bridge\":\"\",\"SandboxID\":\"fed5d8a06e937c86901d820d670d0b7b683c6"
"26044b618dbcf54af093c3828e3\",\"Networks\":{\"none\":{\"IPAddress\":\"\"}}},\"LogPath\":"
"\"/var/lib/docker/containers/" ID1 "/" ID1 "-json.log\",\"Name\":\"/rtx-web\",\"Driver\":"
"\"overlay2\",\"OS\":\"linux\",\"RestartCount\":0,\"HasBeenStartedBefore\":true}";

static const char *
docker_file(const char *id, const char *data, long len)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "docker/containers/%s/config.v2.json", id);
	return put(rel, data, len);
}

Test(docker, config_v2_json, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);

	docker_file(ID1, docker_v2, -1);
	cr_assert_eq(lookup(&runtime_docker_ops, c), 1);
	expect_str(c->name, "rtx-web");
	expect_str(c->image, "local/rtbusybox");
	expect_str(c->runtime, "docker");
	cr_expect_eq(c->nlabels, 3);
	expect_label(c, "app", "web");
	expect_label(c, "caf", "\xc3\xa9\xe2\x98\x83");
	expect_label(c, "q\"uote", "v\"al\\");
	cr_expect_null(c->pod);
	cr_expect_null(c->namespace);
	inv_container_free(c);
}

/* dockershim / cri-dockerd: the pod is in the labels. */
Test(docker, dockershim_labels, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);

	docker_file(ID1,
	    "{\"ID\":\"" ID1 "\",\"Name\":\"/k8s_nginx_nginx-7d9f_default_" UID "_0\","
	    "\"Config\":{\"Image\":\"sha256:605c77e624dd\",\"Labels\":{"
	    "\"annotation.io.kubernetes.container.hash\":\"3f8e5a1c\","
	    "\"io.kubernetes.container.name\":\"nginx\","
	    "\"io.kubernetes.docker.type\":\"container\","
	    "\"io.kubernetes.pod.name\":\"nginx-7d9f\","
	    "\"io.kubernetes.pod.namespace\":\"default\","
	    "\"io.kubernetes.pod.uid\":\"" UID "\","
	    "\"io.kubernetes.sandbox.id\":\"" SBX "\"}}}", -1);
	cr_assert_eq(lookup(&runtime_docker_ops, c), 1);
	/* Named as containerd and CRI-O name it: the name in the pod. */
	expect_str(c->name, "nginx");
	expect_str(c->pod, "nginx-7d9f");
	expect_str(c->namespace, "default");
	expect_str(c->pod_uid, UID);
	cr_expect_eq(c->nlabels, 7);
	inv_container_free(c);

	c = cont(SBX);
	docker_file(SBX,
	    "{\"ID\":\"" SBX "\",\"Name\":\"/k8s_POD_nginx-7d9f_default_" UID "_0\","
	    "\"Config\":{\"Image\":\"registry.k8s.io/pause:3.6\",\"Labels\":{"
	    "\"io.kubernetes.container.name\":\"POD\","
	    "\"io.kubernetes.docker.type\":\"podsandbox\","
	    "\"io.kubernetes.pod.name\":\"nginx-7d9f\","
	    "\"io.kubernetes.pod.namespace\":\"default\","
	    "\"io.kubernetes.pod.uid\":\"" UID "\",\"app\":\"nginx\"}}}", -1);
	cr_assert_eq(lookup(&runtime_docker_ops, c), 1);
	expect_str(c->name, "nginx-7d9f/pause");
	expect_str(c->image, "registry.k8s.io/pause:3.6");
	expect_label(c, "app", "nginx");
	inv_container_free(c);
}

Test(docker, absent_is_unknown, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);

	capture();
	cr_expect_eq(lookup(&runtime_docker_ops, c), 0);
	cr_expect_str_empty(captured());
	cr_expect_null(c->name);
	inv_container_free(c);
}

/* Ids come from cgroup names: nothing that could walk out of the tree. */
Test(docker, hostile_ids, .init = setup, .fini = teardown)
{
	static const char *const bad[] = { "../../etc", "..", ".hidden", "a/b", "", "-x",
	                                   "a b", NULL };
	size_t i;

	put("docker/containers/x/config.v2.json", docker_v2, -1);
	for (i = 0; bad[i]; i++) {
		struct inv_container *c = cont(bad[i]);
		cr_expect_eq(runtime_docker_ops.lookup(&rc, NULL, c), 0, "%s", bad[i]);
		cr_expect_eq(runtime_podman_ops.lookup(&rc, NULL, c), 0, "%s", bad[i]);
		cr_expect_eq(runtime_containerd_ops.lookup(&rc, NULL, c), 0, "%s", bad[i]);
		cr_expect_eq(runtime_crio_ops.lookup(&rc, NULL, c), 0, "%s", bad[i]);
		inv_container_free(c);
	}
}

/* A damaged file: -1, a warning naming it, and c keeps what it had. */
static void
expect_damaged(const char *data, long len, const char *want_msg)
{
	struct inv_container *c = cont(ID1);
	const char *path, *err;

	inv_set(&c->name, "before");
	inv_container_add_label(c, "keep", "me");
	path = docker_file(ID1, data, len);
	capture();
	cr_expect_eq(lookup(&runtime_docker_ops, c), -1, "%s", want_msg);
	err = captured();
	cr_expect(strstr(err, path) != NULL, "warning names the file: %s", err);
	cr_expect(strstr(err, want_msg) != NULL, "warning says \"%s\": %s", want_msg, err);
	expect_str(c->name, "before");
	expect_label(c, "keep", "me");
	cr_expect_eq(c->nlabels, 1);
	cr_expect_null(c->image);
	inv_container_free(c);
}

Test(docker, truncated_at_every_length, .init = setup, .fini = teardown)
{
	size_t n, len = strlen(docker_v2);

	/* Every prefix is either invalid JSON or not a container: never a
	 * crash, never a half-filled container. */
	for (n = 0; n < len; n += (n < 64 ? 1 : 97)) {
		struct inv_container *c = cont(ID1);

		docker_file(ID1, docker_v2, (long)n);
		capture();
		cr_expect_eq(lookup(&runtime_docker_ops, c), -1, "prefix of %zu bytes", n);
		captured();
		cr_expect_null(c->name);
		cr_expect_eq(c->nlabels, 0);
		inv_container_free(c);
	}
	expect_damaged(docker_v2, (long)len - 20, "premature end of input");
}

Test(docker, garbage, .init = setup, .fini = teardown)
{
	expect_damaged("\x7f" "ELF\x02\x01\x01\0\0\0garbage", 16, "expected");
	expect_damaged("", 0, "");
	expect_damaged("[1,2,3]", -1, "not a Docker container record");
	expect_damaged("42", -1, "");
	expect_damaged("{\"Name\":\"/x\",\"Config\":{\"Labels\":{\"a\":\"\\ud800\"}}}", -1, "");
	expect_damaged("{\"Name\":\"/x\xff\xfe\"}", -1, "");                /* invalid UTF-8 */
	expect_damaged("{\"Name\":\"/x\\u0000y\"}", -1, "");                 /* NUL in a string */
	expect_damaged("{\"ID\":\"" ID2 "\",\"Name\":\"/other\"}", -1, "is for container");
}

Test(docker, wrong_types_are_skipped, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);
	const char *err;

	docker_file(ID1, "{\"Name\":\"/odd\",\"Config\":{\"Image\":7,\"Labels\":"
	            "{\"n\":1,\"o\":{},\"ok\":\"yes\",\"nul\":null,\"\":\"empty key\"}}}", -1);
	capture();
	cr_assert_eq(lookup(&runtime_docker_ops, c), 1);
	err = captured();
	/* One warning for the lot, not one per label. */
	cr_expect(strstr(err, "4 label(s) not a string") != NULL, "%s", err);
	cr_expect_eq(strchr(err, '\n'), strrchr(err, '\n'), "one line: %s", err);
	expect_str(c->name, "odd");
	cr_expect_null(c->image);
	cr_expect_eq(c->nlabels, 1);
	expect_label(c, "ok", "yes");
	inv_container_free(c);
}

Test(docker, too_large, .init = setup, .fini = teardown)
{
	size_t n = (4u << 20) + 10;
	char *big = malloc(n);

	cr_assert_not_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"Name\":\"/x\"}", 13);
	expect_damaged(big, (long)n, "larger than");
	free(big);
}

Test(docker, not_a_regular_file, .init = setup, .fini = teardown)
{
	char p[PATH_MAX + 200];
	struct inv_container *c = cont(ID1);
	const char *err;

	/* A FIFO would block a plain open(); a directory fails read(). */
	snprintf(p, sizeof(p), "%s/docker/containers/%s/config.v2.json", tmp, ID1);
	mkdirs(p);
	cr_assert_eq(mkfifo(p, 0600), 0);
	capture();
	cr_expect_eq(lookup(&runtime_docker_ops, c), -1);
	err = captured();
	cr_expect(strstr(err, "not a regular file") != NULL, "%s", err);
	inv_container_free(c);
}

Test(docker, label_and_string_caps, .init = setup, .fini = teardown)
{
	size_t cap = 400 * 40 + 3 * 8192;
	char *j = malloc(cap), *p = j;
	struct inv_container *c = cont(ID1);
	const char *err;
	int i;

	cr_assert_not_null(j);
	p += sprintf(p, "{\"Name\":\"/");
	memset(p, 'n', 5000);                  /* a 5000-byte name: ignored */
	p += 5000;
	p += sprintf(p, "\",\"Config\":{\"Image\":\"img\",\"Labels\":{\"long\":\"");
	memset(p, 'v', 5000);                  /* a 5000-byte value: that label ignored */
	p += 5000;
	p += sprintf(p, "\"");
	for (i = 0; i < 300; i++)
		p += sprintf(p, ",\"k%03d\":\"v%d\"", i, i);
	sprintf(p, "}}}");
	docker_file(ID1, j, -1);
	capture();
	cr_assert_eq(lookup(&runtime_docker_ops, c), 1);
	err = captured();
	cr_expect_null(c->name);
	expect_str(c->image, "img");
	cr_expect_eq(c->nlabels, 256);
	expect_label(c, "k000", "v0");
	expect_label(c, "k255", "v255");
	cr_expect_null(inv_container_label(c, "k256"));
	cr_expect_null(inv_container_label(c, "long"));
	cr_expect(strstr(err, "more than 256 labels, 44 ignored") != NULL, "%s", err);
	cr_expect(strstr(err, "\"Name\" longer than 4096 bytes") != NULL, "%s", err);
	cr_expect(strstr(err, "1 label(s) not a string of at most 4096 bytes, ignored "
	                      "(first \"long\")") != NULL, "%s", err);
	free(j);
	inv_container_free(c);
}

/* A successful lookup replaces the label set and the fields it knows. */
Test(docker, replaces_what_it_knows, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);

	inv_set(&c->name, "proc-name");
	inv_set(&c->cgroup, "/docker/" ID1);
	inv_container_add_label(c, "stale", "x");
	docker_file(ID1, docker_v2, -1);
	cr_assert_eq(lookup(&runtime_docker_ops, c), 1);
	expect_str(c->name, "rtx-web");
	expect_str(c->cgroup, "/docker/" ID1);
	cr_expect_null(inv_container_label(c, "stale"));
	cr_expect_eq(c->nlabels, 3);
	inv_container_free(c);
}

Test(docker, api_socket_fallback, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1), *c2 = cont(ID2);

	/* GET /containers/{id}/json answers the same record with "Id". */
	srv.routes[0] = (struct route){ "/containers/" ID1 "/json", 200,
	    "{\"Id\":\"" ID1 "\",\"Name\":\"/api-web\",\"Config\":{\"Image\":\"nginx:1.25\","
	    "\"Labels\":{\"app\":\"web\"}},\"Image\":\"sha256:aa\"}" };
	serve_on(p_dsock);
	cr_expect_eq(lookup(&runtime_docker_ops, c), 1);
	cr_expect_eq(lookup(&runtime_docker_ops, c2), 0);      /* 404 */
	serve_stop();
	expect_str(c->name, "api-web");
	expect_str(c->image, "nginx:1.25");
	expect_label(c, "app", "web");
	cr_expect_str_eq(srv.seen[0], "/containers/" ID1 "/json");
	inv_container_free(c);
	inv_container_free(c2);
}

/* A damaged file with a working daemon: the daemon's answer wins. */
Test(docker, damaged_file_then_api, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);
	const char *err;

	docker_file(ID1, docker_v2, 100);
	srv.routes[0] = (struct route){ "/containers/" ID1 "/json", 200,
	    "{\"Id\":\"" ID1 "\",\"Name\":\"/api-web\",\"Config\":{}}" };
	serve_on(p_dsock);
	capture();
	cr_expect_eq(lookup(&runtime_docker_ops, c), 1);
	err = captured();
	serve_stop();
	expect_str(c->name, "api-web");
	cr_expect(strstr(err, "config.v2.json") != NULL, "%s", err);
	inv_container_free(c);
}

Test(docker, api_errors, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(ID1);
	const char *err;
	time_t t0;

	srv.routes[0] = (struct route){ "/containers/" ID1 "/json", 200, "{\"Id\":\"" ID1 "\",\"Na" };
	srv.routes[1] = (struct route){ "/containers/" ID2 "/json", 0, NULL };
	serve_on(p_dsock);
	capture();
	cr_expect_eq(lookup(&runtime_docker_ops, c), -1);
	err = captured();
	cr_expect(strstr(err, "GET /containers/" ID1 "/json") != NULL, "%s", err);
	inv_container_free(c);

	/* A daemon that accepts and never answers costs about a second. */
	c = cont(ID2);
	t0 = time(NULL);
	capture();
	cr_expect_eq(lookup(&runtime_docker_ops, c), -1);
	err = captured();
	cr_expect(time(NULL) - t0 <= 2, "took %lds", (long)(time(NULL) - t0));
	cr_expect(strstr(err, "imed out") != NULL || strstr(err, "imeout") != NULL, "%s", err);
	serve_stop();
	inv_container_free(c);
}

/* ---- podman ---------------------------------------------------------- */

/* GET /v4.0.0/libpod/containers/json?all=true from podman 4.3.1 (trimmed):
 * one --rootfs container (no image), one from an image, in a pod. */
static const char podman_list[] =
"[{\"AutoRemove\":false,\"Command\":[\"/bin/httpd\",\"-f\",\"-p\",\"80\",\"-h\",\"/www\"],"
"\"Created\":\"2026-11-26T22:51:34.459434794Z\",\"CreatedAt\":\"\",\"Exited\":false,"
"\"ExitedAt\":-62135596800,\"ExitCode\":0,\"Id\":\"" ID2 "\",\"Image\":\"\",\"ImageID\":\"\","
"\"IsInfra\":false,\"Labels\":{\"app\":\"web\",\"q\\\"uote\":\"v\\\"al\"},\"Mounts\":[],"
"\"Names\":[\"rtx-web\"],\"Namespaces\":{},\"Networks\":[\"podman\"],\"Pid\":22235,\"Pod\":\"\","
"\"PodName\":\"\",\"Ports\":null,\"Size\":null,\"StartedAt\":1795733494,\"State\":\"running\","
"\"Status\":\"\"},"
"{\"Id\":\"" ID1 "\",\"Image\":\"localhost/rtbusybox:latest\",\"Labels\":null,"
"\"Names\":[\"shop-api\"],\"Pod\":\"9b1c\",\"PodName\":\"shop\",\"State\":\"exited\"},"
"{\"Id\":\"../evil\",\"Names\":[\"evil\"]},{\"Names\":[\"no-id\"]},7]";

#define PODMAN_LIST "/v4.0.0/libpod/containers/json?all=true"

Test(podman, list_over_socket, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID2), *b = cont(ID1);
	void *scan;

	srv.routes[0] = (struct route){ PODMAN_LIST, 200, podman_list };
	serve_on(p_psock);
	scan = runtime_podman_ops.scan_begin(&rc);
	cr_assert_not_null(scan);
	cr_expect_eq(runtime_podman_ops.lookup(&rc, scan, a), 1);
	cr_expect_eq(runtime_podman_ops.lookup(&rc, scan, b), 1);
	runtime_podman_ops.scan_end(scan);
	serve_stop();
	/* One request for the whole scan. */
	cr_expect_eq(srv.nseen, 1);
	cr_expect_str_eq(srv.seen[0], PODMAN_LIST);
	expect_str(a->name, "rtx-web");
	expect_str(a->runtime, "podman");
	cr_expect_null(a->image);              /* --rootfs: no image */
	expect_label(a, "app", "web");
	expect_label(a, "q\"uote", "v\"al");
	cr_expect_null(a->pod);
	expect_str(b->name, "shop-api");
	expect_str(b->image, "localhost/rtbusybox:latest");
	expect_str(b->pod, "shop");
	cr_expect_eq(b->nlabels, 0);
	inv_container_free(a);
	inv_container_free(b);
}

/* A container started after the list: asked for alone (libpod inspect). */
Test(podman, late_container_inspect_over_socket, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID1), *gone = cont(SBX);
	void *scan;

	srv.routes[0] = (struct route){ PODMAN_LIST, 200, "[]" };
	srv.routes[1] = (struct route){ "/v4.0.0/libpod/containers/" ID1 "/json", 200,
	    "{\"Id\":\"" ID1 "\",\"Name\":\"late\",\"ImageName\":\"localhost/x:1\","
	    "\"Config\":{\"Labels\":{\"tier\":\"caf\\u00e9\"}},\"Pod\":\"\"}" };
	serve_on(p_psock);
	scan = runtime_podman_ops.scan_begin(&rc);
	cr_expect_eq(runtime_podman_ops.lookup(&rc, scan, a), 1);
	cr_expect_eq(runtime_podman_ops.lookup(&rc, scan, gone), 0);
	runtime_podman_ops.scan_end(scan);
	serve_stop();
	expect_str(a->name, "late");
	expect_str(a->image, "localhost/x:1");
	expect_label(a, "tier", "caf\xc3\xa9");
	cr_expect_null(gone->name);
	inv_container_free(a);
	inv_container_free(gone);
}

static void fake_podman(const char *script_body);

/* Inspect names the pod by id: its name comes from the pod's inspect. */
#define POD "9b1c4e0f7a1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b"
#define INSPECT_IN_POD "{\"Id\":\"" ID1 "\",\"Name\":\"shop-api\",\"ImageName\":\"\"," \
	"\"Config\":{\"Labels\":{}},\"Pod\":\"" POD "\"}"

Test(podman, pod_name_over_socket, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID1);

	srv.routes[0] = (struct route){ "/v4.0.0/libpod/containers/" ID1 "/json", 200, INSPECT_IN_POD };
	srv.routes[1] = (struct route){ "/v4.0.0/libpod/pods/" POD "/json", 200,
	    "{\"Id\":\"" POD "\",\"Name\":\"shop\",\"InfraContainerID\":\"" ID2 "\"}" };
	serve_on(p_psock);
	cr_expect_eq(runtime_podman_ops.lookup(&rc, NULL, a), 1);
	serve_stop();
	expect_str(a->name, "shop-api");
	expect_str(a->pod, "shop");
	inv_container_free(a);
}

Test(podman, pod_name_by_exec, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID1);

	/* podman 4 prints a pod as an object, a container as a list. */
	fake_podman("case \"$1 $5\" in\n"
	            "\"container " ID1 "\") echo '[" INSPECT_IN_POD "]';;\n"
	            "\"pod " POD "\") echo '{\"Id\": \"" POD "\", \"Name\": \"shop\"}';;\n"
	            "*) exit 125;; esac");
	cr_expect_eq(lookup(&runtime_podman_ops, a), 1);
	expect_str(a->name, "shop-api");
	expect_str(a->pod, "shop");
	inv_container_free(a);
}

Test(podman, damaged_list, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID2);
	const char *err;
	void *scan;

	srv.routes[0] = (struct route){ PODMAN_LIST, 200, "[{\"Id\":\"" ID2 "\",\"Names\":[\"x" };
	serve_on(p_psock);
	capture();
	scan = runtime_podman_ops.scan_begin(&rc);
	cr_expect_eq(runtime_podman_ops.lookup(&rc, scan, a), 0);    /* then 404 alone */
	runtime_podman_ops.scan_end(scan);
	err = captured();
	serve_stop();
	cr_expect(strstr(err, "containers/json") != NULL, "%s", err);
	cr_expect_null(a->name);
	inv_container_free(a);
}

/* A stand-in for podman: records its arguments, prints what the real one
 * prints for `container inspect --format json ID`. */
static void
fake_podman(const char *script_body)
{
	char body[8192];
	const char *p;

	snprintf(body, sizeof(body), "#!/bin/sh\necho \"$@\" >> '%s/args'\n%s\n", tmp, script_body);
	p = put("bin/podman", body, -1);
	cr_assert_eq(chmod(p, 0755), 0);
	snprintf(p_pbin, sizeof(p_pbin), "%s", p);
}

Test(podman, inspect_fallback_without_socket, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID2), *gone = cont(ID1);
	char args[512] = "", ap[PATH_MAX + 8];
	FILE *f;

	put("inspect.json",
	    "[\n     {\n          \"Id\": \"" ID2 "\",\n          \"Created\": \"2026-11-26T22:51:34Z\",\n"
	    "          \"Path\": \"/bin/httpd\",\n          \"State\": {\"Status\": \"running\", \"Pid\": 22235},\n"
	    "          \"Image\": \"\",\n          \"ImageName\": \"\",\n          \"Pod\": \"\",\n"
	    "          \"Name\": \"rtx-web\",\n          \"Config\": {\"Hostname\": \"0c5ee1d0e765\","
	    " \"Labels\": {\"app\": \"web\", \"emoji\": \"\\ud83d\\ude00\"}, \"Annotations\":"
	    " {\"io.container.manager\": \"libpod\"}}\n     }\n]\n", -1);
	fake_podman("case \"$5\" in " ID2 ") cat \"$(dirname \"$0\")/../inspect.json\";;\n"
	            "*) echo '[]'; echo 'Error: no such container' >&2; exit 125;; esac");
	capture();
	cr_expect_eq(lookup(&runtime_podman_ops, a), 1);
	cr_expect_eq(lookup(&runtime_podman_ops, gone), 0);
	cr_expect_str_empty(captured());            /* podman's stderr is discarded */
	expect_str(a->name, "rtx-web");
	cr_expect_null(a->image);
	expect_label(a, "app", "web");
	expect_label(a, "emoji", "\xf0\x9f\x98\x80");
	snprintf(ap, sizeof(ap), "%s/args", tmp);
	cr_assert_not_null(f = fopen(ap, "r"));
	cr_expect_not_null(fgets(args, sizeof(args), f));
	fclose(f);
	cr_expect_str_eq(args, "container inspect --format json " ID2 "\n");
	inv_container_free(a);
	inv_container_free(gone);
}

Test(podman, inspect_fallback_damage, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID2);
	const char *err;

	fake_podman("printf '[{\"Id\": \"" ID2 "\", \"Name\": \"x'");
	capture();
	cr_expect_eq(lookup(&runtime_podman_ops, a), -1);
	err = captured();
	cr_expect(strstr(err, "container inspect " ID2) != NULL, "%s", err);
	cr_expect_null(a->name);

	fake_podman("echo '[{\"Id\": \"" ID1 "\", \"Name\": \"someone-else\"}]'");
	capture();
	cr_expect_eq(lookup(&runtime_podman_ops, a), -1);
	captured();
	cr_expect_null(a->name);

	fake_podman("echo '[]'; exit 0");
	capture();
	cr_expect_eq(lookup(&runtime_podman_ops, a), -1);
	captured();
	inv_container_free(a);
}

Test(podman, inspect_fallback_hung, .init = setup, .fini = teardown, .timeout = 30)
{
	struct inv_container *a = cont(ID2);
	const char *err;
	time_t t0 = time(NULL);

	fake_podman("exec sleep 60");
	capture();
	cr_expect_eq(lookup(&runtime_podman_ops, a), -1);
	err = captured();
	cr_expect(time(NULL) - t0 <= 7, "took %lds", (long)(time(NULL) - t0));
	cr_expect(strstr(err, "timed out") != NULL, "%s", err);
	inv_container_free(a);
}

Test(podman, no_podman_at_all, .init = setup, .fini = teardown)
{
	struct inv_container *a = cont(ID2);

	capture();
	cr_expect_eq(lookup(&runtime_podman_ops, a), 0);
	cr_expect_str_empty(captured());
	inv_container_free(a);
}

/* ---- containerd ------------------------------------------------------ */

/* Bundle annotations as containerd 1.7's CRI plugin writes them (`crictl
 * inspect` of a kubeadm cluster's coredns sandbox and an nginx container). */
#define CTRD_SANDBOX(uid_line) \
"{\"ociVersion\":\"1.1.0\",\"process\":{\"user\":{\"uid\":65535,\"gid\":65535},\"args\":[\"/pause\"]," \
"\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"coredns-5d78c9869d-79bfv\"," \
"\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"," \
"\"io.kubernetes.cri.sandbox-cpu-period\":\"100000\",\"io.kubernetes.cri.sandbox-cpu-quota\":\"0\"," \
"\"io.kubernetes.cri.sandbox-cpu-shares\":\"102\",\"io.kubernetes.cri.sandbox-id\":\"" SBX "\"," \
"\"io.kubernetes.cri.sandbox-log-directory\":\"/var/log/pods/kube-system_coredns-5d78c9869d-79bfv_" UID "\"," \
"\"io.kubernetes.cri.sandbox-memory\":\"178257920\"," \
"\"io.kubernetes.cri.sandbox-name\":\"coredns-5d78c9869d-79bfv\"," \
"\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"" uid_line "}," \
"\"linux\":{\"cgroupsPath\":\"kubepods-burstable-pod44e4b37f_504f_4f1c_80f3_4137bfbec5e4.slice:cri-containerd:" SBX "\"," \
"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"network\"}]}}"

static const char ctrd_container[] =
"{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"nginx\",\"-g\",\"daemon off;\"]},"
"\"root\":{\"path\":\"rootfs\"},\"annotations\":{"
"\"io.kubernetes.cri.container-name\":\"nginx\",\"io.kubernetes.cri.container-type\":\"container\","
"\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:latest\","
"\"io.kubernetes.cri.sandbox-id\":\"" SBX "\",\"io.kubernetes.cri.sandbox-name\":\"nginx\","
"\"io.kubernetes.cri.sandbox-namespace\":\"default\","
"\"io.kubernetes.cri.sandbox-uid\":\"25fae09f-aef9-4b5a-950f-80ea16cf5e1e\"},"
"\"linux\":{\"cgroupsPath\":\"kubepods-besteffort-pod25fae09f_aef9_4b5a_950f_80ea16cf5e1e.slice:cri-containerd:" CTR "\"}}";

Test(containerd, container_and_sandbox, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(CTR), *s = cont(SBX);

	put("containerd/k8s.io/" CTR "/config.json", ctrd_container, -1);
	put("containerd/k8s.io/" SBX "/config.json",
	    CTRD_SANDBOX(",\"io.kubernetes.cri.sandbox-uid\":\"" UID "\""), -1);
	cr_assert_eq(lookup(&runtime_containerd_ops, c), 1);
	expect_str(c->name, "nginx");
	expect_str(c->image, "docker.io/library/nginx:latest");
	expect_str(c->pod, "nginx");
	expect_str(c->namespace, "default");
	expect_str(c->pod_uid, "25fae09f-aef9-4b5a-950f-80ea16cf5e1e");
	expect_str(c->runtime, "containerd");
	cr_expect_eq(c->nlabels, 0);           /* not on disk for containerd */
	cr_assert_eq(lookup(&runtime_containerd_ops, s), 1);
	expect_str(s->name, "coredns-5d78c9869d-79bfv/pause");
	expect_str(s->pod, "coredns-5d78c9869d-79bfv");
	expect_str(s->namespace, "kube-system");
	expect_str(s->pod_uid, UID);
	cr_expect_null(s->image);
	inv_container_free(c);
	inv_container_free(s);
}

/* containerd < 1.6 wrote no sandbox-uid: the kubelet's pod log directory
 * has it, unless two directories match (then it is left unknown). */
Test(containerd, uid_from_pod_logs, .init = setup, .fini = teardown)
{
	struct inv_container *s = cont(SBX);

	put("containerd/k8s.io/" SBX "/config.json", CTRD_SANDBOX(""), -1);
	put("pods/kube-system_coredns-5d78c9869d-79bfv_" UID "/coredns/0.log", "", 0);
	put("pods/kube-system_coredns-5d78c9869d-79bfvX_11111111-2222-3333-4444-555555555555/x", "", 0);
	put("pods/kube-system_coredns_99999999-2222-3333-4444-555555555555/x", "", 0);
	cr_assert_eq(lookup(&runtime_containerd_ops, s), 1);
	expect_str(s->pod_uid, UID);
	inv_container_free(s);

	s = cont(SBX);
	put("pods/kube-system_coredns-5d78c9869d-79bfv_00000000-0000-0000-0000-000000000000/x", "", 0);
	cr_assert_eq(lookup(&runtime_containerd_ops, s), 1);
	cr_expect_null(s->pod_uid);
	inv_container_free(s);
}

Test(containerd, namespaces_and_non_cri_bundles, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(CTR), *m = cont(ID1);

	/* Found under "default" too. */
	put("containerd/default/" CTR "/config.json", ctrd_container, -1);
	cr_expect_eq(lookup(&runtime_containerd_ops, c), 1);
	expect_str(c->name, "nginx");
	/* Docker's own bundle (namespace "moby") has no CRI annotations. */
	put("containerd/moby/" ID1 "/config.json",
	    "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"/bin/httpd\"]},"
	    "\"linux\":{\"cgroupsPath\":\"/docker/" ID1 "\"}}", -1);
	cr_expect_eq(lookup(&runtime_containerd_ops, m), 0);
	cr_expect_null(m->name);
	inv_container_free(c);
	inv_container_free(m);
}

Test(containerd, truncated, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(CTR);
	const char *p, *err;

	p = put("containerd/k8s.io/" CTR "/config.json", ctrd_container, 150);
	capture();
	cr_expect_eq(lookup(&runtime_containerd_ops, c), -1);
	err = captured();
	cr_expect(strstr(err, p) != NULL, "%s", err);
	cr_expect_null(c->name);
	inv_container_free(c);
}

/* ---- CRI-O ----------------------------------------------------------- */

static const char crio_sandbox[] =
"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"/pause\"]},"
"\"annotations\":{"
"\"io.kubernetes.cri-o.Name\":\"k8s_shop-7d9f_shop_" UID "_1\","
"\"io.kubernetes.cri-o.SandboxID\":\"" SBX "\","
"\"io.kubernetes.cri-o.Image\":\"registry.k8s.io/pause:3.9\","
"\"io.kubernetes.cri-o.ImageName\":\"registry.k8s.io/pause:3.9\","
"\"io.kubernetes.cri-o.Labels\":\"{\\\"app\\\":\\\"shop\\\",\\\"tier\\\":\\\"back\\\\\\\"end\\\","
"\\\"team\\\":\\\"caf\\u00e9 \\u2603\\\",\\\"io.kubernetes.pod.name\\\":\\\"shop-7d9f\\\","
"\\\"io.kubernetes.pod.namespace\\\":\\\"shop\\\",\\\"io.kubernetes.pod.uid\\\":\\\"" UID "\\\","
"\\\"io.kubernetes.container.name\\\":\\\"POD\\\"}\","
"\"io.kubernetes.cri-o.KubeName\":\"shop-7d9f\",\"io.kubernetes.cri-o.Namespace\":\"shop\","
"\"io.kubernetes.cri-o.Metadata\":\"{\\\"name\\\":\\\"shop-7d9f\\\",\\\"uid\\\":\\\"" UID "\\\","
"\\\"namespace\\\":\\\"shop\\\",\\\"attempt\\\":1}\","
"\"io.kubernetes.cri-o.ContainerType\":\"sandbox\",\"io.kubernetes.cri-o.HostNetwork\":\"false\","
"\"io.kubernetes.container.name\":\"POD\",\"io.kubernetes.pod.name\":\"shop-7d9f\","
"\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"" UID "\","
"\"app\":\"shop\",\"io.container.manager\":\"cri-o\"},"
"\"linux\":{\"cgroupsPath\":\"kubepods-pod44e4b37f_504f_4f1c_80f3_4137bfbec5e4.slice:crio:" SBX "\"}}";

static const char crio_container[] =
"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"redis-server\"]},"
"\"annotations\":{"
"\"io.kubernetes.cri-o.ImageName\":\"quay.io/crio/redis:alpine\","
"\"io.kubernetes.cri-o.Image\":\"98bd7cfc43b8ef0ff130465e3d5427c0771002c2f35a6a9b62cb2d04602bed0a\","
"\"io.kubernetes.cri-o.SandboxID\":\"" SBX "\","
"\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.container.name\\\":\\\"redis\\\","
"\\\"io.kubernetes.pod.name\\\":\\\"shop-7d9f\\\",\\\"io.kubernetes.pod.namespace\\\":\\\"shop\\\","
"\\\"io.kubernetes.pod.uid\\\":\\\"" UID "\\\"}\","
"\"io.kubernetes.cri-o.Metadata\":\"{\\\"name\\\":\\\"redis\\\"}\","
"\"io.kubernetes.cri-o.ContainerID\":\"" CTR "\","
"\"io.kubernetes.cri-o.ContainerType\":\"container\","
"\"io.kubernetes.cri-o.Name\":\"k8s_redis_shop-7d9f_shop_" UID "_0\","
"\"io.kubernetes.container.hash\":\"4689db3\",\"io.kubernetes.container.restartCount\":\"0\","
"\"io.kubernetes.container.name\":\"redis\",\"io.kubernetes.pod.name\":\"shop-7d9f\","
"\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"" UID "\","
"\"io.container.manager\":\"cri-o\"},"
"\"linux\":{\"cgroupsPath\":\"kubepods-pod44e4b37f_504f_4f1c_80f3_4137bfbec5e4.slice:crio:" CTR "\"}}";

#define CRIO(id) "crio/" id "/userdata/config.json"

Test(crio, container_gets_pod_labels, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(CTR), *s = cont(SBX);

	put(CRIO(CTR), crio_container, -1);
	put(CRIO(SBX), crio_sandbox, -1);
	cr_assert_eq(lookup(&runtime_crio_ops, c), 1);
	expect_str(c->name, "redis");
	expect_str(c->image, "quay.io/crio/redis:alpine");
	expect_str(c->pod, "shop-7d9f");
	expect_str(c->namespace, "shop");
	expect_str(c->pod_uid, UID);
	expect_str(c->runtime, "cri-o");
	cr_expect_eq(c->nlabels, 3);
	expect_label(c, "app", "shop");
	expect_label(c, "tier", "back\"end");
	expect_label(c, "team", "caf\xc3\xa9 \xe2\x98\x83");
	cr_expect_null(inv_container_label(c, "io.kubernetes.pod.name"));

	cr_assert_eq(lookup(&runtime_crio_ops, s), 1);
	expect_str(s->name, "shop-7d9f/pause");
	expect_str(s->image, "registry.k8s.io/pause:3.9");
	expect_str(s->pod, "shop-7d9f");
	expect_str(s->namespace, "shop");
	expect_str(s->pod_uid, UID);
	cr_expect_eq(s->nlabels, 3);
	expect_label(s, "tier", "back\"end");
	inv_container_free(c);
	inv_container_free(s);
}

/* Older CRI-O or hand-made bundles: identity only in the JSON annotations. */
Test(crio, identity_from_json_annotations, .init = setup, .fini = teardown)
{
	struct inv_container *s = cont(SBX);

	put(CRIO(SBX),
	    "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"sandbox\","
	    "\"io.kubernetes.cri-o.KubeName\":\"web-0\",\"io.kubernetes.cri-o.Namespace\":\"prod\","
	    "\"io.kubernetes.cri-o.Metadata\":\"{\\\"name\\\":\\\"web-0\\\",\\\"uid\\\":\\\"" UID "\\\"}\"}}", -1);
	cr_assert_eq(lookup(&runtime_crio_ops, s), 1);
	expect_str(s->name, "web-0/pause");
	expect_str(s->pod, "web-0");
	expect_str(s->namespace, "prod");
	expect_str(s->pod_uid, UID);
	inv_container_free(s);
}

/* The sandbox's bundle missing or damaged: the container, without labels. */
Test(crio, damaged_labels, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(CTR);
	const char *err;

	put(CRIO(CTR), crio_container, -1);
	put(CRIO(SBX), crio_sandbox, 300);
	capture();
	cr_assert_eq(lookup(&runtime_crio_ops, c), 1);
	err = captured();
	expect_str(c->name, "redis");
	cr_expect_eq(c->nlabels, 0);
	cr_expect(strstr(err, SBX "/userdata/config.json") != NULL, "%s", err);
	inv_container_free(c);

	/* A Labels annotation that is not JSON: a warning naming the key. */
	c = cont(SBX);
	put(CRIO(SBX), "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"sandbox\","
	    "\"io.kubernetes.pod.name\":\"p\",\"io.kubernetes.cri-o.Labels\":\"{\\\"app\\\":\"}}", -1);
	capture();
	cr_assert_eq(lookup(&runtime_crio_ops, c), 1);
	err = captured();
	cr_expect(strstr(err, "io.kubernetes.cri-o.Labels") != NULL, "%s", err);
	expect_str(c->name, "p/pause");
	cr_expect_eq(c->nlabels, 0);
	inv_container_free(c);
}

Test(crio, truncated_and_foreign, .init = setup, .fini = teardown)
{
	struct inv_container *c = cont(CTR), *p = cont(ID2);
	const char *path, *err;

	path = put(CRIO(CTR), crio_container, 400);
	capture();
	cr_expect_eq(lookup(&runtime_crio_ops, c), -1);
	err = captured();
	cr_expect(strstr(err, path) != NULL, "%s", err);
	cr_expect_null(c->name);
	/* podman shares containers/storage: its bundles have no CRI-O
	 * annotations and are not CRI-O's. */
	put(CRIO(ID2), "{\"ociVersion\":\"1.0.2-dev\",\"annotations\":{\"io.container.manager\":"
	    "\"libpod\",\"org.opencontainers.image.stopSignal\":\"15\"}}", -1);
	cr_expect_eq(lookup(&runtime_crio_ops, p), 0);
	inv_container_free(c);
	inv_container_free(p);
}
