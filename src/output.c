/* output.c — sink specs ("scheme:arg") to sink ops, and the queue that
 * stands between the capture thread and each sink.
 *
 * The producer (output_write) freezes a record (record-freeze.c: a copy of
 * what it prints, no formatting) onto the queue and returns. The sink's
 * thread encodes frozen records into the batch being filled, so JSON and
 * msgpack are written off the capture thread; when the thread falls behind
 * (a collector that blocks a send) the producer encodes them itself, so
 * they stay few. One encoder at a time, in order (enc_mu).
 *
 * The sink's thread takes batches in order, oldest first: those in memory,
 * then those spilled to the spool, then the one being filled (after a
 * short linger, so that a quiet stream of alerts still goes out within
 * LINGER_MS while a busy one travels in big batches). A batch leaves the
 * queue only once delivered; a failed send disconnects, waits (backoff
 * with jitter) and sends the same batch again: at-least-once.
 *
 * Order is kept by one rule: a sealed batch goes to memory only while the
 * spool holds nothing waiting; otherwise it goes to the spool, behind what
 * is there. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "duration.h"
#include "log.h"
#include "output-int.h"

#define BATCH_BYTES   (256 * 1024)   /* a batch is sealed past this */
#define LINGER_MS     50             /* the longest a record waits for company */
#define ENC_CHUNK     (256 * 1024)   /* the sink's thread encodes once this much is frozen */
#define FROZEN_MAX    (4u << 20)     /* past this the producer encodes, the thread being busy */
#define BACKOFF_MIN   100
#define DROP_LOG_MS   10000          /* drops are logged at most this often */

static const struct output_ops *const sinks[] = {
	&output_json_ops,
	&output_msgpack_ops,
	&output_syslog_ops,
	&output_forward_ops,
};

static struct output_options options = {
	.queue_bytes = 16u << 20,
	.spool_dir = NULL,
	.spool_max_bytes = 1ull << 30,
	.close_timeout_ms = 30000,
	.backoff_max_ms = 30000,
};

struct output_queue {
	struct output *o;
	pthread_mutex_t mu;
	pthread_cond_t wake;          /* the sink's thread waits here */
	pthread_cond_t progress;      /* output_drain waits here */
	pthread_t thr;
	int started, stop, flush, reopen, connected, ever_connected;

	/* Lock order: enc_mu, then mu. */
	struct strbuf scratch;        /* output_write's, one frozen record */
	struct strbuf frozen;          /* frozen records not yet encoded (mu) */
	uint64_t nfrozen;
	uint64_t unsealed;            /* records in frozen, enc_in and cur (mu) */
	uint64_t first_ms;            /* when the oldest of them came */
	struct out_batch *head, *tail;/* sealed, in memory, oldest first */
	struct out_batch *inflight;   /* taken by the thread, not yet delivered */
	size_t mem_bytes;             /* head..tail + inflight (if from memory) */
	uint64_t mem_records;
	struct spool *sp;

	unsigned backoff_ms;
	uint64_t retry_ms;            /* no connect before this */
	uint64_t idle_ms;             /* next heartbeat (ops->idle) when idle, 0 unset */
	uint64_t drop_logged_ms, drops_unlogged;
	uint64_t warn_ms, warn_quiet;  /* output_warn's rate limit */
	uint64_t fails_in_row;
	int gave_up;                  /* full_wait_ms: the sink stopped delivering */

	struct output_queue_opts {
		size_t queue_bytes;
		uint64_t spool_max_bytes;
		unsigned backoff_max_ms, close_timeout_ms;
		unsigned full_wait_ms;
	} opt;
	struct output_stats st;

	/* The encoder's, on cache lines of their own: output_write writes the
	 * fields above for every record, and the sink's thread reads these
	 * for every record it encodes. */
	_Alignas(64) pthread_mutex_t enc_mu;  /* held by the one encoding */
	struct strbuf enc_in;         /* taken from frozen (enc_mu) */
	struct out_batch *cur;        /* being filled by the encoder (enc_mu; sealing: and mu) */
};

