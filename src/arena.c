/* arena.c — bump allocation in chunks, freed together (arena.h).
 *
 * Under AddressSanitizer every allocation gets a chunk of its own, so that
 * an overrun is caught at the allocation's end and not at the chunk's. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ONE_PER_CHUNK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ONE_PER_CHUNK 1
#endif
#endif
#ifndef ARENA_ONE_PER_CHUNK
#define ARENA_ONE_PER_CHUNK 0
#endif

#define CHUNK (64u << 10)
#define ALIGN 16u

struct chunk {
	struct chunk *next;
	size_t pad;               /* data after the header stays 16-aligned */
};

struct arena {
	struct chunk *chunks;
	char *at, *end;           /* free room in the current chunk */
};

struct arena *
arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* A chunk of at least n bytes of room, linked in. */
static char *
new_chunk(struct arena *a, size_t n)
{
	struct chunk *c;

	if (n > SIZE_MAX - sizeof(*c)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c) + n)))
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	return (char *)(c + 1);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	char *p;

	if (n > SIZE_MAX - ALIGN) {
		errno = ENOMEM;
		return NULL;
	}
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (ARENA_ONE_PER_CHUNK || n > CHUNK / 4)
		return new_chunk(a, n ? n : 1);   /* big ones alone: no room wasted */
	if ((size_t)(a->end - a->at) < n) {
		if (!(p = new_chunk(a, CHUNK)))
			return NULL;
		a->at = p;
		a->end = p + CHUNK;
	}
	p = a->at;
	a->at += n;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);

	if (p)
		memcpy(p, s, len);      /* the NUL: arena memory is zeroed */
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, SIZE_MAX);
}

void *
arena_grow(struct arena *a, void *arrp, size_t *n, size_t sz, size_t max)
{
	void **arr = arrp;
	char *na;

	if (*n >= max || (sz && *n > SIZE_MAX / 2 / sz))
		return NULL;
	/* Arrays only ever grow from empty here, so a power of two of
	 * elements is where the room runs out. */
	if ((*n & (*n - 1)) == 0) {
		if (!(na = arena_alloc(a, (*n ? 2 * *n : 1) * sz)))
			return NULL;
		if (*n)
			memcpy(na, *arr, *n * sz);
		*arr = na;
	} else {
		na = *arr;
	}
	memset(na + *n * sz, 0, sz);      /* a slot given back (a dropped rule) is reused */
	return na + (*n)++ * sz;
}
