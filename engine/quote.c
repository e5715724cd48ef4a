/* SPDX-License-Identifier: MIT */
/* Check pass: cited quotes against the source documents (see quote.h). */
#include "quote.h"

#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The ASCII stand-in for the typographic character at s[i] (NULL: none) and its length in
 * bytes in *adv (1 when there is no stand-in). */
static const char *fold(const char *s, size_t len, size_t i, size_t *adv)
{
    unsigned char c = (unsigned char)s[i];
    *adv = 1;
    if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80) {
        unsigned char c3 = (unsigned char)s[i + 2];
        const char *rep = NULL;
        if (c3 == 0x98 || c3 == 0x99 || c3 == 0x9B || c3 == 0xB2)
            rep = "'";
        else if (c3 == 0x9C || c3 == 0x9D || c3 == 0x9F || c3 == 0xB3)
            rep = "\"";
        else if (c3 >= 0x90 && c3 <= 0x95)
            rep = "-";
        else if (c3 == 0xAF || (c3 >= 0x80 && c3 <= 0x8A))
            rep = " ";
        if (rep)
            *adv = 3;
        return rep;
    }
    if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) {
        *adv = 2;
        return " ";
    }
    return NULL;
}

/* quote_normalise; map (NULL, or capacity >= len) gets the offset in s of each output byte. */
static size_t normalise(const char *s, size_t len, char *out, size_t *map)
{
    size_t o = 0;
    bool space = true; /* drop leading white space */
    for (size_t i = 0; i < len;) {
        size_t adv;
        const char *rep = fold(s, len, i, &adv);
        char ch = rep ? rep[0] : s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
            if (!space) {
                if (map)
                    map[o] = i;
                out[o++] = ' ';
            }
            space = true;
        } else {
            if (map)
                map[o] = i;
            out[o++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
            space = false;
        }
        i += adv;
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

size_t quote_normalise(const char *s, size_t len, char *out)
{
    return normalise(s, len, out, NULL);
}

/* ---- reference markers and passages ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_line_end(char c)
{
    return c == '\n' || c == '\r';
}

/* The length of the white space character (not a line break) at s[k], or 0: a space, a
 * tab, a no-break space or a Unicode space (U+2000..U+200A, U+202F). */
static size_t space_len(const char *s, size_t len, size_t k)
{
    if (k >= len)
        return 0;
    if (s[k] == ' ' || s[k] == '\t')
        return 1;
    size_t adv;
    const char *rep = fold(s, len, k, &adv);
    return rep && rep[0] == ' ' ? adv : 0;
}

/* Reads a number of one to three digits at s[*j]; false when there is none or it is longer. */
static bool read_num(const char *s, size_t len, size_t *j, unsigned *out)
{
    size_t k = *j;
    unsigned v = 0;
    while (k < len && is_digit(s[k]) && k - *j < 4)
        v = v * 10 + (unsigned)(s[k++] - '0');
    if (k == *j || k - *j > 3)
        return false;
    *j = k;
    *out = v;
    return true;
}

/* Reads "N", "N-M" or "N–M" items joined by ',' (and a space after the comma when spaced)
 * from s[i]; returns the end, or 0 when there is no well-formed group. */
static size_t read_group(const char *s, size_t len, size_t i, bool spaced, quote_marker *m)
{
    size_t j = i;
    m->n = 0;
    for (;;) {
        unsigned lo, hi;
        if (!read_num(s, len, &j, &lo))
            return 0;
        hi = lo;
        size_t k = j;
        if (k < len && s[k] == '-')
            k++;
        else if (k + 2 < len && (unsigned char)s[k] == 0xE2 && (unsigned char)s[k + 1] == 0x80 &&
                 (unsigned char)s[k + 2] == 0x93)
            k += 3;
        if (k != j && k < len && is_digit(s[k])) {
            if (!read_num(s, len, &k, &hi) || hi < lo)
                return 0;
            j = k;
        }
        if (m->n == QUOTE_MARKER_MAX)
            return 0;
        m->lo[m->n] = lo;
        m->hi[m->n] = hi;
        m->n++;
        k = j;
        if (k < len && s[k] == ',') {
            k++;
            if (spaced && k < len && s[k] == ' ')
                k++;
            if (k < len && is_digit(s[k])) {
                j = k;
                continue;
            }
        }
        return j;
    }
}

/* Whether the byte before s[i] ends a clause: . , ; ! ? ) ] or a straight or closing
 * quote, itself not after a digit (a decimal point or a thousands comma). A colon
 * introduces rather than ends, and in reference lists it precedes page numbers. */
static bool after_clause(const char *s, size_t i)
{
    if (i >= 3 && (unsigned char)s[i - 3] == 0xE2 && (unsigned char)s[i - 2] == 0x80 &&
        ((unsigned char)s[i - 1] == 0x9D || (unsigned char)s[i - 1] == 0x99))
        return true;
    if (i < 1 || !strchr(".,;!?)]\"'", s[i - 1]) || s[i - 1] == '\0')
        return false;
    return i < 2 || !is_digit(s[i - 2]);
}

bool quote_marker_at(const char *s, size_t len, size_t i, quote_marker *out)
{
    if (i >= len)
        return false;
    if (s[i] == '(' || s[i] == '[') {
        if (i > 0 && is_alnum(s[i - 1]))
            return false;
        size_t j = read_group(s, len, i + 1, true, out);
        if (!j || j >= len || s[j] != (s[i] == '(' ? ')' : ']'))
            return false;
        out->off = i;
        out->len = j + 1 - i;
        return true;
    }
    if (!is_digit(s[i]) || !after_clause(s, i))
        return false;
    size_t j = read_group(s, len, i, false, out);
    if (!j || (j < len && !strchr(" \t\n\r.,;:)", s[j]) && !space_len(s, len, j)))
        return false;
    out->off = i;
    out->len = j - i;
    return true;
}

bool quote_marker_has(const quote_marker *m, unsigned n)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->lo[i] <= n && n <= m->hi[i])
            return true;
    return false;
}

