/* strbuf.c — growable buffer and the text forms records need (JSON
 * strings, RFC 3339 times, IP addresses), written without stdio so that
 * encoding a record costs no locale lookups or format parsing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

void
strbuf_init(struct strbuf *b, size_t cap)
{
	b->len = 0;
	b->oom = 0;
	b->cap = cap ? cap : 64;
	b->p = malloc(b->cap);
	if (!b->p) {
		b->cap = 0;
		b->oom = 1;
	}
}

void
strbuf_free(struct strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
strbuf_grow(struct strbuf *b, size_t more)
{
	size_t need, ncap;
	char *np;

	if (b->oom)
		return -1;
	need = b->len + more;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (!np) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void
strbuf_addu64(struct strbuf *b, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (strbuf_reserve(b, (size_t)n) < 0)
		return;
	while (n)
		b->p[b->len++] = tmp[--n];
}

void
strbuf_addi64(struct strbuf *b, int64_t v)
{
	if (v < 0) {
		strbuf_addc(b, '-');
		strbuf_addu64(b, (uint64_t)0 - (uint64_t)v);
	} else
		strbuf_addu64(b, (uint64_t)v);
}

size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

char *
utf8_sanitize(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, k;
	struct strbuf b;

	strbuf_init(&b, n + 1);
	while (i < n) {
		if ((k = utf8_seq(s + i, n - i)) > 0) {
			strbuf_add(&b, s + i, k);
			i += k;
		} else {
			strbuf_add(&b, "\xef\xbf\xbd", 3);   /* U+FFFD */
			i++;
		}
	}
	strbuf_addc(&b, '\0');
	if (b.oom) {
		strbuf_free(&b);
		return NULL;
	}
	return b.p;
}

void
strbuf_add_json_string(struct strbuf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	strbuf_addc(b, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t k;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			strbuf_addc(b, (char)c);
			i++;
			continue;
		}
		switch (c) {
		case '"':  strbuf_add(b, "\\\"", 2); i++; continue;
		case '\\': strbuf_add(b, "\\\\", 2); i++; continue;
		case '\n': strbuf_add(b, "\\n", 2); i++; continue;
		case '\r': strbuf_add(b, "\\r", 2); i++; continue;
		case '\t': strbuf_add(b, "\\t", 2); i++; continue;
		default: break;
		}
		if (c >= 0x80 && (k = utf8_seq(s + i, n - i)) > 0) {
			strbuf_add(b, s + i, k);
			i += k;
			continue;
		}
		/* Control character, or a byte of invalid UTF-8: keep it visible. */
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		strbuf_add(b, esc, 6);
		i++;
	}
	strbuf_addc(b, '"');
}

static void
add_digits(struct strbuf *b, unsigned v, int width)
{
	char tmp[10];
	int i;

	for (i = width - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	strbuf_add(b, tmp, (size_t)width);
}

void
strbuf_add_time(struct strbuf *b, uint64_t ns)
{
	/* One-entry cache: consecutive records mostly share the second. */
	static __thread time_t last_sec = -1;
	static __thread struct tm last_tm;
	time_t sec = (time_t)(ns / 1000000000ULL);
	unsigned usec = (unsigned)(ns % 1000000000ULL / 1000);

	if (sec != last_sec) {
		if (!gmtime_r(&sec, &last_tm)) {
			strbuf_adds(b, "null");
			return;
		}
		last_sec = sec;
	}
	strbuf_addc(b, '"');
	add_digits(b, (unsigned)(last_tm.tm_year + 1900), 4);
	strbuf_addc(b, '-');
	add_digits(b, (unsigned)last_tm.tm_mon + 1, 2);
	strbuf_addc(b, '-');
	add_digits(b, (unsigned)last_tm.tm_mday, 2);
	strbuf_addc(b, 'T');
	add_digits(b, (unsigned)last_tm.tm_hour, 2);
	strbuf_addc(b, ':');
	add_digits(b, (unsigned)last_tm.tm_min, 2);
	strbuf_addc(b, ':');
	add_digits(b, (unsigned)last_tm.tm_sec, 2);
	strbuf_addc(b, '.');
	add_digits(b, usec, 6);
	strbuf_add(b, "Z\"", 2);
}

/* An IPv6 address as RFC 5952 writes it (and glibc's inet_ntop, whose
 * sprintf per group is most of a record's cost for IPv6 flows): lower-case
 * hex without leading zeros, the first longest run of two or more zero
 * groups as "::". Addresses inet_ntop writes with a dotted IPv4 tail
 * (::ffff:a.b.c.d and ::a.b.c.d) are left to it: 0 returned. */
static int
add_ipv6(struct strbuf *b, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int i, run = 0, best = -1, bestlen = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i++) {
		run = w[i] ? 0 : run + 1;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	if (bestlen < 2)
		best = -1;
	if (best == 0 && (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff)))
		return 0;
	strbuf_reserve(b, 48);
	strbuf_addc(b, '"');
	for (i = 0; i < 8; i++) {
		if (i == best) {
			strbuf_add(b, "::", i == 0 ? 2 : 1);
			i += bestlen - 1;
			if (i == 7)
				break;
			continue;
		}
		if (w[i] >= 0x1000)
			strbuf_addc(b, hex[w[i] >> 12]);
		if (w[i] >= 0x100)
			strbuf_addc(b, hex[(w[i] >> 8) & 15]);
		if (w[i] >= 0x10)
			strbuf_addc(b, hex[(w[i] >> 4) & 15]);
		strbuf_addc(b, hex[w[i] & 15]);
		if (i < 7)
			strbuf_addc(b, ':');
	}
	strbuf_addc(b, '"');
	return 1;
}

void
strbuf_add_ip(struct strbuf *b, int family, const uint8_t *addr)
{
	char tmp[INET6_ADDRSTRLEN];

	if (family == 4) {
		/* glibc formats IPv4 through sprintf: too slow per record. */
		strbuf_addc(b, '"');
		for (int i = 0; i < 4; i++) {
			if (i)
				strbuf_addc(b, '.');
			strbuf_addu64(b, addr[i]);
		}
		strbuf_addc(b, '"');
		return;
	}
	if (family == 6 && add_ipv6(b, addr))
		return;
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, tmp, sizeof(tmp))) {
		strbuf_adds(b, "null");
		return;
	}
	strbuf_addc(b, '"');
	strbuf_adds(b, tmp);
	strbuf_addc(b, '"');
}

int
strbuf_read_file(struct strbuf *b, const char *path, size_t max)
{
	size_t start = b->len, want;
	struct stat st;
	ssize_t n;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	/* A regular file in one read, with room to see its end and for
	 * the NUL; anything else as it comes. */
	want = S_ISREG(st.st_mode) ? (size_t)st.st_size + 2 : 65536;
	for (;;) {
		if (b->cap - b->len < want && strbuf_reserve(b, want) < 0) {
			errno = ENOMEM;
			goto fail;
		}
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		b->len += (size_t)n;
		if (b->len - start > max) {
			errno = EFBIG;
			goto fail;
		}
		want = 2;               /* more only when full */
	}
	b->p[b->len] = '\0';
	close(fd);
	return 0;
fail:
	e = errno;
	close(fd);
	b->len = start;
	errno = e;
	return -1;
}
