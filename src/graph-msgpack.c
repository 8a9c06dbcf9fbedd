/* graph-msgpack.c — the graph as one msgpack map (msgpack-c), with the
 * fields, order and types of the JSON form (graph-json.c). Reading checks
 * the structure first with a bounded walk — msgpack-c allocates an array's
 * elements from its header before reading them, so a 5-byte file could ask
 * for gigabytes — then turns the object into jansson's tree and shares the
 * JSON form's checks, so both formats accept and refuse the same things. */
#include <jansson.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"
#include "log.h"

/* --- writing ---------------------------------------------------------------- */

static int
sb_write(void *data, const char *buf, size_t len)
{
	strbuf_add(data, buf, len);
	return 0;
}

static void
pk_str(msgpack_packer *pk, const char *s)
{
	size_t n;

	if (!s) {
		msgpack_pack_nil(pk);
		return;
	}
	n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

#define pk_key(pk, k) pk_str((pk), (k))

static void
pk_time(msgpack_packer *pk, struct strbuf *tmp, uint64_t ns, int known)
{
	if (!known) {
		msgpack_pack_nil(pk);
		return;
	}
	/* The JSON form's text, quotes stripped: one time format everywhere. */
	strbuf_reset(tmp);
	strbuf_add_time(tmp, ns);
	if (tmp->oom || tmp->len < 2) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_str(pk, tmp->len - 2);
	msgpack_pack_str_body(pk, tmp->p + 1, tmp->len - 2);
}

static void
pk_node(msgpack_packer *pk, const struct gnode *n)
{
	size_t i;

	switch (n->kind) {
	case GK_CONTAINER: msgpack_pack_map(pk, 7); break;
	case GK_GROUP:     msgpack_pack_map(pk, 8); break;
	case GK_HOST:      msgpack_pack_map(pk, 2); break;
	default:           msgpack_pack_map(pk, 4); break;
	}
	pk_key(pk, "id");
	pk_str(pk, n->id);
	pk_key(pk, "kind");
	pk_str(pk, graph_kind_name((enum gkind)n->kind));
	switch (n->kind) {
	case GK_CONTAINER:
	case GK_GROUP:
		pk_key(pk, "name");
		pk_str(pk, n->name);
		if (n->kind == GK_GROUP) {
			pk_key(pk, "count");
			msgpack_pack_uint64(pk, n->nmembers);
			pk_key(pk, "members");
			msgpack_pack_array(pk, n->nmembers);
			for (i = 0; i < n->nmembers; i++)
				pk_str(pk, n->members[i]);
		}
		pk_key(pk, "namespace");
		pk_str(pk, n->namespace);
		pk_key(pk, "image");
		pk_str(pk, n->image);
		pk_key(pk, "profile");
		pk_str(pk, n->profile);
		if (n->kind == GK_CONTAINER) {
			pk_key(pk, "labels");
			msgpack_pack_map(pk, n->nlabels);
			for (i = 0; i < n->nlabels; i++) {
				pk_str(pk, n->labels[i].key);
				pk_str(pk, n->labels[i].value);
			}
		}
		break;
	case GK_WORLD:
		pk_key(pk, "addr");
		pk_str(pk, n->addr);
		pk_key(pk, "dns");
		pk_str(pk, n->dns);
		break;
	}
}

int
graph_msgpack_encode(const struct graph *g, struct strbuf *b)
{
	uint32_t *no, *rank, *eo;
	msgpack_packer pk;
	struct strbuf tmp;
	char pt[4];
	size_t i;
	int known = g->from_ns != UINT64_MAX;

	if (graph_sort(g, &no, &rank, &eo) < 0)
		return -1;
	strbuf_init(&tmp, 64);
	msgpack_packer_init(&pk, b, sb_write);
	msgpack_pack_map(&pk, 6);
	pk_key(&pk, "node");
	pk_str(&pk, g->node);
	pk_key(&pk, "from");
	pk_time(&pk, &tmp, g->from_ns, known);
	pk_key(&pk, "to");
	pk_time(&pk, &tmp, g->to_ns, known);
	pk_key(&pk, "sources");
	msgpack_pack_array(&pk, g->nsources);
	for (i = 0; i < g->nsources; i++)
		pk_str(&pk, g->sources[i]);
	pk_key(&pk, "nodes");
	msgpack_pack_array(&pk, g->nn);
	for (i = 0; i < g->nn; i++)
		pk_node(&pk, &g->n[no[i]]);
	pk_key(&pk, "edges");
	msgpack_pack_array(&pk, g->ne);
	for (i = 0; i < g->ne; i++) {
		const struct gedge *e = &g->e[eo[i]];
		int ek = e->first_ns != UINT64_MAX;
		msgpack_pack_map(&pk, 10);
		pk_key(&pk, "src");
		pk_str(&pk, g->n[e->src].id);
		pk_key(&pk, "dst");
		pk_str(&pk, g->n[e->dst].id);
		pk_key(&pk, "proto");
		pk_str(&pk, graph_proto_name(e->proto, pt));
		pk_key(&pk, "port");
		if (e->port < 0)
			msgpack_pack_nil(&pk);
		else
			msgpack_pack_uint16(&pk, (uint16_t)e->port);
		pk_key(&pk, "flows");
		msgpack_pack_uint64(&pk, e->flows);
		pk_key(&pk, "packets");
		msgpack_pack_uint64(&pk, e->packets);
		pk_key(&pk, "bytes");
		msgpack_pack_uint64(&pk, e->bytes);
		pk_key(&pk, "first_seen");
		pk_time(&pk, &tmp, e->first_ns, ek);
		pk_key(&pk, "last_seen");
		pk_time(&pk, &tmp, e->last_ns, ek);
		pk_key(&pk, "verdict");
		pk_str(&pk, verdict_name((enum verdict)e->verdict));
	}
	strbuf_free(&tmp);
	free(no);
	free(rank);
	free(eo);
	return b->oom ? -1 : 0;
}

/* --- reading ----------------------------------------------------------------- */

#define MP_MAX_DEPTH 32   /* msgpack-c's own unpacker stack (MSGPACK_EMBED_STACK_SIZE) */

static uint64_t
be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* Walk one object at *off: every length and count must fit in what is
 * left (an element takes at least one byte), nesting at most
 * MP_MAX_DEPTH. 0 or -1. */
static int
mp_check(const uint8_t *p, size_t len, size_t *off, int depth, const char **why)
{
	uint8_t t;
	uint64_t n = 0, items = 0;
	size_t hdr = 0;

	if (*off >= len) {
		*why = "truncated";
		return -1;
	}
	if (depth > MP_MAX_DEPTH) {
		*why = "nested too deeply";
		return -1;
	}
	t = p[(*off)++];
	if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
		return 0;
	if (t >= 0x80 && t <= 0x8f)
		items = 2 * (uint64_t)(t & 0x0f);
	else if (t >= 0x90 && t <= 0x9f)
		items = t & 0x0f;
	else if (t >= 0xa0 && t <= 0xbf)
		n = t & 0x1f;
	else
		switch (t) {
		case 0xc4: case 0xd9: hdr = 1; break;
		case 0xc5: case 0xda: hdr = 2; break;
		case 0xc6: case 0xdb: hdr = 4; break;
		case 0xc7: hdr = 1; n = 1; break;
		case 0xc8: hdr = 2; n = 1; break;
		case 0xc9: hdr = 4; n = 1; break;
		case 0xca: n = 4; break;
		case 0xcb: n = 8; break;
		case 0xcc: case 0xd0: n = 1; break;
		case 0xcd: case 0xd1: n = 2; break;
		case 0xce: case 0xd2: n = 4; break;
		case 0xcf: case 0xd3: n = 8; break;
		case 0xd4: n = 2; break;
		case 0xd5: n = 3; break;
		case 0xd6: n = 5; break;
		case 0xd7: n = 9; break;
		case 0xd8: n = 17; break;
		case 0xdc: hdr = 2; items = 1; break;
		case 0xdd: hdr = 4; items = 1; break;
		case 0xde: hdr = 2; items = 2; break;
		case 0xdf: hdr = 4; items = 2; break;
		default:
			*why = "invalid type byte 0xc1";
			return -1;
		}
	if (hdr) {
		if (len - *off < hdr) {
			*why = "truncated";
			return -1;
		}
		uint64_t v = be(p + *off, (int)hdr);
		*off += hdr;
		if (items)
			items *= v;   /* arrays 1, maps 2 objects per entry */
		else
			n += v;
	}
	if (n) {
		if (len - *off < n) {
			*why = "truncated";
			return -1;
		}
		*off += n;
		return 0;
	}
	if (items > len - *off) {
		*why = "a count larger than the data";
		return -1;
	}
	while (items--)
		if (mp_check(p, len, off, depth + 1, why) < 0)
			return -1;
	return 0;
}

static json_t *
to_json(const msgpack_object *o, const char **why)
{
	json_t *j, *v;
	uint32_t i;
	char *key;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX) {
			*why = "integer too large";
			return NULL;
		}
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer(o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		/* Names are kept as the runtime gave them; the JSON writer
		 * escapes bytes that are not UTF-8. */
		return json_stringn_nocheck(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_ARRAY:
		if (!(j = json_array()))
			return NULL;
		for (i = 0; i < o->via.array.size; i++)
			if (!(v = to_json(&o->via.array.ptr[i], why)) || json_array_append_new(j, v)) {
				json_decref(j);
				return NULL;
			}
		return j;
	case MSGPACK_OBJECT_MAP:
		if (!(j = json_object()))
			return NULL;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			if (k->type != MSGPACK_OBJECT_STR ||
			    memchr(k->via.str.ptr, 0, k->via.str.size)) {
				*why = "a map key that is not a string";
				json_decref(j);
				return NULL;
			}
			if (!(key = strndup(k->via.str.ptr, k->via.str.size))) {
				json_decref(j);
				return NULL;
			}
			if (json_object_get(j, key)) {
				*why = "a map with a key twice";
				free(key);
				json_decref(j);
				return NULL;
			}
			v = to_json(&o->via.map.ptr[i].val, why);
			if (!v || json_object_set_new_nocheck(j, key, v)) {
				free(key);
				json_decref(j);
				return NULL;
			}
			free(key);
		}
		return j;
	default:
		*why = "binary or extension data";
		return NULL;
	}
}

int
graph_msgpack_decode(struct graph *g, const void *data, size_t len, char *err,
                     size_t errlen)
{
	const char *why = NULL;
	msgpack_unpacked u;
	size_t off = 0;
	json_t *root;
	int rc;

	if (mp_check(data, len, &off, 0, &why) < 0) {
		errbuf_set(err, errlen, "msgpack: %s at byte %zu", why, off);
		return -1;
	}
	if (off != len) {
		errbuf_set(err, errlen, "msgpack: data after the graph at byte %zu", off);
		return -1;
	}
	msgpack_unpacked_init(&u);
	off = 0;
	if (msgpack_unpack_next(&u, data, len, &off) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&u);
		errbuf_set(err, errlen, "msgpack: not decodable");
		return -1;
	}
	why = NULL;
	root = to_json(&u.data, &why);
	msgpack_unpacked_destroy(&u);
	if (!root) {
		errbuf_set(err, errlen, "msgpack: %s", why ? why : "out of memory");
		return -1;
	}
	rc = graph_json_load(g, root, err, errlen);
	json_decref(root);
	return rc;
}
