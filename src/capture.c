/* capture.c — open a capture file by its magic number and hand it to the
 * reader for its format; link-type mapping shared by the readers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "filebuf.h"

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
	struct filebuf *fb;
	struct capture *c;
	const uint8_t *m;
	long long avail = 0;

	fb = filebuf_open(path, err, errlen);
	if (!fb)
		return NULL;
	m = filebuf_get(fb, 0, 4, &avail);
	if (!m) {
		snprintf(err, errlen, avail < 0 ? "read error: %s" : avail == 0 ? "empty file%s"
		         : "too short for a capture file%s", avail < 0 ? strerror(errno) : "");
		filebuf_close(fb);
		return NULL;
	}
	/* pcapng starts with a Section Header Block, type 0x0A0D0D0A. */
	if (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a)
		c = capture_pcapng_open_fb(fb, err, errlen);
	else
		c = capture_pcap_open_fb(fb, err, errlen);
	if (!c)
		filebuf_close(fb);
	return c;
}

int
capture_fail(struct capture *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->failed = 1;
	return -1;
}

int
capture_next(struct capture *c, struct pkt *p)
{
	if (c->failed)
		return -1;
	return c->ops->next(c, p);
}

void
capture_release(struct capture *c)
{
	if (c->ops->release)
		c->ops->release(c);
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
