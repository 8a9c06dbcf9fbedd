/* test-output.c — record encoders and sink framing, against independent
 * decoders: jansson for the JSON, msgpack-c's unpacker for the msgpack, and
 * real sockets (UDP, TCP) for syslog and Forward. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inventory.h"
#include "nat.h"
#include "output.h"

static struct inv_label labels[] = {
	{ .key = "app", .value = "web" },
	{ .key = "bad\xff" "key", .value = "ctl\x01\n\"q\"\\ \xc3\xa9 \xe2\x82" },
};
static struct inv_container web = {
	.id = "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2",
	.name = "web-1", .image = "nginx:1.25", .labels = labels, .nlabels = 2,
	.namespace = "shop", .pod = NULL,
};

static void
make_flow(struct flow *f, uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	f->key.family = 4;
	f->key.proto = 6;
	memcpy(f->key.addr[0], "\xac\x11\x00\x02", 4);
	memcpy(f->key.addr[1], "\xa9\xfe\xa9\xfe", 4);
	f->key.port[0] = sport;
	f->key.port[1] = 80;
	f->key.nvlan = 2;
	f->key.vlan[0] = 10;
	f->key.vlan[1] = 20;
	f->init_side = 0;
	f->tcp_state = TCP_ESTABLISHED;
	f->part = 1;
	f->first_ns = 1795727820123456000ull;
	f->last_ns = 1795727821654321000ull;
	f->pkts[0] = 3;
	f->pkts[1] = 1;
	f->bytes[0] = 252;
	f->bytes[1] = 60;
	f->ctr[0] = &web;
}

static void
make_record(struct record *r, const struct flow *f, int alert)
{
	memset(r, 0, sizeof(*r));
	r->type = alert ? RECORD_VIOLATION : RECORD_FLOW;
	r->flow = f;
	r->end = FLOW_END_FIN;
	r->node = "host-a";
	r->interface = "veth3c1a2b";
	r->verdict = alert ? VERDICT_DENY : VERDICT_ALLOW;
	r->direction = "egress";
	r->profile = "frontend";
	r->rule = "profiles/shop.profile:9";
	r->reason = "explicit deny";
	r->denied_by = alert ? "egress" : NULL;
	r->ctr_profile[0] = "frontend";
	r->dns[1] = "metadata.google.internal";
	r->time_ns = alert ? 1795727820500000000ull : 0;
	r->count = alert ? 7 : 0;
	r->severity = 4;
}

/* msgpack object → jansson value, keys in their order. */
static json_t *
mp_to_json(const msgpack_object *o)
{
	json_t *j;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return json_null();
	case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_STR: return json_stringn(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		for (i = 0; i < o->via.array.size; i++)
			json_array_append_new(j, mp_to_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			cr_assert_eq(k->type, MSGPACK_OBJECT_STR);
			char *ks = strndup(k->via.str.ptr, k->via.str.size);
			json_object_set_new(j, ks, mp_to_json(&o->via.map.ptr[i].val));
			free(ks);
		}
		return j;
	default:
		cr_assert_fail("unexpected msgpack type %d", o->type);
		return NULL;
	}
}

static char *
dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
}

/* Both encodings of r, decoded by the independent decoders, must be the
 * same document with the same key order. */
static json_t *
both_equal(const struct record *r)
{
	struct strbuf jb, mb;
	json_error_t err;
	msgpack_unpacked u;
	size_t off = 0;
	json_t *j, *m;

	strbuf_init(&jb, 64);
	strbuf_init(&mb, 64);
	record_json(&jb, r);
	record_msgpack(&mb, r);
	j = json_loadb(jb.p, jb.len, 0, &err);
	cr_assert_not_null(j, "JSON does not parse: %s: %.*s", err.text, (int)jb.len, jb.p);
	msgpack_unpacked_init(&u);
	cr_assert_eq(msgpack_unpack_next(&u, mb.p, mb.len, &off), MSGPACK_UNPACK_SUCCESS);
	cr_assert_eq(off, mb.len, "msgpack: %zu bytes left over", mb.len - off);
	m = mp_to_json(&u.data);
	char *js = dump(j), *ms = dump(m);
	cr_assert_str_eq(js, ms);
	free(js);
	free(ms);
	json_decref(m);
	msgpack_unpacked_destroy(&u);
	strbuf_free(&jb);
	strbuf_free(&mb);
	return j;
}

