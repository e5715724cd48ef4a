/* SPDX-License-Identifier: MIT */
/* FHIR bindings: each `field: from Resource ...` line checked against the profile schema
 * (after sema: fields, their types and units are resolved), then frozen into the rule set. */
#include "fhirbind.h"

#include <stdio.h>
#include <string.h>

static const char *const sys_names[FHIR_NSYS] = {"snomed", "icd10cm", "rxnorm",
                                                 "atc",    "loinc",   "gender"};
static const char *const sys_uris[FHIR_NSYS] = {
    "http://snomed.info/sct",     "http://hl7.org/fhir/sid/icd-10-cm",
    "http://www.nlm.nih.gov/research/umls/rxnorm", "http://www.whocc.no/atc",
    "http://loinc.org",           "http://hl7.org/fhir/administrative-gender"};

const char *fhirbind_sys_name(fhir_sys s)
{
    return s < FHIR_NSYS ? sys_names[s] : "?";
}

const char *fhirbind_sys_uri(fhir_sys s)
{
    return s < FHIR_NSYS ? sys_uris[s] : "?";
}

enum { R_PATIENT, R_CONDITION, R_MEDREQ, R_MEDSTMT, R_OBSERVATION, R_N };
static const char *const res_names[R_N] = {"Patient", "Condition", "MedicationRequest",
                                           "MedicationStatement", "Observation"};

