/* arena.h — memory for data that lives and dies together (a loaded profile
 * set: tens of thousands of rules, peers and strings). Allocation is a
 * pointer bump in 64 KiB chunks, freeing is of the whole arena: loading a
 * thousand profiles was mostly malloc and free before. */
#ifndef CNETMON_ARENA_H
#define CNETMON_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
/* Everything allocated from a goes with it. NULL is fine. */
void arena_free(struct arena *a);
/* n zeroed bytes, aligned for any type; NULL (errno ENOMEM) on failure. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Room for one more element in the array *arrp of *n elements of size
 * sz, capacity doubling (the old array stays in the arena until it is
 * freed: at most as much again). Returns the new element, zeroed, and
 * counts it in *n; NULL when *n >= max or on allocation failure. */
void *arena_grow(struct arena *a, void *arrp, size_t *n, size_t sz, size_t max);

#endif
