/* record-json.c — a record as one JSON object (RFC 8259), the JSON emitter
 * of record-walk.h. Written straight into a strbuf: a record costs a few
 * hundred bytes of appends, no allocation once the buffer has grown. */
#include "output.h"
#include "record-walk.h"

struct json_ctx {
	struct strbuf *b;
	int first;               /* no comma before the next key or element */
	uint64_t tns;            /* "time" and "last_seen" are mostly one instant: */
	size_t tlen;             /* its text, formatted once */
	char t[40];
};

static inline __attribute__((always_inline)) void
j_map(void *c, size_t n)
{
	struct json_ctx *j = c;

	(void)n;
	strbuf_addc(j->b, '{');
	j->first = 1;
}

static inline __attribute__((always_inline)) void
j_close(void *c, char ch)
{
	struct json_ctx *j = c;

	strbuf_addc(j->b, ch);
	j->first = 0;
}

static inline void j_map_end(void *c) { j_close(c, '}'); }
static inline void j_array_end(void *c) { j_close(c, ']'); }

static inline __attribute__((always_inline)) void
j_array(void *c, size_t n)
{
	struct json_ctx *j = c;

	(void)n;
	strbuf_addc(j->b, '[');
	j->first = 1;
}

static inline __attribute__((always_inline)) void
j_elem(void *c)
{
	struct json_ctx *j = c;

	if (!j->first)
		strbuf_addc(j->b, ',');
	j->first = 0;
}

static inline __attribute__((always_inline)) void
j_key(void *c, const char *k, size_t n)
{
	struct json_ctx *j = c;

	/* ,"key": in one append: the walker's keys are literals. */
	if (strbuf_reserve(j->b, n + 4) < 0)
		return;
	char *p = j->b->p + j->b->len;
	if (!j->first)
		*p++ = ',';
	*p++ = '"';
	memcpy(p, k, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	j->b->len = (size_t)(p - j->b->p);
	j->first = 0;
}

static inline __attribute__((always_inline)) void
j_key_str(void *c, const char *s)
{
	struct json_ctx *j = c;

	if (!j->first)
		strbuf_addc(j->b, ',');
	j->first = 0;
	strbuf_add_json_string(j->b, s, strlen(s));
	strbuf_addc(j->b, ':');
}

static inline __attribute__((always_inline)) void
j_nil(void *c)
{
	strbuf_add(((struct json_ctx *)c)->b, "null", 4);
}

static inline __attribute__((always_inline)) void
j_str(void *c, const char *s)
{
	strbuf_add_json_string(((struct json_ctx *)c)->b, s, strlen(s));
}

static inline __attribute__((always_inline)) void
j_lit(void *c, const char *s, size_t n)
{
	struct json_ctx *j = c;

	if (strbuf_reserve(j->b, n + 2) < 0)
		return;
	j->b->p[j->b->len] = '"';
	memcpy(j->b->p + j->b->len + 1, s, n);
	j->b->p[j->b->len + n + 1] = '"';
	j->b->len += n + 2;
}

static inline __attribute__((always_inline)) void
j_u64(void *c, uint64_t v)
{
	strbuf_addu64(((struct json_ctx *)c)->b, v);
}

static inline __attribute__((always_inline)) void
j_boolean(void *c, int v)
{
	if (v)
		strbuf_add(((struct json_ctx *)c)->b, "true", 4);
	else
		strbuf_add(((struct json_ctx *)c)->b, "false", 5);
}

static inline __attribute__((always_inline)) void
j_time(void *c, uint64_t ns)
{
	struct json_ctx *j = c;
	size_t at;

	if (j->tlen && ns == j->tns) {
		strbuf_add(j->b, j->t, j->tlen);
		return;
	}
	at = j->b->len;
	strbuf_add_time(j->b, ns);
	if (!j->b->oom && j->b->len - at < sizeof(j->t)) {
		j->tlen = j->b->len - at;
		j->tns = ns;
		memcpy(j->t, j->b->p + at, j->tlen);
	}
}

static inline __attribute__((always_inline)) void
j_ip(void *c, int family, const uint8_t *a)
{
	strbuf_add_ip(((struct json_ctx *)c)->b, family, a);
}

static const struct rec_emit json_emit = {
	.map = j_map, .map_end = j_map_end, .key = j_key, .key_str = j_key_str,
	.array = j_array, .elem = j_elem, .array_end = j_array_end,
	.nil = j_nil, .str = j_str, .lit = j_lit, .u64 = j_u64, .boolean = j_boolean,
	.time = j_time, .ip = j_ip,
};

void
record_json(struct strbuf *b, const struct record *r)
{
	struct json_ctx j = { .b = b, .first = 1 };

	/* One record is ~700 bytes: reserve once, the appends then only check. */
	strbuf_reserve(b, 1024);
	record_walk(r, &json_emit, &j);
}