static void
assert_keys(json_t *j, const char *const *want)
{
	const char *k;
	json_t *v;
	size_t i = 0;
	void *it;

	for (it = json_object_iter(j); it; it = json_object_iter_next(j, it), i++) {
		k = json_object_iter_key(it);
		v = json_object_iter_value(it);
		(void)v;
		cr_assert_not_null(want[i], "extra key %s", k);
		cr_assert_str_eq(k, want[i], "key %zu", i);
	}
	cr_assert_null(want[i], "missing key %s", want[i]);
}

Test(output, json_and_msgpack_agree_flow)
{
	static const char *const keys[] = { "time", "type", "node", "community_id", "proto",
		"src", "dst", "direction", "profile", "rule", "verdict", "reason", "denied_by",
		"first_seen", "last_seen", "packets", "bytes", "packets_to_src", "bytes_to_src",
		"tcp_state", "midstream", "end", "part", "interface", "vlan", "tunnel", "icmp", "nat",
		NULL };
	static const char *const ep[] = { "ip", "port", "container", "dns", NULL };
	struct flow f;
	struct record r;
	json_t *j, *c;

	make_flow(&f, 40312);
	make_record(&r, &f, 0);
	j = both_equal(&r);
	assert_keys(j, keys);
	assert_keys(json_object_get(j, "src"), ep);
	assert_keys(json_object_get(j, "dst"), ep);
	cr_assert_str_eq(json_string_value(json_object_get(j, "time")), "2026-11-26T21:17:01.654321Z");
	cr_assert_str_eq(json_string_value(json_object_get(j, "verdict")), "allow");
	cr_assert_str_eq(json_string_value(json_object_get(j, "end")), "fin");
	cr_assert(json_is_null(json_object_get(j, "denied_by")));
	c = json_object_get(json_object_get(j, "src"), "container");
	cr_assert_str_eq(json_string_value(json_object_get(c, "profile")), "frontend");
	/* Untrusted bytes: invalid UTF-8 kept visible as U+00XX, controls
	 * escaped, valid UTF-8 kept. */
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(c, "labels"),
	                                                   "bad\xc3\xbfkey")),
	                 "ctl\x01\n\"q\"\\ \xc3\xa9 \xc3\xa2\xc2\x82");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "dst"), "dns")),
	                 "metadata.google.internal");
	cr_assert(json_is_null(json_object_get(json_object_get(j, "dst"), "container")));
	cr_assert_eq(json_array_size(json_object_get(j, "vlan")), 2);
	json_decref(j);
}

Test(output, json_and_msgpack_agree_violation)
{
	static const char *const keys[] = { "time", "type", "node", "community_id", "proto",
		"src", "dst", "direction", "profile", "rule", "verdict", "count", "reason",
		"denied_by", "first_seen", "last_seen", "packets", "bytes", "packets_to_src",
		"bytes_to_src", "tcp_state", "midstream", "end", "part", "interface", "vlan",
		"tunnel", "icmp", "nat", NULL };
	struct flow f;
	struct record r;
	json_t *j;

	make_flow(&f, 40313);
	f.key.proto = 1;                 /* ICMP: no ports, an icmp object */
	f.icmp_type = 8;
	f.key.nvlan = 0;
	f.key.tunnel = TUNNEL_VXLAN;
	f.key.vni = 42;
	f.key.depth = 1;
	make_record(&r, &f, 1);
	j = both_equal(&r);
	assert_keys(j, keys);
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "violation");
	cr_assert_str_eq(json_string_value(json_object_get(j, "time")), "2026-11-26T21:17:00.500000Z");
	cr_assert_eq(json_integer_value(json_object_get(j, "count")), 7);
	cr_assert(json_is_null(json_object_get(j, "end")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "denied_by")), "egress");
	cr_assert(json_is_null(json_object_get(json_object_get(j, "src"), "port")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "icmp"), "type")), 8);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "tunnel"), "vni")), 42);
	json_decref(j);
}

