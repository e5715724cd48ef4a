/* SPDX-License-Identifier: MIT */
/* The public API: the engine, the compile driver (parse -> sema -> quotes -> graph ->
 * index -> plan -> output cache -> explain trees, each stage called in that order here),
 * reading rule files and folders, and the rule set's accessors. */
#include "analyze.h"
#include "api.h"
#include "builtin.h"
#include "eval.h"
#include "explain.h"
#include "fhirbind.h"
#include "fileio.h"
#include "hash.h"
#include "format.h"
#include "graph.h"
#include "parse.h"
#include "quote.h"
#include "sema.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SOURCE_BYTES ((size_t)64 << 20) /* one rule file */
#define MAX_SOURCES 4096

struct mga_engine {
    mem m;
    unsigned max_errors, max_depth;
    bool allow_unknown_fields;
    char *sources_dir;
    size_t sources_dir_len;
    api_check_fn check; /* the static analysis, run on a built graph (analyze.h) */
    void *check_ud;     /* the engine's copy of its context */
    size_t check_ud_len;
};

mga_status api_engine_set_check(mga_engine *eng, api_check_fn fn, const void *ud, size_t size)
{
    void *copy = NULL;
    if (fn && size) {
        copy = mem_alloc(&eng->m, size);
        if (!copy)
            return MGA_E_NOMEM;
        memcpy(copy, ud, size);
    }
    mem_free(&eng->m, eng->check_ud, eng->check_ud_len);
    eng->check = fn;
    eng->check_ud = copy;
    eng->check_ud_len = fn ? size : 0;
    return MGA_OK;
}

void mga_options_init(mga_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->max_errors = 20;
    opt->max_depth = 64;
}

mga_status mga_engine_new(const mga_options *opt, mga_engine **out)
{
    if (!out)
        return MGA_E_MISUSE;
    *out = NULL;
    mga_options def;
    if (!opt) {
        mga_options_init(&def);
        opt = &def;
    }
    mem m;
    if (opt->realloc_fn) {
        m.fn = opt->realloc_fn;
        m.ud = opt->alloc_ud;
    } else {
        mem_init_default(&m);
    }
    mga_engine *e = mem_alloc(&m, sizeof *e);
    if (!e)
        return MGA_E_NOMEM;
    memset(e, 0, sizeof *e);
    e->m = m;
    e->max_errors = opt->max_errors;
    e->max_depth = opt->max_depth ? opt->max_depth : 64;
    e->allow_unknown_fields = opt->allow_unknown_fields;
    if (opt->sources_dir) {
        e->sources_dir_len = strlen(opt->sources_dir) + 1;
        e->sources_dir = mem_alloc(&m, e->sources_dir_len);
        if (!e->sources_dir) {
            mem_free(&m, e, sizeof *e);
            return MGA_E_NOMEM;
        }
        memcpy(e->sources_dir, opt->sources_dir, e->sources_dir_len);
    }
    *out = e;
    return MGA_OK;
}

const mem *api_engine_mem(const mga_engine *eng)
{
    return &eng->m;
}

unsigned api_engine_max_errors(const mga_engine *eng)
{
    return eng->max_errors;
}

void mga_engine_free(mga_engine *eng)
{
    if (!eng)
        return;
    mem m = eng->m;
    mem_free(&m, eng->check_ud, eng->check_ud_len);
    mem_free(&m, eng->sources_dir, eng->sources_dir_len);
    mem_free(&m, eng, sizeof *eng);
}

void mga_ruleset_free(mga_ruleset *rs)
{
    if (!rs)
        return;
    mem m = rs->m;
    output_free_refs(rs);
    arena_free(&rs->a);
    mem_free(&m, rs, sizeof *rs);
}

static void content_hash(mga_ruleset *rs, const mga_source *srcs, size_t n)
{
    static const unsigned char boundary = 0xFF; /* between files: not a UTF-8 byte */
    uint64_t h = HASH_FNV_OFFSET;
    for (size_t i = 0; i < n; i++)
        h = hash_fnv1a(hash_fnv1a(h, srcs[i].text, srcs[i].len), &boundary, 1);
    snprintf(rs->hash, sizeof rs->hash, "%016llx", (unsigned long long)h);
}

static mga_status finish(mga_diags *d, mga_diags **diags, mga_status st)
{
    if (diags)
        *diags = d;
    else
        mga_diags_free(d);
    return st;
}

