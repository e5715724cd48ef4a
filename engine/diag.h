/* SPDX-License-Identifier: MIT */
/* Diagnostics: a list of located messages with stable codes (diag_codes.def), sources
 * copied for rendering, line/column from per-source line tables (built once per source).
 * Used by every pass. */
#ifndef MGA_DIAG_H
#define MGA_DIAG_H

#include "arena.h"
#include <stdarg.h>
#include <stdbool.h>

typedef enum diag_code {
#define X(name, code, kind, fmt) DIAG_##name,
#include "diag_codes.def"
#undef X
    DIAG_COUNT_
} diag_code;

struct mga_diags {
    mem m;
    arena a;
    vec items;   /* mga_diag */
    vec sources; /* diag_src */
    size_t errors;
    unsigned max_errors;
    bool oom;  /* a diagnostic was lost to OOM: the caller reports MGA_E_NOMEM */
    bool full; /* max_errors reached; the "too many errors" line has been added */
};

/* A new list; max_errors 0 means no limit. NULL on OOM. */
mga_diags *diag_new(const mem *m, unsigned max_errors);
/* Whether nothing was ever added to d (no diagnostic, no source, no lost one). */
bool diag_unused(const mga_diags *d);
/* Registers a source text (copied lazily: only when a diagnostic points into it).
 * Returns its id. The text must outlive the next diag_add on that id. */
int diag_source(mga_diags *d, const char *name, const char *text, size_t len);
/* Adds a diagnostic located at [off, off+len) of source src (src < 0: not located).
 * Returns it for diag_note, or NULL when the list is full or out of memory. */
mga_diag *diag_add(mga_diags *d, diag_code code, int src, size_t off, size_t len, ...);
/* The same with the arguments in ap, and the JSON path of a profile diagnostic (copied into
 * mga_diag.path; NULL for none). */
mga_diag *diag_vadd(mga_diags *d, diag_code code, int src, size_t off, size_t len,
                    const char *path, va_list ap);
/* An unlocated diagnostic of the input named file (copied; NULL: none), with its JSON path:
 * for inputs read as a tree (FHIR), where no byte offset is known. */
mga_diag *diag_file_vadd(mga_diags *d, diag_code code, const char *file, const char *path,
                         va_list ap);
void diag_note(mga_diags *d, mga_diag *dg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets dg's witness to a copy of json (a profile as JSON text); dg NULL: nothing. */
void diag_witness(mga_diags *d, mga_diag *dg, const char *json);
bool diag_full(const mga_diags *d);
unsigned diag_code_number(diag_code c);
const char *diag_code_format(diag_code c);
mga_diag_kind diag_code_kind(diag_code c);
/* The nearest name in a list (edit distance <= 2 or a third of the length), or NULL. */
const char *diag_suggest(const char *name, const char *const *cands, size_t n);
/* 1-based line and column (in code points) of a byte offset in text. */
void diag_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);

#endif
