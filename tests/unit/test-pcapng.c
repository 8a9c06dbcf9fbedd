/*
 * test-pcapng.c — the pcapng reader (src/capture-pcapng.c) against
 * hand-built images (draft-ietf-opsawg-pcapng) and against libpcap on the
 * tcpdump test corpus.
 *
 * Images are built in memory by small writers (one per block type, in
 * either byte order), written to a temporary file and opened through
 * filebuf_open and capture_pcapng_open_fb, so that it is this reader under
 * test whatever capture_open_file dispatches to; packets are then read
 * through the generic capture_* calls.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "filebuf.h"

#define BT_SHB	0x0A0D0D0AU
#define BT_IDB	1U
#define BT_PB	2U
#define BT_SPB	3U
#define BT_NRB	4U
#define BT_ISB	5U
#define BT_EPB	6U

#define TSRES_BIN(n)	(0x80 | (n))
#define NO_TSRESOL	-1

/* ---- image writer ---------------------------------------------------- */

struct img {
	uint8_t *b;
	size_t len, cap;
	int be;			/* byte order of the section being written */
};

static void
put(struct img *m, const void *p, size_t n)
{
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2 + 64;
		m->b = realloc(m->b, m->cap);
		cr_assert_not_null(m->b);
	}
	if (n > 0)
		memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
p8(struct img *m, uint8_t v)
{
	put(m, &v, 1);
}

static void
p16(struct img *m, uint16_t v)
{
	uint8_t b[2];

	if (m->be) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	} else {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
	}
	put(m, b, 2);
}

static void
set32(struct img *m, size_t at, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		m->b[at + (size_t)i] = (uint8_t)(v >> (m->be ? 24 - 8 * i : 8 * i));
}

static void
p32(struct img *m, uint32_t v)
{
	uint8_t z[4] = { 0 };

	put(m, z, 4);
	set32(m, m->len - 4, v);
}

static void
p64(struct img *m, uint64_t v)
{
	if (m->be) {
		p32(m, (uint32_t)(v >> 32));
		p32(m, (uint32_t)v);
	} else {
		p32(m, (uint32_t)v);
		p32(m, (uint32_t)(v >> 32));
	}
}

static void
pad4(struct img *m)
{
	while (m->len % 4 != 0)
		p8(m, 0);
}

/* Block type and a placeholder length; returns where the block starts. */
static size_t
blk_open(struct img *m, uint32_t type)
{
	size_t at = m->len;

	p32(m, type);
	p32(m, 0);
	return at;
}

/* Pad, write the trailing length, patch the leading one. */
static void
blk_close(struct img *m, size_t at)
{
	uint32_t total;

	pad4(m);
	total = (uint32_t)(m->len + 4 - at);
	p32(m, total);
	set32(m, at + 4, total);
}

static void
opt(struct img *m, uint16_t code, const void *v, uint16_t len)
{
	p16(m, code);
	p16(m, len);
	put(m, v, len);
	pad4(m);
}

static void
opt_end(struct img *m)
{
	p16(m, 0);
	p16(m, 0);
}

static void
shb_ver(struct img *m, int be, uint16_t major)
{
	size_t at;
	const char app[] = "test-pcapng";

	m->be = be;
	at = blk_open(m, BT_SHB);
	p32(m, 0x1A2B3C4D);
	p16(m, major);
	p16(m, 0);
	p64(m, UINT64_MAX);	/* section length unknown */
	opt(m, 4, app, sizeof(app) - 1);	/* shb_userappl */
	opt_end(m);
	blk_close(m, at);
}

static void
shb(struct img *m, int be)
{
	shb_ver(m, be, 1);
}

/* tsresol: option byte or NO_TSRESOL; tsoff: NULL for none. */
static void
idb(struct img *m, uint16_t linktype, uint32_t snaplen, const char *name,
    int tsresol, const int64_t *tsoff)
{
	size_t at = blk_open(m, BT_IDB);

	p16(m, linktype);
	p16(m, 0);
	p32(m, snaplen);
	if (name != NULL)
		opt(m, 2, name, (uint16_t)strlen(name));
	if (tsresol != NO_TSRESOL) {
		uint8_t r = (uint8_t)tsresol;

		opt(m, 9, &r, 1);
	}
	if (tsoff != NULL) {
		p16(m, 14);
		p16(m, 8);
		p64(m, (uint64_t)*tsoff);
	}
	if (name != NULL || tsresol != NO_TSRESOL || tsoff != NULL)
		opt_end(m);
	blk_close(m, at);
}

static void
epb(struct img *m, uint32_t ifid, uint64_t ts, const void *data,
    uint32_t caplen, uint32_t len, int with_opts)
{
	size_t at = blk_open(m, BT_EPB);

	p32(m, ifid);
	p32(m, (uint32_t)(ts >> 32));
	p32(m, (uint32_t)ts);
	p32(m, caplen);
	p32(m, len);
	put(m, data, caplen);
	pad4(m);
	if (with_opts) {
		const char comment[] = "a comment, 27 bytes long..";
		uint8_t flags[4] = { 1, 0, 0, 0 };

		opt(m, 1, comment, sizeof(comment) - 1);	/* opt_comment */
		opt(m, 2, flags, 4);				/* epb_flags */
		opt_end(m);
	}
	blk_close(m, at);
}

/* Obsolete Packet Block: 16-bit interface id and drop count. */
static void
pb(struct img *m, uint16_t ifid, uint64_t ts, const void *data,
    uint32_t caplen, uint32_t len)
{
	size_t at = blk_open(m, BT_PB);

	p16(m, ifid);
	p16(m, 0xffff);		/* drops */
	p32(m, (uint32_t)(ts >> 32));
	p32(m, (uint32_t)ts);
	p32(m, caplen);
	p32(m, len);
	put(m, data, caplen);
	blk_close(m, at);
}

/* Simple Packet Block holding inblock bytes of a len-byte packet. */
static void
spb(struct img *m, uint32_t len, const void *data, uint32_t inblock)
{
	size_t at = blk_open(m, BT_SPB);

	p32(m, len);
	put(m, data, inblock);
	blk_close(m, at);
}

