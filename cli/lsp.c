/* SPDX-License-Identifier: MIT */
/* `mgadvise lsp`: a Language Server Protocol 3.17 server on standard input and output for
 * rule files (*.mga) and rule tests (*.mgt). JSON-RPC messages framed by Content-Length,
 * read with yajl_tree and written with yajl_gen. Uses only the public header.
 *
 * A rule file's rule set is every *.mga file of its folder, compiled together, the open
 * documents' text in place of the files on disk. A test file is compiled against the rule
 * set of its own folder when that holds *.mga files, else of the first workspace folder
 * that does, else the built-in rules. Positions are UTF-16 code units, as LSP asks by
 * default. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

static const char *usage_lsp =
    "usage: mgadvise lsp\n"
    "\n"
    "Runs a Language Server Protocol server on standard input and output, for editors: the\n"
    "diagnostics of rule files (*.mga, every rule file of a folder compiled together) and\n"
    "rule tests (*.mgt) as you type, formatting, and hover and completion for profile\n"
    "fields. See docs/EDITORS.md.\n"
    "\n"
    "options:\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 after shutdown and exit; 1 exit without shutdown, or the input ended;\n"
    "2 usage; 4 out of memory or output error.\n";

/* JSON-RPC and LSP error codes. */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_NOT_INITIALIZED = -32002
};

#define LSP_MAX_BODY ((size_t)64 << 20) /* a message larger than this is refused */
#define LSP_MAX_DEPTH 256               /* JSON nesting a message may have */

typedef struct doc {
    char *uri;
    char *path; /* the file path of a file: URI; NULL for another scheme */
    char *text;
    size_t len;
} doc;

typedef struct server {
    mga_engine *eng;
    doc *docs;
    size_t ndocs, capdocs;
    char **published; /* URIs with diagnostics shown: cleared when a compile no longer has any */
    size_t npublished, cappublished;
    char **roots; /* workspace folder paths */
    size_t nroots;
    bool initialized, shutdown;
    FILE *out;
    bool write_failed;
} server;

/* ---- small helpers ------------------------------------------------------------------- */

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The path of a file: URI (percent-decoded), or NULL. */
static char *uri_to_path(const char *uri)
{
    if (strncmp(uri, "file://", 7) != 0)
        return NULL;
    const char *s = uri + 7;
    if (*s != '/') { /* file://host/path: only localhost is ours */
        if (strncmp(s, "localhost/", 10) != 0)
            return NULL;
        s += 9;
    }
    size_t n = strlen(s);
    char *p = malloc(n + 1), *o = p;
    if (!p)
        return NULL;
    for (; *s; s++) {
        if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            int c = hexval(s[1]) * 16 + hexval(s[2]);
            if (c == 0) { /* a NUL in a path names no file */
                free(p);
                return NULL;
            }
            *o++ = (char)c;
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return p;
}

/* A file: URI for an absolute path, percent-encoding all but unreserved characters and '/'. */
static char *path_to_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(7 + 3 * n + 1), *o = u;
    if (!u)
        return NULL;
    memcpy(o, "file://", 7);
    o += 7;
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        unsigned c = *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return u;
}

/* The folder of a path ("." for none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dup_n(".", 1);
    if (slash == path)
        return dup_n("/", 1);
    return dup_n(path, (size_t)(slash - path));
}

/* The byte offset in text of the start of 0-based line. len when past the end. */
static size_t line_start(const char *text, size_t len, size_t line)
{
    size_t off = 0;
    while (line > 0 && off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        if (!nl)
            return len;
        off = (size_t)(nl - text) + 1;
        line--;
    }
    return line > 0 ? len : off;
}

/* The length of the UTF-8 sequence that starts with byte c (1 for a stray byte). */
static size_t u8len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The UTF-16 column of a 1-based code-point column on a 1-based line. */
static unsigned cp_to_u16(const char *text, size_t len, unsigned line, unsigned col)
{
    if (line == 0 || col <= 1 || !text)
        return 0;
    size_t off = line_start(text, len, line - 1);
    unsigned u = 0;
    for (unsigned c = 1; c < col && off < len && text[off] != '\n'; c++) {
        size_t k = u8len((unsigned char)text[off]);
        u += k == 4 ? 2 : 1;
        off += k;
    }
    return u;
}

/* The byte offset of an LSP position (0-based line, UTF-16 character). */
static size_t pos_to_off(const char *text, size_t len, long line, long ch)
{
    if (line < 0)
        return 0;
    size_t off = line_start(text, len, (size_t)line);
    long u = 0;
    while (u < ch && off < len && text[off] != '\n') {
        size_t k = u8len((unsigned char)text[off]);
        u += k == 4 ? 2 : 1;
        off += k;
    }
    return off > len ? len : off;
}

/* The LSP position of the end of text. */
static void end_pos(const char *text, size_t len, unsigned *line, unsigned *ch)
{
    unsigned l = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    unsigned u = 0;
    for (size_t off = start; off < len;) {
        size_t k = u8len((unsigned char)text[off]);
        u += k == 4 ? 2 : 1;
        off += k;
    }
    *line = l;
    *ch = u;
}

/* ---- documents ----------------------------------------------------------------------- */

static doc *doc_find(server *S, const char *uri)
{
    for (size_t i = 0; i < S->ndocs; i++)
        if (strcmp(S->docs[i].uri, uri) == 0)
            return &S->docs[i];
    return NULL;
}

static doc *doc_find_path(server *S, const char *path)
{
    for (size_t i = 0; i < S->ndocs; i++)
        if (S->docs[i].path && strcmp(S->docs[i].path, path) == 0)
            return &S->docs[i];
    return NULL;
}

/* Sets the text of uri's document, opening it when it is not open. false: out of memory. */
static bool doc_set(server *S, const char *uri, const char *text, size_t len)
{
    char *t = dup_n(text, len);
    if (!t)
        return false;
    doc *d = doc_find(S, uri);
    if (d) {
        free(d->text);
        d->text = t;
        d->len = len;
        return true;
    }
    if (S->ndocs == S->capdocs) {
        size_t cap = S->capdocs ? 2 * S->capdocs : 8;
        doc *v = realloc(S->docs, cap * sizeof *v);
        if (!v) {
            free(t);
            return false;
        }
        S->docs = v;
        S->capdocs = cap;
    }
    d = &S->docs[S->ndocs];
    d->uri = dup_n(uri, strlen(uri));
    d->path = uri_to_path(uri);
    d->text = t;
    d->len = len;
    if (!d->uri) {
        free(d->path);
        free(t);
        return false;
    }
    S->ndocs++;
    return true;
}

