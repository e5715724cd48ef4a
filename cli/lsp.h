/* SPDX-License-Identifier: MIT */
/* `mgadvise lsp`, the language server, in three parts with one job each:
 *   lsp_rpc.c   the JSON-RPC transport: Content-Length framing, reading a message into a
 *               yajl tree, writing responses, errors and notifications (yajl_gen)
 *   lsp_docs.c  the document store: open documents, the rule files of a folder, URIs and
 *               paths, UTF-16 positions
 *   lsp_check.c diagnostics: compiling a folder or a test file and publishing what it says
 *   lsp_analysis.c the solver analysis of a folder on a worker thread, on save
 *   lsp_complete.c completion: what may be written at a position
 *   lsp.c       the requests (initialize, formatting, hover, completion, symbols,
 *               definition) and the dispatch loop
 * Only the public headers are used. */
#ifndef MGA_CLI_LSP_H
#define MGA_CLI_LSP_H

#include "cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pthread.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

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

/* ---- lsp_rpc.c: the transport ----------------------------------------------------------- */

/* Where messages go: one message written whole at a time, under lock (the analysis worker
 * writes too). */
typedef struct lsp_out {
    FILE *f;
    bool failed; /* a write failed: the server stops (read it with lsp_failed) */
    pthread_mutex_t lock;
} lsp_out;

/* Whether a write has failed; lsp_fail marks one (out of memory for a message). */
bool lsp_failed(lsp_out *o);
void lsp_fail(lsp_out *o);

/* Writes the JSON in g as one framed message. */
void lsp_send(lsp_out *o, yajl_gen g);
void lsp_gs(yajl_gen g, const char *s);
void lsp_gi(yajl_gen g, long long v);
/* A response to id, opened up to its "result" key (NULL: out of memory); the caller writes
 * the result and hands g to lsp_end, which closes, sends and frees it (a NULL g: failed). */
yajl_gen lsp_begin(yajl_val id);
void lsp_end(lsp_out *o, yajl_gen g);
/* A notification, opened up to its "params" key; close with lsp_end. */
yajl_gen lsp_begin_note(const char *method);
void lsp_error(lsp_out *o, yajl_val id, int code, const char *msg);
void lsp_null(lsp_out *o, yajl_val id);
/* An LSP Range, 0-based lines and UTF-16 characters. */
void lsp_gen_range(yajl_gen g, unsigned l0, unsigned c0, unsigned l1, unsigned c1);
/* v[a][b] (b may be NULL) of type t, or NULL; v may be NULL. */
yajl_val lsp_get(yajl_val v, const char *a, const char *b, yajl_type t);
const char *lsp_get_str(yajl_val v, const char *a, const char *b);
/* Reads the next message from in into *msg (free with yajl_tree_free). 1: a message;
 * 0: the input ended; -1: a bad message, answered with a JSON-RPC error on o and skipped;
 * -2: out of memory. */
int lsp_read(lsp_out *o, FILE *in, yajl_val *msg);

/* ---- lsp_docs.c: documents and folders ----------------------------------------------- */

typedef struct lsp_doc {
    char *uri;
    char *path; /* the file path of a file: URI; NULL for another scheme */
    char *text;
    size_t len;
} lsp_doc;

typedef struct lsp_docs {
    lsp_doc *v;
    size_t n, cap;
    char **roots; /* workspace folder paths */
    size_t nroots;
    unsigned long gen; /* counts the changes to the text of rule files (*.mga) */
} lsp_docs;

/* One source of a compile: its name (a path), text and URI. */
typedef struct lsp_unit {
    char *path;
    char *uri;
    char *text; /* owned copy (from the open document or the file) */
    size_t len;
} lsp_unit;

typedef struct lsp_units {
    lsp_unit *v;
    size_t n, cap;
} lsp_units;

char *lsp_dup(const char *s, size_t n);
char *lsp_uri_to_path(const char *uri);
char *lsp_path_to_uri(const char *path);
char *lsp_dir_of(const char *path);
size_t lsp_line_start(const char *text, size_t len, size_t line);
unsigned lsp_cp_to_u16(const char *text, size_t len, unsigned line, unsigned col);
size_t lsp_pos_to_off(const char *text, size_t len, long line, long ch);
void lsp_end_pos(const char *text, size_t len, unsigned *line, unsigned *ch);
/* The UTF-16 position of byte offset off. */
void lsp_off_to_pos(const char *text, size_t len, size_t off, unsigned *line, unsigned *ch);

