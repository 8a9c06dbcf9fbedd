/* attrib.h — which container a packet's endpoint belongs to: by capture
 * interface (live: a host veth belongs to one container), by MAC, by IP;
 * and whether an address is the host's own. Built once from an inventory;
 * lookups are hash probes, cheap enough per flow (never done per packet). */
#ifndef CNETMON_ATTRIB_H
#define CNETMON_ATTRIB_H

#include <stdint.h>

#include "inventory.h"

struct attrib;

struct attrib *attrib_build(const struct inventory *inv);
void attrib_free(struct attrib *a);
/* NULL when no container has it. */
const struct inv_container *attrib_by_ip(const struct attrib *a, int family, const uint8_t *addr);
const struct inv_container *attrib_by_mac(const struct attrib *a, const uint8_t mac[6]);
const struct inv_container *attrib_by_host_ifindex(const struct attrib *a, int ifindex);
int attrib_is_host(const struct attrib *a, int family, const uint8_t *addr);

#endif