static int
listen_on(int type, int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* <134>1 TIMESTAMP HOST cnetmon PID MSGID - JSON */
static void
check_syslog(const char *m, size_t n, const char *pri, const char *msgid, const struct record *r)
{
	char head[256], want[256];
	struct strbuf jb;
	const char *json;
	int i, sp = 0;

	for (json = m; json < m + n && sp < 7; json++)
		if (*json == ' ')
			sp++;
	cr_assert_eq(sp, 7, "not 7 header fields: %.*s", (int)n, m);
	snprintf(head, sizeof(head), "%.*s", (int)(json - m), m);
	snprintf(want, sizeof(want), "%s1 2026-11-26T21:17:01.654321Z host-a cnetmon %ld %s - ",
	         pri, (long)getpid(), msgid);
	if (r->type == RECORD_VIOLATION)
		memcpy(strstr(want, "01.654321Z"), "00.500000Z", 10);
	cr_assert_str_eq(head, want);
	strbuf_init(&jb, 64);
	record_json(&jb, r);
	cr_assert_eq((size_t)(m + n - json), jb.len);
	cr_assert_eq(memcmp(json, jb.p, jb.len), 0);
	strbuf_free(&jb);
	(void)i;
}

Test(output, syslog_udp_one_datagram_per_record)
{
	struct flow f;
	struct record r, a;
	struct output *o;
	char spec[128], err[256], buf[9000];
	int port, fd = listen_on(SOCK_DGRAM, &port);
	ssize_t n;

	make_flow(&f, 1000);
	make_record(&r, &f, 0);
	make_record(&a, &f, 1);
	snprintf(spec, sizeof(spec), "syslog:udp://127.0.0.1:%d", port);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	cr_assert_eq(output_write(o, &r), 0);
	cr_assert_eq(output_write(o, &a), 0);
	cr_assert_eq(output_drain(o, 5000), 0);
	n = recv(fd, buf, sizeof(buf), 0);
	check_syslog(buf, (size_t)n, "<134>", "flow", &r);     /* local0.info */
	n = recv(fd, buf, sizeof(buf), 0);
	check_syslog(buf, (size_t)n, "<132>", "violation", &a); /* local0.warning */
	struct output_stats st = output_stats(o);
	cr_assert_eq(st.delivered, 2);
	cr_assert_eq(st.truncated, 0);
	output_close(o);

	/* A record over the datagram limit is cut there and counted. */
	snprintf(spec, sizeof(spec), "syslog:udp://127.0.0.1:%d?max=480&facility=daemon", port);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	cr_assert_eq(output_write(o, &r), 0);
	cr_assert_eq(output_drain(o, 5000), 0);
	n = recv(fd, buf, sizeof(buf), 0);
	cr_assert_eq(n, 480);
	cr_assert_eq(memcmp(buf, "<30>1 ", 6), 0);
	cr_assert_eq(output_stats(o).truncated, 1);
	output_close(o);
	close(fd);
}

Test(output, syslog_tcp_octet_counting)
{
	struct flow f;
	struct record r[3];
	struct output *o;
	char spec[128], err[256], buf[16384];
	int port, lfd = listen_on(SOCK_STREAM, &port), cfd, i;
	size_t have = 0, off = 0;
	ssize_t n;

	make_flow(&f, 2000);
	for (i = 0; i < 3; i++)
		make_record(&r[i], &f, i == 1);
	snprintf(spec, sizeof(spec), "syslog:tcp://127.0.0.1:%d", port);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	for (i = 0; i < 3; i++)
		cr_assert_eq(output_write(o, &r[i]), 0);
	/* The kernel completes the handshake from the backlog: delivered
	 * without accept(). */
	cr_assert_eq(output_drain(o, 5000), 0);
	cfd = accept(lfd, NULL, NULL);
	output_close(o);
	while ((n = read(cfd, buf + have, sizeof(buf) - have)) > 0)
		have += (size_t)n;
	for (i = 0; i < 3; i++) {
		char *sp;
		unsigned long len = strtoul(buf + off, &sp, 10);
		cr_assert_eq(*sp, ' ');
		cr_assert_leq((size_t)(sp + 1 - buf) + len, have);
		check_syslog(sp + 1, len, i == 1 ? "<132>" : "<134>", i == 1 ? "violation" : "flow",
		             &r[i]);
		off = (size_t)(sp + 1 - buf) + len;
	}
	cr_assert_eq(off, have);
	close(cfd);
	close(lfd);
}

Test(output, forward_packed_forward_message)
{
	struct flow f;
	struct record r[2];
	struct output *o;
	char spec[128], err[256], *buf = malloc(1 << 20);
	int port, lfd = listen_on(SOCK_STREAM, &port), cfd, i;
	size_t have = 0, off = 0, eoff = 0;
	msgpack_unpacked u, e;
	ssize_t n;

	make_flow(&f, 3000);
	make_record(&r[0], &f, 0);
	make_record(&r[1], &f, 1);
	snprintf(spec, sizeof(spec), "forward://127.0.0.1:%d?tag=cnetmon.flow&ack=0", port);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	cr_assert_eq(output_write(o, &r[0]), 0);
	cr_assert_eq(output_write(o, &r[1]), 0);
	cr_assert_eq(output_drain(o, 5000), 0);
	cfd = accept(lfd, NULL, NULL);
	output_close(o);
	while ((n = read(cfd, buf + have, (1 << 20) - have)) > 0)
		have += (size_t)n;
	msgpack_unpacked_init(&u);
	cr_assert_eq(msgpack_unpack_next(&u, buf, have, &off), MSGPACK_UNPACK_SUCCESS);
	cr_assert_eq(off, have);
	msgpack_object *m = &u.data;
	cr_assert_eq(m->type, MSGPACK_OBJECT_ARRAY);
	cr_assert_eq(m->via.array.size, 3);
	msgpack_object *tag = &m->via.array.ptr[0], *ent = &m->via.array.ptr[1],
	               *opt = &m->via.array.ptr[2];
	cr_assert_eq(tag->type, MSGPACK_OBJECT_STR);
	cr_assert_eq(strncmp(tag->via.str.ptr, "cnetmon.flow", tag->via.str.size), 0);
	cr_assert_eq(ent->type, MSGPACK_OBJECT_BIN);
	cr_assert_eq(opt->type, MSGPACK_OBJECT_MAP);
	cr_assert_eq(opt->via.map.size, 1);     /* size only: no chunk without ack */
	cr_assert_eq(opt->via.map.ptr[0].val.via.u64, 2);
	msgpack_unpacked_init(&e);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(msgpack_unpack_next(&e, ent->via.bin.ptr, ent->via.bin.size, &eoff),
		             MSGPACK_UNPACK_SUCCESS);
		msgpack_object *t = &e.data.via.array.ptr[0];
		cr_assert_eq(e.data.via.array.size, 2);
		cr_assert_eq(t->type, MSGPACK_OBJECT_EXT);
		cr_assert_eq(t->via.ext.type, 0);
		cr_assert_eq(t->via.ext.size, 8);
		const unsigned char *tb = (const unsigned char *)t->via.ext.ptr;
		uint32_t sec = (uint32_t)tb[0] << 24 | tb[1] << 16 | tb[2] << 8 | tb[3];
		uint32_t nsec = (uint32_t)tb[4] << 24 | tb[5] << 16 | tb[6] << 8 | tb[7];
		uint64_t want = i ? r[1].time_ns : f.last_ns;
		cr_assert_eq(sec, want / 1000000000u);
		cr_assert_eq(nsec, want % 1000000000u);
		json_t *rec = mp_to_json(&e.data.via.array.ptr[1]);
		cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), i ? "violation" : "flow");
		json_decref(rec);
	}
	cr_assert_eq(eoff, ent->via.bin.size);
	msgpack_unpacked_destroy(&e);
	msgpack_unpacked_destroy(&u);
	close(cfd);
	close(lfd);
	free(buf);
}