/* A block of a type the reader must skip, with n bytes of body. */
static void
other(struct img *m, uint32_t type, size_t n)
{
	size_t at = blk_open(m, type);
	size_t i;

	for (i = 0; i < n; i++)
		p8(m, (uint8_t)(0xA5 ^ i));
	blk_close(m, at);
}

/* Raw block framing with arbitrary lengths, for damage. */
static void
raw_block(struct img *m, uint32_t type, uint32_t lead, size_t body,
    uint32_t trail)
{
	size_t i;

	p32(m, type);
	p32(m, lead);
	for (i = 0; i < body; i++)
		p8(m, 0);
	p32(m, trail);
}

static void
img_free(struct img *m)
{
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* ---- running the reader ---------------------------------------------- */

static char tmp_path[256];

static const char *
tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && *t != '\0' ? t : "/tmp";
}

static void
write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	if (n > 0)
		cr_assert_eq(fwrite(b, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* Our reader on a path; NULL with err set if it refuses the file. */
static struct capture *
open_path(const char *path, char *err, size_t errlen)
{
	struct filebuf *fb = filebuf_open(path, err, errlen);
	struct capture *c;

	cr_assert_not_null(fb, "filebuf_open %s: %s", path, err);
	if ((c = capture_pcapng_open_fb(fb, err, errlen)) == NULL)
		filebuf_close(fb);
	else
		cr_assert_str_eq(c->ops->name, "pcapng");
	return c;
}

/* Open the first n bytes of an image; the file is unlinked at once. */
static struct capture *
open_n(const struct img *m, size_t n, char *err, size_t errlen)
{
	struct capture *c;
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "%s/test-pcapng-XXXXXX",
	    tmpdir());
	fd = mkstemp(tmp_path);
	cr_assert_neq(fd, -1, "mkstemp: %s", strerror(errno));
	close(fd);
	write_file(tmp_path, m->b, n);
	err[0] = '\0';
	c = open_path(tmp_path, err, errlen);
	unlink(tmp_path);
	return c;
}

static struct capture *
open_img(const struct img *m)
{
	char err[256];
	struct capture *c = open_n(m, m->len, err, sizeof(err));

	cr_assert_not_null(c, "open: %s", err);
	return c;
}

static int
next(struct capture *c, struct pkt *p)
{
	memset(p, 0xEE, sizeof(*p));	/* no stale fields pass by luck */
	return capture_next(c, p);
}

static const char *
iname(struct capture *c, int i)
{
	return capture_iface_name(c, i);
}

static void
done(struct capture *c)
{
	capture_close(c);
}

/* Read to the end; the result of the last call (0 or -1). */
static int
drain(struct capture *c, size_t *npkts)
{
	struct pkt p;
	int rv;

	*npkts = 0;
	while ((rv = next(c, &p)) == 1) {
		cr_assert_leq(p.caplen, 262144u);
		(*npkts)++;
	}
	return rv;
}

static void
expect_pkt(struct capture *c, const void *data, uint32_t caplen, uint32_t len,
    uint64_t ts_ns, int iface, uint32_t linktype)
{
	struct pkt p;

	cr_assert_eq(next(c, &p), 1, "expected a packet, got: %s", capture_error(c));
	cr_expect_eq(p.caplen, caplen);
	cr_expect_eq(p.len, len);
	cr_expect_eq(p.ts_ns, ts_ns, "ts_ns %llu != %llu",
	    (unsigned long long)p.ts_ns, (unsigned long long)ts_ns);
	cr_expect_eq(p.iface, iface);
	cr_expect_eq(p.linktype, linktype);
	cr_expect_eq(p.link, link_from_linktype(linktype));
	if (p.caplen == caplen && caplen > 0)
		cr_expect_eq(memcmp(p.data, data, caplen), 0, "packet bytes");
}

/* The first call must report the damage: -1 with msg, and -1 again. */
static void
expect_damage(struct img *m, const char *msg)
{
	struct capture *c = open_img(m);
	struct pkt p;

	cr_assert_eq(next(c, &p), -1, "damage not detected (want \"%s\")", msg);
	cr_expect_not_null(strstr(capture_error(c), msg), "error \"%s\" lacks \"%s\"",
	    capture_error(c), msg);
	/* After -1 the capture yields nothing more. */
	cr_expect_eq(next(c, &p), -1);
	done(c);
}

static uint8_t payload[2048];

/*
 * Each test runs in its own process: a reader stuck in a loop dies of
 * SIGALRM and shows as a crash.  (Not Criterion's .timeout: with parallel
 * jobs, Criterion 2.4's runner leaks its timeout records and LeakSanitizer
 * fails the run.)
 */
static void
suite_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	alarm(300);
}

TestSuite(pcapng, .init = suite_init);

/* ---- good files ------------------------------------------------------ */

#define T6	1700000000123456ULL		/* if_tsresol 6 */
#define T9	1700000000123456789ULL		/* if_tsresol 9 */
#define T2_10	(1700000000ULL * 1024 + 512)	/* if_tsresol 2^-10 */
#define NS	1000000000ULL

/*
 * Section 1 in byte order be: three interfaces with different link types
 * and resolutions, every packet block kind, blocks to skip.  Section 2 in
 * the other byte order, with its own interface numbering.
 */
static void
build_multi(struct img *m, int be)
{
	const int64_t off = -3600;

	shb(m, be);
	idb(m, 1, 65535, "veth0", 6, NULL);
	other(m, 0x00000BAD, 12);			/* unknown type */
	idb(m, 101, 0, "br0", 9, NULL);
	other(m, BT_NRB, 16);
	idb(m, 113, 128, "any", TSRES_BIN(10), &off);
	epb(m, 0, T6, payload, 60, 60, 1);
	epb(m, 1, T9, payload + 1, 40, 1500, 0);
	epb(m, 2, T2_10, payload + 2, 61, 61, 1);	/* padded data */
	spb(m, 42, payload + 3, 42);
	pb(m, 1, T9 + 1, payload + 4, 20, 20);
	other(m, BT_ISB, 28);
	other(m, 0x40000BAD, 0);			/* custom, empty */
	shb(m, !be);
	idb(m, 228, 65535, "eth1", NO_TSRESOL, NULL);
	epb(m, 0, T6, payload + 5, 33, 33, 0);
}