void
output_options_default(struct output_options *opt)
{
	opt->queue_bytes = 16u << 20;
	opt->spool_dir = NULL;
	opt->spool_max_bytes = 1ull << 30;
	opt->close_timeout_ms = 30000;
	opt->backoff_max_ms = 30000;
	opt->full_wait_ms = 0;
}

/* "16M", "1G", "65536": bytes. */
static int
parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	}
	if (*end || n == 0)
		return -1;
	*v = n;
	return 0;
}

int
output_option(struct output_options *opt, const char *name, const char *arg, char *err,
              size_t errlen)
{
	uint64_t v;

	if (!strcmp(name, "spool-dir")) {
		opt->spool_dir = arg;
		return 0;
	}
	if (!strcmp(name, "spool-max") || !strcmp(name, "queue-size")) {
		if (parse_size(arg, &v) < 0 || (name[0] == 'q' && (v < 65536 || v > (1ull << 34)))) {
			snprintf(err, errlen, "--%s %s: expected a size in bytes (K, M, G suffixes)%s",
			         name, arg, name[0] == 'q' ? ", from 64K to 16G" : "");
			return -1;
		}
		if (name[0] == 'q')
			opt->queue_bytes = (size_t)v;
		else
			opt->spool_max_bytes = v;
		return 0;
	}
	if (!strcmp(name, "flush-timeout")) {
		if (duration_parse(arg, 86400, &v) < 0) {
			snprintf(err, errlen, "--flush-timeout %s: expected seconds", arg);
			return -1;
		}
		opt->close_timeout_ms = (unsigned)(v / 1000000);
		return 0;
	}
	snprintf(err, errlen, "unknown sink option '%s'", name);
	return -1;
}

/* n sinks within one shared timeout; the records left undelivered. */
static uint64_t
output_drain_all(struct output *const *o, int n, unsigned timeout_ms)
{
	struct timespec ts;
	uint64_t lost = 0, now, deadline;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	deadline = now + timeout_ms;
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		lost += output_drain(o[i], now < deadline ? (unsigned)(deadline - now) : 0);
	}
	return lost;
}

uint64_t
output_drain_report(struct output *const *o, int n, const struct output_options *opt,
                    const char *later)
{
	uint64_t lost = n ? output_drain_all(o, n, opt->close_timeout_ms) : 0;

	if (lost)
		log_warnx("%llu records not delivered within --flush-timeout %u s%s%s%s",
		          (unsigned long long)lost, opt->close_timeout_ms / 1000,
		          opt->spool_dir ? " (kept in the spool for " : "",
		          opt->spool_dir ? later : "", opt->spool_dir ? ")" : "");
	return lost;
}

void
output_set_options(const struct output_options *opt)
{
	options = *opt;
	if (options.queue_bytes < BATCH_BYTES)
		options.queue_bytes = BATCH_BYTES;
	if (options.backoff_max_ms < BACKOFF_MIN)
		options.backoff_max_ms = BACKOFF_MIN;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
wait_until(struct output_queue *q, pthread_cond_t *cv, uint64_t deadline_ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ms / 1000),
		.tv_nsec = (long)(deadline_ms % 1000) * 1000000,
	};

	pthread_cond_timedwait(cv, &q->mu, &ts);
}

static struct out_batch *
batch_new(void)
{
	struct out_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	strbuf_init(&b->buf, 16384);
	if (b->buf.oom) {
		free(b);
		return NULL;
	}
	return b;
}

static void
batch_free(struct out_batch *b)
{
	if (!b)
		return;
	strbuf_free(&b->buf);
	free(b);
}

static void
note_drop(struct output_queue *q, uint64_t n, const char *where)
{
	uint64_t t = now_ms();

	q->st.dropped += n;
	q->drops_unlogged += n;
	if (!q->drop_logged_ms || t - q->drop_logged_ms >= DROP_LOG_MS) {
		log_warnx("%s: %s full: dropped the oldest %llu records (%llu in all)", q->o->spec,
		          where, (unsigned long long)q->drops_unlogged,
		          (unsigned long long)q->st.dropped);
		q->drop_logged_ms = t;
		q->drops_unlogged = 0;
	}
}

