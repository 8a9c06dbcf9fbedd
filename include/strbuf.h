/* strbuf.h — a growable byte buffer for building records. Grows by doubling;
 * on allocation failure it sets oom and drops further appends. */
#ifndef CNETMON_STRBUF_H
#define CNETMON_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
	char *p;
	size_t len, cap;
	int oom;
};

void strbuf_init(struct strbuf *b, size_t cap);
void strbuf_free(struct strbuf *b);
static inline void strbuf_reset(struct strbuf *b) { b->len = 0; b->oom = 0; }
int strbuf_grow(struct strbuf *b, size_t more);

/* Appends are inline: a record is built from dozens of them. */
static inline int
strbuf_reserve(struct strbuf *b, size_t more)
{
	if (__builtin_expect(b->len + more <= b->cap && !b->oom, 1))
		return 0;
	return strbuf_grow(b, more);
}

static inline void
strbuf_add(struct strbuf *b, const void *s, size_t n)
{
	if (strbuf_reserve(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
strbuf_adds(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

static inline void
strbuf_addc(struct strbuf *b, char c)
{
	if (strbuf_reserve(b, 1) < 0)
		return;
	b->p[b->len++] = c;
}
/* A whole file (or pipe) appended to b, NUL-terminated past len: 0, or -1
 * and errno (EFBIG: longer than max bytes; ENOMEM). One read(2) loop, no
 * stdio: its per-byte locking costs once a process has threads. */
int strbuf_read_file(struct strbuf *b, const char *path, size_t max);
void strbuf_addu64(struct strbuf *b, uint64_t v);
void strbuf_addi64(struct strbuf *b, int64_t v);
/* A JSON string literal, quotes included; bytes that are not valid UTF-8
 * are written as \u00XX of the byte so the output always parses. */
void strbuf_add_json_string(struct strbuf *b, const char *s, size_t n);
/* A malloc'd copy of s with each byte that is not valid UTF-8 replaced by
 * U+FFFD; NULL on allocation failure. */
char *utf8_sanitize(const char *s);
/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), 0 if invalid. */
size_t utf8_seq(const unsigned char *s, size_t n);
/* RFC 3339 UTC with microseconds: 2026-11-26T21:17:00.123456Z */
void strbuf_add_time(struct strbuf *b, uint64_t ns);
/* Dotted quad or RFC 5952 IPv6 text. */
void strbuf_add_ip(struct strbuf *b, int family, const uint8_t *addr);

#endif
