/* runtime-int.h — helpers shared by the runtime-*.c readers (runtime.c).
 * Every runtime file they read is untrusted: size-capped, type-checked. */
#ifndef CNETMON_RUNTIME_INT_H
#define CNETMON_RUNTIME_INT_H

#include <stddef.h>

#include <jansson.h>

#include "inventory.h"

/* A response body, capped at max bytes (over is set when it was cut). */
struct rt_buf {
	char *p;
	size_t len, max;
	int over;
};

/* A JSON file: NULL with *absent set when it does not exist (not an
 * error), NULL with a logged FILE:LINE:COL message when it is damaged. */
json_t *rt_json_load_file(const char *path, int *absent);
json_t *rt_json_load_buf(const char *what, const char *p, size_t len);
/* String member, or NULL (a non-string is logged). */
const char *rt_json_str(const char *what, const json_t *obj, const char *key);
/* obj[k1][k2] (k2 may be NULL), or NULL. */
const json_t *rt_json_path(const json_t *obj, const char *k1, const char *k2);
/* A container id safe to put in a path or URL. */
int rt_id_valid(const char *id);
/* Set a field from runtime data (length-capped); -1 on failure, logged. */
int rt_set(const char *what, char **field, const char *v);
/* Labels from a JSON object of strings, capped; keys in skip are left out. */
int rt_add_labels(const char *what, struct inv_container *c, const json_t *map,
                  const char *const *skip);
/* Move what a lookup found (a scratch container) into c. */
void rt_commit(struct inv_container *c, struct inv_container *found);
/* GET over a unix socket with libcurl; 0 ok, -1 not running or failed. */
int rt_http_get(const char *sock, const char *path, long timeout_ms, size_t max,
                struct rt_buf *out);

/* cri-grpc.c: pods from the CRI's ListPodSandbox (NULL: no CRI runtime
 * answers on that socket, or it answered nonsense, logged). */
struct cri_pods;
struct cri_pods *cri_pods_list(const char *socket_path);
/* The labels of the pod with this uid or sandbox id, as a JSON object of
 * strings (caller decrefs), or NULL. */
json_t *cri_pod_labels(const struct cri_pods *pods, const char *uid, const char *sandbox_id);
void cri_pods_free(struct cri_pods *pods);

#endif
