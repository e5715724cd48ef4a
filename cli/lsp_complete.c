/* SPDX-License-Identifier: MIT */
/* Completion for `mgadvise lsp`: what may be written at a position of a rule or test file,
 * read from the text before it and named by the rule set (the last one that compiled):
 *   NUMBER |            after a number compared with a field that has units: the units of
 *                       its dimension ("vitamin_d_level < 30 ng/mL")
 *   KEY[|               the numbered references of source KEY
 *   prefer | avoid |    the supplement forms (and "supplements" after avoid and withhold)
 *   severity |          the severities
 *   evidence |          the evidence grades
 *   cite |              the source keys
 *   FIELD has | is | :  the values of a one-of or set field
 *   elsewhere           the profile fields
 * Each item has a detail line and, where the rules say more, documentation in markdown. */
#include "lsp.h"

#include <stdlib.h>
#include <string.h>

/* CompletionItemKind values. */
enum { K_FIELD = 5, K_UNIT = 11, K_VALUE = 12, K_KEYWORD = 14, K_REFERENCE = 18, K_ENUM = 20 };

const char *lsp_type_word(mga_field_type t)
{
    switch (t) {
    case MGA_FIELD_TEXT:
        return "text";
    case MGA_FIELD_BOOL:
        return "boolean";
    case MGA_FIELD_NUMBER:
        return "number";
    case MGA_FIELD_ONE_OF:
        return "one of";
    case MGA_FIELD_SET:
        return "set of";
    }
    return "?";
}

