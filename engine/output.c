/* SPDX-License-Identifier: MIT */
/* Output: a result as JSON (yajl_gen) or as text grouped by severity with numbered
 * citations, a reference list of what was cited, and the documents' disclaimer. */
#include "eval.h"
#include "jsonesc.h"
#include "jsongen.h"
#include "numfmt.h"
#include "textsafe.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* collect_refs keeps the cited entries in a word of bits when there are at most 63 of them;
 * entry 63 pads each rule's list to a multiple of four. */
#define REFS_PAD 63

/* The distinct (source, ref) pairs cited by the advice shown (the items of rules[0..nrules)),
 * in order of first citation:
 * r->reforder[0..r->nrefs), entries of rs->refs_json; with numbers, each numbered from 1 in
 * r->refno (the text form cites by number; JSON numbers by position). Per
 * result scratch (a result is written by one thread at a time). With at most REFS_PAD
 * cited entries, a word of bits says which are in already, and each rule's entries are
 * taken four at a time (rs->refs_pad), each kept or not by its bit, without a branch:
 * whether a rule's entries are new is up to the profile. Else a stamp per entry tells
 * this write's from an earlier one's. */
static void collect_refs(const mga_result *r, bool numbers, const uint32_t *rules, size_t nrules)
{
    mga_result *mr = (mga_result *)r;
    const mga_ruleset *rs = r->rs;
    uint32_t n = 0;
    if (rs->refs_mask) {
        uint64_t seen = 0;
        uint32_t *out = mr->reforder;
        for (size_t i = 0; i < nrules; i++) {
            uint32_t ri = rules[i];
            uint64_t fresh = rs->refs_mask[ri] & ~seen;
            seen |= fresh;
            for (uint32_t j = rs->refs_pad_off[ri]; j < rs->refs_pad_off[ri + 1]; j += 4) {
                const uint32_t *e = rs->refs_pad + j;
                out[n] = e[0];
                n += (uint32_t)(fresh >> e[0]) & 1;
                out[n] = e[1];
                n += (uint32_t)(fresh >> e[1]) & 1;
                out[n] = e[2];
                n += (uint32_t)(fresh >> e[2]) & 1;
                out[n] = e[3];
                n += (uint32_t)(fresh >> e[3]) & 1;
            }
        }
        for (uint32_t i = 0; numbers && i < n; i++)
            mr->refno[out[i]] = i + 1;
        mr->nrefs = n;
        return;
    }
    if (++mr->refgen == 0) {
        memset(mr->refstamp, 0, (rs->nrefs_json + 1) * sizeof *mr->refstamp);
        mr->refgen = 1;
    }
    uint32_t gen = mr->refgen;
    for (size_t i = 0; i < nrules; i++) {
        uint32_t ri = rules[i];
        for (uint32_t k = rs->rule_refs_off[ri]; k < rs->rule_refs_off[ri + 1]; k++) {
            uint32_t ix = rs->rule_refs[k];
            if (mr->refstamp[ix] == gen)
                continue;
            mr->refstamp[ix] = gen;
            mr->reforder[n++] = ix;
            mr->refno[ix] = n;
        }
    }
    mr->nrefs = n;
}

static const char *ref_text(const g_source *s, unsigned ref)
{
    for (size_t i = 0; i < s->nrefs; i++)
        if (s->refs[i].n == ref)
            return s->refs[i].text;
    return NULL;
}

/* The rule that avoids supplements, else the one that withholds them, else -1. */
static int32_t supplements_by(const mga_result *r)
{
    return r->avoid_supplements >= 0 ? r->avoid_supplements : r->withhold_supplements;
}

static const char *supplements_word(const mga_result *r)
{
    return r->avoid_supplements >= 0     ? "avoid"
           : r->withhold_supplements >= 0 ? "ask_doctor"
                                          : "allowed";
}

/* ---- JSON ---- */

/* yajl_gen's own buffer does not survive allocation failure, so its print callback fills
 * this one (through our allocator) and the writer gets the whole line in one call. */
typedef outbuf jout;

static void j_print(void *ctx, const char *s, size_t len)
{
    outbuf_put(ctx, s, len);
}

static void j_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void j_num(yajl_gen g, double v)
{
    char buf[40];
    num_fmt(buf, sizeof buf, v);
    yajl_gen_number(g, buf, strlen(buf));
}

static void j_opt_num(yajl_gen g, bool has, double v)
{
    if (has)
        j_num(g, v);
    else
        yajl_gen_null(g);
}

/* "warnings": the profile's warnings (unknown fields read under allow_unknown_fields, the
 * FHIR reader's warnings, such as a partial birth date, with their FHIR paths),
 * only when there are any, so that other results keep their bytes. */