mga_status mga_compile_sources(mga_engine *eng, const mga_source *srcs, size_t n,
                               mga_ruleset **out, mga_diags **diags)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!eng || !out || (!srcs && n))
        return MGA_E_MISUSE;
    mga_diags *d = diag_new(&eng->m, eng->max_errors);
    if (!d)
        return MGA_E_NOMEM;
    if (n > MAX_SOURCES) {
        diag_add(d, DIAG_TOO_MANY, -1, 0, 0, "rule files", (unsigned)MAX_SOURCES);
        return finish(d, diags, d->oom ? MGA_E_NOMEM : MGA_E_COMPILE);
    }
    arena a;
    arena_init(&a, &eng->m);
    ast_program *p = arena_alloc(&a, sizeof *p);
    int *dsrc = arena_alloc(&a, (n + 1) * sizeof *dsrc);
    const char **names = arena_alloc(&a, (n + 1) * sizeof *names);
    const char **texts = arena_alloc(&a, (n + 1) * sizeof *texts);
    size_t *lens = arena_alloc(&a, (n + 1) * sizeof *lens);
    mga_status st = MGA_OK;
    if (!p || !dsrc || !names || !texts || !lens) {
        st = MGA_E_NOMEM;
        goto done;
    }
    p->a = &a;
    for (size_t i = 0; i < n; i++) {
        const char *name = srcs[i].name ? srcs[i].name : "<rules>";
        names[i] = name;
        texts[i] = srcs[i].text ? srcs[i].text : "";
        lens[i] = srcs[i].text ? srcs[i].len : 0;
        dsrc[i] = diag_source(d, name, texts[i], lens[i]);
        if (dsrc[i] < 0) {
            st = MGA_E_NOMEM;
            goto done;
        }
        if (lens[i] > MAX_SOURCE_BYTES) {
            diag_add(d, DIAG_FILE_SIZE, dsrc[i], 0, 0, MAX_SOURCE_BYTES);
            continue;
        }
        if (!parse_source(p, d, dsrc[i], (uint32_t)i, texts[i], lens[i])) {
            st = MGA_E_NOMEM;
            goto done;
        }
        if (diag_full(d))
            break;
    }
    if (mga_diags_error_count(d) == 0 && !sema_check(p, d, dsrc, eng->max_depth)) {
        st = MGA_E_NOMEM;
        goto done;
    }
    if (mga_diags_error_count(d) == 0 && !fhirbind_check(p, d, dsrc)) {
        st = MGA_E_NOMEM;
        goto done;
    }
    if (mga_diags_error_count(d) == 0 && eng->sources_dir &&
        !quote_check(p, d, dsrc, eng->sources_dir)) {
        st = MGA_E_NOMEM;
        goto done;
    }
    if (d->oom) {
        st = MGA_E_NOMEM;
        goto done;
    }
    if (mga_diags_error_count(d)) {
        st = MGA_E_COMPILE;
        goto done;
    }
    mga_ruleset *rs = mem_alloc(&eng->m, sizeof *rs);
    if (!rs) {
        st = MGA_E_NOMEM;
        goto done;
    }
    memset(rs, 0, sizeof *rs);
    rs->m = eng->m;
    arena_init(&rs->a, &rs->m);
    rs->allow_unknown_fields = eng->allow_unknown_fields;
    /* the compile driver: each stage builds what it owns, in pipeline order */
    if (!graph_build(rs, p, names, texts, lens) || !fhirbind_freeze(rs, p) ||
        !graph_index(rs, p->a) ||
        !eval_freeze(rs) || !output_freeze_json(rs) || !explain_build(rs, p, names, texts, lens)) {
        mga_ruleset_free(rs);
        st = MGA_E_NOMEM;
        goto done;
    }
    content_hash(rs, srcs, n);
    if (eng->check) {
        st = eng->check(eng->check_ud, rs, p, d, dsrc);
        if (st == MGA_OK && mga_diags_error_count(d))
            st = MGA_E_COMPILE;
        if (st != MGA_OK) {
            mga_ruleset_free(rs);
            goto done;
        }
    }
    *out = rs;
done:
    arena_free(&a);
    if (st == MGA_OK && d->oom) {
        mga_ruleset_free(*out);
        *out = NULL;
        st = MGA_E_NOMEM;
    }
    return finish(d, diags, st);
}

mga_status mga_compile(mga_engine *eng, const char *name, const char *src, size_t len,
                       mga_ruleset **out, mga_diags **diags)
{
    mga_source s = {name, src, len};
    return mga_compile_sources(eng, &s, 1, out, diags);
}

mga_status mga_compile_builtin(mga_engine *eng, mga_ruleset **out, mga_diags **diags)
{
    return mga_compile_sources(eng, builtin_sources, builtin_source_count, out, diags);
}