lsp_doc *lsp_doc_find(lsp_docs *D, const char *uri);
lsp_doc *lsp_doc_find_path(lsp_docs *D, const char *path);
/* Sets the text of uri's document, opening it when it is not open; a rule file's new or
 * different text counts as a change (D->gen). false: out of memory. */
bool lsp_doc_set(lsp_docs *D, const char *uri, const char *text, size_t len);
/* Closes uri's document; a rule file's counts as a change (its file on disk counts again). */
void lsp_doc_close(lsp_docs *D, const char *uri);
void lsp_add_root(lsp_docs *D, const char *uri);
void lsp_docs_free(lsp_docs *D);

void lsp_units_free(lsp_units *l);
bool lsp_collect_rules(lsp_docs *D, const char *dir, lsp_units *out);
char *lsp_rules_dir_for_test(lsp_docs *D, const char *path);
bool lsp_units_for(lsp_docs *D, const lsp_doc *dc, lsp_units *u);
bool lsp_is_word(int c);
bool lsp_word_at(const lsp_doc *dc, size_t off, size_t *a, size_t *z);

/* ---- lsp_check.c: diagnostics -------------------------------------------------------- */

typedef struct lsp_server lsp_server;

void lsp_publish(lsp_server *S, const char *uri, const char *name, const char *text,
                 size_t len, const mga_diags *d, const char *extra);
bool lsp_compile_folder(lsp_server *S, const char *dir, lsp_units *units, mga_ruleset **rs,
                        mga_diags **d);
/* The rule set dc's names come from (its folder's for a rule file, the one its tests are
 * compiled against for a test file), as the text is now or, while that has errors, the
 * last one compiled without; NULL when there is none. Borrowed: valid until the next
 * compile (the next message). */
const mga_ruleset *lsp_ruleset_for(lsp_server *S, const lsp_doc *dc);
void lsp_check_folder(lsp_server *S, const char *dir);
void lsp_check_doc(lsp_server *S, const char *uri);
void lsp_check_free(lsp_server *S);

/* ---- lsp_complete.c: completion ---------------------------------------------------------- */

/* Answers request id with the completion items at byte offset off of dc. */
void lsp_complete(lsp_server *S, yajl_val id, const lsp_doc *dc, size_t off);
/* "number", "one of", ... for a field type. */
const char *lsp_type_word(mga_field_type t);

/* ---- lsp_analysis.c: the solver analysis on a worker thread ---------------------------- */

typedef struct lsp_analysis lsp_analysis;

/* Starts the worker; the analysis library is loaded when the first request comes, with a
 * limit of seconds per analysis. MGA_E_NOMEM: no thread. */
mga_status lsp_analysis_start(lsp_server *S, double seconds, lsp_analysis **out);
/* Asks for the analysis of the rule files of dir as they are now (S->lock held); supersedes
 * a request not yet taken. A NULL A is a no-op. */
void lsp_analysis_request(lsp_analysis *A, const char *dir);
/* The sources and diagnostics of the last analysis of dir, when no rule file has changed
 * since (S->lock held): borrowed until the lock is let go. */
bool lsp_analysis_result(lsp_analysis *A, const char *dir, const lsp_units **units,
                         const mga_diags **diags);
/* Tells the worker to stop and drop what it runs (S->lock held): nothing is published after. */
void lsp_analysis_quit(lsp_analysis *A);
/* Stops the worker (waiting for an analysis under way, at most its time limit) and frees A
 * (S->lock not held). NULL is a no-op. */
void lsp_analysis_free(lsp_analysis *A);

/* The server's state: its engine (the main thread's), documents, output. The main thread
 * holds lock while it handles a message; the analysis worker while it publishes. */
struct lsp_server {
    mga_engine *eng;
    lsp_docs docs;
    char **published; /* URIs with diagnostics shown: cleared when a compile no longer has any */
    size_t npublished, cappublished;
    bool initialized, shutdown;
    bool link_support; /* the client takes LocationLinks for definitions */
    lsp_out out;
    pthread_mutex_t lock;
    lsp_analysis *an;   /* NULL with --no-analysis */
    struct {            /* the last rule set compiled without errors (lsp_check.c) */
        char *dir;      /* its folder; "" for the built-in rules */
        unsigned long gen; /* docs.gen when it was compiled */
        mga_ruleset *rs;
    } good;
};

#endif
