/* record-tape.c — a record frozen into bytes on the capture thread, so that
 * a sink's own thread can encode it later (output.c).
 *
 * A record borrows what it prints: the flow, the containers, DNS names and
 * profile names, all of which may change or go once the capture thread
 * moves on. Freezing copies exactly what record_walk() emits, as a tape of
 * emitter calls (record-walk.h), so encoding JSON or msgpack, escaping
 * strings and formatting times and addresses happen off the capture
 * thread, and no encoder has a second list of fields.
 *
 *   u32 length of the whole tape (this field included)
 *   u8  type, u8 severity, u64 time (ns), u16 node length (0xffff: none),
 *       node bytes and a NUL
 *   ops: one byte each, then its operand (see enum in output-int.h)
 *
 * Strings keep their NUL so that replay hands out pointers into the tape. */
#include "output-int.h"
#include "record-walk.h"

/* The writer's cursor lives in a local that never escapes, so it stays in
 * registers across the ~60 ops of a record (through the strbuf, every
 * byte stored would make the compiler load len and p again). */
struct tape_w {
	char *w, *end;            /* next byte, end of the buffer */
	struct strbuf *b;
	int oom;
};

static __attribute__((noinline)) int
tape_grow(struct tape_w *t, size_t need)
{
	t->b->len = (size_t)(t->w - t->b->p);
	if (t->oom || strbuf_reserve(t->b, need) < 0) {
		t->oom = 1;
		return -1;
	}
	t->w = t->b->p + t->b->len;
	t->end = t->b->p + t->b->cap;
	return 0;
}

/* Room for need more bytes. */
RW_INLINE int
room(struct tape_w *t, size_t need)
{
	if (__builtin_expect((size_t)(t->end - t->w) >= need, 1))
		return 1;
	return tape_grow(t, need) == 0;
}

RW_INLINE void
put_op(struct tape_w *t, uint8_t op)
{
	if (room(t, 1))
		*t->w++ = (char)op;
}

RW_INLINE void
put_u32(struct tape_w *t, uint8_t op, uint32_t v)
{
	if (!room(t, 5))
		return;
	t->w[0] = (char)op;
	memcpy(t->w + 1, &v, 4);
	t->w += 5;
}

RW_INLINE void
put_u64(struct tape_w *t, uint8_t op, uint64_t v)
{
	if (!room(t, 9))
		return;
	t->w[0] = (char)op;
	memcpy(t->w + 1, &v, 8);
	t->w += 9;
}

/* op, u32 length, the bytes and a NUL. */
RW_INLINE void
put_bytes(struct tape_w *t, uint8_t op, const char *s, size_t n)
{
	uint32_t n32 = (uint32_t)n;

	if (n > UINT32_MAX - 16) {
		t->oom = 1;
		return;
	}
	if (!room(t, n + 6))
		return;
	t->w[0] = (char)op;
	memcpy(t->w + 1, &n32, 4);
	memcpy(t->w + 5, s, n);
	t->w[5 + n] = '\0';
	t->w += n + 6;
}

RW_INLINE void t_map(void *c, size_t n) { put_u32(c, TAPE_MAP, (uint32_t)n); }
RW_INLINE void t_map_end(void *c) { put_op(c, TAPE_MAP_END); }
/* The walker's keys are string literals (RW_KEY): they outlive any tape,
 * so the pointer is enough. */
