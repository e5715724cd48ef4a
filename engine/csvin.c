/* SPDX-License-Identifier: MIT */
/* CSV input for the batch engine (see csvin.h). libcsv splits the lines into cells; each
 * record becomes one JSON object (yajl_gen) keyed by the header's field names, typed by the
 * declared field types, which the profile reader then checks like any JSON line. Lines are
 * given to libcsv one at a time so that every record knows the physical line it starts on. */
#include "csvin.h"

#include "diag.h"
#include "jsongen.h"
#include "utf8.h"

#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define FOUND_MAX 48 /* bytes of a bad cell quoted in a message */

typedef struct csv_col {
    char *name;
    size_t len; /* of name, its NUL not counted */
    int field;  /* index into fields; -1 for "id" when the rule set declares no such field */
} csv_col;

struct csvin {
    const mem *m;
    struct csv_parser p;
    bool p_ok;
    mga_field_info *fields;
    size_t nfields;
    csv_col *cols;
    size_t ncols;
    bool have_header, bad_header;
    int id_col; /* -1 when there is no id column */
    size_t max; /* the record limit */

    membuf line; /* the current line, its '\n' put back for libcsv */
    unsigned long long lineno;
    bool oom;

    /* a record longer than max that goes on past the line that crossed the limit: its
     * lines are dropped up to the line end outside quotes */
    bool skipping, skip_inside;
    unsigned long long skip_start;

    /* the row being read: its cells back to back in cells, cell i at off[i], len[i] */
    bool pending, done;
    unsigned long long row_line;
    size_t row_bytes; /* the pending record's bytes so far, line ends included */
    char *cells;
    size_t cells_len, cells_cap;
    size_t *off, *len;
    size_t ncells, cells_n_cap;

    jgen j;        /* the record as JSON, printed into json */
    bool j_open;
    outbuf json;
    mga_diags *diags; /* a bad header's */
    char field[160];
    char msg[512];
};

static void print_json(void *ctx, const char *p, size_t n)
{
    outbuf_put(ctx, p, n);
}

/* ---- Cells ---------------------------------------------------------------------------- */

static int is_lf(unsigned char c)
{
    return c == '\n'; /* a CR before it is dropped with the line end; a lone CR is data */
}

static bool parser_reset(csvin *r)
{
    if (r->p_ok)
        csv_free(&r->p);
    r->p_ok = csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) == 0;
    if (r->p_ok)
        csv_set_term_func(&r->p, is_lf);
    return r->p_ok;
}

static bool grow(csvin *r, void **p, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return false;
        c *= 2;
    }
    void *np = mem_realloc(r->m, *p, *cap * size, c * size);
    if (!np)
        return false;
    *p = np;
    *cap = c;
    return true;
}

static void on_cell(void *s, size_t n, void *ud)
{
    csvin *r = ud;
    if (r->oom)
        return;
    size_t cap = r->cells_n_cap;
    void *o = r->off, *l = r->len;
    if (r->ncells == cap) {
        size_t c2 = cap;
        if (!grow(r, &o, &c2, cap + 1, sizeof(size_t), 32)) {
            r->oom = true;
            return;
        }
        r->off = o;
        c2 = cap;
        if (!grow(r, &l, &c2, cap + 1, sizeof(size_t), 32)) {
            r->oom = true;
            return;
        }
        r->len = l;
        r->cells_n_cap = c2;
    }
    void *cells = r->cells;
    if (!grow(r, &cells, &r->cells_cap, r->cells_len + n + 1, 1, 1024)) {
        r->oom = true;
        return;
    }
    r->cells = cells;
    if (n)
        memcpy(r->cells + r->cells_len, s, n);
    r->off[r->ncells] = r->cells_len;
    r->len[r->ncells] = n;
    r->ncells++;
    r->cells_len += n;
    r->cells[r->cells_len++] = '\0';
}

