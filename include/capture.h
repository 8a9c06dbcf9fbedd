/* capture.h — packet sources: capture files (pcap via libpcap, pcapng via our
 * own reader, because libpcap refuses pcapng sections whose interfaces have
 * different link types and does not expose the interface of a packet).
 * Live capture joins here later behind the same ops. */
#ifndef CNETMON_CAPTURE_H
#define CNETMON_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* Link-layer framing of a packet, independent of DLT/LINKTYPE numbering. */
enum link_type {
	LINK_UNSUPPORTED = 0,
	LINK_ETHERNET,   /* LINKTYPE_ETHERNET 1 */
	LINK_SLL,        /* LINKTYPE_LINUX_SLL 113: "any" capture, cooked v1 */
	LINK_SLL2,       /* LINKTYPE_LINUX_SLL2 276: cooked v2 */
	LINK_RAW,        /* LINKTYPE_RAW 101: IPv4 or IPv6 by version nibble */
	LINK_IPV4,       /* LINKTYPE_IPV4 228 */
	LINK_IPV6,       /* LINKTYPE_IPV6 229 */
	LINK_NULL,       /* LINKTYPE_NULL 0: 4-byte AF in the writer's byte order */
	LINK_LOOP,       /* LINKTYPE_LOOP 108: 4-byte AF, network byte order */
};

/* One packet, pointing into the reader's buffer: valid until the next call. */
struct pkt {
	const uint8_t *data;
	uint32_t caplen;       /* bytes present in data */
	uint32_t len;          /* length on the wire */
	uint64_t ts_ns;        /* nanoseconds since the epoch */
	enum link_type link;
	uint32_t linktype;     /* the file's LINKTYPE_ value, for messages */
	int iface;             /* the capture's interface, numbered across the whole
	                          file (pcapng sections included); -1 unknown */
};

struct capture;

/* Open a capture file (pcap or pcapng, by magic; "-" is standard input).
 * NULL on failure with a human-readable reason in err. */
struct capture *capture_open_file(const char *path, char *err, size_t errlen);

/* 1: a packet in *p; 0: end of file; -1: damage or read error, reason in
 * capture_error(). After -1 the capture yields nothing more. The packet's
 * data stays valid until capture_release(), so several packets may be held
 * at once. */
int capture_next(struct capture *c, struct pkt *p);
/* Done with every packet returned so far. */
void capture_release(struct capture *c);
const char *capture_error(const struct capture *c);
/* Name of interface i (pcapng if_name, or NULL). */
const char *capture_iface_name(const struct capture *c, int i);
void capture_close(struct capture *c);

enum link_type link_from_linktype(uint32_t linktype);
const char *link_name(enum link_type);

/* Implementation side: one ops table per kind of source. */
struct capture_ops {
	const char *name;
	int (*next)(struct capture *, struct pkt *);
	void (*release)(struct capture *);
	const char *(*iface_name)(const struct capture *, int);
	void (*close)(struct capture *);
};

struct capture {
	const struct capture_ops *ops;
	char err[256];
	int failed;            /* sticky: after damage, capture_next() says -1 */
};

/* For readers: record why the capture is damaged, make it yield nothing
 * more, return -1. */
int capture_fail(struct capture *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Live capture on an interface (capture-live.c): non-blocking, so
 * capture_next() returns 0 when nothing is ready; poll capture_live_fd().
 * buffer_bytes sizes the kernel ring; bpf may be NULL. */
struct capture *capture_live_open(const char *ifname, int buffer_bytes, const char *bpf,
                                  char *err, size_t errlen);
int capture_live_fd(const struct capture *c);
int capture_live_ifindex(const struct capture *c);
/* Packets handed out, and dropped by the kernel (ring full) so far. */
int capture_live_stats(const struct capture *c, unsigned long long *received,
                       unsigned long long *dropped);

struct filebuf;
/* The readers take ownership of fb on success. */
struct capture *capture_pcap_open_fb(struct filebuf *fb, char *err, size_t errlen);
struct capture *capture_pcapng_open_fb(struct filebuf *fb, char *err, size_t errlen);

#endif
