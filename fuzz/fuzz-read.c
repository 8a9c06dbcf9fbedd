/* fuzz-read.c — libFuzzer target for everything `cnetmon read` does with an
 * untrusted capture: format detection, the pcap and pcapng readers,
 * decoding, the flow table (a small one, so eviction runs too) and JSON
 * records. Build and run: make fuzz; seeds: tcpdump's capture corpus. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct output *out;
	struct flow_config fc;
	unsigned long long n;
	struct capture *c;
	struct engine *e;
	char path[64], err[256];
	int fd;

	if (!out && !(out = output_open("json:/dev/null", err, sizeof(err))))
		return 0;
	fd = memfd_create("fuzz-read", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	flow_config_default(&fc);
	fc.max_flows = 8;
	fc.max_frags = 4;
	fc.active_ns = 5000000000ULL;
	e = engine_new(&fc, "fuzz");
	engine_add_flow_output(e, out);
	if ((c = capture_open_file(path, err, sizeof(err)))) {
		engine_read(e, c, &n);
		capture_close(c);
	}
	engine_finish(e);
	engine_free(e);
	close(fd);
	return 0;
}
