/* SPDX-License-Identifier: MIT */
/* FHIR input: a Bundle or an array of FHIR R4 resources, or the prefetch of a CDS Hooks
 * request, read (one parse, into a tree in an arena: jtree.c) through the rule set's bindings (fhirbind.c) into
 * profile JSON, which the profile reader then parses, so a FHIR input and the profile it
 * maps to give the same advice. The reader's warnings (a partial birth date; for a
 * prefetch also each resource the bindings did not use) are kept in that profile, with
 * their JSON paths, as the profile reader keeps its own, so every result evaluated from it
 * carries them. */
#include "diag.h"
#include "fhirbind.h"
#include "jsonesc.h"
#include "jtree.h"
#include "numfmt.h"
#include "profile.h"
#include "semantics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FHIR_MAX_DEPTH 64
#define PATH_MAX_LEN 400

/* What the resources gave one field. */
typedef struct fstate {
    bool known;      /* a number, one-of or boolean value */
    bool given;      /* a set field: its resources are present */
    bool cond_true;  /* a boolean made true by a condition */
    bool timed;      /* when holds the time of the value (an observation's) */
    double when;     /* effective time of the value, seconds; -INFINITY: undated */
    uint32_t value;  /* one-of: symbol index; boolean: 0/1 */
    const char *num; /* number: its JSON text */
    const char *unit; /* number: the unit name (of the rule set), or NULL */
    uint8_t *syms;   /* set: per symbol */
    char buf[32];    /* an age's text */
} fstate;

typedef struct fx {
    const mga_ruleset *rs;
    mga_diags *d;
    const char *name;
    const char *date;
    int ry, rm, rdd; /* the request date */
    fstate *st;
    char path[PATH_MAX_LEN + 48];
    size_t plen;
    size_t nread; /* resources read */
    bool patient; /* a Patient was read */
    yajl_val root; /* the input, where medicationReference looks */
    yajl_val prefetch; /* a CDS Hooks request's prefetch object, where it looks instead */
    bool note_unused;  /* warn (W5031) about each resource that gives no bound value */
    bool used;         /* the resource being read gave a bound value (or a bound code) */
    const char *why;   /* when it did not: why, for the warning */
    char whybuf[96];
} fx;

static void ferr(fx *x, diag_code code, ...)
{
    va_list ap;
    va_start(ap, code);
    diag_file_vadd(x->d, code, x->name, x->path, ap);
    va_end(ap);
}

/* At most 64 bytes of s, cut on a character boundary, for a message: a malformed value may
 * be as long as the input. */
static const char *clip(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n < cap)
        return s;
    n = cap - 4;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(buf, s, n);
    memcpy(buf + n, "...", 4);
    return buf;
}

#define CLIP_CAP 68

static void unused(fx *x, yajl_val r, const char *rt);

/* Path segments: push returns the old length for pop. A key is cut at 40 bytes. They are
 * pushed for every member read, so they are copied by hand rather than printed. */
static size_t push_key(fx *x, const char *key)
{
    size_t old = x->plen;
    if (x->plen < PATH_MAX_LEN) {
        size_t n = strnlen(key, 40);
        x->path[x->plen++] = '.';
        memcpy(x->path + x->plen, key, n);
        x->plen += n;
        x->path[x->plen] = '\0';
    }
    return old;
}

static size_t push_ix(fx *x, size_t i)
{
    size_t old = x->plen;
    if (x->plen < PATH_MAX_LEN) {
        char d[24];
        size_t k = 0;
        do
            d[k++] = (char)('0' + i % 10);
        while ((i /= 10) != 0);
        x->path[x->plen++] = '[';
        while (k)
            x->path[x->plen++] = d[--k];
        x->path[x->plen++] = ']';
        x->path[x->plen] = '\0';
    }
    return old;
}

static void pop(fx *x, size_t old)
{
    x->plen = old;
    x->path[old] = '\0';
}

static const char *jtype(yajl_val v)
{
    if (!v || YAJL_IS_NULL(v))
        return "null";
    if (YAJL_IS_OBJECT(v))
        return "an object";
    if (YAJL_IS_ARRAY(v))
        return "an array";
    if (YAJL_IS_STRING(v))
        return "a string";
    if (YAJL_IS_NUMBER(v))
        return "a number";
    return "a boolean";
}

static yajl_val get(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    /* the first byte tells most keys apart without a call */
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (obj->u.object.keys[i][0] == key[0] && strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

/* Member key of obj, checked to be of the type want ("an object"...) when present: NULL when
 * absent or null; on a wrong type reports it and sets *bad. */
static yajl_val member(fx *x, yajl_val obj, const char *key, const char *want, bool *bad)
{
    yajl_val v = get(obj, key);
    if (!v || YAJL_IS_NULL(v))
        return NULL;
    const char *t = jtype(v);
    if (t != want && strcmp(t, want) != 0) { /* the same literal, mostly: no call */
        size_t old = push_key(x, key);
        ferr(x, DIAG_FHIR_TYPE, x->path, want, jtype(v));
        pop(x, old);
        *bad = true;
        return NULL;
    }
    return v;
}

static const char *str_member(fx *x, yajl_val obj, const char *key, bool *bad)
{
    yajl_val v = member(x, obj, key, "a string", bad);
    return v ? v->u.string : NULL;
}

/* ---- dates ---- */

static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* A FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) or, with time, a dateTime/instant (those, or a
 * full date with Thh:mm:ss[.f+] and Z or +hh:mm). Returns the precision (1 year, 2 month,
 * 3 day, 4 time) or 0 when s is not one; *secs is its first second, UTC. */
static int parse_when(const char *s, bool time, int *y, int *m, int *d, double *secs)
{
    *m = 1;
    *d = 1;
    int prec = 1;
    size_t n = strlen(s);
    if (n < 4 || !digits(s, 4, y))
        return 0;
    if (n > 4) {
        if (n < 7 || s[4] != '-' || !digits(s + 5, 2, m) || *m < 1 || *m > 12)
            return 0;
        prec = 2;
    }
    if (n > 7) {
        if (n < 10 || s[7] != '-' || !digits(s + 8, 2, d) || *d < 1 ||
            *d > days_in_month(*y, *m))
            return 0;
        prec = 3;
    }
    double t = (double)days_from_civil(*y, *m, *d) * 86400.0;
    if (n > 10) {
        int hh, mm, ss, oh, om;
        const char *p = s + 10;
        if (!time || p[0] != 'T' || !digits(p + 1, 2, &hh) || p[3] != ':' ||
            !digits(p + 4, 2, &mm) || p[6] != ':' || !digits(p + 7, 2, &ss) || hh > 23 ||
            mm > 59 || ss > 60)
            return 0;
        p += 9;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return 0;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        int sign = 0;
        if (*p == 'Z' && p[1] == '\0') {
            oh = om = 0;
        } else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
                   digits(p + 4, 2, &om) && p[6] == '\0' && oh <= 14 && om <= 59) {
            sign = *p == '+' ? 1 : -1;
        } else {
            return 0;
        }
        t += hh * 3600.0 + mm * 60.0 + ss - sign * (oh * 3600.0 + om * 60.0);
        prec = 4;
    }
    *secs = t;
    return prec;
}

