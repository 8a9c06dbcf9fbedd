/* filebuf.h — byte access to a capture file (or a pipe, or stdin as "-")
 * for the readers. Pointers returned stay valid until filebuf_release() is
 * called; readers hand them out as packet data, so a caller may keep a batch
 * of packets and release them together. */
#ifndef CNETMON_FILEBUF_H
#define CNETMON_FILEBUF_H

#include <stddef.h>
#include <stdint.h>

struct filebuf;

/* NULL with a reason in err on failure. */
struct filebuf *filebuf_open(const char *path, char *err, size_t errlen);
/* Pointer to n bytes at off. If fewer than n bytes exist, returns NULL and
 * sets *avail to how many do (0 at end of file); -1 in *avail on read error
 * (errno set). */
const uint8_t *filebuf_get(struct filebuf *fb, uint64_t off, size_t n, long long *avail);
/* Bytes before off will not be asked for again; earlier pointers may die. */
void filebuf_release(struct filebuf *fb, uint64_t off);
/* Size if known (regular file), else 0. */
uint64_t filebuf_size(const struct filebuf *fb);
void filebuf_close(struct filebuf *fb);

#endif