static void write_json_warnings(const mga_profile *p, yajl_gen g)
{
    if (!p->nwarn)
        return;
    j_key(g, "warnings");
    yajl_gen_array_open(g);
    for (uint32_t i = 0; i < p->nwarn; i++) {
        char code[16];
        snprintf(code, sizeof code, "W%04u", (unsigned)p->warn[i].code);
        yajl_gen_map_open(g);
        j_key(g, "code");
        jgen_str(g, code);
        j_key(g, "path");
        jgen_str(g, profile_wtext(p, p->warn[i].path));
        j_key(g, "message");
        jgen_str(g, profile_wtext(p, p->warn[i].msg));
        j_key(g, "note");
        jgen_str(g, profile_wtext(p, p->warn[i].note));
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static void j_strs(yajl_gen g, const char *const *v, size_t n)
{
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++)
        jgen_str(g, v[i]);
    yajl_gen_array_close(g);
}

/* "summary": the decision, forms, dose and the referrals merged (mga_summary). */
static void write_summary(const mga_result *r, yajl_gen g)
{
    const mga_summary *s = &r->summary;
    j_key(g, "summary");
    yajl_gen_map_open(g);
    j_key(g, "decision");
    jgen_str(g, mga_decision_str(s->decision));
    j_key(g, "decided_by");
    j_strs(g, s->decided_by, s->ndecided_by);
    j_key(g, "prefer");
    j_strs(g, s->prefer, s->nprefer);
    j_key(g, "start_mg");
    j_opt_num(g, s->has_start, s->start_mg);
    j_key(g, "target_mg");
    j_opt_num(g, s->has_target, s->target_mg);
    j_key(g, "max_mg");
    j_opt_num(g, s->has_max, s->max_mg);
    j_key(g, "see_doctor");
    if (s->nreasons) {
        yajl_gen_map_open(g);
        j_key(g, "urgency");
        jgen_str(g, s->refer);
        j_key(g, "reasons");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < s->nreasons; i++) {
            yajl_gen_map_open(g);
            j_key(g, "rule");
            jgen_str(g, s->reasons[i].rule);
            j_key(g, "urgency");
            jgen_str(g, s->reasons[i].urgency);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    } else {
        yajl_gen_null(g);
    }
    yajl_gen_map_close(g);
}

static void write_json(const mga_result *r, yajl_gen g)
{
    const mga_ruleset *rs = r->rs;
    yajl_gen_map_open(g);
    j_key(g, "id");
    if (r->p->id && r->p->id_number)
        yajl_gen_number(g, r->p->id, strlen(r->p->id));
    else
        jgen_str(g, r->p->id);
    j_key(g, "ruleset");
    yajl_gen_map_open(g);
    j_key(g, "name");
    jgen_str(g, rs->name);
    j_key(g, "hash");
    jgen_str(g, rs->hash);
    yajl_gen_map_close(g);
    write_json_warnings(r->p, g);
    write_summary(r, g);

    j_key(g, "advice");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < r->nadvice; i++) {
        const mga_advice *a = &r->rs->plan->advice[r->advice_rule[i]];
        const g_rule *gr = &rs->rules[r->advice_rule[i]];
        yajl_gen_map_open(g);
        j_key(g, "rank");
        yajl_gen_integer(g, (long long)i + 1);
        j_key(g, "group");
        jgen_str(g, mga_group_str(a->group));
        j_key(g, "rule");
        jgen_str(g, a->rule);
        j_key(g, "kind");
        jgen_str(g, mga_kind_str(a->kind));
        j_key(g, "severity");
        jgen_str(g, mga_severity_str(a->severity));
        j_key(g, "text");
        jgen_str(g, a->text);
        j_key(g, "evidence");
        jgen_str(g, a->evidence);
        if (a->refer) {
            j_key(g, "refer");
            jgen_str(g, a->refer);
        }
        if (gr->avoid_supplements) {
            j_key(g, "avoid_supplements");
            yajl_gen_bool(g, 1);
        }
        if (gr->withhold_supplements) {
            j_key(g, "withhold_supplements");
            yajl_gen_bool(g, 1);
        }
        if (gr->nprefer || gr->navoid) {
            j_key(g, gr->nprefer ? "prefer" : "avoid");
            yajl_gen_array_open(g);
            const uint32_t *v = gr->nprefer ? gr->prefer : gr->avoid;
            uint32_t n = gr->nprefer ? gr->nprefer : gr->navoid;
            for (uint32_t k = 0; k < n; k++)
                jgen_str(g, rs->forms[v[k]]);
            yajl_gen_array_close(g);
            if (gr->nprefer && gr->navoid) {
                j_key(g, "avoid");
                yajl_gen_array_open(g);
                for (uint32_t k = 0; k < gr->navoid; k++)
                    jgen_str(g, rs->forms[gr->avoid[k]]);
                yajl_gen_array_close(g);
            }
        }
        j_key(g, "cite");
        yajl_gen_array_open(g);
        for (size_t c = 0; c < a->ncites; c++) {
            yajl_gen_map_open(g);
            j_key(g, "source");
            jgen_str(g, a->cites[c].source);
            j_key(g, "ref");
            if (a->cites[c].ref)
                yajl_gen_integer(g, a->cites[c].ref);
            else
                yajl_gen_null(g);
            j_key(g, "quote");
            jgen_str(g, a->cites[c].quote);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);

    const mga_dose *d = &r->dose;
    j_key(g, "dose");
    yajl_gen_map_open(g);
    j_key(g, "start_mg");
    j_opt_num(g, d->has_start, d->start_mg);
    j_key(g, "start_rule");
    jgen_str(g, d->start_rule);
    j_key(g, "target_mg");
    j_opt_num(g, d->has_target, d->target_mg);
    j_key(g, "target_rule");
    jgen_str(g, d->target_rule);
    j_key(g, "max_mg");
    j_opt_num(g, d->has_max, d->max_mg);
    j_key(g, "max_rule");
    jgen_str(g, d->max_rule);
    yajl_gen_map_close(g);

    j_key(g, "forms");
    yajl_gen_map_open(g);
    int32_t sby = supplements_by(r);
    j_key(g, "supplements");
    jgen_str(g, supplements_word(r));
    j_key(g, "supplements_rule");
    jgen_str(g, sby >= 0 ? rs->rules[sby].id : NULL);
    j_key(g, "prefer");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < r->nprefer; i++)
        jgen_str(g, rs->forms[r->prefer[i]]);
    yajl_gen_array_close(g);
    j_key(g, "avoid");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < r->navoid; i++)
        jgen_str(g, rs->forms[r->avoid[i]]);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    j_key(g, "overruled");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < r->nover; i++) {
        char buf[80];
        const res_over *o = &r->over[i];
        yajl_gen_map_open(g);
        j_key(g, "rule");
        jgen_str(g, rs->rules[o->rule].id);
        j_key(g, "what");
        jgen_str(g, eval_over_what(r, o, buf, sizeof buf));
        j_key(g, "by");
        jgen_str(g, rs->rules[o->by].id);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);

    collect_refs(r, false, r->advice_rule, r->nadvice);
    j_key(g, "references");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < r->nrefs; i++) {
        const g_refjson *e = &rs->refs_json[r->reforder[i]];
        const g_source *s = &rs->sources[e->source];
        yajl_gen_map_open(g);
        j_key(g, "n");
        yajl_gen_integer(g, (long long)i + 1);
        j_key(g, "source");
        jgen_str(g, s->key);
        j_key(g, "ref");
        if (e->ref)
            yajl_gen_integer(g, e->ref);
        else
            yajl_gen_null(g);
        j_key(g, "text");
        jgen_str(g, e->ref ? ref_text(s, e->ref) : NULL);
        j_key(g, "document");
        jgen_str(g, s->title);
        j_key(g, "author");
        jgen_str(g, s->author);
        j_key(g, "publisher");
        jgen_str(g, s->publisher);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    j_key(g, "disclaimer");
    jgen_str(g, rs->disclaimer);
    yajl_gen_map_close(g);
}

/* ---- compact JSON from fragments ---- */

/* Compact output must stay byte-identical to the yajl_gen writer above (a unit test
 * compares the two); strings go through jsonesc.c, which writes what yajl_gen does. */
typedef outbuf jw;

#define JW_LIT(w, s) outbuf_add((w), "" s, sizeof(s) - 1) /* literals only */

static void jw_frag(jw *w, g_frag f)
{
    outbuf_add(w, f.p, f.len);
}

static void jw_uint(jw *w, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    outbuf_add(w, tmp + i, sizeof tmp - i);
}

static void jw_opt_num(jw *w, bool has, double v)
{
    if (!has) {
        JW_LIT(w, "null");
        return;
    }
    /* "%.15g" prints a whole number below 1e15 as its digits: no need for printf */
    if (v >= 0 && v < 1e15 && v == (double)(unsigned long long)v && !(v == 0 && signbit(v))) {
        jw_uint(w, (unsigned long long)v);
        return;
    }
    char buf[NUM_FMT_SIZE];
    num_fmt(buf, sizeof buf, v);
    outbuf_add(w, buf, strlen(buf));
}

/* A dose's rule (index + 1, 0 none) as its frozen JSON id, or null. */
static void jw_rule_id(jw *w, const mga_ruleset *rs, uint32_t rule)
{
    if (rule)
        jw_frag(w, rs->rules[rule - 1].json_id);
    else
        JW_LIT(w, "null");
}

/* eval_over_what's text as a JSON string, from frozen pieces: a form's JSON string is its name
 * in quotes, and "prefer " and the digits of a dose need no escapes. */
static void jw_what(jw *w, const mga_ruleset *rs, const res_over *o)
{
    switch (o->what) {
    case OV_PREFER: {
        g_frag f = rs->forms_json[o->form]; /* "name" */
        JW_LIT(w, "\"prefer ");
        outbuf_add(w, f.p + 1, f.len - 1);
        return;
    }
    case OV_START:
    case OV_TARGET:
        if (o->what == OV_START)
            JW_LIT(w, "\"start dose ");
        else
            JW_LIT(w, "\"target dose ");
        jw_opt_num(w, true, o->mg);
        JW_LIT(w, " mg\"");
        return;
    case OV_ITEM:
        JW_LIT(w, "\"advice item\"");
        return;
    }
}

/* Moves what w holds into the rule set's arena as a fragment and empties w. */
static bool jw_take(jw *w, mga_ruleset *rs, g_frag *out)
{
    if (w->oom)
        return false;
    char *p = arena_alloc_uninit(&rs->a, w->b.len + 1);
    if (!p)
        return false;
    if (w->b.len)
        memcpy(p, w->b.p, w->b.len);
    p[w->b.len] = '\0';
    out->p = p;
    out->len = w->b.len;
    w->b.len = 0;
    return true;
}

static void jw_forms(jw *w, const mga_ruleset *rs, const uint32_t *v, uint32_t n)
{
    JW_LIT(w, "[");
    for (uint32_t k = 0; k < n; k++) {
        if (k)
            JW_LIT(w, ",");
        json_str(w, rs->forms[v[k]]);
    }
    JW_LIT(w, "]");
}

/* The advice item of rule g, as write_json gives it. */
static void jw_rule(jw *w, const mga_ruleset *rs, const g_rule *g)
{
    JW_LIT(w, "{\"group\":");
    json_str(w, mga_group_str(rs->plan->advice[g - rs->rules].group));
    JW_LIT(w, ",\"rule\":");
    json_str(w, g->id);
    JW_LIT(w, ",\"kind\":");
    json_str(w, mga_kind_str((mga_kind)g->kind));
    JW_LIT(w, ",\"severity\":");
    json_str(w, mga_severity_str((mga_severity)g->severity));
    JW_LIT(w, ",\"text\":");
    json_str(w, g->say);
    JW_LIT(w, ",\"evidence\":");
    json_str(w, g->evidence);
    if (g->refer) {
        JW_LIT(w, ",\"refer\":");
        json_str(w, g->refer);
    }
    if (g->avoid_supplements)
        JW_LIT(w, ",\"avoid_supplements\":true");
    if (g->withhold_supplements)
        JW_LIT(w, ",\"withhold_supplements\":true");
    if (g->nprefer) {
        JW_LIT(w, ",\"prefer\":");
        jw_forms(w, rs, g->prefer, g->nprefer);
    }
    if (g->navoid) {
        JW_LIT(w, ",\"avoid\":");
        jw_forms(w, rs, g->avoid, g->navoid);
    }
    JW_LIT(w, ",\"cite\":[");
    for (uint32_t c = 0; c < g->ncites; c++) {
        const mga_cite *pc = &g->pub_cites[c];
        if (c)
            JW_LIT(w, ",");
        JW_LIT(w, "{\"source\":");
        json_str(w, pc->source);
        JW_LIT(w, ",\"ref\":");
        if (pc->ref)
            jw_uint(w, pc->ref);
        else
            JW_LIT(w, "null");
        JW_LIT(w, ",\"quote\":");
        json_str(w, pc->quote);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]}");
}

