/* hash.h — SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input
 * PRF", 2012): keyed, so flow-table collisions cannot be forced by traffic. */
#ifndef CNETMON_HASH_H
#define CNETMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const void *data, size_t len, const uint8_t key[16]);
uint64_t siphash13(const void *data, size_t len, const uint8_t key[16]);
/* Fill key with random bytes from getrandom(2); -1 on failure. */
int hash_random_key(uint8_t key[16]);

#endif
