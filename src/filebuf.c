/* filebuf.c — see filebuf.h.
 *
 * One path for files, pipes and stdin: read(2) into a buffer. (An mmap path
 * was measured against this on a 1 GB capture: no faster, since the first
 * touch of every mapped page costs a fault, and it inflated RSS by the
 * mapped size.) When the buffer is full its unreleased tail moves to a fresh
 * buffer; the old one is retired, not freed, because a caller's batch may
 * still point into it, and becomes the spare for the next refill. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filebuf.h"

#define CHUNK      (1u << 20)     /* initial buffer size */
/* A buffer never grows past this plus one record: a length field claiming
 * more is damage, and the readers cap their records far below it. */
#define BUF_MAX    (64u << 20)
/* One read(2) at most: what it brings in is parsed while still in the
 * CPU's L2 cache (bench/run.sh: plain `read` ~10% faster than reading 1 MiB
 * at a time, whose first bytes are out of L2 again by the time they are
 * parsed). */
#define READ_MAX   (128u << 10)

struct filebuf {
	int fd;
	uint64_t size;          /* regular files: size at open, else 0 */
	uint8_t *buf;           /* holds file bytes [base, base + len) */
	size_t len, cap;
	uint64_t base, released;
	int eof;
	uint8_t **retired;      /* replaced buffers, maybe still pointed into */
	size_t *retired_cap;
	size_t nretired;
	uint8_t *spare;         /* a retired buffer no one points into any more */
	size_t spare_cap;
};

struct filebuf *
filebuf_open(const char *path, char *err, size_t errlen)
{
	struct filebuf *fb;
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "is a directory");
		close(fd);
		return NULL;
	}
	fb = calloc(1, sizeof(*fb));
	if (!fb) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	fb->fd = fd;
	if (S_ISREG(st.st_mode)) {
		fb->size = (uint64_t)st.st_size;
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	return fb;
}

uint64_t
filebuf_size(const struct filebuf *fb)
{
	return fb->size;
}

/* Replace the buffer by one of ncap bytes holding its unreleased part. */
static int
rebuffer(struct filebuf *fb, size_t ncap)
{
	size_t drop = fb->released > fb->base ? (size_t)(fb->released - fb->base) : 0;
	uint8_t **nr, *nb;
	size_t *nc;

	if (drop > fb->len)
		drop = fb->len;
	nr = realloc(fb->retired, sizeof(*nr) * (fb->nretired + 1));
	if (nr)
		fb->retired = nr;
	nc = realloc(fb->retired_cap, sizeof(*nc) * (fb->nretired + 1));
	if (nc)
		fb->retired_cap = nc;
	if (!nr || !nc)
		return -1;
	if (fb->spare && fb->spare_cap >= ncap) {
		nb = fb->spare;
		ncap = fb->spare_cap;
		fb->spare = NULL;
	} else if (!(nb = malloc(ncap))) {
		return -1;
	}
	if (fb->buf) {
		memcpy(nb, fb->buf + drop, fb->len - drop);
		fb->retired[fb->nretired] = fb->buf;
		fb->retired_cap[fb->nretired++] = fb->cap;
	}
	fb->buf = nb;
	fb->cap = ncap;
	fb->len -= drop;
	fb->base += drop;
	return 0;
}

/* Read until the buffer holds [off, off + n) or the input ends. */
static int
fill(struct filebuf *fb, uint64_t off, size_t n)
{
	while (fb->base + fb->len < off + n && !fb->eof) {
		ssize_t r;

		if (fb->len == fb->cap) {
			size_t keep = fb->len - (fb->released > fb->base ?
			    (size_t)(fb->released - fb->base) : 0);
			size_t ncap = fb->cap ? fb->cap : CHUNK;
			while (ncap < keep + CHUNK || ncap < (off - fb->base) - (fb->len - keep) + n)
				ncap *= 2;
			if (ncap > BUF_MAX + n + CHUNK) {
				errno = EFBIG;
				return -1;
			}
			if (rebuffer(fb, ncap) < 0)
				return -1;
		}
		r = read(fb->fd, fb->buf + fb->len,
		         fb->cap - fb->len < READ_MAX ? fb->cap - fb->len : READ_MAX);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			fb->eof = 1;
		fb->len += (size_t)r;
	}
	return 0;
}

const uint8_t *
filebuf_get(struct filebuf *fb, uint64_t off, size_t n, long long *avail)
{
	if (off < fb->base) {
		/* Asked for released bytes: a reader bug, not bad input. */
		errno = EINVAL;
		*avail = -1;
		return NULL;
	}
	if (fill(fb, off, n) < 0) {
		*avail = -1;
		return NULL;
	}
	if (fb->base + fb->len >= off + n)
		return fb->buf + (off - fb->base);
	*avail = fb->base + fb->len > off ? (long long)(fb->base + fb->len - off) : 0;
	return NULL;
}

void
filebuf_release(struct filebuf *fb, uint64_t off)
{
	if (off > fb->released)
		fb->released = off;
	/* Nobody points into retired buffers now: keep the largest as spare. */
	while (fb->nretired) {
		size_t i = --fb->nretired;
		if (fb->retired_cap[i] > fb->spare_cap) {
			free(fb->spare);
			fb->spare = fb->retired[i];
			fb->spare_cap = fb->retired_cap[i];
		} else {
			free(fb->retired[i]);
		}
	}
}

void
filebuf_close(struct filebuf *fb)
{
	if (!fb)
		return;
	filebuf_release(fb, 0);
	free(fb->spare);
	free(fb->retired);
	free(fb->retired_cap);
	free(fb->buf);
	close(fb->fd);
	free(fb);
}
