/* SPDX-License-Identifier: MIT */
/* Cohort statistics of a batch (see batchstats.h). */
#include "batchstats.h"

#include "eval.h"
#include "graph.h"
#include "jsonesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_LIT(o, s) outbuf_add((o), (s), sizeof(s) - 1)

static void out_u64(outbuf *o, uint64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    outbuf_add(o, t, n > 0 ? (size_t)n : 0);
}

bool bstats_init(bstats *s, const mga_ruleset *rs, const mem *m)
{
    memset(s, 0, sizeof *s);
    s->nrules = rs->nrules;
    s->nforms = rs->nforms;
    size_t n = s->nrules + 2 * s->nforms + 1;
    s->fired = mem_alloc(m, n * sizeof *s->fired);
    if (!s->fired)
        return false;
    memset(s->fired, 0, n * sizeof *s->fired);
    s->prefer = s->fired + s->nrules;
    s->avoid = s->prefer + s->nforms;
    return true;
}

void bstats_count(bstats *s, const mga_result *r)
{
    /* each rule shows its advice once per result: a rule counts once a record */
    for (size_t i = 0; i < r->nadvice; i++) {
        uint32_t k = r->advice_rule[i];
        const mga_advice *a = &r->rs->plan->advice[k];
        if ((unsigned)a->severity < 3)
            s->sev[a->severity]++;
        s->fired[k]++;
    }
    for (size_t i = 0; i < r->nprefer; i++)
        s->prefer[r->prefer[i]]++;
    for (size_t i = 0; i < r->navoid; i++)
        s->avoid[r->avoid[i]]++;
}

void bstats_merge(bstats *into, const bstats *from)
{
    size_t n = into->nrules + 2 * into->nforms;
    for (size_t i = 0; i < n; i++)
        into->fired[i] += from->fired[i];
    for (int k = 0; k < 3; k++)
        into->sev[k] += from->sev[k];
}

static void put_forms(outbuf *o, const mga_ruleset *rs, const uint64_t *count,
                      const uint32_t *order)
{
    OUT_LIT(o, "{");
    bool first = true;
    for (size_t i = 0; i < rs->nforms; i++) {
        uint32_t f = order[i];
        if (!count[f])
            continue;
        if (!first)
            OUT_LIT(o, ",");
        first = false;
        json_str(o, rs->forms[f]);
        OUT_LIT(o, ":");
        out_u64(o, count[f]);
    }
    OUT_LIT(o, "}");
}

void bstats_write(const bstats *s, const mga_ruleset *rs, unsigned long long ok,
                  unsigned long long errors, outbuf *o)
{
    OUT_LIT(o, "{\"records\":");
    out_u64(o, ok + errors);
    OUT_LIT(o, ",\"ok\":");
    out_u64(o, ok);
    OUT_LIT(o, ",\"errors\":");
    out_u64(o, errors);
    OUT_LIT(o, ",\"rules\":{");
    for (size_t i = 0; i < s->nrules; i++) {
        if (i)
            OUT_LIT(o, ",");
        json_str(o, rs->rules[i].id);
        OUT_LIT(o, ":");
        out_u64(o, s->fired[i]);
    }
    OUT_LIT(o, "},\"never_fired\":[");
    bool first = true;
    for (size_t i = 0; i < s->nrules; i++)
        if (!s->fired[i]) {
            if (!first)
                OUT_LIT(o, ",");
            first = false;
            json_str(o, rs->rules[i].id);
        }
    OUT_LIT(o, "],\"forms\":{\"prefer\":");
    /* forms by name: a small list, sorted once */
    uint32_t *order = mem_alloc(o->m, (rs->nforms + 1) * sizeof *order);
    if (!order) {
        o->oom = true;
        return;
    }
    /* a handful of forms: insertion sort, no comparison callback needing global state */
    for (size_t i = 0; i < rs->nforms; i++) {
        size_t j = i;
        while (j && strcmp(rs->forms[order[j - 1]], rs->forms[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint32_t)i;
    }
    put_forms(o, rs, s->prefer, order);
    OUT_LIT(o, ",\"avoid\":");
    put_forms(o, rs, s->avoid, order);
    mem_free(o->m, order, (rs->nforms + 1) * sizeof *order);
    OUT_LIT(o, "},\"severity\":{\"critical\":");
    out_u64(o, s->sev[MGA_CRITICAL]);
    OUT_LIT(o, ",\"warning\":");
    out_u64(o, s->sev[MGA_WARNING]);
    OUT_LIT(o, ",\"info\":");
    out_u64(o, s->sev[MGA_INFO]);
    OUT_LIT(o, "}}\n");
}

void bstats_free(bstats *s, const mem *m)
{
    if (s->fired)
        mem_free(m, s->fired, (s->nrules + 2 * s->nforms + 1) * sizeof *s->fired);
    memset(s, 0, sizeof *s);
}
