/* output-forward.c — records to Fluentd / Fluent Bit with the Forward
 * protocol v1 (fluent/fluentd wiki "Forward Protocol Specification v1"):
 *
 *   forward://HOST:PORT?tag=TAG[&gzip=1][&ack=0][&ack_timeout=SECONDS]
 *
 * A batch goes as one PackedForward message,
 *   [TAG, <bin: entries>, {"size": N, "chunk": ID}]
 * each entry [EventTime, record] with EventTime the msgpack ext type 0 (big
 * endian u32 seconds, u32 nanoseconds) of the record's time and the record
 * the same map as msgpack:PATH writes. gzip=1 sends CompressedPackedForward
 * (the entries gzipped, option "compressed": "gzip"). The chunk option is
 * the base64 of 16 random bytes, kept for the batch's re-sends so that a
 * receiver can tell one it has seen; the batch counts as delivered only when
 * {"ack": ID} comes back (within ack_timeout, default 15 s). Without ack
 * (ack=0) a batch is delivered once written. Anything else — a closed
 * connection, a timeout, a wrong ack — reconnects and sends the batch again:
 * at-least-once.
 *
 * Heartbeats, while idle (heartbeat_interval, default 1 s): with
 * heartbeat=transport (the default, as Fluentd's out_forward) the TCP
 * connection is checked for a peer that closed it; heartbeat=udp also sends
 * the spec's UDP heartbeat (msgpack nil to HOST:PORT) and takes three
 * unanswered in a row as a collector gone, so the next batch reconnects at
 * once instead of finding out after a send timeout. heartbeat=none: no
 * checks. Not done: the shared-key handshake, TLS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "output-int.h"

#define IO_TIMEOUT_MS 10000
#define HEARTBEAT_WAIT_MS 500      /* for a UDP heartbeat's answer */
#define HEARTBEAT_MISSES 3

enum { HB_NONE, HB_TRANSPORT, HB_UDP };

struct forward_sink {
	struct net_addr addr;
	char *tag;
	int gzip, ack;
	unsigned ack_timeout_ms;
	int heartbeat;                 /* HB_* */
	unsigned heartbeat_ms;
	int udp;                       /* heartbeat socket, -1 */
	unsigned missed;               /* heartbeats unanswered in a row */
	int fd;
	struct strbuf hdr, opts, gz;   /* the sink thread's */
	msgpack_unpacker up;
	msgpack_packer pk;             /* encode's (one encoder at a time) */
};

