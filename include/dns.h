/* dns.h — passive DNS: answers seen on the wire, remembered as
 * name <-> address with their TTL, so that profiles can name peers by DNS
 * (`egress allow tcp 443 to dns "*.stripe.com"`) and records can name the
 * addresses they show.
 *
 * dns_parse() reads one DNS message (RFC 1035 section 4, compression per
 * 4.1.4; AAAA per RFC 3596). Only responses are used: every A/AAAA answer is
 * tied to the name that was asked and to every CNAME on the way (RFC 1034
 * 3.6.2), so "api.stripe.com CNAME edge.example.net, edge... A 1.2.3.4"
 * makes 1.2.3.4 an address of both names. An answer whose owner is not on
 * that chain is not used (it answers no question; RFC 2181 5.4.1 ranks it
 * as untrusted), nor is anything in the authority or additional sections.
 * Messages come from the network: every length and pointer is checked, a
 * malformed message is ignored whole (nothing half-learned).
 *
 * Used: QR=1, OPCODE QUERY, RCODE NOERROR, TC=0, one question of class IN.
 * Anything else is "ignored" (counted, not an error). */
#ifndef CNETMON_DNS_H
#define CNETMON_DNS_H

#include <stddef.h>
#include <stdint.h>

/* TTLs are clamped into [DNS_TTL_MIN, DNS_TTL_MAX] seconds for policy.
 * The minimum: a TTL-0 (or 1 s) answer is used by its client right away, and
 * stub caches (Java's 30 s default, nscd) keep it a little longer; without a
 * floor the connection that follows would be judged against an expired
 * answer. The maximum: a week-long TTL from a hostile zone should not pin
 * an address to a name for a week; a day is what resolvers cap at too
 * (BIND max-cache-ttl is 7 days, Unbound cache-max-ttl 1 day). */
#define DNS_TTL_MIN 30
#define DNS_TTL_MAX 86400
/* Longest CNAME chain followed from the question (names, question
 * included); resolvers give up around there too (Unbound: 11 restarts). */
#define DNS_MAX_CHAIN 16
/* Bounds on the work one message can cause: (name, address) pairs taken
 * from one message, and names kept per address (a CDN address answers for
 * many names; the same order as a full cache picks which goes). */
#define DNS_MAX_PAIRS 256
#define DNS_NAMES_PER_ADDR 32
/* Text form of a name: at most 253 characters (255 octets on the wire). */
#define DNS_NAME_LEN 256

struct dns_cache;

/* One (name, address) pair of a response: name is the question name
 * (lower case, no trailing dot) or a CNAME target on its chain, ttl the
 * smallest TTL on the way from name to the address record (as on the wire:
 * not clamped; a TTL with the top bit set counts as 0, RFC 2181 8). */
struct dns_answer {
	const char *name;
	const char *qname;
	int family;                 /* 4 or 6 */
	uint8_t addr[16];           /* 4 or 16 bytes used */
	uint32_t ttl;
};
typedef void (*dns_answer_fn)(const struct dns_answer *a, void *arg);

/* Parse one message; fn is called for each pair only once the whole message
 * is known to be well formed. Returns the number of pairs, 0 for a message
 * that gives none or is not used (a query, NXDOMAIN, TC=1), -1 when it is
 * malformed. Names with a label holding '.', a space or a non-ASCII byte
 * are not given out (their text form would be ambiguous). */
int dns_parse(const uint8_t *msg, size_t len, dns_answer_fn fn, void *arg);

/* max_entries bounds memory. When full, expired entries go first (the
 * oldest-expiring), then the least recently learned;
 * one entry is one (name, address) pair, about 96 bytes plus the name.
 * NULL on allocation failure (errno EINVAL for 0). */
struct dns_cache *dns_cache_new(size_t max_entries);
void dns_cache_free(struct dns_cache *c);