/* ---- codes ---- */

static int sys_of(const char *uri)
{
    for (int i = 0; i < FHIR_NSYS; i++)
        if (strcmp(fhirbind_sys_uri((fhir_sys)i), uri) == 0)
            return i;
    return -1;
}

/* Whether a coding (sys, code) is the bound code c: equal, or for ATC and ICD-10-CM within
 * the class c names. */
static bool code_is(const g_fcode *c, int sys, const char *code)
{
    return (int)c->sys == sys && fhirbind_code_within(c->sys, c->code, code);
}

/* The codings of the CodeableConcept member key of obj, each passed to fn; false when one
 * is malformed (reported). */
typedef void (*coding_fn)(fx *x, void *ud, int sys, const char *code);

static bool each_coding(fx *x, yajl_val obj, const char *key, coding_fn fn, void *ud)
{
    bool bad = false;
    yajl_val cc = member(x, obj, key, "an object", &bad);
    if (bad)
        return false;
    if (!cc)
        return true;
    size_t old = push_key(x, key);
    yajl_val cv = member(x, cc, "coding", "an array", &bad);
    size_t o2 = push_key(x, "coding");
    for (size_t i = 0; cv && i < cv->u.array.len && !bad; i++) {
        yajl_val c = cv->u.array.values[i];
        size_t o3 = push_ix(x, i);
        if (!YAJL_IS_OBJECT(c)) {
            ferr(x, DIAG_FHIR_TYPE, x->path, "an object", jtype(c));
            bad = true;
        } else {
            const char *sys = str_member(x, c, "system", &bad);
            const char *code = str_member(x, c, "code", &bad);
            if (!bad && code)
                fn(x, ud, sys ? sys_of(sys) : -1, code);
        }
        pop(x, o3);
    }
    pop(x, o2);
    pop(x, old);
    return !bad;
}

/* A bound value found: set, one-of or boolean. when: its time (observations), or NAN. */
static void found(fx *x, const g_fbind *b, uint32_t value, double when)
{
    const g_field *f = &x->rs->fields[b->field];
    fstate *s = &x->st[b->field];
    x->used = true;
    if (f->type == FT_SET) {
        s->syms[value] = 1;
        s->given = true;
        return;
    }
    if (!isnan(when)) { /* an observation: the latest one decides */
        if (s->timed && when < s->when)
            return;
        s->timed = true;
        s->when = when;
        s->known = true;
        s->value = value;
        return;
    }
    if (f->type == FT_BOOL && value == 1) {
        s->cond_true = true;
        return;
    }
    /* a one-of value from a condition: of several, the first declared */
    if (!s->known || s->timed || value < s->value) {
        s->known = true;
        s->timed = false;
        s->value = value;
    }
}

typedef struct match_ud {
    const g_fbind *b;
    double when;
    bool any;
} match_ud;

static void match_values(fx *x, void *ud, int sys, const char *code)
{
    match_ud *m = ud;
    for (size_t i = 0; i < m->b->nvalues; i++)
        if (code_is(&m->b->values[i], sys, code)) {
            found(x, m->b, m->b->values[i].value, m->when);
            m->any = true;
        }
}

static void match_obs(fx *x, void *ud, int sys, const char *code)
{
    (void)x;
    match_ud *m = ud;
    for (size_t i = 0; i < m->b->nobs; i++)
        if (code_is(&m->b->obs[i], sys, code))
            m->any = true;
}

/* Only checks the codings' shape. */
static void match_nothing(fx *x, void *ud, int sys, const char *code)
{
    (void)x;
    (void)ud;
    (void)sys;
    (void)code;
}

typedef struct status_ud {
    const char *const *codes;
    bool any;
} status_ud;

static void match_status(fx *x, void *ud, int sys, const char *code)
{
    (void)x;
    (void)sys;
    status_ud *s = ud;
    for (size_t i = 0; s->codes[i]; i++)
        if (strcmp(s->codes[i], code) == 0)
            s->any = true;
}

/* ---- resources ---- */

/* The factor to the base of f's unit named u (NULL: its declared unit). */
static double unit_factor(const mga_ruleset *rs, const g_field *f, const char *u)
{
    if (u && f->dim >= 0) {
        const g_dim *dm = &rs->dims[f->dim];
        for (size_t i = 0; i < dm->nunits; i++)
            if (strcmp(dm->units[i].name, u) == 0)
                return dm->units[i].factor;
    }
    return f->unit_f;
}

/* Whether v, in the unit whose factor to the base is factor (written unit, or NULL for
 * the field's declared one), lies in field f's range, as the profile reader checks it; if
 * not, reports it at the resource's own path (x->path) and returns false. */
