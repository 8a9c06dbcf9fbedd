/* record-msgpack.c — a record as one msgpack map (msgpack spec, "map",
 * "str"), the msgpack emitter of record-walk.h: same keys, order and values
 * as the JSON object, times as the same RFC 3339 strings.
 *
 * Strings go out as msgpack str, which must be UTF-8: a byte that is not
 * valid UTF-8 becomes U+0000..U+00FF of that byte, exactly what the JSON
 * encoder's \u00XX escape decodes to, so both encodings decode equal. */
#include <msgpack.h>

#include "output-int.h"
#include "record-walk.h"

static int
sb_write(void *data, const char *buf, size_t len)
{
	strbuf_add(data, buf, len);
	return 0;
}

void
record_msgpack_packer(msgpack_packer *pk, struct strbuf *b)
{
	msgpack_packer_init(pk, b, sb_write);
}

static void
m_str(void *c, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i, k, out = 0;
	unsigned char *p, *q;

	/* A valid sequence keeps its length, a bad byte takes two (U+0080..
	 * U+00FF in UTF-8). */
	for (i = 0; i < n;) {
		if ((k = utf8_seq(s + i, n - i)) > 0) {
			i += k;
			out += k;
		} else {
			i++;
			out += 2;
		}
	}
	msgpack_pack_str(c, out);
	if (out == n) {
		msgpack_pack_str_body(c, str, n);
		return;
	}
	if (!(p = malloc(out))) {
		/* Keep the stream well formed: the length is already out. */
		for (i = 0; i < out; i++)
			msgpack_pack_str_body(c, "?", 1);
		return;
	}
	for (i = 0, q = p; i < n;) {
		if ((k = utf8_seq(s + i, n - i)) > 0) {
			memcpy(q, s + i, k);
			q += k;
			i += k;
		} else {
			*q++ = (unsigned char)(0xc0 | s[i] >> 6);
			*q++ = (unsigned char)(0x80 | (s[i] & 0x3f));
			i++;
		}
	}
	msgpack_pack_str_body(c, p, out);
	free(p);
}

static void m_map(void *c, size_t n) { msgpack_pack_map(c, n); }
static void m_end(void *c) { (void)c; }
static void m_key(void *c, const char *k, size_t n)
{
	msgpack_pack_str(c, n);
	msgpack_pack_str_body(c, k, n);
}
static void m_array(void *c, size_t n) { msgpack_pack_array(c, n); }
static void m_nil(void *c) { msgpack_pack_nil(c); }
static void m_lit(void *c, const char *s, size_t n) { m_key(c, s, n); }
static void m_u64(void *c, uint64_t v) { msgpack_pack_uint64(c, v); }
static void m_boolean(void *c, int v)
{
	if (v)
		msgpack_pack_true(c);
	else
		msgpack_pack_false(c);
}

/* Times and addresses as the JSON encoder writes them, without quotes. */
static void
m_text(void *c, struct strbuf *t)
{
	if (!t->oom && t->len >= 2 && t->p[0] == '"')
		m_key(c, t->p + 1, t->len - 2);
	else
		msgpack_pack_nil(c);
}

static void
m_time(void *c, uint64_t ns)
{
	char buf[48];
	struct strbuf t = { .p = buf, .cap = sizeof(buf) };

	strbuf_add_time(&t, ns);
	m_text(c, &t);
}

static void
m_ip(void *c, int family, const uint8_t *a)
{
	char buf[64];
	struct strbuf t = { .p = buf, .cap = sizeof(buf) };

	strbuf_add_ip(&t, family, a);
	m_text(c, &t);
}

static const struct rec_emit msgpack_emit = {
	.map = m_map, .map_end = m_end, .key = m_key, .key_str = m_str,
	.array = m_array, .elem = m_end, .array_end = m_end,
	.nil = m_nil, .str = m_str, .lit = m_lit, .u64 = m_u64, .boolean = m_boolean,
	.time = m_time, .ip = m_ip,
};

void
record_msgpack_pk(msgpack_packer *pk, const struct record *r)
{
	record_walk(r, &msgpack_emit, pk);
}

void
record_msgpack(struct strbuf *b, const struct record *r)
{
	msgpack_packer pk;

	record_msgpack_packer(&pk, b);
	strbuf_reserve(b, 1024);
	record_walk(r, &msgpack_emit, &pk);
}