/* Whether a sentence may end at s[k]: the end of the text or of the line, or white space and
 * then the end, a line break or anything but a lower-case letter. */
static bool ends_here(const char *s, size_t len, size_t k)
{
    if (k >= len || is_line_end(s[k]))
        return true;
    if (!space_len(s, len, k))
        return false;
    for (size_t n; (n = space_len(s, len, k)) != 0;)
        k += n;
    return k >= len || is_line_end(s[k]) || !(s[k] >= 'a' && s[k] <= 'z');
}

/* The end of the sentence that ends at s[j] (a line break, sentence punctuation or a
 * marker), or 0 when none ends there. */
static size_t sentence_end(const char *s, size_t len, size_t j)
{
    quote_marker m;
    if (is_line_end(s[j]))
        return j;
    if (s[j] == '.' || s[j] == '!' || s[j] == '?') {
        size_t k = j + 1;
        for (;;) { /* closing quotes and brackets stay with the sentence */
            if (k < len && (s[k] == ')' || s[k] == ']' || s[k] == '"' || s[k] == '\''))
                k++;
            else if (k + 2 < len && (unsigned char)s[k] == 0xE2 &&
                     (unsigned char)s[k + 1] == 0x80 &&
                     ((unsigned char)s[k + 2] == 0x9D || (unsigned char)s[k + 2] == 0x99))
                k += 3;
            else
                break;
        }
        size_t mk = 0;
        if (quote_marker_at(s, len, k, &m))
            mk = m.off + m.len;
        else if (space_len(s, len, k) && quote_marker_at(s, len, k + space_len(s, len, k), &m))
            mk = m.off + m.len; /* ". (4)" */
        if (mk && ends_here(s, len, mk))
            return mk;
        return ends_here(s, len, k) ? k : 0;
    }
    if (quote_marker_at(s, len, j, &m) && ends_here(s, len, m.off + m.len))
        return m.off + m.len;
    return 0;
}

size_t quote_passage_end(const char *s, size_t len, size_t qe)
{
    quote_marker m;
    for (size_t j = qe; j < len; j++) {
        size_t e = sentence_end(s, len, j);
        if (e || is_line_end(s[j]))
            return e ? e : j;
        if (quote_marker_at(s, len, j, &m))
            return m.off + m.len;
    }
    return len;
}

bool quote_next_marker(const char *s, size_t len, size_t from, size_t to, quote_marker *out)
{
    for (size_t j = from; j < to && j < len; j++)
        if (quote_marker_at(s, len, j, out) && out->off + out->len <= to)
            return true;
    return false;
}

/* ---- the check ---- */

typedef struct doc {
    const char *raw; /* the file as read */
    size_t rawlen;
    char *text; /* normalised */
    size_t *map; /* offset in raw of each byte of text */
    bool tried, ok;
} doc;