/* The index of (src, ref) in rs->refs_json, added when new. */
static bool ref_entry(mga_ruleset *rs, size_t *cap, uint32_t src, unsigned ref, uint32_t *out)
{
    for (size_t i = 0; i < rs->nrefs_json; i++)
        if (rs->refs_json[i].source == src && rs->refs_json[i].ref == ref) {
            *out = (uint32_t)i;
            return true;
        }
    if (rs->nrefs_json == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        g_refjson *nv = arena_alloc(&rs->a, ncap * sizeof *nv);
        if (!nv)
            return false;
        if (rs->nrefs_json)
            memcpy(nv, rs->refs_json, rs->nrefs_json * sizeof *nv);
        rs->refs_json = nv;
        *cap = ncap;
    }
    g_refjson *e = &rs->refs_json[rs->nrefs_json];
    e->source = src;
    e->ref = ref;
    *out = (uint32_t)rs->nrefs_json++;
    return true;
}

/* Bytes the numbered references may take (refs_table): the shipped rules need about
 * 1 MB (53 cited entries of 18 KB in all, each at up to 53 positions). */
#define REFS_NUM_BUDGET ((size_t)2 << 20)

/* Digits of k (the numbered references' size, before they are laid out) */
static inline unsigned ndigits(uint32_t k)
{
    return 1u + (k >= 10) + (k >= 100) + (k >= 1000) + (k >= 10000) + (k >= 100000) +
           (k >= 1000000) + (k >= 10000000) + (k >= 100000000) + (k >= 1000000000);
}

/* Cited entry e at each position K (1..kmax) of a result's "references", its number and
 * all (,{"n":K,"source":...}): pos[e * kmax + K - 1] holds its offset in num (low 32
 * bits) and its length (high 32 bits), one load per reference: one stable part per
 * reference, not a number between two. Laid out by diagonals (entry e at K, then e + 1 at
 * K + 1, ...), so that references cited in the order they are first cited follow each
 * other in memory and are one part together. The whole grows as (cited entries)^2, so
 * kmax is cut to keep it within a budget; past it, the number is written per result.
 * One allocation (size bytes) holds the header, pos and num. */
typedef struct refs_table {
    size_t size;
    uint32_t kmax;
    const uint64_t *pos;
    const char *num;
} refs_table;

/* No table (kmax 0): published when the budget leaves no position or memory runs out, so
 * that the writers do not try again for every result. */
static const refs_table refs_none = {0, 0, NULL, NULL};