static void
check_multi(struct img *m)
{
	struct capture *c = open_img(m);
	struct pkt p;

	expect_pkt(c, payload, 60, 60, 1700000000123456000ULL, 0, 1);
	cr_expect_str_eq(iname(c, 0), "veth0");
	expect_pkt(c, payload + 1, 40, 1500, 1700000000123456789ULL, 1, 101);
	cr_expect_str_eq(iname(c, 1), "br0");
	expect_pkt(c, payload + 2, 61, 61, (1700000000ULL - 3600) * NS +
	    500000000, 2, 113);
	cr_expect_str_eq(iname(c, 2), "any");
	/* SPB: interface 0, no timestamp. */
	expect_pkt(c, payload + 3, 42, 42, 0, 0, 1);
	expect_pkt(c, payload + 4, 20, 20, 1700000000123456790ULL, 1, 101);
	cr_expect_null(iname(c, 3));
	cr_expect_null(iname(c, -1));

	/* Second section: its interface ids start over, but packets carry
	 * file-wide indices, so its interface 0 is the file's fourth. */
	expect_pkt(c, payload + 5, 33, 33, 1700000000123456000ULL, 3, 228);
	cr_expect_str_eq(iname(c, 3), "eth1");
	cr_expect_str_eq(iname(c, 0), "veth0");
	cr_expect_null(iname(c, 4));

	cr_expect_eq(next(c, &p), 0, "clean EOF, got: %s", capture_error(c));
	cr_expect_eq(next(c, &p), 0);
	done(c);
}

Test(pcapng, sections_little_then_big_endian)
{
	struct img m = { 0 };

	build_multi(&m, 0);
	check_multi(&m);
	img_free(&m);
}

Test(pcapng, sections_big_then_little_endian)
{
	struct img m = { 0 };

	build_multi(&m, 1);
	check_multi(&m);
	img_free(&m);
}

/* A name handed out stays valid after its section is over. */
Test(pcapng, iface_name_outlives_section)
{
	struct img m = { 0 };
	struct capture *c;
	struct pkt p;
	const char *n;

	shb(&m, 0);
	idb(&m, 1, 0, "old0", NO_TSRESOL, NULL);
	epb(&m, 0, 0, payload, 4, 4, 0);
	shb(&m, 0);
	idb(&m, 1, 0, "new0", NO_TSRESOL, NULL);
	epb(&m, 0, 0, payload, 4, 4, 0);
	c = open_img(&m);
	cr_assert_eq(next(c, &p), 1);
	cr_expect_eq(p.iface, 0);
	n = iname(c, p.iface);
	cr_assert_str_eq(n, "old0");
	cr_assert_eq(next(c, &p), 1);
	cr_expect_eq(p.iface, 1, "the second section's interface 0 is the file's 1");
	cr_expect_str_eq(iname(c, p.iface), "new0");
	cr_expect_str_eq(n, "old0");
	done(c);
	img_free(&m);
}

/* if_name: first NUL ends it; empty is no name; padding is not read. */
Test(pcapng, iface_name_forms)
{
	struct img m = { 0 };
	struct capture *c;
	struct pkt p;
	size_t at;

	shb(&m, 0);
	at = blk_open(&m, BT_IDB);
	p16(&m, 1);
	p16(&m, 0);
	p32(&m, 0);
	opt(&m, 2, "eth0\0junk", 9);
	opt(&m, 2, "second", 6);	/* only the first counts */
	opt_end(&m);
	blk_close(&m, at);
	at = blk_open(&m, BT_IDB);
	p16(&m, 1);
	p16(&m, 0);
	p32(&m, 0);
	opt(&m, 2, "", 0);
	blk_close(&m, at);		/* no opt_endofopt: allowed */
	idb(&m, 1, 0, "x", NO_TSRESOL, NULL);	/* 1 byte, 3 of padding */
	epb(&m, 2, 0, payload, 4, 4, 0);
	c = open_img(&m);
	cr_assert_eq(next(c, &p), 1, "%s", capture_error(c));
	cr_expect_str_eq(iname(c, 0), "eth0");
	cr_expect_null(iname(c, 1));
	cr_expect_str_eq(iname(c, 2), "x");
	done(c);
	img_free(&m);
}

struct ts_case {
	int tsresol;
	int has_off;
	int64_t off;
	uint64_t t;
	uint64_t ns;
};

static const struct ts_case ts_cases[] = {
	{ 6, 0, 0, T6, 1700000000123456000ULL },
	{ 9, 0, 0, T9, 1700000000123456789ULL },
	{ 3, 0, 0, 1500, 1500000000ULL },
	{ 0, 0, 0, 1700000000, 1700000000ULL * NS },
	{ 12, 0, 0, 1234567890123456789ULL, 1234567890123456ULL },
	/* 10^-19: UINT64_MAX units is 1.8446744073709551615 s. */
	{ 19, 0, 0, UINT64_MAX, 1844674407ULL },
	{ TSRES_BIN(10), 0, 0, T2_10, 1700000000500000000ULL },
	{ TSRES_BIN(0), 0, 0, 1700000000, 1700000000ULL * NS },
	/* Around the 64-bit product limit of the binary conversion. */
	{ TSRES_BIN(34), 0, 0, (1ULL << 34) - 1, 999999999ULL },
	{ TSRES_BIN(35), 0, 0, (1ULL << 35) - 1, 999999999ULL },
	{ TSRES_BIN(35), 0, 0, 3ULL << 34, 1500000000ULL },
	{ TSRES_BIN(40), 0, 0, (5ULL << 40) + (1ULL << 39), 5500000000ULL },
	{ TSRES_BIN(63), 0, 0, (1ULL << 63) - 1, 999999999ULL },
	{ TSRES_BIN(63), 0, 0, UINT64_MAX, 1999999999ULL },
	{ TSRES_BIN(32), 0, 0, (1700000000ULL << 32) | 0x40000000,
	  1700000000250000000ULL },
	/* if_tsoffset, and saturation outside 1970..2554. */
	{ 6, 1, 100, 1000000, 101 * NS },
	{ 6, 1, -1, 5000000, 4 * NS },
	{ 6, 1, -100, 1000000, 0 },
	{ 6, 1, INT64_MIN, 1, 0 },
	{ 6, 1, INT64_MAX, 0, UINT64_MAX },
	{ 0, 0, 0, UINT64_MAX, UINT64_MAX },
	{ 9, 0, 0, UINT64_MAX, UINT64_MAX },
	{ 0, 0, 0, 18446744073ULL, 18446744073ULL * NS },
	{ 0, 0, 0, 18446744074ULL, UINT64_MAX },
};

