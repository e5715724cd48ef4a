/* SPDX-License-Identifier: MIT */
/* Random profiles for any compiled rule set, read from its frozen schema: each field
 * missing, null or a value of its type (numbers within the declared range and at its ends,
 * random enum values and symbol subsets). For tests that compare two ways of computing the
 * same result over many profiles. */
#ifndef MGA_TEST_GENPROFILE_H
#define MGA_TEST_GENPROFILE_H

#include "graph.h"

typedef struct gp_rng {
    uint64_t s;
} gp_rng;

static inline uint64_t gp_next(gp_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static inline unsigned gp_below(gp_rng *r, unsigned n)
{
    return (unsigned)(gp_next(r) % n);
}

typedef struct gp_buf {
    char p[16384];
    size_t len;
} gp_buf;

static inline void gp_add(gp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void gp_add(gp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, sizeof b->p - b->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof b->p - b->len);
    b->len += (size_t)n;
}

/* A number for field f in its declared unit: often at or near a range end, where
 * thresholds usually sit, otherwise anywhere in the range. */
static inline double gp_number(gp_rng *r, const g_field *f)
{
    double lo = f->has_range ? f->ulo : -50, hi = f->has_range ? f->uhi : 500;
    switch (gp_below(r, 6)) {
    case 0:
        return lo;
    case 1:
        return hi;
    case 2:
        return (double)(long long)(lo + (hi - lo) * (double)gp_below(r, 1001) / 1000);
    default:
        return lo + (hi - lo) * (double)gp_below(r, 100001) / 100000;
    }
}

/* Writes a profile for rs into b (pct_present: chance a field is given at all). */
static inline void gp_profile(gp_rng *r, const mga_ruleset *rs, unsigned id, unsigned pct_present,
                              gp_buf *b)
{
    b->len = 0;
    gp_add(b, "{\"id\":\"g%u\"", id);
    for (size_t i = 0; i < rs->nfields; i++) {
        const g_field *f = &rs->fields[i];
        if (f->type == FT_TEXT || gp_below(r, 100) >= pct_present)
            continue;
        gp_add(b, ",\"%s\":", f->name);
        if (gp_below(r, 20) == 0) {
            gp_add(b, "null");
            continue;
        }
        switch (f->type) {
        case FT_BOOL:
            gp_add(b, gp_below(r, 2) ? "true" : "false");
            break;
        case FT_NUMBER:
            gp_add(b, "%.17g", gp_number(r, f));
            break;
        case FT_ENUM:
            gp_add(b, "\"%s\"", f->syms[gp_below(r, (unsigned)f->nsyms)]);
            break;
        case FT_SET: {
            gp_add(b, "[");
            unsigned pct = 1 + gp_below(r, 40), k = 0;
            for (size_t s = 0; s < f->nsyms; s++)
                if (gp_below(r, 100) < pct)
                    gp_add(b, "%s\"%s\"", k++ ? "," : "", f->syms[s]);
            gp_add(b, "]");
            break;
        }
        case FT_TEXT:
            break;
        }
    }
    gp_add(b, "}");
}

#endif
