/* output-spool.c — where a sink's batches wait on disk while its queue is
 * full: one directory per sink (SPOOL_DIR/<spec, made a file name>), one
 * file per batch named by a 16-hex-digit sequence number, replayed lowest
 * first. A file is written under a temporary name and renamed, so a crash
 * leaves whole batches only; a later run with the same spool finds them and
 * sends them first. File: "CNSPOOL1", u32 records, u32 length (host order),
 * then the batch as it goes on the wire. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "output-int.h"

#define SPOOL_MAGIC "CNSPOOL1"
#define SPOOL_HDR   16
#define SEQ_BASE    (1ull << 40)   /* room below for batches put in front */

struct spool_ent {
	uint64_t seq, bytes;
	uint32_t nrec;
};

struct spool {
	char *dir;
	struct spool_ent *e;       /* waiting, oldest first: e[off..n) */
	size_t off, n, cap;
	uint64_t bytes, records;   /* on disk, the taken one included */
	struct spool_ent taken[4]; /* handed to the sink's thread, not done */
	int ntaken;
	uint64_t next_seq;
	uint64_t max_bytes;
};

static void
file_name(const struct spool *sp, uint64_t seq, char *buf, size_t len, int tmp)
{
	snprintf(buf, len, "%s/%016" PRIx64 ".batch%s", sp->dir, seq, tmp ? ".tmp" : "");
}

static int
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct spool_ent *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
grow(struct spool *sp)
{
	struct spool_ent *ne;
	size_t ncap;

	if (sp->off > 0 && sp->off >= sp->n / 2) {
		memmove(sp->e, sp->e + sp->off, (sp->n - sp->off) * sizeof(*sp->e));
		sp->n -= sp->off;
		sp->off = 0;
		if (sp->n < sp->cap)
			return 0;
	}
	ncap = sp->cap ? sp->cap * 2 : 64;
	if (!(ne = realloc(sp->e, ncap * sizeof(*ne))))
		return -1;
	sp->e = ne;
	sp->cap = ncap;
	return 0;
}

static int
read_header(int fd, uint32_t *nrec, uint32_t *len)
{
	char h[SPOOL_HDR];

	if (read(fd, h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h, SPOOL_MAGIC, 8))
		return -1;
	memcpy(nrec, h + 8, 4);
	memcpy(len, h + 12, 4);
	return 0;
}