#define AT(d, dsrc, code, span, ...)                                                           \
    diag_add((d), DIAG_##code, (dsrc)[(span).file], (span).off, (span).len, __VA_ARGS__)

static int res_find(const char *s)
{
    for (int i = 0; i < R_N; i++)
        if (strcmp(res_names[i], s) == 0)
            return i;
    return -1;
}

static int sys_find(const char *s)
{
    for (int i = 0; i < FHIR_NSYS; i++)
        if (strcmp(sys_names[i], s) == 0)
            return i;
    return -1;
}

/* The kind a checked binding reads, or -1 when its resources or element are wrong. */
static int bind_kind(const ast_fbind *b, mga_diags *d, const int *dsrc)
{
    int r0 = -1;
    for (size_t i = 0; i < b->resources.n; i++) {
        const ast_name *rn = &b->resources.v[i];
        int r = res_find(rn->s);
        if (r < 0) {
            AT(d, dsrc, FHIR_RESOURCE, rn->at, rn->s);
            return -1;
        }
        if (i == 0) {
            r0 = r;
        } else if (!((r0 == R_MEDREQ || r0 == R_MEDSTMT) && (r == R_MEDREQ || r == R_MEDSTMT) &&
                     r != r0)) {
            AT(d, dsrc, FHIR_MIXED, rn->at, res_names[r0], rn->s);
            return -1;
        }
    }
    if (r0 == R_PATIENT) {
        if (!b->element.s) {
            AT(d, dsrc, FHIR_ELEMENT, b->resources.v[0].at,
               "'Patient' alone gives no value", "'Patient.birthDate' or 'Patient.gender'");
            return -1;
        }
        if (strcmp(b->element.s, "birthDate") == 0)
            return FB_BIRTHDATE;
        if (strcmp(b->element.s, "gender") == 0)
            return FB_GENDER;
        AT(d, dsrc, FHIR_ELEMENT, b->element.at, "the mapper does not read this element of Patient",
           "'Patient.birthDate' or 'Patient.gender'");
        return -1;
    }
    if (b->element.s) {
        AT(d, dsrc, FHIR_ELEMENT, b->element.at,
           "only Patient is read by element", "'from <Resource>' and the codes that give values");
        return -1;
    }
    if (r0 == R_CONDITION)
        return FB_CONDITION;
    if (r0 == R_OBSERVATION)
        return FB_OBSERVATION;
    return FB_MEDICATION;
}

/* The systems a kind reads: own (an observation's codes) or values. */
static unsigned sys_allowed(int kind, bool own, const char **words)
{
    switch (kind) {
    case FB_GENDER:
        *words = "gender";
        return 1u << FHIR_GENDER;
    case FB_CONDITION:
        *words = "snomed or icd10cm";
        return 1u << FHIR_SNOMED | 1u << FHIR_ICD10CM;
    case FB_MEDICATION:
        *words = "rxnorm or atc";
        return 1u << FHIR_RXNORM | 1u << FHIR_ATC;
    case FB_OBSERVATION:
        if (own) {
            *words = "loinc";
            return 1u << FHIR_LOINC;
        }
        *words = "loinc or snomed";
        return 1u << FHIR_LOINC | 1u << FHIR_SNOMED;
    default:
        *words = "no codes";
        return 0;
    }
}

static const char *kind_res(int kind)
{
    static const char *const n[] = {"Patient.birthDate", "Patient.gender", "Condition",
                                    "MedicationRequest and MedicationStatement", "Observation"};
    return n[kind];
}

static void check_codes(vec *codes, int kind, bool own, mga_diags *d, const int *dsrc)
{
    const char *words;
    unsigned ok = sys_allowed(kind, own, &words);
    for (size_t i = 0; i < codes->len; i++) {
        ast_fcode *c = VEC_AT(*codes, ast_fcode, i);
        int s = sys_find(c->system.s);
        if (s < 0) {
            AT(d, dsrc, FHIR_SYSTEM, c->system.at, c->system.s);
            continue;
        }
        if (!(ok & (1u << s))) {
            AT(d, dsrc, FHIR_SYSTEM_FIT, c->system.at, c->system.s, kind_res(kind), words);
            continue;
        }
        c->sys = s;
    }
}

/* Whether field f can take what kind reads; reports why not. */
static bool fits(const ast_program *p, const ast_fbind *b, const ast_field *f, int kind,
                 mga_diags *d, const int *dsrc)
{
    const char *why = NULL;
    if (f->type == FT_TEXT)
        why = "FHIR bindings fill numbers, booleans, one-of and set fields";
    else if (kind == FB_BIRTHDATE &&
             (f->type != FT_NUMBER || f->dim < 0 ||
              sema_unit_factor(VEC_AT(p->dims, ast_dim, f->dim), "years") <= 0))
        why = "'Patient.birthDate' gives an age: a number in a dimension with the unit 'years'";
    else if (kind == FB_GENDER && f->type != FT_ENUM)
        why = "'Patient.gender' gives one value of a one-of field";
    else if ((kind == FB_CONDITION || kind == FB_MEDICATION) && f->type == FT_NUMBER)
        why = "a code gives a boolean, one-of or set value, not a number";
    if (why) {
        AT(d, dsrc, FHIR_FIT, b->field.at, f->name.s, ast_field_type_words(f), why);
        return false;
    }
    return true;
}

static void check_values(const ast_fbind *b, const ast_field *f, int kind, mga_diags *d,
                         const int *dsrc)
{
    if (kind == FB_BIRTHDATE) {
        if (b->values.len)
            AT(d, dsrc, FHIR_FIT, VEC_AT(b->values, ast_fvalue, 0)->sym.at, f->name.s,
               ast_field_type_words(f), "'Patient.birthDate' gives the age, not coded values");
        return;
    }
    if (kind == FB_OBSERVATION && b->codes.len == 0)
        AT(d, dsrc, FHIR_NO_CODES, b->field.at, f->name.s, "Observation",
           "name the observation's LOINC codes after 'from Observation'");
    if (kind != FB_OBSERVATION && b->codes.len)
        AT(d, dsrc, FHIR_FIT, VEC_AT(b->codes, ast_fcode, 0)->at, f->name.s, ast_field_type_words(f),
           "codes after 'from' name an observation; give these under a value ('symbol: ...')");
    if (kind == FB_OBSERVATION && f->type == FT_NUMBER) {
        if (b->values.len)
            AT(d, dsrc, FHIR_FIT, VEC_AT(b->values, ast_fvalue, 0)->sym.at, f->name.s,
               ast_field_type_words(f), "it is read from the observation's valueQuantity, not from codes");
        return;
    }
    if (b->values.len == 0)
        AT(d, dsrc, FHIR_NO_CODES, b->field.at, f->name.s, kind_res(kind),
           "list the codes of each value ('symbol: system \"code\" \"display\"')");
    for (size_t i = 0; i < b->values.len; i++) {
        ast_fvalue *v = VEC_AT(b->values, ast_fvalue, i);
        bool known = f->type == FT_BOOL
                         ? strcmp(v->sym.s, "true") == 0 || strcmp(v->sym.s, "false") == 0
                         : sema_sym_find(f, v->sym.s) >= 0;
        if (!known)
            AT(d, dsrc, UNKNOWN_SYMBOL, v->sym.at, v->sym.s, f->name.s);
        check_codes(&v->codes, kind, false, d, dsrc);
    }
}

bool fhirbind_code_within(fhir_sys sys, const char *cls, const char *code)
{
    size_t n = strlen(cls);
    if (strncmp(code, cls, n) != 0)
        return false;
    if (code[n] == '\0' || sys == FHIR_ATC)
        return true;
    /* ICD-10-CM: a category (three characters) is followed by the dot of its subcodes;
     * a code with a dot by more characters of its own subcodes */
    return sys == FHIR_ICD10CM && (code[n] == '.' || strchr(cls, '.'));
}

static uint32_t value_of(const ast_field *f, const char *sym)
{
    if (f->type == FT_BOOL)
        return strcmp(sym, "true") == 0;
    int k = sema_sym_find(f, sym);
    return k < 0 ? 0 : (uint32_t)k;
}

typedef struct fref {
    const ast_fcode *c;
    const char *sym;
    size_t bind;
} fref;

/* A code given to two values of one field (across its bindings), or twice in one binding.
 * false on OOM. */
static bool check_twice(const ast_program *p, int field, const ast_field *f, mga_diags *d,
                        const int *dsrc)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        fref *v = NULL;
        if (pass == 1) {
            if (n < 2)
                return true;
            v = arena_alloc(p->a, n * sizeof *v);
            if (!v)
                return false;
            n = 0;
        }
        for (size_t i = 0; i < p->fhir.len; i++) {
            const ast_fbind *b = VEC_AT(p->fhir, ast_fbind, i);
            if (sema_field_find(p, b->field.s) != field)
                continue;
            for (size_t vi = 0; vi < b->values.len; vi++) {
                const ast_fvalue *fv = VEC_AT(b->values, ast_fvalue, vi);
                for (size_t ci = 0; ci < fv->codes.len; ci++) {
                    if (v)
                        v[n] = (fref){VEC_AT(fv->codes, ast_fcode, ci), fv->sym.s, i};
                    n++;
                }
            }
        }
        if (!v)
            continue;
        for (size_t j = 1; j < n; j++) {
            const ast_fcode *c = v[j].c;
            for (size_t i = 0; i < j; i++) {
                const ast_fcode *c2 = v[i].c;
                if (c->sys < 0 || c2->sys != c->sys)
                    continue;
                bool equal = strcmp(c2->code, c->code) == 0;
                bool in = fhirbind_code_within((fhir_sys)c->sys, c->code, c2->code);
                bool in2 = fhirbind_code_within((fhir_sys)c->sys, c2->code, c->code);
                if (!equal && !in && !in2)
                    continue;
                bool same = strcmp(v[i].sym, v[j].sym) == 0;
                if (same && !equal)
                    continue; /* a code within a class of the same value: it changes nothing */
                if (same && v[i].bind != v[j].bind)
                    continue; /* one value read from two kinds of resource */
                if (same) {
                    char what[160];
                    snprintf(what, sizeof what, "%s \"%.120s\"", c->system.s, c->code);
                    AT(d, dsrc, DUP_SYMBOL, c->at, what);
                } else {
                    /* the narrower code, which both would give */
                    AT(d, dsrc, FHIR_CODE_TWICE, c->at, c->system.s, in ? c2->code : c->code,
                       v[i].sym, v[j].sym, f->name.s);
                }
                break;
            }
        }
    }
    return true;
}

