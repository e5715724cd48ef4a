/* SPDX-License-Identifier: MIT */
/* Diagnostics of `mgadvise lsp`: a rule file's folder compiled as one rule set, a test file
 * compiled against the rule set it tests, and their diagnostics published per document
 * (an empty list clears a document that had some). */
#include "lsp.h"

#include <stdlib.h>
#include <string.h>

static bool published_has(lsp_server *S, const char *uri, size_t *at)
{
    for (size_t i = 0; i < S->npublished; i++)
        if (strcmp(S->published[i], uri) == 0) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

static void published_set(lsp_server *S, const char *uri, bool any)
{
    size_t at;
    bool has = published_has(S, uri, &at);
    if (any && !has) {
        if (S->npublished == S->cappublished) {
            size_t cap = S->cappublished ? 2 * S->cappublished : 16;
            char **v = realloc(S->published, cap * sizeof *v);
            if (!v)
                return;
            S->published = v;
            S->cappublished = cap;
        }
        char *u = lsp_dup(uri, strlen(uri));
        if (u)
            S->published[S->npublished++] = u;
    } else if (!any && has) {
        free(S->published[at]);
        S->published[at] = S->published[--S->npublished];
    }
}

static const char *severity_word(mga_diag_kind k)
{
    return k == MGA_DIAG_ERROR ? "E" : k == MGA_DIAG_WARNING ? "W" : "N";
}

/* Publishes the diagnostics of d that belong to file name (all of them when name is NULL)
 * for uri, located in text; extra, when not NULL, is one more diagnostic at the start of
 * the document (an error in the rules a test file is compiled against). */
void lsp_publish(lsp_server *S, const char *uri, const char *name, const char *text,
                 size_t len, const mga_diags *d, const char *extra)
{
    yajl_gen g = lsp_begin_note("textDocument/publishDiagnostics");
    if (!g) {
        lsp_fail(&S->out);
        return;
    }
    yajl_gen_map_open(g);
    lsp_gs(g, "uri");
    lsp_gs(g, uri);
    lsp_gs(g, "diagnostics");
    yajl_gen_array_open(g);
    size_t count = 0;
    if (extra) {
        yajl_gen_map_open(g);
        lsp_gs(g, "range");
        lsp_gen_range(g, 0, 0, 0, 0);
        lsp_gs(g, "severity");
        lsp_gi(g, 1);
        lsp_gs(g, "source");
        lsp_gs(g, "mgadvise");
        lsp_gs(g, "message");
        lsp_gs(g, extra);
        yajl_gen_map_close(g);
        count++;
    }
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (name && (!dg->file || strcmp(dg->file, name) != 0))
            continue;
        unsigned l0 = dg->line ? dg->line - 1 : 0, l1 = dg->end_line ? dg->end_line - 1 : l0;
        unsigned c0 = lsp_cp_to_u16(text, len, dg->line, dg->col);
        unsigned c1 = dg->end_line ? lsp_cp_to_u16(text, len, dg->end_line, dg->end_col) : c0;
        char code[16];
        snprintf(code, sizeof code, "%s%04u", severity_word(dg->kind), dg->code);
        yajl_gen_map_open(g);
        lsp_gs(g, "range");
        lsp_gen_range(g, l0, c0, l1, c1);
        lsp_gs(g, "severity");
        lsp_gi(g, dg->kind == MGA_DIAG_ERROR ? 1 : dg->kind == MGA_DIAG_WARNING ? 2 : 3);
        lsp_gs(g, "code");
        lsp_gs(g, code);
        lsp_gs(g, "source");
        lsp_gs(g, "mgadvise");
        lsp_gs(g, "message");
        if (dg->note) {
            size_t k = strlen(dg->message) + strlen(dg->note) + 8;
            char *m = malloc(k);
            if (m) {
                snprintf(m, k, "%s\nnote: %s", dg->message, dg->note);
                lsp_gs(g, m);
                free(m);
            } else {
                lsp_gs(g, dg->message);
            }
        } else {
            lsp_gs(g, dg->message);
        }
        yajl_gen_map_close(g);
        count++;
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    bool was = published_has(S, uri, NULL);
    if (count || was)
        lsp_send(&S->out, g);
    yajl_gen_free(g);
    published_set(S, uri, count > 0);
}

/* Compiles the rule files of dir: *rs the rule set (NULL when it has errors), *units the
 * sources, *d the diagnostics. false: out of memory. */
bool lsp_compile_folder(lsp_server *S, const char *dir, lsp_units *units, mga_ruleset **rs,
                           mga_diags **d)
{
    *rs = NULL;
    *d = NULL;
    if (!lsp_collect_rules(&S->docs, dir, units))
        return false;
    mga_source *srcs = calloc(units->n + 1, sizeof *srcs);
    if (!srcs)
        return false;
    for (size_t i = 0; i < units->n; i++) {
        srcs[i].name = units->v[i].path;
        srcs[i].text = units->v[i].text;
        srcs[i].len = units->v[i].len;
    }
    mga_status st = mga_compile_sources(S->eng, srcs, units->n, rs, d);
    free(srcs);
    return st != MGA_E_NOMEM;
}
/* Keeps rs (taken) as the last rule set of dir compiled without errors, at change count
 * gen. */
static void keep_good(lsp_server *S, const char *dir, unsigned long gen, mga_ruleset *rs)
{
    char *d = lsp_dup(dir, strlen(dir));
    if (!d) {
        mga_ruleset_free(rs);
        return;
    }
    free(S->good.dir);
    mga_ruleset_free(S->good.rs);
    S->good.dir = d;
    S->good.rs = rs;
    S->good.gen = gen;
}

/* Compiles the rules of dir ("" for the built-in rules) as they are now: the rule set, or
 * NULL when they have errors; kept when it has none. Borrowed. */
static const mga_ruleset *compile_rules(lsp_server *S, const char *dir)
{
    mga_ruleset *rs = NULL;
    if (!*dir) {
        mga_compile_builtin(S->eng, &rs, NULL);
    } else {
        lsp_units u = {0};
        mga_diags *d = NULL;
        lsp_compile_folder(S, dir, &u, &rs, &d);
        mga_diags_free(d);
        lsp_units_free(&u);
    }
    if (!rs)
        return NULL;
    keep_good(S, dir, S->docs.gen, rs);
    return S->good.dir && S->good.rs == rs ? rs : NULL;
}

/* The folder whose rules dc is read against (its own for a rule file, the one its tests
 * are compiled against for a test file; "" for the built-in rules), malloc'd; NULL for a
 * document that is not a file, or out of memory. */
static char *rules_dir(lsp_server *S, const lsp_doc *dc)
{
    if (!dc->path)
        return NULL;
    if (!cli_has_suffix(dc->path, ".mgt"))
        return lsp_dir_of(dc->path);
    char *dir = lsp_rules_dir_for_test(&S->docs, dc->path);
    return dir ? dir : lsp_dup("", 0);
}

/* The rule set of dir as the text is now, or NULL when it has errors. */
static const mga_ruleset *current_rules(lsp_server *S, const char *dir)
{
    if (S->good.dir && S->good.gen == S->docs.gen && strcmp(S->good.dir, dir) == 0)
        return S->good.rs;
    return compile_rules(S, dir);
}

const mga_ruleset *lsp_ruleset_for(lsp_server *S, const lsp_doc *dc)
{
    char *dir = rules_dir(S, dc);
    if (!dir)
        return NULL;
    const mga_ruleset *rs = current_rules(S, dir);
    if (!rs && S->good.dir && strcmp(S->good.dir, dir) == 0)
        rs = S->good.rs; /* the text has errors now: the last rule set without */
    free(dir);
    return rs;
}

static void lsp_check_test_doc(lsp_server *S, lsp_doc *dc)
{
    char *dir = rules_dir(S, dc);
    const mga_ruleset *rs = dir ? current_rules(S, dir) : NULL;
    if (!rs) {
        char msg[512];
        snprintf(msg, sizeof msg, "the rules in '%s' have errors: the tests cannot be checked",
                 dir && *dir ? dir : "(built in)");
        lsp_publish(S, dc->uri, NULL, dc->text, dc->len, NULL, msg);
        free(dir);
        return;
    }
    free(dir);
    mga_source src = {dc->path, dc->text, dc->len};
    mga_tests *t = NULL;
    mga_diags *d = NULL;
    mga_tests_compile(S->eng, rs, &src, 1, &t, &d);
    lsp_publish(S, dc->uri, dc->path, dc->text, dc->len, d, NULL);
    mga_diags_free(d);
    mga_tests_free(t);
}

/* Rechecks every open test file. */
static void check_tests(lsp_server *S)
{
    for (size_t i = 0; i < S->docs.n; i++)
        if (S->docs.v[i].path && cli_has_suffix(S->docs.v[i].path, ".mgt"))
            lsp_check_test_doc(S, &S->docs.v[i]);
}

/* Compiles the rule folder dir and publishes its diagnostics, then rechecks every open
 * test file. */
void lsp_check_folder(lsp_server *S, const char *dir)
{
    const lsp_units *au;
    const mga_diags *ad;
    if (lsp_analysis_result(S->an, dir, &au, &ad)) { /* the text it analysed: its findings too */
        for (size_t i = 0; i < au->n; i++)
            lsp_publish(S, au->v[i].uri, au->v[i].path, au->v[i].text, au->v[i].len, ad, NULL);
        check_tests(S);
        return;
    }
    lsp_units u = {0};
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    if (!lsp_compile_folder(S, dir, &u, &rs, &d)) {
        lsp_units_free(&u);
        mga_diags_free(d);
        return;
    }
    for (size_t i = 0; i < u.n; i++)
        lsp_publish(S, u.v[i].uri, u.v[i].path, u.v[i].text, u.v[i].len, d, NULL);
    mga_diags_free(d);
    if (rs)
        keep_good(S, dir, S->docs.gen, rs);
    lsp_units_free(&u);
    check_tests(S);
}

void lsp_check_doc(lsp_server *S, const char *uri)
{
    lsp_doc *dc = lsp_doc_find(&S->docs, uri);
    if (!dc || !dc->path)
        return;
    if (cli_has_suffix(dc->path, ".mga")) {
        char *dir = lsp_dir_of(dc->path);
        if (dir)
            lsp_check_folder(S, dir);
        free(dir);
    } else if (cli_has_suffix(dc->path, ".mgt")) {
        lsp_check_test_doc(S, dc);
    }
}

void lsp_check_free(lsp_server *S)
{
    for (size_t i = 0; i < S->npublished; i++)
        free(S->published[i]);
    free(S->published);
    S->published = NULL;
    S->npublished = S->cappublished = 0;
    free(S->good.dir);
    mga_ruleset_free(S->good.rs);
    memset(&S->good, 0, sizeof S->good);
}
