/* JSON text helpers: escaping of untrusted strings, times, addresses. */
#include <arpa/inet.h>
#include <criterion/criterion.h>

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