mga_status mga_format_rules(mga_engine *eng, const char *name, const char *text, size_t len,
                            mga_write_fn fn, void *ud, mga_diags **diags)
{
    if (diags)
        *diags = NULL;
    if (!eng || !fn || (!text && len))
        return MGA_E_MISUSE;
    if (!text)
        text = "";
    mga_diags *d = diag_new(&eng->m, eng->max_errors);
    if (!d)
        return MGA_E_NOMEM;
    int dsrc = diag_source(d, name ? name : "<rules>", text, len);
    if (dsrc < 0)
        return finish(d, diags, MGA_E_NOMEM);
    if (len > MAX_SOURCE_BYTES) {
        diag_add(d, DIAG_FILE_SIZE, dsrc, 0, 0, MAX_SOURCE_BYTES);
        return finish(d, diags, d->oom ? MGA_E_NOMEM : MGA_E_COMPILE);
    }
    /* Parse first: a file that does not parse is never rewritten. */
    arena a;
    arena_init(&a, &eng->m);
    ast_program *p = arena_alloc(&a, sizeof *p);
    mga_status st = MGA_OK;
    if (!p) {
        st = MGA_E_NOMEM;
    } else {
        p->a = &a;
        if (!parse_source(p, d, dsrc, 0, text, len))
            st = MGA_E_NOMEM;
    }
    arena_free(&a);
    membuf out = {0};
    if (st == MGA_OK && mga_diags_error_count(d) == 0 &&
        !format_source(&eng->m, d, dsrc, text, len, &out))
        st = MGA_E_NOMEM;
    if (st == MGA_OK && d->oom)
        st = MGA_E_NOMEM;
    if (st == MGA_OK && mga_diags_error_count(d))
        st = MGA_E_COMPILE;
    if (st == MGA_OK && out.len && fn(ud, out.p, out.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&eng->m, &out);
    return finish(d, diags, st);
}

/* ---- files and folders ---- */

typedef struct file_list {
    mem *m;
    char **names;
    char **texts;
    size_t *lens;
    size_t n, cap;
} file_list;

static bool fl_push(file_list *fl, const char *name)
{
    if (fl->n == fl->cap) {
        size_t ncap = fl->cap ? fl->cap * 2 : 16;
        char **nn = mem_realloc(fl->m, fl->names, fl->cap * sizeof *nn, ncap * sizeof *nn);
        if (!nn)
            return false;
        fl->names = nn;
        char **nt = mem_realloc(fl->m, fl->texts, fl->cap * sizeof *nt, ncap * sizeof *nt);
        if (!nt)
            return false;
        fl->texts = nt;
        size_t *nl = mem_realloc(fl->m, fl->lens, fl->cap * sizeof *nl, ncap * sizeof *nl);
        if (!nl)
            return false;
        fl->lens = nl;
        fl->cap = ncap;
    }
    size_t len = strlen(name) + 1;
    char *copy = mem_alloc(fl->m, len);
    if (!copy)
        return false;
    memcpy(copy, name, len);
    fl->names[fl->n] = copy;
    fl->texts[fl->n] = NULL;
    fl->lens[fl->n] = 0;
    fl->n++;
    return true;
}

static void fl_free(file_list *fl)
{
    for (size_t i = 0; i < fl->n; i++) {
        mem_free(fl->m, fl->names[i], strlen(fl->names[i]) + 1);
        mem_free(fl->m, fl->texts[i], fl->lens[i] + 1);
    }
    mem_free(fl->m, fl->names, fl->cap * sizeof *fl->names);
    mem_free(fl->m, fl->texts, fl->cap * sizeof *fl->texts);
    mem_free(fl->m, fl->lens, fl->cap * sizeof *fl->lens);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Returns false on OOM; an unreadable path is reported to d. */
static bool expand(file_list *fl, const char *path, mga_diags *d)
{
    struct stat stt;
    if (stat(path, &stt) != 0) {
        diag_add(d, DIAG_IO, -1, 0, 0, path, strerror(errno));
        return !d->oom;
    }
    if (!S_ISDIR(stt.st_mode))
        return fl_push(fl, path);
    DIR *dir = opendir(path);
    if (!dir) {
        diag_add(d, DIAG_IO, -1, 0, 0, path, strerror(errno));
        return !d->oom;
    }
    size_t first = fl->n;
    struct dirent *de;
    bool ok = true;
    while (ok && (de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".mga"))
            continue;
        char full[4096];
        size_t pl = strlen(path);
        int w = snprintf(full, sizeof full, "%s%s%s", path,
                         pl && path[pl - 1] == '/' ? "" : "/", de->d_name);
        if (w < 0 || (size_t)w >= sizeof full) {
            diag_add(d, DIAG_IO, -1, 0, 0, de->d_name, "path too long");
            continue;
        }
        ok = fl_push(fl, full);
    }
    closedir(dir);
    if (ok && fl->n == first)
        diag_add(d, DIAG_IO, -1, 0, 0, path, "no *.mga files in this folder");
    if (fl->n > first) /* names is NULL while the list is empty */
        qsort(fl->names + first, fl->n - first, sizeof *fl->names, cmp_str);
    return ok && !d->oom;
}

static bool read_file(file_list *fl, size_t i, mga_diags *d)
{
    int err;
    switch (file_read(fl->m, fl->names[i], MAX_SOURCE_BYTES, &fl->texts[i], &fl->lens[i], &err)) {
    case FILE_OK:
        return true;
    case FILE_NOMEM:
        return false;
    case FILE_OPEN:
        diag_add(d, DIAG_IO, -1, 0, 0, fl->names[i], strerror(err));
        break;
    case FILE_READ:
        diag_add(d, DIAG_IO, -1, 0, 0, fl->names[i], "read error");
        break;
    case FILE_TOO_BIG:
        diag_add(d, DIAG_FILE_SIZE, diag_source(d, fl->names[i], "", 0), 0, 0, MAX_SOURCE_BYTES);
        break;
    }
    return !d->oom;
}

mga_status mga_compile_paths(mga_engine *eng, const char *const *paths, size_t n,
                             mga_ruleset **out, mga_diags **diags)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!eng || !out || (!paths && n))
        return MGA_E_MISUSE;
    mga_diags *d = diag_new(&eng->m, eng->max_errors);
    if (!d)
        return MGA_E_NOMEM;
    file_list fl = {&eng->m, NULL, NULL, NULL, 0, 0};
    mga_status st = MGA_OK;
    for (size_t i = 0; i < n && st == MGA_OK; i++)
        if (!expand(&fl, paths[i], d))
            st = MGA_E_NOMEM;
    for (size_t i = 0; i < fl.n && st == MGA_OK; i++)
        if (!read_file(&fl, i, d))
            st = MGA_E_NOMEM;
    if (st == MGA_OK && mga_diags_error_count(d))
        st = MGA_E_IO;
    if (st != MGA_OK) {
        fl_free(&fl);
        return finish(d, diags, st);
    }
    mga_diags_free(d);
    mga_source *srcs = mem_alloc(&eng->m, (fl.n + 1) * sizeof *srcs);
    if (!srcs) {
        fl_free(&fl);
        return MGA_E_NOMEM;
    }
    for (size_t i = 0; i < fl.n; i++) {
        srcs[i].name = fl.names[i];
        srcs[i].text = fl.texts[i];
        srcs[i].len = fl.lens[i];
    }
    st = mga_compile_sources(eng, srcs, fl.n, out, diags);
    mem_free(&eng->m, srcs, (fl.n + 1) * sizeof *srcs);
    fl_free(&fl);
    return st;
}