/* A sink encodes on its own thread, after output_write has returned: what
 * a record borrows (the flow, its container, DNS and profile names) may be
 * gone by then, so what the file gets must be what the record said when
 * it was written, every time, in order. */
Test(output, records_are_copied_at_write)
{
	char path[] = "/tmp/test-output-copy.XXXXXX", spec[64], err[256], *line = NULL;
	struct inv_label lab[2];
	struct inv_container c;
	struct nat_entry ne;
	char name[32], dns[64], lv[32];
	struct strbuf want;
	struct flow f;
	struct record r;
	struct output *o;
	size_t cap = 0, i, n = 5000;
	ssize_t len;
	FILE *fp;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(spec, sizeof(spec), "json:%s", path);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	strbuf_init(&want, 1 << 20);
	for (i = 0; i < n; i++) {
		c = web;
		snprintf(name, sizeof(name), "web-%zu", i);
		snprintf(lv, sizeof(lv), "v%zu", i * 7);
		lab[0] = (struct inv_label){ .key = "app", .value = lv };
		lab[1] = labels[1];
		c.name = name;
		c.labels = lab;
		make_flow(&f, (uint16_t)(1000 + i));
		f.ctr[0] = &c;
		f.pkts[0] = i;
		if (i % 2) {
			memset(&ne, 0, sizeof(ne));
			ne.orig.family = ne.reply.family = 4;
			memcpy(ne.orig.src, f.key.addr[0], 4);
			memcpy(ne.orig.dst, "\x0a\x60\x00\x01", 4);
			ne.orig.sport = f.key.port[0];
			ne.orig.dport = (uint16_t)(8000 + i);
			memcpy(ne.reply.src, f.key.addr[1], 4);
			memcpy(ne.reply.dst, f.key.addr[0], 4);
			ne.reply.sport = 80;
			ne.reply.dport = f.key.port[0];
			f.nat = &ne;
		}
		make_record(&r, &f, (int)(i % 3 == 0));
		snprintf(dns, sizeof(dns), "n%zu.example", i);
		r.dns[1] = dns;
		record_json(&want, &r);
		strbuf_addc(&want, '\n');
		cr_assert_eq(output_write(o, &r), 0);
		/* Gone, as far as the sink may know. */
		memset(&f, 0xa5, sizeof(f));
		memset(&c, 0x5a, sizeof(c));
		memset(&ne, 0x77, sizeof(ne));
		memset(lab, 0x3c, sizeof(lab));
		memset(name, 'X', sizeof(name) - 1);
		memset(dns, 'Y', sizeof(dns) - 1);
		memset(lv, 'Z', sizeof(lv) - 1);
	}
	cr_assert_eq(output_drain(o, 10000), 0);
	cr_assert_eq(output_stats(o).delivered, n);
	output_close(o);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	size_t off = 0;
	for (i = 0; (len = getline(&line, &cap, fp)) > 0; i++) {
		cr_assert_leq(off + (size_t)len, want.len);
		cr_assert_eq(memcmp(line, want.p + off, (size_t)len), 0, "record %zu differs:\n%s", i,
		             line);
		off += (size_t)len;
	}
	cr_assert_eq(i, n);
	cr_assert_eq(off, want.len);
	free(line);
	fclose(fp);
	unlink(path);
	strbuf_free(&want);
}