Test(pcapng, timestamps_exact_ns)
{
	size_t i;

	for (i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++) {
		const struct ts_case *t = &ts_cases[i];
		struct img m = { 0 };
		struct capture *c;
		struct pkt p;

		shb(&m, (int)(i & 1));
		idb(&m, 1, 0, NULL, t->tsresol, t->has_off ? &t->off : NULL);
		epb(&m, 0, t->t, payload, 14, 14, 0);
		c = open_img(&m);
		cr_assert_eq(next(c, &p), 1, "case %zu: %s", i, capture_error(c));
		cr_expect_eq(p.ts_ns, t->ns, "case %zu: ts_ns %llu != %llu", i,
		    (unsigned long long)p.ts_ns, (unsigned long long)t->ns);
		done(c);
		img_free(&m);
	}
}

/* SPB captured length: min(original, space in block, snaplen). */
Test(pcapng, spb_captured_length)
{
	struct img m = { 0 };
	struct capture *c;
	static uint8_t big[300000];
	struct pkt p;

	shb(&m, 1);
	idb(&m, 1, 64, NULL, NO_TSRESOL, NULL);
	spb(&m, 100, payload, 100);	/* snaplen */
	spb(&m, 100, payload, 32);	/* block space */
	spb(&m, 10, payload, 10);	/* original; 2 bytes padding */
	spb(&m, 0, payload, 0);
	shb(&m, 0);
	idb(&m, 1, 0, NULL, NO_TSRESOL, NULL);	/* snaplen 0: no limit */
	spb(&m, sizeof(big), big, sizeof(big));
	c = open_img(&m);
	expect_pkt(c, payload, 64, 100, 0, 0, 1);
	expect_pkt(c, payload, 32, 100, 0, 0, 1);
	expect_pkt(c, payload, 10, 10, 0, 0, 1);
	expect_pkt(c, payload, 0, 0, 0, 0, 1);
	expect_pkt(c, big, 262144, sizeof(big), 0, 1, 1);   /* second section's IDB */
	cr_expect_eq(next(c, &p), 0, "%s", capture_error(c));
	done(c);
	img_free(&m);
}

Test(pcapng, only_section_header_is_empty)
{
	struct img m = { 0 };
	struct capture *c;
	struct pkt p;

	shb(&m, 0);
	c = open_img(&m);
	cr_expect_eq(next(c, &p), 0, "%s", capture_error(c));
	cr_expect_null(iname(c, 0));
	done(c);
	img_free(&m);
}

/* Where mmap cannot be used (a pipe), the file is read whole. */
Test(pcapng, read_from_pipe)
{
	struct img m = { 0 };
	struct capture *c;
	char path[64], err[256];
	int fds[2];
	struct pkt p;

	shb(&m, 0);
	idb(&m, 1, 0, "p0", 9, NULL);
	epb(&m, 0, T9, payload, 100, 100, 1);
	cr_assert_lt(m.len, 4096u, "must fit the pipe buffer");
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], m.b, m.len), (ssize_t)m.len);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	c = open_path(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	expect_pkt(c, payload, 100, 100, 1700000000123456789ULL, 0, 1);
	cr_expect_str_eq(iname(c, 0), "p0");
	cr_expect_eq(next(c, &p), 0, "%s", capture_error(c));
	done(c);
	close(fds[0]);
	img_free(&m);
}

/* ---- packet lifetime: valid until capture_release ------------------- */

#define BATCH_PKTS	3000
#define BATCH_CAPLEN	1000

static void
build_batch(struct img *m)
{
	uint32_t i;

	shb(m, 0);
	idb(m, 1, 0, "b0", 9, NULL);
	for (i = 0; i < BATCH_PKTS; i++) {
		if (i % 100 == 0)
			other(m, BT_ISB, 20);
		epb(m, 0, T9 + i, payload + i % 1000, BATCH_CAPLEN,
		    BATCH_CAPLEN, i & 1);
	}
}

