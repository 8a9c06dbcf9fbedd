/* inventory-json.c — the inventory as JSON (DESIGN.md "Inventory"), read
 * and written with jansson, and the readable table of `cnetmon containers`.
 *
 * Loading is strict about types and lenient about presence: only a name and
 * one address (none for a host-network container) are required, unknown
 * fields are ignored, and every error names the file, the parser's line and
 * column for syntax, or the JSON path (containers[3].interfaces[0].mac) for
 * content. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "inventory.h"
#include "strbuf.h"

#define INV_MAX_FILE (256u << 20)

struct loader {
	const char *path;
	char *err;
	size_t errlen;
};

static int lerr(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
lerr(struct loader *l, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return -1;
}

/* Optional string member: absent or null is fine, anything else but a
 * string is an error. */
static int
opt_str(struct loader *l, json_t *obj, const char *key, char **out, const char *where)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return lerr(l, "%s.%s: expected a string", where, key);
	if (inv_set(out, json_string_value(v)) < 0)
		return lerr(l, "out of memory");
	return 0;
}

static int
opt_int(struct loader *l, json_t *obj, const char *key, long long min, long long max,
        long long *out, const char *where)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return lerr(l, "%s.%s: expected an integer from %lld to %lld", where, key, min, max);
	*out = json_integer_value(v);
	return 0;
}

static int
load_addr(struct loader *l, json_t *v, struct inv_addr *a, const char *where)
{
	if (!json_is_string(v) || inv_addr_parse(json_string_value(v), a) < 0)
		return lerr(l, "%s: expected an IPv4 or IPv6 address", where);
	return 0;
}

static int
load_iface(struct loader *l, json_t *o, struct inv_container *c, const char *where)
{
	char w[224], *s = NULL;
	struct inv_iface *i;
	long long ifindex = 0;
	json_t *addrs, *v;
	size_t k;

	if (!json_is_object(o))
		return lerr(l, "%s: expected an object", where);
	if (!(i = inv_container_add_iface(c, NULL)))
		return lerr(l, "%s: too many interfaces", where);
	if (opt_str(l, o, "name", &s, where) < 0)
		return -1;
	if (s && strlen(s) >= sizeof(i->name)) {
		free(s);
		return lerr(l, "%s.name: longer than an interface name", where);
	}
	if (s)
		strcpy(i->name, s);
	free(s);
	s = NULL;
	if (opt_str(l, o, "host_ifname", &s, where) < 0)
		return -1;
	if (s && strlen(s) >= sizeof(i->host_ifname)) {
		free(s);
		return lerr(l, "%s.host_ifname: longer than an interface name", where);
	}
	if (s)
		strcpy(i->host_ifname, s);
	free(s);
	s = NULL;
	if (opt_int(l, o, "host_ifindex", 0, 0x7fffffff, &ifindex, where) < 0)
		return -1;
	i->host_ifindex = (int)ifindex;
	if ((v = json_object_get(o, "mac")) && !json_is_null(v)) {
		if (!json_is_string(v) || inv_mac_parse(json_string_value(v), i->mac) < 0)
			return lerr(l, "%s.mac: expected a MAC address like 02:42:ac:11:00:02", where);
		i->has_mac = 1;
	}
	if ((addrs = json_object_get(o, "addrs")) && !json_is_null(addrs)) {
		if (!json_is_array(addrs))
			return lerr(l, "%s.addrs: expected an array of addresses", where);
		json_array_foreach(addrs, k, v) {
			struct inv_addr a;
			snprintf(w, sizeof(w), "%s.addrs[%zu]", where, k);
			if (load_addr(l, v, &a, w) < 0)
				return -1;
			if (inv_iface_add_addr(i, &a) < 0)
				return lerr(l, "%s: too many addresses", w);
		}
	}
	return 0;
}

