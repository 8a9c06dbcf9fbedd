/* Our classic-pcap reader against libpcap, packet by packet, over every
 * pcap file of tcpdump's corpus: same packets, lengths, timestamps and
 * bytes. Files libpcap rejects must not crash us; where libpcap stops at
 * damage we must stop too, after the same packets.
 *
 * Timestamps: the pcap format's seconds field is unsigned (IETF
 * draft-ietf-opsawg-pcap, "Timestamp (Seconds)"); libpcap 1.10 sign-extends
 * it, so dates past 2038 come out before 1970. We compare against the
 * unsigned reading, and skip packets whose fraction field is out of range
 * (deliberately invalid files), where both readings are arbitrary. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

static const char *
corpus_dir(void)
{
	const char *d = getenv("CNETMON_CORPUS");
	return d ? d : "../shared/corpus/tcpdump";
}

static int
is_pcapng(const char *path)
{
	unsigned char m[4] = { 0 };
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(m, 1, 4, fp) : 0;

	if (fp)
		fclose(fp);
	return n == 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
}

/* Returns 1 if compared, 0 if libpcap could not open the file. */
static int
compare_file(const char *path, int *mismatch)
{
	char ebuf[PCAP_ERRBUF_SIZE], err[256];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct capture *c;
	struct pkt p;
	pcap_t *pc;
	long n = 0;
	int r, lr;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	c = capture_open_file(path, err, sizeof(err));
	if (!pc) {
		if (c) {
			while (capture_next(c, &p) == 1)
				capture_release(c);
			capture_close(c);
		}
		return 0;
	}
	cr_assert(c, "%s: libpcap opens it, we do not: %s", path, err);
	for (;;) {
		lr = pcap_next_ex(pc, &h, &data);
		r = capture_next(c, &p);
		if (lr != 1 || r != 1)
			break;
		n++;
		long long frac = (long long)h->ts.tv_usec;   /* ns: NANO precision */
		uint64_t ts = (uint64_t)(uint32_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)frac;
		int ts_ok = frac < 0 || frac >= 1000000000LL || ts == p.ts_ns;
		if (h->caplen > p.caplen || h->len != p.len || !ts_ok ||
		    memcmp(data, p.data, h->caplen)) {
			cr_log_error("%s: packet %ld differs (libpcap caplen %u len %u ts %lld.%09ld, "
			             "ours %u %u %llu)", path, n, h->caplen, h->len,
			             (long long)h->ts.tv_sec, (long)h->ts.tv_usec, p.caplen, p.len,
			             (unsigned long long)p.ts_ns);
			(*mismatch)++;
			break;
		}
		capture_release(c);
	}
	/* Same end: both at EOF, or both stopping at damage. */
	if ((lr == 1) != (r == 1) || ((lr == PCAP_ERROR_BREAK) != (r == 0))) {
		cr_log_error("%s: after %ld packets libpcap says %d, we say %d (%s)", path, n, lr, r,
		             r < 0 ? capture_error(c) : "");
		(*mismatch)++;
	}
	pcap_close(pc);
	capture_close(c);
	return 1;
}

Test(capture_pcap, corpus_matches_libpcap, .timeout = 120)
{
	const char *dir = corpus_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0, mismatch = 0;
	char path[4096];

	if (!d)
		cr_skip_test("corpus not found at %s (set CNETMON_CORPUS)", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (is_pcapng(path))
			continue;
		files += compare_file(path, &mismatch);
	}
	closedir(d);
	cr_log_info("compared %d pcap files with libpcap", files);
	cr_expect_gt(files, 500);
	cr_expect_eq(mismatch, 0, "%d files differ from libpcap", mismatch);
}
