/* capture.c — open a capture file by its magic number and hand it to the
 * reader for its format; link-type mapping shared by the readers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"

enum link_type
link_from_linktype(uint32_t lt)
{
	switch (lt) {
	case 1:   return LINK_ETHERNET;
	case 113: return LINK_SLL;
	case 276: return LINK_SLL2;
	case 101: return LINK_RAW;
	case 228: return LINK_IPV4;
	case 229: return LINK_IPV6;
	case 0:   return LINK_NULL;
	case 108: return LINK_LOOP;
	default:  return LINK_UNSUPPORTED;
	}
}

const char *
link_name(enum link_type t)
{
	static const char *const names[] = {
		[LINK_UNSUPPORTED] = "unsupported", [LINK_ETHERNET] = "ethernet",
		[LINK_SLL] = "linux-sll", [LINK_SLL2] = "linux-sll2", [LINK_RAW] = "raw",
		[LINK_IPV4] = "ipv4", [LINK_IPV6] = "ipv6", [LINK_NULL] = "null",
		[LINK_LOOP] = "loop",
	};
	return (unsigned)t <= LINK_LOOP ? names[t] : "unsupported";
}

struct capture *
capture_open_file(const char *path, char *err, size_t errlen)
{
	uint8_t magic[4];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "is a directory");
		return NULL;
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty file");
		return NULL;
	}
	if (n == 4 && magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a)
		return capture_pcapng_open(path, err, errlen);
	return capture_pcap_open(path, err, errlen);
}

int
capture_next(struct capture *c, struct pkt *p)
{
	return c->ops->next(c, p);
}

const char *
capture_error(const struct capture *c)
{
	return c->err;
}

const char *
capture_iface_name(const struct capture *c, int i)
{
	return c->ops->iface_name ? c->ops->iface_name(c, i) : NULL;
}

void
capture_close(struct capture *c)
{
	if (c)
		c->ops->close(c);
}