static void on_row(int c, void *ud)
{
    (void)c;
    ((csvin *)ud)->done = true;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static void bad(csvin *r, csvin_record *out, unsigned column, const char *code)
{
    out->kind = CSVIN_BAD;
    out->code = code;
    out->message = r->msg;
    out->column = column;
    out->field = NULL;
    if (column && column <= r->ncols) {
        snprintf(r->field, sizeof r->field, "$.%s", r->cols[column - 1].name);
        out->field = r->field;
    }
    out->id = NULL;
    out->id_len = 0;
    if (r->id_col >= 0 && (size_t)r->id_col < r->ncells && r->len[r->id_col]) {
        out->id = r->cells + r->off[r->id_col];
        out->id_len = r->len[r->id_col];
    }
}

/* The error record for a record longer than the limit, which started on line start and
 * ended on the current line. */
static void too_long(csvin *r, csvin_record *out, unsigned long long start)
{
    r->ncells = 0; /* no id: the record was not split into cells */
    r->cells_len = 0;
    out->line = start;
    out->end_line = r->lineno;
    /* no columns yet: this is the header, and nothing is read after a bad one */
    const char *next = r->ncols ? "; reading goes on at the next record" : "";
    const char *mib = r->max == MGA_PROFILE_MAX_BYTES ? " (1 MiB)" : "";
    if (start == r->lineno)
        snprintf(r->msg, sizeof r->msg,
                 "the record on line %llu is longer than the limit of %zu bytes%s%s", start,
                 r->max, mib, next);
    else
        snprintf(r->msg, sizeof r->msg,
                 "the record on lines %llu to %llu is longer than the limit of %zu bytes%s%s",
                 start, r->lineno, r->max, mib, next);
    bad(r, out, 0, "E4012");
}

/* One physical line into the row being read: CSVIN_PROFILE for a whole row (its cells),
 * CSVIN_BLANK, CSVIN_BAD for broken quoting or a record over the limit (the message in
 * r->msg), CSVIN_MORE. */
static void read_row(csvin *r, const char *s, size_t kept, unsigned long long whole, bool nl,
                     unsigned long long quotes, csvin_record *out)
{
    out->kind = CSVIN_MORE;
    if (r->skipping) {
        r->skip_inside ^= (quotes & 1) != 0;
        if (r->skip_inside && nl)
            return;
        r->skipping = false;
        too_long(r, out, r->skip_start);
        return;
    }
    size_t before = r->pending ? r->row_bytes : 0;
    size_t len = kept;
    bool over = whole > kept;
    if (!over && len && s[len - 1] == '\r')
        len--;
    if (over || before + len > r->max) {
        unsigned long long start = r->pending ? r->row_line : r->lineno;
        /* a pending record's lines after the first start inside a quoted cell */
        bool inside = r->pending ^ ((quotes & 1) != 0);
        r->pending = false;
        if (!parser_reset(r)) {
            r->oom = true;
            return;
        }
        if (inside && nl) {
            r->skipping = true;
            r->skip_inside = true;
            r->skip_start = start;
            return;
        }
        too_long(r, out, start);
        return;
    }
    if (!r->pending) {
        if (is_blank(s, len)) {
            out->kind = CSVIN_BLANK;
            out->line = out->end_line = r->lineno;
            return;
        }
        r->pending = true;
        r->done = false;
        r->row_line = r->lineno;
        r->row_bytes = 0;
        r->ncells = 0;
        r->cells_len = 0;
    }
    r->row_bytes += (size_t)whole + nl; /* at most max + 2: the line was kept whole */
    r->line.len = 0;
    if (!membuf_add(r->m, &r->line, s, len) || (nl && !membuf_add(r->m, &r->line, "\n", 1))) {
        r->oom = true;
        return;
    }
    size_t k = csv_parse(&r->p, r->line.p, r->line.len, on_cell, on_row, r);
    if (r->oom)
        return;
    out->line = r->row_line;
    out->end_line = r->lineno;
    if (k < r->line.len) {
        int e = csv_error(&r->p);
        unsigned col = (unsigned)r->ncells + 1;
        r->pending = false;
        if (!parser_reset(r) || e == CSV_ENOMEM || e == CSV_ETOOBIG) {
            r->oom = true;
            return;
        }
        snprintf(r->msg, sizeof r->msg,
                 "malformed quoting in column %u: a quoted cell must end at its closing "
                 "quote, and a quote inside a cell is written twice inside quotes",
                 col);
        bad(r, out, col, NULL);
        return;
    }
    if (r->done) {
        r->pending = false;
        out->kind = CSVIN_PROFILE;
    }
}

/* ---- Typing the cells ----------------------------------------------------------------- */

static size_t skip_digits(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* The length of the JSON number at the start of s, or 0. */
static size_t number_len(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        i = skip_digits(s, n, i);
    else
        return 0;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        if ((i = skip_digits(s, n, i)) == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        if ((i = skip_digits(s, n, i)) == d)
            return 0;
    }
    return i;
}

/* The cell for a message: at most FOUND_MAX bytes, not cut inside a UTF-8 sequence. */
static int found_len(const char *s, size_t n)
{
    if (n <= FOUND_MAX)
        return (int)n;
    size_t k = FOUND_MAX;
    while (k && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}

/* s (n bytes) equals the lower-case ASCII word w in any case: a spreadsheet writes TRUE or
 * True. Not strncasecmp, which follows the locale. */
static bool ascii_caseeq(const char *s, size_t n, const char *w)
{
    if (n != strlen(w))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        if (c != w[i])
            return false;
    }
    return true;
}

static bool gen_str(yajl_gen g, const char *s, size_t n)
{
    return yajl_gen_string(g, (const unsigned char *)s, n) == yajl_gen_status_ok;
}

typedef enum cell_status { CELL_OK, CELL_TYPE, CELL_OTHER } cell_status;

/* One cell into the JSON object. CELL_TYPE when it is not of its field's type, CELL_OTHER
 * for invalid UTF-8 or a NUL; r->msg says why. */
static cell_status gen_cell(csvin *r, size_t c, const char *s, size_t n)
{
    yajl_gen g = r->j.g;
    const csv_col *col = &r->cols[c];
    const mga_field_info *f = col->field >= 0 ? &r->fields[col->field] : NULL;
    /* invalid UTF-8 anywhere in the cell is named first, then the first NUL */
    size_t first_nul = SIZE_MAX;
    for (size_t i = 0; i < n;) {
        bool nul = false;
        size_t k = i + utf8_check((const unsigned char *)s + i, n - i, &nul);
        if (k == n)
            break;
        if (!nul) {
            snprintf(r->msg, sizeof r->msg, "$.%s: invalid UTF-8 (byte 0x%02x)", col->name,
                     (unsigned char)s[k]);
            return CELL_OTHER;
        }
        if (first_nul == SIZE_MAX)
            first_nul = k;
        i = k + 1;
    }
    /* a NUL would end the text early wherever it is read as a C string: refused */
    if (first_nul != SIZE_MAX) {
        snprintf(r->msg, sizeof r->msg,
                 "$.%s: a NUL byte (0x00) at byte %zu of the cell: CSV text cannot hold one",
                 col->name, first_nul + 1);
        return CELL_OTHER;
    }
    bool ok = gen_str(g, col->name, col->len);
    switch (f ? f->type : MGA_FIELD_TEXT) {
    case MGA_FIELD_TEXT:
    case MGA_FIELD_ONE_OF: /* the profile reader checks the symbol */
        ok = ok && gen_str(g, s, n);
        break;
    case MGA_FIELD_BOOL:
        if (ascii_caseeq(s, n, "true") || ascii_caseeq(s, n, "false")) {
            ok = ok && yajl_gen_bool(g, s[0] == 't' || s[0] == 'T') == yajl_gen_status_ok;
            break;
        }
        snprintf(r->msg, sizeof r->msg, "$.%s: expected true or false, found '%.*s'", col->name,
                 found_len(s, n), s);
        return CELL_TYPE;
    case MGA_FIELD_NUMBER: {
        size_t k = number_len(s, n);
        size_t u = k, ue = n;
        while (u < n && (s[u] == ' ' || s[u] == '\t'))
            u++;
        while (ue > u && (s[ue - 1] == ' ' || s[ue - 1] == '\t'))
            ue--;
        if (k && u == n) {
            ok = ok && yajl_gen_number(g, s, k) == yajl_gen_status_ok;
            break;
        }
        if (k && f->unit && u > k) { /* "45 nmol/L": a quantity, its unit checked by the reader */
            ok = ok && yajl_gen_map_open(g) == yajl_gen_status_ok && gen_str(g, "value", 5) &&
                 yajl_gen_number(g, s, k) == yajl_gen_status_ok && gen_str(g, "unit", 4) &&
                 gen_str(g, s + u, ue - u) && yajl_gen_map_close(g) == yajl_gen_status_ok;
            break;
        }
        if (f->unit)
            snprintf(r->msg, sizeof r->msg,
                     "$.%s: expected a number, or a number and a unit such as '45 %s', "
                     "found '%.*s'",
                     col->name, f->unit, found_len(s, n), s);
        else
            snprintf(r->msg, sizeof r->msg, "$.%s: expected a number, found '%.*s'", col->name,
                     found_len(s, n), s);
        return CELL_TYPE;
    }
    case MGA_FIELD_SET: {
        ok = ok && yajl_gen_array_open(g) == yajl_gen_status_ok;
        /* "-" is the empty set (known: none of them), as [] in JSON; no symbol is "-" */
        bool none = n == 1 && s[0] == '-';
        for (size_t i = 0; ok && !none && i <= n;) {
            size_t e = i;
            while (e < n && s[e] != ';')
                e++;
            size_t a = i, b = e;
            while (a < b && (s[a] == ' ' || s[a] == '\t'))
                a++;
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                b--;
            ok = gen_str(g, s + a, b - a);
            i = e + 1;
        }
        ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok;
        break;
    }
    }
    if (ok)
        return CELL_OK;
    snprintf(r->msg, sizeof r->msg, "$.%s: the cell cannot be converted to JSON", col->name);
    return CELL_OTHER;
}

/* Turns the cells of a whole row into out (CSVIN_PROFILE or CSVIN_BAD). */
static void convert(csvin *r, csvin_record *out)
{
    if (r->ncells != r->ncols) {
        size_t fewer = r->ncells < r->ncols ? r->ncells : r->ncols;
        snprintf(r->msg, sizeof r->msg, "expected %zu cells, one per header column, found %zu",
                 r->ncols, r->ncells);
        bad(r, out, (unsigned)fewer + 1, NULL);
        out->field = NULL;
        return;
    }
    yajl_gen g = r->j.g;
    yajl_gen_reset(g, NULL);
    r->json.b.len = 0;
    r->json.oom = false;
    bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok;
    for (size_t c = 0; ok && c < r->ncols; c++) {
        if (!r->len[c])
            continue; /* an empty cell: the field is absent */
        cell_status cs = gen_cell(r, c, r->cells + r->off[c], r->len[c]);
        if (cs != CELL_OK) {
            bad(r, out, (unsigned)c + 1, cs == CELL_TYPE ? "E4002" : NULL);
            return;
        }
    }
    if (!ok || yajl_gen_map_close(g) != yajl_gen_status_ok) {
        snprintf(r->msg, sizeof r->msg, "cannot convert the record to JSON");
        bad(r, out, 0, NULL);
        return;
    }
    if (r->json.oom) {
        r->oom = true;
        return;
    }
    out->kind = CSVIN_PROFILE;
    out->json = r->json.b.p;
    out->json_len = r->json.b.len;
}

/* ---- The header ----------------------------------------------------------------------- */

/* Records the header's error: the reader stops. False (the caller reports MGA_E_NOMEM) when
 * out of memory. */
static mga_diag *header_error(csvin *r, diag_code code, ...)
{
    r->bad_header = true;
    if (!r->diags && !(r->diags = diag_new(r->m, 0)))
        return NULL;
    va_list ap;
    va_start(ap, code);
    mga_diag *dg = diag_vadd(r->diags, code, -1, 0, 0, NULL, ap);
    va_end(ap);
    if (dg)
        dg->line = r->row_line > UINT32_MAX ? 0 : (unsigned)r->row_line;
    return dg;
}

/* The header row in the cells: every column names a declared field or is "id", each once.
 * MGA_E_PROFILE for a bad one. */
static mga_status read_header(csvin *r)
{
    if (!(r->cols = mem_alloc(r->m, r->ncells * sizeof *r->cols)))
        return MGA_E_NOMEM;
    memset(r->cols, 0, r->ncells * sizeof *r->cols);
    r->ncols = r->ncells;
    for (size_t c = 0; c < r->ncols; c++) {
        const char *s = r->cells + r->off[c];
        size_t n = r->len[c];
        bool nul;
        if (!n)
            return header_error(r, DIAG_CSV_COLUMN_UNNAMED, c + 1) ? MGA_E_PROFILE : MGA_E_NOMEM;
        if (utf8_check((const unsigned char *)s, n, &nul) < n)
            return header_error(r, DIAG_CSV_COLUMN_UTF8, c + 1) ? MGA_E_PROFILE : MGA_E_NOMEM;
        if (!(r->cols[c].name = mem_alloc(r->m, n + 1)))
            return MGA_E_NOMEM;
        memcpy(r->cols[c].name, s, n + 1);
        r->cols[c].len = n;
        r->cols[c].field = -1;
        for (size_t i = 0; i < r->nfields; i++)
            if (strcmp(r->fields[i].name, s) == 0)
                r->cols[c].field = (int)i;
        if (r->cols[c].field < 0 && strcmp(s, "id") != 0) {
            mga_diag *dg = header_error(r, DIAG_CSV_COLUMN_UNKNOWN, s, c + 1);
            if (!dg)
                return MGA_E_NOMEM;
            const char **names = mem_alloc(r->m, (r->nfields + 1) * sizeof *names);
            if (!names)
                return MGA_E_NOMEM;
            for (size_t i = 0; i < r->nfields; i++)
                names[i] = r->fields[i].name;
            const char *best = diag_suggest(s, names, r->nfields);
            if (best)
                diag_note(r->diags, dg, "did you mean '%s'?", best);
            mem_free(r->m, names, (r->nfields + 1) * sizeof *names);
            return MGA_E_PROFILE;
        }
        for (size_t p = 0; p < c; p++)
            if (strcmp(r->cols[p].name, s) == 0)
                return header_error(r, DIAG_CSV_COLUMN_TWICE, s, p + 1, c + 1) ? MGA_E_PROFILE
                                                                               : MGA_E_NOMEM;
        if (strcmp(s, "id") == 0)
            r->id_col = (int)c;
    }
    r->have_header = true;
    return MGA_OK;
}

/* What a whole row (the header or a record) gives. */
static mga_status finish_row(csvin *r, csvin_record *out)
{
    if (r->have_header) {
        if (out->kind == CSVIN_PROFILE)
            convert(r, out);
        return r->oom ? MGA_E_NOMEM : MGA_OK;
    }
    if (out->kind == CSVIN_BAD) {
        r->row_line = out->line; /* a record too long may not have started a row */
        return header_error(r, DIAG_CSV_HEADER, r->msg) ? MGA_E_PROFILE : MGA_E_NOMEM;
    }
    if (out->kind != CSVIN_PROFILE)
        return MGA_OK;
    mga_status st = read_header(r);
    out->kind = CSVIN_HEADER;
    return st;
}

/* ---- Lifecycle ------------------------------------------------------------------------ */

mga_status csvin_line(csvin *r, const char *s, size_t kept, unsigned long long whole, bool nl,
                      unsigned long long quotes, csvin_record *out)
{
    memset(out, 0, sizeof *out);
    if (r->oom)
        return MGA_E_NOMEM;
    if (r->bad_header)
        return MGA_E_PROFILE;
    static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
    if (r->lineno == 0 && kept >= sizeof bom && memcmp(s, bom, sizeof bom) == 0) {
        s += sizeof bom;
        kept -= sizeof bom;
        whole -= sizeof bom;
    }
    r->lineno++;
    read_row(r, s, kept, whole, nl, quotes, out);
    if (r->oom)
        return MGA_E_NOMEM;
    return finish_row(r, out);
}

mga_status csvin_end(csvin *r, csvin_record *out)
{
    memset(out, 0, sizeof *out);
    if (r->oom)
        return MGA_E_NOMEM;
    if (r->bad_header)
        return MGA_E_PROFILE;
    if (r->skipping) {
        r->skipping = false;
        too_long(r, out, r->skip_start);
        return finish_row(r, out);
    }
    if (!r->pending)
        return MGA_OK;
    r->pending = false;
    out->line = r->row_line;
    out->end_line = r->lineno;
    if (csv_fini(&r->p, on_cell, on_row, r) != 0) {
        unsigned col = (unsigned)r->ncells + 1;
        parser_reset(r);
        snprintf(r->msg, sizeof r->msg,
                 "unterminated quoted cell in column %u: no closing quote before the end of "
                 "the input",
                 col);
        bad(r, out, col, NULL);
    } else {
        out->kind = CSVIN_PROFILE;
    }
    if (r->oom)
        return MGA_E_NOMEM;
    return finish_row(r, out);
}

mga_diags *csvin_diags_take(csvin *r)
{
    mga_diags *d = r->diags;
    r->diags = NULL;
    return d;
}

unsigned csvin_column(const csvin *r, const char *path, size_t len)
{
    if (len < 2 || path[0] != '$' || path[1] != '.')
        return 0;
    const char *s = path + 2, *e = path + len;
    size_t n = 0;
    while (s + n < e && s[n] != '.' && s[n] != '[' && s[n] != ':')
        n++;
    for (size_t c = 0; c < r->ncols; c++)
        if (r->cols[c].len == n && memcmp(r->cols[c].name, s, n) == 0)
            return (unsigned)c + 1;
    return 0;
}

mga_status csvin_new(const mga_ruleset *rs, const mem *m, size_t max, csvin **out)
{
    *out = NULL;
    csvin *r = mem_alloc(m, sizeof *r);
    if (!r)
        return MGA_E_NOMEM;
    memset(r, 0, sizeof *r);
    r->m = m;
    r->id_col = -1;
    r->max = max;
    r->nfields = mga_ruleset_field_count(rs);
    r->fields = mem_alloc(m, (r->nfields + 1) * sizeof *r->fields);
    r->json.m = m;
    bool ok = r->fields && (r->j_open = jgen_open(&r->j, m, print_json, &r->json, false)) &&
              parser_reset(r);
    if (ok)
        yajl_gen_config(r->j.g, yajl_gen_validate_utf8, 1);
    for (size_t i = 0; ok && i < r->nfields; i++)
        ok = mga_ruleset_field(rs, i, &r->fields[i]) == MGA_OK;
    if (!ok) {
        csvin_free(r);
        return MGA_E_NOMEM;
    }
    *out = r;
    return MGA_OK;
}

void csvin_free(csvin *r)
{
    if (!r)
        return;
    const mem *m = r->m;
    if (r->p_ok)
        csv_free(&r->p);
    if (r->j_open)
        jgen_close(&r->j);
    membuf_free(m, &r->json.b);
    for (size_t c = 0; r->cols && c < r->ncols; c++)
        mem_free(m, r->cols[c].name, r->cols[c].len + 1);
    mem_free(m, r->cols, r->ncols * sizeof *r->cols);
    mem_free(m, r->fields, (r->nfields + 1) * sizeof *r->fields);
    membuf_free(m, &r->line);
    mem_free(m, r->cells, r->cells_cap);
    mem_free(m, r->off, r->cells_n_cap * sizeof *r->off);
    mem_free(m, r->len, r->cells_n_cap * sizeof *r->len);
    mga_diags_free(r->diags);
    mem_free(m, r, sizeof *r);
}