static void doc_close(server *S, const char *uri)
{
    doc *d = doc_find(S, uri);
    if (!d)
        return;
    free(d->uri);
    free(d->path);
    free(d->text);
    *d = S->docs[--S->ndocs];
}

/* ---- output -------------------------------------------------------------------------- */

static void send_gen(server *S, yajl_gen g)
{
    const unsigned char *buf;
    size_t len;
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        S->write_failed = true;
        return;
    }
    if (fprintf(S->out, "Content-Length: %zu\r\n\r\n", len) < 0 ||
        fwrite(buf, 1, len, S->out) != len || fflush(S->out) != 0)
        S->write_failed = true;
}

static void gs(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gi(yajl_gen g, long long v)
{
    yajl_gen_integer(g, v);
}

/* The id of a request, as it came (a string, a number or null). */
static void gen_id(yajl_gen g, yajl_val id)
{
    if (id && YAJL_IS_STRING(id))
        gs(g, YAJL_GET_STRING(id));
    else if (id && YAJL_IS_NUMBER(id))
        yajl_gen_number(g, YAJL_GET_NUMBER(id), strlen(YAJL_GET_NUMBER(id)));
    else
        yajl_gen_null(g);
}

static yajl_gen begin_response(yajl_val id)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    yajl_gen_map_open(g);
    gs(g, "jsonrpc");
    gs(g, "2.0");
    gs(g, "id");
    gen_id(g, id);
    gs(g, "result");
    return g;
}

static void end_response(server *S, yajl_gen g)
{
    if (!g) {
        S->write_failed = true;
        return;
    }
    yajl_gen_map_close(g);
    send_gen(S, g);
    yajl_gen_free(g);
}

static void send_error(server *S, yajl_val id, int code, const char *msg)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        S->write_failed = true;
        return;
    }
    yajl_gen_map_open(g);
    gs(g, "jsonrpc");
    gs(g, "2.0");
    gs(g, "id");
    gen_id(g, id);
    gs(g, "error");
    yajl_gen_map_open(g);
    gs(g, "code");
    gi(g, code);
    gs(g, "message");
    gs(g, msg);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    send_gen(S, g);
    yajl_gen_free(g);
}

static void send_null_result(server *S, yajl_val id)
{
    yajl_gen g = begin_response(id);
    if (g)
        yajl_gen_null(g);
    end_response(S, g);
}

static void gen_pos(yajl_gen g, unsigned line, unsigned ch)
{
    yajl_gen_map_open(g);
    gs(g, "line");
    gi(g, line);
    gs(g, "character");
    gi(g, ch);
    yajl_gen_map_close(g);
}

static void gen_range(yajl_gen g, unsigned l0, unsigned c0, unsigned l1, unsigned c1)
{
    yajl_gen_map_open(g);
    gs(g, "start");
    gen_pos(g, l0, c0);
    gs(g, "end");
    gen_pos(g, l1, c1);
    yajl_gen_map_close(g);
}

/* ---- diagnostics --------------------------------------------------------------------- */

/* One source of a compile: its name (a path), text and URI. */
typedef struct unit {
    char *path;
    char *uri;
    char *text; /* owned copy (from the open document or the file) */
    size_t len;
} unit;

typedef struct unitlist {
    unit *v;
    size_t n, cap;
} unitlist;

static void units_free(unitlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].uri);
        free(l->v[i].text);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool units_add(unitlist *l, const char *path, const char *uri, char *text, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        unit *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    unit *u = &l->v[l->n];
    u->path = dup_n(path, strlen(path));
    u->uri = uri ? dup_n(uri, strlen(uri)) : path_to_uri(path);
    u->text = text;
    u->len = len;
    if (!u->path || !u->uri) {
        free(u->path);
        free(u->uri);
        return false;
    }
    l->n++;
    return true;
}

