/* capture-arch.c — issue 4, Capture: "one event loop over pcap's selectable
 * fds, or one capture thread per interface feeding the flow table through
 * lock-free queues — choose by measurement". This is the measurement; the
 * daemon is not touched. Both modes do the daemon's per-packet work:
 * engine_packet() into one engine with no sinks, engine_tick() once a second.
 *
 *   capture-arch poll    SECONDS IFACE...  one thread, poll(2) over the K
 *       capture fds, each drained up to 256 packets a round (cmd-run.c loop)
 *   capture-arch threads SECONDS IFACE...  one capture thread per interface,
 *       each copying its packets into its own single-producer single-consumer
 *       ring (C11 atomics), one engine thread consuming from every ring
 *   capture-arch send DST PORT SECONDS PPS paced minimum-size UDP sender
 *       that sleeps between batches (udp-flood.c's pacing spins a core)
 *   options (before the mode): -B MIB kernel ring per interface (8, as run's
 *       --buffer-size), -q SLOTS ring slots per interface (4096), -S MS the
 *       engine side sleeps MS once a second (stands for a rescan, a reload or
 *       a slow sink stalling the loop: what buffering absorbs)
 *
 * Ring entries are copies, in fixed 2 KiB slots (header + up to 1984 bytes
 * of frame; a longer frame is cut there, its wire length kept, as a
 * snaplen would). Pointers into the TPACKET_V3 ring are not an option with
 * libpcap: pcap_dispatch hands the previous block back to the kernel, so a
 * packet dies at the capture thread's next read. When a ring is full the
 * capture thread stops reading (sleeps 50 us and retries the same packet):
 * the backlog then builds in the kernel ring and shows up as kernel drops,
 * as it does in the poll loop, so the two modes' drop counts compare.
 * The engine thread sleeps on an eventfd when every ring is empty; a
 * producer writes it only when the consumer said it is going to sleep.
 *
 * Output: key=value lines on stdout, one "total" line and one per thread
 * (CPU from getrusage RUSAGE_THREAD, user and system seconds). */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "capture.h"
#include "engine.h"
#include "flow.h"
#include "log.h"

#define MAX_IFACES  64
#define PER_ROUND   256          /* as cmd-run.c: packets from one source per round */
#define SLOT_BYTES  2048
#define SLOT_DATA   (SLOT_BYTES - 64)

struct slot {
	uint64_t ts_ns;
	uint32_t caplen, len;
	uint32_t linktype;
	enum link_type link;
	uint8_t pad[64 - 24];
	uint8_t data[SLOT_DATA];
};

_Static_assert(sizeof(struct slot) == SLOT_BYTES, "slot layout");

/* Single producer (the capture thread), single consumer (the engine
 * thread). Indexes run freely and are masked; head and tail sit on their own
 * cache lines so the two sides do not write to one line. */
struct ring {
	_Alignas(64) _Atomic uint32_t head;   /* consumer: next slot to read */
	_Alignas(64) _Atomic uint32_t tail;   /* producer: next slot to write */
	_Alignas(64) uint32_t mask;
	struct slot *slots;
};

struct tstat {
	double user, sys;
	long nvcsw, nivcsw;
};

struct iface {
	const char *name;
	struct capture *c;
	int id;                          /* engine interface id */
	struct ring ring;
	pthread_t thr;
	unsigned long long full_waits;   /* times the ring was full */
	unsigned long long truncated;
	struct tstat ts;
};

static volatile sig_atomic_t stop_sig;
static _Atomic int stop_capture;      /* capture threads: stop reading */
static _Atomic int stop_engine;       /* engine thread: every producer is done */
static _Atomic int consumer_sleeping;
static int wake_fd = -1;

static struct iface ifs[MAX_IFACES];
static int nifs;
static struct engine *eng;
static unsigned nslots = 4096;
static long stall_ms;