static size_t put_uint(char *p, uint32_t v)
{
    char tmp[12];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* Builds the table of rs (the cited entries, the first rs->nrefs_cited of refs_json);
 * &refs_none when there is nothing to hold or no memory for it. Uses only the allocator,
 * which is thread-safe when a rule set is shared (mgadvise.h). */
static const refs_table *refs_build(const mga_ruleset *rs)
{
    size_t n = rs->nrefs_cited, bytes = 0; /* of one position of every cited entry */
    for (size_t e = 0; e < n; e++)
        bytes += rs->refs_json[e].json.len + 6 + ndigits((uint32_t)e + 1);
    size_t kmax = n;
    if (bytes && kmax > REFS_NUM_BUDGET / bytes)
        kmax = REFS_NUM_BUDGET / bytes;
    if (!kmax)
        return &refs_none;
    /* diagonal d holds entry e at position e + d + 1, for each e that puts in 1..kmax */
    size_t total = 0;
    for (size_t d0 = 0; d0 + 1 < n + kmax; d0++) {
        long d = (long)d0 - (long)(n - 1);
        for (size_t e = d < 0 ? (size_t)-d : 0; e < n && (long)e + d < (long)kmax; e++)
            total += 6 + ndigits((uint32_t)((long)e + d) + 1) + rs->refs_json[e].json.len;
    }
    if (total > UINT32_MAX)
        return &refs_none;
    size_t head = (sizeof(refs_table) + 7) & ~(size_t)7;
    size_t size = head + n * kmax * sizeof(uint64_t) + total;
    char *blk = mem_alloc(&rs->m, size);
    if (!blk)
        return &refs_none;
    refs_table *t = (refs_table *)(void *)blk;
    uint64_t *pos = (uint64_t *)(void *)(blk + head);
    char *num = (char *)(pos + n * kmax), *w = num;
    for (size_t d0 = 0; d0 + 1 < n + kmax; d0++) {
        long d = (long)d0 - (long)(n - 1);
        for (size_t e = d < 0 ? (size_t)-d : 0; e < n && (long)e + d < (long)kmax; e++) {
            size_t k = (size_t)((long)e + d) + 1;
            char *at = w;
            memcpy(w, ",{\"n\":", 6);
            w += 6;
            w += put_uint(w, (uint32_t)k);
            memcpy(w, rs->refs_json[e].json.p, rs->refs_json[e].json.len);
            w += rs->refs_json[e].json.len;
            pos[e * kmax + k - 1] = (uint64_t)(w - at) << 32 | (uint64_t)(at - num);
        }
    }
    t->size = size;
    t->kmax = (uint32_t)kmax;
    t->pos = pos;
    t->num = num;
    return t;
}

/* The table of rs, built on first use. Two threads may build it at once: one publishes
 * its table, the other frees its own and takes that one. */
static const refs_table *refs_get(const mga_ruleset *rs)
{
    struct refs_table **slot = &((mga_ruleset *)rs)->refs_tab; /* a cache, not the graph */
    refs_table *t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (t)
        return t;
    refs_table *mine = (refs_table *)refs_build(rs), *none = NULL;
    if (__atomic_compare_exchange_n(slot, &none, mine, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return mine;
    if (mine != &refs_none)
        mem_free(&rs->m, mine, mine->size);
    return none; /* the winner's */
}

/* The table of rs if it is built, else none. */
static const refs_table *refs_peek(const mga_ruleset *rs)
{
    const refs_table *t = __atomic_load_n(&rs->refs_tab, __ATOMIC_ACQUIRE);
    return t ? t : &refs_none;
}

unsigned output_refs_kmax(const mga_ruleset *rs)
{
    return refs_get(rs)->kmax;
}

void output_free_refs(mga_ruleset *rs)
{
    refs_table *t = rs->refs_tab;
    if (t && t != &refs_none)
        mem_free(&rs->m, t, t->size);
    rs->refs_tab = NULL;
}

/* Renumbers rs->refs_json so that the cited entries come first, in order of first citation
 * along rs->order (the order of rules in a result) and each rule's cites: references cited
 * in that order are then next to each other in the numbered references (refs_table). */
static bool order_refs(mga_ruleset *rs)
{
    size_t n = rs->nrefs_json;
    uint32_t *to = mem_alloc(&rs->m, (n + 1) * sizeof *to);
    g_refjson *nv = arena_alloc(&rs->a, (n + 1) * sizeof *nv);
    if (!to || !nv) {
        mem_free(&rs->m, to, (n + 1) * sizeof *to);
        return false;
    }
    for (size_t e = 0; e < n; e++)
        to[e] = UINT32_MAX;
    uint32_t next = 0;
    for (size_t k = 0; k < rs->nrules; k++) {
        uint32_t ri = rs->order[k];
        for (uint32_t j = rs->rule_refs_off[ri]; j < rs->rule_refs_off[ri + 1]; j++)
            if (to[rs->rule_refs[j]] == UINT32_MAX)
                to[rs->rule_refs[j]] = next++;
    }
    rs->nrefs_cited = next;
    for (size_t e = 0; e < n; e++)
        if (to[e] == UINT32_MAX)
            to[e] = next++;
    for (size_t e = 0; e < n; e++)
        nv[to[e]] = rs->refs_json[e];
    rs->refs_json = nv;
    for (size_t j = 0; j < rs->rule_refs_off[rs->nrules]; j++)
        rs->rule_refs[j] = to[rs->rule_refs[j]];
    for (size_t i = 0; i < rs->nrules; i++)
        for (uint32_t c = 0; c < rs->rules[i].ncites; c++)
            rs->rules[i].cites[c].refix = to[rs->rules[i].cites[c].refix];
    mem_free(&rs->m, to, (n + 1) * sizeof *to);
    return true;
}

/* What collect_refs reads when at most REFS_PAD entries are cited: per rule, its entries
 * as bits (rs->refs_mask) and as a list padded to a multiple of four (rs->refs_pad). */
static bool freeze_refs_bits(mga_ruleset *rs)
{
    if (rs->nrefs_cited > REFS_PAD)
        return true;
    size_t npad = 0;
    for (size_t i = 0; i < rs->nrules; i++)
        npad += (rs->rule_refs_off[i + 1] - rs->rule_refs_off[i] + 3) / 4 * 4;
    rs->refs_mask = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->refs_mask);
    rs->refs_pad_off = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->refs_pad_off);
    rs->refs_pad = arena_alloc(&rs->a, (npad + 1) * sizeof *rs->refs_pad);
    if (!rs->refs_mask || !rs->refs_pad_off || !rs->refs_pad)
        return false;
    for (size_t i = 0, k = 0; i < rs->nrules; i++) {
        rs->refs_mask[i] = 0;
        rs->refs_pad_off[i] = (uint32_t)k;
        for (uint32_t j = rs->rule_refs_off[i]; j < rs->rule_refs_off[i + 1]; j++) {
            rs->refs_mask[i] |= 1ull << rs->rule_refs[j];
            rs->refs_pad[k++] = rs->rule_refs[j];
        }
        while (k % 4)
            rs->refs_pad[k++] = REFS_PAD; /* no rule cites it: its bit is never new */
        rs->refs_pad_off[i + 1] = (uint32_t)k;
    }
    return true;
}

/* Each rule's advice item with a comma in front, side by side in rs->order (g_rule.json,
 * rs->advice_json). */
static bool freeze_advice(mga_ruleset *rs, jw *w)
{
    size_t n = rs->nrules;
    size_t *at = mem_alloc(&rs->m, (n + 1) * sizeof *at);
    rs->advice_json = arena_alloc(&rs->a, (n + 1) * sizeof *rs->advice_json);
    bool ok = at && rs->advice_json;
    g_frag all = {NULL, 0};
    if (ok) {
        w->b.len = 0;
        for (size_t k = 0; k < n; k++) {
            at[k] = w->b.len;
            JW_LIT(w, ",");
            jw_rule(w, rs, &rs->rules[rs->order[k]]);
        }
        at[n] = w->b.len;
        ok = jw_take(w, rs, &all);
    }
    for (size_t k = 0; ok && k < n; k++) {
        g_rule *g = &rs->rules[rs->order[k]];
        rs->advice_json[rs->order[k]] = (g_frag){all.p + at[k], at[k + 1] - at[k]};
        g->json = (g_frag){all.p + at[k] + 1, at[k + 1] - at[k] - 1};
    }
    mem_free(&rs->m, at, (n + 1) * sizeof *at);
    return ok;
}

bool output_freeze_json(mga_ruleset *rs)
{
    jw w = {&rs->m, {NULL, 0, 0}, false};
    bool ok = true;
    /* the (source, ref) pairs: per source, ref 0 first and then its numbered references,
     * so that lookups need no search; a ref the source does not list gets its own entry */
    size_t cap = 0;
    uint32_t *base = arena_alloc(&rs->a, (rs->nsources + 1) * sizeof *base);
    ok = base != NULL;
    for (size_t s = 0; ok && s < rs->nsources; s++) {
        uint32_t ix;
        ok = ref_entry(rs, &cap, (uint32_t)s, 0, &base[s]);
        for (size_t r = 0; ok && r < rs->sources[s].nrefs; r++)
            ok = ref_entry(rs, &cap, (uint32_t)s, rs->sources[s].refs[r].n, &ix);
    }
    for (size_t i = 0; ok && i < rs->nrules; i++) {
        g_rule *g = &rs->rules[i];
        for (uint32_t c = 0; ok && c < g->ncites; c++) {
            g_cite *gc = &g->cites[c];
            const g_source *src = &rs->sources[gc->source];
            uint32_t ix = base[gc->source];
            bool found = gc->ref == 0;
            for (size_t r = 0; !found && r < src->nrefs; r++)
                if (src->refs[r].n == gc->ref) {
                    ix += 1 + (uint32_t)r;
                    found = true;
                }
            if (!found || rs->refs_json[ix].ref != gc->ref) /* a repeated ref number */
                ok = ref_entry(rs, &cap, gc->source, gc->ref, &ix);
            gc->refix = ix;
        }
    }
    /* each rule's distinct entries, in the order of its cites */
    rs->rule_refs_off = ok ? arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->rule_refs_off)
                           : NULL;
    size_t ncites = 0;
    for (size_t i = 0; i < rs->nrules; i++)
        ncites += rs->rules[i].ncites;
    rs->rule_refs = ok ? arena_alloc(&rs->a, (ncites + 1) * sizeof *rs->rule_refs) : NULL;
    ok = rs->rule_refs_off && rs->rule_refs;
    for (size_t i = 0, n = 0; ok && i < rs->nrules; i++) {
        const g_rule *g = &rs->rules[i];
        size_t first = n;
        rs->rule_refs_off[i] = (uint32_t)n;
        for (uint32_t c = 0; c < g->ncites; c++) {
            size_t k = first;
            while (k < n && rs->rule_refs[k] != g->cites[c].refix)
                k++;
            if (k == n)
                rs->rule_refs[n++] = g->cites[c].refix;
        }
        rs->rule_refs_off[i + 1] = (uint32_t)n;
    }
    ok = ok && order_refs(rs) && freeze_refs_bits(rs);
    for (size_t i = 0; ok && i < rs->nrefs_json; i++) {
        g_refjson *e = &rs->refs_json[i];
        const g_source *s = &rs->sources[e->source];
        JW_LIT(&w, ",\"source\":");
        json_str(&w, s->key);
        JW_LIT(&w, ",\"ref\":");
        if (e->ref)
            jw_uint(&w, e->ref);
        else
            JW_LIT(&w, "null");
        JW_LIT(&w, ",\"text\":");
        json_str(&w, e->ref ? ref_text(s, e->ref) : NULL);
        JW_LIT(&w, ",\"document\":");
        json_str(&w, s->title);
        JW_LIT(&w, ",\"author\":");
        json_str(&w, s->author);
        JW_LIT(&w, ",\"publisher\":");
        json_str(&w, s->publisher);
        JW_LIT(&w, "}");
        ok = jw_take(&w, rs, &e->json);
    }
    ok = ok && freeze_advice(rs, &w);
    for (size_t i = 0; ok && i < rs->nrules; i++) {
        g_rule *g = &rs->rules[i];
        json_str(&w, g->id);
        ok = jw_take(&w, rs, &g->json_id);
        /* the lean item: the constant part of the whole one stays in the catalog */
        JW_LIT(&w, "[");
        json_str(&w, g->id);
        JW_LIT(&w, ",");
        json_str(&w, mga_kind_str((mga_kind)g->kind));
        JW_LIT(&w, ",");
        json_str(&w, mga_severity_str((mga_severity)g->severity));
        JW_LIT(&w, "]");
        ok = ok && jw_take(&w, rs, &g->json_lean);
    }
    rs->forms_json = ok ? arena_alloc(&rs->a, (rs->nforms + 1) * sizeof *rs->forms_json) : NULL;
    ok = rs->forms_json != NULL;
    for (size_t i = 0; ok && i < rs->nforms; i++) {
        json_str(&w, rs->forms[i]);
        ok = jw_take(&w, rs, &rs->forms_json[i]);
    }
    if (ok) {
        /* the content hash is set after the graph is frozen: it is written per result */
        JW_LIT(&w, ",\"ruleset\":{\"name\":");
        json_str(&w, rs->name);
        JW_LIT(&w, ",\"hash\":");
        ok = jw_take(&w, rs, &rs->json_head);
    }
    if (ok) {
        JW_LIT(&w, "],\"disclaimer\":");
        json_str(&w, rs->disclaimer);
        JW_LIT(&w, "}\n");
        ok = jw_take(&w, rs, &rs->json_tail);
    }
    membuf_free(&rs->m, &w.b);
    return ok;
}

/* Where write_compact lists the large constant fragments: NULL copies them into the
 * buffer (mga_result_write); with a part list (mga_result_parts) each is a stable part,
 * and the buffer bytes written since the last one a part of their own (its pointer is set
 * once the buffer is complete, as the buffer may move while it grows). The advice items
 * and numbered references go in runs (part_run), whatever their length; another fragment
 * under PART_MIN bytes is copied either way (jw_part): another part costs a writer more
 * than copying it. */