/* The batch being filled joins the queue: memory while the spool is empty
 * and memory has room, else the spool; at the caps the oldest go. Needs
 * enc_mu and mu. */
static void
seal_locked(struct output_queue *q)
{
	struct out_batch *b = q->cur;

	if (!b || !b->nrec)
		return;
	q->cur = NULL;
	q->unsealed -= b->nrec;
	if (q->unsealed)
		q->first_ms = now_ms();   /* came while cur was encoded: a new linger */
	if (q->sp && (spool_waiting(q->sp) || q->mem_bytes + b->buf.len > q->opt.queue_bytes)) {
		uint32_t n;
		while (spool_bytes(q->sp) + b->buf.len > q->opt.spool_max_bytes &&
		       (n = spool_drop_oldest(q->sp)) > 0)
			note_drop(q, n, "spool");
		if (spool_put(q->sp, b, 0) == 0) {
			q->st.spooled += b->nrec;
			q->mem_records -= b->nrec;
			batch_free(b);
			return;
		}
		/* The disk refused: keep it in memory, dropping below. */
	}
	/* A producer that waits for room (wait_full_locked) is what bounds
	 * memory then: the queue's cap, plus at most FROZEN_MAX frozen while
	 * nothing was sealed yet. Nothing is dropped unless it gave up. */
	while (q->head && q->mem_bytes + b->buf.len > q->opt.queue_bytes &&
	       (!q->opt.full_wait_ms || q->gave_up)) {
		struct out_batch *old = q->head;
		q->head = old->next;
		if (!q->head)
			q->tail = NULL;
		q->mem_bytes -= old->buf.len;
		q->mem_records -= old->nrec;
		note_drop(q, old->nrec, "queue");
		batch_free(old);
	}
	b->next = NULL;
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->mem_bytes += b->buf.len;
}

/* Encode what output_write froze, oldest first, into batches, and seal
 * the batch being filled when seal (the linger is over, or a flush). */
static void
encode_pending(struct output_queue *q, int seal)
{
	struct output *o = q->o;
	const struct record *r;
	struct strbuf t;
	uint64_t n, done = 0, bad = 0;
	size_t off, at, len = 0;

	pthread_mutex_lock(&q->enc_mu);
	pthread_mutex_lock(&q->mu);
	t = q->frozen;
	q->frozen = q->enc_in;
	q->enc_in = t;
	n = q->nfrozen;
	q->nfrozen = 0;
	pthread_mutex_unlock(&q->mu);
	for (off = 0; done < n; off += len, done++) {
		if (record_thaw((uint8_t *)q->enc_in.p + off, q->enc_in.len - off, &r, &len) < 0)
			break;          /* never: output_write put whole records */
		if (!q->cur && !(q->cur = batch_new())) {
			bad++;
			continue;
		}
		at = q->cur->buf.len;
		if (o->ops->encode(o, &q->cur->buf, r) < 0 || q->cur->buf.oom) {
			/* Nothing of it stays: this record is lost, and counted. */
			q->cur->buf.len = at;
			q->cur->buf.oom = 0;
			bad++;
			continue;
		}
		q->cur->nrec++;
		if (q->cur->buf.len >= BATCH_BYTES) {
			pthread_mutex_lock(&q->mu);
			seal_locked(q);
			pthread_cond_signal(&q->wake);
			pthread_mutex_unlock(&q->mu);
		}
	}
	bad += n - done;
	strbuf_reset(&q->enc_in);
	pthread_mutex_lock(&q->mu);
	if (bad) {
		q->unsealed -= bad;
		q->mem_records -= bad;
		q->st.accepted -= bad;
	}
	if (seal)
		seal_locked(q);
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_unlock(&q->enc_mu);
}

