/* inventory.h — which containers run on the host, their interfaces and
 * addresses, and the host's own addresses (DESIGN.md "Inventory").
 *
 * Filled two ways: live (inventory_scan: /proc, cgroups, runtime metadata,
 * netlink inside each container's network namespace) or from the JSON that
 * `cnetmon containers --json` prints (inventory_load_json), which is how a
 * capture is analysed offline. The attribution index (attrib.h) is built
 * from it. Strings are owned by the inventory (heap, NUL-terminated). */
#ifndef CNETMON_INVENTORY_H
#define CNETMON_INVENTORY_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define INV_ID_LEN 64

struct inv_addr {
	uint8_t family;           /* 4 or 6 */
	uint8_t prefixlen;        /* 0: unknown (hand-written inventories) */
	uint8_t addr[16];
};

struct inv_iface {
	char name[IF_NAMESIZE];        /* inside the container, e.g. "eth0" */
	char host_ifname[IF_NAMESIZE]; /* host side of the veth, "" unknown */
	int host_ifindex;              /* 0 unknown */
	char bridge[IF_NAMESIZE];      /* bridge the host side is enslaved to */
	uint8_t mac[6];
	uint8_t has_mac;
	struct inv_addr *addrs;
	size_t naddrs;
};

struct inv_label {
	char *key, *value;
	/* inv_label_hash() of each, so that a profile's label peers are
	 * passed over without reading the strings; 0: not set (compare the
	 * text). inv_container_add_label sets them. */
	uint32_t kh, vh;
};

struct inv_container {
	/* First, what judging a flow reads, on one cache line (containers are
	 * allocated on a line's start): the line attribution already brings
	 * in to count the flow (refs). */
	struct inv_label *labels;
	size_t nlabels;
	/* The profile evaluator's answers for it (profile-eval.c), valid
	 * while eval_gen is that evaluator's generation: a cache, not
	 * inventory. */
	uint32_t eval_gen;
	int32_t eval_prof;
	uint64_t eval_labels;     /* a bit per label key and per key=value: a filter */
	int refs;            /* flows naming it: the live scanner frees it only at 0 */
	char *name;          /* required; falls back to a process name */

	char *id;            /* full id (64 hex for the known runtimes), "" unknown */
	char *image;
	char *runtime;       /* "docker", "podman", "containerd", "cri-o", "unknown" */
	char *namespace;     /* Kubernetes namespace */
	char *pod;           /* Kubernetes pod name */
	char *pod_uid;
	char *cgroup;        /* cgroup path of its main process */
	int pid;             /* a process inside it, 0 unknown */
	uint64_t netns;      /* network namespace inode, 0 unknown */
	int host_network;    /* shares the host's network namespace */
	struct inv_iface *ifaces;
	size_t nifaces;
	uint64_t gone_ns;    /* 0 while running; when it was seen gone (kept for a grace period) */
};

struct inventory {
	char *node;
	struct inv_addr *host_addrs;
	size_t nhost_addrs;
	struct inv_container **c;
	size_t n;
};

struct inventory *inventory_new(void);
void inventory_free(struct inventory *inv);
/* Takes ownership of c. -1 on allocation failure (c is then freed). */
int inventory_add(struct inventory *inv, struct inv_container *c);
struct inv_container *inv_container_new(void);
void inv_container_free(struct inv_container *c);
/* Append helpers; -1 on allocation failure. */
int inv_container_add_label(struct inv_container *c, const char *key, const char *value);
struct inv_iface *inv_container_add_iface(struct inv_container *c, const char *name);
int inv_iface_add_addr(struct inv_iface *i, const struct inv_addr *a);
int inventory_add_host_addr(struct inventory *inv, const struct inv_addr *a);
/* Set a string field (frees the old value); -1 on allocation failure. */
int inv_set(char **field, const char *value);
/* Label value or NULL. */
/* Never 0. */
uint32_t inv_label_hash(const char *s);
/* The container's first label of key (kh: inv_label_hash(key)), or NULL.
 * Labels of other keys are passed over by hash, their strings unread. */
const struct inv_label *inv_container_label_find(const struct inv_container *c,
                                                 const char *key, uint32_t kh);
const char *inv_container_label(const struct inv_container *c, const char *key);

/* Parse "192.0.2.1", "2001:db8::1", optionally with "/prefix". 0 or -1. */
int inv_addr_parse(const char *s, struct inv_addr *a);
/* The netmask of a prefix of plen bits (0-128), as bytes in wire order. */
void inv_prefix_mask(unsigned plen, uint8_t mask[16]);
/* "aa:bb:cc:dd:ee:ff". 0 or -1. */
int inv_mac_parse(const char *s, uint8_t mac[6]);

/* DESIGN.md's JSON. Load: NULL with "FILE:LINE:COL: message" in err (line
 * and column where the JSON parser gives one). Only "name" and one address
 * are required per container; unknown fields are ignored. */
struct inventory *inventory_load_json(const char *path, char *err, size_t errlen);
int inventory_write_json(const struct inventory *inv, FILE *fp);
/* One container as a compact JSON object on one line (no newline). */
int inv_container_write_json(const struct inv_container *c, FILE *fp);
/* The readable table of `cnetmon containers`. */
void inventory_write_table(const struct inventory *inv, FILE *fp);

#endif