typedef struct part_list {
    mga_part *v;
    size_t n;
    size_t mark;  /* buffer bytes already in parts */
    size_t first; /* the first buffer piece (SIZE_MAX: none yet) */
    size_t last;  /* the last; each piece's p holds the index of the next until the end */
} part_list;

#define PART_MIN 256

static void part_pending(jw *w, part_list *pl)
{
    if (w->b.len > pl->mark) {
        if (pl->first == SIZE_MAX)
            pl->first = pl->n;
        else
            pl->v[pl->last].p = (const char *)(uintptr_t)pl->n;
        pl->last = pl->n;
        pl->v[pl->n++] = (mga_part){NULL, w->b.len - pl->mark, 0};
        pl->mark = w->b.len;
    }
}

static inline void jw_part(jw *w, part_list *pl, g_frag f)
{
    if (!pl || f.len < PART_MIN) {
        jw_frag(w, f);
        return;
    }
    part_pending(w, pl);
    pl->v[pl->n++] = (mga_part){f.p, f.len, 1};
}

/* Stable parts from the rule set's advice items or references (laid out in the order
 * results cite them), with no buffer bytes between them: a fragment that starts where the
 * current part ends makes it longer, else the current part is done and the fragment is
 * the next. Which is up to the profile, so no branch decides it: the current part lives in
 * registers and is stored every time, the count moving on only when a part is done. */
typedef struct part_run {
    mga_part *v;
    size_t n; /* parts done */
    const char *p;
    size_t len; /* the current part */
} part_run;

static inline part_run run_start(part_list *pl, const char *p, size_t len)
{
    return (part_run){pl->v, pl->n, p, len};
}

static inline void run_add(part_run *r, const char *p, size_t len)
{
    size_t c = (size_t)(r->p + r->len == p), keep = (size_t)0 - c;
    r->v[r->n] = (mga_part){r->p, r->len, 1};
    r->n += 1 - c;
    /* masks, not ?: (which a compiler may turn into the branch this avoids) */
    r->p = (const char *)(((uintptr_t)r->p & keep) | ((uintptr_t)p & ~keep));
    r->len = (r->len & keep) + len;
}

static inline void run_end(part_list *pl, const part_run *r)
{
    r->v[r->n] = (mga_part){r->p, r->len, 1};
    pl->n = r->n + 1;
}

/* write_json_warnings' bytes (a profile with warnings: not on the fast path). */
static void jw_warnings(jw *w, const mga_profile *p)
{
    JW_LIT(w, ",\"warnings\":[");
    for (uint32_t i = 0; i < p->nwarn; i++) {
        char code[16];
        int n = snprintf(code, sizeof code, "W%04u", (unsigned)p->warn[i].code);
        if (i)
            JW_LIT(w, ",");
        JW_LIT(w, "{\"code\":");
        json_esc(w, code, (size_t)n);
        JW_LIT(w, ",\"path\":");
        json_str(w, profile_wtext(p, p->warn[i].path));
        JW_LIT(w, ",\"message\":");
        json_str(w, profile_wtext(p, p->warn[i].msg));
        JW_LIT(w, ",\"note\":");
        json_str(w, profile_wtext(p, p->warn[i].note));
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]");
}

static void jw_rule_ids(jw *w, const mga_ruleset *rs, const uint32_t *v, size_t n)
{
    JW_LIT(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            JW_LIT(w, ",");
        jw_frag(w, rs->rules[v[i]].json_id);
    }
    JW_LIT(w, "]");
}

/* write_summary's bytes, from the frozen ids and forms. */
static void jw_summary(jw *w, const mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const mga_summary *s = &r->summary;
    JW_LIT(w, ",\"summary\":{\"decision\":");
    json_str(w, mga_decision_str(s->decision));
    JW_LIT(w, ",\"decided_by\":");
    jw_rule_ids(w, rs, r->decided, s->ndecided_by);
    JW_LIT(w, ",\"prefer\":[");
    for (size_t i = 0; i < r->nprefer; i++) {
        if (i)
            JW_LIT(w, ",");
        jw_frag(w, rs->forms_json[r->prefer[i]]);
    }
    JW_LIT(w, "],\"start_mg\":");
    jw_opt_num(w, s->has_start, s->start_mg);
    JW_LIT(w, ",\"target_mg\":");
    jw_opt_num(w, s->has_target, s->target_mg);
    JW_LIT(w, ",\"max_mg\":");
    jw_opt_num(w, s->has_max, s->max_mg);
    JW_LIT(w, ",\"see_doctor\":");
    if (!s->nreasons) {
        JW_LIT(w, "null}");
        return;
    }
    JW_LIT(w, "{\"urgency\":");
    json_str(w, s->refer);
    JW_LIT(w, ",\"reasons\":[");
    for (size_t i = 0; i < s->nreasons; i++) {
        if (i)
            JW_LIT(w, ",");
        JW_LIT(w, "{\"rule\":");
        jw_frag(w, rs->rules[r->referral[i]].json_id);
        JW_LIT(w, ",\"urgency\":");
        json_str(w, s->reasons[i].urgency);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]}}");
}

/* ,"dose":{...} from the resolved doses and the frozen rule ids. */
static void jw_dose(jw *w, const mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const mga_dose *d = &r->dose;
    JW_LIT(w, ",\"dose\":{\"start_mg\":");
    jw_opt_num(w, d->has_start, d->start_mg);
    JW_LIT(w, ",\"start_rule\":");
    jw_rule_id(w, rs, r->start_rule);
    JW_LIT(w, ",\"target_mg\":");
    jw_opt_num(w, d->has_target, d->target_mg);
    JW_LIT(w, ",\"target_rule\":");
    jw_rule_id(w, rs, r->target_rule);
    JW_LIT(w, ",\"max_mg\":");
    jw_opt_num(w, d->has_max, d->max_mg);
    JW_LIT(w, ",\"max_rule\":");
    jw_rule_id(w, rs, r->max_rule);
    JW_LIT(w, "}");
}

static void jw_form_list(jw *w, const mga_ruleset *rs, const uint32_t *v, size_t n)
{
    JW_LIT(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            JW_LIT(w, ",");
        jw_frag(w, rs->forms_json[v[i]]);
    }
    JW_LIT(w, "]");
}

/* The lean ,"dose":{...}: only the doses the result gives, each with its rule. */
static void jw_dose_lean(jw *w, const mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const mga_dose *d = &r->dose;
    bool more = false;
    JW_LIT(w, ",\"dose\":{");
    if (d->has_start) {
        JW_LIT(w, "\"start_mg\":");
        jw_opt_num(w, true, d->start_mg);
        JW_LIT(w, ",\"start_rule\":");
        jw_rule_id(w, rs, r->start_rule);
        more = true;
    }
    if (d->has_target) {
        if (more)
            JW_LIT(w, ",");
        JW_LIT(w, "\"target_mg\":");
        jw_opt_num(w, true, d->target_mg);
        JW_LIT(w, ",\"target_rule\":");
        jw_rule_id(w, rs, r->target_rule);
        more = true;
    }
    if (d->has_max) {
        if (more)
            JW_LIT(w, ",");
        JW_LIT(w, "\"max_mg\":");
        jw_opt_num(w, true, d->max_mg);
        JW_LIT(w, ",\"max_rule\":");
        jw_rule_id(w, rs, r->max_rule);
    }
    JW_LIT(w, "}");
}

/* ,"forms":{...}; lean leaves "supplements" out (the summary's decision says the same). */
static void jw_forms_used(jw *w, const mga_result *r, bool lean)
{
    const mga_ruleset *rs = r->rs;
    int32_t sby = supplements_by(r);
    JW_LIT(w, ",\"forms\":{");
    if (!lean) {
        JW_LIT(w, "\"supplements\":");
        json_str(w, supplements_word(r));
        JW_LIT(w, ",");
    }
    JW_LIT(w, "\"supplements_rule\":");
    if (sby >= 0)
        jw_frag(w, rs->rules[sby].json_id);
    else
        JW_LIT(w, "null");
    JW_LIT(w, ",\"prefer\":");
    jw_form_list(w, rs, r->prefer, r->nprefer);
    JW_LIT(w, ",\"avoid\":");
    jw_form_list(w, rs, r->avoid, r->navoid);
    JW_LIT(w, "}");
}

/* ,"overruled":[...] */
static void jw_overruled(jw *w, const mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    JW_LIT(w, ",\"overruled\":[");
    for (size_t i = 0; i < r->nover; i++) {
        const res_over *o = &r->over[i];
        if (i)
            JW_LIT(w, ",");
        JW_LIT(w, "{\"rule\":");
        jw_frag(w, rs->rules[o->rule].json_id);
        JW_LIT(w, ",\"what\":");
        jw_what(w, rs, o);
        JW_LIT(w, ",\"by\":");
        jw_frag(w, rs->rules[o->by].json_id);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]");
}