/* ---- accessors ---- */

const char *mga_ruleset_name(const mga_ruleset *rs)
{
    return rs ? rs->name : NULL;
}

const char *mga_ruleset_hash(const mga_ruleset *rs)
{
    return rs ? rs->hash : NULL;
}

size_t mga_ruleset_rule_count(const mga_ruleset *rs)
{
    return rs ? rs->nrules : 0;
}

const char *mga_ruleset_rule_id(const mga_ruleset *rs, size_t i)
{
    return rs && i < rs->nrules ? rs->rules[i].id : NULL;
}

size_t mga_ruleset_node_count(const mga_ruleset *rs)
{
    return rs ? rs->nnodes : 0;
}

size_t mga_ruleset_field_count(const mga_ruleset *rs)
{
    return rs ? rs->nfields : 0;
}

mga_status mga_ruleset_field(const mga_ruleset *rs, size_t i, mga_field_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!rs || !out || i >= rs->nfields)
        return MGA_E_MISUSE;
    const g_field *f = &rs->fields[i];
    static const mga_field_type types[] = {
        [FT_TEXT] = MGA_FIELD_TEXT,     [FT_BOOL] = MGA_FIELD_BOOL, [FT_NUMBER] = MGA_FIELD_NUMBER,
        [FT_ENUM] = MGA_FIELD_ONE_OF,   [FT_SET] = MGA_FIELD_SET};
    out->name = f->name;
    out->type = types[f->type];
    if (f->type == FT_NUMBER && f->dim >= 0)
        out->unit = f->unit ? f->unit : rs->dims[f->dim].units[0].name;
    if (f->type == FT_ENUM || f->type == FT_SET) {
        out->symbols = f->syms;
        out->nsymbols = f->nsyms;
    }
    out->description = f->doc;
    if (f->type == FT_NUMBER && f->has_range) {
        out->has_range = true;
        out->minimum = f->ulo;
        out->maximum = f->uhi;
    }
    return MGA_OK;
}