static bool grow_names(char ***names, size_t *cap)
{
    size_t c = *cap ? 2 * *cap : 16;
    char **v = realloc(*names, c * sizeof *v);
    if (!v)
        return false;
    *names = v;
    *cap = c;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.mga file of dir in name order, and open documents there not on disk: their text
 * from the open document when there is one, else from disk (a file that cannot be read is
 * left out). false: out of memory. */
static bool collect_rules(server *S, const char *dir, unitlist *out)
{
    size_t n = 0, cap = 0;
    char **names = NULL;
    bool ok = true;
    DIR *dp = opendir(dir);
    struct dirent *de;
    while (ok && dp && (de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".mga"))
            continue;
        size_t k = strlen(dir) + 1 + strlen(de->d_name) + 1;
        char *p = malloc(k);
        if (p)
            snprintf(p, k, "%s/%s", dir, de->d_name);
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                free(p);
                ok = false;
                break;
            }
            names = v;
        }
        if (!p)
            ok = false;
        else
            names[n++] = p;
    }
    if (dp)
        closedir(dp);
    for (size_t i = 0; ok && i < S->ndocs; i++) { /* open, never saved */
        doc *d = &S->docs[i];
        if (!d->path || !has_suffix(d->path, ".mga"))
            continue;
        char *dd = dir_of(d->path);
        if (!dd) {
            ok = false;
            break;
        }
        bool here = strcmp(dd, dir) == 0;
        free(dd);
        bool listed = false;
        for (size_t j = 0; here && j < n && !listed; j++)
            listed = strcmp(names[j], d->path) == 0;
        if (!here || listed)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                ok = false;
                break;
            }
            names = v;
        }
        names[n] = dup_n(d->path, strlen(d->path));
        if (!names[n]) {
            ok = false;
            break;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; ok && i < n; i++) {
        doc *d = doc_find_path(S, names[i]);
        char *text;
        size_t len = 0;
        if (d) {
            text = dup_n(d->text, d->len);
            len = d->len;
            if (!text)
                ok = false;
        } else {
            int err = 0;
            text = cli_read_all(names[i], &len, &err);
            if (!text) {
                if (err == ENOMEM)
                    ok = false;
                continue;
            }
        }
        if (ok && !units_add(out, names[i], d ? d->uri : NULL, text, len)) {
            free(text);
            ok = false;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ok;
}

static bool published_has(server *S, const char *uri, size_t *at)
{
    for (size_t i = 0; i < S->npublished; i++)
        if (strcmp(S->published[i], uri) == 0) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

static void published_set(server *S, const char *uri, bool any)
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
        char *u = dup_n(uri, strlen(uri));
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
static void publish(server *S, const char *uri, const char *name, const char *text, size_t len,
                    const mga_diags *d, const char *extra)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        S->write_failed = true;
        return;
    }
    yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    yajl_gen_map_open(g);
    gs(g, "jsonrpc");
    gs(g, "2.0");
    gs(g, "method");
    gs(g, "textDocument/publishDiagnostics");
    gs(g, "params");
    yajl_gen_map_open(g);
    gs(g, "uri");
    gs(g, uri);
    gs(g, "diagnostics");
    yajl_gen_array_open(g);
    size_t count = 0;
    if (extra) {
        yajl_gen_map_open(g);
        gs(g, "range");
        gen_range(g, 0, 0, 0, 0);
        gs(g, "severity");
        gi(g, 1);
        gs(g, "source");
        gs(g, "mgadvise");
        gs(g, "message");
        gs(g, extra);
        yajl_gen_map_close(g);
        count++;
    }
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (name && (!dg->file || strcmp(dg->file, name) != 0))
            continue;
        unsigned l0 = dg->line ? dg->line - 1 : 0, l1 = dg->end_line ? dg->end_line - 1 : l0;
        unsigned c0 = cp_to_u16(text, len, dg->line, dg->col);
        unsigned c1 = dg->end_line ? cp_to_u16(text, len, dg->end_line, dg->end_col) : c0;
        char code[16];
        snprintf(code, sizeof code, "%s%04u", severity_word(dg->kind), dg->code);
        yajl_gen_map_open(g);
        gs(g, "range");
        gen_range(g, l0, c0, l1, c1);
        gs(g, "severity");
        gi(g, dg->kind == MGA_DIAG_ERROR ? 1 : dg->kind == MGA_DIAG_WARNING ? 2 : 3);
        gs(g, "code");
        gs(g, code);
        gs(g, "source");
        gs(g, "mgadvise");
        gs(g, "message");
        if (dg->note) {
            size_t k = strlen(dg->message) + strlen(dg->note) + 8;
            char *m = malloc(k);
            if (m) {
                snprintf(m, k, "%s\nnote: %s", dg->message, dg->note);
                gs(g, m);
                free(m);
            } else {
                gs(g, dg->message);
            }
        } else {
            gs(g, dg->message);
        }
        yajl_gen_map_close(g);
        count++;
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    bool was = published_has(S, uri, NULL);
    if (count || was)
        send_gen(S, g);
    yajl_gen_free(g);
    published_set(S, uri, count > 0);
}

/* Compiles the rule files of dir: *rs the rule set (NULL when it has errors), *units the
 * sources, *d the diagnostics. false: out of memory. */
static bool compile_folder(server *S, const char *dir, unitlist *units, mga_ruleset **rs,
                           mga_diags **d)
{
    *rs = NULL;
    *d = NULL;
    if (!collect_rules(S, dir, units))
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

/* The first subfolder of root, in name order, that holds *.mga files (malloc'd), or NULL. */
static char *first_rules_subfolder(server *S, const char *root)
{
    DIR *dp = opendir(root);
    if (!dp)
        return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t k = strlen(root) + 1 + strlen(de->d_name) + 1;
        char *p = malloc(k);
        struct stat sb;
        if (!p)
            break;
        snprintf(p, k, "%s/%s", root, de->d_name);
        if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode) || (n == cap && !grow_names(&names, &cap))) {
            free(p);
            continue;
        }
        names[n++] = p;
    }
    closedir(dp);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    char *found = NULL;
    for (size_t i = 0; i < n; i++) {
        unitlist u = {0};
        if (!found && collect_rules(S, names[i], &u) && u.n > 0)
            found = names[i];
        else
            free(names[i]);
        units_free(&u);
    }
    free(names);
    return found;
}

/* The folder whose rules a test file at path is compiled against: its own when it holds
 * *.mga files, else the first workspace folder that does, else the first subfolder of a
 * workspace folder that does (a repository whose rules are in rules/); NULL for the
 * built-in rules. */
static char *rules_dir_for_test(server *S, const char *path)
{
    char *dir = dir_of(path);
    unitlist u = {0};
    if (dir && collect_rules(S, dir, &u) && u.n > 0) {
        units_free(&u);
        return dir;
    }
    units_free(&u);
    free(dir);
    for (size_t i = 0; i < S->nroots; i++) {
        if (collect_rules(S, S->roots[i], &u) && u.n > 0) {
            units_free(&u);
            return dup_n(S->roots[i], strlen(S->roots[i]));
        }
        units_free(&u);
    }
    for (size_t i = 0; i < S->nroots; i++) {
        char *sub = first_rules_subfolder(S, S->roots[i]);
        if (sub)
            return sub;
    }
    return NULL;
}

/* The rule set a document's fields come from: its folder's for a rule file, the one its
 * tests are compiled against for a test file. NULL when it has errors. */
static mga_ruleset *ruleset_for(server *S, const doc *dc)
{
    if (!dc->path)
        return NULL;
    char *dir = has_suffix(dc->path, ".mgt") ? rules_dir_for_test(S, dc->path) : dir_of(dc->path);
    mga_ruleset *rs = NULL;
    if (!dir) {
        if (has_suffix(dc->path, ".mgt"))
            mga_compile_builtin(S->eng, &rs, NULL);
        return rs;
    }
    unitlist u = {0};
    mga_diags *d = NULL;
    compile_folder(S, dir, &u, &rs, &d);
    mga_diags_free(d);
    units_free(&u);
    free(dir);
    return rs;
}

