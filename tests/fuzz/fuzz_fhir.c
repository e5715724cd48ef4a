/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: FHIR input (a Bundle, a resource list, anything) mapped to a profile
 * through the shipped rules' bindings (compiled once), and read as a CDS Hooks request and
 * as a prefetch value in one (mga_profile_from_prefetch). Any input must end in a profile or
 * in located diagnostics, never a crash, a leak or a hang; and the two mapping calls agree:
 * the profile JSON mga_fhir_write_profile writes, parsed, gives what mga_profile_from_fhir
 * gives for the same input (the same error, or a profile with the same advice). The FHIR
 * reader's warnings are the one difference: the profile from FHIR carries them in its
 * result's "warnings", one entry per warning the mapping reported; profile JSON has none. */
#include <mgadvise.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static mga_ruleset *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rules = fuzz_builtin_rules();
    return 0;
}

typedef struct grow {
    char *p;
    size_t len;
} grow;

static int collect(void *ud, const char *p, size_t len)
{
    grow *g = ud;
    char *n = realloc(g->p, g->len + len + 1);
    FUZZ_CHECK(n != NULL);
    memcpy(n + g->len, p, len);
    g->p = n;
    g->len += len;
    g->p[g->len] = '\0';
    return 0;
}

/* The advice for p as JSON (malloc'd); the text form is written too, and dropped. */
static char *advice(const mga_profile *p)
{
    mga_result *r = NULL;
    FUZZ_CHECK(mga_evaluate(rules, p, &r) == MGA_OK);
    grow g = {NULL, 0};
    FUZZ_CHECK(mga_result_write(r, MGA_FORMAT_JSON, collect, &g) == MGA_OK);
    FUZZ_CHECK(mga_result_write(r, MGA_FORMAT_TEXT, fuzz_sink, NULL) == MGA_OK);
    mga_result_free(r);
    return g.p;
}

/* Takes the "warnings" member out of a (a result's JSON line, where it follows "ruleset")
 * and returns how many entries it held; 0 when there is none. */
static size_t cut_warnings(char *a)
{
    char *w = strstr(a, ",\"warnings\":[");
    if (!w)
        return 0;
    /* a string's quotes are escaped, so the member ends at the first raw '],"summary":' */
    char *end = strstr(w, "],\"summary\":");
    FUZZ_CHECK(end != NULL);
    size_t n = 0;
    for (const char *c = w; (c = strstr(c, "{\"code\":\"W")) != NULL && c < end; c++)
        n++;
    memmove(w, end + 1, strlen(end + 1) + 1);
    return n;
}

static size_t warning_count(const mga_diags *d)
{
    size_t n = 0;
    for (size_t i = 0; d && i < mga_diags_count(d); i++)
        n += mga_diags_ref(d, i)->kind == MGA_DIAG_WARNING;
    return n;
}

/* mga_profile_from_prefetch on a CDS Hooks request: a profile without errors, or
 * MGA_E_PROFILE with located errors, never a crash or a leak; every diagnostic has a JSON
 * path of the request ("$" or below it). */
static void prefetch(const char *json, size_t size)
{
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_profile_from_prefetch(rules, "fuzz.json", json, size, "2026-06-15", &p,
                                              &d);
    if (st == MGA_OK) {
        FUZZ_CHECK(p != NULL);
        FUZZ_CHECK(mga_diags_error_count(d) == 0);
        char *a = advice(p);
        free(a);
    } else {
        FUZZ_CHECK(p == NULL);
        FUZZ_CHECK(st == MGA_E_PROFILE && mga_diags_error_count(d) > 0);
    }
    for (size_t i = 0; d && i < mga_diags_count(d); i++) {
        const char *path = mga_diags_ref(d, i)->path;
        FUZZ_CHECK(!path || path[0] == '$');
    }
    if (d)
        FUZZ_CHECK(mga_diags_render(d, fuzz_sink, NULL) == MGA_OK);
    mga_diags_free(d);
    mga_profile_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    /* the input as a whole request, and as the one prefetch value of a request */
    prefetch(json, size);
    static const char head[] = "{\"prefetch\":{\"patient\":{\"resourceType\":\"Patient\","
                               "\"birthDate\":\"1970-01-01\"},\"fuzz\":";
    char *req = malloc(sizeof head + size + 2);
    FUZZ_CHECK(req != NULL);
    memcpy(req, head, sizeof head - 1);
    if (size)
        memcpy(req + sizeof head - 1, json, size);
    memcpy(req + sizeof head - 1 + size, "}}", 2);
    prefetch(req, sizeof head - 1 + size + 2);
    free(req);

    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_profile_from_fhir(rules, "fuzz.json", json, size, "2026-06-15", &p, &d);
    if (st == MGA_OK) {
        FUZZ_CHECK(p != NULL);
        FUZZ_CHECK(mga_diags_error_count(d) == 0);
    } else {
        FUZZ_CHECK(p == NULL);
        FUZZ_CHECK(st == MGA_E_PROFILE && mga_diags_error_count(d) > 0);
    }
    if (d)
        FUZZ_CHECK(mga_diags_render(d, fuzz_sink, NULL) == MGA_OK);
    size_t nwarn = warning_count(d);
    mga_diags_free(d);

    grow w = {NULL, 0};
    mga_diags *d2 = NULL;
    mga_status st2 = mga_fhir_write_profile(rules, "fuzz.json", json, size, "2026-06-15", collect,
                                            &w, &d2);
    mga_diags_free(d2);
    if (st2 != MGA_OK) { /* the mapping failed: so did the call that parses its output */
        FUZZ_CHECK(st2 == st);
    } else { /* the mapping's JSON, parsed, is the profile (or the error) above */
        FUZZ_CHECK(w.p != NULL && w.len > 0 && w.p[w.len - 1] == '\n');
        mga_profile *q = NULL;
        mga_status sq = mga_profile_parse(rules, "written.json", w.p, w.len, &q, NULL);
        FUZZ_CHECK(sq == st);
        if (p) {
            char *a = advice(p), *b = advice(q);
            FUZZ_CHECK(cut_warnings(b) == 0);
            FUZZ_CHECK(cut_warnings(a) == (nwarn < MGA_PROFILE_MAX_DIAGS + 1
                                               ? nwarn
                                               : MGA_PROFILE_MAX_DIAGS + 1));
            FUZZ_CHECK(strcmp(a, b) == 0);
            free(a);
            free(b);
        }
        mga_profile_free(q);
    }
    mga_profile_free(p);
    free(w.p);
    return 0;
}