/* A result in the lean form (MGA_FORMAT_JSON_LEAN, mgadvise.h): what varies per profile,
 * each fact once; the rest is in the rule set's catalog (mga_ruleset_write_catalog). */
static void write_lean(const mga_result *r, jw *w)
{
    const mga_ruleset *rs = r->rs;
    const mga_summary *s = &r->summary;
    /* 16 hex digits (api.c): nothing to escape */
    JW_LIT(w, "{\"ruleset_hash\":\"");
    outbuf_add(w, rs->hash, 16);
    JW_LIT(w, "\"");
    if (r->p->nwarn)
        jw_warnings(w, r->p);
    JW_LIT(w, ",\"decision\":");
    json_str(w, mga_decision_str(s->decision));
    JW_LIT(w, ",\"decided_by\":");
    jw_rule_ids(w, rs, r->decided, s->ndecided_by);
    JW_LIT(w, ",\"advice\":[");
    for (size_t i = 0; i < r->nadvice; i++) {
        if (i)
            JW_LIT(w, ",");
        jw_frag(w, rs->rules[r->advice_rule[i]].json_lean);
    }
    JW_LIT(w, "],\"see_doctor\":");
    if (s->nreasons) {
        JW_LIT(w, "{\"urgency\":");
        json_str(w, s->refer);
        JW_LIT(w, ",\"rules\":");
        jw_rule_ids(w, rs, r->referral, s->nreasons);
        JW_LIT(w, "}");
    } else {
        JW_LIT(w, "null");
    }
    jw_dose_lean(w, r);
    jw_forms_used(w, r, true);
    jw_overruled(w, r);
    /* json_tail is ],"disclaimer":...}: the ] closes the references of the full form */
    outbuf_add(w, rs->json_tail.p + 1, rs->json_tail.len - 1);
}

/* A result as one line of compact JSON: the fragments of its rules and references copied
 * (or, with ps, listed as parts), only the id, dose, forms and overruled entries formatted
 * here. */
static void write_compact(const mga_result *r, jw *w, part_list *ps)
{
    const mga_ruleset *rs = r->rs;
    JW_LIT(w, "{\"id\":");
    json_id(w, r->p->id, r->p->id_number);
    jw_frag(w, rs->json_head);
    /* 16 hex digits (api.c): nothing to escape */
    JW_LIT(w, "\"");
    outbuf_add(w, rs->hash, 16);
    JW_LIT(w, "\"}");
    if (r->p->nwarn)
        jw_warnings(w, r->p);
    jw_summary(w, r);
    JW_LIT(w, ",\"advice\":[");
    /* each item: its rank, then the rule's constant item without its '{' */
    for (size_t i = 0; i < r->nadvice; i++) {
        g_frag f = rs->rules[r->advice_rule[i]].json;
        if (i)
            JW_LIT(w, ",");
        JW_LIT(w, "{\"rank\":");
        jw_uint(w, i + 1);
        JW_LIT(w, ",");
        f.p++;
        f.len--;
        jw_part(w, ps, f);
    }
    JW_LIT(w, "]");
    jw_dose(w, r);
    jw_forms_used(w, r, false);
    jw_overruled(w, r);
    JW_LIT(w, ",\"references\":[");
    collect_refs(r, false, r->advice_rule, r->nadvice);
    size_t i = 0;
    /* parts (batch's writev) build the table; a plain write uses it once it is there:
     * one result does not pay for a table made for many */
    const refs_table *tab = !r->nrefs ? &refs_none : ps ? refs_get(rs) : refs_peek(rs);
    const uint32_t kmax = tab->kmax;
    if (ps && r->nrefs && kmax) {
        part_pending(w, ps);
        uint32_t e = r->reforder[0];
        /* the first without its comma */
        uint64_t x = tab->pos[e * kmax];
        part_run run = run_start(ps, tab->num + (uint32_t)x + 1, (x >> 32) - 1);
        for (i = 1; i < r->nrefs && i < kmax; i++) {
            x = tab->pos[r->reforder[i] * kmax + i];
            run_add(&run, tab->num + (uint32_t)x, x >> 32);
        }
        run_end(ps, &run);
    }
    for (; !ps && i < r->nrefs && i < kmax; i++) {
        uint32_t e = r->reforder[i];
        uint64_t x = tab->pos[e * kmax + i];
        g_frag f = {tab->num + (uint32_t)x, x >> 32};
        if (!i) { /* the first without its comma */
            f.p++;
            f.len--;
        }
        jw_frag(w, f);
    }
    for (; i < r->nrefs; i++) {
        if (i)
            JW_LIT(w, ",");
        JW_LIT(w, "{\"n\":");
        jw_uint(w, i + 1);
        jw_part(w, ps, rs->refs_json[r->reforder[i]].json);
    }
    jw_frag(w, rs->json_tail);
}

/* ---- the catalog: what brief results leave out, once per rule set ---- */

