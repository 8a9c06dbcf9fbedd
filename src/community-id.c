/* community-id.c — Community ID v1 (corelight/community-id-spec, as
 * implemented by Zeek and Wireshark). SHA-1 and base64 come from OpenSSL's
 * libcrypto. Computed once per record, never per packet. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"

#include "community-id.h"

/* Request/response ICMP types and their counterparts (spec, "ICMP"). */
static int
icmp4_counterpart(uint8_t t)
{
	switch (t) {
	case 8: return 0;   case 0: return 8;     /* echo */
	case 13: return 14; case 14: return 13;   /* timestamp */
	case 15: return 16; case 16: return 15;   /* information */
	case 10: return 9;  case 9: return 10;    /* router solicitation/advert */
	case 17: return 18; case 18: return 17;   /* address mask */
	default: return -1;
	}
}

static int
icmp6_counterpart(uint8_t t)
{
	switch (t) {
	case 128: return 129; case 129: return 128;   /* echo */
	case 133: return 134; case 134: return 133;   /* router sol/adv */
	case 135: return 136; case 136: return 135;   /* neighbour sol/adv */
	case 130: return 131; case 131: return 130;   /* MLD query/report */
	case 139: return 140; case 140: return 139;   /* node information */
	case 144: return 145; case 145: return 144;   /* home agent discovery */
	default: return -1;
	}
}

int
community_id_icmp_ports(int v6, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport)
{
	int cp = v6 ? icmp6_counterpart(type) : icmp4_counterpart(type);

	*sport = type;
	if (cp < 0) {
		*dport = code;
		return 1;
	}
	*dport = (uint16_t)cp;
	return 0;
}

/* OpenSSL 3 looks an algorithm up by name on every EVP_Digest(EVP_sha1())
 * call, which costs more than the hash itself: fetch it once and keep one
 * context per thread (sinks' threads hash too), freed when the thread
 * ends. */
static EVP_MD *sha1_md;
static pthread_key_t sha1_key;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void
ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
sha1_init(void)
{
	if (!(sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL)))
		fatalx("libcrypto: SHA-1 unavailable");
	if (pthread_key_create(&sha1_key, ctx_free) != 0)
		fatalx("pthread_key_create failed");
}

static void
sha1(const uint8_t *in, size_t n, uint8_t *out, unsigned int *outlen)
{
	EVP_MD_CTX *ctx;

	pthread_once(&sha1_once, sha1_init);
	if (!(ctx = pthread_getspecific(sha1_key))) {
		if (!(ctx = EVP_MD_CTX_new()) || pthread_setspecific(sha1_key, ctx) != 0)
			fatalx("libcrypto: out of memory");
	}
	if (EVP_DigestInit_ex2(ctx, sha1_md, NULL) != 1 || EVP_DigestUpdate(ctx, in, n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, outlen) != 1)
		fatalx("libcrypto: SHA-1 failed");
}

void
community_id_v1(int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
                uint16_t sport, uint16_t dport, int has_ports, int oneway, uint16_t seed,
                char out[COMMUNITY_ID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t alen = family == 6 ? 16 : 4, n = 0;
	int c;

	/* Order the endpoints so both directions hash alike, unless the ICMP
	 * message has no counterpart (the spec keeps those as sent). */
	c = memcmp(saddr, daddr, alen);
	if (!oneway && (c > 0 || (c == 0 && has_ports && sport > dport))) {
		const uint8_t *ta = saddr;
		uint16_t tp = sport;
		saddr = daddr; daddr = ta;
		sport = dport; dport = tp;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, saddr, alen); n += alen;
	memcpy(buf + n, daddr, alen); n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (has_ports) {
		buf[n++] = (uint8_t)(sport >> 8); buf[n++] = (uint8_t)sport;
		buf[n++] = (uint8_t)(dport >> 8); buf[n++] = (uint8_t)dport;
	}
	sha1(buf, n, digest, &dlen);
	memcpy(out, "1:", 2);
	EVP_EncodeBlock((unsigned char *)out + 2, digest, (int)dlen);
}

void
community_id_flow(const struct flow *f, char out[COMMUNITY_ID_LEN])
{
	int s = flow_src_side(f), d = flow_dst_side(f);
	int has_ports = !f->key.noports;

	community_id_v1(f->key.family, f->key.addr[s], f->key.addr[d], f->key.proto,
	                f->key.port[s], f->key.port[d], has_ports, f->key.oneway, 0, out);
}