bool fhirbind_check(const ast_program *p, mga_diags *d, const int *dsrc)
{
    for (size_t i = 0; i < p->fhir.len; i++) {
        ast_fbind *b = VEC_AT(p->fhir, ast_fbind, i);
        int kind = bind_kind(b, d, dsrc);
        int fi = sema_field_find(p, b->field.s);
        if (fi < 0) {
            AT(d, dsrc, UNKNOWN_FIELD, b->field.at, b->field.s);
            continue;
        }
        if (kind < 0)
            continue;
        const ast_field *f = VEC_AT(p->fields, ast_field, fi);
        if (!fits(p, b, f, kind, d, dsrc))
            continue;
        for (size_t j = 0; j < i; j++) {
            const ast_fbind *b2 = VEC_AT(p->fhir, ast_fbind, j);
            if (strcmp(b2->field.s, b->field.s) == 0 && b2->resources.n &&
                res_find(b2->resources.v[0].s) == res_find(b->resources.v[0].s)) {
                AT(d, dsrc, FHIR_DUP, b->field.at, b->field.s, kind_res(kind));
                break;
            }
        }
        check_codes(&b->codes, kind, true, d, dsrc);
        check_values(b, f, kind, d, dsrc);
    }
    for (size_t i = 0; i < p->fields.len; i++)
        if (!check_twice(p, (int)i, VEC_AT(p->fields, ast_field, i), d, dsrc))
            return false;
    return !d->oom;
}

