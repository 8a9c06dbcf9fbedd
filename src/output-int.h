/* output-int.h — what the sink kinds share with the queue (output.c), the
 * spool (output-spool.c) and the socket helpers (output-net.c). Private to
 * src/output*.c. */
#ifndef CNETMON_OUTPUT_INT_H
#define CNETMON_OUTPUT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <msgpack.h>

#include "output.h"
#include "strbuf.h"

/* Records travel in batches: the encoded, framed records one after the
 * other, as the sink wants them on the wire (JSON lines, octet-counted
 * syslog frames, Forward entries). */
struct out_batch {
	struct out_batch *next;
	struct strbuf buf;
	uint32_t nrec;
	uint64_t spool_seq;          /* from the spool: its file, else 0 */
	size_t sent;                 /* datagram sinks: bytes already sent */
	char chunk[32];              /* Forward: the chunk id, kept for re-sends */
};

/* record-freeze.c: a record copied with everything it borrows (the flow,
 * its containers and NAT tuples, every string) into one block, so that a
 * sink's thread can encode it after the capture thread has moved on.
 * Frozen records are multiples of 8 bytes: appended one after another to
 * a buffer from malloc, each stays aligned. */
/* Append r, frozen, to b: 0, or -1 with b as it was (out of memory). */
int record_freeze(struct strbuf *b, const struct record *r);
/* The frozen record at p (8-aligned, avail bytes there), made usable in
 * place: its record through *r, its length through *len. 0, or -1 if it is
 * cut short or damaged. Thaw a record once. */
int record_thaw(uint8_t *p, size_t avail, const struct record **r, size_t *len);

struct output_ops {
	const char *scheme;
	/* Parse arg (no I/O towards collectors; files may be checked). */
	int (*open)(struct output *o, const char *arg, char *err, size_t errlen);
	/* Append r, framed, to b. -1: not encoded. Called by one thread at
	 * a time (the sink's, or the producer's when the sink falls behind),
	 * with a thawed record. */
	int (*encode)(struct output *o, struct strbuf *b, const struct record *r);
	/* The sink's thread. connect: 0 or -1 (logged by the sink). send: 0
	 * once the batch is delivered (acknowledged where the protocol can),
	 * -1 to reconnect and send it again. */
	int (*connect)(struct output *o);
	int (*send)(struct output *o, struct out_batch *b);
	/* The sink's thread, connected and with nothing to send, about every
	 * idle_ms: a heartbeat. -1: the collector is gone, reconnect. May be
	 * NULL. */
	int (*idle)(struct output *o);
	unsigned (*idle_ms)(const struct output *o);
	void (*disconnect)(struct output *o);
	void (*close)(struct output *o);
	int reopen;                  /* SIGHUP reconnects (files) */
};

extern const struct output_ops output_json_ops;
extern const struct output_ops output_msgpack_ops;
extern const struct output_ops output_syslog_ops;
extern const struct output_ops output_forward_ops;

/* record-msgpack.c: a packer appending to b, and r packed through one. */
void record_msgpack_packer(msgpack_packer *pk, struct strbuf *b);
void record_msgpack_pk(msgpack_packer *pk, const struct record *r);

/* The sink's thread: a warning about o (errno appended when err), at most
 * one every 30 s per sink, so a collector that is down does not flood the
 * log; output.c says when it is back. */
void output_warn(struct output *o, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* From encode: a record was cut. */
void output_count_truncated(struct output *o);

/* Spool: one directory per sink, one file per batch, named by sequence. */
struct spool;
struct spool *spool_open(const char *dir, const char *spec, uint64_t max_bytes,
                         char *err, size_t errlen);
void spool_close(struct spool *sp);
/* front: before every batch in the spool (the oldest, at exit). */
int spool_put(struct spool *sp, const struct out_batch *b, int front);
/* Read the oldest batch not yet taken into a new out_batch (NULL: none or
 * unreadable, then skipped and counted in *lost). */
struct out_batch *spool_take(struct spool *sp, uint64_t *lost);
void spool_done(struct spool *sp, uint64_t seq);
/* The oldest batch not taken is deleted; its record count, 0 if none. */
uint32_t spool_drop_oldest(struct spool *sp);
uint64_t spool_bytes(const struct spool *sp);
uint64_t spool_records(const struct spool *sp);
int spool_waiting(const struct spool *sp);   /* batches not taken */

/* Sockets. "//HOST:PORT[?k=v&...]" (HOST may be [IPv6]). */
struct net_addr {
	char host[256];
	char port[16];
	char query[512];
};
int net_parse(const char *arg, struct net_addr *a, char *err, size_t errlen);
/* The value of key in a query string into val; 1 found, 0 not. */
int net_query(const char *query, const char *key, char *val, size_t vallen);
/* Connected socket (SOCK_STREAM or SOCK_DGRAM), non-blocking, or -1 and
 * why in err. */
int net_connect(const struct net_addr *a, int socktype, unsigned timeout_ms, char *err,
                size_t errlen);
int net_connect_unix(const char *path, int *socktype);
/* Write every byte of iov (stream) within timeout_ms. -1 on failure. */
int net_writev_all(int fd, struct iovec *iov, int n, unsigned timeout_ms);
/* Some bytes, within timeout_ms: >0 read, 0 peer closed, -1 failure. */
ssize_t net_read(int fd, void *buf, size_t n, unsigned timeout_ms);
/* Has the peer closed (or reset) the connection? */
int net_peer_gone(int fd);

#endif
