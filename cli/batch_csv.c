/* SPDX-License-Identifier: MIT */
/* CSV input for `mgadvise batch` (see batch_csv.h). libcsv splits the input
 * into cells; each record becomes one JSON object (yajl_gen) keyed by the
 * header's field names, typed by the declared field types, which
 * mga_profile_parse then checks like any JSON line. Lines are fed to libcsv one
 * at a time so that every record knows the physical line it starts on. */
#include "batch_csv.h"

#include "cli.h"

#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <yajl/yajl_gen.h>

#define FOUND_MAX 48 /* bytes of a bad cell quoted in a message */
/* A record longer than this (its line breaks inside quoted cells counted, its final line end
 * not) is an error record, as a JSON line longer than a profile may be: only this much of
 * it is ever held, and reading goes on at the next record. */
#define CSV_RECORD_MAX MGA_PROFILE_MAX_BYTES
#define CSV_RBUF ((size_t)1 << 16)

typedef struct csv_col {
    char *name;
    int field; /* index into fields; -1 for "id" when the rule set declares no
                  such field */
} csv_col;

struct csv_reader {
    FILE *in;
    const char *name;
    struct csv_parser p;
    bool p_ok;
    mga_field_info *fields;
    size_t nfields;
    csv_col *cols;
    size_t ncols;
    int id_col; /* -1 when there is no id column */
    size_t max; /* the record limit: CSV_RECORD_MAX but in the fuzz harness */

    /* input: read in blocks of CSV_RBUF, lines cut from them, at most CSV_RECORD_MAX + 1
     * bytes of a record kept */
    char *rbuf;
    size_t rpos, rlen;
    bool rend;
    bool started; /* the first block was read (and a byte order mark skipped) */
    char *line;
    size_t line_cap;
    size_t row_bytes; /* the pending record's bytes so far, line ends included */
    unsigned long long lineno, bytes, header_line, blank_before;
    bool eof, oom;
    int err;

    /* the row being read: its cells back to back in cells, cell i at off[i],
     * len[i] */
    bool pending, done;
    unsigned long long row_line;
    char *cells;
    size_t cells_len, cells_cap;
    size_t *off, *len;
    size_t ncells, cells_n_cap;

    yajl_gen g;
    char field[160];
    char msg[512];
};

static int is_lf(unsigned char c)
{
    return c == '\n'; /* a CR before it is dropped by the reader; a lone CR is data */
}

static bool parser_reset(csv_reader *r)
{
    if (r->p_ok)
        csv_free(&r->p);
    r->p_ok = csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) == 0;
    if (r->p_ok)
        csv_set_term_func(&r->p, is_lf);
    return r->p_ok;
}