static bool in_range(fx *x, const g_field *f, double v, double factor, const char *unit)
{
    double base = v * factor;
    bool ok = f->has_range ? !(base < f->lo - NUM_REL_TOL * fabs(f->lo) ||
                               base > f->hi + NUM_REL_TOL * fabs(f->hi))
                           : fabs(base) <= G_NUM_MAX + NUM_REL_TOL * G_NUM_MAX;
    if (ok)
        return true;
    char val[64], vnum[40], lo[40], hi[40], rng[120];
    const char *ru = f->has_range ? f->unit
                     : f->dim >= 0 ? x->rs->dims[f->dim].units[0].name
                                   : NULL;
    num_fmt(vnum, sizeof vnum, v);
    if (!unit)
        unit = f->unit;
    snprintf(val, sizeof val, "%s%s%s", vnum, unit ? " " : "", unit ? unit : "");
    if (f->has_range) {
        num_fmt(lo, sizeof lo, f->ulo);
        num_fmt(hi, sizeof hi, f->uhi);
    } else {
        snprintf(lo, sizeof lo, "-1e300");
        snprintf(hi, sizeof hi, "1e300");
    }
    snprintf(rng, sizeof rng, "%s..%s%s%s", lo, hi, ru ? " " : "", ru ? ru : "");
    ferr(x, DIAG_PROFILE_RANGE, x->path, val, rng);
    return false;
}

static void read_patient(fx *x, yajl_val r)
{
    if (x->patient) {
        x->why = "only the first Patient is read";
        return; /* the first Patient is the one the profile describes */
    }
    x->patient = true;
    for (size_t i = 0; i < x->rs->nfbinds; i++)
        if (x->rs->fbinds[i].kind == FB_BIRTHDATE || x->rs->fbinds[i].kind == FB_GENDER)
            x->used = true; /* it says who the patient is, when missing values too */
    x->why = "no rule reads a Patient's birth date or gender";
    bool bad = false;
    const char *birth = str_member(x, r, "birthDate", &bad);
    const char *gender = str_member(x, r, "gender", &bad);
    int by = 0, bm = 0, bd = 0, prec = 0;
    double t;
    if (birth) {
        size_t old = push_key(x, "birthDate");
        prec = parse_when(birth, false, &by, &bm, &bd, &t);
        char cb[CLIP_CAP];
        if (!prec)
            ferr(x, DIAG_FHIR_DATE, x->path, clip(cb, sizeof cb, birth),
                 "date (YYYY, YYYY-MM or YYYY-MM-DD)");
        else if (by > x->ry || (by == x->ry && (bm > x->rm || (bm == x->rm && bd > x->rdd))))
            ferr(x, DIAG_FHIR_BORN_AFTER, x->path, clip(cb, sizeof cb, birth), x->date);
        else if (prec < 3)
            ferr(x, DIAG_FHIR_PARTIAL_BIRTHDATE, x->path, clip(cb, sizeof cb, birth), x->date);
        pop(x, old);
        if (mga_diags_error_count(x->d))
            return;
    }
    for (size_t i = 0; i < x->rs->nfbinds; i++) {
        const g_fbind *b = &x->rs->fbinds[i];
        fstate *s = &x->st[b->field];
        if (b->kind == FB_BIRTHDATE && prec == 3) {
            int age = x->ry - by - (x->rm < bm || (x->rm == bm && x->rdd < bd));
            const g_field *f = &x->rs->fields[b->field];
            size_t old = push_key(x, "birthDate");
            bool ok = in_range(x, f, age, unit_factor(x->rs, f, "years"), "years");
            pop(x, old);
            if (!ok)
                continue;
            snprintf(s->buf, sizeof s->buf, "%d", age);
            s->num = s->buf;
            s->unit = "years";
            s->known = true;
        } else if (b->kind == FB_GENDER && gender) {
            for (size_t k = 0; k < b->nvalues; k++)
                if (code_is(&b->values[k], FHIR_GENDER, gender))
                    found(x, b, b->values[k].value, NAN);
        }
    }
}

static const char *const clinical_active[] = {"active", "recurrence", "relapse", NULL};
static const char *const not_confirmed[] = {"refuted", "entered-in-error", NULL};

static void read_condition(fx *x, yajl_val r)
{
    status_ud act = {clinical_active, false}, ref = {not_confirmed, false};
    match_ud none = {NULL, NAN, false};
    if (!each_coding(x, r, "clinicalStatus", match_status, &act) ||
        !each_coding(x, r, "verificationStatus", match_status, &ref) ||
        !each_coding(x, r, "code", match_nothing, &none))
        return;
    for (size_t i = 0; i < x->rs->nfbinds; i++) {
        const g_fbind *b = &x->rs->fbinds[i];
        if (b->kind != FB_CONDITION)
            continue;
        x->st[b->field].given = true;
        if (!act.any || ref.any) {
            x->why = ref.any ? "refuted or entered in error" : "not active";
            continue;
        }
        match_ud m = {b, NAN, false};
        if (!each_coding(x, r, "code", match_values, &m))
            return;
    }
}

static bool is_medication(yajl_val m, const char *id)
{
    yajl_val t = get(m, "resourceType"), i = get(m, "id");
    return t && YAJL_IS_STRING(t) && strcmp(t->u.string, "Medication") == 0 && id && i &&
           YAJL_IS_STRING(i) && strcmp(i->u.string, id) == 0;
}

/* The Medication a reference names, with its JSON path in path: "#id" among r's contained
 * resources, "Medication/id" or an entry's fullUrl among the input's; NULL when absent. */
