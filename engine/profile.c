/* SPDX-License-Identifier: MIT */
/* Profile input: yajl SAX callbacks into typed slots (see profile.h). */
#include "profile.h"
#include "numfmt.h"
#include "semantics.h"
#include "utf8.h"
#include "ypool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

typedef enum pstate {
    P_START,  /* before the top-level value */
    P_KEY,    /* in the top-level object, expecting a key or its end */
    P_VALUE,  /* expecting the value of field */
    P_SET,    /* inside a set's array */
    P_QTY,    /* inside {"value": n, "unit": "..."} */
    P_SKIP,   /* skipping a rejected or unknown container */
    P_DONE
} pstate;

typedef struct pctx {
    const mga_ruleset *rs;
    mga_profile *p;
    mga_diags *d;
    int dsrc;         /* -1 until the first diagnostic (src) */
    const char *name; /* for the diagnostic source */
    size_t kept;      /* bytes of text a diagnostic shows */
    yajl_handle h;
    const char *text;
    size_t tlen;
    pstate st;
    int field;
    unsigned depth, max_depth, skip;
    size_t bom; /* 3 when the text starts with a byte-order mark */
    pstate ret; /* the state to return to after P_SKIP */
    size_t index; /* element index in a set */
    uint32_t prevkey; /* p->keynext slot of the previous top-level key (PROFILE_KEYS: none) */
    int qkey;     /* P_QTY: 0 value, 1 unit, -1 other */
    bool q_value_set, q_unit_set;
    double q_value;
    char q_unit[32];
    size_t q_value_off, q_unit_off, q_unit_raw;
    bool q_bad;
    bool oom;
    /* Diagnostics listed (at most MGA_PROFILE_MAX_DIAGS); those past the cap are only
     * counted, and one last diagnostic, located at the first of them, gives the count: a
     * profile of a million bad keys costs no more to reject than one with a few. */
    unsigned ndiag;
    size_t more_err, more_warn;
    size_t more_off, more_len;
    size_t s_off, s_raw; /* the string token being handled (str_span) */
} pctx;

/* The profile's diagnostic source, registered with the first diagnostic: the profiles
 * without one (nearly all of a batch) cost no copy of the name. -1 on OOM (which the diags
 * remember, so no diagnostic is added). */
static int src(pctx *c)
{
    if (c->dsrc < 0)
        c->dsrc = diag_source(c->d, c->name, c->text, c->kept);
    return c->dsrc;
}

static size_t here(pctx *c)
{
    return yajl_get_bytes_consumed(c->h) + c->bom;
}

static mga_diag *padd_v(pctx *c, diag_code code, size_t off, size_t len, const char *path,
                        va_list ap)
{
    return diag_vadd(c->d, code, src(c), off, len, path, ap);
}

/* Adds a diagnostic at [off, off+len) of the profile with its JSON path (NULL: none; the
 * format's own arguments follow, the path again among them where the message shows it).
 * Past the cap it is only counted, and NULL is returned: callers compute notes only for a
 * diagnostic that was listed. */
static mga_diag *pdiag(pctx *c, diag_code code, size_t off, size_t len, const char *path, ...)
{
    if (c->ndiag >= MGA_PROFILE_MAX_DIAGS) {
        if (!c->more_err && !c->more_warn) {
            c->more_off = off;
            c->more_len = len;
        }
        if (diag_code_kind(code) == MGA_DIAG_ERROR)
            c->more_err++;
        else
            c->more_warn++;
        return NULL;
    }
    c->ndiag++;
    va_list ap;
    va_start(ap, path);
    mga_diag *dg = padd_v(c, code, off, len, path, ap);
    va_end(ap);
    return dg;
}

/* The one diagnostic for those past the cap (not itself capped). */
static void pdiag_more(pctx *c, diag_code code, const char *path, ...)
{
    va_list ap;
    va_start(ap, path);
    padd_v(c, code, c->more_off, c->more_len, path, ap);
    va_end(ap);
}

/* Whether another diagnostic would be listed (else it is only counted). */
static bool listed(const pctx *c)
{
    return c->ndiag < MGA_PROFILE_MAX_DIAGS;
}

/* The longest prefix of s[0, len) of at most max bytes that ends on a character boundary
 * (s is valid UTF-8): a name cut for a message stays valid UTF-8. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Where the string token just read (decoded: s, len) lies in the text: *off at its opening
 * quote, *raw its bytes with both quotes. A string without escapes is passed by yajl where
 * it lies in the text; one with escapes was decoded into yajl's buffer, and is found by
 * going back from its closing quote (which ends what yajl has consumed) to the first quote
 * not escaped. Returns whether it was decoded. */
static bool str_span(pctx *c, const char *s, size_t len, size_t *off, size_t *raw)
{
    uintptr_t at = (uintptr_t)s, t0 = (uintptr_t)c->text;
    if (at > t0 && at - t0 <= c->tlen) {
        *off = (size_t)(at - t0) - 1;
        *raw = len + 2;
        return false;
    }
    size_t end = here(c);
    size_t q = end >= 2 ? end - 2 : 0;
    while (q > 0) {
        if (c->text[q] == '"') {
            size_t k = q;
            while (k > 0 && c->text[k - 1] == '\\')
                k--;
            if ((q - k) % 2 == 0)
                break;
        }
        q--;
    }
    *off = q;
    *raw = end - q;
    return true;
}