static void on_cell(void *s, size_t n, void *ud)
{
    csv_reader *r = ud;
    if (r->oom)
        return;
    if (r->ncells == r->cells_n_cap) {
        size_t cap = r->cells_n_cap ? r->cells_n_cap * 2 : 32;
        size_t *no = realloc(r->off, cap * sizeof *no);
        if (no)
            r->off = no;
        size_t *nl = no ? realloc(r->len, cap * sizeof *nl) : NULL;
        if (!nl) {
            r->oom = true;
            return;
        }
        r->len = nl;
        r->cells_n_cap = cap;
    }
    if (r->cells_cap - r->cells_len < n + 1) {
        size_t cap = r->cells_cap ? r->cells_cap : 1024;
        while (cap - r->cells_len < n + 1) {
            if (cap > SIZE_MAX / 2) {
                r->oom = true;
                return;
            }
            cap *= 2;
        }
        char *nc = realloc(r->cells, cap);
        if (!nc) {
            r->oom = true;
            return;
        }
        r->cells = nc;
        r->cells_cap = cap;
    }
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
    ((csv_reader *)ud)->done = true;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

static csv_kind bad(csv_reader *r, csv_record *out, unsigned column, const char *code)
{
    out->kind = CSV_BAD;
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
    return CSV_BAD;
}

/* The first bytes of the input: a UTF-8 byte order mark (EF BB BF), which spreadsheets
 * write before the header, is skipped (counted in r->bytes, not a cell). Reads until three
 * bytes are there or the input ends, so a pipe that delivers them one at a time still gets
 * it skipped. Returns -1 on a read error (r->err), else 0; the bytes read wait in r->rbuf. */
static int skip_bom(csv_reader *r)
{
    static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
    r->rpos = r->rlen = 0;
    while (r->rlen < sizeof bom) {
        errno = 0;
        size_t got = fread(r->rbuf + r->rlen, 1, CSV_RBUF - r->rlen, r->in);
        if (got == 0) {
            if (ferror(r->in)) {
                r->rend = true;
                r->err = errno ? errno : EIO;
                return -1;
            }
            break;
        }
        r->rlen += got;
    }
    if (r->rlen >= sizeof bom && memcmp(r->rbuf, bom, sizeof bom) == 0) {
        r->rpos = sizeof bom;
        r->bytes += sizeof bom;
    }
    return 0;
}

/* Reads the next physical line into r->line (without its '\n'), keeping at most keep bytes
 * of it: *n is what was kept, *raw the bytes the line took in the input ('\n' included),
 * *nl whether it ended in '\n' and *quotes how many '"' all of it holds. Returns -1 at the
 * end of the input, on a read error (r->err; a line cut short by it is dropped) or out of
 * memory (r->oom), else 0. Time is linear in the line's length, memory bounded by keep. */
static int read_phys(csv_reader *r, size_t keep, size_t *n, unsigned long long *raw, bool *nl,
                     unsigned long long *quotes)
{
    size_t k = 0;
    unsigned long long t = 0, q = 0;
    *nl = false;
    for (;;) {
        if (r->rpos == r->rlen) {
            if (r->rend)
                break;
            if (!r->started) {
                r->started = true;
                if (skip_bom(r) < 0)
                    return -1;
                if (r->rpos < r->rlen)
                    continue;
            }
            errno = 0;
            size_t got = fread(r->rbuf, 1, CSV_RBUF, r->in);
            if (got == 0) {
                r->rend = true;
                if (ferror(r->in)) {
                    r->err = errno ? errno : EIO;
                    return -1;
                }
                break;
            }
            r->rpos = 0;
            r->rlen = got;
        }
        const char *p = r->rbuf + r->rpos;
        size_t avail = r->rlen - r->rpos;
        const char *e = memchr(p, '\n', avail);
        size_t m = e ? (size_t)(e - p) : avail;
        for (const char *s = p; (s = memchr(s, '"', (size_t)(p + m - s))) != NULL; s++)
            q++;
        size_t take = k >= keep ? 0 : m < keep - k ? m : keep - k;
        if (k + take + 2 > r->line_cap) { /* room for the '\n' put back and a NUL */
            size_t cap = r->line_cap ? r->line_cap : 256;
            while (cap < k + take + 2)
                cap *= 2;
            char *nb = realloc(r->line, cap);
            if (!nb) {
                r->oom = true;
                return -1;
            }
            r->line = nb;
            r->line_cap = cap;
        }
        memcpy(r->line + k, p, take);
        k += take;
        t += m;
        r->rpos += m;
        if (e) {
            r->rpos++;
            t++;
            *nl = true;
            break;
        }
    }
    if (t == 0)
        return -1; /* nothing after the last newline */
    *n = k;
    *raw = t;
    *quotes = q;
    return 0;
}

/* The rest of a record longer than CSV_RECORD_MAX, whose last line read ended inside a
 * quoted cell when inside: read and dropped up to the line end outside quotes (each '"'
 * toggles, so "" inside a quoted cell changes nothing). Then the error record for it. */
static csv_kind skip_long(csv_reader *r, csv_record *out, bool inside, bool nl)
{
    unsigned long long start = r->pending ? r->row_line : r->lineno;
    while (inside && nl) {
        size_t n;
        unsigned long long raw, q;
        if (read_phys(r, 0, &n, &raw, &nl, &q) < 0) {
            if (r->err || r->oom) {
                r->eof = true;
                return CSV_END; /* a record cut short is not a record */
            }
            break;
        }
        r->lineno++;
        r->bytes += raw;
        inside ^= (q & 1) != 0;
    }
    r->pending = false;
    r->ncells = 0; /* no id: the record was not split into cells */
    r->cells_len = 0;
    if (!parser_reset(r)) {
        r->oom = true;
        return CSV_END;
    }
    out->line = start;
    out->end_line = r->lineno;
    /* no columns yet: this is the header, and nothing is read after a bad one */
    const char *next = r->ncols ? "; reading goes on at the next record" : "";
    const char *mib = r->max == CSV_RECORD_MAX ? " (1 MiB)" : "";
    if (start == r->lineno)
        snprintf(r->msg, sizeof r->msg,
                 "the record on line %llu is longer than the limit of %zu bytes%s%s", start,
                 r->max, mib, next);
    else
        snprintf(r->msg, sizeof r->msg,
                 "the record on lines %llu to %llu is longer than the limit of %zu bytes%s%s",
                 start, r->lineno, r->max, mib, next);
    return bad(r, out, 0, "E4012");
}

/* Reads the next row into the cells: CSV_PROFILE for a whole row, CSV_BLANK,
 * CSV_BAD for broken quoting or a record over CSV_RECORD_MAX (the message in r->msg),
 * CSV_END. */
static csv_kind read_row(csv_reader *r, csv_record *out)
{
    for (;;) {
        size_t len = 0;
        unsigned long long raw = 0, quotes = 0;
        bool nl = false;
        size_t before = r->pending ? r->row_bytes : 0;
        size_t room = before < r->max ? r->max - before : 0;
        if (r->eof || read_phys(r, room + 1, &len, &raw, &nl, &quotes) < 0) {
            if (r->eof || r->err || r->oom) {
                r->eof = true;
                return CSV_END; /* a row cut short by a read error is not a record */
            }
            r->eof = true;
            if (!r->pending)
                return CSV_END;
            r->pending = false;
            out->line = r->row_line;
            out->end_line = r->lineno;
            if (csv_fini(&r->p, on_cell, on_row, r) != 0) {
                unsigned col = (unsigned)r->ncells + 1;
                parser_reset(r);
                snprintf(r->msg, sizeof r->msg,
                         "unterminated quoted cell in column %u: no closing quote "
                         "before the "
                         "end of the input",
                         col);
                return bad(r, out, col, NULL);
            }
            return r->oom ? CSV_END : CSV_PROFILE;
        }
        r->lineno++;
        r->bytes += raw;
        /* the line without its end; over the limit when more of it was read than kept */
        unsigned long long whole = raw - nl;
        bool over = whole > len;
        if (!over && len && r->line[len - 1] == '\r')
            len--;
        if (over || before + len > r->max) {
            if (!r->pending)
                r->row_line = r->lineno;
            /* a pending record's lines after the first start inside a quoted cell */
            return skip_long(r, out, r->pending ^ ((quotes & 1) != 0), nl);
        }
        if (!r->pending) {
            if (is_blank(r->line, len)) {
                out->kind = CSV_BLANK;
                out->line = out->end_line = r->lineno;
                return CSV_BLANK;
            }
            r->pending = true;
            r->done = false;
            r->row_line = r->lineno;
            r->row_bytes = 0;
            r->ncells = 0;
            r->cells_len = 0;
        }
        r->row_bytes += (size_t)raw; /* at most CSV_RECORD_MAX + 2: the line was kept whole */
        if (nl)
            r->line[len++] = '\n';
        size_t k = csv_parse(&r->p, r->line, len, on_cell, on_row, r);
        if (r->oom)
            return CSV_END;
        out->line = r->row_line;
        out->end_line = r->lineno;
        if (k < len) {
            int e = csv_error(&r->p);
            unsigned col = (unsigned)r->ncells + 1;
            r->pending = false;
            if (!parser_reset(r) || e == CSV_ENOMEM || e == CSV_ETOOBIG) {
                r->oom = true;
                return CSV_END;
            }
            snprintf(r->msg, sizeof r->msg,
                     "malformed quoting in column %u: a quoted cell must end at its "
                     "closing "
                     "quote, and a quote inside a cell is written twice inside quotes",
                     col);
            return bad(r, out, col, NULL);
        }
        if (r->done) {
            r->pending = false;
            return CSV_PROFILE;
        }
    }
}

/* ---- Typing the cells
 * ------------------------------------------------------------------ */

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

/* The cell for a message: at most FOUND_MAX bytes, not cut inside a UTF-8
 * sequence. */
static int found_len(const char *s, size_t n)
{
    if (n <= FOUND_MAX)
        return (int)n;
    size_t k = FOUND_MAX;
    while (k && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}

static size_t first_bad_utf8(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = batch_utf8_len(u + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return SIZE_MAX;
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

/* One cell into the JSON object. CELL_TYPE when it is not of its field's type,
 * CELL_OTHER for invalid UTF-8; r->msg says why. */
static cell_status gen_cell(csv_reader *r, size_t c, const char *s, size_t n)
{
    yajl_gen g = r->g;
    const csv_col *col = &r->cols[c];
    const mga_field_info *f = col->field >= 0 ? &r->fields[col->field] : NULL;
    size_t badb = first_bad_utf8(s, n);
    if (badb != SIZE_MAX) {
        snprintf(r->msg, sizeof r->msg, "$.%s: invalid UTF-8 (byte 0x%02x)", col->name,
                 (unsigned char)s[badb]);
        return CELL_OTHER;
    }
    /* a NUL would end the text early wherever it is read as a C string: refused */
    const char *nul = memchr(s, '\0', n);
    if (nul) {
        snprintf(r->msg, sizeof r->msg,
                 "$.%s: a NUL byte (0x00) at byte %zu of the cell: CSV text cannot hold one",
                 col->name, (size_t)(nul - s) + 1);
        return CELL_OTHER;
    }
    bool ok = gen_str(g, col->name, strlen(col->name));
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

/* Turns the cells of a whole row into out (CSV_PROFILE or CSV_BAD). */
static csv_kind convert(csv_reader *r, csv_record *out)
{
    if (r->ncells != r->ncols) {
        size_t fewer = r->ncells < r->ncols ? r->ncells : r->ncols;
        snprintf(r->msg, sizeof r->msg, "expected %zu cells, one per header column, found %zu",
                 r->ncols, r->ncells);
        csv_kind k = bad(r, out, (unsigned)fewer + 1, NULL);
        out->field = NULL;
        return k;
    }
    yajl_gen g = r->g;
    yajl_gen_clear(g);
    yajl_gen_reset(g, NULL);
    bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok;
    for (size_t c = 0; ok && c < r->ncols; c++) {
        if (!r->len[c])
            continue; /* an empty cell: the field is absent */
        cell_status cs = gen_cell(r, c, r->cells + r->off[c], r->len[c]);
        if (cs != CELL_OK)
            return bad(r, out, (unsigned)c + 1, cs == CELL_TYPE ? "E4002" : NULL);
    }
    const unsigned char *json = NULL;
    size_t len = 0;
    if (!ok || yajl_gen_map_close(g) != yajl_gen_status_ok ||
        yajl_gen_get_buf(g, &json, &len) != yajl_gen_status_ok) {
        snprintf(r->msg, sizeof r->msg, "cannot convert the record to JSON");
        return bad(r, out, 0, NULL);
    }
    out->kind = CSV_PROFILE;
    out->json = (const char *)json;
    out->json_len = len;
    return CSV_PROFILE;
}

csv_kind csv_reader_next(csv_reader *r, csv_record *out, bool *oom)
{
    memset(out, 0, sizeof *out);
    csv_kind k = r->ncols ? read_row(r, out) : CSV_END;
    if (k == CSV_PROFILE)
        k = convert(r, out);
    out->kind = k;
    *oom = r->oom;
    return r->oom ? CSV_END : k;
}

/* ---- The header
 * ------------------------------------------------------------------------- */

/* Edit distance of a and b, up to 64 bytes each (else a large number). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int header_error(csv_reader *r, const char *msg, const char *arg, size_t n)
{
    char e[CLI_ESC_CAP];
    fprintf(stderr, "mgadvise batch: %s:%llu: ", cli_esc(e, sizeof e, r->name), r->row_line);
    const char *at = strstr(msg, "%.*s");
    fwrite(msg, 1, (size_t)(at - msg), stderr);
    cli_put_text(stderr, arg, n, 0);
    fputs(at + 4, stderr);
    fputc('\n', stderr);
    return EXIT_IO;
}

static int read_header(csv_reader *r)
{
    csv_record rec;
    csv_kind k;
    while ((k = read_row(r, &rec)) == CSV_BLANK)
        r->blank_before++;
    r->header_line = r->lineno;
    if (r->oom)
        return EXIT_INTERNAL;
    if (k == CSV_END) {
        if (r->err) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise batch: cannot read '%s': %s\n",
                    cli_esc(e, sizeof e, r->name), strerror(r->err));
            return EXIT_IO;
        }
        return 0; /* no header, no records */
    }
    if (k == CSV_BAD)
        return header_error(r, "bad header row: %.*s", r->msg, strlen(r->msg));
    r->cols = calloc(r->ncells, sizeof *r->cols);
    if (!r->cols)
        return EXIT_INTERNAL;
    r->ncols = r->ncells;
    for (size_t c = 0; c < r->ncols; c++) {
        const char *s = r->cells + r->off[c];
        size_t n = r->len[c];
        char what[64];
        snprintf(what, sizeof what, "column %zu", c + 1);
        if (!n)
            return header_error(r, "%.*s of the header has no name", what, strlen(what));
        if (first_bad_utf8(s, n) != SIZE_MAX || memchr(s, '\0', n))
            return header_error(r, "%.*s of the header: invalid UTF-8 in its name", what,
                                strlen(what));
        r->cols[c].name = malloc(n + 1);
        if (!r->cols[c].name)
            return EXIT_INTERNAL;
        memcpy(r->cols[c].name, s, n + 1);
        r->cols[c].field = -1;
        for (size_t i = 0; i < r->nfields; i++)
            if (strcmp(r->fields[i].name, s) == 0)
                r->cols[c].field = (int)i;
        if (r->cols[c].field < 0 && strcmp(s, "id") != 0) {
            char e[CLI_ESC_CAP], e2[CLI_ESC_CAP];
            fprintf(stderr,
                    "mgadvise batch: %s:%llu: unknown column '%s' (column %zu): the "
                    "profile has "
                    "no field of that name\n",
                    cli_esc(e, sizeof e, r->name), r->row_line, cli_esc(e2, sizeof e2, s), c + 1);
            const char *best = NULL;
            size_t bd = n / 3 + 1 < 3 ? n / 3 + 1 : 3;
            for (size_t i = 0; i < r->nfields; i++) {
                size_t d = distance(s, r->fields[i].name);
                if (d < bd) {
                    bd = d;
                    best = r->fields[i].name;
                }
            }
            if (best)
                fprintf(stderr, "  note: did you mean '%s'?\n", cli_esc(e, sizeof e, best));
            return EXIT_IO;
        }
        for (size_t p = 0; p < c; p++)
            if (strcmp(r->cols[p].name, s) == 0) {
                char e[CLI_ESC_CAP], e2[CLI_ESC_CAP];
                fprintf(stderr,
                        "mgadvise batch: %s:%llu: column '%s' is given twice (columns "
                        "%zu and "
                        "%zu)\n",
                        cli_esc(e, sizeof e, r->name), r->row_line, cli_esc(e2, sizeof e2, s),
                        p + 1, c + 1);
                return EXIT_IO;
            }
        if (strcmp(s, "id") == 0)
            r->id_col = (int)c;
    }
    return 0;
}

int csv_reader_new(const mga_ruleset *rs, FILE *in, const char *name, csv_reader **out)
{
    return csv_reader_new_max(rs, in, name, CSV_RECORD_MAX, out);
}

int csv_reader_new_max(const mga_ruleset *rs, FILE *in, const char *name, size_t max,
                       csv_reader **out)
{
    *out = NULL;
    csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return EXIT_INTERNAL;
    r->in = in;
    r->name = name;
    r->id_col = -1;
    r->max = max;
    r->nfields = mga_ruleset_field_count(rs);
    r->fields = calloc(r->nfields + 1, sizeof *r->fields);
    r->g = yajl_gen_alloc(NULL);
    r->rbuf = malloc(CSV_RBUF);
    int rc = r->fields && r->g && r->rbuf && parser_reset(r) ? 0 : EXIT_INTERNAL;
    if (!rc)
        yajl_gen_config(r->g, yajl_gen_validate_utf8, 1);
    for (size_t i = 0; !rc && i < r->nfields; i++)
        if (mga_ruleset_field(rs, i, &r->fields[i]) != MGA_OK)
            rc = EXIT_INTERNAL;
    if (!rc)
        rc = read_header(r);
    if (rc) {
        if (rc == EXIT_INTERNAL)
            fputs("mgadvise batch: out of memory\n", stderr);
        csv_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int csv_reader_errno(const csv_reader *r)
{
    return r->err;
}

unsigned long long csv_reader_bytes(const csv_reader *r)
{
    return r->bytes;
}

void csv_reader_header(const csv_reader *r, unsigned long long *blank, unsigned long long *end)
{
    *blank = r->blank_before;
    *end = r->header_line;
}

unsigned csv_reader_column(const csv_reader *r, const char *path, size_t len)
{
    if (len < 2 || path[0] != '$' || path[1] != '.')
        return 0;
    const char *s = path + 2, *e = path + len;
    size_t n = 0;
    while (s + n < e && s[n] != '.' && s[n] != '[' && s[n] != ':')
        n++;
    for (size_t c = 0; c < r->ncols; c++)
        if (strlen(r->cols[c].name) == n && memcmp(r->cols[c].name, s, n) == 0)
            return (unsigned)c + 1;
    return 0;
}

void csv_reader_free(csv_reader *r)
{
    if (!r)
        return;
    if (r->p_ok)
        csv_free(&r->p);
    if (r->g)
        yajl_gen_free(r->g);
    for (size_t c = 0; r->cols && c < r->ncols; c++)
        free(r->cols[c].name);
    free(r->cols);
    free(r->fields);
    free(r->line);
    free(r->rbuf);
    free(r->cells);
    free(r->off);
    free(r->len);
    free(r);
}
