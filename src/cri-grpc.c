/* cri-grpc.c — one call of the Kubernetes CRI: RuntimeService/ListPodSandbox,
 * for pod labels, which containerd keeps in its database and nowhere a file
 * reader could see them.
 *
 * gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): a POST to
 * /runtime.v1.RuntimeService/ListPodSandbox with content-type
 * application/grpc and "te: trailers"; the body is a length-prefixed message
 * (1 byte compressed flag, 4 bytes big-endian length, protobuf), the status
 * comes in the grpc-status trailer. libcurl speaks HTTP/2 with prior
 * knowledge over the runtime's unix socket; protobuf-c encodes and decodes
 * (proto/cri.proto). One call per scan, answers capped, short timeouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cri.pb-c.h"
#include "log.h"
#include "runtime-int.h"

#define CRI_MAX_ANSWER (16u << 20)

struct cri_pods {
	Runtime__V1__ListPodSandboxResponse *resp;
};

struct answer {
	uint8_t *p;
	size_t len;
	int over;
	int status;          /* grpc-status trailer, -1 absent */
	char message[160];
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;
	uint8_t *np;

	if (a->len + len > CRI_MAX_ANSWER) {
		a->over = 1;
		return 0;           /* abort the transfer */
	}
	if (!(np = realloc(a->p, a->len + len)))
		return 0;
	memcpy(np + a->len, data, len);
	a->p = np;
	a->len += len;
	return len;
}

/* Trailers arrive through the header callback, like headers. */
static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(line, "grpc-status:", 12))
		a->status = atoi(line + 12);
	else if (len > 13 && !strncasecmp(line, "grpc-message:", 13))
		snprintf(a->message, sizeof(a->message), "%.*s", (int)(len - 13 > 150 ? 150 : len - 13),
		         line + 13);
	return len;
}

struct cri_pods *
cri_pods_list(const char *socket_path)
{
	static const uint8_t empty_request[5] = { 0, 0, 0, 0, 0 };  /* no filter */
	struct answer a = { .status = -1 };
	struct curl_slist *hdr = NULL;
	struct cri_pods *pods = NULL;
	uint32_t mlen;
	CURLcode rc;
	CURL *h;

	if (!socket_path || !*socket_path)
		return NULL;
	if (!(h = curl_easy_init()))
		return NULL;
	hdr = curl_slist_append(hdr, "Content-Type: application/grpc");
	hdr = curl_slist_append(hdr, "TE: trailers");
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(h, CURLOPT_URL, "http://localhost/runtime.v1.RuntimeService/ListPodSandbox");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, empty_request);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)sizeof(empty_request));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 500L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);

	if (rc == CURLE_COULDNT_CONNECT) {
		/* No CRI runtime here: the usual case off Kubernetes. */
		log_debug("%s: no CRI runtime answers", socket_path);
		goto out;
	}
	if (rc != CURLE_OK) {
		log_warnx("%s: CRI ListPodSandbox: %s", socket_path,
		          a.over ? "answer too large" : curl_easy_strerror(rc));
		goto out;
	}
	if (a.status != 0) {
		log_warnx("%s: CRI ListPodSandbox: grpc-status %d%s%s", socket_path, a.status,
		          a.message[0] ? ":" : "", a.message);
		goto out;
	}
	if (a.len < 5 || a.p[0] != 0) {
		log_warnx("%s: CRI ListPodSandbox: %s", socket_path,
		          a.len < 5 ? "answer shorter than a gRPC frame" : "compressed answer not asked for");
		goto out;
	}
	mlen = (uint32_t)a.p[1] << 24 | (uint32_t)a.p[2] << 16 | (uint32_t)a.p[3] << 8 | a.p[4];
	if (mlen > a.len - 5) {
		log_warnx("%s: CRI ListPodSandbox: frame of %u bytes, %zu received", socket_path, mlen,
		          a.len - 5);
		goto out;
	}
	if (!(pods = calloc(1, sizeof(*pods))))
		goto out;
	pods->resp = runtime__v1__list_pod_sandbox_response__unpack(NULL, mlen, a.p + 5);
	if (!pods->resp) {
		log_warnx("%s: CRI ListPodSandbox: answer does not decode", socket_path);
		free(pods);
		pods = NULL;
	}
out:
	free(a.p);
	return pods;
}

/* The pod by uid or sandbox id, or NULL. */
static const Runtime__V1__PodSandbox *
find(const struct cri_pods *pods, const char *uid, const char *sandbox_id)
{
	size_t i;

	if (!pods)
		return NULL;
	for (i = 0; i < pods->resp->n_items; i++) {
		const Runtime__V1__PodSandbox *p = pods->resp->items[i];
		if (sandbox_id && *sandbox_id && p->id && !strcmp(p->id, sandbox_id))
			return p;
		if (uid && *uid && p->metadata && p->metadata->uid && !strcmp(p->metadata->uid, uid))
			return p;
	}
	return NULL;
}

json_t *
cri_pod_labels(const struct cri_pods *pods, const char *uid, const char *sandbox_id)
{
	const Runtime__V1__PodSandbox *p = find(pods, uid, sandbox_id);
	json_t *o;
	size_t i;

	if (!p || !(o = json_object()))
		return NULL;
	for (i = 0; i < p->n_labels; i++) {
		const Runtime__V1__PodSandbox__LabelsEntry *l = p->labels[i];
		json_t *v;
		if (!l->key || !l->value || !(v = json_string(l->value)))
			continue;         /* protobuf strings are UTF-8; jansson agrees or we skip */
		json_object_set_new(o, l->key, v);
	}
	return o;
}

void
cri_pods_free(struct cri_pods *pods)
{
	if (!pods)
		return;
	runtime__v1__list_pod_sandbox_response__free_unpacked(pods->resp, NULL);
	free(pods);
}
