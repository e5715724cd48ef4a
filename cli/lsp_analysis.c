/* SPDX-License-Identifier: MIT */
/* The solver analysis of `mgadvise lsp` (what `mgadvise check` reports: contradicting rules,
 * rules that never fire, refuted invariants with their counter-example profile), run on a
 * worker thread so that it never holds up typing. A save or the first open of a rule file
 * asks for the analysis of its folder; the worker takes the latest request, compiles the
 * folder with the analysis installed (libmgadvise-analysis, loaded as check loads it, on
 * first use) under a time limit, and publishes the diagnostics (the compiler's and the
 * analysis's together) unless a rule file changed meanwhile: then the result is stale and
 * dropped. The result is kept for the folder until a rule file changes, so the compile of
 * another open document does not hide it. */
#include "lsp.h"

#include <stdlib.h>
#include <string.h>

/* One request: a folder's rule files as they were when it was asked for. */
typedef struct job {
    char *dir;
    unsigned long gen;
    lsp_units units;
} job;

struct lsp_analysis {
    lsp_server *S;
    pthread_t thread;
    pthread_cond_t wake;
    double seconds;
    bool quit;
    job *pending; /* the latest request not yet taken, or NULL */
    /* the last result published: its folder, the change count it was computed at, its
     * sources and diagnostics */
    job *done;
    mga_diags *diags;
};

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->dir);
    lsp_units_free(&j->units);
    free(j);
}

/* Tells the client once that the analysis cannot run, and why (S->lock held). */
static void say_unavailable(lsp_server *S, const char *why)
{
    char msg[1200];
    snprintf(msg, sizeof msg,
             "mgadvise: the solver analysis is not available: cannot load the analysis "
             "library (%.1000s); diagnostics come from the compiler only",
             why);
    yajl_gen g = lsp_begin_note("window/showMessage");
    if (g) {
        yajl_gen_map_open(g);
        lsp_gs(g, "type");
        lsp_gi(g, 2); /* Warning */
        lsp_gs(g, "message");
        lsp_gs(g, msg);
        yajl_gen_map_close(g);
    }
    lsp_end(&S->out, g);
}

/* Compiles j's sources with the analysis on eng: the diagnostics, or NULL (out of memory). */
static mga_diags *analyse(mga_engine *eng, const job *j)
{
    mga_source *srcs = calloc(j->units.n + 1, sizeof *srcs);
    if (!srcs)
        return NULL;
    for (size_t i = 0; i < j->units.n; i++) {
        srcs[i].name = j->units.v[i].path;
        srcs[i].text = j->units.v[i].text;
        srcs[i].len = j->units.v[i].len;
    }
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_compile_sources(eng, srcs, j->units.n, &rs, &d);
    free(srcs);
    mga_ruleset_free(rs);
    if (st == MGA_E_NOMEM) {
        mga_diags_free(d);
        return NULL;
    }
    return d;
}

static void *worker(void *arg)
{
    lsp_analysis *A = arg;
    lsp_server *S = A->S;
    mga_engine *eng = NULL;
    mga_analysis_stats stats; /* borrowed by the installed analysis: lives with the thread */
    bool tried = false, usable = false;
    pthread_mutex_lock(&S->lock);
    for (;;) {
        while (!A->quit && !A->pending)
            pthread_cond_wait(&A->wake, &S->lock);
        if (A->quit)
            break;
        job *j = A->pending;
        A->pending = NULL;
        pthread_mutex_unlock(&S->lock);
        char why[4096] = "";
        bool unavailable = false;
        if (!tried) { /* loads Z3 here, on this thread, the first time it is needed */
            tried = true;
            mga_analysis_options opt; /* the defaults of mga_analysis_options_init */
            memset(&opt, 0, sizeof opt);
            opt.max_seconds = A->seconds;
            memset(&stats, 0, sizeof stats);
            mga_status st = mga_engine_new(NULL, &eng);
            if (st == MGA_OK)
                st = cli_analysis_install(eng, &opt, &stats, why, sizeof why);
            usable = st == MGA_OK;
            unavailable = st == MGA_E_IO;
        }
        mga_diags *d = usable ? analyse(eng, j) : NULL;
        pthread_mutex_lock(&S->lock);
        if (unavailable && !A->quit)
            say_unavailable(S, why);
        if (d && !A->quit && j->gen == S->docs.gen) {
            job_free(A->done);
            mga_diags_free(A->diags);
            A->done = j;
            A->diags = d;
            for (size_t i = 0; i < j->units.n; i++)
                lsp_publish(S, j->units.v[i].uri, j->units.v[i].path, j->units.v[i].text,
                            j->units.v[i].len, d, NULL);
        } else { /* stale: a rule file changed while it ran */
            mga_diags_free(d);
            job_free(j);
        }
    }
    pthread_mutex_unlock(&S->lock);
    mga_engine_free(eng);
    return NULL;
}

mga_status lsp_analysis_start(lsp_server *S, double seconds, lsp_analysis **out)
{
    *out = NULL;
    lsp_analysis *A = calloc(1, sizeof *A);
    if (!A)
        return MGA_E_NOMEM;
    A->S = S;
    A->seconds = seconds;
    if (pthread_cond_init(&A->wake, NULL) != 0) {
        free(A);
        return MGA_E_NOMEM;
    }
    if (pthread_create(&A->thread, NULL, worker, A) != 0) {
        pthread_cond_destroy(&A->wake);
        free(A);
        return MGA_E_NOMEM;
    }
    *out = A;
    return MGA_OK;
}

void lsp_analysis_request(lsp_analysis *A, const char *dir)
{
    if (!A || A->quit)
        return;
    lsp_server *S = A->S;
    job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    j->dir = lsp_dup(dir, strlen(dir));
    j->gen = S->docs.gen;
    if (!j->dir || !lsp_collect_rules(&S->docs, dir, &j->units) || j->units.n == 0) {
        job_free(j);
        return;
    }
    job_free(A->pending); /* an older request not yet taken is superseded */
    A->pending = j;
    pthread_cond_signal(&A->wake);
}

bool lsp_analysis_result(lsp_analysis *A, const char *dir, const lsp_units **units,
                         const mga_diags **diags)
{
    if (!A || !A->done || A->done->gen != A->S->docs.gen || strcmp(A->done->dir, dir) != 0)
        return false;
    *units = &A->done->units;
    *diags = A->diags;
    return true;
}

void lsp_analysis_quit(lsp_analysis *A)
{
    if (!A)
        return;
    A->quit = true;
    pthread_cond_signal(&A->wake);
}

void lsp_analysis_free(lsp_analysis *A)
{
    if (!A)
        return;
    lsp_server *S = A->S;
    pthread_mutex_lock(&S->lock);
    lsp_analysis_quit(A);
    pthread_mutex_unlock(&S->lock);
    pthread_join(A->thread, NULL);
    pthread_cond_destroy(&A->wake);
    job_free(A->pending);
    job_free(A->done);
    mga_diags_free(A->diags);
    free(A);
}