static unsigned hex4(const char *h)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = h[i];
        v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
    }
    return v;
}

/* The escapes of the string token at [off, off+raw) (yajl has checked their syntax): a
 * string must decode to UTF-8 text, so a 'u' escape of half a surrogate pair, or of NUL,
 * is an error at that escape (yajl would put invalid UTF-8 or a NUL into the string). The
 * path names the string's place (the object's, for a key). Returns false after an error. */
static bool check_escapes(pctx *c, size_t off, size_t raw, const char *path)
{
    const char *t = c->text;
    size_t end = off + raw - 1; /* the closing quote */
    for (size_t i = off + 1; i < end; i++) {
        if (t[i] != '\\')
            continue;
        size_t at = i++;
        if (t[i] != 'u')
            continue;
        unsigned cp = hex4(t + i + 1);
        i += 4;
        if (cp == 0) {
            pdiag(c, DIAG_PROFILE_NUL, at, 6, path, path);
            return false;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < end && t[i + 1] == '\\' &&
            t[i + 2] == 'u') {
            unsigned lo = hex4(t + i + 3);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                i += 6; /* a pair: one character */
                continue;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            char esc[7];
            memcpy(esc, t + at, 6);
            esc[6] = '\0';
            pdiag(c, DIAG_PROFILE_SURROGATE, at, 6, path, path, esc);
            return false;
        }
    }
    return true;
}

static const char *field_name(pctx *c)
{
    return c->field >= 0 ? c->rs->fields[c->field].name : "?";
}

/* The JSON path of the value being read. */
static const char *path(pctx *c, char *buf, size_t n)
{
    if (c->st == P_SET)
        snprintf(buf, n, "$.%s[%zu]", field_name(c), c->index);
    else if (c->st == P_QTY && c->qkey == 1)
        snprintf(buf, n, "$.%s.unit", field_name(c));
    else if (c->st == P_QTY && c->qkey == 0)
        snprintf(buf, n, "$.%s.value", field_name(c));
    else if (c->field >= 0)
        snprintf(buf, n, "$.%s", field_name(c));
    else
        snprintf(buf, n, "$");
    return buf;
}

static const char *expected(const g_field *f)
{
    switch (f->type) {
    case FT_TEXT:
        return "a string";
    case FT_BOOL:
        return "true or false";
    case FT_NUMBER:
        return f->dim >= 0 ? "a number or {\"value\": number, \"unit\": string}" : "a number";
    case FT_ENUM:
        return "one of its values as a string";
    case FT_SET:
        return "an array of strings";
    }
    return "?";
}

static void type_error(pctx *c, const char *found, size_t len)
{
    char pb[160];
    size_t end = here(c);
    size_t off = end >= len ? end - len : 0;
    const g_field *f = c->field >= 0 ? &c->rs->fields[c->field] : NULL;
    const char *want = f ? expected(f) : "a value";
    if (c->st == P_SET)
        want = "a string";
    else if (c->st == P_VALUE && c->field >= 0 && c->field == c->rs->id_field)
        want = "a string or an integer";
    else if (c->st == P_QTY)
        want = c->qkey == 1 ? "a unit name as a string" : "a number";
    path(c, pb, sizeof pb);
    pdiag(c, DIAG_PROFILE_TYPE, off, len, pb, pb, want, found);
}

static void after_value(pctx *c)
{
    if (c->st == P_VALUE)
        c->st = P_KEY;
    else if (c->st == P_SET)
        c->index++;
}

static int keep_going(pctx *c)
{
    return !c->oom && !c->d->oom;
}

/* The value of a key other than "value" or "unit" in a quantity is ignored. */
static bool qty_other(const pctx *c)
{
    return c->st == P_QTY && c->qkey == -1;
}

static int on_null(void *ud)
{
    pctx *c = ud;
    if (c->st == P_SKIP)
        return 1;
    if (c->st == P_VALUE) {
        c->p->known[c->field] = 0; /* null means unknown */
        c->st = P_KEY;
        return keep_going(c);
    }
    if (c->st == P_START) {
        pdiag(c, DIAG_PROFILE_NOT_OBJECT, 0, 4, NULL, "null");
        c->st = P_DONE;
        return keep_going(c);
    }
    if (c->st == P_QTY) {
        c->q_bad = true;
        type_error(c, "null", 4);
        return keep_going(c);
    }
    type_error(c, "null", 4);
    after_value(c);
    return keep_going(c);
}

static int on_bool(void *ud, int v)
{
    pctx *c = ud;
    size_t len = v ? 4 : 5;
    if (c->st == P_SKIP)
        return 1;
    if (c->st == P_START) {
        pdiag(c, DIAG_PROFILE_NOT_OBJECT, 0, len, NULL, "a boolean");
        c->st = P_DONE;
        return keep_going(c);
    }
    if (c->st == P_VALUE && c->rs->fields[c->field].type == FT_BOOL) {
        c->p->num[c->field] = v ? 1 : 0;
        c->p->known[c->field] = 1;
        c->st = P_KEY;
        return 1;
    }
    if (c->st == P_QTY)
        c->q_bad = true;
    type_error(c, "a boolean", len);
    after_value(c);
    return keep_going(c);
}