/* Learn from one DNS message (UDP payload, or one TCP message without its
 * two-byte length prefix) seen at now_ns. Returns the number of
 * (name, address) pairs learned, 0 for a message with none (a query, an
 * NXDOMAIN), -1 when the message is malformed (nothing learned). */
int dns_learn(struct dns_cache *c, const uint8_t *msg, size_t len, uint64_t now_ns);

/* Remember one pair seen at now_ns (what dns_learn does for each pair of a
 * message; also for names known by other means). 0, or -1 on ENOMEM. */
int dns_cache_add(struct dns_cache *c, const struct dns_answer *a, uint64_t now_ns);

/* TCP (RFC 1035 4.2.2, RFC 7766 8): a stream chunk in one direction may hold
 * several length-prefixed messages, or the start of one. Learn from every
 * complete message in data (each on its own: a malformed one does not spoil
 * its neighbours); an incomplete last message is skipped, not buffered.
 * Returns the sum as dns_learn, or -1 when nothing was learned and the
 * framing was broken (a length under a DNS header) or a message malformed. */
int dns_learn_tcp(struct dns_cache *c, const uint8_t *data, size_t len, uint64_t now_ns);

/* Is addr (family 4 or 6) an address that a name matching glob (fnmatch(3),
 * case-insensitive, no trailing dot; '*' also matches dots) resolved to,
 * within its (clamped) TTL at now_ns? */
int dns_cache_match(const struct dns_cache *c, int family, const uint8_t *addr,
                    const char *glob, uint64_t now_ns);

/* Every name addr has within its TTL at now_ns (newest first, at most max)
 * with their lengths and dns_suffix_bits (sfx may be NULL): a judgement with
 * several dns peers asks once. Valid until the next dns_learn. Returns how
 * many. */
size_t dns_cache_names(const struct dns_cache *c, int family, const uint8_t *addr,
                       uint64_t now_ns, const char **names, uint16_t *lens, uint32_t *sfx,
                       size_t max);
/* A dns glob classified once (dns-glob.c): most are "*.example.com" or a
 * plain name, compared directly and case-insensitively; the rest go to
 * fnmatch(3) with FNM_CASEFOLD. '*' matches dots too. The glob string is
 * borrowed. */
struct dns_glob {
	const char *s;            /* the literal part; the whole glob for FNMATCH */
	uint32_t len;             /* strlen(s) */
	uint8_t kind;             /* DNS_GLOB_* */
	uint8_t last;             /* s's last character, lower case (0: empty) */
	uint32_t need;            /* a dns_suffix_bits bit a matching name has (0: none known) */
};
enum { DNS_GLOB_EXACT, DNS_GLOB_SUFFIX, DNS_GLOB_FNMATCH };
void dns_glob_init(struct dns_glob *g, const char *glob);
int dns_glob_match(const struct dns_glob *g, const char *name, size_t nlen);
/* A bit for the whole name and one for each part of it after a dot, case
 * folded: "a.b.example" has those of "a.b.example", "b.example" and
 * "example". A name without glob.need among its bits cannot match the
 * glob, and is passed over without reading it (passive DNS keeps each
 * name's bits beside it). */
uint32_t dns_suffix_bits(const char *name, size_t nlen);

/* A name for addr to show in records: the name that was asked for (the
 * first of the CNAME chain) of the most recent answer, kept after its TTL
 * for naming only (not for policy) as long as the cache has room. NULL when
 * none. The string stays valid until the next dns_learn/dns_cache_free. */
const char *dns_cache_name(const struct dns_cache *c, int family, const uint8_t *addr);

struct dns_stats {
	uint64_t messages;          /* given to dns_learn */
	uint64_t malformed;         /* rejected whole */
	uint64_t ignored;           /* not used: queries, TC, RCODE != 0, ... */
	uint64_t learned;           /* pairs learned or refreshed */
	uint64_t entries;           /* pairs held now */
	uint64_t evicted;           /* pairs dropped for room */
};
const struct dns_stats *dns_cache_stats(const struct dns_cache *c);

#endif
