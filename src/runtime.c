/* runtime.c — the runtime table, default state paths, and what every
 * runtime reader shares: bounded reads of untrusted JSON files, HTTP over a
 * runtime's unix socket, and filling an inv_container without ever leaving
 * it half-updated.
 *
 * Everything read here comes from files or sockets another program writes
 * (possibly while we read, possibly hostile: a container's labels are chosen
 * by whoever starts it), so reads are size-capped, strings and label counts
 * are capped, JSON errors are reported with the file they came from, and a
 * reader fills a scratch container that is moved into the caller's only once
 * it parsed completely (runtime.h: "-1 error, c keeps what it had").
 *
 * Internal interface for runtime-*.c (declared again at the top of each of
 * them until it gets a header; see rt_* below). */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "inventory.h"
#include "log.h"
#include "runtime.h"
#include "runtime-int.h"

#define RT_FILE_MAX   (4u << 20)  /* a config.v2.json is ~3 KiB, an OCI spec ~20 KiB */
#define RT_LABELS_MAX 256         /* per container; the rest are dropped with a warning */
#define RT_STR_MAX    4096        /* name, image, label key or value */
#define RT_ID_MAX     128         /* ids are 64 hex; containerd allows up to 76 chars */


const struct runtime_ops *const runtime_all[RUNTIME_COUNT] = {
	&runtime_docker_ops,
	&runtime_podman_ops,
	&runtime_containerd_ops,
	&runtime_crio_ops,
};

void
runtime_config_default(struct runtime_config *rc)
{
	*rc = (struct runtime_config){
		.docker_root = "/var/lib/docker",
		.docker_socket = "/var/run/docker.sock",
		.podman_socket = "/run/podman/podman.sock",
		.podman_binary = "podman",
		.containerd_state = "/run/containerd/io.containerd.runtime.v2.task",
		.cri_socket = "/run/containerd/containerd.sock",
		.crio_storage = "/run/containers/storage/overlay-containers",
		.pods_log_dir = "/var/log/pods",
	};
}

const struct runtime_ops *
runtime_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < RUNTIME_COUNT; i++)
		if (strcmp(runtime_all[i]->name, name) == 0)
			return runtime_all[i];
	return NULL;
}

/* Ids go into paths and URLs: only what runtimes generate (hex for docker,
 * podman, CRI; containerd's identifier grammar otherwise), never '/', never
 * a leading '.', so "../" cannot be smuggled in through a cgroup name. */
int
rt_id_valid(const char *id)
{
	size_t n;

	if (!id || !isalnum((unsigned char)id[0]))
		return 0;
	for (n = 0; id[n]; n++) {
		if (n >= RT_ID_MAX)
			return 0;
		if (!isalnum((unsigned char)id[n]) && !strchr("._-", id[n]))
			return 0;
	}
	return 1;
}

static void
json_warn(const char *what, const json_error_t *e)
{
	if (e->line > 0)
		log_warnx("%s:%d:%d: %s", what, e->line, e->column, e->text);
	else
		log_warnx("%s: %s", what, e->text);
}

/* JSON from memory; what names the source in warnings. Objects and arrays
 * only: a runtime never writes a bare scalar, so one is damage. */