static void store_number(pctx *c, double v_decl, double factor, const char *unit, size_t off,
                         size_t len)
{
    const g_field *f = &c->rs->fields[c->field];
    double base = v_decl * factor;
    if (f->has_range && (base < f->lo - NUM_REL_TOL * fabs(f->lo) || base > f->hi + NUM_REL_TOL * fabs(f->hi))) {
        char pb[160], val[64], lo[40], hi[40], rng[120];
        num_fmt(lo, sizeof lo, f->ulo);
        num_fmt(hi, sizeof hi, f->uhi);
        char vnum[40];
        num_fmt(vnum, sizeof vnum, v_decl);
        snprintf(val, sizeof val, "%s%s%s", vnum, unit ? " " : "", unit ? unit : "");
        snprintf(rng, sizeof rng, "%s..%s%s%s", lo, hi, f->unit ? " " : "", f->unit ? f->unit : "");
        path(c, pb, sizeof pb);
        pdiag(c, DIAG_PROFILE_RANGE, off, len, pb, pb, val, rng);
        return;
    }
    /* a field without a range has the engine's own, with the same tolerance */
    if (!f->has_range && !(fabs(base) <= G_NUM_MAX + NUM_REL_TOL * G_NUM_MAX)) {
        char pb[160], val[64], vnum[40], rng[120];
        const char *bu = f->dim >= 0 ? c->rs->dims[f->dim].units[0].name : NULL;
        num_fmt(vnum, sizeof vnum, v_decl);
        snprintf(val, sizeof val, "%s%s%s", vnum, unit ? " " : "", unit ? unit : "");
        snprintf(rng, sizeof rng, "-1e300..1e300%s%s", bu ? " " : "", bu ? bu : "");
        diag_add(c->d, DIAG_PROFILE_RANGE, src(c), off, len, path(c, pb, sizeof pb), val, rng);
        return;
    }
    c->p->num[c->field] = base;
    c->p->known[c->field] = 1;
}

static bool parse_number(pctx *c, const char *s, size_t len, double *out)
{
    char buf[64];
    char pb[160];
    size_t end = here(c);
    size_t off = end >= len ? end - len : 0;
    /* A plain integer of at most 15 digits converts exactly: no need for strtod. A
     * leading '-' included, so "-0" gives -0.0 as strtod does. */
    size_t neg = len && s[0] == '-', digits = len - neg;
    if (digits >= 1 && digits <= 15) {
        unsigned long long n = 0;
        size_t i = neg;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            n = n * 10 + (unsigned)(s[i++] - '0');
        if (i == len) {
            *out = neg ? -(double)n : (double)n;
            return true;
        }
    }
    if (len >= sizeof buf) {
        path(c, pb, sizeof pb);
        pdiag(c, DIAG_PROFILE_NUMBER, off, len, pb, pb, "(too long)");
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1)) {
        path(c, pb, sizeof pb);
        pdiag(c, DIAG_PROFILE_NUMBER, off, len, pb, pb, buf);
        return false;
    }
    if (errno == ERANGE)
        v = 0; /* underflow to zero is harmless */
    *out = v;
    return true;
}

/* Keeps the profile's id: a string's text, or an integer's digits as written (number), so
 * that the writers echo it as it was given. False when out of memory. */
static bool set_id(pctx *c, const char *s, size_t len, bool number)
{
    mga_profile *p = c->p;
    if (p->id_cap < len + 1) {
        char *id = mem_alloc(&p->m, len + 1);
        if (!id) {
            c->oom = true;
            return false;
        }
        mem_free(&p->m, p->id_buf, p->id_cap);
        p->id_buf = id;
        p->id_cap = len + 1;
    }
    memcpy(p->id_buf, s, len);
    p->id_buf[len] = '\0';
    p->id = p->id_buf;
    p->id_number = number;
    return true;
}

