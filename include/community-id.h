/* community-id.h — Community ID flow hashing, version 1
 * (https://github.com/corelight/community-id-spec), as Zeek and Wireshark
 * compute it: "1:" + base64(SHA-1(seed, saddr, daddr, proto, 0, sport, dport)). */
#ifndef CNETMON_COMMUNITY_ID_H
#define CNETMON_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define COMMUNITY_ID_LEN 31   /* "1:" + 28 base64 chars + NUL */

/* ICMP/ICMPv6 type to the (sport, dport) pair the spec uses; returns 1 when
 * the message is one-way (no counterpart type), 0 otherwise. */
int community_id_icmp_ports(int v6, uint8_t type, uint8_t code,
                            uint16_t *sport, uint16_t *dport);

/* Compute from the endpoints as given (the function orders them). */
void community_id_v1(int family, const uint8_t *saddr, const uint8_t *daddr,
                     uint8_t proto, uint16_t sport, uint16_t dport, int has_ports,
                     int oneway, uint16_t seed, char out[COMMUNITY_ID_LEN]);

/* The id of a flow (seed 0). */
void community_id_flow(const struct flow *f, char out[COMMUNITY_ID_LEN]);

#endif
