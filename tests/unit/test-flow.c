/* Flow table: bidirectional keys, initiator, TCP state, timeouts, the
 * memory bound, fragments, and the hash index under churn. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define SEC 1000000000ULL
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

struct rec {
	struct flow f;
	enum flow_end why;
};

static struct rec recs[4096];
static int nrecs;

static void
collect(const struct flow *f, enum flow_end why, void *data)
{
	(void)data;
	cr_assert_lt(nrecs, 4096);
	recs[nrecs].f = *f;
	recs[nrecs].why = why;
	nrecs++;
}

static struct flow_table *
table(uint32_t max)
{
	struct flow_config c;

	flow_config_default(&c);
	c.max_flows = max;
	nrecs = 0;
	return flow_table_new(&c, collect, NULL);
}

static uint8_t addrs[64][4];

static struct l34
l4(const char *s, const char *d, uint8_t proto, uint16_t sp, uint16_t dp, uint8_t flags)
{
	static int next;
	struct l34 l = { .family = 4, .proto = proto, .sport = sp, .dport = dp,
	                 .has_ports = 1, .tcp_flags = flags };
	int i = next;

	next = (next + 2) % 64;
	inet_pton(AF_INET, s, addrs[i]);
	inet_pton(AF_INET, d, addrs[i + 1]);
	l.src = addrs[i];
	l.dst = addrs[i + 1];
	return l;
}

static void
pkt(struct flow_table *ft, struct l34 l, uint64_t ts, uint32_t len)
{
	flow_table_packet(ft, &l, ts, len, -1);
}

Test(flow, handshake_data_close_is_one_flow)
{
	struct flow_table *ft = table(16);

	/* Client 10.0.0.9:40000 (higher address) connects to 10.0.0.1:80. */
	pkt(ft, l4("10.0.0.9", "10.0.0.1", 6, 40000, 80, TH_SYN), 1 * SEC, 74);
	pkt(ft, l4("10.0.0.1", "10.0.0.9", 6, 80, 40000, TH_SYN | TH_ACK), 1 * SEC + 1000, 74);
	pkt(ft, l4("10.0.0.9", "10.0.0.1", 6, 40000, 80, TH_ACK), 1 * SEC + 2000, 66);
	pkt(ft, l4("10.0.0.1", "10.0.0.9", 6, 80, 40000, TH_ACK), 1 * SEC + 3000, 1514);
	pkt(ft, l4("10.0.0.9", "10.0.0.1", 6, 40000, 80, TH_FIN | TH_ACK), 2 * SEC, 66);
	pkt(ft, l4("10.0.0.1", "10.0.0.9", 6, 80, 40000, TH_FIN | TH_ACK), 2 * SEC + 10, 66);
	pkt(ft, l4("10.0.0.9", "10.0.0.1", 6, 40000, 80, TH_ACK), 2 * SEC + 20, 66);
	cr_expect_eq(nrecs, 0, "a closed flow lingers for trailing ACKs");
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 1);
	const struct flow *f = &recs[0].f;
	int s = flow_src_side(f), d = flow_dst_side(f);
	cr_expect_eq(f->key.port[s], 40000, "initiator is the SYN sender");
	cr_expect_eq(f->key.port[d], 80);
	cr_expect_eq(f->pkts[s], 4);
	cr_expect_eq(f->pkts[d], 3);
	cr_expect_eq(f->bytes[d], 74 + 1514 + 66);
	cr_expect_eq(f->tcp_state, TCP_CLOSED);
	cr_expect_eq(recs[0].why, FLOW_END_FIN);
	cr_expect_eq(f->midstream, 0);
	cr_expect_eq(f->first_ns, 1 * SEC);
	cr_expect_eq(f->last_ns, 2 * SEC + 20);
	flow_table_free(ft);
}