/* A JSON integer as yajl passes it: an optional '-' and digits, no fraction or exponent. */
static bool is_integer(const char *s, size_t len)
{
    size_t i = len && s[0] == '-';
    if (i == len)
        return false;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int on_number(void *ud, const char *s, size_t len)
{
    pctx *c = ud;
    if (c->st == P_SKIP)
        return 1;
    if (c->st == P_START) {
        pdiag(c, DIAG_PROFILE_NOT_OBJECT, 0, len, NULL, "a number");
        c->st = P_DONE;
        return keep_going(c);
    }
    if (c->st == P_QTY) {
        if (c->qkey != 0) {
            c->q_bad = true;
            type_error(c, "a number", len);
            return keep_going(c);
        }
        double v;
        if (parse_number(c, s, len, &v)) {
            c->q_value = v;
            c->q_value_set = true;
            size_t end = here(c);
            c->q_value_off = end >= len ? end - len : 0;
        } else {
            c->q_bad = true;
        }
        return keep_going(c);
    }
    if (c->st == P_VALUE && c->rs->fields[c->field].type == FT_NUMBER) {
        double v;
        if (parse_number(c, s, len, &v)) {
            const g_field *f = &c->rs->fields[c->field];
            size_t end = here(c);
            store_number(c, v, f->unit_f, f->unit, end >= len ? end - len : 0, len);
        }
        c->st = P_KEY;
        return keep_going(c);
    }
    if (c->st == P_VALUE && c->field == c->rs->id_field && is_integer(s, len)) {
        if (!set_id(c, s, len, true))
            return 0;
        c->p->known[c->field] = 1;
        c->st = P_KEY;
        return keep_going(c);
    }
    type_error(c, "a number", len);
    after_value(c);
    return keep_going(c);
}

static int sym_index(const g_field *f, const char *s, size_t len)
{
    return graph_sym_lookup(f, s, len);
}

static void unknown_symbol(pctx *c, const g_field *f, const char *s, size_t len)
{
    char pb[160], sym[72];
    size_t shown = utf8_prefix(s, len, 64);
    memcpy(sym, s, shown);
    sym[shown] = '\0';
    path(c, pb, sizeof pb);
    mga_diag *dg = pdiag(c, DIAG_PROFILE_SYMBOL, c->s_off, c->s_raw, pb, pb, sym);
    if (!dg)
        return;
    const char *best = diag_suggest(sym, f->syms, f->nsyms);
    if (best) {
        diag_note(c->d, dg, "did you mean '%s'?", best);
    } else {
        char list[512];
        size_t w = 0;
        for (size_t i = 0; i < f->nsyms && w < sizeof list - 80; i++)
            w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", i ? ", " : "", f->syms[i]);
        if (w >= sizeof list - 80)
            snprintf(list + w, sizeof list - w, ", ...");
        diag_note(c->d, dg, "'%s' takes: %s", f->name, list);
    }
}

static int on_string(void *ud, const unsigned char *s, size_t len)
{
    pctx *c = ud;
    const char *str = (const char *)s;
    if (c->st == P_SKIP)
        return 1;
    if (c->st == P_START) {
        pdiag(c, DIAG_PROFILE_NOT_OBJECT, 0, c->s_off + c->s_raw, NULL, "a string");
        c->st = P_DONE;
        return keep_going(c);
    }
    if (c->st == P_QTY) {
        if (c->qkey != 1) {
            c->q_bad = true;
            type_error(c, "a string", c->s_raw);
            return keep_going(c);
        }
        if (len >= sizeof c->q_unit) {
            c->q_bad = true;
            char pb[160];
            path(c, pb, sizeof pb);
            pdiag(c, DIAG_PROFILE_UNIT, c->s_off, c->s_raw, pb, pb, "(too long)");
            return keep_going(c);
        }
        memcpy(c->q_unit, str, len);
        c->q_unit[len] = '\0';
        c->q_unit_set = true;
        c->q_unit_off = c->s_off;
        c->q_unit_raw = c->s_raw;
        return 1;
    }
    if (c->st == P_SET) {
        const g_field *f = &c->rs->fields[c->field];
        int k = sym_index(f, str, len);
        if (k < 0)
            unknown_symbol(c, f, str, len);
        else
            profile_set_sym(c->p, f, (uint32_t)k);
        c->index++;
        return keep_going(c);
    }
    if (c->st == P_VALUE) {
        const g_field *f = &c->rs->fields[c->field];
        if (f->type == FT_ENUM) {
            int k = sym_index(f, str, len);
            if (k < 0) {
                unknown_symbol(c, f, str, len);
            } else {
                c->p->num[c->field] = k;
                c->p->known[c->field] = 1;
            }
            c->st = P_KEY;
            return keep_going(c);
        }
        if (f->type == FT_TEXT) {
            if (c->field == c->rs->id_field && !set_id(c, str, len, false))
                return 0;
            c->p->known[c->field] = 1;
            c->st = P_KEY;
            return 1;
        }
    }
    type_error(c, "a string", c->s_raw);
    after_value(c);
    return keep_going(c);
}

static bool deeper(pctx *c)
{
    if (++c->depth > c->max_depth) {
        char pb[160];
        size_t end = here(c);
        path(c, pb, sizeof pb);
        pdiag(c, DIAG_PROFILE_DEPTH, end ? end - 1 : 0, 1, pb, pb, c->max_depth);
        return false;
    }
    return true;
}

/* Skips a container that cannot be the value here, then resumes where it stood. */
static void reject_container(pctx *c)
{
    if (c->st == P_QTY)
        c->q_bad = true;
    if (c->st == P_SET)
        c->index++;
    c->ret = c->st == P_VALUE ? P_KEY : c->st;
    c->skip = 1;
    c->st = P_SKIP;
}

static int on_start_map(void *ud)
{
    pctx *c = ud;
    if (!deeper(c))
        return 0;
    if (qty_other(c)) {
        c->ret = P_QTY;
        c->skip = 1;
        c->st = P_SKIP;
        return 1;
    }
    if (c->st == P_SKIP) {
        c->skip++;
        return 1;
    }
    if (c->st == P_START) {
        c->st = P_KEY;
        return 1;
    }
    if (c->st == P_VALUE) {
        const g_field *f = &c->rs->fields[c->field];
        if (f->type == FT_NUMBER && f->dim >= 0) {
            c->st = P_QTY;
            c->qkey = -1;
            c->q_value_set = c->q_unit_set = c->q_bad = false;
            return 1;
        }
    }
    type_error(c, "an object", 1);
    reject_container(c);
    return keep_going(c);
}

static void finish_qty(pctx *c)
{
    char pb[160];
    const g_field *f = &c->rs->fields[c->field];
    size_t end = here(c);
    if (c->q_bad) {
        /* already reported */
    } else if (!c->q_value_set || !c->q_unit_set) {
        snprintf(pb, sizeof pb, "$.%s", f->name);
        pdiag(c, DIAG_PROFILE_QTY, end ? end - 1 : 0, 1, pb, pb,
              !c->q_value_set ? "missing \"value\"" : "missing \"unit\"");
    } else {
        const g_dim *dim = &c->rs->dims[f->dim];
        double factor = 0;
        for (size_t i = 0; i < dim->nunits; i++)
            if (strcmp(dim->units[i].name, c->q_unit) == 0)
                factor = dim->units[i].factor;
        if (factor == 0) {
            snprintf(pb, sizeof pb, "$.%s.unit", f->name);
            mga_diag *dg =
                pdiag(c, DIAG_PROFILE_UNIT, c->q_unit_off, c->q_unit_raw, pb, pb, c->q_unit);
            if (!dg) {
                c->st = P_KEY;
                return;
            }
            char list[256];
            size_t w = 0;
            for (size_t i = 0; i < dim->nunits && w < sizeof list - 40; i++)
                w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", i ? ", " : "",
                                      dim->units[i].name);
            diag_note(c->d, dg, "units of %s: %s", dim->name, list);
        } else {
            c->st = P_VALUE;
            c->qkey = -2;
            store_number(c, c->q_value, factor, c->q_unit, c->q_value_off, 1);
        }
    }
    c->st = P_KEY;
}