static yajl_val find_medication(fx *x, yajl_val r, const char *ref, char *path, size_t cap)
{
    if (ref[0] == '#') {
        yajl_val c = get(r, "contained");
        for (size_t i = 0; c && YAJL_IS_ARRAY(c) && i < c->u.array.len; i++)
            if (is_medication(c->u.array.values[i], ref + 1)) {
                snprintf(path, cap, "%s.contained[%zu]", x->path, i);
                return c->u.array.values[i];
            }
        return NULL;
    }
    const char *id = strncmp(ref, "Medication/", 11) == 0 ? ref + 11 : NULL;
    yajl_val pre = x->prefetch;
    for (size_t i = 0; pre && i < pre->u.object.len; i++) {
        /* a prefetch: by id among its resources and its Bundles' entries */
        yajl_val v = pre->u.object.values[i];
        yajl_val t = get(v, "resourceType");
        const char *key = pre->u.object.keys[i];
        if (!(YAJL_IS_STRING(t) && strcmp(t->u.string, "Bundle") == 0)) {
            if (is_medication(v, id)) {
                snprintf(path, cap, "$.prefetch.%.40s", key);
                return v;
            }
            continue;
        }
        yajl_val e = get(v, "entry");
        for (size_t j = 0; YAJL_IS_ARRAY(e) && j < e->u.array.len; j++) {
            yajl_val m = get(e->u.array.values[j], "resource");
            if (YAJL_IS_OBJECT(m) && is_medication(m, id)) {
                snprintf(path, cap, "$.prefetch.%.40s.entry[%zu].resource", key, j);
                return m;
            }
        }
    }
    if (pre)
        return NULL;
    yajl_val root = x->root;
    if (YAJL_IS_ARRAY(root)) {
        for (size_t i = 0; i < root->u.array.len; i++)
            if (is_medication(root->u.array.values[i], id)) {
                snprintf(path, cap, "$[%zu]", i);
                return root->u.array.values[i];
            }
        return NULL;
    }
    yajl_val e = get(root, "entry");
    for (size_t i = 0; e && YAJL_IS_ARRAY(e) && i < e->u.array.len; i++) {
        yajl_val m = get(e->u.array.values[i], "resource");
        yajl_val full = get(e->u.array.values[i], "fullUrl");
        bool by_url = full && YAJL_IS_STRING(full) && strcmp(full->u.string, ref) == 0;
        yajl_val t = m ? get(m, "resourceType") : NULL;
        bool med = t && YAJL_IS_STRING(t) && strcmp(t->u.string, "Medication") == 0;
        if (med && (is_medication(m, id) || by_url)) {
            snprintf(path, cap, "$.entry[%zu].resource", i);
            return m;
        }
    }
    return NULL;
}

static void read_medication(fx *x, yajl_val r, bool request)
{
    bool bad = false;
    const char *status = str_member(x, r, "status", &bad);
    if (bad)
        return;
    for (size_t i = 0; i < x->rs->nfbinds; i++) {
        const g_fbind *b = &x->rs->fbinds[i];
        if (b->kind != FB_MEDICATION || !(request ? b->med_request : b->med_statement))
            continue;
        x->st[b->field].given = true;
        if (!status || strcmp(status, "active") != 0) {
            char cb[CLIP_CAP];
            snprintf(x->whybuf, sizeof x->whybuf, "its status is '%s', not active",
                     status ? clip(cb, sizeof cb, status) : "(none)");
            x->why = x->whybuf;
            continue;
        }
        match_ud m = {b, NAN, false};
        if (get(r, "medicationCodeableConcept")) {
            if (!each_coding(x, r, "medicationCodeableConcept", match_values, &m))
                return;
            continue;
        }
        /* a medicine given by reference: its Medication's code */
        yajl_val mr = member(x, r, "medicationReference", "an object", &bad);
        size_t old = push_key(x, "medicationReference");
        const char *ref = mr ? str_member(x, mr, "reference", &bad) : NULL;
        pop(x, old);
        if (bad)
            return;
        char mpath[sizeof x->path + 64];
        yajl_val med = ref ? find_medication(x, r, ref, mpath, sizeof mpath) : NULL;
        if (!med)
            continue;
        char saved[sizeof x->path];
        size_t slen = x->plen;
        memcpy(saved, x->path, slen + 1);
        size_t ml = strlen(mpath);
        if (ml >= sizeof x->path)
            ml = sizeof x->path - 1;
        memcpy(x->path, mpath, ml);
        x->path[ml] = '\0';
        x->plen = ml;
        bool ok = each_coding(x, med, "code", match_values, &m);
        memcpy(x->path, saved, slen + 1);
        x->plen = slen;
        if (!ok)
            return;
    }
}

/* The latest instant an observation's effective[x] names: -INFINITY when it has none;
 * NAN when it is malformed (reported). */
static double effective(fx *x, yajl_val r)
{
    static const char *const keys[] = {"effectiveDateTime", "effectiveInstant"};
    bool bad = false;
    int y, m, d;
    double t = -INFINITY;
    for (size_t k = 0; k < 2; k++) {
        const char *s = str_member(x, r, keys[k], &bad);
        if (bad)
            return NAN;
        if (s) {
            size_t old = push_key(x, keys[k]);
            bool ok = parse_when(s, true, &y, &m, &d, &t) != 0;
            char cb[CLIP_CAP];
            if (!ok)
                ferr(x, DIAG_FHIR_DATE, x->path, clip(cb, sizeof cb, s), "dateTime");
            pop(x, old);
            return ok ? t : NAN;
        }
    }
    yajl_val per = member(x, r, "effectivePeriod", "an object", &bad);
    if (bad)
        return NAN;
    if (per) {
        size_t old = push_key(x, "effectivePeriod");
        static const char *const ends[] = {"end", "start"};
        for (size_t k = 0; k < 2; k++) {
            const char *s = str_member(x, per, ends[k], &bad);
            if (bad)
                break;
            if (s) {
                size_t o2 = push_key(x, ends[k]);
                if (!parse_when(s, true, &y, &m, &d, &t)) {
                    char cb[CLIP_CAP];
                    ferr(x, DIAG_FHIR_DATE, x->path, clip(cb, sizeof cb, s), "dateTime");
                    bad = true;
                }
                pop(x, o2);
                break;
            }
        }
        pop(x, old);
    }
    return bad ? NAN : t;
}

static const char *const obs_final[] = {"final", "amended", "corrected", NULL};

/* The unit u of field f's dimension, or NULL. */
static const char *dim_unit(const mga_ruleset *rs, const g_field *f, const char *u)
{
    if (f->dim < 0)
        return NULL;
    const g_dim *dm = &rs->dims[f->dim];
    for (size_t i = 0; i < dm->nunits; i++)
        if (strcmp(dm->units[i].name, u) == 0)
            return dm->units[i].name;
    return NULL;
}

