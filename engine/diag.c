/* SPDX-License-Identifier: MIT */
/* Diagnostics list, location and rendering (see diag.h). */
#include "diag.h"
#include "textsafe.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct diag_src {
    const char *name;
    const char *text; /* borrowed until copied */
    size_t len;
    bool copied;
    /* Made with the copy, once per source: where each line starts (lines[0] == 0), so that
     * locating a diagnostic or showing its line never scans the text before it. A list is
     * mostly filled in source order, so the last position located is kept and a column on
     * the same line is counted on from there: diagnostics along one long line (a profile
     * on one line) cost one pass over it in all. */
    uint32_t *lines;
    size_t nlines;
    size_t last_off;
    unsigned last_line, last_col; /* last_line 0: nothing located yet */
} diag_src;

static const struct {
    unsigned code;
    mga_diag_kind kind;
    const char *fmt;
} codes[] = {
#define X(name, code, kind, fmt) {code, MGA_DIAG_##kind, fmt},
#include "diag_codes.def"
#undef X
};

unsigned diag_code_number(diag_code c)
{
    return codes[c].code;
}

const char *diag_code_format(diag_code c)
{
    return codes[c].fmt;
}

mga_diag_kind diag_code_kind(diag_code c)
{
    return codes[c].kind;
}

mga_diags *diag_new(const mem *m, unsigned max_errors)
{
    mga_diags *d = mem_alloc(m, sizeof *d);
    if (!d)
        return NULL;
    memset(d, 0, sizeof *d);
    d->m = *m;
    arena_init(&d->a, &d->m);
    d->max_errors = max_errors;
    return d;
}

bool diag_unused(const mga_diags *d)
{
    return !d->items.len && !d->sources.len && !d->errors && !d->oom && !d->full;
}

void mga_diags_free(mga_diags *d)
{
    if (!d)
        return;
    mem m = d->m;
    arena_free(&d->a);
    mem_free(&m, d, sizeof *d);
}

int diag_source(mga_diags *d, const char *name, const char *text, size_t len)
{
    diag_src *s = vec_push(&d->a, &d->sources, sizeof *s);
    if (!s) {
        d->oom = true;
        return -1;
    }
    s->name = arena_strdup(&d->a, name ? name : "<input>");
    if (!s->name) {
        d->oom = true;
        d->sources.len--;
        return -1;
    }
    s->text = text;
    s->len = len;
    return (int)(d->sources.len - 1);
}

bool diag_full(const mga_diags *d)
{
    return d->full || d->oom;
}

void diag_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
    unsigned ln = 1, c = 1;
    if (off > len)
        off = len;
    /* A byte-order mark is skipped by the parser and takes no column. */
    size_t i0 = len >= 3 && off >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (size_t i = i0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            ln++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = ln;
    *col = c;
}

/* Formatted once into a buffer on the stack, which holds most messages; a longer one is
 * formatted again into its exact size. */