/* One CompletionItem; detail and doc (markdown) may be NULL. */
static void item(yajl_gen g, const char *label, int kind, const char *detail, const char *doc)
{
    yajl_gen_map_open(g);
    lsp_gs(g, "label");
    lsp_gs(g, label);
    lsp_gs(g, "kind");
    lsp_gi(g, kind);
    if (detail) {
        lsp_gs(g, "detail");
        lsp_gs(g, detail);
    }
    if (doc && *doc) {
        lsp_gs(g, "documentation");
        yajl_gen_map_open(g);
        lsp_gs(g, "kind");
        lsp_gs(g, "markdown");
        lsp_gs(g, "value");
        lsp_gs(g, doc);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
}

static void skip_blanks_back(const char *t, size_t *p)
{
    while (*p > 0 && (t[*p - 1] == ' ' || t[*p - 1] == '\t'))
        (*p)--;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool word_is(const char *w, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* The field named w[0, n) of rs, its index in *ix. */
static bool find_field(const mga_ruleset *rs, const char *w, size_t n, size_t *ix,
                       mga_field_info *f)
{
    for (size_t i = 0; rs && i < mga_ruleset_field_count(rs); i++)
        if (mga_ruleset_field(rs, i, f) == MGA_OK && word_is(w, n, f->name)) {
            *ix = i;
            return true;
        }
    return false;
}

/* After "NUMBER " (the unit being typed from w0): the field the number is compared with,
 * the nearest field name before it (at most 400 bytes back), in *ix. */
static bool unit_context(const mga_ruleset *rs, const char *t, size_t w0, size_t *ix)
{
    size_t p = w0;
    skip_blanks_back(t, &p);
    if (p == w0) /* "30mg": the number and the unit are one word */
        return false;
    size_t q = p;
    while (q > 0 && (is_digit((unsigned char)t[q - 1]) || t[q - 1] == '.'))
        q--;
    if (q == p || (q > 0 && lsp_is_word((unsigned char)t[q - 1])))
        return false; /* not a number */
    size_t stop = q > 400 ? q - 400 : 0;
    while (q > stop) {
        size_t z = q;
        while (z > stop && !lsp_is_word((unsigned char)t[z - 1]))
            z--;
        size_t a = z;
        while (a > stop && lsp_is_word((unsigned char)t[a - 1]))
            a--;
        if (a == z)
            break;
        mga_field_info f;
        if (find_field(rs, t + a, z - a, ix, &f))
            return true;
        q = a;
    }
    return false;
}

static void complete_units(yajl_gen g, const mga_ruleset *rs, size_t fi)
{
    mga_field_info f;
    if (mga_ruleset_field(rs, fi, &f) != MGA_OK)
        return;
    for (size_t k = 0; k < mga_ruleset_field_unit_count(rs, fi); k++) {
        mga_unit_info u;
        if (mga_ruleset_field_unit(rs, fi, k, &u) != MGA_OK)
            continue;
        char detail[256], doc[1024], num[32];
        snprintf(num, sizeof num, "%.15g", u.factor);
        if (u.dimension && k > 0)
            snprintf(detail, sizeof detail, "%s: 1 %s = %s %s", u.dimension, u.name, num, u.base);
        else if (u.dimension)
            snprintf(detail, sizeof detail, "%s: the base unit", u.dimension);
        else
            snprintf(detail, sizeof detail, "the unit of %s", f.name);
        snprintf(doc, sizeof doc, "`%s` is declared in %s%s.%s%s", f.name,
                 f.unit ? f.unit : u.name,
                 f.unit && strcmp(f.unit, u.name) == 0 ? " (this one)" : "",
                 f.description ? "\n\n" : "", f.description ? f.description : "");
        item(g, u.name, K_UNIT, detail, doc);
    }
}

static void complete_refs(yajl_gen g, const mga_ruleset *rs, const char *key, size_t n)
{
    for (size_t i = 0; rs && i < mga_ruleset_source_count(rs); i++) {
        mga_source_info s;
        if (mga_ruleset_source(rs, i, &s) != MGA_OK || !word_is(key, n, s.key))
            continue;
        for (size_t k = 0; k < s.nrefs; k++) {
            unsigned num;
            const char *text;
            if (mga_ruleset_source_ref(rs, i, k, &num, &text) != MGA_OK)
                continue;
            char label[16], detail[160];
            snprintf(label, sizeof label, "%u", num);
            snprintf(detail, sizeof detail, "reference %u of %s", num, s.key);
            item(g, label, K_REFERENCE, detail, text);
        }
    }
}

static void complete_forms(yajl_gen g, const mga_ruleset *rs, bool supplements)
{
    if (supplements)
        item(g, "supplements", K_KEYWORD, "every supplement",
             "All magnesium supplements: withholds every rule that presumes one (a form, a dose "
             "or `presumes supplements`).");
    for (size_t i = 0; rs && i < mga_ruleset_form_count(rs); i++)
        item(g, mga_ruleset_form(rs, i), K_VALUE, "supplement form", NULL);
}

static void complete_severities(yajl_gen g)
{
    static const char *const sev[] = {"critical", "warning", "info"};
    static const char *const doc[] = {
        "Listed first: act on it (a doctor, now or soon).",
        "Listed after the critical items: take care.",
        "Listed last: for information."};
    for (size_t i = 0; i < 3; i++)
        item(g, sev[i], K_KEYWORD, "severity", doc[i]);
}

static void complete_evidence(yajl_gen g, const mga_ruleset *rs)
{
    for (size_t i = 0; mga_evidence_grade(i); i++) {
        const char *e = mga_evidence_grade(i);
        size_t uses = 0;
        for (size_t r = 0; rs && r < mga_ruleset_rule_count(rs); r++) {
            mga_rule_info ri;
            if (mga_ruleset_rule(rs, r, &ri) == MGA_OK && ri.evidence &&
                strcmp(ri.evidence, e) == 0)
                uses++;
        }
        char doc[96];
        snprintf(doc, sizeof doc, "Given by %zu rule%s of this rule set.", uses,
                 uses == 1 ? "" : "s");
        item(g, e, K_KEYWORD, "evidence grade", rs ? doc : NULL);
    }
}

static void complete_sources(yajl_gen g, const mga_ruleset *rs)
{
    for (size_t i = 0; rs && i < mga_ruleset_source_count(rs); i++) {
        mga_source_info s;
        if (mga_ruleset_source(rs, i, &s) != MGA_OK)
            continue;
        char doc[1024];
        snprintf(doc, sizeof doc, "**%s**%s%s%s%s%s%s\n\n%zu numbered reference%s",
                 s.title ? s.title : s.key, s.author ? "\n\nby " : "", s.author ? s.author : "",
                 s.publisher ? ", " : "", s.publisher ? s.publisher : "", s.url ? "\n\n" : "",
                 s.url ? s.url : "", s.nrefs, s.nrefs == 1 ? "" : "s");
        item(g, s.key, K_REFERENCE, s.title ? s.title : "source", doc);
    }
}

static void complete_fields(yajl_gen g, const mga_ruleset *rs)
{
    for (size_t i = 0; rs && i < mga_ruleset_field_count(rs); i++) {
        mga_field_info f;
        if (mga_ruleset_field(rs, i, &f) == MGA_OK)
            item(g, f.name, K_FIELD, lsp_type_word(f.type), f.description);
    }
}

void lsp_complete(lsp_server *S, yajl_val id, const lsp_doc *dc, size_t off)
{
    const char *t = dc->text;
    const mga_ruleset *rs = lsp_ruleset_for(S, dc);
    /* the word being typed (a unit may hold '/') */
    size_t w0 = off;
    while (w0 > 0 && (lsp_is_word((unsigned char)t[w0 - 1]) || t[w0 - 1] == '/'))
        w0--;
    /* before it "FIELD has", "FIELD is", "prefer", "avoid", "cite", ... or, in a test file,
     * "FIELD:", each perhaps with a list "value, value, " after it */
    size_t p = w0;
    skip_blanks_back(t, &p);
    while (p > 0 && t[p - 1] == ',') {
        p--;
        skip_blanks_back(t, &p);
        while (p > 0 && lsp_is_word((unsigned char)t[p - 1]))
            p--;
        skip_blanks_back(t, &p);
    }
    bool after_op = false;
    const char *prev = t + p;
    size_t prevlen = 0;
    if (p > 0 && t[p - 1] == ':') {
        p--;
        after_op = true;
    } else {
        size_t z = p;
        while (p > 0 && lsp_is_word((unsigned char)t[p - 1]))
            p--;
        prev = t + p;
        prevlen = z - p;
        after_op = word_is(prev, prevlen, "has") || word_is(prev, prevlen, "is");
    }
    skip_blanks_back(t, &p);
    size_t fz = p;
    while (p > 0 && lsp_is_word((unsigned char)t[p - 1]))
        p--;
    yajl_gen g = lsp_begin(id);
    if (!g) {
        lsp_end(&S->out, g);
        return;
    }
    yajl_gen_array_open(g);
    size_t fi;
    mga_field_info f;
    if (w0 > 0 && t[w0 - 1] == '[') {
        size_t kz = w0 - 1, ka = kz;
        while (ka > 0 && lsp_is_word((unsigned char)t[ka - 1]))
            ka--;
        complete_refs(g, rs, t + ka, kz - ka);
    } else if (unit_context(rs, t, w0, &fi)) {
        complete_units(g, rs, fi);
    } else if (word_is(prev, prevlen, "prefer") || word_is(prev, prevlen, "avoid") ||
               word_is(prev, prevlen, "withhold")) {
        complete_forms(g, rs, !word_is(prev, prevlen, "prefer"));
    } else if (word_is(prev, prevlen, "severity")) {
        complete_severities(g);
    } else if (word_is(prev, prevlen, "evidence")) {
        complete_evidence(g, rs);
    } else if (word_is(prev, prevlen, "cite")) {
        complete_sources(g, rs);
    } else if (after_op && find_field(rs, t + p, fz - p, &fi, &f) && f.nsymbols > 0) {
        for (size_t s = 0; s < f.nsymbols; s++)
            item(g, f.symbols[s], K_ENUM, f.name, NULL);
    } else {
        complete_fields(g, rs);
    }
    yajl_gen_array_close(g);
    lsp_end(&S->out, g);
}