static void read_quantity(fx *x, yajl_val r, const g_fbind *b, double when)
{
    const g_field *f = &x->rs->fields[b->field];
    fstate *s = &x->st[b->field];
    bool bad = false;
    yajl_val q = member(x, r, "valueQuantity", "an object", &bad);
    if (!q || bad) {
        x->why = "it gives no value (valueQuantity)";
        return; /* no value (dataAbsentReason, a component panel): nothing to read */
    }
    size_t old = push_key(x, "valueQuantity");
    yajl_val v = member(x, q, "value", "a number", &bad);
    const char *sys = str_member(x, q, "system", &bad);
    const char *code = str_member(x, q, "code", &bad);
    const char *unit = str_member(x, q, "unit", &bad);
    if (!bad && !v) {
        size_t o2 = push_key(x, "value");
        ferr(x, DIAG_FHIR_TYPE, x->path, "a number", "nothing");
        pop(x, o2);
        bad = true;
    }
    /* the UCUM code when the quantity gives one, else its human-readable unit */
    const char *u = code && (!sys || strcmp(sys, "http://unitsofmeasure.org") == 0) ? code : unit;
    const char *known = NULL;
    if (!bad && f->dim >= 0) {
        known = u ? dim_unit(x->rs, f, u) : NULL;
        if (!known) {
            size_t o2 = push_key(x, u == code ? "code" : "unit");
            char want[256];
            size_t w = 0;
            const g_dim *dm = &x->rs->dims[f->dim];
            want[0] = '\0';
            for (size_t i = 0; i < dm->nunits && w < sizeof want - 64; i++)
                w += (size_t)snprintf(want + w, sizeof want - w, "%s%s",
                                      i == 0 ? "" : i + 1 == dm->nunits ? " or " : ", ",
                                      dm->units[i].name);
            char cb[CLIP_CAP];
            ferr(x, DIAG_FHIR_UNIT, x->path, u ? clip(cb, sizeof cb, u) : "(none)", f->name, want);
            pop(x, o2);
            bad = true;
        }
    } else if (!bad && u && strcmp(u, "1") != 0) {
        size_t o2 = push_key(x, u == code ? "code" : "unit");
        char cb[CLIP_CAP];
        ferr(x, DIAG_FHIR_UNIT, x->path, clip(cb, sizeof cb, u), f->name, "no unit ('1')");
        pop(x, o2);
        bad = true;
    }
    if (!bad) {
        /* the value as the profile reader will take it: a finite number in the range */
        size_t o2 = push_key(x, "value");
        errno = 0;
        double num = strtod(v->u.number.r, NULL);
        if (!isfinite(num) || (errno == ERANGE && fabs(num) > 1)) {
            char cb[CLIP_CAP];
            ferr(x, DIAG_PROFILE_NUMBER, x->path, clip(cb, sizeof cb, v->u.number.r));
            bad = true;
        } else {
            bad = !in_range(x, f, errno == ERANGE ? 0 : num, unit_factor(x->rs, f, known),
                            known);
        }
        pop(x, o2);
    }
    pop(x, old);
    if (bad)
        return;
    x->used = true; /* a value of a bound code, the latest one or not */
    if (s->timed && when < s->when)
        return;
    s->timed = true;
    s->when = when;
    s->known = true;
    s->num = v->u.number.r;
    s->unit = known;
}

static void read_observation(fx *x, yajl_val r)
{
    bool bad = false;
    const char *status = str_member(x, r, "status", &bad);
    bool final = false;
    for (size_t i = 0; status && obs_final[i]; i++)
        final |= strcmp(status, obs_final[i]) == 0;
    if (!bad && !final) {
        char cb[CLIP_CAP];
        snprintf(x->whybuf, sizeof x->whybuf, "its status is '%s', not final",
                 status ? clip(cb, sizeof cb, status) : "(none)");
        x->why = x->whybuf;
    }
    if (bad || !final)
        return;
    double when = NAN;
    bool timed = false;
    for (size_t i = 0; i < x->rs->nfbinds; i++) {
        const g_fbind *b = &x->rs->fbinds[i];
        if (b->kind != FB_OBSERVATION)
            continue;
        match_ud m = {b, NAN, false};
        if (!each_coding(x, r, "code", match_obs, &m))
            return;
        if (!m.any)
            continue;
        if (!timed) {
            when = effective(x, r);
            timed = true;
            if (isnan(when))
                return;
        }
        if (x->rs->fields[b->field].type == FT_NUMBER) {
            read_quantity(x, r, b, when);
        } else {
            match_ud v = {b, when, false};
            x->why = "its value is not one the rules read";
            if (!each_coding(x, r, "valueCodeableConcept", match_values, &v))
                return;
        }
    }
}

static void read_resource(fx *x, yajl_val r)
{
    if (!YAJL_IS_OBJECT(r)) {
        ferr(x, DIAG_FHIR_TYPE, x->path, "a resource (an object)", jtype(r));
        return;
    }
    yajl_val t = get(r, "resourceType");
    if (!t || !YAJL_IS_STRING(t)) {
        ferr(x, DIAG_FHIR_RESOURCE_TYPE, x->path);
        return;
    }
    const char *rt = t->u.string;
    x->nread++;
    size_t nerr = mga_diags_error_count(x->d);
    x->used = false;
    x->why = "no rule reads its code";
    if (strcmp(rt, "Patient") == 0)
        read_patient(x, r);
    else if (strcmp(rt, "Condition") == 0)
        read_condition(x, r);
    else if (strcmp(rt, "MedicationRequest") == 0)
        read_medication(x, r, true);
    else if (strcmp(rt, "MedicationStatement") == 0)
        read_medication(x, r, false);
    else if (strcmp(rt, "Observation") == 0)
        read_observation(x, r);
    else if (strcmp(rt, "Medication") == 0)
        x->used = true; /* read through the medicationReference that names it */
    else { /* other resources carry nothing the bindings read */
        char cb[CLIP_CAP];
        snprintf(x->whybuf, sizeof x->whybuf, "no rule reads %s resources",
                 clip(cb, sizeof cb, rt));
        x->why = x->whybuf;
    }
    if (x->note_unused && !x->used && mga_diags_error_count(x->d) == nerr)
        unused(x, r, rt);
}