/* A child process writes the image into a pipe: more than it can hold. */
static struct capture *
open_piped(const struct img *m, pid_t *pid, int *rfd)
{
	char path[64], err[256];
	struct capture *c;
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	if ((*pid = fork()) == 0) {
		size_t off = 0;
		ssize_t n;

		close(fds[0]);
		while (off < m->len &&
		    (n = write(fds[1], m->b + off, m->len - off)) > 0)
			off += (size_t)n;
		_exit(off == m->len ? 0 : 1);
	}
	cr_assert_gt(*pid, 0);
	close(fds[1]);
	*rfd = fds[0];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	c = open_path(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	return c;
}

static void
close_piped(struct capture *c, pid_t pid, int rfd)
{
	int status;

	done(c);
	close(rfd);
	cr_expect_eq(waitpid(pid, &status, 0), pid);
}

/*
 * Read in batches of batch packets, checking every held packet only after
 * the whole batch is read, then releasing: what the engine does.
 */
static void
check_batches(struct capture *c, size_t batch)
{
	static struct pkt held[BATCH_PKTS + 1];	/* + the EOF call */
	size_t i = 0, j, start;
	int rv = 1;

	while (rv == 1) {
		start = i;
		while (i - start < batch && (rv = next(c, &held[i])) == 1)
			i++;
		for (j = start; j < i; j++) {
			cr_assert_eq(held[j].caplen, BATCH_CAPLEN);
			cr_assert_eq(held[j].ts_ns, T9 + j);
			cr_assert_eq(memcmp(held[j].data, payload + j % 1000,
			    BATCH_CAPLEN), 0, "packet %zu changed before "
			    "release (batch %zu)", j, batch);
		}
		capture_release(c);
	}
	cr_expect_eq(rv, 0, "%s", capture_error(c));
	cr_expect_eq(i, BATCH_PKTS);
}

Test(pcapng, held_packets_valid_until_release_file)
{
	static const size_t batches[] = { 1, 64, BATCH_PKTS };
	struct img m = { 0 };
	size_t k;

	build_batch(&m);
	for (k = 0; k < 3; k++) {
		struct capture *c = open_img(&m);

		check_batches(c, batches[k]);
		done(c);
	}
	img_free(&m);
}

Test(pcapng, held_packets_valid_until_release_pipe)
{
	static const size_t batches[] = { 1, 64, BATCH_PKTS };
	struct img m = { 0 };
	size_t k;

	build_batch(&m);
	cr_assert_gt(m.len, 2u << 20, "must outgrow filebuf's first buffer");
	for (k = 0; k < 3; k++) {
		pid_t pid;
		int rfd;
		struct capture *c = open_piped(&m, &pid, &rfd);

		check_batches(c, batches[k]);
		close_piped(c, pid, rfd);
	}
	img_free(&m);
}

/*
 * Blocks skipped while the caller holds no packet are let go at once: a
 * pipe carrying far more of them than filebuf would buffer still reads.
 */
Test(pcapng, long_run_of_skipped_blocks_in_pipe)
{
	struct img m = { 0 };
	struct capture *c;
	struct pkt p;
	size_t at, i;
	pid_t pid;
	int rfd;

	shb(&m, 1);
	idb(&m, 1, 0, NULL, NO_TSRESOL, NULL);
	epb(&m, 0, T6, payload, 64, 64, 0);
	for (i = 0; i < 96; i++) {	/* 96 MiB of custom blocks */
		at = blk_open(&m, 0x40000BAD);
		m.len += (size_t)1 << 20;
		if (m.len > m.cap) {
			m.cap = m.len * 2;
			m.b = realloc(m.b, m.cap);
			cr_assert_not_null(m.b);
		}
		memset(m.b + m.len - ((size_t)1 << 20), 0x5a, (size_t)1 << 20);
		blk_close(&m, at);
	}
	epb(&m, 0, T6, payload + 1, 64, 64, 0);
	c = open_piped(&m, &pid, &rfd);
	expect_pkt(c, payload, 64, 64, 1700000000123456000ULL, 0, 1);
	capture_release(c);
	expect_pkt(c, payload + 1, 64, 64, 1700000000123456000ULL, 0, 1);
	cr_expect_eq(next(c, &p), 0, "%s", capture_error(c));
	close_piped(c, pid, rfd);
	img_free(&m);
}

/* capture_open_file hands a pcapng file to this reader. */
Test(pcapng, capture_open_file_dispatch)
{
	struct img m = { 0 };
	struct capture *c;
	char err[256];
	int fd;

	shb(&m, 1);
	idb(&m, 229, 0, "v6", NO_TSRESOL, NULL);
	epb(&m, 0, T6, payload, 40, 40, 0);
	snprintf(tmp_path, sizeof(tmp_path), "%s/test-pcapng-XXXXXX", tmpdir());
	cr_assert_neq(fd = mkstemp(tmp_path), -1);
	close(fd);
	write_file(tmp_path, m.b, m.len);
	c = capture_open_file(tmp_path, err, sizeof(err));
	unlink(tmp_path);
	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->ops->name, "pcapng");
	expect_pkt(c, payload, 40, 40, 1700000000123456000ULL, 0, 229);
	cr_expect_str_eq(capture_iface_name(c, 0), "v6");
	done(c);
	img_free(&m);
}

/* As many interfaces as allowed, the last one used. */
Test(pcapng, many_interfaces)
{
	struct img m = { 0 };
	struct capture *c;
	struct pkt p;
	uint32_t i;

	shb(&m, 0);
	for (i = 0; i < 65536; i++)
		idb(&m, (uint16_t)(i & 1 ? 101 : 1), 0, NULL, NO_TSRESOL, NULL);
	epb(&m, 65535, 0, payload, 4, 4, 0);
	c = open_img(&m);
	cr_assert_eq(next(c, &p), 1, "%s", capture_error(c));
	cr_expect_eq(p.iface, 65535);
	cr_expect_eq(p.linktype, 101u);
	done(c);

	idb(&m, 1, 0, NULL, NO_TSRESOL, NULL);	/* one too many */
	c = open_img(&m);
	cr_assert_eq(next(c, &p), 1, "%s", capture_error(c));
	cr_expect_eq(next(c, &p), -1);
	cr_expect_not_null(strstr(capture_error(c), "more than 65536 interfaces in one "
	    "section"), "%s", capture_error(c));
	done(c);
	img_free(&m);
}

/* ---- open failures --------------------------------------------------- */

static void
expect_open_fails(const struct img *m, size_t n, const char *msg)
{
	char err[256];
	struct capture *c = open_n(m, n, err, sizeof(err));

	cr_expect_null(c, "opened, want \"%s\"", msg);
	if (c != NULL)
		done(c);
	cr_expect_not_null(strstr(err, msg), "error \"%s\" lacks \"%s\"",
	    err, msg);
}

Test(pcapng, open_rejects_non_pcapng)
{
	struct img m = { 0 };
	const uint8_t pcap_magic[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4 };

	expect_open_fails(&m, 0, "not a pcapng file");
	put(&m, pcap_magic, sizeof(pcap_magic));
	expect_open_fails(&m, m.len, "not a pcapng file");
	img_free(&m);

	shb(&m, 0);
	expect_open_fails(&m, 3, "not a pcapng file");
	expect_open_fails(&m, 8, "truncated block at offset 0 (need 12 bytes, "
	    "8 left)");
	expect_open_fails(&m, 20, "truncated block at offset 0 (need 48 "
	    "bytes, 20 left)");
	m.b[8] = 0x4e;		/* byte-order magic */
	expect_open_fails(&m, m.len, "bad byte-order magic 0x1a2b3c4e");
	img_free(&m);

	shb_ver(&m, 1, 2);
	expect_open_fails(&m, m.len, "unsupported pcapng version 2.0");
	img_free(&m);

	m.be = 1;		/* magic, then half the fixed part */
	p32(&m, BT_SHB);
	p32(&m, 20);
	p32(&m, 0x1A2B3C4D);
	p32(&m, 0x00010000);
	p32(&m, 20);
	expect_open_fails(&m, m.len, "Section Header Block too short");
	img_free(&m);
}