mga_status mga_ruleset_write_catalog(const mga_ruleset *rs, mga_write_fn fn, void *ud)
{
    if (!rs || !fn)
        return MGA_E_MISUSE;
    jw w = {&rs->m, {NULL, 0, 0}, false};
    JW_LIT(&w, "{\"ruleset\":{\"name\":");
    json_str(&w, rs->name);
    JW_LIT(&w, ",\"hash\":");
    json_str(&w, rs->hash);
    JW_LIT(&w, "},\"disclaimer\":");
    json_str(&w, rs->disclaimer);
    JW_LIT(&w, ",\"rules\":{");
    for (size_t i = 0; i < rs->nrules; i++) {
        if (i)
            JW_LIT(&w, ",");
        jw_frag(&w, rs->rules[i].json_id);
        JW_LIT(&w, ":");
        jw_frag(&w, rs->rules[i].json);
    }
    JW_LIT(&w, "},\"sources\":[");
    for (size_t s = 0; s < rs->nsources; s++) {
        const g_source *src = &rs->sources[s];
        if (s)
            JW_LIT(&w, ",");
        JW_LIT(&w, "{\"source\":");
        json_str(&w, src->key);
        JW_LIT(&w, ",\"document\":");
        json_str(&w, src->title);
        JW_LIT(&w, ",\"author\":");
        json_str(&w, src->author);
        JW_LIT(&w, ",\"publisher\":");
        json_str(&w, src->publisher);
        JW_LIT(&w, ",\"url\":");
        json_str(&w, src->url);
        JW_LIT(&w, ",\"references\":[");
        bool first = true;
        for (size_t k = 0; k < src->nrefs; k++) {
            /* a repeated number keeps the text of its first entry, as ref_text gives it */
            size_t j = 0;
            while (j < k && src->refs[j].n != src->refs[k].n)
                j++;
            if (j < k)
                continue;
            if (!first)
                JW_LIT(&w, ",");
            first = false;
            JW_LIT(&w, "{\"ref\":");
            jw_uint(&w, src->refs[k].n);
            JW_LIT(&w, ",\"text\":");
            json_str(&w, src->refs[k].text);
            JW_LIT(&w, "}");
        }
        JW_LIT(&w, "]}");
    }
    JW_LIT(&w, "]}\n");
    mga_status st = MGA_OK;
    if (w.oom)
        st = MGA_E_NOMEM;
    else if (fn(ud, w.b.p, w.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&rs->m, &w.b);
    return st;
}

/* ---- text ---- */

typedef struct tout {
    mga_write_fn fn;
    void *ud;
    bool failed;
    const mem *m;
    bool oom; /* failed for want of memory (MGA_E_NOMEM, not MGA_E_WRITE) */
} tout;

static void t_put(tout *o, const char *s)
{
    size_t n = strlen(s);
    if (!o->failed && n && o->fn(o->ud, s, n) != 0)
        o->failed = true;
}

/* Text that comes from the rules or the profile: escaped (textsafe.h), never raw. */
static void t_datan(tout *o, const char *s, size_t n)
{
    if (!o->failed && n && textsafe_write(o->fn, o->ud, s, n, 0) != 0)
        o->failed = true;
}

static void t_data(tout *o, const char *s)
{
    t_datan(o, s, strlen(s));
}

/* Layout and numbers only: every %s argument is a literal of this file. */
static void t_printf(tout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void t_printf(tout *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof buf) {
        t_put(o, buf);
        return;
    }
    /* long text: format again into the exact size */
    size_t len = (size_t)n + 1;
    char *big = mem_alloc(o->m, len);
    if (!big) {
        o->failed = o->oom = true; /* never print a silently truncated line */
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, len, fmt, ap);
    va_end(ap);
    t_put(o, big);
    mem_free(o->m, big, len);
}

/* Wraps text at width 88 with the given indent (the first line is already indented). */
static void t_wrap(tout *o, const char *s, size_t indent, size_t first_col)
{
    size_t col = first_col;
    const char *p = s;
    while (*p) {
        const char *w = p;
        while (*w && *w != ' ')
            w++;
        size_t wl = (size_t)(w - p);
        if (col > indent && col + 1 + wl > 88) {
            t_put(o, "\n");
            for (size_t i = 0; i < indent; i++)
                t_put(o, " ");
            col = indent;
        } else if (col > indent) {
            t_put(o, " ");
            col++;
        }
        t_datan(o, p, wl);
        p += wl;
        col += wl;
        while (*p == ' ')
            p++;
    }
}

/* The default text shows every critical and warning item and, up to TEXT_SHOWN items in
 * all, the other act items, then background items while fewer than TEXT_BACKGROUND_FILL
 * are shown, each in rank order. Over bench/gen profiles: median 5 items shown, max 8. */
#define TEXT_SHOWN 8
#define TEXT_BACKGROUND_FILL 4 /* background items only while fewer items are shown */

static const char *see_doctor_words(const char *refer)
{
    return strcmp(refer, "urgent") == 0 ? "urgently" : strcmp(refer, "soon") == 0 ? "soon" : "";
}

/* Writes the summary line in l (then empties it), wrapped at width 88 under an indent. */
static void t_line(tout *o, outbuf *l)
{
    outbuf_put(l, "", 1);
    if (l->oom) {
        o->failed = o->oom = true;
    } else {
        t_put(o, "  ");
        t_wrap(o, l->b.p, 4, 2);
        t_put(o, "\n");
    }
    l->b.len = 0;
}

/* Appends where rules[0..n) stand among the items shown: " (see items 1, 3)", with the
 * ones left out counted ("and 2 more with --all"); nothing when n is 0. The numbers point
 * at the items, which say why in words, instead of at rule ids. */
static void item_refs(outbuf *l, const mga_result *r, size_t nshown, const uint32_t *rules,
                      size_t n)
{
    size_t listed = 0, hidden = 0;
    for (size_t i = 0; i < n; i++) {
        size_t at = 0;
        while (at < nshown && r->shown[at] != rules[i])
            at++;
        listed += at < nshown;
        hidden += at == nshown;
    }
    if (!n)
        return;
    outbuf_printf(l, " (");
    if (listed) {
        outbuf_printf(l, "see item%s", listed > 1 ? "s" : "");
        size_t k = 0;
        for (size_t at = 0; at < nshown; at++)
            for (size_t i = 0; i < n; i++)
                if (r->shown[at] == rules[i]) {
                    outbuf_printf(l, "%s %zu", k++ ? "," : "", at + 1);
                    break;
                }
    }
    if (hidden)
        outbuf_printf(l, "%s%zu more with --all", listed ? "; " : "", hidden);
    outbuf_put(l, ")", 1);
}

static void text_summary(const mga_result *r, tout *o, size_t nshown)
{
    const mga_ruleset *rs = r->rs;
    const mga_summary *s = &r->summary;
    outbuf l = {o->m, {NULL, 0, 0}, false};
    t_put(o, "\nSummary\n");
    outbuf_printf(&l, "Supplements: %s",
                  s->decision == MGA_DECISION_DO_NOT_TAKE ? "do not take them, unless your "
                                                            "doctor says so"
                  : s->decision == MGA_DECISION_ASK_DOCTOR_FIRST ? "ask a doctor first"
                                                                 : "fine within the limits "
                                                                   "given here");
    item_refs(&l, r, nshown, r->decided, s->ndecided_by);
    t_line(o, &l);
    if (r->nprefer || r->navoid) {
        outbuf_printf(&l, "Forms:");
        for (size_t i = 0; i < r->nprefer; i++)
            outbuf_printf(&l, "%s%s", i ? ", " : " prefer ", rs->forms[r->prefer[i]]);
        for (size_t i = 0; i < r->navoid; i++)
            outbuf_printf(&l, "%s%s", i ? ", " : (r->nprefer ? "; avoid " : " avoid "),
                          rs->forms[r->avoid[i]]);
        t_line(o, &l);
    }
    const mga_dose *d = &r->dose;
    if (d->has_start || d->has_target || d->has_max || supplements_by(r) >= 0) {
        char mg[40];
        outbuf_printf(&l, "Dose:");
        if (supplements_by(r) >= 0)
            outbuf_printf(&l, " no supplement dose is suggested");
        if (d->has_start) {
            num_fmt(mg, sizeof mg, d->start_mg);
            outbuf_printf(&l, " start with %s mg a day", mg);
        }
        if (d->has_target) {
            num_fmt(mg, sizeof mg, d->target_mg);
            outbuf_printf(&l, "%s aim for %s mg a day", d->has_start ? ";" : "", mg);
        }
        if (d->has_max) {
            num_fmt(mg, sizeof mg, d->max_mg);
            outbuf_printf(&l, "%s never more than %s mg a day from supplements",
                          d->has_start || d->has_target || supplements_by(r) >= 0 ? ";" : "",
                          mg);
        }
        t_line(o, &l);
    }
    if (s->nreasons) {
        const char *w = see_doctor_words(s->refer);
        outbuf_printf(&l, "See a doctor%s%s", *w ? " " : "", w);
        item_refs(&l, r, nshown, r->referral, s->nreasons);
        t_line(o, &l);
    }
    membuf_free(o->m, &l.b);
}

/* The items a write shows into r->shown, in rank order; returns their number. */
static size_t text_pick(const mga_result *r, bool all)
{
    const mga_advice *adv = r->rs->plan->advice;
    uint32_t *shown = r->shown;
    size_t n = r->nadvice;
    if (all) {
        memcpy(shown, r->advice_rule, n * sizeof *shown);
        return n;
    }
    size_t nsev = 0, nact = 0, nbg = 0;
    for (size_t i = 0; i < n; i++) {
        const mga_advice *a = &adv[r->advice_rule[i]];
        nsev += a->severity != MGA_INFO;
        nact += a->severity == MGA_INFO && a->group == MGA_GROUP_ACT;
        nbg += a->group == MGA_GROUP_BACKGROUND;
    }
    size_t room = nsev < TEXT_SHOWN ? TEXT_SHOWN - nsev : 0;
    size_t want_act = nact < room ? nact : room;
    /* background items (study findings, disagreements, food lists) only fill a short
     * result up to TEXT_BACKGROUND_FILL items: the rest is for --all */
    size_t have = nsev + want_act;
    room = have < TEXT_BACKGROUND_FILL ? TEXT_BACKGROUND_FILL - have : 0;
    size_t want_bg = nbg < room ? nbg : room;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const mga_advice *a = &adv[r->advice_rule[i]];
        bool take = a->severity != MGA_INFO;
        if (!take && a->group == MGA_GROUP_ACT && want_act) {
            take = true;
            want_act--;
        } else if (!take && a->group == MGA_GROUP_BACKGROUND && want_bg) {
            take = true;
            want_bg--;
        }
        if (take)
            shown[k++] = r->advice_rule[i];
    }
    return k;
}