/* A forward sink (with opt) to a port nothing listens on, given 20,000
 * records of ~800 bytes and 300 ms to deliver them: its stats. */
static struct output_stats
to_dead_collector(const struct output_options *opt)
{
	struct output_stats st;
	struct output_options dflt;
	struct flow f;
	struct record r;
	struct output *o;
	char spec[128], err[256];
	int port, lfd = listen_on(SOCK_STREAM, &port), i;

	close(lfd);                      /* nothing listens there now */
	output_set_options(opt);
	snprintf(spec, sizeof(spec), "forward://127.0.0.1:%d?tag=t", port);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	make_flow(&f, 4000);
	make_record(&r, &f, 0);
	for (i = 0; i < 20000; i++)
		cr_assert_eq(output_write(o, &r), 0);
	output_flush(o);
	cr_assert_gt(output_drain(o, 300), 0);
	st = output_stats(o);
	output_close(o);
	output_options_default(&dflt);
	output_set_options(&dflt);
	return st;
}

/* No collector: records wait in memory, spill to the spool when the queue
 * is full, and only the spool's cap drops, oldest first. Every accepted
 * record is accounted for. */
Test(output, spool_and_cap_account_for_everything)
{
	struct output_options opt;
	struct output_stats st;
	char dir[] = "/tmp/test-output-spool.XXXXXX";

	cr_assert_not_null(mkdtemp(dir));
	output_options_default(&opt);
	opt.queue_bytes = 256 * 1024;
	opt.spool_dir = dir;
	opt.spool_max_bytes = 2 * 1024 * 1024;
	opt.close_timeout_ms = 100;
	st = to_dead_collector(&opt);
	cr_assert_eq(st.accepted, 20000);
	cr_assert_eq(st.delivered, 0);
	cr_assert_gt(st.spooled, 0);
	cr_assert_gt(st.dropped, 0, "20000 records of ~800 bytes exceed 256 KiB + 2 MiB");
	cr_assert_leq(st.spool_bytes, opt.spool_max_bytes);
	cr_assert_eq(st.queued + st.spool_records + st.dropped, st.accepted);
	cr_assert_geq(st.failures, 1);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* The reader of a FIFO that drains it slowly: a disk, or a pipe to a
 * shipper, that is slower than reading a capture. Counts lines. */
struct slow_reader {
	const char *path;
	size_t lines;
};

static void *
slow_read(void *arg)
{
	struct slow_reader *sr = arg;
	char buf[16384];
	ssize_t n;
	int fd = open(sr->path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sr->lines += buf[i] == '\n';
		usleep(1000);               /* ~16 MB/s */
	}
	close(fd);
	return NULL;
}

static struct output_stats
write_to_slow_reader(unsigned full_wait_ms, size_t n, size_t *lines)
{
	char dir[] = "/tmp/test-output-fifo.XXXXXX", path[128], spec[160], err[256];
	struct output_options opt;
	struct slow_reader sr = { .path = path };
	struct output_stats st;
	struct output *o;
	struct flow f;
	struct record r;
	pthread_t t;
	size_t i;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(pthread_create(&t, NULL, slow_read, &sr), 0);
	output_options_default(&opt);
	opt.queue_bytes = 256 * 1024;
	opt.full_wait_ms = full_wait_ms;
	output_set_options(&opt);
	snprintf(spec, sizeof(spec), "json:%s", path);
	o = output_open(spec, err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	make_flow(&f, 4000);
	make_record(&r, &f, 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(output_write(o, &r), 0);
	cr_assert_eq(output_drain(o, 30000), 0);
	st = output_stats(o);
	output_close(o);
	pthread_join(t, NULL);
	*lines = sr.lines;
	output_options_default(&opt);
	output_set_options(&opt);
	unlink(path);
	rmdir(dir);
	return st;
}

/* `read` (full_wait_ms): a sink slower than the producer makes it wait,
 * and nothing is dropped; `run` (0) drops the oldest instead of waiting,
 * which is what shows the reader is slow enough to matter. */
Test(output, a_full_queue_waits_for_a_slow_sink_in_read)
{
	size_t lines, n = 15000;            /* ~12 MB against a 256 KiB queue */
	struct output_stats st = write_to_slow_reader(5000, n, &lines);

	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.delivered, n);
	cr_expect_eq(lines, n);
	cr_expect_gt(st.waits, 0);
	st = write_to_slow_reader(0, n, &lines);
	cr_expect_gt(st.dropped, 0, "the reader was not slow enough to fill the queue");
	cr_expect_eq(st.waits, 0);
	cr_expect_eq(st.delivered + st.dropped, n);
	cr_expect_eq(lines, st.delivered);
}

/* A sink that delivers nothing is waited for only full_wait_ms: then the
 * queue drops its oldest as without the wait, and every record is still
 * accounted for. */
Test(output, a_dead_sink_is_waited_for_only_so_long)
{
	struct output_options opt;
	struct output_stats st;

	output_options_default(&opt);
	opt.queue_bytes = 256 * 1024;
	opt.full_wait_ms = 300;
	opt.close_timeout_ms = 100;
	st = to_dead_collector(&opt);
	cr_expect_eq(st.accepted, 20000);
	cr_expect_eq(st.delivered, 0);
	cr_expect_eq(st.waits, 1, "gave up once, and did not wait again for a dead sink");
	cr_expect_gt(st.dropped, 0);
	cr_expect_eq(st.queued + st.dropped, st.accepted);
}

Test(output, bad_specs_refused)
{
	static const char *const bad[] = {
		"nosuch:x", "json:", "syslog:udp://127.0.0.1", "syslog:tcp://[::1:514",
		"syslog:tcp://h:99999", "syslog:udp://h:514?facility=nope", "syslog:bogus",
		"forward://127.0.0.1", "forward:x", "syslog:udp://h:514?max=10",
	};
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_null(output_open(bad[i], err, sizeof(err)), "%s accepted", bad[i]);
		cr_expect_neq(err[0], '\0', "%s: no reason given", bad[i]);
	}
	struct output *o = output_open("forward://[::1]:24224?tag=a.b&gzip=1", err, sizeof(err));
	cr_assert_not_null(o, "%s", err);
	output_close(o);
}