static char *vformat(arena *a, const char *fmt, va_list ap)
{
    char buf[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = arena_alloc_uninit(a, (size_t)n + 1);
    if (!p)
        return NULL;
    if ((size_t)n < sizeof buf)
        memcpy(p, buf, (size_t)n + 1);
    else
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

/* Copies s's text and builds its line table. False on OOM. */
static bool src_copy(mga_diags *d, diag_src *s)
{
    char *copy = arena_strndup(&d->a, s->text ? s->text : "", s->len);
    if (!copy)
        return false;
    size_t n = 1;
    if (s->len <= UINT32_MAX)
        for (const char *q = copy; (q = memchr(q, '\n', s->len - (size_t)(q - copy))); q++)
            n++;
    uint32_t *lines = s->len <= UINT32_MAX ? arena_alloc(&d->a, n * sizeof *lines) : NULL;
    if (s->len <= UINT32_MAX && !lines)
        return false;
    if (lines) {
        size_t k = 0;
        lines[k++] = 0;
        for (const char *q = copy; (q = memchr(q, '\n', s->len - (size_t)(q - copy))); q++)
            lines[k++] = (uint32_t)(q - copy + 1);
    }
    s->text = copy;
    s->copied = true;
    s->lines = lines;
    s->nlines = lines ? n : 0;
    return true;
}

/* As diag_linecol, through the line table: a binary search for the line, then the code
 * points from its start (or from the last position located, when that is on the same line
 * and not after off). */
static void src_locate(diag_src *s, size_t off, unsigned *line, unsigned *col)
{
    if (!s->lines) {
        diag_linecol(s->text, s->len, off, line, col);
        return;
    }
    if (off > s->len)
        off = s->len;
    size_t lo = 0, hi = s->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    size_t from = s->lines[lo];
    if (lo == 0 && s->len >= 3 && off >= 3 && memcmp(s->text, "\xEF\xBB\xBF", 3) == 0)
        from = 3; /* a byte-order mark takes no column */
    unsigned c = 1;
    if (s->last_line == lo + 1 && s->last_off >= from && s->last_off <= off) {
        from = s->last_off;
        c = s->last_col;
    }
    for (size_t i = from; i < off; i++)
        c += ((unsigned char)s->text[i] & 0xC0) != 0x80;
    s->last_off = off;
    s->last_line = (unsigned)(lo + 1);
    s->last_col = c;
    *line = (unsigned)(lo + 1);
    *col = c;
}

static mga_diag *push(mga_diags *d, mga_diag_kind kind, unsigned code, int src, size_t off,
                      size_t len, char *msg)
{
    mga_diag *dg = vec_push(&d->a, &d->items, sizeof *dg);
    if (!dg) {
        d->oom = true;
        return NULL;
    }
    dg->kind = kind;
    dg->code = code;
    dg->message = msg;
    dg->offset = off;
    dg->len = len;
    if (src >= 0 && (size_t)src < d->sources.len) {
        diag_src *s = &((diag_src *)d->sources.data)[src];
        if (!s->copied && !src_copy(d, s)) {
            d->oom = true;
            d->items.len--;
            return NULL;
        }
        dg->file = s->name;
        src_locate(s, off, &dg->line, &dg->col);
        src_locate(s, off + len, &dg->end_line, &dg->end_col);
    }
    if (kind == MGA_DIAG_ERROR)
        d->errors++;
    return dg;
}

mga_diag *diag_file_vadd(mga_diags *d, diag_code code, const char *file, const char *path,
                         va_list ap)
{
    mga_diag *dg = diag_vadd(d, code, -1, 0, 0, path, ap);
    if (dg && file) {
        dg->file = arena_strdup(&d->a, file);
        if (!dg->file)
            d->oom = true;
    }
    return dg;
}

mga_diag *diag_vadd(mga_diags *d, diag_code code, int src, size_t off, size_t len,
                    const char *path, va_list ap)
{
    if (diag_full(d))
        return NULL;
    char *msg = vformat(&d->a, codes[code].fmt, ap);
    char *pcopy = path ? arena_strdup(&d->a, path) : NULL;
    if (!msg || (path && !pcopy)) {
        d->oom = true;
        return NULL;
    }
    if (codes[code].code / 1000 == 4 && src >= 0) {
        /* Profiles come from other systems: name the byte offset as well as line:col. */
        size_t ml = strlen(msg);
        char *m2 = arena_alloc(&d->a, ml + 32);
        if (!m2) {
            d->oom = true;
            return NULL;
        }
        snprintf(m2, ml + 32, "%s (byte %zu)", msg, off);
        msg = m2;
    }
    mga_diag *dg = push(d, codes[code].kind, codes[code].code, src, off, len, msg);
    if (dg)
        dg->path = pcopy;
    if (dg && d->max_errors && codes[code].kind == MGA_DIAG_ERROR &&
        d->errors >= d->max_errors) {
        char buf[80];
        snprintf(buf, sizeof buf, codes[DIAG_TOO_MANY_ERRORS].fmt, d->max_errors);
        char *m2 = arena_strdup(&d->a, buf);
        if (m2)
            push(d, MGA_DIAG_ERROR, codes[DIAG_TOO_MANY_ERRORS].code, -1, 0, 0, m2);
        d->full = true;
    }
    return dg;
}

mga_diag *diag_add(mga_diags *d, diag_code code, int src, size_t off, size_t len, ...)
{
    va_list ap;
    va_start(ap, len);
    mga_diag *dg = diag_vadd(d, code, src, off, len, NULL, ap);
    va_end(ap);
    return dg;
}

void diag_note(mga_diags *d, mga_diag *dg, const char *fmt, ...)
{
    if (!dg)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *n = vformat(&d->a, fmt, ap);
    va_end(ap);
    if (!n) {
        d->oom = true;
        return;
    }
    dg->note = n;
}

void diag_witness(mga_diags *d, mga_diag *dg, const char *json)
{
    if (!dg || !json)
        return;
    char *w = arena_strdup(&d->a, json);
    if (!w) {
        d->oom = true;
        return;
    }
    dg->witness = w;
}

size_t mga_diags_count(const mga_diags *d)
{
    return d ? d->items.len : 0;
}

size_t mga_diags_error_count(const mga_diags *d)
{
    return d ? d->errors : 0;
}

const mga_diag *mga_diags_ref(const mga_diags *d, size_t i)
{
    if (!d || i >= d->items.len)
        return NULL;
    return &((const mga_diag *)d->items.data)[i];
}

/* Edit distance, bounded to short names. */
static size_t lev(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *diag_suggest(const char *name, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = 99;
    size_t limit = strlen(name) / 3;
    if (limit < 2)
        limit = 2;
    for (size_t i = 0; i < n; i++) {
        size_t dist = lev(name, cands[i]);
        if (dist < bestd) {
            bestd = dist;
            best = cands[i];
        }
    }
    return bestd <= limit ? best : NULL;
}

/* ---- rendering ---- */

typedef struct out {
    mga_write_fn fn;
    void *ud;
    bool failed;
} out;

static void put(out *o, const char *p, size_t n)
{
    if (!o->failed && n && o->fn(o->ud, p, n) != 0)
        o->failed = true;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Data (file names, messages that quote the input, source lines, notes): escaped. */
static void put_data(out *o, const char *p, size_t n, unsigned flags)
{
    if (!o->failed && n && textsafe_write(o->fn, o->ud, p, n, flags) != 0)
        o->failed = true;
}

static void puts_data(out *o, const char *s)
{
    put_data(o, s, strlen(s), 0);
}

/* n copies of c in the caret line. */
static void put_rep(out *o, char c, size_t n)
{
    char buf[32];
    memset(buf, c, sizeof buf);
    for (; n > sizeof buf; n -= sizeof buf)
        put(o, buf, sizeof buf);
    put(o, buf, n);
}

static const diag_src *find_src(const mga_diags *d, const char *file)
{
    for (size_t i = 0; i < d->sources.len; i++) {
        const diag_src *s = &((const diag_src *)d->sources.data)[i];
        if (s->name == file)
            return s;
    }
    return NULL;
}

static void render_one(out *o, const mga_diags *d, const mga_diag *dg)
{
    char buf[96];
    static const char *const kinds[] = {"error", "warning", "note"};
    const diag_src *s = dg->file ? find_src(d, dg->file) : NULL;
    if (dg->file) {
        puts_data(o, dg->file);
        if (dg->line) {
            snprintf(buf, sizeof buf, ":%u:%u", dg->line, dg->col);
            puts_(o, buf);
        }
        puts_(o, ": ");
    } else {
        puts_(o, "mgadvise: ");
    }
    snprintf(buf, sizeof buf, "%s[%c%04u]: ", kinds[dg->kind],
             dg->kind == MGA_DIAG_WARNING ? 'W' : dg->kind == MGA_DIAG_NOTE ? 'N' : 'E',
             dg->code);
    puts_(o, buf);
    puts_data(o, dg->message);
    puts_(o, "\n");
    if (s && s->copied && dg->line) {
        /* The source line, then a caret line that copies its tabs so columns agree. */
        size_t start, end;
        if (s->lines && dg->line <= s->nlines) {
            /* from the line table: no scan of the text around the spot */
            start = s->lines[dg->line - 1];
            end = dg->line < s->nlines ? s->lines[dg->line] - 1 : s->len;
        } else {
            start = dg->offset > s->len ? s->len : dg->offset;
            while (start > 0 && s->text[start - 1] != '\n')
                start--;
            end = start;
            while (end < s->len && s->text[end] != '\n')
                end++;
        }
        if (start == 0 && s->len >= 3 && dg->offset >= 3 &&
            memcmp(s->text, "\xEF\xBB\xBF", 3) == 0)
            start = 3; /* the byte-order mark is not shown */
        size_t shown = end;
        if (shown > start && s->text[shown - 1] == '\r')
            shown--;
        snprintf(buf, sizeof buf, "%5u | ", dg->line);
        puts_(o, buf);
        size_t off = dg->offset > shown ? shown : dg->offset;
        /* A very long line is shown as a window around the spot. */
        size_t from = start, to = shown;
        if (shown - start > 160) {
            from = off > start + 60 ? off - 60 : start;
            while (from > start && ((unsigned char)s->text[from] & 0xC0) == 0x80)
                from--;
            to = off + 100 < shown ? off + 100 : shown;
            while (to < shown && ((unsigned char)s->text[to] & 0xC0) == 0x80)
                to++;
        }
        if (from > start)
            puts_(o, "...");
        /* The line as text (tabs kept), and a caret line as wide as the escapes shown. */
        put_data(o, s->text + from, to - from, TEXTSAFE_KEEP_TAB);
        if (to < shown)
            puts_(o, "...");
        puts_(o, "\n      | ");
        if (from > start)
            puts_(o, "   ");
        char esc[TEXTSAFE_ESC_MAX];
        for (size_t i = from; i < off;) {
            size_t n = textsafe_step(s->text + i, off - i, TEXTSAFE_KEEP_TAB, esc);
            if (esc[0])
                put_rep(o, ' ', strlen(esc));
            else if (s->text[i] == '\t')
                puts_(o, "\t");
            else
                puts_(o, " ");
            i += n;
        }
        puts_(o, "^");
        size_t stop = dg->offset + dg->len;
        if (stop > to)
            stop = to;
        if (off < stop) {
            /* the first unit has the caret; the rest of the span gets tildes */
            size_t n = textsafe_step(s->text + off, stop - off, TEXTSAFE_KEEP_TAB, esc);
            size_t w = textsafe_width(s->text + off, stop - off, TEXTSAFE_KEEP_TAB);
            put_rep(o, '~', w - textsafe_width(s->text + off, n, TEXTSAFE_KEEP_TAB));
        }
        puts_(o, "\n");
    }
    if (dg->note) {
        /* A note may hold several: the engine joins them with "\n  note: " (layout);
         * any other line break in it is data and is escaped. */
        static const char sep[] = "\n  note: ";
        const char *p = dg->note, *q;
        puts_(o, "  note: ");
        while ((q = strstr(p, sep)) != NULL) {
            put_data(o, p, (size_t)(q - p), 0);
            puts_(o, sep);
            p = q + sizeof sep - 1;
        }
        puts_data(o, p);
        puts_(o, "\n");
    }
}

mga_status mga_diags_render(const mga_diags *d, mga_write_fn fn, void *ud)
{
    if (!d || !fn)
        return MGA_E_MISUSE;
    out o = {fn, ud, false};
    size_t warnings = 0;
    for (size_t i = 0; i < d->items.len; i++) {
        const mga_diag *dg = &((const mga_diag *)d->items.data)[i];
        if (dg->kind == MGA_DIAG_WARNING)
            warnings++;
        render_one(&o, d, dg);
    }
    if (d->errors || warnings) {
        char buf[96];
        if (d->errors && warnings)
            snprintf(buf, sizeof buf, "mgadvise: %zu error%s, %zu warning%s\n", d->errors,
                     d->errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
        else if (d->errors)
            snprintf(buf, sizeof buf, "mgadvise: %zu error%s\n", d->errors,
                     d->errors == 1 ? "" : "s");
        else
            snprintf(buf, sizeof buf, "mgadvise: %zu warning%s\n", warnings,
                     warnings == 1 ? "" : "s");
        puts_(&o, buf);
    }
    return o.failed ? MGA_E_WRITE : MGA_OK;
}