static void
on_signal(int sig)
{
	(void)sig;
	stop_sig = 1;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Once a second, where the daemon expires flows: the tick, and the stall. */
static void
tick(uint64_t *next_tick)
{
	if (mono_ns() < *next_tick)
		return;
	engine_tick(eng, real_ns());
	if (stall_ms > 0)
		nanosleep(&(struct timespec){ stall_ms / 1000, (stall_ms % 1000) * 1000000L }, NULL);
	*next_tick = mono_ns() + 1000000000ULL;
}

static void
thread_usage(struct tstat *t)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0) {
		memset(t, 0, sizeof(*t));
		return;
	}
	t->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	t->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	t->nvcsw = ru.ru_nvcsw;
	t->nivcsw = ru.ru_nivcsw;
}

static void
print_thread(const char *name, const struct tstat *t)
{
	printf("thread=%s user=%.3f sys=%.3f vcsw=%ld ivcsw=%ld\n", name, t->user, t->sys,
	       t->nvcsw, t->nivcsw);
}

/* ---- poll: the daemon's loop, captures only ---- */

static void
run_poll(uint64_t end_ns, struct tstat *ts)
{
	struct pollfd pfd[MAX_IFACES];
	uint64_t next_tick = 0;
	int i;

	while (!stop_sig && mono_ns() < end_ns) {
		for (i = 0; i < nifs; i++) {
			pfd[i].fd = capture_live_fd(ifs[i].c);
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)nifs, 100) < 0 && errno != EINTR)
			fatal("poll");
		/* As cmd-run.c: read even without POLLIN (TPACKET_V3 retires
		 * blocks on its timeout too). */
		for (i = nifs - 1; i >= 0; i--) {
			struct pkt p;
			int got = 0, rv = 0;
			while (got < PER_ROUND && (rv = capture_next(ifs[i].c, &p)) == 1) {
				got++;
				engine_packet(eng, &p, ifs[i].id);
			}
			if (rv < 0)
				fatalx("%s", capture_error(ifs[i].c));
		}
		tick(&next_tick);
	}
	thread_usage(ts);
}

/* ---- threads: capture threads, SPSC rings, one engine thread ---- */

static void
wake_consumer(void)
{
	uint64_t one = 1;

	/* Pairs with the consumer's fence: either it sees our tail, or we
	 * see it asleep. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&consumer_sleeping, memory_order_relaxed) &&
	    atomic_exchange(&consumer_sleeping, 0))
		if (write(wake_fd, &one, sizeof(one)) < 0)
			log_warn("eventfd");
}

static void *
capture_thread(void *arg)
{
	struct iface *f = arg;
	struct ring *r = &f->ring;
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct pollfd pfd = { .fd = capture_live_fd(f->c), .events = POLLIN };

	while (!atomic_load_explicit(&stop_capture, memory_order_relaxed)) {
		struct pkt p;
		int rv, got = 0;

		pfd.revents = 0;
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			fatal("poll");
		while ((rv = capture_next(f->c, &p)) == 1) {
			struct slot *s;
			/* Full: publish what we have, let the consumer catch up. */
			while (tail - atomic_load_explicit(&r->head, memory_order_acquire) > r->mask) {
				atomic_store_explicit(&r->tail, tail, memory_order_release);
				wake_consumer();
				f->full_waits++;
				nanosleep(&(struct timespec){ 0, 50000 }, NULL);
			}
			s = &r->slots[tail & r->mask];
			s->ts_ns = p.ts_ns;
			s->len = p.len;
			s->caplen = p.caplen < SLOT_DATA ? p.caplen : SLOT_DATA;
			if (s->caplen < p.caplen)
				f->truncated++;
			s->link = p.link;
			s->linktype = p.linktype;
			memcpy(s->data, p.data, s->caplen);
			tail++;
			/* Publish in runs, not per packet: one cache-line
			 * transfer per run. */
			if (++got % 64 == 0) {
				atomic_store_explicit(&r->tail, tail, memory_order_release);
				wake_consumer();
			}
		}
		if (rv < 0)
			fatalx("%s", capture_error(f->c));
		if (got % 64) {
			atomic_store_explicit(&r->tail, tail, memory_order_release);
			wake_consumer();
		}
	}
	thread_usage(&f->ts);
	return NULL;
}

