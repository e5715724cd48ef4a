/* SPDX-License-Identifier: MIT */
/* Diagnostics list, location and rendering (see diag.h). */
#include "diag.h"

#include <stdio.h>
#include <string.h>

typedef struct diag_src {
    const char *name;
    const char *text; /* borrowed until copied */
    size_t len;
    bool copied;
    /* the last place located (diag_push): diagnostics mostly come in text order, so the
     * next one counts on from there instead of from the start (linear, not quadratic) */
    size_t lc_off;
    unsigned lc_line, lc_col;
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

/* diag_linecol of off in s's text, counting on from the place last located when off is
 * not before it. */
static void src_linecol(diag_src *s, size_t off, unsigned *line, unsigned *col)
{
    if (off > s->len)
        off = s->len;
    if (!s->lc_line || off < s->lc_off || s->lc_off < 3) {
        diag_linecol(s->text, s->len, off, line, col);
    } else {
        unsigned ln = s->lc_line, c = s->lc_col;
        for (size_t i = s->lc_off; i < off; i++) {
            unsigned char ch = (unsigned char)s->text[i];
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
    s->lc_off = off;
    s->lc_line = *line;
    s->lc_col = *col;
}

static char *vformat(arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
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
        if (!s->copied) {
            char *copy = arena_strndup(&d->a, s->text ? s->text : "", s->len);
            if (!copy) {
                d->oom = true;
                d->items.len--;
                return NULL;
            }
            s->text = copy;
            s->copied = true;
        }
        dg->file = s->name;
        src_linecol(s, off, &dg->line, &dg->col);
        src_linecol(s, off + len, &dg->end_line, &dg->end_col);
    }
    if (kind == MGA_DIAG_ERROR)
        d->errors++;
    return dg;
}

mga_diag *diag_add(mga_diags *d, diag_code code, int src, size_t off, size_t len, ...)
{
    if (diag_full(d))
        return NULL;
    va_list ap;
    va_start(ap, len);
    char *msg = vformat(&d->a, codes[code].fmt, ap);
    va_end(ap);
    if (!msg) {
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
        puts_(o, dg->file);
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
    puts_(o, dg->message);
    puts_(o, "\n");
    if (s && s->copied && dg->line) {
        /* The source line, then a caret line that copies its tabs so columns agree. */
        /* The line's ends are looked for at most LINE_SCAN bytes either side of the spot:
         * past that the line is shown as a window anyway, the same whichever its ends, and
         * many diagnostics on one long line (a profile on one line) stay linear. */
        enum { LINE_SCAN = 4096 };
        size_t start = dg->offset > s->len ? s->len : dg->offset;
        size_t lo = start > LINE_SCAN ? start - LINE_SCAN : 0;
        size_t hi = s->len - start > LINE_SCAN ? start + LINE_SCAN : s->len;
        while (start > lo && s->text[start - 1] != '\n')
            start--;
        if (start == 0 && s->len >= 3 && dg->offset >= 3 &&
            memcmp(s->text, "\xEF\xBB\xBF", 3) == 0)
            start = 3; /* the byte-order mark is not shown */
        size_t end = dg->offset > start ? (dg->offset > s->len ? s->len : dg->offset) : start;
        while (end < hi && s->text[end] != '\n')
            end++;
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
        put(o, s->text + from, to - from);
        if (to < shown)
            puts_(o, "...");
        puts_(o, "\n      | ");
        if (from > start)
            puts_(o, "   ");
        for (size_t i = from; i < off; i++) {
            unsigned char ch = (unsigned char)s->text[i];
            if (ch == '\t')
                puts_(o, "\t");
            else if ((ch & 0xC0) != 0x80)
                puts_(o, " ");
        }
        puts_(o, "^");
        size_t stop = dg->offset + dg->len;
        if (stop > to)
            stop = to;
        for (size_t i = off + 1; i < stop; i++) {
            if (((unsigned char)s->text[i] & 0xC0) != 0x80)
                puts_(o, "~");
        }
        puts_(o, "\n");
    }
    if (dg->note) {
        puts_(o, "  note: ");
        puts_(o, dg->note);
        puts_(o, "\n");
    }
}

mga_status mga_diags_render(const mga_diags *d, mga_write_fn fn, void *ud)
{
    if (!d || !fn)
        return MGA_E_INVALID;
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