static bool freeze_codes(arena *a, const vec *codes, const ast_field *f, const char *sym,
                         g_fcode *out, size_t *n)
{
    for (size_t i = 0; i < codes->len; i++) {
        const ast_fcode *c = VEC_AT(*codes, ast_fcode, i);
        g_fcode *g = &out[(*n)++];
        g->sys = (fhir_sys)c->sys;
        g->code = arena_strdup(a, c->code);
        g->display = arena_strdup(a, c->display);
        g->value = sym ? value_of(f, sym) : 0;
        if (!g->code || !g->display)
            return false;
    }
    return true;
}

bool fhirbind_freeze(mga_ruleset *rs, const ast_program *p)
{
    if (p->fhir.len == 0)
        return true;
    rs->fbinds = arena_alloc(&rs->a, p->fhir.len * sizeof *rs->fbinds);
    if (!rs->fbinds)
        return false;
    for (size_t i = 0; i < p->fhir.len; i++) {
        const ast_fbind *b = VEC_AT(p->fhir, ast_fbind, i);
        g_fbind *g = &rs->fbinds[rs->nfbinds++];
        int fi = sema_field_find(p, b->field.s);
        const ast_field *f = VEC_AT(p->fields, ast_field, fi);
        int r = res_find(b->resources.v[0].s);
        g->field = (uint32_t)fi;
        switch (r) {
        case R_PATIENT:
            g->kind = strcmp(b->element.s, "birthDate") == 0 ? FB_BIRTHDATE : FB_GENDER;
            break;
        case R_CONDITION:
            g->kind = FB_CONDITION;
            break;
        case R_OBSERVATION:
            g->kind = FB_OBSERVATION;
            break;
        default:
            g->kind = FB_MEDICATION;
            break;
        }
        for (size_t k = 0; k < b->resources.n; k++) {
            int rk = res_find(b->resources.v[k].s);
            g->med_request |= rk == R_MEDREQ;
            g->med_statement |= rk == R_MEDSTMT;
        }
        size_t nv = 0;
        for (size_t k = 0; k < b->values.len; k++)
            nv += VEC_AT(b->values, ast_fvalue, k)->codes.len;
        if (nv) {
            g->values = arena_alloc(&rs->a, nv * sizeof *g->values);
            if (!g->values)
                return false;
            for (size_t k = 0; k < b->values.len; k++) {
                const ast_fvalue *v = VEC_AT(b->values, ast_fvalue, k);
                if (!freeze_codes(&rs->a, &v->codes, f, v->sym.s, g->values, &g->nvalues))
                    return false;
            }
        }
        if (b->codes.len) {
            g->obs = arena_alloc(&rs->a, b->codes.len * sizeof *g->obs);
            if (!g->obs || !freeze_codes(&rs->a, &b->codes, f, NULL, g->obs, &g->nobs))
                return false;
        }
    }
    return true;
}