/* Up to PER_ROUND packets from each ring in turn; the number consumed. */
static int
consume_round(void)
{
	int i, total = 0;

	for (i = nifs - 1; i >= 0; i--) {
		struct ring *r = &ifs[i].ring;
		uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		uint32_t n = tail - head, k;

		if (n > PER_ROUND)
			n = PER_ROUND;
		for (k = 0; k < n; k++) {
			const struct slot *s = &r->slots[(head + k) & r->mask];
			struct pkt p = {
				.data = s->data, .caplen = s->caplen, .len = s->len, .ts_ns = s->ts_ns,
				.link = s->link, .linktype = s->linktype, .iface = 0,
			};
			engine_packet(eng, &p, ifs[i].id);
		}
		if (n)
			atomic_store_explicit(&r->head, head + n, memory_order_release);
		total += (int)n;
	}
	return total;
}

static void *
engine_thread(void *arg)
{
	struct tstat *ts = arg;
	uint64_t next_tick = 0;

	for (;;) {
		int got = consume_round();
		tick(&next_tick);
		if (got)
			continue;
		if (atomic_load(&stop_engine) && consume_round() == 0)
			break;
		/* Say we sleep, then look once more: a producer that published
		 * before seeing the flag is caught here. */
		atomic_store(&consumer_sleeping, 1);
		atomic_thread_fence(memory_order_seq_cst);
		if (consume_round() > 0) {
			atomic_store(&consumer_sleeping, 0);
			continue;
		}
		{
			struct pollfd pfd = { .fd = wake_fd, .events = POLLIN };
			uint64_t v;
			if (poll(&pfd, 1, 100) > 0 && read(wake_fd, &v, sizeof(v)) < 0)
				log_warn("eventfd");
		}
		atomic_store(&consumer_sleeping, 0);
	}
	thread_usage(ts);
	return NULL;
}