/* The quantity object's keys. */
static const char *const qty_keys[] = {"value", "unit"};

/* The declared field nearest to name (edit distance, as diag_suggest), or NULL: the best
 * of each group of 256 fields, then the best of those. */
static const char *suggest_field(const mga_ruleset *rs, const char *name)
{
    const char *cands[256], *best[256];
    size_t nb = 0;
    for (size_t i = 0; i < rs->nfields && nb < 256; i += 256) {
        size_t k = 0;
        for (; k < 256 && i + k < rs->nfields; k++)
            cands[k] = rs->fields[i + k].name;
        const char *b = diag_suggest(name, cands, k);
        if (b)
            best[nb++] = b;
    }
    return nb ? diag_suggest(name, best, nb) : NULL;
}

/* A key the schema does not declare: an error (E4013), or with allow_unknown_fields a
 * warning (W5001), with the nearest right key as a note. parent is NULL at the top level,
 * else the quantity field whose object holds the key. Past the cap it is only counted: no
 * path, no suggestion. */
static void unknown_key(pctx *c, const char *key, size_t len, const char *parent)
{
    diag_code code =
        c->rs->allow_unknown_fields ? DIAG_UNKNOWN_PROFILE_FIELD : DIAG_PROFILE_UNKNOWN_FIELD;
    if (!listed(c)) {
        pdiag(c, code, c->s_off, c->s_raw, NULL);
        return;
    }
    char pb[320], name[128];
    size_t shown = utf8_prefix(key, len, 120);
    memcpy(name, key, shown);
    name[shown] = '\0';
    snprintf(pb, sizeof pb, "$.%s%s%s%s", parent ? parent : "", parent ? "." : "", name,
             shown < len ? "..." : "");
    mga_diag *dg = pdiag(c, code, c->s_off, c->s_raw, pb, pb);
    const char *best = !dg      ? NULL
                       : parent ? diag_suggest(name, qty_keys, 2)
                                : suggest_field(c->rs, name);
    if (best)
        diag_note(c->d, dg, "did you mean '%s'?", best);
}

