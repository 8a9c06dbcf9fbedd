/* sinks-driver.c — push flow records through the real sink code at a set
 * rate, for the sink tests and bench/sinks.sh.
 *
 *   sinks-driver SINK RATE SECONDS [DRAIN_SECONDS]
 *   sinks-driver encode:json|encode:msgpack N   (ns per record, no sink)
 *
 * Record i (from 1) has packets = i, so a receiver can tell which arrived;
 * RATE 0 means as fast as possible. After SECONDS, waits up to DRAIN_SECONDS
 * (default 60) for delivery. Environment: SPOOL_DIR, SPOOL_MAX, QUEUE_BYTES,
 * BACKOFF_MAX_MS. Prints one line of key=value statistics; exit 0 when
 * everything was delivered, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "inventory.h"
#include "log.h"
#include "output.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
fill(struct flow *f, struct record *r, const struct inv_container *c)
{
	memset(f, 0, sizeof(*f));
	f->key.family = 4;
	f->key.proto = 6;
	memcpy(f->key.addr[0], "\x0a\x58\x00\x02", 4);
	memcpy(f->key.addr[1], "\x0a\x58\x00\x03", 4);
	f->key.port[1] = 8080;
	f->tcp_state = TCP_CLOSED;
	f->part = 1;
	f->ctr[0] = c;
	memset(r, 0, sizeof(*r));
	r->type = RECORD_FLOW;
	r->flow = f;
	r->end = FLOW_END_FIN;
	r->node = "driver";
	r->interface = "podman0";
}

static int
encode_bench(const char *what, uint64_t n)
{
	static struct inv_label lab[] = { { .key = "app", .value = "web" },
	                                  { .key = "tier", .value = "frontend" } };
	static struct inv_container web = {
		.id = "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2",
		.name = "web", .image = "shop/frontend:2.3", .labels = lab, .nlabels = 2,
	};
	int mp = !strcmp(what, "msgpack");
	struct strbuf b;
	struct flow f;
	struct record r;
	uint64_t i, t0, bytes = 0;

	fill(&f, &r, &web);
	strbuf_init(&b, 4096);
	t0 = now_ns();
	for (i = 1; i <= n; i++) {
		f.key.port[0] = (uint16_t)(32768 + i % 28000);
		f.pkts[0] = i;
		f.first_ns = 1795727820000000000ull + i * 1000000u;
		f.last_ns = f.first_ns + 500000u;
		strbuf_reset(&b);
		if (mp)
			record_msgpack(&b, &r);
		else
			record_json(&b, &r);
		bytes += b.len;
	}
	printf("encode=%s records=%llu ns_per_record=%.0f bytes_per_record=%.0f\n", what,
	       (unsigned long long)n, (double)(now_ns() - t0) / (double)n, (double)bytes / (double)n);
	strbuf_free(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct inv_label lab[] = { { .key = "app", .value = "web" },
	                                  { .key = "tier", .value = "frontend" } };
	static struct inv_container web = {
		.id = "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2",
		.name = "web", .image = "shop/frontend:2.3", .labels = lab, .nlabels = 2,
	};
	struct output_options opt;
	struct output_stats st;
	struct output *o;
	struct rusage ru;
	struct flow f;
	struct record r;
	char err[512];
	uint64_t i, n, start, left, rate;
	double secs, drain, took;
	const char *e;

	if (argc == 3 && !strncmp(argv[1], "encode:", 7))
		return encode_bench(argv[1] + 7, strtoull(argv[2], NULL, 10));
	if (argc < 4) {
		fprintf(stderr, "usage: sinks-driver SINK RATE SECONDS [DRAIN_SECONDS]\n");
		return 2;
	}
	log_init("sinks-driver", LOG_LVL_INFO);
	rate = strtoull(argv[2], NULL, 10);
	secs = atof(argv[3]);
	drain = argc > 4 ? atof(argv[4]) : 60;
	output_options_default(&opt);
	opt.spool_dir = getenv("SPOOL_DIR");
	if ((e = getenv("SPOOL_MAX")))
		opt.spool_max_bytes = strtoull(e, NULL, 10);
	if ((e = getenv("QUEUE_BYTES")))
		opt.queue_bytes = strtoull(e, NULL, 10);
	if ((e = getenv("BACKOFF_MAX_MS")))
		opt.backoff_max_ms = (unsigned)strtoul(e, NULL, 10);
	opt.close_timeout_ms = 0;
	output_set_options(&opt);
	if (!(o = output_open(argv[1], err, sizeof(err)))) {
		fprintf(stderr, "sinks-driver: %s\n", err);
		return 2;
	}
	fill(&f, &r, &web);
	n = rate ? (uint64_t)(rate * secs) : 0;
	start = now_ns();
	for (i = 1;; i++) {
		uint64_t t = now_ns();
		if (rate) {
			if (i > n)
				break;
			/* Paced: record i is due at start + i/rate. */
			uint64_t due = start + (uint64_t)((double)i * 1e9 / (double)rate);
			if (due > t) {
				struct timespec ts = { 0, (long)(due - t) };
				if (due - t >= 1000000000u)
					ts = (struct timespec){ (time_t)((due - t) / 1000000000u),
					                        (long)((due - t) % 1000000000u) };
				nanosleep(&ts, NULL);
			}
		} else if ((i & 1023) == 0 && t - start >= (uint64_t)(secs * 1e9)) {
			break;
		}
		f.key.port[0] = (uint16_t)(32768 + i % 28000);
		f.pkts[0] = i;
		f.bytes[0] = i * 100;
		f.first_ns = 1795727820000000000ull + i * 1000000u;
		f.last_ns = f.first_ns + 500000u;
		output_write(o, &r);
	}
	n = i - 1;
	took = (double)(now_ns() - start) / 1e9;
	left = output_drain(o, (unsigned)(drain * 1000));
	double total = (double)(now_ns() - start) / 1e9;
	st = output_stats(o);
	getrusage(RUSAGE_SELF, &ru);
	printf("records=%llu produce_s=%.3f total_s=%.3f rate=%.0f accepted=%llu delivered=%llu "
	       "undelivered=%llu spooled=%llu dropped=%llu failures=%llu reconnects=%llu "
	       "maxrss_kb=%ld\n",
	       (unsigned long long)n, took, total, (double)st.delivered / total,
	       (unsigned long long)st.accepted, (unsigned long long)st.delivered,
	       (unsigned long long)left, (unsigned long long)st.spooled,
	       (unsigned long long)st.dropped, (unsigned long long)st.failures,
	       (unsigned long long)st.reconnects, ru.ru_maxrss);
	fflush(stdout);
	output_close(o);
	return left == 0 && st.dropped == 0 ? 0 : 1;
}