static void check_test_doc(server *S, doc *dc)
{
    char *dir = rules_dir_for_test(S, dc->path);
    mga_ruleset *rs = NULL;
    mga_diags *rd = NULL;
    unitlist u = {0};
    if (dir)
        compile_folder(S, dir, &u, &rs, &rd);
    else
        mga_compile_builtin(S->eng, &rs, NULL);
    units_free(&u);
    mga_diags_free(rd);
    if (!rs) {
        char msg[512];
        snprintf(msg, sizeof msg, "the rules in '%s' have errors: the tests cannot be checked",
                 dir ? dir : "(built in)");
        publish(S, dc->uri, NULL, dc->text, dc->len, NULL, msg);
        free(dir);
        return;
    }
    free(dir);
    mga_source src = {dc->path, dc->text, dc->len};
    mga_tests *t = NULL;
    mga_diags *d = NULL;
    mga_tests_compile(S->eng, rs, &src, 1, &t, &d);
    publish(S, dc->uri, dc->path, dc->text, dc->len, d, NULL);
    mga_diags_free(d);
    mga_tests_free(t);
    mga_ruleset_free(rs);
}

/* Compiles the rule folder dir and publishes its diagnostics, then rechecks every open
 * test file. */
static void check_folder(server *S, const char *dir)
{
    unitlist u = {0};
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    if (!compile_folder(S, dir, &u, &rs, &d)) {
        units_free(&u);
        mga_diags_free(d);
        return;
    }
    for (size_t i = 0; i < u.n; i++)
        publish(S, u.v[i].uri, u.v[i].path, u.v[i].text, u.v[i].len, d, NULL);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    units_free(&u);
    for (size_t i = 0; i < S->ndocs; i++)
        if (S->docs[i].path && has_suffix(S->docs[i].path, ".mgt"))
            check_test_doc(S, &S->docs[i]);
}

static void check_doc(server *S, const char *uri)
{
    doc *dc = doc_find(S, uri);
    if (!dc || !dc->path)
        return;
    if (has_suffix(dc->path, ".mga")) {
        char *dir = dir_of(dc->path);
        if (dir)
            check_folder(S, dir);
        free(dir);
    } else if (has_suffix(dc->path, ".mgt")) {
        check_test_doc(S, dc);
    }
}

/* ---- requests ------------------------------------------------------------------------ */

static yajl_val get(yajl_val v, const char *a, const char *b, yajl_type t)
{
    const char *path[3] = {a, b, NULL};
    return v ? yajl_tree_get(v, path, t) : NULL;
}

