/* SPDX-License-Identifier: MIT */
/* The CDS Hooks prefetch templates of a rule set (mga_ruleset_write_prefetch): one FHIR
 * query per resource type the frozen FHIR bindings read, observations narrowed to the
 * bound codes. Reads the rule set only; written with yajl_gen (jsongen.h). */
#include "fhirbind.h"
#include "graph.h"
#include "jsongen.h"

#include <stdbool.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static void p_print(void *ctx, const char *s, size_t len)
{
    outbuf_put(ctx, s, len);
}

static void key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

/* True when an earlier observation code of rs equals c (so each code is listed once). */
static bool seen_before(const mga_ruleset *rs, size_t bi, size_t ci)
{
    const g_fcode *c = &rs->fbinds[bi].obs[ci];
    for (size_t b = 0; b <= bi; b++) {
        const g_fbind *f = &rs->fbinds[b];
        if (f->kind != FB_OBSERVATION)
            continue;
        size_t end = b == bi ? ci : f->nobs;
        for (size_t i = 0; i < end; i++)
            if (f->obs[i].sys == c->sys && strcmp(f->obs[i].code, c->code) == 0)
                return true;
    }
    return false;
}

static void write_prefetch(yajl_gen g, const mga_ruleset *rs, outbuf *q)
{
    bool patient = false, cond = false, medreq = false, medstmt = false, obs = false;
    for (size_t b = 0; b < rs->nfbinds; b++) {
        const g_fbind *f = &rs->fbinds[b];
        patient |= f->kind == FB_BIRTHDATE || f->kind == FB_GENDER;
        cond |= f->kind == FB_CONDITION;
        medreq |= f->kind == FB_MEDICATION && f->med_request;
        medstmt |= f->kind == FB_MEDICATION && f->med_statement;
        obs |= f->kind == FB_OBSERVATION;
    }
    yajl_gen_map_open(g);
    if (patient) {
        key(g, "patient");
        jgen_str(g, "Patient/{{context.patientId}}");
    }
    if (cond) {
        key(g, "conditions");
        jgen_str(g, "Condition?patient={{context.patientId}}");
    }
    if (medreq) {
        key(g, "medicationRequests");
        jgen_str(g, "MedicationRequest?patient={{context.patientId}}");
    }
    if (medstmt) {
        key(g, "medicationStatements");
        jgen_str(g, "MedicationStatement?patient={{context.patientId}}");
    }
    if (obs) {
        /* token search: code=system|code, alternatives joined by commas */
        outbuf_printf(q, "%s", "Observation?patient={{context.patientId}}&code=");
        bool first = true;
        for (size_t b = 0; b < rs->nfbinds; b++) {
            const g_fbind *f = &rs->fbinds[b];
            if (f->kind != FB_OBSERVATION)
                continue;
            for (size_t i = 0; i < f->nobs; i++) {
                if (seen_before(rs, b, i))
                    continue;
                outbuf_printf(q, "%s%s|%s", first ? "" : ",", fhirbind_sys_uri(f->obs[i].sys),
                              f->obs[i].code);
                first = false;
            }
        }
        key(g, "observations");
        if (!q->oom)
            yajl_gen_string(g, (const unsigned char *)q->b.p, q->b.len);
    }
    yajl_gen_map_close(g);
}

mga_status mga_ruleset_write_prefetch(const mga_ruleset *rs, mga_write_fn fn, void *ud)
{
    if (!rs || !fn)
        return MGA_E_MISUSE;
    outbuf o = {&rs->m, {NULL, 0, 0}, false};
    outbuf q = {&rs->m, {NULL, 0, 0}, false};
    jgen j;
    if (!jgen_open(&j, &rs->m, p_print, &o, false))
        return MGA_E_NOMEM;
    write_prefetch(j.g, rs, &q);
    jgen_close(&j);
    outbuf_put(&o, "\n", 1);
    mga_status st = MGA_OK;
    if (o.oom || q.oom)
        st = MGA_E_NOMEM;
    else if (fn(ud, o.b.p, o.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&rs->m, &o.b);
    membuf_free(&rs->m, &q.b);
    return st;
}