Test(flow, closed_flow_emitted_after_linger)
{
	struct flow_table *ft = table(16);

	pkt(ft, l4("10.0.0.1", "10.0.0.2", 6, 1234, 22, TH_SYN), 1 * SEC, 60);
	pkt(ft, l4("10.0.0.2", "10.0.0.1", 6, 22, 1234, TH_RST | TH_ACK), 1 * SEC, 60);
	flow_table_expire(ft, 5 * SEC);
	cr_expect_eq(nrecs, 0);
	flow_table_expire(ft, 6 * SEC);
	cr_assert_eq(nrecs, 1);
	cr_expect_eq(recs[0].why, FLOW_END_RST);
	cr_expect_eq(recs[0].f.tcp_state, TCP_RESET);
	flow_table_free(ft);
}

Test(flow, midstream_direction_from_ports)
{
	struct flow_table *ft = table(16);

	/* First packet seen goes server -> client. */
	pkt(ft, l4("10.0.0.1", "10.0.0.2", 6, 443, 51515, TH_ACK), 1 * SEC, 1500);
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 1);
	const struct flow *f = &recs[0].f;
	cr_expect_eq(f->midstream, 1);
	cr_expect_eq(f->key.port[flow_src_side(f)], 51515);
	cr_expect_eq(f->pkts[flow_dst_side(f)], 1, "the packet is a reply");
	cr_expect_eq(recs[0].why, FLOW_END_EOF);
	flow_table_free(ft);
}

Test(flow, synack_first_names_its_receiver)
{
	struct flow_table *ft = table(16);

	pkt(ft, l4("10.0.0.1", "10.0.0.2", 6, 5432, 40000, TH_SYN | TH_ACK), 1 * SEC, 60);
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 1);
	cr_expect_eq(recs[0].f.key.port[flow_src_side(&recs[0].f)], 40000);
	cr_expect_eq(recs[0].f.midstream, 0);
	cr_expect_eq(recs[0].f.tcp_state, TCP_SYN_RECEIVED);
	flow_table_free(ft);
}

Test(flow, udp_idle_gap_makes_two_flows)
{
	struct flow_table *ft = table(16);

	pkt(ft, l4("10.0.0.5", "10.0.0.53", 17, 3333, 53, 0), 1 * SEC, 80);
	pkt(ft, l4("10.0.0.53", "10.0.0.5", 17, 53, 3333, 0), 1 * SEC + 500, 120);
	pkt(ft, l4("10.0.0.5", "10.0.0.53", 17, 3333, 53, 0), 200 * SEC, 80);
	cr_assert_eq(nrecs, 1);
	cr_expect_eq(recs[0].why, FLOW_END_IDLE);
	cr_expect_eq(recs[0].f.pkts[0] + recs[0].f.pkts[1], 2);
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 2);
	cr_expect_eq(recs[1].f.pkts[0] + recs[1].f.pkts[1], 1);
	flow_table_free(ft);
}

Test(flow, active_timeout_splits_into_parts)
{
	struct flow_config c;
	struct flow_table *ft;
	uint64_t total = 0;

	flow_config_default(&c);
	c.active_ns = 10 * SEC;
	nrecs = 0;
	ft = flow_table_new(&c, collect, NULL);
	for (int i = 0; i < 35; i++)
		pkt(ft, l4("10.0.0.1", "10.0.0.2", 17, 5000, 6000, 0), (uint64_t)(i + 1) * SEC, 100);
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 4);
	for (int i = 0; i < nrecs; i++) {
		cr_expect_eq(recs[i].f.part, i + 1);
		cr_expect_eq(recs[i].why, i < 3 ? FLOW_END_ACTIVE : FLOW_END_EOF);
		total += recs[i].f.pkts[0] + recs[i].f.pkts[1];
	}
	cr_expect_eq(total, 35, "parts add up to the flow");
	flow_table_free(ft);
}