static int
load_container(struct loader *l, json_t *o, struct inventory *inv, size_t idx)
{
	struct inv_container *c;
	char where[64], w[160];
	long long n = 0;
	json_t *v, *lab;
	const char *key;
	size_t k, naddrs = 0;

	snprintf(where, sizeof(where), "containers[%zu]", idx);
	if (!json_is_object(o))
		return lerr(l, "%s: expected an object", where);
	if (!(c = inv_container_new()) || inventory_add(inv, c) < 0)
		return lerr(l, "%s: out of memory or too many containers", where);
	if (opt_str(l, o, "id", &c->id, where) < 0 || opt_str(l, o, "name", &c->name, where) < 0 ||
	    opt_str(l, o, "image", &c->image, where) < 0 ||
	    opt_str(l, o, "runtime", &c->runtime, where) < 0 ||
	    opt_str(l, o, "namespace", &c->namespace, where) < 0 ||
	    opt_str(l, o, "pod", &c->pod, where) < 0 ||
	    opt_str(l, o, "pod_uid", &c->pod_uid, where) < 0 ||
	    opt_str(l, o, "cgroup", &c->cgroup, where) < 0)
		return -1;
	if (!c->name || !*c->name)
		return lerr(l, "%s: \"name\" is required", where);
	if (opt_int(l, o, "pid", 0, 0x7fffffff, &n, where) < 0)
		return -1;
	c->pid = (int)n;
	n = 0;
	if (opt_int(l, o, "netns", 0, INT64_MAX, &n, where) < 0)
		return -1;
	c->netns = (uint64_t)n;
	if ((v = json_object_get(o, "host_network")) && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return lerr(l, "%s.host_network: expected true or false", where);
		c->host_network = json_is_true(v);
	}
	if ((lab = json_object_get(o, "labels")) && !json_is_null(lab)) {
		if (!json_is_object(lab))
			return lerr(l, "%s.labels: expected an object of strings", where);
		json_object_foreach(lab, key, v) {
			if (!json_is_string(v))
				return lerr(l, "%s.labels.%s: expected a string", where, key);
			if (inv_container_add_label(c, key, json_string_value(v)) < 0)
				return lerr(l, "%s.labels.%s: more than 1024 labels, a label of more than "
				            "1 MiB, or out of memory", where, key);
		}
	}
	if ((v = json_object_get(o, "interfaces")) && !json_is_null(v)) {
		json_t *it;
		if (!json_is_array(v))
			return lerr(l, "%s.interfaces: expected an array", where);
		json_array_foreach(v, k, it) {
			snprintf(w, sizeof(w), "%s.interfaces[%zu]", where, k);
			if (load_iface(l, it, c, w) < 0)
				return -1;
			naddrs += c->ifaces[c->nifaces - 1].naddrs;
		}
	}
	/* A hand-written entry must say where the container is; one that
	 * `containers --json` wrote may have no address (--network none, a
	 * namespace with loopback only) and is still that container. */
	if (!naddrs && !c->host_network && !(c->id && *c->id) && !c->netns)
		return lerr(l, "%s (\"%s\"): needs at least one address in interfaces[].addrs "
		               "(or \"host_network\": true)", where, c->name);
	return 0;
}

struct inventory *
inventory_load_json(const char *path, char *err, size_t errlen)
{
	struct loader l = { .path = path, .err = err, .errlen = errlen };
	struct inventory *inv;
	json_error_t je;
	json_t *root, *v;
	struct strbuf text;
	struct stat st;
	size_t k;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > INV_MAX_FILE) {
		snprintf(err, errlen, "%s: %lld bytes is too large for an inventory", path,
		         (long long)st.st_size);
		return NULL;
	}
	strbuf_init(&text, 0);
	if (strbuf_read_file(&text, path, INV_MAX_FILE) < 0) {
		snprintf(err, errlen, "%s: %s", path,
		         errno == EFBIG ? "too large for an inventory" : strerror(errno));
		strbuf_free(&text);
		return NULL;
	}
	root = json_loadb(text.p, text.len, JSON_REJECT_DUPLICATES, &je);
	strbuf_free(&text);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	if (!(inv = inventory_new())) {
		json_decref(root);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (!json_is_object(root)) {
		lerr(&l, "expected a JSON object with \"containers\"");
		goto fail;
	}
	if (opt_str(&l, root, "node", &inv->node, "inventory") < 0)
		goto fail;
	if ((v = json_object_get(root, "host_addrs")) && !json_is_null(v)) {
		json_t *a;
		if (!json_is_array(v)) {
			lerr(&l, "host_addrs: expected an array of addresses");
			goto fail;
		}
		json_array_foreach(v, k, a) {
			struct inv_addr ad;
			char w[48];
			snprintf(w, sizeof(w), "host_addrs[%zu]", k);
			if (load_addr(&l, a, &ad, w) < 0)
				goto fail;
			if (inventory_add_host_addr(inv, &ad) < 0) {
				lerr(&l, "host_addrs: too many addresses");
				goto fail;
			}
		}
	}
	v = json_object_get(root, "containers");
	if (!v || !json_is_array(v)) {
		lerr(&l, "\"containers\": expected an array");
		goto fail;
	}
	for (k = 0; k < json_array_size(v); k++)
		if (load_container(&l, json_array_get(v, k), inv, k) < 0)
			goto fail;
	json_decref(root);
	return inv;
fail:
	json_decref(root);
	inventory_free(inv);
	return NULL;
}