static const char *get_str(yajl_val v, const char *a, const char *b)
{
    yajl_val s = get(v, a, b, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

static void add_root(server *S, const char *uri)
{
    char *p = uri ? uri_to_path(uri) : NULL;
    if (!p)
        return;
    char **v = realloc(S->roots, (S->nroots + 1) * sizeof *v);
    if (!v) {
        free(p);
        return;
    }
    S->roots = v;
    S->roots[S->nroots++] = p;
}

static void on_initialize(server *S, yajl_val id, yajl_val params)
{
    yajl_val folders = get(params, "workspaceFolders", NULL, yajl_t_array);
    if (folders)
        for (size_t i = 0; i < YAJL_GET_ARRAY(folders)->len; i++)
            add_root(S, get_str(YAJL_GET_ARRAY(folders)->values[i], "uri", NULL));
    if (S->nroots == 0)
        add_root(S, get_str(params, "rootUri", NULL));
    if (S->nroots == 0) {
        const char *rp = get_str(params, "rootPath", NULL);
        char *u = rp ? path_to_uri(rp) : NULL;
        add_root(S, u);
        free(u);
    }
    S->initialized = true;
    yajl_gen g = begin_response(id);
    if (!g) {
        S->write_failed = true;
        return;
    }
    yajl_gen_map_open(g);
    gs(g, "capabilities");
    yajl_gen_map_open(g);
    gs(g, "positionEncoding");
    gs(g, "utf-16");
    gs(g, "textDocumentSync");
    yajl_gen_map_open(g);
    gs(g, "openClose");
    yajl_gen_bool(g, 1);
    gs(g, "change");
    gi(g, 1); /* full */
    gs(g, "save");
    yajl_gen_map_open(g);
    gs(g, "includeText");
    yajl_gen_bool(g, 1);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    gs(g, "documentFormattingProvider");
    yajl_gen_bool(g, 1);
    gs(g, "hoverProvider");
    yajl_gen_bool(g, 1);
    gs(g, "documentSymbolProvider");
    yajl_gen_bool(g, 1);
    gs(g, "definitionProvider");
    yajl_gen_bool(g, 1);
    gs(g, "completionProvider");
    yajl_gen_map_open(g);
    gs(g, "triggerCharacters");
    yajl_gen_array_open(g);
    gs(g, " ");
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    gs(g, "serverInfo");
    yajl_gen_map_open(g);
    gs(g, "name");
    gs(g, "mgadvise");
    gs(g, "version");
    gs(g, MGA_VERSION);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    end_response(S, g);
}

typedef struct membuf {
    char *p;
    size_t n, cap;
} membuf;

static int membuf_write(void *ud, const char *p, size_t len)
{
    membuf *b = ud;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *v = realloc(b->p, cap);
        if (!v)
            return 1;
        b->p = v;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

static void on_formatting(server *S, yajl_val id, yajl_val params)
{
    const char *uri = get_str(params, "textDocument", "uri");
    doc *dc = uri ? doc_find(S, uri) : NULL;
    if (!dc) {
        send_error(S, id, RPC_INVALID_PARAMS, "formatting: the document is not open");
        return;
    }
    membuf b = {0};
    mga_status st = mga_format_rules(S->eng, dc->path ? dc->path : dc->uri, dc->text, dc->len,
                                     membuf_write, &b, NULL);
    if (st == MGA_E_COMPILE) { /* a syntax error: the diagnostics say where; no edit */
        free(b.p);
        send_null_result(S, id);
        return;
    }
    if (st != MGA_OK) {
        free(b.p);
        send_error(S, id, RPC_INTERNAL_ERROR, mga_status_str(st));
        return;
    }
    yajl_gen g = begin_response(id);
    if (g) {
        yajl_gen_array_open(g);
        if (b.n != dc->len || (b.n && memcmp(b.p, dc->text, b.n) != 0)) {
            unsigned l, c;
            end_pos(dc->text, dc->len, &l, &c);
            yajl_gen_map_open(g);
            gs(g, "range");
            gen_range(g, 0, 0, l, c);
            gs(g, "newText");
            yajl_gen_string(g, (const unsigned char *)(b.p ? b.p : ""), b.n);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    end_response(S, g);
    free(b.p);
}

static bool is_word(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* The document and byte offset a TextDocumentPositionParams names, or NULL. */
static doc *at_position(server *S, yajl_val params, size_t *off)
{
    const char *uri = get_str(params, "textDocument", "uri");
    yajl_val l = get(params, "position", "line", yajl_t_number);
    yajl_val c = get(params, "position", "character", yajl_t_number);
    doc *dc = uri ? doc_find(S, uri) : NULL;
    if (!dc || !l || !c || !YAJL_IS_INTEGER(l) || !YAJL_IS_INTEGER(c))
        return NULL;
    *off = pos_to_off(dc->text, dc->len, (long)YAJL_GET_INTEGER(l), (long)YAJL_GET_INTEGER(c));
    return dc;
}

static const char *type_word(mga_field_type t)
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

/* Markdown about field f into b. */
static void field_markdown(membuf *b, const mga_field_info *f)
{
    char line[256];
    snprintf(line, sizeof line, "**%s**: %s", f->name, type_word(f->type));
    membuf_write(b, line, strlen(line));
    if (f->unit) {
        snprintf(line, sizeof line, " in %s", f->unit);
        membuf_write(b, line, strlen(line));
    }
    if (f->has_range) {
        snprintf(line, sizeof line, ", range %g to %g", f->minimum, f->maximum);
        membuf_write(b, line, strlen(line));
    }
    for (size_t i = 0; i < f->nsymbols; i++) {
        membuf_write(b, i ? ", " : " ", i ? 2 : 1);
        membuf_write(b, "`", 1);
        membuf_write(b, f->symbols[i], strlen(f->symbols[i]));
        membuf_write(b, "`", 1);
    }
    if (f->description) {
        membuf_write(b, "\n\n", 2);
        membuf_write(b, f->description, strlen(f->description));
    }
}

static void hover_decl(server *S, doc *dc, const mga_ruleset *rs, const char *w, size_t n,
                       membuf *b);
static bool units_for(server *S, const doc *dc, unitlist *u);

static void on_hover(server *S, yajl_val id, yajl_val params)
{
    size_t off;
    doc *dc = at_position(S, params, &off);
    if (!dc) {
        send_error(S, id, RPC_INVALID_PARAMS, "hover: the document is not open, or no position");
        return;
    }
    size_t a = off, z = off;
    while (a > 0 && is_word((unsigned char)dc->text[a - 1]))
        a--;
    while (z < dc->len && is_word((unsigned char)dc->text[z]))
        z++;
    mga_ruleset *rs = a < z ? ruleset_for(S, dc) : NULL;
    membuf b = {0};
    for (size_t i = 0; rs && i < mga_ruleset_field_count(rs) && !b.n; i++) {
        mga_field_info f;
        if (mga_ruleset_field(rs, i, &f) == MGA_OK && strlen(f.name) == z - a &&
            memcmp(f.name, dc->text + a, z - a) == 0)
            field_markdown(&b, &f);
    }
    if (!b.n && a < z)
        hover_decl(S, dc, rs, dc->text + a, z - a, &b);
    mga_ruleset_free(rs);
    if (!b.n) {
        send_null_result(S, id);
        return;
    }
    yajl_gen g = begin_response(id);
    if (g) {
        yajl_gen_map_open(g);
        gs(g, "contents");
        yajl_gen_map_open(g);
        gs(g, "kind");
        gs(g, "markdown");
        gs(g, "value");
        gs(g, b.p);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
    }
    end_response(S, g);
    free(b.p);
}

static void gen_item(yajl_gen g, const char *label, int kind, const char *detail)
{
    yajl_gen_map_open(g);
    gs(g, "label");
    gs(g, label);
    gs(g, "kind");
    gi(g, kind);
    if (detail) {
        gs(g, "detail");
        gs(g, detail);
    }
    yajl_gen_map_close(g);
}

static void skip_blanks_back(const char *t, size_t *p)
{
    while (*p > 0 && (t[*p - 1] == ' ' || t[*p - 1] == '\t'))
        (*p)--;
}

/* Completion: after "FIELD has " or "FIELD is " (FIELD a set or one-of), FIELD's symbols;
 * or "FIELD: " in a test file's profile (FIELD a set or one-of), FIELD's symbols; after
 * "severity" the severities; after "cite" the source keys; elsewhere the profile fields. */
static void on_completion(server *S, yajl_val id, yajl_val params)
{
    size_t off;
    doc *dc = at_position(S, params, &off);
    if (!dc) {
        send_error(S, id, RPC_INVALID_PARAMS,
                   "completion: the document is not open, or no position");
        return;
    }
    /* the word being typed; before it "FIELD has", "FIELD is" or, in a test file,
     * "FIELD: value, value, " */
    const char *t = dc->text;
    size_t p = off;
    while (p > 0 && is_word((unsigned char)t[p - 1]))
        p--;
    skip_blanks_back(t, &p);
    while (p > 0 && t[p - 1] == ',') {
        p--;
        skip_blanks_back(t, &p);
        while (p > 0 && is_word((unsigned char)t[p - 1]))
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
        while (p > 0 && is_word((unsigned char)t[p - 1]))
            p--;
        prev = t + p;
        prevlen = z - p;
        after_op = (z - p == 3 && memcmp(t + p, "has", 3) == 0) ||
                   (z - p == 2 && memcmp(t + p, "is", 2) == 0);
    }
    skip_blanks_back(t, &p);
    size_t fz = p;
    while (p > 0 && is_word((unsigned char)t[p - 1]))
        p--;
    const char *field = t + p;
    size_t flen = fz - p;
    mga_ruleset *rs = ruleset_for(S, dc);
    yajl_gen g = begin_response(id);
    if (g) {
        yajl_gen_array_open(g);
        bool done = false;
        if (prevlen == 8 && memcmp(prev, "severity", 8) == 0) {
            static const char *const sev[] = {"critical", "warning", "info"};
            for (size_t i = 0; i < 3; i++)
                gen_item(g, sev[i], 14 /* Keyword */, "severity");
            done = true;
        } else if (prevlen == 4 && memcmp(prev, "cite", 4) == 0) {
            unitlist u = {0};
            if (units_for(S, dc, &u))
                for (size_t i = 0; i < u.n; i++) {
                    mga_outline *o = NULL;
                    if (mga_outline_new(S->eng, u.v[i].path, u.v[i].text, u.v[i].len, &o,
                                        NULL) != MGA_OK)
                        continue;
                    for (size_t k = 0; k < mga_outline_count(o); k++)
                        if (mga_outline_ref(o, k)->kind == MGA_DECL_SOURCE)
                            gen_item(g, mga_outline_ref(o, k)->name, 20 /* Key */, "source");
                    mga_outline_free(o);
                }
            units_free(&u);
            done = true;
        }
        for (size_t i = 0; rs && !done && after_op && i < mga_ruleset_field_count(rs); i++) {
            mga_field_info f;
            if (mga_ruleset_field(rs, i, &f) != MGA_OK || strlen(f.name) != flen ||
                memcmp(f.name, field, flen) != 0)
                continue;
            for (size_t s = 0; s < f.nsymbols; s++)
                gen_item(g, f.symbols[s], 20 /* EnumMember */, f.name);
            done = f.nsymbols > 0;
        }
        for (size_t i = 0; rs && !done && i < mga_ruleset_field_count(rs); i++) {
            mga_field_info f;
            if (mga_ruleset_field(rs, i, &f) == MGA_OK)
                gen_item(g, f.name, 5 /* Field */, type_word(f.type));
        }
        yajl_gen_array_close(g);
    }
    end_response(S, g);
    mga_ruleset_free(rs);
}

/* ---- declarations: symbols, definitions, rule and fact hovers ----------------------- */

/* The rule files a document's names come from: its folder's for a rule file, the folder
 * its tests are compiled against for a test file (none for the built-in rules). */
static bool units_for(server *S, const doc *dc, unitlist *u)
{
    if (!dc->path)
        return true;
    char *dir = has_suffix(dc->path, ".mgt") ? rules_dir_for_test(S, dc->path) : dir_of(dc->path);
    bool ok = !dir || collect_rules(S, dir, u);
    free(dir);
    return ok;
}

static int symbol_kind(mga_decl_kind k)
{
    switch (k) {
    case MGA_DECL_SOURCE:
        return 20; /* Key */
    case MGA_DECL_FIELD:
        return 8; /* Field */
    case MGA_DECL_FACT:
        return 14; /* Constant */
    case MGA_DECL_RULE:
        return 12; /* Function */
    case MGA_DECL_INVARIANT:
        return 24; /* Event */
    case MGA_DECL_TEST:
        return 6; /* Method */
    }
    return 13;
}

static const char *decl_word(mga_decl_kind k)
{
    static const char *const w[] = {"source", "field", "fact", "rule", "invariant", "test"};
    return (unsigned)k < sizeof w / sizeof *w ? w[k] : "?";
}

static void gen_decl_range(yajl_gen g, const char *text, size_t len, const mga_decl *d)
{
    gen_range(g, d->line - 1, cp_to_u16(text, len, d->line, d->col), d->end_line - 1,
              cp_to_u16(text, len, d->end_line, d->end_col));
}

static void on_symbols(server *S, yajl_val id, yajl_val params)
{
    const char *uri = get_str(params, "textDocument", "uri");
    doc *dc = uri ? doc_find(S, uri) : NULL;
    if (!dc) {
        send_error(S, id, RPC_INVALID_PARAMS, "documentSymbol: the document is not open");
        return;
    }
    mga_outline *o = NULL;
    mga_status st = mga_outline_new(S->eng, dc->path ? dc->path : dc->uri, dc->text, dc->len,
                                    &o, NULL);
    if (st != MGA_OK) {
        send_error(S, id, RPC_INTERNAL_ERROR, mga_status_str(st));
        return;
    }
    yajl_gen g = begin_response(id);
    if (g) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < mga_outline_count(o); i++) {
            const mga_decl *d = mga_outline_ref(o, i);
            yajl_gen_map_open(g);
            gs(g, "name");
            gs(g, d->name);
            gs(g, "detail");
            gs(g, decl_word(d->kind));
            gs(g, "kind");
            gi(g, symbol_kind(d->kind));
            gs(g, "range");
            gen_decl_range(g, dc->text, dc->len, d);
            gs(g, "selectionRange");
            gen_decl_range(g, dc->text, dc->len, d);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    end_response(S, g);
    mga_outline_free(o);
}

/* The word under off in dc: [*a, *z). false when there is none. */
static bool word_at(const doc *dc, size_t off, size_t *a, size_t *z)
{
    *a = *z = off;
    while (*a > 0 && is_word((unsigned char)dc->text[*a - 1]))
        (*a)--;
    while (*z < dc->len && is_word((unsigned char)dc->text[*z]))
        (*z)++;
    return *a < *z;
}

/* The declaration of name among the files u (not a test): the file's index in *file and a
 * copy of the declaration in *out (its name borrowed from nothing: set to NULL). */
static bool find_decl(server *S, const unitlist *u, const char *name, size_t n, size_t *file,
                      mga_decl *out)
{
    for (size_t i = 0; i < u->n; i++) {
        mga_outline *o = NULL;
        if (mga_outline_new(S->eng, u->v[i].path, u->v[i].text, u->v[i].len, &o, NULL) != MGA_OK)
            continue;
        bool found = false;
        for (size_t k = 0; k < mga_outline_count(o) && !found; k++) {
            const mga_decl *d = mga_outline_ref(o, k);
            if (d->kind != MGA_DECL_TEST && strlen(d->name) == n && memcmp(d->name, name, n) == 0) {
                *out = *d;
                out->name = NULL;
                *file = i;
                found = true;
            }
        }
        mga_outline_free(o);
        if (found)
            return true;
    }
    return false;
}

static void on_definition(server *S, yajl_val id, yajl_val params)
{
    size_t off, a, z;
    doc *dc = at_position(S, params, &off);
    if (!dc) {
        send_error(S, id, RPC_INVALID_PARAMS,
                   "definition: the document is not open, or no position");
        return;
    }
    unitlist u = {0};
    size_t file = 0;
    mga_decl d;
    bool found = word_at(dc, off, &a, &z) && units_for(S, dc, &u) &&
                 find_decl(S, &u, dc->text + a, z - a, &file, &d);
    yajl_gen g = begin_response(id);
    if (g && found) {
        yajl_gen_map_open(g);
        gs(g, "uri");
        gs(g, u.v[file].uri);
        gs(g, "range");
        gen_decl_range(g, u.v[file].text, u.v[file].len, &d);
        yajl_gen_map_close(g);
    } else if (g) {
        yajl_gen_null(g);
    }
    end_response(S, g);
    units_free(&u);
}

/* The text of a declaration as written: from its line to the line before the next one at
 * column 0 that is not `end` (at most 12 lines), into b as a code block. */
static void decl_text(membuf *b, const char *text, size_t len, unsigned line)
{
    size_t off = line_start(text, len, line - 1), end = off;
    for (int n = 0; n < 12 && end < len; n++) {
        const char *nl = memchr(text + end, '\n', len - end);
        size_t next = nl ? (size_t)(nl - text) + 1 : len;
        end = next;
        if (next >= len)
            break;
        char c = text[next];
        if (c != ' ' && c != '\t' && !(len - next >= 3 && memcmp(text + next, "end", 3) == 0))
            break;
    }
    membuf_write(b, "```\n", 4);
    membuf_write(b, text + off, end - off);
    if (end == off || text[end - 1] != '\n')
        membuf_write(b, "\n", 1);
    membuf_write(b, "```", 3);
}

/* Markdown about rule r: its severity, kind, advice text and citations with their quotes. */
static void rule_markdown(membuf *b, const mga_rule_info *r)
{
    char line[512];
    snprintf(line, sizeof line, "**rule %s**: %s, %s", r->id, mga_severity_str(r->severity),
             mga_kind_str(r->kind));
    membuf_write(b, line, strlen(line));
    if (r->evidence) {
        snprintf(line, sizeof line, ", evidence %s", r->evidence);
        membuf_write(b, line, strlen(line));
    }
    if (r->say) {
        membuf_write(b, "\n\n", 2);
        membuf_write(b, r->say, strlen(r->say));
    }
    for (size_t i = 0; i < r->ncites; i++) {
        const mga_cite *c = &r->cites[i];
        if (r->ncites && i == 0)
            membuf_write(b, "\n", 1);
        if (c->ref)
            snprintf(line, sizeof line, "\n- `%s`[%u]", c->source, c->ref);
        else
            snprintf(line, sizeof line, "\n- `%s`", c->source);
        membuf_write(b, line, strlen(line));
        if (c->quote) {
            membuf_write(b, ": \"", 3);
            membuf_write(b, c->quote, strlen(c->quote));
            membuf_write(b, "\"", 1);
        }
    }
}

/* Hover for a rule, fact or source name: b gets the markdown, empty when it is none. */
static void hover_decl(server *S, doc *dc, const mga_ruleset *rs, const char *w, size_t n,
                       membuf *b)
{
    for (size_t i = 0; rs && i < mga_ruleset_rule_count(rs); i++) {
        mga_rule_info r;
        if (mga_ruleset_rule(rs, i, &r) == MGA_OK && strlen(r.id) == n &&
            memcmp(r.id, w, n) == 0) {
            rule_markdown(b, &r);
            return;
        }
    }
    unitlist u = {0};
    size_t file;
    mga_decl d;
    if (units_for(S, dc, &u) && find_decl(S, &u, w, n, &file, &d) &&
        (d.kind == MGA_DECL_FACT || d.kind == MGA_DECL_SOURCE ||
         d.kind == MGA_DECL_INVARIANT))
        decl_text(b, u.v[file].text, u.v[file].len, d.line);
    units_free(&u);
}

/* ---- dispatch ------------------------------------------------------------------------ */

static void on_text(server *S, const char *method, yajl_val params)
{
    const char *uri = get_str(params, "textDocument", "uri");
    if (!uri)
        return;
    if (strcmp(method, "textDocument/didOpen") == 0) {
        const char *text = get_str(params, "textDocument", "text");
        if (text && doc_set(S, uri, text, strlen(text)))
            check_doc(S, uri);
    } else if (strcmp(method, "textDocument/didChange") == 0) {
        yajl_val ch = get(params, "contentChanges", NULL, yajl_t_array);
        if (!ch || YAJL_GET_ARRAY(ch)->len == 0 || !doc_find(S, uri))
            return;
        /* full sync: the last change is the whole text */
        const char *text = get_str(YAJL_GET_ARRAY(ch)->values[YAJL_GET_ARRAY(ch)->len - 1],
                                   "text", NULL);
        if (text && doc_set(S, uri, text, strlen(text)))
            check_doc(S, uri);
    } else if (strcmp(method, "textDocument/didSave") == 0) {
        const char *text = get_str(params, "text", NULL);
        if (text && doc_find(S, uri))
            doc_set(S, uri, text, strlen(text));
        check_doc(S, uri);
    } else if (strcmp(method, "textDocument/didClose") == 0) {
        doc *dc = doc_find(S, uri);
        char *path = dc && dc->path ? dup_n(dc->path, strlen(dc->path)) : NULL;
        doc_close(S, uri);
        if (path && has_suffix(path, ".mga")) { /* the file on disk counts again */
            char *dir = dir_of(path);
            if (dir)
                check_folder(S, dir);
            free(dir);
        }
        if (!path || !has_suffix(path, ".mga"))
            publish(S, uri, "", "", 0, NULL, NULL); /* clear a closed test file's */
        free(path);
    }
}

/* Handles one message; returns true after `exit`. *code is then the exit status. */
static bool handle(server *S, yajl_val msg, int *code)
{
    yajl_val id = get(msg, "id", NULL, yajl_t_any);
    if (id && !YAJL_IS_STRING(id) && !YAJL_IS_NUMBER(id) && !YAJL_IS_NULL(id))
        id = NULL;
    const char *method = get_str(msg, "method", NULL);
    yajl_val params = get(msg, "params", NULL, yajl_t_any);
    if (!YAJL_IS_OBJECT(msg) || !method) {
        if (!YAJL_IS_OBJECT(msg) || !get(msg, "result", NULL, yajl_t_any))
            send_error(S, id, RPC_INVALID_REQUEST, "invalid request: not an object with a method");
        return false; /* a response to a request of ours: we make none */
    }
    if (strcmp(method, "exit") == 0) {
        *code = S->shutdown ? EXIT_OK : EXIT_INVALID;
        return true;
    }
    bool request = id != NULL;
    if (!S->initialized && strcmp(method, "initialize") != 0) {
        if (request)
            send_error(S, id, RPC_NOT_INITIALIZED, "the server is not initialized");
        return false;
    }
    if (S->shutdown) {
        if (request)
            send_error(S, id, RPC_INVALID_REQUEST, "the server is shut down: only exit is allowed");
        return false;
    }
    if (strcmp(method, "initialize") == 0) {
        if (!request)
            return false;
        if (S->initialized)
            send_error(S, id, RPC_INVALID_REQUEST, "initialize was already called");
        else
            on_initialize(S, id, params);
    } else if (strcmp(method, "shutdown") == 0) {
        if (request) {
            S->shutdown = true;
            send_null_result(S, id);
        }
    } else if (strncmp(method, "textDocument/did", 16) == 0 && !request) {
        on_text(S, method, params);
    } else if (strcmp(method, "textDocument/formatting") == 0 && request) {
        on_formatting(S, id, params);
    } else if (strcmp(method, "textDocument/hover") == 0 && request) {
        on_hover(S, id, params);
    } else if (strcmp(method, "textDocument/documentSymbol") == 0 && request) {
        on_symbols(S, id, params);
    } else if (strcmp(method, "textDocument/definition") == 0 && request) {
        on_definition(S, id, params);
    } else if (strcmp(method, "textDocument/completion") == 0 && request) {
        on_completion(S, id, params);
    } else if (request) {
        char m[300];
        snprintf(m, sizeof m, "unknown method '%.200s'", method);
        send_error(S, id, RPC_METHOD_NOT_FOUND, m);
    } /* an unknown notification ("initialized", "$/..." among them) is ignored */
    return false;
}

/* The nesting depth of JSON text, strings skipped: guards yajl_tree against deep input. */
static size_t json_depth(const char *s, size_t n)
{
    size_t depth = 0, max = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

/* Reads one header block: the Content-Length in *len. 1: a message follows; 0: the input
 * ended; -1: the header is bad (said to the client), the block is skipped. */
static int read_header(server *S, FILE *in, size_t *len)
{
    char line[1024];
    bool have = false, bad = false, any = false;
    *len = 0;
    while (fgets(line, sizeof line, in)) {
        any = true;
        size_t k = strlen(line);
        while (k && (line[k - 1] == '\n' || line[k - 1] == '\r'))
            line[--k] = '\0';
        if (k == 0)
            break;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            const char *v = line + 15;
            while (*v == ' ' || *v == '\t')
                v++;
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || errno || n > LSP_MAX_BODY)
                bad = true;
            else {
                *len = (size_t)n;
                have = true;
            }
        }
    }
    if (!any)
        return 0;
    if (bad || !have) {
        send_error(S, NULL, RPC_PARSE_ERROR,
                   bad ? "bad Content-Length header: expected a number of bytes up to 64 MiB"
                       : "missing Content-Length header");
        return feof(in) ? 0 : -1;
    }
    return 1;
}

static const cli_opt lsp_opts[] = {
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_lsp(int argc, char **argv)
{
    cli_parser P;
    if (cli_parser_init(&P, "lsp", lsp_opts) != 0)
        return EXIT_INTERNAL;
    int c;
    const char *v;
    while ((c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        if (c == 'h') {
            fputs(usage_lsp, stdout);
            return EXIT_OK;
        }
        return EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error("lsp", "unexpected argument '%s': the server talks on standard "
                                      "input and output",
                               argv[optind]);
    server S;
    memset(&S, 0, sizeof S);
    S.out = stdout;
    if (mga_engine_new(NULL, &S.eng) != MGA_OK) {
        fprintf(stderr, "mgadvise lsp: %s\n", mga_status_str(MGA_E_NOMEM));
        return EXIT_INTERNAL;
    }
    int code = EXIT_INVALID; /* the input ended without exit */
    for (;;) {
        size_t len;
        int h = read_header(&S, stdin, &len);
        if (h == 0)
            break;
        if (h < 0)
            continue;
        char *body = malloc(len + 1);
        if (!body) {
            send_error(&S, NULL, RPC_INTERNAL_ERROR, "out of memory");
            code = EXIT_INTERNAL;
            break;
        }
        size_t got = fread(body, 1, len, stdin);
        body[got] = '\0';
        if (got < len) {
            free(body);
            break; /* the input ended inside a message */
        }
        char err[256] = "";
        yajl_val msg = NULL;
        if (memchr(body, '\0', len))
            snprintf(err, sizeof err, "a NUL byte in the message");
        else if (json_depth(body, len) > LSP_MAX_DEPTH)
            snprintf(err, sizeof err, "nested deeper than %d", LSP_MAX_DEPTH);
        else
            msg = yajl_tree_parse(body, err, sizeof err);
        free(body);
        if (!msg) {
            char m[400];
            size_t k = strcspn(err, "\n");
            snprintf(m, sizeof m, "invalid JSON: %.*s", (int)k, err);
            send_error(&S, NULL, RPC_PARSE_ERROR, m);
            continue;
        }
        bool stop = handle(&S, msg, &code);
        yajl_tree_free(msg);
        if (stop || S.write_failed)
            break;
    }
    if (S.write_failed)
        code = EXIT_INTERNAL;
    for (size_t i = 0; i < S.ndocs; i++) {
        free(S.docs[i].uri);
        free(S.docs[i].path);
        free(S.docs[i].text);
    }
    free(S.docs);
    for (size_t i = 0; i < S.npublished; i++)
        free(S.published[i]);
    free(S.published);
    for (size_t i = 0; i < S.nroots; i++)
        free(S.roots[i]);
    free(S.roots);
    mga_engine_free(S.eng);
    return code;
}