static int
forward_open(struct output *o, const char *arg, char *err, size_t errlen)
{
	struct forward_sink *f = calloc(1, sizeof(*f));
	char val[256], *end;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->fd = -1;
	f->udp = -1;
	f->ack = 1;
	f->heartbeat = HB_TRANSPORT;
	f->heartbeat_ms = 1000;
	f->ack_timeout_ms = 15000;
	if (net_parse(arg, &f->addr, val, sizeof(val)) < 0) {
		snprintf(err, errlen, "sink '%s': %s (forward://HOST:PORT?tag=TAG)", o->spec, val);
		goto fail;
	}
	if (!net_query(f->addr.query, "tag", val, sizeof(val)))
		snprintf(val, sizeof(val), "cnetmon");
	if (!val[0]) {
		snprintf(err, errlen, "sink '%s': empty tag", o->spec);
		goto fail;
	}
	f->tag = strdup(val);
	if (net_query(f->addr.query, "gzip", val, sizeof(val)))
		f->gzip = strcmp(val, "0") != 0;
	if (net_query(f->addr.query, "ack", val, sizeof(val)))
		f->ack = strcmp(val, "0") != 0;
	if (net_query(f->addr.query, "ack_timeout", val, sizeof(val))) {
		unsigned long t = strtoul(val, &end, 10);
		if (*end || t < 1 || t > 3600) {
			snprintf(err, errlen, "sink '%s': ack_timeout: 1..3600 seconds", o->spec);
			goto fail;
		}
		f->ack_timeout_ms = (unsigned)t * 1000;
	}
	if (net_query(f->addr.query, "heartbeat", val, sizeof(val))) {
		if (!strcmp(val, "udp"))
			f->heartbeat = HB_UDP;
		else if (!strcmp(val, "transport"))
			f->heartbeat = HB_TRANSPORT;
		else if (!strcmp(val, "none"))
			f->heartbeat = HB_NONE;
		else {
			snprintf(err, errlen, "sink '%s': heartbeat: udp, transport or none", o->spec);
			goto fail;
		}
	}
	if (net_query(f->addr.query, "heartbeat_interval", val, sizeof(val))) {
		unsigned long t = strtoul(val, &end, 10);
		if (*end || t < 1 || t > 3600) {
			snprintf(err, errlen, "sink '%s': heartbeat_interval: 1..3600 seconds", o->spec);
			goto fail;
		}
		f->heartbeat_ms = (unsigned)t * 1000;
	}
	if (!f->tag || !msgpack_unpacker_init(&f->up, 4096)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	strbuf_init(&f->hdr, 512);
	strbuf_init(&f->opts, 256);
	strbuf_init(&f->gz, 0);
	o->priv = f;
	return 0;
fail:
	free(f->tag);
	free(f);
	return -1;
}

static int
forward_encode(struct output *o, struct strbuf *b, const struct record *r)
{
	struct forward_sink *f = o->priv;
	uint64_t ns = r->time_ns ? r->time_ns : r->flow->last_ns;
	uint32_t sec = (uint32_t)(ns / 1000000000u), nsec = (uint32_t)(ns % 1000000000u);
	unsigned char t[8] = {
		(unsigned char)(sec >> 24), (unsigned char)(sec >> 16),
		(unsigned char)(sec >> 8), (unsigned char)sec,
		(unsigned char)(nsec >> 24), (unsigned char)(nsec >> 16),
		(unsigned char)(nsec >> 8), (unsigned char)nsec,
	};

	record_msgpack_packer(&f->pk, b);
	msgpack_pack_array(&f->pk, 2);
	msgpack_pack_ext(&f->pk, 8, 0);
	msgpack_pack_ext_body(&f->pk, t, 8);
	record_msgpack_pk(&f->pk, r);
	return 0;
}

static int
forward_connect(struct output *o)
{
	struct forward_sink *f = o->priv;
	char err[300];

	if ((f->fd = net_connect(&f->addr, SOCK_STREAM, IO_TIMEOUT_MS, err, sizeof(err))) < 0) {
		output_warn(o, 0, "connect: %s", err);
		return -1;
	}
	msgpack_unpacker_reset(&f->up);
	return 0;
}

static void
new_chunk(char out[32])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char r[18] = { 0 };
	int i, k = 0;

	if (getrandom(r, 16, 0) != 16) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts, sizeof(ts) < 16 ? sizeof(ts) : 16);
	}
	/* 16 bytes: five whole groups of three, then one byte and "==". */
	for (i = 0; i < 15; i += 3) {
		out[k++] = b64[r[i] >> 2];
		out[k++] = b64[(r[i] & 3) << 4 | r[i + 1] >> 4];
		out[k++] = b64[(r[i + 1] & 15) << 2 | r[i + 2] >> 6];
		out[k++] = b64[r[i + 2] & 63];
	}
	out[k++] = b64[r[15] >> 2];
	out[k++] = b64[(r[15] & 3) << 4];
	out[k++] = '=';
	out[k++] = '=';
	out[k] = '\0';
}

static int
gzip_entries(struct forward_sink *f, const struct out_batch *b)
{
	z_stream z = { 0 };
	uLong bound;
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)b->buf.len) + 32;
	strbuf_reset(&f->gz);
	if (strbuf_reserve(&f->gz, bound) < 0) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)b->buf.p;
	z.avail_in = (uInt)b->buf.len;
	z.next_out = (Bytef *)f->gz.p;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	f->gz.len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* Wait for {"ack": chunk}. */
static int
read_ack(struct output *o, const char *chunk)
{
	struct forward_sink *f = o->priv;
	struct timespec ts;
	uint64_t deadline, now;
	msgpack_unpacked u;
	ssize_t n;
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + f->ack_timeout_ms;
	msgpack_unpacked_init(&u);
	for (;;) {
		int r = msgpack_unpacker_next(&f->up, &u);
		if (r == MSGPACK_UNPACK_SUCCESS) {
			msgpack_object *obj = &u.data;
			size_t i, cl = strlen(chunk);
			if (obj->type == MSGPACK_OBJECT_MAP) {
				for (i = 0; i < obj->via.map.size; i++) {
					msgpack_object *k = &obj->via.map.ptr[i].key;
					msgpack_object *v = &obj->via.map.ptr[i].val;
					if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 3 &&
					    !memcmp(k->via.str.ptr, "ack", 3) &&
					    v->type == MSGPACK_OBJECT_STR && v->via.str.size == cl &&
					    !memcmp(v->via.str.ptr, chunk, cl)) {
						rc = 0;
						break;
					}
				}
			}
			if (rc == 0)
				break;
			/* An ack for an older chunk (sent again) or something
			 * else: keep waiting for ours. */
			continue;
		}
		if (r == MSGPACK_UNPACK_PARSE_ERROR) {
			output_warn(o, 0, "the collector's answer is not msgpack");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (now >= deadline) {
			output_warn(o, 0, "no ack for chunk %s within %u s", chunk,
			          f->ack_timeout_ms / 1000);
			break;
		}
		if (msgpack_unpacker_buffer_capacity(&f->up) < 1024 &&
		    !msgpack_unpacker_reserve_buffer(&f->up, 4096))
			break;
		n = net_read(f->fd, msgpack_unpacker_buffer(&f->up),
		             msgpack_unpacker_buffer_capacity(&f->up), (unsigned)(deadline - now));
		if (n <= 0) {
			if (n == 0)
				output_warn(o, 0, "connection closed before the ack");
			else if (errno == ETIMEDOUT)
				output_warn(o, 0, "no ack for chunk %s within %u s", chunk,
				            f->ack_timeout_ms / 1000);
			else
				output_warn(o, 1, "waiting for the ack");
			break;
		}
		msgpack_unpacker_buffer_consumed(&f->up, (size_t)n);
	}
	msgpack_unpacked_destroy(&u);
	return rc;
}