static int on_map_key(void *ud, const unsigned char *s, size_t len)
{
    pctx *c = ud;
    const char *key = (const char *)s;
    if (str_span(c, key, len, &c->s_off, &c->s_raw)) {
        char pb[160];
        if (c->st == P_QTY)
            snprintf(pb, sizeof pb, "$.%s", field_name(c));
        else
            snprintf(pb, sizeof pb, "$");
        if (!check_escapes(c, c->s_off, c->s_raw, pb)) {
            /* the key cannot be read: its value is skipped */
            if (c->st == P_QTY) {
                c->qkey = -1;
            } else if (c->st == P_KEY) {
                c->prevkey = PROFILE_KEYS;
                c->field = -1;
                c->st = P_SKIP;
                c->ret = P_KEY;
                c->skip = 0;
            }
            return keep_going(c);
        }
    }
    if (c->st == P_SKIP)
        return 1;
    if (c->st == P_QTY) {
        if (len == 5 && memcmp(key, "value", 5) == 0) {
            c->qkey = 0;
        } else if (len == 4 && memcmp(key, "unit", 4) == 0) {
            c->qkey = 1;
        } else {
            c->qkey = -1; /* its value is skipped */
            unknown_key(c, key, len, field_name(c));
            return keep_going(c);
        }
        return 1;
    }
    /* P_KEY */
    uint32_t *hint = c->prevkey < PROFILE_KEYS ? &c->p->keynext[c->prevkey] : NULL;
    int fi = graph_field_lookup_hint(c->rs, key, len, hint ? *hint : 0);
    if (hint)
        *hint = (uint32_t)(fi + 1);
    c->prevkey = fi >= 0 && (uint32_t)fi + 1 < PROFILE_KEYS ? (uint32_t)fi + 1 : PROFILE_KEYS;
    if (fi < 0) {
        unknown_key(c, key, len, NULL);
        c->field = -1;
        c->st = P_SKIP;
        c->ret = P_KEY;
        c->skip = 0; /* skip exactly one value */
        return keep_going(c);
    }
    c->field = fi;
    if (c->p->seen[fi]) {
        char pb[160];
        snprintf(pb, sizeof pb, "$.%s", c->rs->fields[fi].name);
        pdiag(c, DIAG_PROFILE_DUP, c->s_off, c->s_raw, pb, pb);
    }
    c->p->seen[fi] = 1;
    c->st = P_VALUE;
    return keep_going(c);
}

static int on_end_map(void *ud)
{
    pctx *c = ud;
    c->depth--;
    if (c->st == P_SKIP) {
        if (--c->skip == 0)
            c->st = c->ret;
        return 1;
    }
    if (c->st == P_QTY) {
        finish_qty(c);
        return keep_going(c);
    }
    c->st = P_DONE;
    return 1;
}

static int on_start_array(void *ud)
{
    pctx *c = ud;
    if (!deeper(c))
        return 0;
    if (qty_other(c)) {
        c->ret = P_QTY;
        c->skip = 1;
        c->st = P_SKIP;
        return 1;
    }
    if (c->st == P_SKIP) {
        c->skip++;
        return 1;
    }
    if (c->st == P_START) {
        pdiag(c, DIAG_PROFILE_NOT_OBJECT, here(c) - 1, 1, NULL, "an array");
        c->st = P_SKIP;
        c->ret = P_DONE;
        c->skip = 1;
        c->field = -1;
        return keep_going(c);
    }
    if (c->st == P_VALUE && c->rs->fields[c->field].type == FT_SET) {
        c->st = P_SET;
        c->index = 0;
        c->p->known[c->field] = 1;
        memset(c->p->bits + c->rs->fields[c->field].word, 0,
               c->rs->fields[c->field].nwords * sizeof(uint64_t));
        return 1;
    }
    type_error(c, "an array", 1);
    reject_container(c);
    return keep_going(c);
}

static int on_end_array(void *ud)
{
    pctx *c = ud;
    c->depth--;
    if (c->st == P_SKIP) {
        if (--c->skip == 0)
            c->st = c->ret;
        return 1;
    }
    c->st = P_KEY; /* end of a set */
    return 1;
}

/* Skipping a scalar of an unknown field: one value, then back to keys. */
static int skip_scalar(pctx *c)
{
    if (c->st == P_SKIP && c->skip == 0) {
        c->st = c->ret;
        return 1;
    }
    return 0;
}

static int cb_null(void *ud)
{
    return skip_scalar(ud) || qty_other(ud) ? 1 : on_null(ud);
}
static int cb_bool(void *ud, int v)
{
    return skip_scalar(ud) || qty_other(ud) ? 1 : on_bool(ud, v);
}
static int cb_number(void *ud, const char *s, size_t len)
{
    return skip_scalar(ud) || qty_other(ud) ? 1 : on_number(ud, s, len);
}
static int cb_string(void *ud, const unsigned char *s, size_t len)
{
    pctx *c = ud;
    /* every string is checked, the values skipped included: the input must be text */
    if (str_span(c, (const char *)s, len, &c->s_off, &c->s_raw)) {
        char pb[160];
        if (!check_escapes(c, c->s_off, c->s_raw, path(c, pb, sizeof pb))) {
            if (skip_scalar(c) || qty_other(c) || c->st == P_SKIP)
                return keep_going(c);
            if (c->st == P_START)
                c->st = P_DONE;
            else if (c->st == P_QTY)
                c->q_bad = true;
            else
                after_value(c);
            return keep_going(c);
        }
    }
    return skip_scalar(c) || qty_other(c) ? 1 : on_string(ud, s, len);
}

static const yajl_callbacks callbacks = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
    on_start_map, on_map_key, on_end_map, on_start_array, on_end_array,
};

void mga_profile_free(mga_profile *p)
{
    if (!p)
        return;
    mem m = p->m;
    mem_free(&m, p->pool, p->pool_cap);
    mem_free(&m, p->id_buf, p->id_cap);
    mem_free(&m, p->wtext, p->wtext_cap);
    mga_diags_free(p->spare);
    mem_free(&m, p, p->size);
}