/* A prefetch value that is neither null nor an object, or a resource that gave no bound
 * value: warning W5031 at its path, naming it by what a clinician reads (code.text, else
 * its first coding's display or code). */
static const char *label_of(yajl_val r)
{
    static const char *const keys[] = {"code", "medicationCodeableConcept"};
    for (size_t k = 0; k < 2; k++) {
        yajl_val cc = get(r, keys[k]);
        if (!YAJL_IS_OBJECT(cc))
            continue;
        yajl_val t = get(cc, "text");
        if (YAJL_IS_STRING(t) && t->u.string[0])
            return t->u.string;
        yajl_val cv = get(cc, "coding");
        for (size_t i = 0; YAJL_IS_ARRAY(cv) && i < cv->u.array.len; i++) {
            yajl_val d = get(cv->u.array.values[i], "display");
            if (YAJL_IS_STRING(d) && d->u.string[0])
                return d->u.string;
            yajl_val c = get(cv->u.array.values[i], "code");
            if (YAJL_IS_STRING(c) && c->u.string[0])
                return c->u.string;
        }
    }
    return NULL;
}

static void unused(fx *x, yajl_val r, const char *rt)
{
    char what[2 * CLIP_CAP + 8], cb[CLIP_CAP], cl[CLIP_CAP];
    const char *label = r ? label_of(r) : NULL;
    if (!r)
        snprintf(what, sizeof what, "%s", rt);
    else if (label)
        snprintf(what, sizeof what, "%s '%s'", clip(cb, sizeof cb, rt),
                 clip(cl, sizeof cl, label));
    else
        snprintf(what, sizeof what, "%s", clip(cb, sizeof cb, rt));
    ferr(x, DIAG_FHIR_UNUSED, x->path, what, x->why);
}

/* The prefetch of a CDS Hooks request: each member a resource or a Bundle (its entries'
 * resources), null for one not prefetched; as cds.c read them, entries that are not an
 * object holding a resource object are passed over. */
static void read_prefetch(fx *x, yajl_val root)
{
    if (!YAJL_IS_OBJECT(root)) {
        ferr(x, DIAG_FHIR_TYPE, x->path, "a CDS Hooks request (an object)", jtype(root));
        return;
    }
    bool bad = false;
    yajl_val pre = member(x, root, "prefetch", "an object", &bad);
    if (!pre)
        return; /* nothing read: E4036 says so */
    x->prefetch = pre;
    size_t o1 = push_key(x, "prefetch");
    for (size_t i = 0; i < pre->u.object.len; i++) {
        yajl_val v = pre->u.object.values[i];
        size_t o2 = push_key(x, pre->u.object.keys[i]);
        yajl_val t = get(v, "resourceType");
        if (YAJL_IS_NULL(v)) {
            /* not prefetched */
        } else if (!YAJL_IS_OBJECT(v)) {
            x->why = "not a FHIR resource or Bundle";
            if (x->note_unused)
                unused(x, NULL, jtype(v));
        } else if (YAJL_IS_STRING(t) && strcmp(t->u.string, "Bundle") == 0) {
            yajl_val entries = get(v, "entry");
            size_t o3 = push_key(x, "entry");
            for (size_t j = 0; YAJL_IS_ARRAY(entries) && j < entries->u.array.len; j++) {
                yajl_val res = get(entries->u.array.values[j], "resource");
                if (!YAJL_IS_OBJECT(res))
                    continue;
                size_t o4 = push_ix(x, j);
                push_key(x, "resource");
                read_resource(x, res);
                pop(x, o4);
            }
            pop(x, o3);
        } else {
            read_resource(x, v);
        }
        pop(x, o2);
    }
    pop(x, o1);
}

static void read_root(fx *x, yajl_val root)
{
    if (YAJL_IS_ARRAY(root)) {
        for (size_t i = 0; i < root->u.array.len; i++) {
            size_t old = push_ix(x, i);
            read_resource(x, root->u.array.values[i]);
            pop(x, old);
        }
        return;
    }
    yajl_val t = get(root, "resourceType");
    if (!t || !YAJL_IS_STRING(t) || strcmp(t->u.string, "Bundle") != 0) {
        char what[96];
        if (t && YAJL_IS_STRING(t))
            snprintf(what, sizeof what, "a %.40s resource", t->u.string);
        else
            snprintf(what, sizeof what, "%s%s", jtype(root),
                     YAJL_IS_OBJECT(root) ? " without resourceType" : "");
        ferr(x, DIAG_FHIR_NOT_BUNDLE, x->path, what);
        return;
    }
    bool bad = false;
    yajl_val entries = member(x, root, "entry", "an array", &bad);
    size_t o1 = push_key(x, "entry");
    for (size_t i = 0; entries && i < entries->u.array.len; i++) {
        yajl_val e = entries->u.array.values[i];
        size_t old = push_ix(x, i);
        if (!YAJL_IS_OBJECT(e)) {
            ferr(x, DIAG_FHIR_TYPE, x->path, "an object", jtype(e));
        } else {
            yajl_val r = get(e, "resource");
            if (r && !YAJL_IS_NULL(r)) { /* a transaction's DELETE has none */
                size_t o2 = push_key(x, "resource");
                read_resource(x, r);
                pop(x, o2);
            }
        }
        pop(x, old);
    }
    pop(x, o1);
}

