/* filebuf.c — see filebuf.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filebuf.h"

/* A stream buffer never grows past this plus one record: a length field
 * claiming more is damage, and the readers cap their records far below. */
#define STREAM_CHUNK   (1u << 20)
#define STREAM_MAX     (64u << 20)
/* Mapped pages behind the reader are dropped from our mapping in steps of
 * this size, so RSS stays small however large the file (the page cache
 * keeps them; this only unmaps). */
#define MAP_DROP_STEP  (16u << 20)

struct filebuf {
	int fd;
	/* mmap mode */
	const uint8_t *map;
	uint64_t size;
	uint64_t dropped;       /* [0, dropped) no longer mapped in */
	/* stream mode: buf holds file bytes [base, base + len) */
	uint8_t *buf;
	size_t len, cap;
	uint64_t base, released;
	int eof;
	/* Buffers replaced while pointers into them may still be held: freed at
	 * the next release. */
	uint8_t **retired;
	size_t nretired;
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
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			fb->map = m;
			fb->size = (uint64_t)st.st_size;
		}
	}
	return fb;
}

uint64_t
filebuf_size(const struct filebuf *fb)
{
	return fb->map ? fb->size : 0;
}

/* Replace the buffer by one of ncap bytes holding its unreleased part. The
 * old one is retired, not freed: a caller's batch may point into it. */
static int
rebuffer(struct filebuf *fb, size_t ncap)
{
	size_t drop = fb->released > fb->base ? (size_t)(fb->released - fb->base) : 0;
	uint8_t **nr, *nb;

	if (drop > fb->len)
		drop = fb->len;
	nr = realloc(fb->retired, sizeof(*nr) * (fb->nretired + 1));
	if (!nr)
		return -1;
	fb->retired = nr;
	if (!(nb = malloc(ncap)))
		return -1;
	if (fb->buf) {
		memcpy(nb, fb->buf + drop, fb->len - drop);
		fb->retired[fb->nretired++] = fb->buf;
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
			size_t ncap = fb->cap ? fb->cap : STREAM_CHUNK;
			while (ncap < keep + STREAM_CHUNK)
				ncap *= 2;
			if (ncap > STREAM_MAX + n + STREAM_CHUNK) {
				errno = EFBIG;
				return -1;
			}
			if (rebuffer(fb, ncap) < 0)
				return -1;
		}
		r = read(fb->fd, fb->buf + fb->len, fb->cap - fb->len);
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
	if (fb->map) {
		if (off <= fb->size && n <= fb->size - off)
			return fb->map + off;
		*avail = off < fb->size ? (long long)(fb->size - off) : 0;
		return NULL;
	}
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
	if (fb->map && fb->released - fb->dropped >= MAP_DROP_STEP) {
		uint64_t upto = fb->released & ~(uint64_t)(MAP_DROP_STEP - 1);
		madvise((void *)(fb->map + fb->dropped), (size_t)(upto - fb->dropped), MADV_DONTNEED);
		fb->dropped = upto;
	}
	while (fb->nretired)
		free(fb->retired[--fb->nretired]);
}

void
filebuf_close(struct filebuf *fb)
{
	if (!fb)
		return;
	if (fb->map)
		munmap((void *)fb->map, (size_t)fb->size);
	filebuf_release(fb, 0);
	free(fb->retired);
	free(fb->buf);
	close(fb->fd);
	free(fb);
}