static bool load(arena *a, const char *dir, const char *file, doc *dc, char *err, size_t errn)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *raw;
    size_t len;
    int eno;
    switch (file_read(a->m, path, 0, &raw, &len, &eno)) {
    case FILE_OK:
        break;
    case FILE_NOMEM:
        return false;
    case FILE_OPEN:
        snprintf(err, errn, "%s: %s", path, strerror(eno));
        return true;
    default:
        snprintf(err, errn, "%s: read error", path);
        return true;
    }
    /* the document lives as long as the check's arena */
    char *buf = arena_alloc(a, len + 1);
    if (buf)
        memcpy(buf, raw, len + 1);
    mem_free(a->m, raw, len + 1);
    if (!buf)
        return false;
    dc->text = arena_alloc(a, len + 1);
    dc->map = arena_alloc(a, (len + 1) * sizeof *dc->map);
    if (!dc->text || !dc->map)
        return false;
    normalise(buf, len, dc->text, dc->map);
    dc->raw = buf;
    dc->rawlen = len;
    dc->ok = true;
    return true;
}

/* "reference 3", "references 7, 8" or "no marker": the declared references that the
 * markers in raw[from..to) carry. */
static void carried(const ast_source *s, const doc *dc, size_t from, size_t to, char *out,
                    size_t outn)
{
    unsigned nums[16];
    size_t count = 0;
    for (size_t k = 0; k < s->refs.len && count < 16; k++) {
        unsigned n = VEC_AT(s->refs, ast_ref, k)->n;
        quote_marker m;
        bool has = false;
        for (size_t j = from; !has && quote_next_marker(dc->raw, dc->rawlen, j, to, &m);
             j = m.off + m.len)
            has = quote_marker_has(&m, n);
        if (has)
            nums[count++] = n;
    }
    if (count == 0) {
        snprintf(out, outn, "no marker");
        return;
    }
    int o = snprintf(out, outn, "%s", count == 1 ? "reference " : "references ");
    for (size_t i = 0; i < count && o > 0 && (size_t)o < outn; i++)
        o += snprintf(out + o, outn - (size_t)o, "%s%u", i ? ", " : "", nums[i]);
}

/* The first marker for reference n in the document, or false. */
static bool find_marker(const doc *dc, unsigned n, quote_marker *out)
{
    for (size_t j = 0; quote_next_marker(dc->raw, dc->rawlen, j, dc->rawlen, out);
         j = out->off + out->len)
        if (quote_marker_has(out, n))
            return true;
    return false;
}

/* Up to about 48 bytes of the line before raw[end], starting at a word: where a marker sits. */
static void words_before(const doc *dc, size_t end, char *out, size_t outn)
{
    size_t b = end;
    while (b > 0 && !is_line_end(dc->raw[b - 1]) && end - b < 48)
        b--;
    bool cut = b > 0 && !is_line_end(dc->raw[b - 1]);
    if (cut) {
        while (b < end && dc->raw[b] != ' ')
            b++;
        while (b < end && dc->raw[b] == ' ')
            b++;
    }
    while (end > b && dc->raw[end - 1] == ' ')
        end--;
    snprintf(out, outn, "%s%.*s", cut ? "..." : "", (int)(end - b), dc->raw + b);
}

/* A numbered cite's quote at raw[qs..qe): which references its passage carries (bit k for
 * refs[k]). */
static uint64_t passage_refs(const ast_cite *ct, const doc *dc, size_t qs, size_t pe)
{
    uint64_t bits = 0;
    quote_marker m;
    for (size_t j = qs; quote_next_marker(dc->raw, dc->rawlen, j, pe, &m); j = m.off + m.len)
        for (size_t k = 0; k < ct->refs.len && k < 64; k++)
            if (quote_marker_has(&m, VEC_AT(ct->refs, ast_ref, k)->n))
                bits |= (uint64_t)1 << k;
    return bits;
}