/* The profile JSON of what the resources gave. */
static void write_profile(fx *x, outbuf *o, size_t *nfields)
{
    const mga_ruleset *rs = x->rs;
    bool first = true;
    outbuf_add(o, "{", 1);
    for (size_t i = 0; i < rs->nfields; i++) {
        const g_field *f = &rs->fields[i];
        const fstate *s = &x->st[i];
        bool has = f->type == FT_SET ? s->given : f->type == FT_BOOL ? s->known || s->cond_true
                                                                     : s->known;
        if (!has)
            continue;
        (*nfields)++;
        if (!first)
            outbuf_add(o, ",", 1);
        first = false;
        json_str(o, f->name);
        outbuf_add(o, ":", 1);
        switch (f->type) {
        case FT_NUMBER:
            if (s->unit && !(f->unit && strcmp(f->unit, s->unit) == 0)) {
                outbuf_printf(o, "{\"value\":%s,\"unit\":", s->num);
                json_str(o, s->unit);
                outbuf_add(o, "}", 1);
            } else {
                outbuf_put(o, s->num, strlen(s->num));
            }
            break;
        case FT_BOOL:
            if (s->cond_true || s->value)
                outbuf_add(o, "true", 4);
            else
                outbuf_add(o, "false", 5);
            break;
        case FT_ENUM:
            json_str(o, f->syms[s->value]);
            break;
        case FT_SET: {
            bool f1 = true;
            outbuf_add(o, "[", 1);
            for (size_t k = 0; k < f->nsyms; k++) {
                if (!s->syms[k])
                    continue;
                if (!f1)
                    outbuf_add(o, ",", 1);
                f1 = false;
                json_str(o, f->syms[k]);
            }
            outbuf_add(o, "]", 1);
            break;
        }
        case FT_TEXT:
            break;
        }
    }
    outbuf_add(o, "}\n", 2);
}

/* How write_json writes a value: whole; as its outline ({} for an object, [] for an array);
 * an object as its keys, each with its value's outline; or as a request, every member whole
 * but "prefetch", written as its keys. Arrays are whole only when the value is; scalars
 * (null included) are always as they are. */
enum { W_WHOLE, W_OUTLINE, W_KEYS, W_REQUEST };

/* v as JSON text, as how says (depth bounded by the parse). */
static void write_json(outbuf *w, yajl_val v, int how)
{
    if (YAJL_IS_OBJECT(v) && how != W_OUTLINE) {
        outbuf_add(w, "{", 1);
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *key = v->u.object.keys[i];
            if (i)
                outbuf_add(w, ",", 1);
            json_str(w, key);
            outbuf_add(w, ":", 1);
            write_json(w, v->u.object.values[i],
                       how == W_KEYS                                         ? W_OUTLINE
                       : how == W_REQUEST && strcmp(key, "prefetch") == 0 ? W_KEYS
                                                                          : W_WHOLE);
        }
        outbuf_add(w, "}", 1);
    } else if (YAJL_IS_OBJECT(v)) {
        outbuf_add(w, "{}", 2);
    } else if (YAJL_IS_ARRAY(v) && how == W_WHOLE) {
        outbuf_add(w, "[", 1);
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i)
                outbuf_add(w, ",", 1);
            write_json(w, v->u.array.values[i], W_WHOLE);
        }
        outbuf_add(w, "]", 1);
    } else if (YAJL_IS_ARRAY(v)) {
        outbuf_add(w, "[]", 2);
    } else if (YAJL_IS_STRING(v)) {
        json_str(w, v->u.string);
    } else if (YAJL_IS_NUMBER(v)) {
        outbuf_add(w, v->u.number.r, strlen(v->u.number.r)); /* its text, as given */
    } else if (YAJL_IS_TRUE(v)) {
        outbuf_add(w, "true", 4);
    } else if (YAJL_IS_FALSE(v)) {
        outbuf_add(w, "false", 5);
    } else {
        outbuf_add(w, "null", 4);
    }
}

/* The mapping: on MGA_OK, o holds the profile JSON. d receives the diagnostics. rest (NULL
 * but for mga_profile_from_request) receives the request without the prefetch's resources once the text parses, what
 * ever the mapping then gives. */
static mga_status map(const mga_ruleset *rs, const char *name, const char *json, size_t len,
                      const char *date, bool prefetch, outbuf *o, outbuf *rest, mga_diags *d)
{
    fx x = {.rs = rs, .d = d, .name = name ? name : "<fhir>", .date = date,
            .note_unused = prefetch};
    x.path[0] = '$';
    x.plen = 1;
    int y, m, dd;
    double t;
    if (strlen(date) != 10 || parse_when(date, false, &y, &m, &dd, &t) != 3) {
        char cb[CLIP_CAP];
        ferr(&x, DIAG_FHIR_REQUEST_DATE, clip(cb, sizeof cb, date));
        return d->oom ? MGA_E_NOMEM : MGA_E_PROFILE;
    }
    x.ry = y;
    x.rm = m;
    x.rdd = dd;
    if (len > MGA_FHIR_MAX_BYTES) {
        ferr(&x, DIAG_PROFILE_SIZE, (size_t)MGA_FHIR_MAX_BYTES);
        return d->oom ? MGA_E_NOMEM : MGA_E_PROFILE;
    }
    const char *nul = len ? memchr(json, 0, len) : NULL;
    if (nul) {
        ferr(&x, DIAG_PROFILE_JSON, "a NUL byte in the text");
        return d->oom ? MGA_E_NOMEM : MGA_E_PROFILE;
    }
    if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0) {
        /* a byte-order mark is skipped, as the profile reader skips it (RFC 8259) */
        json += 3;
        len -= 3;
    }
    size_t stsize = rs->nfields * sizeof *x.st;
    x.st = mem_alloc(&rs->m, stsize ? stsize : 1);
    size_t nsyms = 0;
    for (size_t i = 0; i < rs->nfields; i++)
        nsyms += rs->fields[i].type == FT_SET ? rs->fields[i].nsyms : 0;
    uint8_t *symbuf = mem_alloc(&rs->m, nsyms ? nsyms : 1);
    mga_status st = MGA_OK;
    arena tree;
    arena_init(&tree, &rs->m);
    yajl_val root = NULL;
    if (!x.st || !symbuf) {
        st = MGA_E_NOMEM;
        goto done;
    }
    memset(x.st, 0, stsize);
    memset(symbuf, 0, nsyms ? nsyms : 1);
    for (size_t i = 0, k = 0; i < rs->nfields; i++) {
        x.st[i].when = -INFINITY;
        if (rs->fields[i].type == FT_SET) {
            x.st[i].syms = symbuf + k;
            k += rs->fields[i].nsyms;
        }
    }
    char err[256];
    switch (jtree_parse(&tree, json, len, FHIR_MAX_DEPTH, &root, err, sizeof err)) {
    case JTREE_OK:
        break;
    case JTREE_SYNTAX:
        ferr(&x, DIAG_PROFILE_JSON, err[0] ? err : "empty input");
        st = MGA_E_PROFILE;
        goto done;
    case JTREE_DEEP:
        ferr(&x, DIAG_FHIR_DEPTH, (unsigned)FHIR_MAX_DEPTH);
        st = MGA_E_PROFILE;
        goto done;
    case JTREE_NOMEM:
        st = MGA_E_NOMEM;
        goto done;
    }
    x.root = root;
    if (rest) {
        /* the request without the prefetch's resources, on one line */
        write_json(rest, root, W_REQUEST);
        outbuf_add(rest, "\n", 1);
        if (rest->oom) {
            st = MGA_E_NOMEM;
            goto done;
        }
    }
    if (prefetch)
        read_prefetch(&x, root);
    else
        read_root(&x, root);
    if (d->oom) {
        st = MGA_E_NOMEM;
        goto done;
    }
    if (mga_diags_error_count(d)) {
        st = MGA_E_PROFILE;
        goto done;
    }
    size_t nfields = 0;
    write_profile(&x, o, &nfields);
    if (o->oom) {
        st = MGA_E_NOMEM;
    } else if (nfields == 0) {
        char why[256];
        snprintf(why, sizeof why,
                 "%zu resource%s read, none with a bound value (a Patient's birthDate or gender, "
                 "an active Condition or medicine, a final Observation with a bound code)",
                 x.nread, x.nread == 1 ? "" : "s");
        x.path[1] = '\0';
        if (prefetch && x.prefetch)
            snprintf(x.path, sizeof x.path, "$.prefetch");
        ferr(&x, DIAG_FHIR_NOTHING, rs->nfbinds ? why : "the rule set declares no FHIR bindings");
        st = MGA_E_PROFILE;
    }