Test(flow, memory_bound_evicts_oldest_never_drops)
{
	struct flow_table *ft = table(4);
	char a[32];
	uint64_t total = 0;

	for (int i = 0; i < 10; i++) {
		snprintf(a, sizeof(a), "10.0.1.%d", i + 1);
		pkt(ft, l4(a, "10.0.0.1", 17, 1000, 53, 0), (uint64_t)(i + 1) * SEC, 100);
	}
	cr_expect_eq(flow_table_stats(ft)->active, 4);
	cr_expect_eq(flow_table_stats(ft)->evicted, 6);
	cr_assert_eq(nrecs, 6);
	for (int i = 0; i < 6; i++) {
		cr_expect_eq(recs[i].why, FLOW_END_EVICTED);
		cr_expect_eq(recs[i].f.first_ns, (uint64_t)(i + 1) * SEC, "oldest first");
	}
	flow_table_finish(ft, FLOW_END_EOF);
	for (int i = 0; i < nrecs; i++)
		total += recs[i].f.pkts[0] + recs[i].f.pkts[1];
	cr_expect_eq(total, 10);
	flow_table_free(ft);
}

Test(flow, vlan_is_part_of_the_key)
{
	struct flow_table *ft = table(16);
	struct l34 a = l4("10.0.0.1", "10.0.0.2", 17, 1, 2, 0);
	struct l34 b = a;

	b.nvlan = 1;
	b.vlan[0] = 10;
	flow_table_packet(ft, &a, SEC, 60, -1);
	flow_table_packet(ft, &b, SEC, 60, -1);
	cr_expect_eq(flow_table_stats(ft)->active, 2);
	flow_table_free(ft);
}

Test(flow, later_fragments_join_first)
{
	struct flow_table *ft = table(16);
	struct l34 first = l4("10.0.0.1", "10.0.0.2", 17, 7000, 7001, 0);
	struct l34 later = first;

	first.frag = FRAG_FIRST;
	first.frag_id = 99;
	later.frag = FRAG_LATER;
	later.frag_id = 99;
	later.has_ports = 0;
	later.sport = later.dport = 0;
	flow_table_packet(ft, &first, SEC, 1514, -1);
	flow_table_packet(ft, &later, SEC + 1, 1514, -1);
	flow_table_packet(ft, &later, SEC + 2, 500, -1);
	later.frag_id = 100;     /* first never seen */
	flow_table_packet(ft, &later, SEC + 3, 300, -1);
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 2);
	cr_expect_eq(flow_table_stats(ft)->frag_later, 2);
	cr_expect_eq(flow_table_stats(ft)->frag_orphans, 1);
	for (int i = 0; i < 2; i++) {
		if (recs[i].f.key.noports)
			cr_expect_eq(recs[i].f.bytes[0] + recs[i].f.bytes[1], 300);
		else
			cr_expect_eq(recs[i].f.bytes[0] + recs[i].f.bytes[1], 1514 + 1514 + 500);
	}
	flow_table_free(ft);
}

Test(flow, port_reuse_after_close_starts_new_flow)
{
	struct flow_table *ft = table(16);

	pkt(ft, l4("10.0.0.1", "10.0.0.2", 6, 1111, 80, TH_SYN), SEC, 60);
	pkt(ft, l4("10.0.0.2", "10.0.0.1", 6, 80, 1111, TH_RST | TH_ACK), SEC, 60);
	pkt(ft, l4("10.0.0.1", "10.0.0.2", 6, 1111, 80, TH_SYN), SEC + 100, 60);
	cr_assert_eq(nrecs, 1);
	cr_expect_eq(recs[0].why, FLOW_END_RST);
	flow_table_finish(ft, FLOW_END_EOF);
	cr_assert_eq(nrecs, 2);
	cr_expect_eq(recs[1].f.tcp_state, TCP_SYN_SENT);
	flow_table_free(ft);
}

Test(flow, icmp_echo_reply_same_flow_unreachable_separate)
{
	struct flow_table *ft = table(16);
	struct l34 req = l4("10.0.0.1", "10.0.0.2", 1, 8, 0, 0);
	struct l34 rep = l4("10.0.0.2", "10.0.0.1", 1, 0, 0, 0);
	struct l34 unr = l4("10.0.0.2", "10.0.0.1", 1, 3, 3, 0);

	flow_table_packet(ft, &req, SEC, 98, -1);
	flow_table_packet(ft, &rep, SEC, 98, -1);
	flow_table_packet(ft, &unr, SEC, 70, -1);
	cr_expect_eq(flow_table_stats(ft)->active, 2);
	flow_table_free(ft);
}