/* full_wait_ms: room in the queue, or the sink has delivered nothing for
 * full_wait_ms (then the queue drops its oldest as `run`'s does, and the
 * wait is not tried again until the sink delivers). Needs mu. */
static void
wait_full_locked(struct output_queue *q)
{
	uint64_t seen = q->st.delivered, deadline = 0, t;

	/* Full: sealed batches wait to be sent (so the thread is not
	 * lingering, it has work) and, with what is frozen, pass the cap. */
	while (q->mem_bytes && q->mem_bytes + q->frozen.len > q->opt.queue_bytes && !q->stop) {
		t = now_ms();
		if (!deadline || q->st.delivered != seen) {
			if (!deadline)
				q->st.waits++;
			seen = q->st.delivered;
			deadline = t + q->opt.full_wait_ms;
		} else if (t >= deadline) {
			q->gave_up = 1;
			log_warnx("%s: nothing delivered for %u ms with the queue full: records may be "
			          "dropped", q->o->spec, q->opt.full_wait_ms);
			return;
		}
		pthread_cond_signal(&q->wake);
		wait_until(q, &q->progress, deadline < t + 1000 ? deadline : t + 1000);
	}
}

int
output_write(struct output *o, const struct record *r)
{
	struct output_queue *q = o->q;
	struct strbuf *sc = &q->scratch;
	size_t before;
	int behind, wake;

	/* Frozen outside the lock: the sink's thread must be able to take
	 * what is frozen while a busy producer writes (a mutex is not fair). */
	strbuf_reset(sc);
	if (record_freeze(sc, r) < 0)
		return -1;
	pthread_mutex_lock(&q->mu);
	if (q->opt.full_wait_ms && !q->sp && !q->gave_up)
		wait_full_locked(q);
	before = q->frozen.len;
	strbuf_add(&q->frozen, sc->p, sc->len);
	if (q->frozen.oom) {
		/* Nothing was appended: this record is lost and counted. */
		q->frozen.oom = 0;
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	q->nfrozen++;
	q->mem_records++;
	q->st.accepted++;
	wake = q->unsealed++ == 0 || (before < ENC_CHUNK && q->frozen.len >= ENC_CHUNK);
	if (q->unsealed == 1)
		q->first_ms = now_ms();
	behind = q->frozen.len >= FROZEN_MAX;
	pthread_mutex_unlock(&q->mu);
	/* Signalled unlocked: the thread that wakes does not then wait for
	 * this one's mutex (and this one does not enter the kernel to hand it
	 * over). */
	if (wake)
		pthread_cond_signal(&q->wake);
	if (behind)
		encode_pending(q, 0);
	return 0;
}

static void
backoff_locked(struct output_queue *q)
{
	unsigned d, r = 0;

	if (!q->backoff_ms)
		q->backoff_ms = BACKOFF_MIN;
	else if (q->backoff_ms < q->opt.backoff_max_ms)
		q->backoff_ms = q->backoff_ms * 2 > q->opt.backoff_max_ms ?
		                q->opt.backoff_max_ms : q->backoff_ms * 2;
	/* Full jitter over the upper half: many nodes losing one collector
	 * do not come back in step. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned)now_ms() * 2654435761u;
	d = q->backoff_ms / 2 + r % (q->backoff_ms / 2 + 1);
	q->retry_ms = now_ms() + d;
}

/* Take the next batch to send, oldest first; NULL if none is ready. */
static struct out_batch *
next_locked(struct output_queue *q)
{
	struct out_batch *b;
	uint64_t lost = 0;

	if (q->inflight)
		return q->inflight;
	if ((b = q->head)) {
		q->head = b->next;
		if (!q->head)
			q->tail = NULL;
		b->next = NULL;
		return q->inflight = b;
	}
	if (q->sp && spool_waiting(q->sp)) {
		b = spool_take(q->sp, &lost);
		if (lost)
			note_drop(q, lost, "spool (unreadable batch)");
		if (b)
			return q->inflight = b;
	}
	return NULL;
}

static void
delivered_locked(struct output_queue *q, struct out_batch *b)
{
	q->st.delivered += b->nrec;
	if (b->spool_seq) {
		spool_done(q->sp, b->spool_seq);
	} else {
		q->mem_bytes -= b->buf.len;
		q->mem_records -= b->nrec;
	}
	q->inflight = NULL;
	q->gave_up = 0;
	batch_free(b);
	pthread_cond_broadcast(&q->progress);
}

static uint64_t
pending_locked(const struct output_queue *q)
{
	return q->mem_records + (q->sp ? spool_records(q->sp) : 0);
}

static void *
sink_thread(void *arg)
{
	struct output_queue *q = arg;
	struct output *o = q->o;
	struct out_batch *b;
	uint64_t t;
	int rc;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->reopen && o->ops->reopen) {
			q->reopen = 0;
			if (q->connected) {
				pthread_mutex_unlock(&q->mu);
				o->ops->disconnect(o);
				pthread_mutex_lock(&q->mu);
				q->connected = 0;
			}
			q->retry_ms = 0;
		}
		if (q->stop)
			break;
		/* Encoding is this thread's work: a chunk of it, then a batch
		 * to send, so that neither starves the other. */
		if (q->frozen.len >= ENC_CHUNK) {
			pthread_mutex_unlock(&q->mu);
			encode_pending(q, 0);
			pthread_mutex_lock(&q->mu);
		}
		if (!(b = next_locked(q))) {
			t = now_ms();
			if (q->unsealed && (q->flush || t >= q->first_ms + LINGER_MS)) {
				pthread_mutex_unlock(&q->mu);
				encode_pending(q, 1);
				pthread_mutex_lock(&q->mu);
				continue;
			}
			/* More came while this thread encoded (its signal
			 * found nobody waiting). */
			if (q->frozen.len >= ENC_CHUNK)
				continue;
			q->flush = 0;
			pthread_cond_broadcast(&q->progress);
			if (q->unsealed) {
				wait_until(q, &q->wake, q->first_ms + LINGER_MS);
			} else if (q->connected && o->ops->idle) {
				/* Idle on a connection: a heartbeat now and then, so
				 * a collector that went away is noticed before the
				 * next alert has to find out. */
				if (!q->idle_ms)
					q->idle_ms = t + o->ops->idle_ms(o);
				if (t < q->idle_ms) {
					wait_until(q, &q->wake, q->idle_ms);
					continue;
				}
				q->idle_ms = 0;
				pthread_mutex_unlock(&q->mu);
				rc = o->ops->idle(o);
				pthread_mutex_lock(&q->mu);
				if (rc < 0) {
					pthread_mutex_unlock(&q->mu);
					o->ops->disconnect(o);
					pthread_mutex_lock(&q->mu);
					q->connected = 0;
				}
			} else {
				pthread_cond_wait(&q->wake, &q->mu);
			}
			continue;
		}
		if (!q->connected) {
			if ((t = now_ms()) < q->retry_ms) {
				wait_until(q, &q->wake, q->retry_ms);
				continue;
			}
			pthread_mutex_unlock(&q->mu);
			rc = o->ops->connect(o);
			pthread_mutex_lock(&q->mu);
			if (rc < 0) {
				q->st.failures++;
				q->fails_in_row++;
				backoff_locked(q);
				continue;
			}
			q->connected = 1;
			if (q->ever_connected)
				q->st.reconnects++;
			q->ever_connected = 1;
		}
		pthread_mutex_unlock(&q->mu);
		rc = o->ops->send(o, b);
		pthread_mutex_lock(&q->mu);
		if (rc == 0) {
			delivered_locked(q, b);
			q->backoff_ms = 0;
			if (q->fails_in_row)
				log_info("%s: delivering again, after %llu failed attempts", o->spec,
				         (unsigned long long)q->fails_in_row);
			q->fails_in_row = 0;
			q->warn_ms = 0;
		} else {
			q->st.failures++;
			q->fails_in_row++;
			pthread_mutex_unlock(&q->mu);
			o->ops->disconnect(o);
			pthread_mutex_lock(&q->mu);
			q->connected = 0;
			backoff_locked(q);
		}
	}
	pthread_mutex_unlock(&q->mu);
	if (q->connected)
		o->ops->disconnect(o);
	q->connected = 0;
	return NULL;
}

