/* SPDX-License-Identifier: MIT */
/* Profile input: JSON read with yajl's SAX callbacks straight into the typed slots the
 * rule graph reads (no intermediate tree), checked against the declared schema. */
#ifndef MGA_PROFILE_H
#define MGA_PROFILE_H

#include "graph.h"

#define PROFILE_KEYS 64
#define PROFILE_SYMS 32

struct mga_profile {
    mem m;
    const mga_ruleset *rs;
    size_t size;    /* of this block */
    uint8_t *known; /* per field: 1 when present (null counts as absent) */
    uint8_t *seen;  /* per field: given in the JSON (duplicate detection) */
    double *num;    /* numbers in base units; booleans 0/1; enums their index */
    uint64_t *bits; /* set fields' words */
    uint64_t *nz;   /* bit w: bits[w] may be nonzero (profile_set_sym keeps it) */
    char *id;       /* the field "id" (in id_buf), or NULL: a string's text or an integer's digits */
    bool id_number; /* id was a JSON integer: written back as a number */
    char *id_buf;   /* id_cap bytes, kept across mga_profile_parse_reuse */
    size_t id_cap;
    unsigned char *pool; /* the parser's memory, kept by mga_profile_parse_reuse */
    size_t pool_cap;
    /* an empty diagnostics list kept by mga_profile_parse_reuse for the next call: most
     * profiles have no diagnostic, and the list is handed out only when they do */
    mga_diags *spare;
    bool valid;          /* parsed without error: only a valid profile is evaluated */
    /* The symbols put into set fields, in the order given, when there are at most
     * PROFILE_SYMS of them (nsyms counts on beyond): the guard index looks its keys up
     * from this list, not by scanning bits, whose words are far apart in a large schema. */
    uint32_t nsyms;
    struct {
        uint32_t field, sym;
    } syms[PROFILE_SYMS];
    /* The key that followed each key in the profiles parsed into this one, as a field
     * index + 1 (0 none): keynext[0] after the opening brace, keynext[f + 1] after field f
     * (f + 1 < PROFILE_KEYS). Records of one file list their keys in one order, with some
     * left out, so a key is first compared with the one that followed the previous key
     * last time (graph_field_lookup_hint), and hashed only when it differs. Kept by
     * mga_profile_parse_reuse. */
    uint32_t keynext[PROFILE_KEYS];
    /* The warnings of the last parse (unknown fields under allow_unknown_fields, and the
     * count of those not listed), which every result evaluated from this profile carries:
     * the code, then the path, message and note as offsets into wtext (PROFILE_NONE: no
     * note). Kept, with wtext's memory, by mga_profile_parse_reuse. */
    struct {
        uint32_t code, path, msg, note;
    } warn[MGA_PROFILE_MAX_DIAGS + 1];
    uint32_t nwarn;
    char *wtext;
    size_t wtext_len, wtext_cap;
};

#define PROFILE_NONE UINT32_MAX

/* Warning i's text (path, msg or note offset) of p, or NULL for PROFILE_NONE. */
static inline const char *profile_wtext(const mga_profile *p, uint32_t at)
{
    return at == PROFILE_NONE ? NULL : p->wtext + at;
}

/* Keeps the warnings of d (a profile's diagnostics, or the FHIR reader's that made the
 * profile JSON) in p after those it holds, at most MGA_PROFILE_MAX_DIAGS + 1 in all, for
 * the results evaluated from it. False when out of memory. */
bool profile_keep_warnings(mga_profile *p, const mga_diags *d);

/* An empty profile (every field unknown) for rs; NULL on OOM. Freed by mga_profile_free. */
mga_profile *profile_alloc(const mga_ruleset *rs);

/* Puts symbol k into set field f of p (once, however often it is given). */
static inline void profile_set_sym(mga_profile *p, const g_field *f, uint32_t k)
{
    uint32_t w = f->word + k / 64;
    uint64_t bit = 1ull << (k % 64);
    if (p->bits[w] & bit)
        return;
    p->bits[w] |= bit;
    p->nz[w / 64] |= 1ull << (w % 64);
    if (p->nsyms < PROFILE_SYMS) {
        p->syms[p->nsyms].field = (uint32_t)(f - p->rs->fields);
        p->syms[p->nsyms].sym = k;
    }
    p->nsyms += p->nsyms <= PROFILE_SYMS;
}

#endif
