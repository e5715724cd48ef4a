/* SPDX-License-Identifier: MIT */
/* The document store of `mgadvise lsp`: the open documents (full text, replaced on each
 * change), the workspace folders, the rule files of a folder (open documents in place of
 * the files on disk), file: URIs and paths, and LSP positions (UTF-16 code units) against
 * the engine's (1-based lines, columns in code points). */
#include "lsp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- paths, URIs and positions ------------------------------------------------------ */

char *lsp_dup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* The path of a file: URI (percent-decoded), or NULL. */
char *lsp_uri_to_path(const char *uri)
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
        if (*s == '%' && cli_hexval(s[1]) >= 0 && cli_hexval(s[2]) >= 0) {
            int c = cli_hexval(s[1]) * 16 + cli_hexval(s[2]);
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
char *lsp_path_to_uri(const char *path)
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
char *lsp_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return lsp_dup(".", 1);
    if (slash == path)
        return lsp_dup("/", 1);
    return lsp_dup(path, (size_t)(slash - path));
}

/* The byte offset in text of the start of 0-based line. len when past the end. */
size_t lsp_line_start(const char *text, size_t len, size_t line)
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
unsigned lsp_cp_to_u16(const char *text, size_t len, unsigned line, unsigned col)
{
    if (line == 0 || col <= 1 || !text)
        return 0;
    size_t off = lsp_line_start(text, len, line - 1);
    unsigned u = 0;
    for (unsigned c = 1; c < col && off < len && text[off] != '\n'; c++) {
        size_t k = u8len((unsigned char)text[off]);
        u += k == 4 ? 2 : 1;
        off += k;
    }
    return u;
}

/* The byte offset of an LSP position (0-based line, UTF-16 character). */
size_t lsp_pos_to_off(const char *text, size_t len, long line, long ch)
{
    if (line < 0)
        return 0;
    size_t off = lsp_line_start(text, len, (size_t)line);
    long u = 0;
    while (u < ch && off < len && text[off] != '\n') {
        size_t k = u8len((unsigned char)text[off]);
        u += k == 4 ? 2 : 1;
        off += k;
    }
    return off > len ? len : off;
}

/* The LSP position of the end of text. */
void lsp_end_pos(const char *text, size_t len, unsigned *line, unsigned *ch)
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

static bool is_rules(const lsp_doc *d)
{
    return d->path && cli_has_suffix(d->path, ".mga");
}

lsp_doc *lsp_doc_find(lsp_docs *D, const char *uri)
{
    for (size_t i = 0; i < D->n; i++)
        if (strcmp(D->v[i].uri, uri) == 0)
            return &D->v[i];
    return NULL;
}

lsp_doc *lsp_doc_find_path(lsp_docs *D, const char *path)
{
    for (size_t i = 0; i < D->n; i++)
        if (D->v[i].path && strcmp(D->v[i].path, path) == 0)
            return &D->v[i];
    return NULL;
}

/* Sets the text of uri's document, opening it when it is not open. false: out of memory. */
bool lsp_doc_set(lsp_docs *D, const char *uri, const char *text, size_t len)
{
    char *t = lsp_dup(text, len);
    if (!t)
        return false;
    lsp_doc *d = lsp_doc_find(D, uri);
    if (d) {
        if (is_rules(d) && (d->len != len || memcmp(d->text, t, len) != 0))
            D->gen++;
        free(d->text);
        d->text = t;
        d->len = len;
        return true;
    }
    if (D->n == D->cap) {
        size_t cap = D->cap ? 2 * D->cap : 8;
        lsp_doc *v = realloc(D->v, cap * sizeof *v);
        if (!v) {
            free(t);
            return false;
        }
        D->v = v;
        D->cap = cap;
    }
    d = &D->v[D->n];
    d->uri = lsp_dup(uri, strlen(uri));
    d->path = lsp_uri_to_path(uri);
    d->text = t;
    d->len = len;
    if (!d->uri) {
        free(d->path);
        free(t);
        return false;
    }
    if (is_rules(d))
        D->gen++;
    D->n++;
    return true;
}

void lsp_doc_close(lsp_docs *D, const char *uri)
{
    lsp_doc *d = lsp_doc_find(D, uri);
    if (!d)
        return;
    if (is_rules(d))
        D->gen++;
    free(d->uri);
    free(d->path);
    free(d->text);
    *d = D->v[--D->n];
}

/* ---- the rule files of a folder ------------------------------------------------------ */