static void
run_threads(uint64_t end_ns, struct tstat *engine_ts)
{
	pthread_t et;
	int i;

	if ((wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		fatal("eventfd");
	for (i = 0; i < nifs; i++) {
		struct ring *r = &ifs[i].ring;
		if (!(r->slots = aligned_alloc(64, (size_t)nslots * sizeof(struct slot))))
			fatal("ring");
		r->mask = nslots - 1;
		atomic_init(&r->head, 0);
		atomic_init(&r->tail, 0);
	}
	if ((errno = pthread_create(&et, NULL, engine_thread, engine_ts)) != 0)
		fatal("pthread_create");
	for (i = 0; i < nifs; i++)
		if ((errno = pthread_create(&ifs[i].thr, NULL, capture_thread, &ifs[i])) != 0)
			fatal("pthread_create");
	while (!stop_sig && mono_ns() < end_ns)
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	atomic_store(&stop_capture, 1);
	for (i = 0; i < nifs; i++)
		pthread_join(ifs[i].thr, NULL);
	atomic_store(&stop_engine, 1);
	{
		uint64_t one = 1;
		if (write(wake_fd, &one, sizeof(one)) < 0)
			log_warn("eventfd");
	}
	pthread_join(et, NULL);
	for (i = 0; i < nifs; i++)
		free(ifs[i].ring.slots);
	close(wake_fd);
}

/* ---- paced sender ---- */

static int
send_paced(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[64];
	struct iovec iov;
	char payload[18] = "cnetmon-bench";
	unsigned long long sent = 0;
	uint64_t t0, end;
	double pps, secs;
	int fd, i;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		fatalx("usage: capture-arch send DST PORT SECONDS PPS");
	dst.sin_port = htons((unsigned short)atoi(argv[2]));
	secs = atof(argv[3]);
	pps = atof(argv[4]);
	if (pps <= 0 || secs <= 0)
		fatalx("send: SECONDS and PPS must be positive");
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		fatal("socket");
	iov.iov_base = payload;
	iov.iov_len = sizeof(payload);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 64; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}
	t0 = mono_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		uint64_t t = mono_ns(), due;
		int n;
		if (t >= end)
			break;
		/* The time the next batch is due at this rate: sleep until then
		 * (absolute, so oversleeping does not lower the rate). */
		due = t0 + (uint64_t)((double)sent / pps * 1e9);
		if (due > t) {
			struct timespec ts = { (time_t)(due / 1000000000ULL),
			                       (long)(due % 1000000000ULL) };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		n = sendmmsg(fd, msgs, 64, 0);
		if (n > 0)
			sent += (unsigned long long)n;
	}
	printf("%llu\n", sent);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: capture-arch [-B MIB] [-q SLOTS] [-S MS] poll|threads SECONDS IFACE...\n"
	                "       capture-arch send DST PORT SECONDS PPS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct flow_config fc;
	struct tstat main_ts = { 0 }, engine_ts = { 0 };
	struct sigaction sa;
	struct rusage ru;
	unsigned long long captured = 0, dropped = 0;
	uint64_t t0, t1;
	int bufsize = 8 << 20, threads, i, ch;
	double secs;
	char err[256];

	log_init("capture-arch", LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "+B:q:S:")) != -1) {
		switch (ch) {
		case 'B':
			bufsize = atoi(optarg) << 20;
			break;
		case 'q':
			nslots = (unsigned)strtoul(optarg, NULL, 10);
			if (nslots < 64 || (nslots & (nslots - 1)))
				fatalx("-q: a power of two, at least 64");
			break;
		case 'S':
			stall_ms = atol(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && !strcmp(argv[0], "send"))
		return send_paced(argc, argv);
	if (argc < 3 || (strcmp(argv[0], "poll") && strcmp(argv[0], "threads")))
		usage();
	threads = !strcmp(argv[0], "threads");
	if ((secs = atof(argv[1])) <= 0)
		usage();
	if (argc - 2 > MAX_IFACES)
		fatalx("at most %d interfaces", MAX_IFACES);

	flow_config_default(&fc);
	if (!(eng = engine_new(&fc, "bench")))
		fatal("engine");
	for (i = 2; i < argc; i++) {
		struct iface *f = &ifs[nifs++];
		f->name = argv[i];
		if (!(f->c = capture_live_open(f->name, bufsize, NULL, err, sizeof(err))))
			fatalx("%s", err);
		f->id = engine_iface(eng, f->name);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	t0 = mono_ns();
	if (threads)
		run_threads(t0 + (uint64_t)(secs * 1e9), &engine_ts);
	else
		run_poll(t0 + (uint64_t)(secs * 1e9), &main_ts);
	t1 = mono_ns();
	if (threads)
		thread_usage(&main_ts);
	getrusage(RUSAGE_SELF, &ru);

	for (i = 0; i < nifs; i++) {
		unsigned long long rx = 0, dr = 0;
		if (capture_live_stats(ifs[i].c, &rx, &dr) < 0)
			log_warnx("%s: no kernel statistics", ifs[i].name);
		captured += rx;
		dropped += dr;
		printf("iface=%s captured=%llu dropped=%llu full_waits=%llu truncated=%llu\n",
		       ifs[i].name, rx, dr, ifs[i].full_waits, ifs[i].truncated);
	}
	if (threads) {
		char name[64];
		print_thread("main", &main_ts);
		print_thread("engine", &engine_ts);
		for (i = 0; i < nifs; i++) {
			snprintf(name, sizeof(name), "capture-%s", ifs[i].name);
			print_thread(name, &ifs[i].ts);
		}
	} else {
		print_thread("main", &main_ts);
	}
	printf("total mode=%s ifaces=%d wall=%.3f captured=%llu engine_packets=%llu dropped=%llu "
	       "user=%.3f sys=%.3f vcsw=%ld ivcsw=%ld\n",
	       threads ? "threads" : "poll", nifs, (double)(t1 - t0) / 1e9, captured,
	       (unsigned long long)engine_stats(eng)->packets, dropped,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_nvcsw,
	       ru.ru_nivcsw);
	for (i = 0; i < nifs; i++)
		capture_close(ifs[i].c);
	engine_finish(eng);
	engine_free(eng);
	return 0;
}