json_t *
rt_json_load_buf(const char *what, const char *p, size_t len)
{
	json_error_t e;
	json_t *j;

	j = json_loadb(p, len, 0, &e);
	if (!j) {
		json_warn(what, &e);
		return NULL;
	}
	if (!json_is_object(j) && !json_is_array(j)) {
		log_warnx("%s: not a JSON object", what);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Read a regular file of at most RT_FILE_MAX bytes. NULL with *absent set
 * when there is no such file (no warning: "not this runtime's container" is
 * normal), with a warning for anything else. O_NONBLOCK so a FIFO planted
 * there cannot hang us. */
static char *
read_capped(const char *path, size_t *lenp, int *absent)
{
	struct stat st;
	size_t len = 0;
	ssize_t r;
	char *p;
	int fd;

	*absent = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			*absent = 1;
		else
			log_warn("%s", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	/* The size can change while a runtime rewrites the file: read until
	 * EOF, whatever fstat said, but never past the cap. */
	if (!(p = malloc(RT_FILE_MAX + 1))) {
		log_warn("%s", path);
		close(fd);
		return NULL;
	}
	for (;;) {
		r = read(fd, p + len, RT_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("%s", path);
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > RT_FILE_MAX) {
			log_warnx("%s: larger than %u bytes, skipped", path, RT_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	*lenp = len;
	return p;
fail:
	free(p);
	close(fd);
	return NULL;
}

/* The JSON in a file; NULL with *absent set when the file does not exist,
 * NULL with a warning when it is unreadable or damaged. */
json_t *
rt_json_load_file(const char *path, int *absent)
{
	json_t *j;
	size_t len;
	char *p;

	if (!(p = read_capped(path, &len, absent)))
		return NULL;
	j = rt_json_load_buf(path, p, len);
	free(p);
	return j;
}

/* obj[k1][k2] (k2 may be NULL), or NULL when any step is missing. */
const json_t *
rt_json_path(const json_t *obj, const char *k1, const char *k2)
{
	const json_t *v;

	if (!json_is_object(obj) || !(v = json_object_get(obj, k1)))
		return NULL;
	if (!k2)
		return v;
	if (!json_is_object(v))
		return NULL;
	return json_object_get(v, k2);
}

/* A string member, or NULL when absent, not a string, or over the cap (then
 * with a warning: a 4 KiB name is not a name). jansson has already rejected
 * invalid UTF-8 and NUL bytes. */
const char *
rt_json_str(const char *what, const json_t *obj, const char *key)
{
	const json_t *v;

	if (!json_is_object(obj) || !(v = json_object_get(obj, key)) || !json_is_string(v))
		return NULL;
	if (json_string_length(v) > RT_STR_MAX) {
		log_warnx("%s: \"%s\" longer than %d bytes, ignored", what, key, RT_STR_MAX);
		return NULL;
	}
	return json_string_value(v);
}

/* Set a field from an optional string: NULL and "" leave it alone. */
int
rt_set(const char *what, char **field, const char *v)
{
	if (!v || !*v)
		return 0;
	if (strlen(v) > RT_STR_MAX) {
		log_warnx("%s: value longer than %d bytes, ignored", what, RT_STR_MAX);
		return 0;
	}
	if (inv_set(field, v) < 0) {
		log_warn("%s", what);
		return -1;
	}
	return 0;
}

static int
skipped(const char *key, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (strcmp(key, *skip) == 0)
			return 1;
	return 0;
}

/* Copy a JSON object of string -> string into c's labels, keys in skip
 * excepted. Non-string values are skipped (docker and the CRI only write
 * strings; anything else is damage). At most RT_LABELS_MAX. */
int
rt_add_labels(const char *what, struct inv_container *c, const json_t *map,
              const char *const *skip)
{
	const char *key, *bad = NULL;
	json_t *v;
	int dropped = 0, nbad = 0;

	if (!json_is_object(map))
		return 0;
	json_object_foreach((json_t *)map, key, v) {
		if (skipped(key, skip))
			continue;
		if (!json_is_string(v) || strlen(key) > RT_STR_MAX ||
		    json_string_length(v) > RT_STR_MAX || !*key) {
			if (nbad++ == 0)
				bad = key;
			continue;
		}
		if (c->nlabels >= RT_LABELS_MAX) {
			dropped++;
			continue;
		}
		if (inv_container_add_label(c, key, json_string_value(v)) < 0) {
			log_warn("%s", what);
			return -1;
		}
	}
	/* One line each, however many: labels are chosen by whoever starts
	 * the container, and must not flood our log. */
	if (nbad)
		log_warnx("%s: %d label(s) not a string of at most %d bytes, ignored "
		          "(first \"%.64s\")", what, nbad, RT_STR_MAX, bad);
	if (dropped)
		log_warnx("%s: more than %d labels, %d ignored", what, RT_LABELS_MAX, dropped);
	return 0;
}

static void
swap_str(char **a, char **b)
{
	char *t;

	if (!*b || !**b)
		return;
	t = *a;
	*a = *b;
	*b = t;
}

/* Move what a reader found into the caller's container. Fields the runtime
 * did not give keep their value; labels are replaced as a set when the
 * runtime gave any (mixing two sources' labels would invent a label set no
 * one declared). What c had is freed with found. */
void
rt_commit(struct inv_container *c, struct inv_container *found)
{
	struct inv_label *l;
	size_t n;

	swap_str(&c->name, &found->name);
	swap_str(&c->image, &found->image);
	swap_str(&c->runtime, &found->runtime);
	swap_str(&c->namespace, &found->namespace);
	swap_str(&c->pod, &found->pod);
	swap_str(&c->pod_uid, &found->pod_uid);
	if (found->nlabels) {
		l = c->labels, n = c->nlabels;
		c->labels = found->labels, c->nlabels = found->nlabels;
		found->labels = l, found->nlabels = n;
	}
	inv_container_free(found);
}

static size_t
http_body(char *data, size_t size, size_t n, void *arg)
{
	struct rt_buf *b = arg;
	size_t len = size * n;
	char *p;

	if (len > b->max - b->len) {
		b->over = 1;
		return 0;        /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (!(p = realloc(b->p, b->len + len + 1)))
		return 0;
	memcpy(p + b->len, data, len);
	b->p = p;
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* GET path over the unix socket sock (Docker Engine API, podman's REST
 * API: plain HTTP/1.1, any host name). Returns the HTTP status with the body
 * in out (caller frees out->p), 0 when nothing listens there (no socket,
 * refused: the runtime is not running, not an error), -1 on any other
 * failure, with a warning. */
int
rt_http_get(const char *sock, const char *path, long timeout_ms, size_t max,
            struct rt_buf *out)
{
	char url[512], err[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;
	CURL *h;

	*out = (struct rt_buf){ .max = max };
	if (!sock || !*sock || access(sock, F_OK) < 0)
		return 0;
	if ((size_t)snprintf(url, sizeof(url), "http://localhost%s", path) >= sizeof(url)) {
		log_warnx("%s: request path too long", sock);
		return -1;
	}
	/* curl_easy_init() runs curl_global_init() on first use; that is
	 * thread-safe in the libcurl versions we build against (>= 7.84). */
	if (!(h = curl_easy_init())) {
		log_warnx("%s: cannot initialise libcurl", sock);
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 1000 ? timeout_ms : 1000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (cc == CURLE_COULDNT_CONNECT) {
		free(out->p);
		*out = (struct rt_buf){ 0 };
		return 0;
	}
	if (cc != CURLE_OK) {
		if (out->over)
			log_warnx("%s: GET %s: reply larger than %zu bytes", sock, path, max);
		else
			log_warnx("%s: GET %s: %s", sock, path, *err ? err : curl_easy_strerror(cc));
		free(out->p);
		*out = (struct rt_buf){ 0 };
		return -1;
	}
	if (status <= 0 || (!out->p && !(out->p = calloc(1, 1)))) {
		log_warnx("%s: GET %s: no HTTP reply", sock, path);
		free(out->p);
		*out = (struct rt_buf){ 0 };
		return -1;
	}
	return (int)status;
}