/* ---- damage ---------------------------------------------------------- */

/* SHB, IDB and one good packet: the damage follows at the returned offset. */
static size_t
good_prefix(struct img *m, int be)
{
	shb(m, be);
	idb(m, 1, 0, "eth0", NO_TSRESOL, NULL);
	epb(m, 0, T6, payload, 60, 60, 0);
	return m->len;
}

static void
expect_damage_after_one(struct img *m, const char *msg)
{
	struct capture *c = open_img(m);
	struct pkt p;

	cr_assert_eq(next(c, &p), 1, "good packet first: %s", capture_error(c));
	cr_assert_eq(next(c, &p), -1, "damage not detected (want \"%s\")", msg);
	cr_expect_not_null(strstr(capture_error(c), msg), "error \"%s\" lacks \"%s\"",
	    capture_error(c), msg);
	cr_expect_eq(next(c, &p), -1, "sticky error");
	done(c);
}

Test(pcapng, damage_zero_length)
{
	struct img m = { 0 };
	char msg[128];
	size_t off = good_prefix(&m, 0);

	raw_block(&m, BT_EPB, 0, 4, 0);
	snprintf(msg, sizeof(msg), "pcapng: block at offset %zu: total length "
	    "0 < 12", off);
	expect_damage_after_one(&m, msg);
	img_free(&m);
}

Test(pcapng, damage_length_not_multiple_of_4)
{
	struct img m = { 0 };

	good_prefix(&m, 1);
	raw_block(&m, BT_EPB, 14, 8, 14);
	expect_damage_after_one(&m, "total length 14 not a multiple of 4");
	img_free(&m);
}

Test(pcapng, damage_length_past_eof)
{
	struct img m = { 0 };
	char msg[128];
	size_t off = good_prefix(&m, 0);

	raw_block(&m, BT_EPB, 1000, 20, 1000);
	snprintf(msg, sizeof(msg), "pcapng: truncated block at offset %zu "
	    "(need 1000 bytes, 32 left)", off);
	expect_damage_after_one(&m, msg);
	img_free(&m);
}

Test(pcapng, damage_trailing_length_mismatch)
{
	struct img m = { 0 };

	good_prefix(&m, 1);
	raw_block(&m, BT_ISB, 32, 20, 28);
	expect_damage_after_one(&m, "trailing total length 28 != leading "
	    "total length 32");
	img_free(&m);
}

Test(pcapng, damage_caplen_exceeds_block)
{
	struct img m = { 0 };
	size_t at;

	good_prefix(&m, 0);
	at = blk_open(&m, BT_EPB);
	p32(&m, 0);
	p32(&m, 0);
	p32(&m, 0);
	p32(&m, 100);		/* caplen */
	p32(&m, 100);
	put(&m, payload, 60);
	blk_close(&m, at);
	expect_damage_after_one(&m, "captured length 100 exceeds the block "
	    "(60 bytes of packet data)");
	img_free(&m);
}

Test(pcapng, damage_caplen_insane)
{
	struct img m = { 0 };
	static uint8_t big[300000];

	good_prefix(&m, 0);
	epb(&m, 0, 0, big, sizeof(big), sizeof(big), 0);
	expect_damage_after_one(&m, "captured length 300000 > 262144");
	img_free(&m);
}

Test(pcapng, damage_packet_block_caplen)
{
	struct img m = { 0 };
	size_t at;

	good_prefix(&m, 1);
	at = blk_open(&m, BT_PB);
	p16(&m, 0);
	p16(&m, 0);
	p32(&m, 0);
	p32(&m, 0);
	p32(&m, 9);
	p32(&m, 9);
	put(&m, payload, 4);
	blk_close(&m, at);
	expect_damage_after_one(&m, "captured length 9 exceeds the block");
	img_free(&m);
}

Test(pcapng, damage_short_packet_blocks)
{
	struct img m = { 0 };

	good_prefix(&m, 0);
	raw_block(&m, BT_EPB, 28, 16, 28);
	expect_damage_after_one(&m, "Enhanced Packet Block too short");
	img_free(&m);

	good_prefix(&m, 0);
	raw_block(&m, BT_SPB, 12, 0, 12);
	expect_damage_after_one(&m, "Simple Packet Block too short");
	img_free(&m);

	good_prefix(&m, 0);
	raw_block(&m, BT_IDB, 16, 4, 16);
	expect_damage_after_one(&m, "Interface Description Block too short");
	img_free(&m);
}

Test(pcapng, damage_bad_interface_id)
{
	struct img m = { 0 };

	good_prefix(&m, 0);
	epb(&m, 5, 0, payload, 4, 4, 0);
	expect_damage_after_one(&m, "interface id 5 >= 1 interfaces in this "
	    "section");
	img_free(&m);

	/* Interfaces of an earlier section do not count. */
	good_prefix(&m, 1);
	idb(&m, 1, 0, NULL, NO_TSRESOL, NULL);
	shb(&m, 1);
	idb(&m, 1, 0, NULL, NO_TSRESOL, NULL);
	epb(&m, 1, 0, payload, 4, 4, 0);
	expect_damage_after_one(&m, "interface id 1 >= 1 interfaces");
	img_free(&m);
}

Test(pcapng, damage_packet_before_idb)
{
	struct img m = { 0 };

	shb(&m, 0);
	epb(&m, 0, 0, payload, 4, 4, 0);
	expect_damage(&m, "Enhanced Packet Block before any Interface "
	    "Description Block");
	img_free(&m);

	shb(&m, 1);
	spb(&m, 4, payload, 4);
	expect_damage(&m, "Simple Packet Block before any Interface");
	img_free(&m);

	/* A new section forgets the interfaces of the previous one. */
	good_prefix(&m, 0);
	shb(&m, 0);
	pb(&m, 0, 0, payload, 4, 4);
	expect_damage_after_one(&m, "Packet Block before any Interface");
	img_free(&m);
}

