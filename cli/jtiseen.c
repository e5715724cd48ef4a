/* SPDX-License-Identifier: MIT */
/* The accepted JWT ids (jtiseen.h): an open-addressing table of 64-bit hashes of issuer and
 * id with their expiry, probed linearly, at most half full. When it would pass half, the
 * expired ids are dropped, and the table doubles if it is still over a quarter full, up to
 * room for max ids. Two ids with the same hash (odds 2^-64 a pair) count as one. */
#include "jtiseen.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint64_t hash; /* 0: empty */
    long exp;
} slot;

struct jti_seen {
    slot *t;
    size_t cap, len, max; /* cap a power of two; len slots used */
};

#define FIRST_CAP 64

jti_seen *jti_seen_new(size_t max)
{
    jti_seen *s = calloc(1, sizeof *s);
    if (s)
        s->max = max < 16 ? 16 : max;
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
static uint64_t hash_of(const char *iss, const char *jti)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = iss; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h *= 1099511628211ULL;
    for (const char *p = jti; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ? h : 1;
}

/* The table rebuilt with cap slots, without the ids expired at now. False on OOM (the
 * table unchanged). */
static bool rebuild(jti_seen *s, size_t cap, long now, long skew)
{
    slot *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < s->cap; i++) {
        slot e = s->t[i];
        if (!e.hash || e.exp + skew < now)
            continue;
        size_t j = (size_t)e.hash & (cap - 1);
        while (t[j].hash)
            j = (j + 1) & (cap - 1);
        t[j] = e;
        n++;
    }
    free(s->t);
    s->t = t;
    s->cap = cap;
    s->len = n;
    return true;
}

jti_outcome jti_seen_add(jti_seen *s, const char *iss, const char *jti, long exp, long now,
                         long skew)
{
    uint64_t h = hash_of(iss ? iss : "", jti);
    for (size_t j = s->cap ? (size_t)h & (s->cap - 1) : 0; s->cap && s->t[j].hash;
         j = (j + 1) & (s->cap - 1))
        if (s->t[j].hash == h) {
            if (s->t[j].exp + skew >= now)
                return JTI_REPLAY;
            s->t[j].exp = exp; /* the old token expired: this one takes its slot */
            return JTI_NEW;
        }
    if (2 * (s->len + 1) > s->cap) {
        /* drop what expired; grow when it stays over a quarter full */
        size_t cap = s->cap ? s->cap : FIRST_CAP;
        if (!rebuild(s, cap, now, skew))
            return JTI_FULL;
        if (4 * (s->len + 1) > s->cap) {
            if (s->cap / 2 >= s->max || !rebuild(s, s->cap * 2, now, skew))
                if (2 * (s->len + 1) > s->cap)
                    return JTI_FULL;
        }
    }
    size_t j = (size_t)h & (s->cap - 1);
    while (s->t[j].hash)
        j = (j + 1) & (s->cap - 1);
    s->t[j] = (slot){h, exp};
    s->len++;
    return JTI_NEW;
}
