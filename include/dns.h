/* dns.h — passive DNS: answers seen on the wire, remembered as
 * name <-> address with their TTL, so that profiles can name peers by DNS
 * (`egress allow tcp 443 to dns "*.stripe.com"`) and records can name the
 * addresses they show.
 *
 * dns_parse() reads one DNS message (RFC 1035 section 4, compression per
 * 4.1.4; AAAA per RFC 3596). Only responses are used: every A/AAAA answer is
 * tied to the name that was asked and to every CNAME on the way (RFC 1034
 * 3.6.2), so "api.stripe.com CNAME edge.example.net, edge... A 1.2.3.4"
 * makes 1.2.3.4 an address of both names. Messages come from the network:
 * every length and pointer is checked, a malformed message is ignored
 * whole (nothing half-learned). */
#ifndef CNETMON_DNS_H
#define CNETMON_DNS_H

#include <stddef.h>
#include <stdint.h>

struct dns_cache;

/* max_entries bounds memory (oldest-expiring entries go first when full).
 * NULL on allocation failure. */
struct dns_cache *dns_cache_new(size_t max_entries);
void dns_cache_free(struct dns_cache *c);

/* Learn from one DNS message (UDP payload, or one TCP message without its
 * two-byte length prefix) seen at now_ns. Returns the number of
 * (name, address) pairs learned, 0 for a message with none (a query, an
 * NXDOMAIN), -1 when the message is malformed (nothing learned). */
int dns_learn(struct dns_cache *c, const uint8_t *msg, size_t len, uint64_t now_ns);

/* TCP: a stream chunk in one direction may hold several length-prefixed
 * messages, or the start of one. Learn from every complete message in
 * data; returns as dns_learn (sum), -1 if the framing is broken. */
int dns_learn_tcp(struct dns_cache *c, const uint8_t *data, size_t len, uint64_t now_ns);

/* Is addr (family 4 or 6) an address that a name matching glob (fnmatch(3),
 * case-insensitive, no trailing dot) resolved to, within its TTL at now_ns? */
int dns_cache_match(const struct dns_cache *c, int family, const uint8_t *addr,
                    const char *glob, uint64_t now_ns);

/* A name for addr to show in records: the name that was asked for (the
 * first of the CNAME chain) of the most recent answer, kept after its TTL
 * for naming only (not for policy) as long as the cache has room. NULL when
 * none. The string stays valid until the next dns_learn/dns_cache_free. */
const char *dns_cache_name(const struct dns_cache *c, int family, const uint8_t *addr);

struct dns_stats {
	uint64_t messages, malformed, learned, entries, evicted;
};
const struct dns_stats *dns_cache_stats(const struct dns_cache *c);

#endif
