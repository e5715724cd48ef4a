/* SPDX-License-Identifier: MIT */
/* The one hash: 64-bit FNV-1a, for the rule set's content hash (api.c) and the name
 * tables (sema.c). Not for anything an attacker chooses the keys of at scale. */
#ifndef MGA_HASH_H
#define MGA_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_OFFSET 1469598103934665603ull

static inline uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

#endif
