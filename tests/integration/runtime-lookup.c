/* runtime-lookup — ask one runtime reader (runtime.h) about container ids,
 * the way the scanner does (scan_begin once, lookup per id, scan_end), and
 * print what it found, for tests/integration/runtime-*.sh:
 *
 *	runtime-lookup [-d docker_root] [-D docker_socket] [-p podman_socket]
 *	    [-P podman_binary] [-c containerd_state] [-o crio_storage]
 *	    [-l pods_log_dir] RUNTIME ID...
 *
 * Paths not given are set to a path that does not exist, so a test never
 * reads the host's real runtime state by accident. Output, per id, one
 * line per field, tab-separated (values are the runtime's, unescaped; the
 * tests use none with tabs or newlines):
 *	ID	result	1|0|-1
 *	ID	name|image|runtime|pod|namespace|pod_uid	VALUE
 *	ID	label	KEY=VALUE
 * Exit status 0, or 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "log.h"
#include "runtime.h"

static void
field(const char *id, const char *k, const char *v)
{
	if (v)
		printf("%s\t%s\t%s\n", id, k, v);
}

int
main(int argc, char **argv)
{
	static const char none[] = "/nonexistent/cnetmon-runtime-lookup";
	struct runtime_config rc = {
		.docker_root = none, .docker_socket = none, .podman_socket = none,
		.podman_binary = none, .containerd_state = none, .crio_storage = none,
		.cri_socket = none,
		.pods_log_dir = none,
	};
	const struct runtime_ops *ops;
	void *scan;
	size_t j;
	int ch, i, r;

	log_init("runtime-lookup", LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "d:D:p:P:c:o:l:g:")) != -1) {
		switch (ch) {
		case 'd': rc.docker_root = optarg; break;
		case 'D': rc.docker_socket = optarg; break;
		case 'p': rc.podman_socket = optarg; break;
		case 'P': rc.podman_binary = optarg; break;
		case 'c': rc.containerd_state = optarg; break;
		case 'o': rc.crio_storage = optarg; break;
		case 'l': rc.pods_log_dir = optarg; break;
		case 'g': rc.cri_socket = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind < 2)
		goto usage;
	if (!(ops = runtime_find(argv[optind]))) {
		fprintf(stderr, "runtime-lookup: unknown runtime %s\n", argv[optind]);
		return 2;
	}
	scan = ops->scan_begin ? ops->scan_begin(&rc) : NULL;
	for (i = optind + 1; i < argc; i++) {
		struct inv_container *c = inv_container_new();

		if (!c || inv_set(&c->id, argv[i]) < 0)
			return 2;
		r = ops->lookup(&rc, scan, c);
		printf("%s\tresult\t%d\n", argv[i], r);
		field(argv[i], "name", c->name);
		field(argv[i], "image", c->image);
		field(argv[i], "runtime", c->runtime);
		field(argv[i], "pod", c->pod);
		field(argv[i], "namespace", c->namespace);
		field(argv[i], "pod_uid", c->pod_uid);
		for (j = 0; j < c->nlabels; j++)
			printf("%s\tlabel\t%s=%s\n", argv[i], c->labels[j].key, c->labels[j].value);
		inv_container_free(c);
	}
	if (ops->scan_end)
		ops->scan_end(scan);
	return 0;
usage:
	fprintf(stderr, "usage: runtime-lookup [-d docker_root] [-D docker_socket] "
	        "[-p podman_socket] [-P podman_binary] [-c containerd_state] "
	        "[-o crio_storage] [-l pods_log_dir] [-g cri_socket] RUNTIME ID...\n");
	return 2;
}
