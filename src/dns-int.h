/* dns-int.h — between the DNS parser (dns.c) and the cache (dns-cache.c). */
#ifndef CNETMON_DNS_INT_H
#define CNETMON_DNS_INT_H

#include "dns.h"

/* dns_parse, also telling a well-formed message that is not used (query,
 * TC, RCODE, opcode, question count or class: *ignored = 1) from one that
 * is used but gives no pair. */
int dns_parse_msg(const uint8_t *msg, size_t len, dns_answer_fn fn, void *arg, int *ignored);

#endif
