/* handoff.c — buffers of bytes handed from a producer thread to a consumer
 * thread, in order (handoff.h). The buffers are allocated once; a buffer is
 * either being filled (the producer's), full (queued), being read (the
 * consumer's) or empty (a stack). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"

struct handoff {
	pthread_mutex_t mu;
	pthread_cond_t full_cv;       /* the consumer waits for a full buffer */
	pthread_cond_t empty_cv;      /* the producer waits for an empty one, or for all */
	size_t nbufs, bufsize;
	char **mem;
	size_t *len;
	size_t *fullq, fhead, nfull;  /* a ring of full buffers, oldest at fhead */
	size_t *empty, nempty;        /* a stack of empty buffers */
	size_t outstanding;           /* handed over, not yet given back */
	long cur;                     /* the producer's, -1: none */
	long taken;                   /* the consumer's, -1: none */
	int closed;
};

struct handoff *
handoff_new(size_t nbufs, size_t bufsize)
{
	struct handoff *h = calloc(1, sizeof(*h));
	size_t i;

	if (!h)
		return NULL;
	if (nbufs < 2)
		nbufs = 2;
	h->nbufs = nbufs;
	h->bufsize = bufsize;
	h->cur = h->taken = -1;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->full_cv, NULL);
	pthread_cond_init(&h->empty_cv, NULL);
	h->mem = calloc(nbufs, sizeof(*h->mem));
	h->len = calloc(nbufs, sizeof(*h->len));
	h->fullq = calloc(nbufs, sizeof(*h->fullq));
	h->empty = calloc(nbufs, sizeof(*h->empty));
	if (!h->mem || !h->len || !h->fullq || !h->empty) {
		handoff_free(h);
		return NULL;
	}
	for (i = 0; i < nbufs; i++) {
		if (!(h->mem[i] = malloc(bufsize))) {
			handoff_free(h);
			return NULL;
		}
		h->empty[h->nempty++] = i;
	}
	return h;
}

void
handoff_free(struct handoff *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; h->mem && i < h->nbufs; i++)
		free(h->mem[i]);
	free(h->mem);
	free(h->len);
	free(h->fullq);
	free(h->empty);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->full_cv);
	pthread_cond_destroy(&h->empty_cv);
	free(h);
}

void
handoff_submit(struct handoff *h)
{
	if (h->cur < 0)
		return;
	pthread_mutex_lock(&h->mu);
	if (h->len[h->cur]) {
		h->fullq[(h->fhead + h->nfull++) % h->nbufs] = (size_t)h->cur;
		h->outstanding++;
		pthread_cond_signal(&h->full_cv);
	} else {
		h->empty[h->nempty++] = (size_t)h->cur;
	}
	h->cur = -1;
	pthread_mutex_unlock(&h->mu);
}

void *
handoff_reserve(struct handoff *h, size_t n)
{
	if (n > h->bufsize || h->closed)
		return NULL;
	if (h->cur >= 0 && h->len[h->cur] + n > h->bufsize)
		handoff_submit(h);
	if (h->cur < 0) {
		pthread_mutex_lock(&h->mu);
		while (!h->nempty)
			pthread_cond_wait(&h->empty_cv, &h->mu);
		h->cur = (long)h->empty[--h->nempty];
		pthread_mutex_unlock(&h->mu);
		h->len[h->cur] = 0;
	}
	return h->mem[h->cur] + h->len[h->cur];
}

void
handoff_commit(struct handoff *h, size_t n)
{
	h->len[h->cur] += n;
}

void
handoff_close(struct handoff *h)
{
	handoff_submit(h);
	pthread_mutex_lock(&h->mu);
	h->closed = 1;
	pthread_cond_broadcast(&h->full_cv);
	pthread_mutex_unlock(&h->mu);
}

void
handoff_wait_drained(struct handoff *h)
{
	handoff_submit(h);
	pthread_mutex_lock(&h->mu);
	while (h->outstanding)
		pthread_cond_wait(&h->empty_cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

const void *
handoff_take(struct handoff *h, size_t *len)
{
	const void *p = NULL;

	pthread_mutex_lock(&h->mu);
	while (!h->nfull && !h->closed)
		pthread_cond_wait(&h->full_cv, &h->mu);
	if (h->nfull) {
		h->taken = (long)h->fullq[h->fhead];
		h->fhead = (h->fhead + 1) % h->nbufs;
		h->nfull--;
		p = h->mem[h->taken];
		*len = h->len[h->taken];
	}
	pthread_mutex_unlock(&h->mu);
	return p;
}

void
handoff_done(struct handoff *h)
{
	pthread_mutex_lock(&h->mu);
	if (h->taken >= 0) {
		h->empty[h->nempty++] = (size_t)h->taken;
		h->taken = -1;
		h->outstanding--;
		/* Both kinds of waiter wait here: for a buffer, for the end. */
		pthread_cond_broadcast(&h->empty_cv);
	}
	pthread_mutex_unlock(&h->mu);
}