static json_t *
addr_json(const struct inv_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

/* jansson refuses invalid UTF-8; runtime metadata may hold anything. */
static json_t *
str_json(const char *s)
{
	json_t *v;
	char *clean;

	if (!s)
		return json_null();
	if ((v = json_string(s)))
		return v;
	if (!(clean = utf8_sanitize(s)))
		return json_null();
	v = json_string(clean);
	free(clean);
	return v ? v : json_null();
}

static json_t *
container_json(const struct inv_container *c)
{
	json_t *o = json_object(), *labels = json_object(), *ifs = json_array();
	size_t i, k;

	json_object_set_new(o, "id", str_json(c->id ? c->id : ""));
	json_object_set_new(o, "name", str_json(c->name));
	json_object_set_new(o, "image", str_json(c->image));
	json_object_set_new(o, "runtime", str_json(c->runtime));
	for (i = 0; i < c->nlabels; i++)
		json_object_set_new(labels, c->labels[i].key, str_json(c->labels[i].value));
	json_object_set_new(o, "labels", labels);
	json_object_set_new(o, "namespace", str_json(c->namespace));
	json_object_set_new(o, "pod", str_json(c->pod));
	if (c->pod_uid)
		json_object_set_new(o, "pod_uid", str_json(c->pod_uid));
	json_object_set_new(o, "pid", json_integer(c->pid));
	json_object_set_new(o, "netns", json_integer((json_int_t)c->netns));
	json_object_set_new(o, "cgroup", str_json(c->cgroup));
	json_object_set_new(o, "host_network", json_boolean(c->host_network));
	for (i = 0; i < c->nifaces; i++) {
		const struct inv_iface *f = &c->ifaces[i];
		json_t *io = json_object(), *addrs = json_array();
		char mac[18];

		json_object_set_new(io, "name", str_json(f->name));
		json_object_set_new(io, "host_ifname", f->host_ifname[0] ? str_json(f->host_ifname)
		                                                         : json_null());
		json_object_set_new(io, "host_ifindex", json_integer(f->host_ifindex));
		if (f->bridge[0])
			json_object_set_new(io, "bridge", str_json(f->bridge));
		if (f->has_mac) {
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", f->mac[0], f->mac[1],
			         f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
			json_object_set_new(io, "mac", json_string(mac));
		} else {
			json_object_set_new(io, "mac", json_null());
		}
		for (k = 0; k < f->naddrs; k++)
			json_array_append_new(addrs, addr_json(&f->addrs[k]));
		json_object_set_new(io, "addrs", addrs);
		json_array_append_new(ifs, io);
	}
	json_object_set_new(o, "interfaces", ifs);
	return o;
}

int
inv_container_write_json(const struct inv_container *c, FILE *fp)
{
	json_t *o = container_json(c);
	int rc = json_dumpf(o, fp, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return rc;
}

int
inventory_write_json(const struct inventory *inv, FILE *fp)
{
	json_t *root = json_object(), *ha = json_array(), *cs = json_array();
	size_t i;
	int rc;

	json_object_set_new(root, "node", str_json(inv->node));
	for (i = 0; i < inv->nhost_addrs; i++)
		json_array_append_new(ha, addr_json(&inv->host_addrs[i]));
	json_object_set_new(root, "host_addrs", ha);
	for (i = 0; i < inv->n; i++)
		if (!inv->c[i]->gone_ns)
			json_array_append_new(cs, container_json(inv->c[i]));
	json_object_set_new(root, "containers", cs);
	rc = json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(root);
	return rc;
}

void
inventory_write_table(const struct inventory *inv, FILE *fp)
{
	size_t i, k, j;

	fprintf(fp, "%-24s %-12s %-10s %-24s %7s %-12s %s\n", "NAME", "ID", "RUNTIME", "IMAGE",
	        "PID", "HOST-IF", "ADDRESSES");
	for (i = 0; i < inv->n; i++) {
		const struct inv_container *c = inv->c[i];
		char addrs[256] = "";
		size_t used = 0;
		const char *hostif = c->host_network ? "(host)" : "-";

		if (c->gone_ns)
			continue;
		for (k = 0; k < c->nifaces; k++) {
			const struct inv_iface *f = &c->ifaces[k];
			if (f->host_ifname[0])
				hostif = f->host_ifname;
			for (j = 0; j < f->naddrs && used < sizeof(addrs) - 48; j++) {
				char b[INET6_ADDRSTRLEN] = "?";
				inet_ntop(f->addrs[j].family == 6 ? AF_INET6 : AF_INET, f->addrs[j].addr, b,
				          sizeof(b));
				used += (size_t)snprintf(addrs + used, sizeof(addrs) - used, "%s%s",
				                         used ? "," : "", b);
			}
		}
		fprintf(fp, "%-24.24s %-12.12s %-10.10s %-24.24s %7d %-12.12s %s\n",
		        c->name ? c->name : "?", c->id && *c->id ? c->id : "-",
		        c->runtime ? c->runtime : "-", c->image ? c->image : "-", c->pid, hostif,
		        addrs);
	}
}
