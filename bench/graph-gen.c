/* graph-gen.c — benchmark of the graph: C containers and E edges built
 * through graph_add_record (one flow record per edge, and a second on one
 * edge in four, as a busy node would see) and written as JSON, DOT and
 * msgpack. Prints the time of each step. Built by bench/graph.sh.
 *   graph-gen [CONTAINERS [EDGES [OUTDIR]]]   (default 2000 50000 /tmp) */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph.h"
#include "inventory.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	unsigned nc = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	unsigned ne = argc > 2 ? (unsigned)atoi(argv[2]) : 50000;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	static const char *ext[] = { "json", "dot", "msgpack" };
	struct inv_container **c;
	struct graph *g;
	struct flow f;
	struct record r = { .type = RECORD_FLOW, .flow = &f, .node = "bench-node" };
	char name[64], path[512], err[256];
	double t0, t1, total = 0;
	unsigned i, k;

	if (nc < 2 || !(c = calloc(nc, sizeof(*c))))
		return 2;
	for (i = 0; i < nc; i++) {
		c[i] = inv_container_new();
		snprintf(name, sizeof(name), "svc%u-%u", i % 97, i);
		inv_set(&c[i]->name, name);
		snprintf(name, sizeof(name), "registry.example/svc%u:1.%u", i % 97, i % 5);
		inv_set(&c[i]->image, name);
		snprintf(name, sizeof(name), "team-%u", i % 12);
		inv_set(&c[i]->namespace, name);
		snprintf(name, sizeof(name), "svc%u", i % 97);
		inv_container_add_label(c[i], "app", name);
	}
	g = graph_new("bench-node", NULL);
	t0 = now();
	for (k = 0; k < ne + ne / 4; k++) {
		unsigned e = k < ne ? k : (k - ne) * 4;
		unsigned a = e % nc, b = (e / nc + 1 + a) % nc;
		memset(&f, 0, sizeof(f));
		f.key.family = 4;
		f.key.addr[0][0] = 10;
		f.key.addr[0][2] = (uint8_t)(a >> 8);
		f.key.addr[0][3] = (uint8_t)a;
		f.key.addr[1][0] = 10;
		f.key.addr[1][2] = (uint8_t)(b >> 8);
		f.key.addr[1][3] = (uint8_t)b;
		f.key.proto = e % 10 ? 6 : 17;
		f.key.port[0] = (uint16_t)(32768 + k % 20000);
		/* Edges beyond the container pairs differ by server port. */
		f.key.port[1] = (uint16_t)(8000 + e / (nc * nc > 0 ? nc : 1) % 1000);
		f.first_ns = 1795728420000000000ULL + (uint64_t)k * 1000000;
		f.last_ns = f.first_ns + 5000000;
		f.pkts[0] = 6;
		f.pkts[1] = 4;
		f.bytes[0] = 600;
		f.bytes[1] = 2400;
		/* One in ten talks to the world, one in 50 000 is denied. */
		if (e % 10 == 3) {
			f.ctr[1] = NULL;
			f.key.addr[1][0] = 198;
			f.key.addr[1][1] = 51;
			f.key.addr[1][2] = (uint8_t)(e >> 8);
			f.key.addr[1][3] = (uint8_t)e;
		} else
			f.ctr[1] = c[b];
		f.ctr[0] = c[a];
		r.verdict = e % 50000 == 7 ? VERDICT_DENY : VERDICT_ALLOW;
		r.ctr_profile[0] = r.ctr_profile[1] = "p";
		if (graph_add_record(g, &r) < 0)
			return 2;
	}
	t1 = now();
	total += t1 - t0;
	printf("build   %6.3f s  %u records, %zu nodes, %zu edges\n", t1 - t0, ne + ne / 4,
	       graph_nnodes(g), graph_nedges(g));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/graph-bench.%s", dir, ext[i]);
		t0 = now();
		if (graph_write(g, (enum graph_format)graph_format_from_name(ext[i]), path, err,
		                sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		t1 = now();
		total += t1 - t0;
		printf("%-7s %6.3f s  %s\n", ext[i], t1 - t0, path);
	}
	printf("total   %6.3f s\n", total);
	graph_free(g);
	for (i = 0; i < nc; i++)
		inv_container_free(c[i]);
	free(c);
	return total < 1.0 ? 0 : 1;
}