Test(pcapng, damage_truncated_inside_block)
{
	struct img m = { 0 };
	struct capture *c;
	struct pkt p;
	char err[256], msg[128];
	size_t off = good_prefix(&m, 0), cut;

	epb(&m, 0, T6, payload, 100, 100, 0);	/* 132 bytes */
	cut = m.len - 50;
	c = open_n(&m, cut, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(next(c, &p), 1);
	cr_assert_eq(next(c, &p), -1);
	snprintf(msg, sizeof(msg), "pcapng: truncated block at offset %zu "
	    "(need 132 bytes, 82 left)", off);
	cr_expect_str_eq(capture_error(c), msg);
	done(c);

	/* Fewer bytes left than any block has. */
	c = open_n(&m, off + 8, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(next(c, &p), 1);
	cr_assert_eq(next(c, &p), -1);
	snprintf(msg, sizeof(msg), "pcapng: truncated block at offset %zu "
	    "(need 12 bytes, 8 left)", off);
	cr_expect_str_eq(capture_error(c), msg);
	done(c);
	img_free(&m);
}

Test(pcapng, damage_options)
{
	struct img m = { 0 };
	size_t at;
	uint8_t r;

	/* An option running past the end of its block. */
	good_prefix(&m, 0);
	at = blk_open(&m, BT_IDB);
	p16(&m, 1);
	p16(&m, 0);
	p32(&m, 0);
	p16(&m, 2);
	p16(&m, 200);
	put(&m, "eth1", 4);
	blk_close(&m, at);
	expect_damage_after_one(&m, "option 2 length 200 exceeds the block");
	img_free(&m);

	/* An option header whose value is missing. */
	good_prefix(&m, 1);
	at = blk_open(&m, BT_IDB);
	p16(&m, 1);
	p16(&m, 0);
	p32(&m, 0);
	opt(&m, 3, "desc", 4);
	p16(&m, 9);
	p16(&m, 1);		/* if_tsresol, value missing */
	blk_close(&m, at);
	expect_damage_after_one(&m, "option 9 length 1 exceeds the block");
	img_free(&m);

	/* Timestamp options we cannot interpret. */
	good_prefix(&m, 0);
	idb(&m, 1, 0, NULL, 20, NULL);
	expect_damage_after_one(&m, "if_tsresol 10^-20 is too fine");
	img_free(&m);

	good_prefix(&m, 0);
	idb(&m, 1, 0, NULL, TSRES_BIN(64), NULL);
	expect_damage_after_one(&m, "if_tsresol 2^-64 is too fine");
	img_free(&m);

	good_prefix(&m, 0);
	at = blk_open(&m, BT_IDB);
	p16(&m, 1);
	p16(&m, 0);
	p32(&m, 0);
	r = 9;
	opt(&m, 9, &r, 1);
	opt(&m, 9, &r, 1);
	blk_close(&m, at);
	expect_damage_after_one(&m, "if_tsresol repeated");
	img_free(&m);

	good_prefix(&m, 0);
	at = blk_open(&m, BT_IDB);
	p16(&m, 1);
	p16(&m, 0);
	p32(&m, 0);
	opt(&m, 14, "1234", 4);
	blk_close(&m, at);
	expect_damage_after_one(&m, "if_tsoffset length 4 != 8");
	img_free(&m);
}

Test(pcapng, damage_later_section_header)
{
	struct img m = { 0 };
	size_t at;

	good_prefix(&m, 0);
	at = m.len;
	shb(&m, 0);
	m.b[at + 8] ^= 0xff;
	expect_damage_after_one(&m, "bad byte-order magic");
	img_free(&m);

	good_prefix(&m, 0);
	shb_ver(&m, 1, 3);
	expect_damage_after_one(&m, "unsupported pcapng version 3.0");
	img_free(&m);
}

/* Every prefix of a good file: clean EOF exactly at block boundaries. */
Test(pcapng, every_truncation)
{
	struct img m = { 0 };
	size_t *bounds = NULL, nb = 0, n, i, got;
	char err[256];

	for (i = 0; i < 2; i++) {
		struct img part = { 0 };

		build_multi(&part, (int)i);
		put(&m, part.b, part.len);
		img_free(&part);
	}
	/* Block boundaries, by walking the framing we wrote. */
	bounds = calloc(m.len + 1, sizeof(*bounds));
	cr_assert_not_null(bounds);
	for (n = 0; n < m.len; ) {
		uint32_t l = (uint32_t)m.b[n + 4] | (uint32_t)m.b[n + 5] << 8 |
		    (uint32_t)m.b[n + 6] << 16 | (uint32_t)m.b[n + 7] << 24;

		if (l > m.len - n || l < 12)	/* big-endian section */
			l = (uint32_t)m.b[n + 7] | (uint32_t)m.b[n + 6] << 8 |
			    (uint32_t)m.b[n + 5] << 16 |
			    (uint32_t)m.b[n + 4] << 24;
		cr_assert_leq(l, m.len - n);
		n += l;
		bounds[nb++] = n;
	}
	for (n = 0; n <= m.len; n++) {
		struct capture *c = open_n(&m, n, err, sizeof(err));
		int at_bound = 0, rv;

		for (i = 0; i < nb; i++)
			at_bound |= bounds[i] == n;
		if (n < bounds[0]) {
			cr_expect_null(c, "prefix %zu opened", n);
			if (c != NULL)
				done(c);
			continue;
		}
		cr_assert_not_null(c, "prefix %zu: %s", n, err);
		rv = drain(c, &got);
		cr_expect_eq(rv, at_bound ? 0 : -1, "prefix %zu: rv %d (%s)",
		    n, rv, capture_error(c));
		if (rv == -1)
			cr_expect_neq(capture_error(c)[0], '\0');
		cr_expect_leq(got, 12u);
		done(c);
	}
	free(bounds);
	img_free(&m);
}

/*
 * Every single-byte corruption of a small file (several values per byte)
 * must end in a packet count, EOF or an error, never a crash or a hang.
 */
Test(pcapng, every_byte_corrupted)
{
	static const uint8_t vals[] = { 0x00, 0xff, 0x80, 0x7f, 0x01, 0x0c };
	struct img m = { 0 };
	uint8_t save;
	size_t i, v, got;
	char err[256];

	build_multi(&m, 0);
	for (i = 0; i < m.len; i++) {
		save = m.b[i];
		for (v = 0; v < sizeof(vals); v++) {
			struct capture *c;

			m.b[i] = vals[v];
			c = open_n(&m, m.len, err, sizeof(err));
			if (c == NULL) {
				cr_expect_neq(err[0], '\0');
				continue;
			}
			if (drain(c, &got) == -1)
				cr_expect_neq(capture_error(c)[0], '\0');
			done(c);
		}
		m.b[i] = save;
	}
	img_free(&m);
}

/* ---- against libpcap on the tcpdump corpus --------------------------- */

struct ref_pkt {
	uint32_t caplen, len;
	uint64_t ts_ns;
	uint8_t *data;
};

struct ref {
	struct ref_pkt *p;
	size_t n, cap;
};

static void
ref_free(struct ref *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->p[i].data);
	free(r->p);
	memset(r, 0, sizeof(*r));
}

/* libpcap's reading, with nanosecond timestamps: 1 full, 0 rejected. */
static int
ref_read(const char *path, struct ref *r, char *why, size_t whylen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int rv;

	pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		snprintf(why, whylen, "%s", perr);
		return 0;
	}
	while ((rv = pcap_next_ex(pc, &h, &d)) == 1) {
		struct ref_pkt *q;

		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->p = realloc(r->p, r->cap * sizeof(*r->p));
			cr_assert_not_null(r->p);
		}
		q = &r->p[r->n++];
		q->caplen = h->caplen;
		q->len = h->len;
		q->ts_ns = (uint64_t)h->ts.tv_sec * NS + (uint64_t)h->ts.tv_usec;
		q->data = malloc(h->caplen + 1);
		cr_assert_not_null(q->data);
		memcpy(q->data, d, h->caplen);
	}
	if (rv != PCAP_ERROR_BREAK)
		snprintf(why, whylen, "%s", pcap_geterr(pc));
	pcap_close(pc);
	return rv == PCAP_ERROR_BREAK;
}

