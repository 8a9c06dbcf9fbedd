/* handoff.h — bytes from one thread to another, in order, a buffer at a
 * time: the producer appends to its buffer and hands it over when full (or
 * when told), taking an empty one back; the consumer takes full buffers in
 * the order they were handed over. A fixed number of buffers bounds memory:
 * a producer with none empty waits. One lock round per buffer, not per
 * message, so messages can be small and many. */
#ifndef CNETMON_HANDOFF_H
#define CNETMON_HANDOFF_H

#include <stddef.h>

struct handoff;

/* nbufs >= 2 buffers of bufsize bytes. NULL on allocation failure. */
struct handoff *handoff_new(size_t nbufs, size_t bufsize);
/* After the consumer is done with it (handoff_take returned NULL). */
void handoff_free(struct handoff *h);

/* Producer. Room for n bytes (n <= bufsize) at the end of the buffer being
 * filled, handing it over first if they do not fit: write them, then
 * handoff_commit(n). NULL only after handoff_close. */
void *handoff_reserve(struct handoff *h, size_t n);
void handoff_commit(struct handoff *h, size_t n);
/* Hand over what is in the buffer now (nothing if empty). */
void handoff_submit(struct handoff *h);
/* Hand over what is left, then no more: the consumer sees the end. */
void handoff_close(struct handoff *h);
/* Wait until the consumer has given back every buffer handed over. */
void handoff_wait_drained(struct handoff *h);

/* Consumer. The next full buffer (*len bytes), waiting for one; NULL once
 * closed and all taken. Give it back with handoff_done before the next. */
const void *handoff_take(struct handoff *h, size_t *len);
void handoff_done(struct handoff *h);

#endif