RW_INLINE void
t_key(void *c, const char *k, size_t n)
{
	struct tape_w *t = c;

	if (!room(t, 2 + sizeof(k)))
		return;
	t->w[0] = (char)TAPE_KEY;
	t->w[1] = (char)(uint8_t)n;
	memcpy(t->w + 2, &k, sizeof(k));
	t->w += 2 + sizeof(k);
}
RW_INLINE void t_key_str(void *c, const char *s) { put_bytes(c, TAPE_KEY_STR, s, strlen(s)); }
RW_INLINE void t_array(void *c, size_t n) { put_u32(c, TAPE_ARRAY, (uint32_t)n); }
RW_INLINE void t_elem(void *c) { put_op(c, TAPE_ELEM); }
RW_INLINE void t_array_end(void *c) { put_op(c, TAPE_ARRAY_END); }
RW_INLINE void t_nil(void *c) { put_op(c, TAPE_NIL); }
RW_INLINE void t_str(void *c, const char *s) { put_bytes(c, TAPE_STR, s, strlen(s)); }
RW_INLINE void t_lit(void *c, const char *s, size_t n) { put_bytes(c, TAPE_LIT, s, n); }
RW_INLINE void t_boolean(void *c, int v) { put_u32(c, TAPE_BOOL, v ? 1 : 0); }
RW_INLINE void t_u64(void *c, uint64_t v) { put_u64(c, TAPE_U64, v); }
RW_INLINE void t_time(void *c, uint64_t ns) { put_u64(c, TAPE_TIME, ns); }

RW_INLINE void
t_ip(void *c, int family, const uint8_t *a)
{
	struct tape_w *t = c;
	size_t n = family == 6 ? 16 : 4;

	if (!room(t, 2 + n))
		return;
	t->w[0] = (char)TAPE_IP;
	t->w[1] = (char)family;
	memcpy(t->w + 2, a, n);
	t->w += 2 + n;
}

static const struct rec_emit tape_emit = {
	.map = t_map, .map_end = t_map_end, .key = t_key, .key_str = t_key_str,
	.array = t_array, .elem = t_elem, .array_end = t_array_end,
	.nil = t_nil, .str = t_str, .lit = t_lit, .u64 = t_u64, .boolean = t_boolean,
	.time = t_time, .ip = t_ip,
};

int
record_freeze(struct strbuf *b, const struct record *r)
{
	size_t at = b->len, nodelen = r->node ? strlen(r->node) : 0;
	uint64_t tns = r->time_ns ? r->time_ns : r->flow->last_ns;
	struct tape_w t;
	uint32_t total;
	uint16_t n16 = r->node ? (uint16_t)nodelen : 0xffff;

	if (nodelen >= 0xffff || strbuf_reserve(b, 1024) < 0)
		return -1;
	b->len += 4;
	b->p[b->len++] = (char)r->type;
	b->p[b->len++] = (char)(int8_t)r->severity;
	memcpy(b->p + b->len, &tns, 8);
	memcpy(b->p + b->len + 8, &n16, 2);
	b->len += 10;
	if (r->node) {
		strbuf_add(b, r->node, nodelen);
		strbuf_addc(b, '\0');
	}
	t = (struct tape_w){ .w = b->p + b->len, .end = b->p + b->cap, .b = b };
	record_walk(r, &tape_emit, &t);
	b->len = (size_t)(t.w - b->p);
	if (t.oom || b->oom || b->len - at > UINT32_MAX) {
		b->len = at;
		b->oom = 0;
		return -1;
	}
	total = (uint32_t)(b->len - at);
	memcpy(b->p + at, &total, 4);
	return 0;
}

int
record_thaw(const uint8_t *p, size_t avail, struct rec_frozen *fr)
{
	uint32_t total;
	uint16_t n16;
	size_t off = 16;

	if (avail < 16)
		return -1;
	memcpy(&total, p, 4);
	if (total < 16 || total > avail)
		return -1;
	fr->type = (enum record_type)p[4];
	fr->severity = (int8_t)p[5];
	memcpy(&fr->time_ns, p + 6, 8);
	memcpy(&n16, p + 14, 2);
	fr->node = NULL;
	if (n16 != 0xffff) {
		if (off + n16 + 1u > total || p[off + n16] != '\0')
			return -1;
		fr->node = (const char *)p + off;
		off += n16 + 1u;
	}
	fr->ops = p + off;
	fr->nops = total - off;
	fr->len = total;
	return 0;
}
