/* Text helpers: escaping of untrusted strings, times, addresses; whole files. */
#include <arpa/inet.h>
#include <errno.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"

static void
expect_json(const char *in, size_t n, const char *want)
{
	struct strbuf b;

	strbuf_init(&b, 4);
	strbuf_add_json_string(&b, in, n);
	strbuf_addc(&b, 0);
	cr_expect_str_eq(b.p, want);
	strbuf_free(&b);
}

Test(strbuf, json_escapes)
{
	expect_json("plain", 5, "\"plain\"");
	expect_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	expect_json("l1\nl2\t\r", 7, "\"l1\\nl2\\t\\r\"");
	expect_json("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	expect_json("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");           /* valid UTF-8 kept */
	expect_json("\xff\xc3", 2, "\"\\u00ff\\u00c3\"");           /* invalid bytes escaped */
	expect_json("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
	expect_json("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");           /* overlong */
	expect_json("a\0b", 3, "\"a\\u0000b\"");
}

Test(strbuf, time_rfc3339_microseconds)
{
	struct strbuf b;

	strbuf_init(&b, 8);
	strbuf_add_time(&b, 1795728420123456789ULL);   /* 2026-11-26T21:27:00.123456789Z */
	strbuf_addc(&b, 0);
	cr_expect_str_eq(b.p, "\"2026-11-26T21:27:00.123456Z\"");
	strbuf_reset(&b);
	strbuf_add_time(&b, 0);
	strbuf_addc(&b, 0);
	cr_expect_str_eq(b.p, "\"1970-01-01T00:00:00.000000Z\"");
	strbuf_free(&b);
}

Test(strbuf, numbers_and_addresses)
{
	struct strbuf b;
	uint8_t a6[16];

	strbuf_init(&b, 1);
	strbuf_addu64(&b, 0);
	strbuf_addc(&b, ' ');
	strbuf_addu64(&b, UINT64_MAX);
	strbuf_addc(&b, ' ');
	strbuf_addi64(&b, INT64_MIN);
	strbuf_addc(&b, ' ');
	inet_pton(AF_INET6, "2001:db8:0:0:1:0:0:1", a6);
	strbuf_add_ip(&b, 6, a6);
	strbuf_addc(&b, 0);
	cr_expect_str_eq(b.p, "0 18446744073709551615 -9223372036854775808 \"2001:db8::1:0:0:1\"");
	strbuf_free(&b);
}

/* IPv6 formatting (our own, for speed) must write what inet_ntop writes:
 * special forms, every zero-run position and length, and random ones. */
Test(strbuf, ipv6_as_inet_ntop)
{
	static const char *const fixed[] = {
		"::", "::1", "1::", "2001:db8::1", "fe80::1:2", "1:0:0:2:0:0:0:3",
		"1:0:0:2:0:0:3:4", "0:1:0:0:0:0:0:0", "::ffff:1.2.3.4", "::1.2.3.4",
		"2001:db8:0:1:1:1:1:1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fd00:88::2", "0:0:1::", "1:2:3:4:5:6:7:8",
	};
	struct strbuf b;
	uint8_t a[16];
	char txt[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN + 2];
	unsigned seed = 12345, k, i;

	strbuf_init(&b, 64);
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]) + 200000; k++) {
		if (k < sizeof(fixed) / sizeof(fixed[0])) {
			cr_assert(inet_pton(AF_INET6, fixed[k], a) == 1, "%s", fixed[k]);
		} else {
			/* Groups mostly zero, so that runs of every length occur. */
			for (i = 0; i < 8; i++) {
				seed = seed * 1103515245 + 12345;
				unsigned v = (seed >> 16) % 4 ? 0 : (seed >> 8) & 0xffff;
				a[2 * i] = (uint8_t)(v >> 8);
				a[2 * i + 1] = (uint8_t)v;
			}
		}
		cr_assert(inet_ntop(AF_INET6, a, txt, sizeof(txt)) != NULL);
		snprintf(want, sizeof(want), "\"%s\"", txt);
		strbuf_reset(&b);
		strbuf_add_ip(&b, 6, a);
		cr_assert(b.len == strlen(want) && !memcmp(b.p, want, b.len), "%.*s vs %s",
		          (int)b.len, b.p, want);
	}
	strbuf_free(&b);
}

/* Whole files: appended after what the buffer holds, NUL-terminated;
 * a pipe as it comes; too long, missing or a directory: -1 and errno,
 * the buffer as it was. */
Test(strbuf, read_file)
{
	char path[] = "/tmp/test-strbuf-read.XXXXXX";
	struct strbuf b;
	char big[200000];
	int fd = mkstemp(path), p[2];
	size_t i;

	cr_assert_geq(fd, 0);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	cr_assert_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);
	strbuf_init(&b, 0);
	strbuf_adds(&b, "head:");
	cr_assert_eq(strbuf_read_file(&b, path, sizeof(big)), 0);
	cr_expect_eq(b.len, 5 + sizeof(big));
	cr_expect_eq(memcmp(b.p, "head:", 5), 0);
	cr_expect_eq(memcmp(b.p + 5, big, sizeof(big)), 0);
	cr_expect_eq(b.p[b.len], '\0');
	cr_expect_eq(strbuf_read_file(&b, path, sizeof(big) - 1), -1);
	cr_expect_eq(errno, EFBIG);
	cr_expect_eq(b.len, 5 + sizeof(big), "a failed read leaves the buffer as it was");
	unlink(path);
	cr_expect_eq(strbuf_read_file(&b, path, 1 << 20), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect_eq(strbuf_read_file(&b, "/tmp", 1 << 20), -1);
	cr_expect_eq(errno, EISDIR);

	/* A pipe: no size to go by, read to its end (and its cap). */
	cr_assert_eq(pipe(p), 0);
	if (fork() == 0) {
		close(p[0]);
		for (i = 0; i < 3; i++)
			if (write(p[1], big, sizeof(big) / 4) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	strbuf_reset(&b);
	cr_assert_eq(strbuf_read_file(&b, path, sizeof(big)), 0);
	cr_expect_eq(b.len, 3 * (sizeof(big) / 4));
	cr_expect_eq(memcmp(b.p + sizeof(big) / 4, big, sizeof(big) / 4), 0);
	close(p[0]);
	wait(NULL);
	strbuf_free(&b);
}
