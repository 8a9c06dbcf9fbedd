/* graph-int.h — the graph's model, shared by graph*.c (not a public API).
 * Nodes and edges live in arrays indexed by uint32; two open-addressing
 * indexes (SipHash-1-3, random key: node names and addresses come from
 * traffic and files) find a node by id and an edge by its key. */
#ifndef CNETMON_GRAPH_INT_H
#define CNETMON_GRAPH_INT_H

#include <stdint.h>

#include "graph.h"

enum gkind { GK_CONTAINER, GK_GROUP, GK_HOST, GK_WORLD };

/* Bits of gnode.mixed: a group attribute its members disagree on. */
#define GMIX_NS      1
#define GMIX_IMAGE   2
#define GMIX_PROFILE 4

struct gnode {
	char *id;
	uint8_t kind;
	uint8_t mixed;
	uint8_t keep;                  /* graph_focus scratch */
	char *name;                    /* container or group name */
	char *namespace, *image, *profile;
	char *dns;                     /* world: a name passive DNS gave */
	char *addr;                    /* world: "192.0.2.1" or a CIDR for a net node */
	struct inv_label *labels;      /* containers */
	size_t nlabels;
	char **members;                /* groups: sorted member container names */
	size_t nmembers, capmembers;
};

struct gedge {
	uint32_t src, dst;
	int32_t port;                  /* -1: none (ICMP, portless) */
	uint8_t proto;
	uint8_t verdict;
	uint64_t flows, packets, bytes;
	uint64_t first_ns, last_ns;    /* UINT64_MAX / 0 while unknown */
};

struct gcidr {
	uint8_t family, prefix;
	uint8_t addr[16];
	char *text;                    /* normalised "10.0.0.0/8" */
};

enum ggroup { GG_NONE, GG_LABEL, GG_IMAGE, GG_PROFILE };

struct graph {
	char *node;
	char **sources;                /* node names merged in, sorted */
	size_t nsources;
	enum ggroup group;
	char *group_key;               /* GG_LABEL */
	struct gcidr *collapse;
	size_t ncollapse;
	struct inv_addr *host;
	size_t nhost;
	size_t max_world;              /* world address nodes kept (0: no cap) */
	size_t nworld;
	uint64_t world_folded;         /* addresses past the cap, drawn as net:0.0.0.0/0 or ::/0 */
	struct gnode *n;
	size_t nn, capn;
	struct gedge *e;
	size_t ne, cape;
	uint32_t *nidx, *eidx;         /* slots hold index+1, 0 empty */
	size_t nidxcap, eidxcap;       /* powers of two */
	uint64_t from_ns, to_ns;
	uint8_t hkey[16];
	struct strbuf tmp;
};

/* What a node is, before it is folded or looked up (graph.c). */
struct gnode_desc {
	enum gkind kind;
	const char *id;                /* groups and nets read from a file */
	const char *name, *namespace, *image, *profile, *dns;
	const struct inv_label *labels;
	size_t nlabels;
	const char *const *members;
	size_t nmembers;
	int family;                    /* world address; 0: use addr text */
	const uint8_t *bin;
	const char *addr;              /* world: address or CIDR text from a file */
	int is_net;
};

/* Resolve a node (folding, collapsing) and return its index, -1 on ENOMEM
 * or (errno EINVAL) a world address or CIDR that does not parse. */
int64_t graph_node_get(struct graph *g, const struct gnode_desc *d);
/* The edge (created zeroed), NULL on ENOMEM. */
struct gedge *graph_edge_at(struct graph *g, uint32_t src, uint32_t dst, uint8_t proto,
                            int32_t port);
void graph_edge_widen(struct graph *g, struct gedge *e, uint64_t first, uint64_t last,
                      uint64_t flows, uint64_t packets, uint64_t bytes, uint8_t verdict);
int graph_add_source(struct graph *g, const char *node);
/* Sorted orders for writers: nodes by id, rank[i] = position of node i,
 * edges by (rank src, rank dst, proto, port). Caller frees all three. */
int graph_sort(const struct graph *g, uint32_t **norder, uint32_t **rank, uint32_t **eorder);

const char *graph_proto_name(uint8_t p, char tmp[4]);
int graph_proto_parse(const char *s, uint8_t *p);
const char *graph_kind_name(enum gkind k);
/* "2026-11-26T21:17:00.123456Z" -> ns; -1 when malformed. */
int graph_time_parse(const char *s, uint64_t *ns);

/* Encoders (graph-json.c, graph-dot.c, graph-msgpack.c, graph-render.c). */
int graph_json_encode(const struct graph *g, struct strbuf *b);
/* One edge as its JSON object (no newline). */
void graph_json_edge(struct strbuf *b, const struct graph *g, const struct gedge *e);
int graph_dot_encode(const struct graph *g, struct strbuf *b);
int graph_msgpack_encode(const struct graph *g, struct strbuf *b);
int graph_render(const struct graph *g, enum graph_format f, struct strbuf *b, char *err,
                 size_t errlen);
/* Decoders: merge what the buffer holds into g (a fresh graph: the caller
 * merges it on success). -1 with err set (no file name). */
struct json_t;
int graph_json_load(struct graph *g, const struct json_t *root, char *err, size_t errlen);
int graph_json_decode(struct graph *g, const void *data, size_t len, char *err,
                      size_t errlen);
int graph_msgpack_decode(struct graph *g, const void *data, size_t len, char *err,
                         size_t errlen);

#endif
