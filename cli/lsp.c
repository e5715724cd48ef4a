/* SPDX-License-Identifier: MIT */
/* `mgadvise lsp`: a Language Server Protocol 3.17 server on standard input and output for
 * rule files (*.mga) and rule tests (*.mgt). JSON-RPC messages framed by Content-Length,
 * read with yajl_tree and written with yajl_gen. Uses only the public header. This file
 * holds the requests and the loop; lsp.h says where the rest is.
 *
 * A rule file's rule set is every *.mga file of its folder, compiled together, the open
 * documents' text in place of the files on disk. A test file is compiled against the rule
 * set of its own folder when that holds *.mga files, else of the first workspace folder
 * that does, else the built-in rules. Positions are UTF-16 code units, as LSP asks by
 * default. */
#include "lsp.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *usage_lsp =
    "usage: mgadvise lsp [--sources DIR] [--no-analysis] [--time-limit SECS]\n"
    "\n"
    "Runs a Language Server Protocol server on standard input and output, for editors: the\n"
    "diagnostics of rule files (*.mga, every rule file of a folder compiled together) and\n"
    "rule tests (*.mgt) as you type, the solver analysis of check (contradicting rules,\n"
    "rules that never fire, refuted invariants with a counter-example) when a rule file is\n"
    "opened or saved, formatting, symbols, definitions, hover and completion. See\n"
    "docs/EDITORS.md.\n"
    "\n"
    "options:\n"
    "  --sources DIR       also check, as you type, that every cited quote and number\n"
    "                      occurs in its document in DIR (as check --sources does)\n"
    "  --no-analysis       no solver analysis: the compiler's diagnostics only\n"
    "  --time-limit SECS   stop an analysis after SECS seconds (1 to 86400; default 10)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 after shutdown and exit; 1 exit without shutdown, or the input ended;\n"
    "2 usage; 4 out of memory or output error.\n";


