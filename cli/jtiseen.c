/* SPDX-License-Identifier: MIT */
/* The accepted JWT ids (jtiseen.h): an open-addressing table of 64-bit hashes of issuer and
 * id (FNV-1a from a basis drawn at random for each set, so that ids cannot be chosen to
 * collide or to pile up on one slot without knowing it) with their expiry, probed
 * linearly, at most half full. When it would pass half, the expired ids are dropped (only
 * when one can have expired: the earliest expiry is kept), and the table doubles while it
 * stays over three eighths full, up to its largest size; a table that cannot take another
 * id says so at once. Two ids with the same hash (odds 2^-64 a pair) count as one. */
#define _DEFAULT_SOURCE /* getrandom */
#include "jtiseen.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

typedef struct slot {
    uint64_t hash; /* 0: empty */
    long exp;
} slot;

struct jti_seen {
    slot *t;
    size_t cap, len, max_cap; /* cap a power of two (0 before the first id); len used */
    long min_exp;             /* the earliest expiry in the table (LONG_MAX: none) */
    uint64_t basis;
};

#define FIRST_CAP 64

jti_seen *jti_seen_new(size_t max)
{
    jti_seen *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t cap = FIRST_CAP;
    while (cap / 2 < max && cap < SIZE_MAX / 4 / sizeof(slot))
        cap *= 2;
    s->max_cap = cap;
    s->min_exp = LONG_MAX;
    if (getrandom(&s->basis, sizeof s->basis, 0) != (ssize_t)sizeof s->basis)
        s->basis = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL; /* unseeded: still works */
    s->basis ^= 1469598103934665603ULL;
    return s;
}

void jti_seen_free(jti_seen *s)
{
    if (s)
        free(s->t);
    free(s);
}

size_t jti_seen_count(const jti_seen *s)
{
    return s->len;
}

/* FNV-1a over the issuer, a NUL and the id: ids are unique per issuer. Never 0. */
static uint64_t hash_of(const jti_seen *s, const char *iss, const char *jti)
{
    uint64_t h = s->basis;
    for (const char *p = iss; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h *= 1099511628211ULL;
    for (const char *p = jti; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ? h : 1;
}

/* Whether a token expiring at exp has expired at now (skew seconds allowed), without
 * overflow. */
static bool expired(long exp, long now, long skew)
{
    return exp < now - skew;
}

/* The table rebuilt with cap slots, without the ids expired at now. False on OOM (the
 * table unchanged). */
static bool rebuild(jti_seen *s, size_t cap, long now, long skew)
{
    slot *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    size_t n = 0;
    long min_exp = LONG_MAX;
    for (size_t i = 0; i < s->cap; i++) {
        slot e = s->t[i];
        if (!e.hash || expired(e.exp, now, skew))
            continue;
        size_t j = (size_t)e.hash & (cap - 1);
        while (t[j].hash)
            j = (j + 1) & (cap - 1);
        t[j] = e;
        n++;
        if (e.exp < min_exp)
            min_exp = e.exp;
    }
    free(s->t);
    s->t = t;
    s->cap = cap;
    s->len = n;
    s->min_exp = min_exp;
    return true;
}

/* Room for one more id: expired ids dropped when one can have expired, the table grown
 * while over three eighths full. False when there is none (the largest table is half
 * full of live ids, or out of memory). */
static bool make_room(jti_seen *s, long now, long skew)
{
    if (2 * (s->len + 1) <= s->cap)
        return true;
    if (s->cap && expired(s->min_exp, now, skew) && !rebuild(s, s->cap, now, skew))
        return false;
    if (8 * (s->len + 1) > 3 * s->cap && s->cap < s->max_cap)
        rebuild(s, s->cap ? s->cap * 2 : FIRST_CAP, now, skew); /* on OOM, as it was */
    return 2 * (s->len + 1) <= s->cap;
}

jti_outcome jti_seen_add(jti_seen *s, const char *iss, const char *jti, long exp, long now,
                         long skew)
{
    uint64_t h = hash_of(s, iss ? iss : "", jti);
    for (size_t j = s->cap ? (size_t)h & (s->cap - 1) : 0; s->cap && s->t[j].hash;
         j = (j + 1) & (s->cap - 1))
        if (s->t[j].hash == h) {
            if (!expired(s->t[j].exp, now, skew))
                return JTI_REPLAY;
            s->t[j].exp = exp; /* the old token expired: this one takes its slot */
            if (exp < s->min_exp)
                s->min_exp = exp;
            return JTI_NEW;
        }
    if (!make_room(s, now, skew))
        return JTI_FULL;
    size_t j = (size_t)h & (s->cap - 1);
    while (s->t[j].hash)
        j = (j + 1) & (s->cap - 1);
    s->t[j] = (slot){h, exp};
    s->len++;
    if (exp < s->min_exp)
        s->min_exp = exp;
    return JTI_NEW;
}