/* Random insert/expire churn: every live flow must stay findable (a
 * backward-shift bug loses entries silently). Checked by counting: each
 * packet goes to an existing flow unless its flow was emitted. */
Test(flow, index_survives_churn)
{
	struct flow_table *ft = table(512);
	uint64_t pk = 0, emitted_pk = 0;
	char a[32];

	srand(7);
	for (int round = 0; round < 20000; round++) {
		int h = rand() % 700;
		snprintf(a, sizeof(a), "10.%d.%d.1", h / 256, h % 256);
		pkt(ft, l4(a, "10.255.0.1", 17, (uint16_t)(h % 50 + 1000), 53, 0),
		    (uint64_t)round * 1000000ULL, 100);
		pk++;
		if (nrecs > 4000) {
			for (int i = 0; i < nrecs; i++)
				emitted_pk += recs[i].f.pkts[0] + recs[i].f.pkts[1];
			nrecs = 0;
		}
	}
	flow_table_finish(ft, FLOW_END_EOF);
	for (int i = 0; i < nrecs; i++)
		emitted_pk += recs[i].f.pkts[0] + recs[i].f.pkts[1];
	cr_expect_eq(emitted_pk, pk);
	/* 700 keys over a 512 table: each key's flow was created fresh only
	 * when evicted, so created == records. */
	cr_expect_eq(flow_table_stats(ft)->created, flow_table_stats(ft)->records);
	flow_table_free(ft);
}

Test(flow, timeout_spec_parsing)
{
	struct flow_config c;

	flow_config_default(&c);
	cr_expect_eq(flow_config_set_timeout(&c, "udp=7"), 0);
	cr_expect_eq(c.idle_ns[TCLASS_UDP], 7 * SEC);
	cr_expect_eq(flow_config_set_timeout(&c, "active=0"), 0);
	cr_expect_eq(c.active_ns, 0);
	cr_expect_eq(flow_config_set_timeout(&c, "udp=0"), -1);
	cr_expect_eq(flow_config_set_timeout(&c, "bogus=3"), -1);
	cr_expect_eq(flow_config_set_timeout(&c, "tcp="), -1);
	cr_expect_eq(flow_config_set_timeout(&c, "tcp=5x"), -1);
	cr_expect_eq(flow_config_set_timeout(&c, "=5"), -1);
}

Test(flow, command_line_options)
{
	struct flow_config c;
	char err[256];

	flow_config_default(&c);
	cr_expect_eq(flow_config_option(&c, "max-flows", "1000", err, sizeof(err)), 0);
	cr_expect_eq(c.max_flows, 1000);
	cr_expect_eq(flow_config_option(&c, "max-flows", "1073741824", err, sizeof(err)), 0);
	for (const char *const *bad = (const char *const[]){ "0", "-5", "x", "12x", "",
	                                                     "1073741825", NULL }; *bad; bad++) {
		cr_expect_eq(flow_config_option(&c, "max-flows", *bad, err, sizeof(err)), -1, "%s", *bad);
		cr_expect(strstr(err, "expected a number from 1 to 1073741824") != NULL, "%s", err);
	}
	cr_expect_eq(c.max_flows, 1u << 30, "a refused value changes nothing");
	cr_expect_eq(flow_config_option(&c, "timeout", "udp=9", err, sizeof(err)), 0);
	cr_expect_eq(c.idle_ns[TCLASS_UDP], 9 * SEC);
	cr_expect_eq(flow_config_option(&c, "timeout", "udp", err, sizeof(err)), -1);
	cr_expect(strstr(err, "--timeout 'udp': expected CLASS=SECONDS with CLASS one of") != NULL,
	          "%s", err);
	cr_expect_eq(flow_config_option(&c, "flows", "x", err, sizeof(err)), -1);
}