static void on_initialize(lsp_server *S, yajl_val id, yajl_val params)
{
    yajl_val folders = lsp_get(params, "workspaceFolders", NULL, yajl_t_array);
    if (folders)
        for (size_t i = 0; i < YAJL_GET_ARRAY(folders)->len; i++)
            lsp_add_root(&S->docs, lsp_get_str(YAJL_GET_ARRAY(folders)->values[i], "uri", NULL));
    if (S->docs.nroots == 0)
        lsp_add_root(&S->docs, lsp_get_str(params, "rootUri", NULL));
    if (S->docs.nroots == 0) {
        const char *rp = lsp_get_str(params, "rootPath", NULL);
        char *u = rp ? lsp_path_to_uri(rp) : NULL;
        lsp_add_root(&S->docs, u);
        free(u);
    }
    S->initialized = true;
    yajl_val link = lsp_get(lsp_get(params, "capabilities", "textDocument", yajl_t_object),
                            "definition", "linkSupport", yajl_t_true);
    S->link_support = link != NULL;
    yajl_gen g = lsp_begin(id);
    if (!g) {
        lsp_fail(&S->out);
        return;
    }
    yajl_gen_map_open(g);
    lsp_gs(g, "capabilities");
    yajl_gen_map_open(g);
    lsp_gs(g, "positionEncoding");
    lsp_gs(g, "utf-16");
    lsp_gs(g, "textDocumentSync");
    yajl_gen_map_open(g);
    lsp_gs(g, "openClose");
    yajl_gen_bool(g, 1);
    lsp_gs(g, "change");
    lsp_gi(g, 1); /* full */
    lsp_gs(g, "save");
    yajl_gen_map_open(g);
    lsp_gs(g, "includeText");
    yajl_gen_bool(g, 1);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    lsp_gs(g, "documentFormattingProvider");
    yajl_gen_bool(g, 1);
    lsp_gs(g, "hoverProvider");
    yajl_gen_bool(g, 1);
    lsp_gs(g, "documentSymbolProvider");
    yajl_gen_bool(g, 1);
    lsp_gs(g, "definitionProvider");
    yajl_gen_bool(g, 1);
    lsp_gs(g, "completionProvider");
    yajl_gen_map_open(g);
    lsp_gs(g, "triggerCharacters");
    yajl_gen_array_open(g);
    lsp_gs(g, " ");
    lsp_gs(g, "[");
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    lsp_gs(g, "serverInfo");
    yajl_gen_map_open(g);
    lsp_gs(g, "name");
    lsp_gs(g, "mgadvise");
    lsp_gs(g, "version");
    lsp_gs(g, MGA_VERSION);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    lsp_end(&S->out, g);
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

static void on_formatting(lsp_server *S, yajl_val id, yajl_val params)
{
    const char *uri = lsp_get_str(params, "textDocument", "uri");
    lsp_doc *dc = uri ? lsp_doc_find(&S->docs, uri) : NULL;
    if (!dc) {
        lsp_error(&S->out, id, RPC_INVALID_PARAMS, "formatting: the document is not open");
        return;
    }
    membuf b = {0};
    mga_status st = mga_format_rules(S->eng, dc->path ? dc->path : dc->uri, dc->text, dc->len,
                                     membuf_write, &b, NULL);
    if (st == MGA_E_COMPILE) { /* a syntax error: the diagnostics say where; no edit */
        free(b.p);
        lsp_null(&S->out, id);
        return;
    }
    if (st != MGA_OK) {
        free(b.p);
        lsp_error(&S->out, id, RPC_INTERNAL_ERROR, mga_status_str(st));
        return;
    }
    yajl_gen g = lsp_begin(id);
    if (g) {
        yajl_gen_array_open(g);
        if (b.n != dc->len || (b.n && memcmp(b.p, dc->text, b.n) != 0)) {
            unsigned l, c;
            lsp_end_pos(dc->text, dc->len, &l, &c);
            yajl_gen_map_open(g);
            lsp_gs(g, "range");
            lsp_gen_range(g, 0, 0, l, c);
            lsp_gs(g, "newText");
            yajl_gen_string(g, (const unsigned char *)(b.p ? b.p : ""), b.n);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    lsp_end(&S->out, g);
    free(b.p);
}

/* The document and byte offset a TextDocumentPositionParams names, or NULL. */
static lsp_doc *at_position(lsp_server *S, yajl_val params, size_t *off)
{
    const char *uri = lsp_get_str(params, "textDocument", "uri");
    yajl_val l = lsp_get(params, "position", "line", yajl_t_number);
    yajl_val c = lsp_get(params, "position", "character", yajl_t_number);
    lsp_doc *dc = uri ? lsp_doc_find(&S->docs, uri) : NULL;
    if (!dc || !l || !c || !YAJL_IS_INTEGER(l) || !YAJL_IS_INTEGER(c))
        return NULL;
    *off = lsp_pos_to_off(dc->text, dc->len, (long)YAJL_GET_INTEGER(l), (long)YAJL_GET_INTEGER(c));
    return dc;
}

/* Markdown about field f into b. */
static void field_markdown(membuf *b, const mga_field_info *f)
{
    char line[256];
    snprintf(line, sizeof line, "**%s**: %s", f->name, lsp_type_word(f->type));
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

static void hover_decl(lsp_server *S, lsp_doc *dc, const mga_ruleset *rs, const char *w, size_t n,
                       membuf *b);

static void on_hover(lsp_server *S, yajl_val id, yajl_val params)
{
    size_t off;
    lsp_doc *dc = at_position(S, params, &off);
    if (!dc) {
        lsp_error(&S->out, id, RPC_INVALID_PARAMS, "hover: the document is not open, or no position");
        return;
    }
    size_t a = off, z = off;
    while (a > 0 && lsp_is_word((unsigned char)dc->text[a - 1]))
        a--;
    while (z < dc->len && lsp_is_word((unsigned char)dc->text[z]))
        z++;
    const mga_ruleset *rs = a < z ? lsp_ruleset_for(S, dc) : NULL;
    membuf b = {0};
    for (size_t i = 0; rs && i < mga_ruleset_field_count(rs) && !b.n; i++) {
        mga_field_info f;
        if (mga_ruleset_field(rs, i, &f) == MGA_OK && strlen(f.name) == z - a &&
            memcmp(f.name, dc->text + a, z - a) == 0)
            field_markdown(&b, &f);
    }
    if (!b.n && a < z)
        hover_decl(S, dc, rs, dc->text + a, z - a, &b);
    if (!b.n) {
        lsp_null(&S->out, id);
        return;
    }
    yajl_gen g = lsp_begin(id);
    if (g) {
        yajl_gen_map_open(g);
        lsp_gs(g, "contents");
        yajl_gen_map_open(g);
        lsp_gs(g, "kind");
        lsp_gs(g, "markdown");
        lsp_gs(g, "value");
        lsp_gs(g, b.p);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
    }
    lsp_end(&S->out, g);
    free(b.p);
}

static void on_completion(lsp_server *S, yajl_val id, yajl_val params)
{
    size_t off;
    lsp_doc *dc = at_position(S, params, &off);
    if (!dc)
        lsp_error(&S->out, id, RPC_INVALID_PARAMS,
                  "completion: the document is not open, or no position");
    else
        lsp_complete(S, id, dc, off);
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

/* Where d's name is written. */
static void gen_name_range(yajl_gen g, const char *text, size_t len, const mga_decl *d)
{
    lsp_gen_range(g, d->line - 1, lsp_cp_to_u16(text, len, d->line, d->col), d->end_line - 1,
                  lsp_cp_to_u16(text, len, d->end_line, d->end_col));
}

/* Where the whole of d is written, its keyword to its end. */
static void gen_whole_range(yajl_gen g, const char *text, size_t len, const mga_decl *d)
{
    lsp_gen_range(g, d->decl_line - 1, lsp_cp_to_u16(text, len, d->decl_line, d->decl_col),
                  d->decl_end_line - 1,
                  lsp_cp_to_u16(text, len, d->decl_end_line, d->decl_end_col));
}

static void on_symbols(lsp_server *S, yajl_val id, yajl_val params)
{
    const char *uri = lsp_get_str(params, "textDocument", "uri");
    lsp_doc *dc = uri ? lsp_doc_find(&S->docs, uri) : NULL;
    if (!dc) {
        lsp_error(&S->out, id, RPC_INVALID_PARAMS, "documentSymbol: the document is not open");
        return;
    }
    mga_outline *o = NULL;
    mga_status st = mga_outline_new(S->eng, dc->path ? dc->path : dc->uri, dc->text, dc->len,
                                    &o, NULL);
    if (st != MGA_OK) {
        lsp_error(&S->out, id, RPC_INTERNAL_ERROR, mga_status_str(st));
        return;
    }
    yajl_gen g = lsp_begin(id);
    if (g) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < mga_outline_count(o); i++) {
            const mga_decl *d = mga_outline_ref(o, i);
            yajl_gen_map_open(g);
            lsp_gs(g, "name");
            lsp_gs(g, d->name);
            lsp_gs(g, "detail");
            lsp_gs(g, decl_word(d->kind));
            lsp_gs(g, "kind");
            lsp_gi(g, symbol_kind(d->kind));
            lsp_gs(g, "range");
            gen_whole_range(g, dc->text, dc->len, d);
            lsp_gs(g, "selectionRange");
            gen_name_range(g, dc->text, dc->len, d);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    lsp_end(&S->out, g);
    mga_outline_free(o);
}
/* The declaration of name among the files u (not a test): the file's index in *file and a
 * copy of the declaration in *out (its name borrowed from nothing: set to NULL). */
static bool find_decl(lsp_server *S, const lsp_units *u, const char *name, size_t n, size_t *file,
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

static void on_definition(lsp_server *S, yajl_val id, yajl_val params)
{
    size_t off, a, z;
    lsp_doc *dc = at_position(S, params, &off);
    if (!dc) {
        lsp_error(&S->out, id, RPC_INVALID_PARAMS,
                   "definition: the document is not open, or no position");
        return;
    }
    lsp_units u = {0};
    size_t file = 0;
    mga_decl d;
    bool found = lsp_word_at(dc, off, &a, &z) && lsp_units_for(&S->docs, dc, &u) &&
                 find_decl(S, &u, dc->text + a, z - a, &file, &d);
    yajl_gen g = lsp_begin(id);
    if (g && found && S->link_support) { /* a LocationLink: the whole and the name */
        unsigned l0, c0, l1, c1;
        yajl_gen_array_open(g);
        yajl_gen_map_open(g);
        lsp_gs(g, "originSelectionRange");
        lsp_off_to_pos(dc->text, dc->len, a, &l0, &c0);
        lsp_off_to_pos(dc->text, dc->len, z, &l1, &c1);
        lsp_gen_range(g, l0, c0, l1, c1);
        lsp_gs(g, "targetUri");
        lsp_gs(g, u.v[file].uri);
        lsp_gs(g, "targetRange");
        gen_whole_range(g, u.v[file].text, u.v[file].len, &d);
        lsp_gs(g, "targetSelectionRange");
        gen_name_range(g, u.v[file].text, u.v[file].len, &d);
        yajl_gen_map_close(g);
        yajl_gen_array_close(g);
    } else if (g && found) { /* a Location: the name, where the cursor goes */
        yajl_gen_map_open(g);
        lsp_gs(g, "uri");
        lsp_gs(g, u.v[file].uri);
        lsp_gs(g, "range");
        gen_name_range(g, u.v[file].text, u.v[file].len, &d);
        yajl_gen_map_close(g);
    } else if (g) {
        yajl_gen_null(g);
    }
    lsp_end(&S->out, g);
    lsp_units_free(&u);
}

/* The text of a declaration as written: from its line to the line before the next one at
 * column 0 that is not `end` (at most 12 lines), into b as a code block. */
static void decl_text(membuf *b, const char *text, size_t len, unsigned line)
{
    size_t off = lsp_line_start(text, len, line - 1), end = off;
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

/* Markdown about source i of rs: its title, author, publisher and address, and the text of
 * every numbered reference. */
static void source_markdown(membuf *b, const mga_ruleset *rs, size_t i, const mga_source_info *s)
{
    membuf_write(b, "**source ", 9);
    membuf_write(b, s->key, strlen(s->key));
    membuf_write(b, "**: ", 4);
    membuf_write(b, s->title, strlen(s->title));
    const char *by[] = {s->author, s->publisher, s->url};
    for (size_t k = 0, n = 0; k < 3; k++) {
        if (!by[k] || !*by[k])
            continue;
        membuf_write(b, n++ ? ", " : "\n\n", 2);
        membuf_write(b, by[k], strlen(by[k]));
    }
    if (s->nrefs)
        membuf_write(b, "\n\nReferences:", 13);
    for (size_t k = 0; k < s->nrefs; k++) {
        unsigned n;
        const char *text;
        if (mga_ruleset_source_ref(rs, i, k, &n, &text) != MGA_OK)
            continue;
        char num[32];
        snprintf(num, sizeof num, "\n- [%u] ", n);
        membuf_write(b, num, strlen(num));
        membuf_write(b, text, strlen(text));
    }
}

/* Hover for a rule, fact or source name: b gets the markdown, empty when it is none. */
static void hover_decl(lsp_server *S, lsp_doc *dc, const mga_ruleset *rs, const char *w, size_t n,
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
    for (size_t i = 0; rs && i < mga_ruleset_source_count(rs); i++) {
        mga_source_info si;
        if (mga_ruleset_source(rs, i, &si) == MGA_OK && strlen(si.key) == n &&
            memcmp(si.key, w, n) == 0) {
            source_markdown(b, rs, i, &si);
            return;
        }
    }
    lsp_units u = {0};
    size_t file;
    mga_decl d;
    if (lsp_units_for(&S->docs, dc, &u) && find_decl(S, &u, w, n, &file, &d) &&
        (d.kind == MGA_DECL_FACT || d.kind == MGA_DECL_SOURCE ||
         d.kind == MGA_DECL_INVARIANT))
        decl_text(b, u.v[file].text, u.v[file].len, d.line);
    lsp_units_free(&u);
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* Asks for the solver analysis of a rule file's folder (none for a test file). */
static void analyse_doc(lsp_server *S, const char *uri)
{
    lsp_doc *dc = lsp_doc_find(&S->docs, uri);
    if (!dc || !dc->path || !cli_has_suffix(dc->path, ".mga"))
        return;
    char *dir = lsp_dir_of(dc->path);
    if (dir)
        lsp_analysis_request(S->an, dir);
    free(dir);
}

static void on_text(lsp_server *S, const char *method, yajl_val params)
{
    const char *uri = lsp_get_str(params, "textDocument", "uri");
    if (!uri)
        return;
    if (strcmp(method, "textDocument/didOpen") == 0) {
        const char *text = lsp_get_str(params, "textDocument", "text");
        if (text && lsp_doc_set(&S->docs, uri, text, strlen(text))) {
            lsp_check_doc(S, uri);
            analyse_doc(S, uri);
        }
    } else if (strcmp(method, "textDocument/didChange") == 0) {
        yajl_val ch = lsp_get(params, "contentChanges", NULL, yajl_t_array);
        if (!ch || YAJL_GET_ARRAY(ch)->len == 0 || !lsp_doc_find(&S->docs, uri))
            return;
        /* full sync: the last change is the whole text */
        const char *text = lsp_get_str(YAJL_GET_ARRAY(ch)->values[YAJL_GET_ARRAY(ch)->len - 1],
                                   "text", NULL);
        if (text && lsp_doc_set(&S->docs, uri, text, strlen(text)))
            lsp_check_doc(S, uri);
    } else if (strcmp(method, "textDocument/didSave") == 0) {
        const char *text = lsp_get_str(params, "text", NULL);
        if (text && lsp_doc_find(&S->docs, uri))
            lsp_doc_set(&S->docs, uri, text, strlen(text));
        lsp_check_doc(S, uri);
        analyse_doc(S, uri);
    } else if (strcmp(method, "textDocument/didClose") == 0) {
        lsp_doc *dc = lsp_doc_find(&S->docs, uri);
        char *path = dc && dc->path ? lsp_dup(dc->path, strlen(dc->path)) : NULL;
        lsp_doc_close(&S->docs, uri);
        if (path && cli_has_suffix(path, ".mga")) { /* the file on disk counts again */
            char *dir = lsp_dir_of(path);
            if (dir)
                lsp_check_folder(S, dir);
            free(dir);
        }
        if (!path || !cli_has_suffix(path, ".mga"))
            lsp_publish(S, uri, "", "", 0, NULL, NULL); /* clear a closed test file's */
        free(path);
    }
}

/* Handles one message; returns true after `exit`. *code is then the exit status. */
static bool handle(lsp_server *S, yajl_val msg, int *code)
{
    yajl_val id = lsp_get(msg, "id", NULL, yajl_t_any);
    if (id && !YAJL_IS_STRING(id) && !YAJL_IS_NUMBER(id) && !YAJL_IS_NULL(id))
        id = NULL;
    const char *method = lsp_get_str(msg, "method", NULL);
    yajl_val params = lsp_get(msg, "params", NULL, yajl_t_any);
    if (!YAJL_IS_OBJECT(msg) || !method) {
        if (!YAJL_IS_OBJECT(msg) || !lsp_get(msg, "result", NULL, yajl_t_any))
            lsp_error(&S->out, id, RPC_INVALID_REQUEST, "invalid request: not an object with a method");
        return false; /* a response to a request of ours: we make none */
    }
    if (strcmp(method, "exit") == 0) {
        *code = S->shutdown ? EXIT_OK : EXIT_INVALID;
        return true;
    }
    bool request = id != NULL;
    if (!S->initialized && strcmp(method, "initialize") != 0) {
        if (request)
            lsp_error(&S->out, id, RPC_NOT_INITIALIZED, "the server is not initialized");
        return false;
    }
    if (S->shutdown) {
        if (request)
            lsp_error(&S->out, id, RPC_INVALID_REQUEST, "the server is shut down: only exit is allowed");
        return false;
    }
    if (strcmp(method, "initialize") == 0) {
        if (!request)
            return false;
        if (S->initialized)
            lsp_error(&S->out, id, RPC_INVALID_REQUEST, "initialize was already called");
        else
            on_initialize(S, id, params);
    } else if (strcmp(method, "shutdown") == 0) {
        if (request) {
            S->shutdown = true;
            lsp_analysis_quit(S->an); /* nothing is published after the answer */
            lsp_null(&S->out, id);
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
        lsp_error(&S->out, id, RPC_METHOD_NOT_FOUND, m);
    } /* an unknown notification ("initialized", "$/..." among them) is ignored */
    return false;
}
enum { OPT_NO_ANALYSIS = 256, OPT_TIME_LIMIT, OPT_SOURCES };

static const cli_opt lsp_opts[] = {
    {"sources", 0, "a folder", OPT_SOURCES},
    {"no-analysis", 0, NULL, OPT_NO_ANALYSIS},
    {"time-limit", 0, "a number of seconds", OPT_TIME_LIMIT},
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
    bool analysis = true;
    double limit = 10;
    const char *sources = NULL;
    while ((c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        char *end;
        switch (c) {
        case 'h':
            fputs(usage_lsp, stdout);
            return EXIT_OK;
        case OPT_NO_ANALYSIS:
            analysis = false;
            break;
        case OPT_SOURCES: {
            struct stat sb;
            if (stat(v, &sb) != 0 || !S_ISDIR(sb.st_mode))
                return cli_usage_error("lsp",
                                       "'%s' for --sources is not a folder of source documents",
                                       v);
            sources = v;
            break;
        }
        case OPT_TIME_LIMIT:
            limit = strtod(v, &end);
            if (end == v || *end || !(limit >= 1 && limit <= 86400))
                return cli_usage_error("lsp",
                                       "'%s' for --time-limit is not a number of seconds from 1 "
                                       "to 86400",
                                       v);
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("lsp", "unexpected argument '%s': the server talks on standard "
                                      "input and output",
                               argv[optind]);
    lsp_server S;
    memset(&S, 0, sizeof S);
    S.out.f = stdout;
    mga_options eopt;
    mga_options_init(&eopt);
    eopt.sources_dir = sources; /* the quote check of every compile, as check --sources */
    if (pthread_mutex_init(&S.lock, NULL) != 0 || pthread_mutex_init(&S.out.lock, NULL) != 0 || mga_engine_new(&eopt, &S.eng) != MGA_OK ||
        (analysis && lsp_analysis_start(&S, limit, &S.an) != MGA_OK)) {
        fprintf(stderr, "mgadvise lsp: %s\n", mga_status_str(MGA_E_NOMEM));
        mga_engine_free(S.eng);
        return EXIT_INTERNAL;
    }
    int code = EXIT_INVALID; /* the input ended without exit */
    for (;;) {
        yajl_val msg;
        int r = lsp_read(&S.out, stdin, &msg);
        if (r == 0)
            break;
        if (r == -2) {
            code = EXIT_INTERNAL;
            break;
        }
        if (r < 0) {
            if (lsp_failed(&S.out))
                break;
            continue;
        }
        pthread_mutex_lock(&S.lock);
        bool stop = handle(&S, msg, &code);
        pthread_mutex_unlock(&S.lock);
        yajl_tree_free(msg);
        if (stop || lsp_failed(&S.out))
            break;
    }
    lsp_analysis_free(S.an);
    if (lsp_failed(&S.out))
        code = EXIT_INTERNAL;
    lsp_docs_free(&S.docs);
    lsp_check_free(&S);
    mga_engine_free(S.eng);
    pthread_mutex_destroy(&S.lock);
    pthread_mutex_destroy(&S.out.lock);
    return code;
}