mga_profile *profile_alloc(const mga_ruleset *rs)
{
    size_t nf = rs->nfields;
    size_t nz = rs->nwords / 64 + 1;
    size_t size = sizeof(mga_profile) + nf * sizeof(double) +
                  (rs->nwords + nz) * sizeof(uint64_t) + 2 * nf + 16;
    unsigned char *blk = mem_alloc(&rs->m, size);
    if (!blk)
        return NULL;
    memset(blk, 0, size);
    mga_profile *p = (mga_profile *)blk;
    p->m = rs->m;
    p->rs = rs;
    p->size = size;
    /* what every evaluation reads first, the sets' words (many, for a large schema) last */
    unsigned char *q = blk + sizeof *p;
    p->num = (double *)q;
    q += nf * sizeof(double);
    p->nz = (uint64_t *)q;
    q += nz * sizeof(uint64_t);
    p->known = q;
    p->seen = q + nf;
    q += (2 * nf + 7) / 8 * 8;
    p->bits = (uint64_t *)q;
    return p;
}

static bool all_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '.'))
        s[--n] = '\0';
}

/* Appends s (NUL included) to p->wtext; *at gets its offset (PROFILE_NONE for NULL). */
static bool wtext_add(mga_profile *p, const char *s, uint32_t *at)
{
    if (!s) {
        *at = PROFILE_NONE;
        return true;
    }
    size_t n = strlen(s) + 1;
    if (p->wtext_cap - p->wtext_len < n) {
        size_t cap = p->wtext_cap ? 2 * p->wtext_cap : 1024;
        while (cap - p->wtext_len < n)
            cap *= 2;
        char *nt = mem_realloc(&p->m, p->wtext, p->wtext_cap, cap);
        if (!nt)
            return false;
        p->wtext = nt;
        p->wtext_cap = cap;
    }
    memcpy(p->wtext + p->wtext_len, s, n);
    *at = (uint32_t)p->wtext_len;
    p->wtext_len += n;
    return true;
}

bool profile_keep_warnings(mga_profile *p, const mga_diags *d)
{
    for (size_t i = 0; i < mga_diags_count(d) && p->nwarn < MGA_PROFILE_MAX_DIAGS + 1; i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (dg->kind != MGA_DIAG_WARNING)
            continue;
        uint32_t k = p->nwarn;
        p->warn[k].code = dg->code;
        if (!wtext_add(p, dg->path, &p->warn[k].path) ||
            !wtext_add(p, dg->message, &p->warn[k].msg) ||
            !wtext_add(p, dg->note, &p->warn[k].note))
            return false;
        p->nwarn++;
    }
    return true;
}

/* A pool kept with a reused profile up to this size; a larger one is freed after use. */
#define YPOOL_KEEP ((size_t)256 << 10)

/* Parses json into p (empty, or reset by the caller). d receives the diagnostics; when
 * *dp is NULL it is made on the first one (lazy) and *dp set. */