static void write_text(const mga_result *r, tout *o, bool all)
{
    const mga_ruleset *rs = r->rs;
    size_t nshown = text_pick(r, all);
    collect_refs(r, true, r->shown, nshown);
    t_put(o, "Advice for profile ");
    if (r->p->id) {
        t_put(o, "'");
        t_data(o, r->p->id);
        t_put(o, "'");
    } else {
        t_put(o, "without id");
    }
    t_put(o, " (rules: ");
    t_data(o, rs->name ? rs->name : "unnamed");
    t_put(o, ", ");
    t_data(o, rs->hash);
    t_put(o, ")\n");
    if (r->p->nwarn) {
        /* unknown fields allowed, or FHIR input not all used: say what was left out */
        t_put(o, "\nProfile warnings (these parts of the input were not used):\n");
        for (uint32_t i = 0; i < r->p->nwarn; i++) {
            const char *note = profile_wtext(r->p, r->p->warn[i].note);
            t_printf(o, "  W%04u ", (unsigned)r->p->warn[i].code);
            t_data(o, profile_wtext(r->p, r->p->warn[i].msg));
            if (note) {
                t_put(o, " (");
                t_data(o, note);
                t_put(o, ")");
            }
            t_put(o, "\n");
        }
    }
    text_summary(r, o, nshown);
    if (nshown)
        t_put(o, "\nAdvice, most important first\n");
    for (size_t i = 0; i < nshown; i++) {
        const mga_advice *a = &r->rs->plan->advice[r->shown[i]];
        const g_rule *g = &rs->rules[r->shown[i]];
        char lead[32];
        snprintf(lead, sizeof lead, "%3zu. ", i + 1);
        t_put(o, lead);
        t_wrap(o, a->text, 5, 5);
        for (uint32_t c = 0; c < g->ncites; c++) {
            size_t n = r->refno[g->cites[c].refix];
            bool dup = false;
            for (uint32_t k = 0; k < c; k++)
                dup |= g->cites[k].source == g->cites[c].source &&
                       g->cites[k].ref == g->cites[c].ref;
            if (!dup)
                t_printf(o, " [%zu]", n);
        }
        t_put(o, "\n");
        t_printf(o, "     (%s, %s",
                 a->group == MGA_GROUP_BACKGROUND ? "background" : mga_severity_str(a->severity),
                 mga_kind_str(a->kind));
        if (g->avoid_supplements || (g->withhold_supplements && a->kind == MGA_KIND_WITHHOLD))
            t_put(o, ": supplements");
        else if (g->withhold_supplements)
            t_put(o, "; withhold supplements");
        for (uint32_t k = 0; k < g->nprefer; k++) {
            t_put(o, k ? ", " : ": ");
            t_data(o, rs->forms[g->prefer[k]]);
        }
        for (uint32_t k = 0; k < g->navoid; k++) {
            t_put(o, k ? ", " : (g->nprefer ? "; avoid " : ": "));
            t_data(o, rs->forms[g->avoid[k]]);
        }
        if (a->refer) {
            const char *w = see_doctor_words(a->refer);
            t_printf(o, "; see a doctor%s%s", *w ? " " : "", w);
        }
        t_put(o, "; evidence: ");
        t_data(o, a->evidence ? a->evidence : "not graded");
        t_put(o, "; rule ");
        t_data(o, a->rule);
        t_put(o, ")\n");
        for (uint32_t c = 0; c < g->ncites; c++)
            if (g->cites[c].quote) {
                t_put(o, "     \"");
                t_data(o, g->cites[c].quote);
                t_put(o, "\" (");
                t_data(o, rs->sources[g->cites[c].source].key);
                t_put(o, ")\n");
            }
    }
    if (r->nadvice == 0)
        t_put(o, "\nNo rule applies to this profile. Ask a doctor for advice that fits you.\n");
    if (nshown < r->nadvice) {
        size_t more = r->nadvice - nshown;
        t_printf(o, "\n%zu more item%s (background and lower-priority advice): "
                    "'mgadvise eval --all' shows every item.\n",
                 more, more == 1 ? "" : "s");
    }
    bool any_over = false;
    for (size_t i = 0; all && i < r->nover; i++)
        any_over |= r->over[i].what != OV_ITEM;
    if (any_over) {
        t_put(o, "\nOverruled by safety rules:\n");
        for (size_t i = 0; i < r->nover; i++) {
            char buf[80];
            const res_over *ov = &r->over[i];
            if (ov->what == OV_ITEM)
                continue;
            t_put(o, "  - ");
            t_data(o, eval_over_what(r, ov, buf, sizeof buf));
            t_put(o, " (");
            t_data(o, rs->rules[ov->rule].id);
            t_put(o, "), overruled by ");
            t_data(o, rs->rules[ov->by].id);
            t_put(o, "\n");
        }
    }
    if (r->nrefs) {
        t_put(o, "\nReferences\n");
        for (size_t i = 0; i < r->nrefs; i++) {
            const g_refjson *e = &rs->refs_json[r->reforder[i]];
            const g_source *s = &rs->sources[e->source];
            char lead[32];
            snprintf(lead, sizeof lead, "  [%zu] ", i + 1);
            t_put(o, lead);
            const char *rt = e->ref ? ref_text(s, e->ref) : NULL;
            size_t ind = strlen(lead);
            if (rt) {
                t_wrap(o, rt, ind, ind);
                t_printf(o, "\n%*s(reference %u of \"", (int)ind, "", e->ref);
                t_data(o, s->title);
                t_put(o, "\")");
            } else {
                t_put(o, "\"");
                t_data(o, s->title);
                t_put(o, "\"");
                if (s->author) {
                    t_put(o, ", ");
                    t_data(o, s->author);
                }
                if (s->publisher) {
                    t_put(o, ", ");
                    t_data(o, s->publisher);
                }
            }
            t_put(o, "\n");
        }
    }
    if (rs->disclaimer) {
        t_put(o, "\nDisclaimer:");
        t_wrap(o, rs->disclaimer, 0, 11);
        t_put(o, "\n");
    }
}

mga_status mga_result_write(const mga_result *r, mga_format fmt, mga_write_fn fn, void *ud)
{
    if (!r || !fn)
        return MGA_E_MISUSE;
    if (fmt == MGA_FORMAT_TEXT || fmt == MGA_FORMAT_TEXT_ALL) {
        tout o = {fn, ud, false, &r->m, false};
        write_text(r, &o, fmt == MGA_FORMAT_TEXT_ALL);
        return o.oom ? MGA_E_NOMEM : o.failed ? MGA_E_WRITE : MGA_OK;
    }
    if (fmt == MGA_FORMAT_JSON_PRETTY)
        return output_json_gen(r, true, fn, ud);
    if (fmt != MGA_FORMAT_JSON && fmt != MGA_FORMAT_JSON_LEAN)
        return MGA_E_MISUSE;
    /* the buffer stays with the result (one thread at a time), so a reused result writes
     * without allocating */
    mga_result *mr = (mga_result *)r;
    jw w = {&r->m, mr->out, false};
    w.b.len = 0;
    if (fmt == MGA_FORMAT_JSON_LEAN)
        write_lean(r, &w);
    else
        write_compact(r, &w, NULL);
    mr->out = w.b;
    if (w.oom)
        return MGA_E_NOMEM;
    return fn(ud, w.b.p, w.b.len) != 0 ? MGA_E_WRITE : MGA_OK;
}

mga_status mga_result_parts(const mga_result *r, mga_format fmt, const mga_part **parts,
                            size_t *nparts)
{
    if (parts)
        *parts = NULL;
    if (nparts)
        *nparts = 0;
    if (!r || !parts || !nparts || (fmt != MGA_FORMAT_JSON && fmt != MGA_FORMAT_JSON_LEAN))
        return MGA_E_MISUSE;
    mga_result *mr = (mga_result *)r;
    /* at most: each advice item and reference stable, a buffer piece before each and one
     * after the last */
    size_t need = 2 * (r->nadvice + r->rs->nrefs_json) + 3;
    if (need > mr->parts_cap) {
        size_t cap = need > 2 * mr->parts_cap ? need : 2 * mr->parts_cap;
        mga_part *v = mem_realloc(&r->m, mr->parts, mr->parts_cap * sizeof *v, cap * sizeof *v);
        if (!v)
            return MGA_E_NOMEM;
        mr->parts = v;
        mr->parts_cap = cap;
    }
    jw w = {&r->m, mr->out, false};
    w.b.len = 0;
    part_list pl = {mr->parts, 0, 0, SIZE_MAX, 0};
    if (fmt == MGA_FORMAT_JSON_LEAN)
        write_lean(r, &w); /* short: one buffer piece */
    else
        write_compact(r, &w, &pl);
    part_pending(&w, &pl);
    mr->out = w.b;
    if (w.oom)
        return MGA_E_NOMEM;
    /* the buffer is complete: its pieces, a few whatever the number of parts, get their
     * pointers along the chain part_pending left */
    for (size_t i = pl.first, at = 0; i != SIZE_MAX;) {
        size_t next = i == pl.last ? SIZE_MAX : (size_t)(uintptr_t)pl.v[i].p;
        pl.v[i].p = w.b.p + at;
        at += pl.v[i].len;
        i = next;
    }
    *parts = pl.v;
    *nparts = pl.n;
    return MGA_OK;
}

mga_status output_json_gen(const mga_result *r, bool pretty, mga_write_fn fn, void *ud)
{
    jout o = {&r->m, {NULL, 0, 0}, false};
    jgen j;
    if (!jgen_open(&j, &r->m, j_print, &o, pretty))
        return MGA_E_NOMEM;
    write_json(r, j.g);
    jgen_close(&j);
    j_print(&o, "\n", 1);
    mga_status st = MGA_OK;
    if (o.oom)
        st = MGA_E_NOMEM;
    else if (fn(ud, o.b.p, o.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&r->m, &o.b);
    return st;
}
