/* Buffers handed from one thread to another: every message arrives, in
 * order, whole, with only two small buffers (the producer waits); the
 * consumer sees the end after close; wait_drained returns only when all
 * was given back. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "handoff.h"

#define NMSG 100000

/* A message: its number, its length, then len bytes of (number & 0xff),
 * padded to 8 bytes. */
struct msg {
	uint32_t seq, len;
};

static void *
produce(void *arg)
{
	struct handoff *h = arg;
	uint32_t i;

	for (i = 0; i < NMSG; i++) {
		uint32_t len = (i * 7919u) % 1000;
		size_t size = (sizeof(struct msg) + len + 7) & ~(size_t)7;   /* aligned, as the engine's */
		struct msg *m = handoff_reserve(h, size);
		cr_assert_not_null(m);
		m->seq = i;
		m->len = len;
		memset(m + 1, (int)(i & 0xff), len);
		handoff_commit(h, size);
		if (i % 10000 == 0)
			handoff_submit(h);      /* a part-filled buffer too */
	}
	handoff_wait_drained(h);
	handoff_close(h);
	return NULL;
}

Test(handoff, every_message_in_order_through_two_buffers)
{
	struct handoff *h = handoff_new(2, 4096);
	const uint8_t *buf;
	uint32_t next = 0, k;
	size_t len, at, bufs = 0;
	pthread_t t;

	cr_assert_not_null(h);
	cr_assert_null(handoff_reserve(h, 4097), "more than a buffer holds");
	cr_assert_eq(pthread_create(&t, NULL, produce, h), 0);
	while ((buf = handoff_take(h, &len))) {
		bufs++;
		cr_assert_leq(len, 4096);
		for (at = 0; at < len;) {
			struct msg m;
			memcpy(&m, buf + at, sizeof(m));
			cr_assert_eq(m.seq, next, "message %u where %u was due", m.seq, next);
			cr_assert_leq(at + sizeof(m) + m.len, len, "a message split over buffers");
			for (k = 0; k < m.len; k++)
				cr_assert_eq(buf[at + sizeof(m) + k], (uint8_t)(m.seq & 0xff));
			at += (sizeof(m) + m.len + 7) & ~(size_t)7;
			next++;
		}
		handoff_done(h);
	}
	pthread_join(t, NULL);
	cr_expect_eq(next, NMSG);
	cr_expect_gt(bufs, 10000, "the buffers went round and round");
	cr_expect_null(handoff_reserve(h, 8), "nothing after close");
	handoff_free(h);
}