static mga_status parse_into(const mga_ruleset *rs, const char *name, const char *json,
                             size_t len, mga_profile *p, mga_diags **dp, bool keep_pool)
{
    mga_diags *d = *dp ? *dp : diag_new(&rs->m, 0); /* pdiag caps the list */
    if (!d)
        return MGA_E_NOMEM;
    *dp = d;
    /* past the limit only the start is kept for the message: a diagnostic copies its source */
    size_t kept = len > MGA_PROFILE_MAX_BYTES ? 256 : len;
    pctx c = {0};
    c.rs = rs;
    c.p = p;
    c.d = d;
    c.dsrc = -1;
    c.name = name ? name : "<profile>";
    c.kept = kept;
    c.text = json;
    c.tlen = len;
    c.st = P_START;
    c.field = -1;
    c.max_depth = 64;
    mga_status st = MGA_OK;
    size_t bad;
    bool nul;
    if (!json || all_space(json, len)) {
        pdiag(&c, DIAG_PROFILE_EMPTY, 0, len, NULL);
    } else if (len > MGA_PROFILE_MAX_BYTES) {
        pdiag(&c, DIAG_PROFILE_SIZE, 0, 0, NULL, (size_t)MGA_PROFILE_MAX_BYTES);
    } else if ((bad = utf8_check((const unsigned char *)json, len, &nul)) < len) {
        /* JSON text is UTF-8; yajl lets overlong forms and surrogates through */
        char what[48];
        if (nul)
            snprintf(what, sizeof what, "NUL byte");
        else
            snprintf(what, sizeof what, "invalid UTF-8 (byte 0x%02x)", (unsigned char)json[bad]);
        pdiag(&c, DIAG_PROFILE_JSON, bad, 1, NULL, what);
    } else {
        ypool yp = {NULL, ypool_size(len), 0};
        if (yp.cap && p->pool_cap >= yp.cap) {
            yp.base = p->pool;
            yp.cap = p->pool_cap;
        } else if (yp.cap) {
            yp.base = mem_alloc(&p->m, yp.cap);
        }
        yajl_alloc_funcs af = ypool_funcs(&yp);
        c.h = yp.base ? yajl_alloc(&callbacks, &af, &c) : NULL;
        if (!c.h) {
            st = MGA_E_NOMEM;
        } else {
            /* strings were checked above, more strictly than yajl does */
            yajl_config(c.h, yajl_dont_validate_strings, 1);
            /* a byte-order mark is allowed (RFC 8259 lets a reader ignore it) and skipped;
             * offsets in messages still count it */
            c.bom = len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
            yajl_status ys = yajl_parse(c.h, (const unsigned char *)json + c.bom, len - c.bom);
            bool at_end = false; /* an error found only at the end: the input stops short */
            if (ys == yajl_status_ok) {
                ys = yajl_complete_parse(c.h);
                at_end = true;
            }
            if (c.oom || d->oom) {
                st = MGA_E_NOMEM;
            } else if (ys == yajl_status_error) {
                unsigned char *msg = yajl_get_error(c.h, 0, NULL, 0);
                size_t off = at_end ? len : here(&c);
                char buf[200];
                snprintf(buf, sizeof buf, "%s", msg ? (const char *)msg : "malformed");
                trim(buf);
                if (msg)
                    yajl_free_error(c.h, msg);
                if (off >= len && len)
                    off = len - 1;
                pdiag(&c, DIAG_PROFILE_JSON, off, 1, NULL, buf);
            } else if (ys == yajl_status_client_canceled && !mga_diags_error_count(d) &&
                       !c.more_err) {
                st = MGA_E_NOMEM;
            }
            yajl_free(c.h);
        }
        if (yp.base != p->pool) {
            if (keep_pool && yp.cap <= YPOOL_KEEP) {
                mem_free(&p->m, p->pool, p->pool_cap);
                p->pool = yp.base;
                p->pool_cap = yp.cap;
            } else {
                mem_free(&p->m, yp.base, yp.cap);
            }
        }
    }
    if (st == MGA_OK && (c.more_err || c.more_warn)) {
        /* "3 errors", "1 error, 2 warnings", "1 warning" */
        char what[96];
        int n = 0;
        if (c.more_err)
            n = snprintf(what, sizeof what, "%zu error%s", c.more_err, c.more_err == 1 ? "" : "s");
        if (c.more_warn)
            snprintf(what + n, sizeof what - (size_t)n, "%s%zu warning%s", n ? ", " : "",
                     c.more_warn, c.more_warn == 1 ? "" : "s");
        pdiag_more(&c, c.more_err ? DIAG_PROFILE_MORE : DIAG_PROFILE_MORE_WARNINGS, "$",
                   c.more_err + c.more_warn, what, (unsigned)MGA_PROFILE_MAX_DIAGS);
    }
    if (st == MGA_OK && d->oom)
        st = MGA_E_NOMEM;
    if (st == MGA_OK && mga_diags_error_count(d))
        st = MGA_E_PROFILE;
    if (st == MGA_OK && !profile_keep_warnings(p, d))
        st = MGA_E_NOMEM;
    p->valid = st == MGA_OK;
    return st;
}

mga_status mga_profile_parse(const mga_ruleset *rs, const char *name, const char *json,
                             size_t len, mga_profile **out, mga_diags **diags)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!rs || !out || (!json && len))
        return MGA_E_MISUSE;
    mga_diags *d = diag_new(&rs->m, 0); /* pdiag caps the list */
    mga_profile *p = d ? profile_alloc(rs) : NULL;
    if (!p) {
        mga_diags_free(d);
        return MGA_E_NOMEM;
    }
    mga_status st = parse_into(rs, name, json, len, p, &d, false);
    if (st != MGA_OK) {
        mga_profile_free(p);
        p = NULL;
    }
    *out = p;
    if (diags)
        *diags = d;
    else
        mga_diags_free(d);
    return st;
}

mga_status mga_profile_parse_reuse(const mga_ruleset *rs, const char *name, const char *json,
                                   size_t len, mga_profile **inout, mga_diags **diags)
{
    if (diags)
        *diags = NULL;
    if (!rs || !inout || (!json && len) || (*inout && (*inout)->rs != rs))
        return MGA_E_MISUSE;
    mga_profile *p = *inout;
    if (!p) {
        if (!(p = profile_alloc(rs)))
            return MGA_E_NOMEM;
        *inout = p;
    } else {
        /* back to empty: every slot after the header, no id, not valid */
        memset((unsigned char *)p + sizeof *p, 0, p->size - sizeof *p);
        p->id = NULL;
        p->id_number = false;
        p->valid = false;
        p->nsyms = 0;
        p->nwarn = 0;
        p->wtext_len = 0;
    }
    mga_diags *d = p->spare;
    p->spare = NULL;
    mga_status st = parse_into(rs, name, json, len, p, &d, true);
    if (d && diag_unused(d))
        p->spare = d; /* nothing was added: kept for the next call */
    else if (diags && d && (mga_diags_count(d) || st != MGA_OK))
        *diags = d;
    else
        mga_diags_free(d);
    return st;
}