done:
    arena_free(&tree);
    mem_free(&rs->m, x.st, stsize ? stsize : 1);
    mem_free(&rs->m, symbuf, nsyms ? nsyms : 1);
    if (st == MGA_OK && d->oom)
        st = MGA_E_NOMEM;
    return st;
}

static mga_status hand_out(mga_diags *d, mga_diags **diags, mga_status st)
{
    if (diags && mga_diags_count(d))
        *diags = d;
    else
        mga_diags_free(d);
    return st;
}

mga_status mga_fhir_write_profile(const mga_ruleset *rs, const char *name, const char *json,
                                  size_t len, const char *date, mga_write_fn fn, void *ud,
                                  mga_diags **diags)
{
    if (diags)
        *diags = NULL;
    if (!rs || !date || !fn || (!json && len))
        return MGA_E_MISUSE;
    mga_diags *d = diag_new(&rs->m, 0);
    if (!d)
        return MGA_E_NOMEM;
    outbuf o = {.m = &rs->m};
    mga_status st = map(rs, name, json, len, date, false, &o, NULL, d);
    if (st == MGA_OK && fn(ud, o.b.p, o.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&rs->m, &o.b);
    return hand_out(d, diags, st);
}

static mga_status from_json(const mga_ruleset *rs, const char *name, const char *json,
                            size_t len, const char *date, bool prefetch, mga_profile **out,
                            mga_write_fn rest_fn, void *ud, mga_diags **diags)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!rs || !date || !out || (!json && len))
        return MGA_E_MISUSE;
    mga_diags *d = diag_new(&rs->m, 0);
    if (!d)
        return MGA_E_NOMEM;
    outbuf o = {.m = &rs->m}, rest = {.m = &rs->m};
    mga_status st = map(rs, name, json, len, date, prefetch, &o, rest_fn ? &rest : NULL, d);
    if (rest_fn && rest.b.len && st != MGA_E_NOMEM && rest_fn(ud, rest.b.p, rest.b.len) != 0) {
        membuf_free(&rs->m, &rest.b);
        membuf_free(&rs->m, &o.b);
        mga_diags_free(d);
        return MGA_E_WRITE;
    }
    membuf_free(&rs->m, &rest.b);
    if (st == MGA_OK) {
        mga_diags *pd = NULL;
        st = mga_profile_parse(rs, name ? name : "<fhir>", o.b.p, o.b.len, out, &pd);
        if (st == MGA_OK && !profile_keep_warnings(*out, d)) {
            mga_profile_free(*out);
            *out = NULL;
            st = MGA_E_NOMEM;
        }
        if (pd && mga_diags_count(pd)) {
            /* the profile reader's word (a value out of range) replaces the mapper's */
            mga_diags_free(d);
            d = pd;
        } else {
            mga_diags_free(pd);
        }
    }
    membuf_free(&rs->m, &o.b);
    return hand_out(d, diags, st);
}

mga_status mga_profile_from_fhir(const mga_ruleset *rs, const char *name, const char *json,
                                 size_t len, const char *date, mga_profile **out,
                                 mga_diags **diags)
{
    return from_json(rs, name, json, len, date, false, out, NULL, NULL, diags);
}

mga_status mga_profile_from_prefetch(const mga_ruleset *rs, const char *name, const char *json,
                                     size_t len, const char *date, mga_profile **out,
                                     mga_diags **diags)
{
    return from_json(rs, name, json, len, date, true, out, NULL, NULL, diags);
}

mga_status mga_profile_from_request(const mga_ruleset *rs, const char *name, const char *json,
                                    size_t len, const char *date, mga_profile **out,
                                    mga_write_fn rest_fn, void *ud, mga_diags **diags)
{
    if (!rest_fn) {
        if (out)
            *out = NULL;
        if (diags)
            *diags = NULL;
        return MGA_E_MISUSE;
    }
    return from_json(rs, name, json, len, date, true, out, rest_fn, ud, diags);
}