struct output *
output_open(const char *spec, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	struct output_queue *q;
	struct output *o;
	pthread_condattr_t ca;
	size_t i, n;

	if (!colon) {
		snprintf(err, errlen, "sink '%s': expected SCHEME:ARGUMENT, e.g. json:-", spec);
		return NULL;
	}
	n = (size_t)(colon - spec);
	for (i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		if (strlen(sinks[i]->scheme) == n && !strncmp(spec, sinks[i]->scheme, n))
			break;
	if (i == sizeof(sinks) / sizeof(sinks[0])) {
		snprintf(err, errlen, "sink '%s': unknown kind '%.*s' (known: json:-, json:PATH, "
		         "msgpack:PATH, syslog:udp://HOST:PORT, syslog:tcp://HOST:PORT, "
		         "syslog:unix:PATH, forward://HOST:PORT?tag=TAG)", spec, (int)n, spec);
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if ((q = aligned_alloc(64, (sizeof(*q) + 63) & ~(size_t)63)))
		memset(q, 0, sizeof(*q));
	if (!o || !q || !(o->spec = strdup(spec))) {
		free(o);
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->ops = sinks[i];
	o->q = q;
	q->o = o;
	q->opt.queue_bytes = options.queue_bytes;
	q->opt.backoff_max_ms = options.backoff_max_ms;
	q->opt.close_timeout_ms = options.close_timeout_ms;
	q->opt.spool_max_bytes = options.spool_max_bytes;
	q->opt.full_wait_ms = options.full_wait_ms;
	if (o->ops->open(o, colon + 1, err, errlen) < 0)
		goto fail;
	if (options.spool_dir &&
	    !(q->sp = spool_open(options.spool_dir, spec, options.spool_max_bytes, err, errlen))) {
		o->ops->close(o);
		goto fail;
	}
	strbuf_init(&q->scratch, 4096);
	strbuf_init(&q->frozen, ENC_CHUNK * 2);
	strbuf_init(&q->enc_in, ENC_CHUNK * 2);
	pthread_mutex_init(&q->mu, NULL);
	pthread_mutex_init(&q->enc_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->wake, &ca);
	pthread_cond_init(&q->progress, &ca);
	pthread_condattr_destroy(&ca);
	if ((errno = pthread_create(&q->thr, NULL, sink_thread, q)) != 0) {
		snprintf(err, errlen, "sink '%s': thread: %s", spec, strerror(errno));
		pthread_cond_destroy(&q->wake);
		pthread_cond_destroy(&q->progress);
		pthread_mutex_destroy(&q->mu);
		pthread_mutex_destroy(&q->enc_mu);
		strbuf_free(&q->scratch);
		strbuf_free(&q->frozen);
		strbuf_free(&q->enc_in);
		spool_close(q->sp);
		o->ops->close(o);
		goto fail;
	}
	q->started = 1;
	return o;
fail:
	free(o->spec);
	free(o);
	free(q);
	return NULL;
}

int
output_flush(struct output *o)
{
	struct output_queue *q = o->q;

	pthread_mutex_lock(&q->mu);
	q->flush = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int
output_reopen(struct output *o)
{
	struct output_queue *q = o->q;

	if (!o->ops->reopen)
		return 0;
	pthread_mutex_lock(&q->mu);
	q->reopen = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

uint64_t
output_drain(struct output *o, unsigned timeout_ms)
{
	struct output_queue *q = o->q;
	uint64_t deadline = now_ms() + timeout_ms, left;

	pthread_mutex_lock(&q->mu);
	while ((left = pending_locked(q)) > 0 && !q->stop && now_ms() < deadline) {
		/* Asked again each round: what output_write adds meanwhile. */
		q->flush = 1;
		pthread_cond_signal(&q->wake);
		wait_until(q, &q->progress, deadline);
	}
	left = pending_locked(q);
	pthread_mutex_unlock(&q->mu);
	return left;
}

struct output_stats
output_stats(struct output *o)
{
	struct output_queue *q = o->q;
	struct output_stats st;

	pthread_mutex_lock(&q->mu);
	st = q->st;
	st.queued = q->mem_records;
	st.spool_records = q->sp ? spool_records(q->sp) : 0;
	st.spool_bytes = q->sp ? spool_bytes(q->sp) : 0;
	st.connected = q->connected;
	pthread_mutex_unlock(&q->mu);
	return st;
}

void
output_warn(struct output *o, int err, const char *fmt, ...)
{
	struct output_queue *q = o->q;
	uint64_t t = now_ms();
	char msg[512];
	int e = errno;
	va_list ap;

	if (q->warn_ms && t - q->warn_ms < 30000) {
		q->warn_quiet++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (q->warn_quiet)
		log_warnx("%s: %s%s%s (and %llu more since)", o->spec, msg, err ? ": " : "",
		          err ? strerror(e) : "", (unsigned long long)q->warn_quiet);
	else
		log_warnx("%s: %s%s%s", o->spec, msg, err ? ": " : "", err ? strerror(e) : "");
	q->warn_ms = t;
	q->warn_quiet = 0;
}

void
output_count_truncated(struct output *o)
{
	__atomic_fetch_add(&o->q->st.truncated, 1, __ATOMIC_RELAXED);
}

void
output_close(struct output *o)
{
	struct output_queue *q;
	struct out_batch *b;
	uint64_t left;

	if (!o)
		return;
	q = o->q;
	left = output_drain(o, q->opt.close_timeout_ms);
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thr, NULL);
	/* Undelivered: to the spool for the next run, in order, when there
	 * is one (the batch in flight first: it is the oldest). */
	if (left) {
		uint64_t kept = 0;
		struct out_batch *rev = NULL;
		if (q->inflight && !q->inflight->spool_seq) {
			q->inflight->next = q->head;
			q->head = q->inflight;
			if (!q->tail)
				q->tail = q->head;
		} else
			batch_free(q->inflight);   /* its file stays in the spool */
		q->inflight = NULL;
		/* What is still frozen, and cur, join the list, or the
		 * spool's end (the thread is gone: the locks are free). */
		encode_pending(q, 1);
		/* Memory holds the oldest: it goes in front of the spool,
		 * newest first so that the order holds. */
		while ((b = q->head)) {
			q->head = b->next;
			b->next = rev;
			rev = b;
		}
		q->tail = NULL;
		while ((b = rev)) {
			rev = b->next;
			if (q->sp)
				spool_put(q->sp, b, 1);
			batch_free(b);
		}
		if (q->sp)
			kept = spool_records(q->sp);
		if (kept)
			log_warnx("%s: %llu records not delivered, kept in the spool for the next run",
			          o->spec, (unsigned long long)kept);
		if (left > kept)
			log_warnx("%s: %llu records not delivered and lost", o->spec,
			          (unsigned long long)(left - kept));
	}
	batch_free(q->cur);
	while ((b = q->head)) {
		q->head = b->next;
		batch_free(b);
	}
	o->ops->close(o);
	spool_close(q->sp);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->progress);
	pthread_mutex_destroy(&q->mu);
	pthread_mutex_destroy(&q->enc_mu);
	strbuf_free(&q->scratch);
	strbuf_free(&q->frozen);
	strbuf_free(&q->enc_in);
	free(q);
	free(o->spec);
	free(o);
}

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_ALLOW: return "allow";
	case VERDICT_DENY:  return "deny";
	default:            return "unprofiled";
	}
}