static int
forward_send(struct output *o, struct out_batch *b)
{
	struct forward_sink *f = o->priv;
	const struct strbuf *entries = &b->buf;
	msgpack_packer pk;

	if (net_peer_gone(f->fd)) {
		output_warn(o, 0, "connection closed by the collector");
		return -1;
	}
	if (f->gzip) {
		if (gzip_entries(f, b) < 0) {
			output_warn(o, 0, "gzip failed, batch sent uncompressed");
		} else
			entries = &f->gz;
	}
	if (f->ack && !b->chunk[0])
		new_chunk(b->chunk);
	strbuf_reset(&f->hdr);
	record_msgpack_packer(&pk, &f->hdr);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_str(&pk, strlen(f->tag));
	msgpack_pack_str_body(&pk, f->tag, strlen(f->tag));
	msgpack_pack_bin(&pk, entries->len);
	strbuf_reset(&f->opts);
	record_msgpack_packer(&pk, &f->opts);
	msgpack_pack_map(&pk, 1 + (f->ack ? 1 : 0) + (entries == &f->gz ? 1 : 0));
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "size", 4);
	msgpack_pack_uint32(&pk, b->nrec);
	if (f->ack) {
		msgpack_pack_str(&pk, 5);
		msgpack_pack_str_body(&pk, "chunk", 5);
		msgpack_pack_str(&pk, strlen(b->chunk));
		msgpack_pack_str_body(&pk, b->chunk, strlen(b->chunk));
	}
	if (entries == &f->gz) {
		msgpack_pack_str(&pk, 10);
		msgpack_pack_str_body(&pk, "compressed", 10);
		msgpack_pack_str(&pk, 4);
		msgpack_pack_str_body(&pk, "gzip", 4);
	}
	if (f->hdr.oom || f->opts.oom)
		return -1;
	struct iovec iov[3] = {
		{ f->hdr.p, f->hdr.len }, { entries->p, entries->len }, { f->opts.p, f->opts.len },
	};
	if (net_writev_all(f->fd, iov, 3, IO_TIMEOUT_MS) < 0) {
		output_warn(o, 1, "send");
		return -1;
	}
	return f->ack ? read_ack(o, b->chunk) : 0;
}

/* One heartbeat while idle: 0 alive, -1 gone (reconnect). */
static int
forward_idle(struct output *o)
{
	struct forward_sink *f = o->priv;
	static const uint8_t nil = 0xc0;    /* the heartbeat message: msgpack nil */
	uint8_t buf[16];
	char err[300];

	if (f->heartbeat == HB_NONE)
		return 0;
	if (f->fd >= 0 && net_peer_gone(f->fd)) {
		output_warn(o, 0, "the collector closed the connection");
		return -1;
	}
	if (f->heartbeat != HB_UDP)
		return 0;
	if (f->udp < 0 &&
	    (f->udp = net_connect(&f->addr, SOCK_DGRAM, IO_TIMEOUT_MS, err, sizeof(err))) < 0) {
		output_warn(o, 0, "heartbeat: %s", err);
		return 0;                   /* the TCP connection still decides */
	}
	if (send(f->udp, &nil, 1, MSG_NOSIGNAL) == 1 &&
	    net_read(f->udp, buf, sizeof(buf), HEARTBEAT_WAIT_MS) > 0) {
		f->missed = 0;
		return 0;
	}
	if (++f->missed < HEARTBEAT_MISSES)
		return 0;
	output_warn(o, 0, "%u heartbeats unanswered: reconnecting", f->missed);
	f->missed = 0;
	return -1;
}

static unsigned
forward_idle_ms(const struct output *o)
{
	const struct forward_sink *f = o->priv;

	return f->heartbeat_ms;
}

static void
forward_disconnect(struct output *o)
{
	struct forward_sink *f = o->priv;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->udp >= 0)
		close(f->udp);
	f->udp = -1;
}

static void
forward_close(struct output *o)
{
	struct forward_sink *f = o->priv;

	forward_disconnect(o);
	msgpack_unpacker_destroy(&f->up);
	strbuf_free(&f->hdr);
	strbuf_free(&f->opts);
	strbuf_free(&f->gz);
	free(f->tag);
	free(f);
}

const struct output_ops output_forward_ops = {
	.scheme = "forward",
	.open = forward_open,
	.encode = forward_encode,
	.connect = forward_connect,
	.send = forward_send,
	.idle = forward_idle,
	.idle_ms = forward_idle_ms,
	.disconnect = forward_disconnect,
	.close = forward_close,
};