struct corpus_stats {
	int files, compared, rejected, packets, mismatched;
};

static void
corpus_file(const char *dir, const char *name, struct corpus_stats *st)
{
	char path[4096], err[256], why[PCAP_ERRBUF_SIZE] = "";
	struct ref ref = { 0 };
	struct capture *c;
	struct pkt p;
	size_t i = 0, got;
	int rv, bad = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st->files++;
	/* The production path: capture_open_file must pick this reader. */
	if ((c = capture_open_file(path, err, sizeof(err))) != NULL)
		cr_expect_str_eq(c->ops->name, "pcapng", "%s", name);
	if (!ref_read(path, &ref, why, sizeof(why))) {
		/* libpcap rejects it: ours must only survive it. */
		st->rejected++;
		if (c != NULL) {
			rv = drain(c, &got);
			cr_log_info("%s: libpcap: %s; ours: %zu packets, %s",
			    name, why, got, rv == 0 ? "EOF" : capture_error(c));
			done(c);
		} else
			cr_log_info("%s: libpcap: %s; ours: %s", name, why,
			    err);
		ref_free(&ref);
		return;
	}
	st->compared++;
	cr_expect_not_null(c, "%s: libpcap reads it, we do not: %s", name, err);
	if (c == NULL) {
		st->mismatched++;
		ref_free(&ref);
		return;
	}
	while ((rv = next(c, &p)) == 1) {
		const struct ref_pkt *q = &ref.p[i];

		if (i >= ref.n) {
			i++;
			continue;
		}
		if (p.caplen != q->caplen || p.len != q->len ||
		    p.ts_ns != q->ts_ns ||
		    memcmp(p.data, q->data, p.caplen) != 0) {
			cr_expect_fail("%s: packet %zu: ours caplen %u len %u "
			    "ts %llu, libpcap caplen %u len %u ts %llu%s",
			    name, i + 1, p.caplen, p.len,
			    (unsigned long long)p.ts_ns, q->caplen, q->len,
			    (unsigned long long)q->ts_ns,
			    p.caplen == q->caplen && memcmp(p.data, q->data,
			    p.caplen) != 0 ? " (bytes differ)" : "");
			bad = 1;
		}
		i++;
		capture_release(c);
	}
	cr_expect_eq(rv, 0, "%s: libpcap reads it whole, we stop: %s", name,
	    capture_error(c));
	cr_expect_eq(i, ref.n, "%s: %zu packets, libpcap %zu", name, i, ref.n);
	if (rv != 0 || i != ref.n)
		bad = 1;
	st->packets += (int)i;
	st->mismatched += bad;
	done(c);
	ref_free(&ref);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(pcapng, corpus_agrees_with_libpcap)
{
	const char *dir = getenv("CNETMON_CORPUS");
	struct corpus_stats st = { 0 };
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i, l;
	DIR *d;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/corpus/tcpdump";
	if ((d = opendir(dir)) == NULL)
		cr_skip_test("pcapng corpus %s not available (%s); set "
		    "CNETMON_CORPUS to the tcpdump capture directory", dir,
		    strerror(errno));
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l < 7 || strcmp(e->d_name + l - 7, ".pcapng") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			cr_assert_not_null(names);
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n == 0)
		cr_skip_test("no *.pcapng files in %s", dir);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		corpus_file(dir, names[i], &st);
		free(names[i]);
	}
	free(names);
	cr_log_info("pcapng corpus: %d files, %d compared with libpcap "
	    "(%d packets), %d rejected by libpcap, %d mismatched", st.files,
	    st.compared, st.packets, st.rejected, st.mismatched);
	cr_expect_eq(st.mismatched, 0);
}