struct spool *
spool_open(const char *dir, const char *spec, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	struct dirent *de;
	size_t dl = strlen(dir), i;
	char path[4096];
	DIR *d;

	if (!sp || !(sp->dir = malloc(dl + strlen(spec) + 2))) {
		free(sp);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* The sink's own directory: its spec with anything but [A-Za-z0-9.-]
	 * made '_' ("forward___127.0.0.1_24224_tag_a"). */
	memcpy(sp->dir, dir, dl);
	sp->dir[dl] = '/';
	for (i = 0; spec[i]; i++) {
		char c = spec[i];
		sp->dir[dl + 1 + i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                      (c >= '0' && c <= '9') || c == '.' || c == '-' ? c : '_';
	}
	sp->dir[dl + 1 + i] = '\0';
	sp->max_bytes = max_bytes;
	sp->next_seq = SEQ_BASE;
	if (mkdirs(sp->dir) < 0 || !(d = opendir(sp->dir))) {
		snprintf(err, errlen, "spool %s: %s", sp->dir, strerror(errno));
		free(sp->dir);
		free(sp);
		return NULL;
	}
	/* Batches a previous run left: sent first, in their order. */
	while ((de = readdir(d))) {
		unsigned long long seq;
		uint32_t nrec, len;
		char *end;
		int fd;

		if (strlen(de->d_name) != 22 || strcmp(de->d_name + 16, ".batch"))
			continue;
		seq = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		file_name(sp, seq, path, sizeof(path), 0);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (read_header(fd, &nrec, &len) < 0 || (sp->n == sp->cap && grow(sp) < 0)) {
			close(fd);
			log_warnx("%s: not a spooled batch, left alone", path);
			continue;
		}
		close(fd);
		sp->e[sp->n++] = (struct spool_ent){ .seq = seq, .bytes = len + SPOOL_HDR,
		                                     .nrec = nrec };
		sp->bytes += len + SPOOL_HDR;
		sp->records += nrec;
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
	}
	closedir(d);
	if (sp->n)
		qsort(sp->e, sp->n, sizeof(*sp->e), ent_cmp);
	if (sp->n)
		log_info("%s: %llu records from an earlier run are sent first", sp->dir,
		         (unsigned long long)sp->records);
	return sp;
}

void
spool_close(struct spool *sp)
{
	if (!sp)
		return;
	free(sp->e);
	free(sp->dir);
	free(sp);
}

int
spool_put(struct spool *sp, const struct out_batch *b, int front)
{
	char tmp[4200], path[4200], h[SPOOL_HDR];
	uint32_t nrec = b->nrec, len = (uint32_t)b->buf.len;
	struct spool_ent ent;
	uint64_t seq;
	ssize_t w;
	int fd;

	if (sp->n == sp->cap && grow(sp) < 0)
		return -1;
	if (front)
		seq = sp->off < sp->n ? sp->e[sp->off].seq - 1 : sp->next_seq++;
	else
		seq = sp->next_seq++;
	for (int i = 0; front && i < sp->ntaken; i++)
		if (sp->taken[i].seq <= seq)
			seq = sp->taken[i].seq - 1;
	file_name(sp, seq, tmp, sizeof(tmp), 1);
	file_name(sp, seq, path, sizeof(path), 0);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		log_warn("spool %s", tmp);
		return -1;
	}
	memcpy(h, SPOOL_MAGIC, 8);
	memcpy(h + 8, &nrec, 4);
	memcpy(h + 12, &len, 4);
	struct iovec iov[2] = { { h, sizeof(h) }, { b->buf.p, b->buf.len } };
	w = writev(fd, iov, 2);
	if (w != (ssize_t)(sizeof(h) + b->buf.len) || close(fd) < 0 || rename(tmp, path) < 0) {
		log_warn("spool %s", path);
		if (w >= 0)
			unlink(tmp);
		return -1;
	}
	ent = (struct spool_ent){ .seq = seq, .bytes = len + SPOOL_HDR, .nrec = nrec };
	if (front) {
		if (sp->off > 0) {
			sp->e[--sp->off] = ent;
		} else {
			memmove(sp->e + 1, sp->e, sp->n * sizeof(*sp->e));
			sp->e[0] = ent;
			sp->n++;
		}
	} else {
		sp->e[sp->n++] = ent;
	}
	sp->bytes += ent.bytes;
	sp->records += nrec;
	return 0;
}

static void
forget(struct spool *sp, const struct spool_ent *e)
{
	char path[4200];

	file_name(sp, e->seq, path, sizeof(path), 0);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("spool %s", path);
	sp->bytes -= e->bytes;
	sp->records -= e->nrec;
}

struct out_batch *
spool_take(struct spool *sp, uint64_t *lost)
{
	struct out_batch *b = NULL;
	char path[4200];
	uint32_t nrec, len;
	int fd;

	while (sp->off < sp->n && sp->ntaken < 4) {
		struct spool_ent e = sp->e[sp->off++];

		file_name(sp, e.seq, path, sizeof(path), 0);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && read_header(fd, &nrec, &len) == 0 && (b = calloc(1, sizeof(*b)))) {
			strbuf_init(&b->buf, len ? len : 1);
			if (!b->buf.oom && read(fd, b->buf.p, len) == (ssize_t)len) {
				close(fd);
				b->buf.len = len;
				b->nrec = nrec;
				b->spool_seq = e.seq;
				sp->taken[sp->ntaken++] = e;
				return b;
			}
			strbuf_free(&b->buf);
			free(b);
			b = NULL;
		}
		log_warn("spool %s: unreadable, skipped", path);
		if (fd >= 0)
			close(fd);
		*lost += e.nrec;
		forget(sp, &e);
	}
	return NULL;
}

void
spool_done(struct spool *sp, uint64_t seq)
{
	for (int i = 0; i < sp->ntaken; i++) {
		if (sp->taken[i].seq != seq)
			continue;
		forget(sp, &sp->taken[i]);
		sp->taken[i] = sp->taken[--sp->ntaken];
		return;
	}
}

uint32_t
spool_drop_oldest(struct spool *sp)
{
	struct spool_ent e;

	if (sp->off >= sp->n)
		return 0;
	e = sp->e[sp->off++];
	forget(sp, &e);
	return e.nrec ? e.nrec : 1;
}

uint64_t spool_bytes(const struct spool *sp) { return sp->bytes; }
uint64_t spool_records(const struct spool *sp) { return sp->records; }
int spool_waiting(const struct spool *sp) { return sp->off < sp->n; }