static unsigned popcount(uint64_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* Reports the references of a numbered cite that its quoted passage does not mark (or that
 * 'unmarked' excuses needlessly), and a passage that runs into another reference's. */
static void check_refs(const ast_cite *ct, const ast_source *s, const doc *dc, const char *q,
                       size_t ql, mga_diags *d, const int *dsrc)
{
    size_t nref = ct->refs.len < 64 ? ct->refs.len : 64;
    uint64_t all = nref == 64 ? ~(uint64_t)0 : (((uint64_t)1 << nref) - 1), best = 0;
    size_t bqs = 0, bpe = 0;
    bool first = true;
    /* the quote may occur more than once: the occurrence that marks the most references */
    for (const char *hit = strstr(dc->text, q); hit; hit = strstr(hit + 1, q)) {
        size_t o = (size_t)(hit - dc->text), last = dc->map[o + ql - 1], adv;
        fold(dc->raw, dc->rawlen, last, &adv);
        size_t qs = dc->map[o], qe = last + adv;
        size_t pe = quote_passage_end(dc->raw, dc->rawlen, qe);
        uint64_t bits = passage_refs(ct, dc, qs, pe);
        if (first || popcount(bits) > popcount(best)) {
            best = bits;
            bqs = qs;
            bpe = pe;
            first = false;
        }
    }
    if (first)
        return;
    if (best != all && !ct->unmarked) {
        char have[160], where[80];
        carried(s, dc, bqs, bpe, have, sizeof have);
        for (size_t k = 0; k < nref; k++) {
            if (best >> k & 1)
                continue;
            const ast_ref *r = VEC_AT(ct->refs, ast_ref, k);
            mga_diag *dg = diag_add(d, DIAG_REF_UNMARKED, dsrc[r->at.file], r->at.off, r->at.len,
                                    r->n, s->key.s);
            quote_marker m;
            if (find_marker(dc, r->n, &m)) {
                words_before(dc, m.off + m.len, where, sizeof where);
                diag_note(d, dg, "the quoted passage carries %s; the document marks %u at '%s'",
                          have, r->n, where);
            } else {
                diag_note(d, dg, "the quoted passage carries %s; the document has no marker "
                                 "for %u", have, r->n);
            }
        }
    } else if (best == all && ct->unmarked) {
        diag_add(d, DIAG_UNMARKED_NEEDLESS, dsrc[ct->unmarked_at.file], ct->unmarked_at.off,
                 ct->unmarked_at.len, s->key.s);
    }
    if (best != all && !ct->unmarked)
        return; /* reported above; the passage is wrong anyway */
    /* a marker in the passage that carries none of the cited references, but a declared one:
     * the quote runs into the passage of another reference */
    quote_marker m;
    for (size_t j = bqs; quote_next_marker(dc->raw, dc->rawlen, j, bpe, &m); j = m.off + m.len) {
        bool cited = false;
        for (size_t k = 0; k < ct->refs.len; k++)
            cited |= quote_marker_has(&m, VEC_AT(ct->refs, ast_ref, k)->n);
        unsigned other = 0;
        for (size_t k = 0; !cited && !other && k < s->refs.len; k++)
            if (quote_marker_has(&m, VEC_AT(s->refs, ast_ref, k)->n))
                other = VEC_AT(s->refs, ast_ref, k)->n;
        if (other) {
            mga_diag *dg = diag_add(d, DIAG_QUOTE_CROSSES_REF, dsrc[ct->quote_at.file],
                                    ct->quote_at.off, ct->quote_at.len, other, s->key.s);
            diag_note(d, dg, "quote only the words the cited references mark, or cite %u too",
                      other);
            break;
        }
    }
}

bool quote_check(const ast_program *p, mga_diags *d, const int *dsrc, const char *dir)
{
    size_t ns = p->sources.len;
    doc *docs = arena_alloc(p->a, (ns + 1) * sizeof *docs);
    if (!docs)
        return false;
    for (size_t i = 0; i < p->rules.len; i++) {
        const ast_rule *r = VEC_AT(p->rules, ast_rule, i);
        for (size_t c = 0; c < r->cites.len; c++) {
            const ast_cite *ct = VEC_AT(r->cites, ast_cite, c);
            if (ct->src < 0 || !ct->quote)
                continue;
            const ast_source *s = VEC_AT(p->sources, ast_source, (size_t)ct->src);
            doc *dc = &docs[ct->src];
            if (!dc->tried) {
                dc->tried = true;
                char err[4200];
                if (!s->file) {
                    diag_add(d, DIAG_NO_SOURCE_FILE, dsrc[s->key.at.file], s->key.at.off,
                             s->key.at.len, s->key.s);
                } else if (!load(p->a, dir, s->file, dc, err, sizeof err)) {
                    return false;
                } else if (!dc->ok) {
                    diag_add(d, DIAG_SOURCE_FILE, dsrc[s->file_at.file], s->file_at.off,
                             s->file_at.len, s->key.s, err);
                }
            }
            if (!dc->ok)
                continue;
            size_t ql = strlen(ct->quote);
            char *q = arena_alloc(p->a, ql + 1);
            if (!q)
                return false;
            ql = quote_normalise(ct->quote, ql, q);
            if (!strstr(dc->text, q)) {
                mga_diag *dg = diag_add(d, DIAG_QUOTE_NOT_FOUND, dsrc[ct->quote_at.file],
                                        ct->quote_at.off, ct->quote_at.len, s->key.s, s->file);
                diag_note(d, dg, "quotes must be verbatim; case, white space and curly quotes "
                                 "are ignored");
            } else if (ct->refs.len && ql) {
                check_refs(ct, s, dc, q, ql, d, dsrc);
            }
        }
    }
    return !d->oom;
}