void lsp_units_free(lsp_units *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].uri);
        free(l->v[i].text);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool units_add(lsp_units *l, const char *path, const char *uri, char *text, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        lsp_unit *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    lsp_unit *u = &l->v[l->n];
    u->path = lsp_dup(path, strlen(path));
    u->uri = uri ? lsp_dup(uri, strlen(uri)) : lsp_path_to_uri(path);
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

/* Every *.mga file of dir in name order, and open documents there not on disk: their text
 * from the open document when there is one, else from disk (a file that cannot be read is
 * left out). false: out of memory. */
bool lsp_collect_rules(lsp_docs *D, const char *dir, lsp_units *out)
{
    cli_names names = {0};
    bool ok = cli_list_folder(dir, ".mga", &names) != ENOMEM; /* no folder: no files */
    for (size_t i = 0; ok && i < D->n; i++) { /* open, never saved */
        lsp_doc *d = &D->v[i];
        if (!d->path || !cli_has_suffix(d->path, ".mga"))
            continue;
        char *dd = lsp_dir_of(d->path);
        if (!dd) {
            ok = false;
            break;
        }
        bool here = strcmp(dd, dir) == 0;
        free(dd);
        bool listed = false;
        for (size_t j = 0; here && j < names.n && !listed; j++)
            listed = strcmp(names.v[j], d->path) == 0;
        if (here && !listed)
            ok = cli_names_add(&names, lsp_dup(d->path, strlen(d->path)));
    }
    cli_names_sort(&names);
    for (size_t i = 0; ok && i < names.n; i++) {
        lsp_doc *d = lsp_doc_find_path(D, names.v[i]);
        char *text;
        size_t len = 0;
        if (d) {
            text = lsp_dup(d->text, d->len);
            len = d->len;
            if (!text)
                ok = false;
        } else {
            int err = 0;
            text = cli_read_all(names.v[i], &len, &err);
            if (!text) {
                if (err == ENOMEM)
                    ok = false;
                continue;
            }
        }
        if (ok && !units_add(out, names.v[i], d ? d->uri : NULL, text, len)) {
            free(text);
            ok = false;
        }
    }
    cli_names_free(&names);
    return ok;
}

/* The first subfolder of root, in name order, that holds *.mga files (malloc'd), or NULL. */
static char *first_rules_subfolder(lsp_docs *D, const char *root)
{
    cli_names names = {0};
    (void)cli_list_folder(root, "", &names);
    char *found = NULL;
    for (size_t i = 0; i < names.n && !found; i++) {
        struct stat sb;
        lsp_units u = {0};
        if (stat(names.v[i], &sb) == 0 && S_ISDIR(sb.st_mode) &&
            lsp_collect_rules(D, names.v[i], &u) && u.n > 0) {
            found = names.v[i];
            names.v[i] = NULL; /* the caller's now */
        }
        lsp_units_free(&u);
    }
    cli_names_free(&names);
    return found;
}

/* The folder whose rules a test file at path is compiled against: its own when it holds
 * *.mga files, else the first workspace folder that does, else the first subfolder of a
 * workspace folder that does (a repository whose rules are in rules/); NULL for the
 * built-in rules. */
char *lsp_rules_dir_for_test(lsp_docs *D, const char *path)
{
    char *dir = lsp_dir_of(path);
    lsp_units u = {0};
    if (dir && lsp_collect_rules(D, dir, &u) && u.n > 0) {
        lsp_units_free(&u);
        return dir;
    }
    lsp_units_free(&u);
    free(dir);
    for (size_t i = 0; i < D->nroots; i++) {
        if (lsp_collect_rules(D, D->roots[i], &u) && u.n > 0) {
            lsp_units_free(&u);
            return lsp_dup(D->roots[i], strlen(D->roots[i]));
        }
        lsp_units_free(&u);
    }
    for (size_t i = 0; i < D->nroots; i++) {
        char *sub = first_rules_subfolder(D, D->roots[i]);
        if (sub)
            return sub;
    }
    return NULL;
}

/* The rule set a document's fields come from: its folder's for a rule file, the one its
 * tests are compiled against for a test file. NULL when it has errors. */
/* ---- words ------------------------------------------------------------------------- */

/* The rule files a document's names come from: its folder's for a rule file, the folder
 * its tests are compiled against for a test file (none for the built-in rules). */
bool lsp_units_for(lsp_docs *D, const lsp_doc *dc, lsp_units *u)
{
    if (!dc->path)
        return true;
    char *dir = cli_has_suffix(dc->path, ".mgt") ? lsp_rules_dir_for_test(D, dc->path) : lsp_dir_of(dc->path);
    bool ok = !dir || lsp_collect_rules(D, dir, u);
    free(dir);
    return ok;
}

bool lsp_is_word(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}


/* The word under off in dc: [*a, *z). false when there is none. */
bool lsp_word_at(const lsp_doc *dc, size_t off, size_t *a, size_t *z)
{
    *a = *z = off;
    while (*a > 0 && lsp_is_word((unsigned char)dc->text[*a - 1]))
        (*a)--;
    while (*z < dc->len && lsp_is_word((unsigned char)dc->text[*z]))
        (*z)++;
    return *a < *z;
}


void lsp_off_to_pos(const char *text, size_t len, size_t off, unsigned *line, unsigned *ch)
{
    lsp_end_pos(text, off < len ? off : len, line, ch);
}

void lsp_add_root(lsp_docs *D, const char *uri)
{
    char *p = uri ? lsp_uri_to_path(uri) : NULL;
    if (!p)
        return;
    char **v = realloc(D->roots, (D->nroots + 1) * sizeof *v);
    if (!v) {
        free(p);
        return;
    }
    D->roots = v;
    D->roots[D->nroots++] = p;
}

void lsp_docs_free(lsp_docs *D)
{
    for (size_t i = 0; i < D->n; i++) {
        free(D->v[i].uri);
        free(D->v[i].path);
        free(D->v[i].text);
    }
    free(D->v);
    for (size_t i = 0; i < D->nroots; i++)
        free(D->roots[i]);
    free(D->roots);
    memset(D, 0, sizeof *D);
}
