/* SPDX-License-Identifier: MIT */
/* One record of a batch into its output line (see batchrec.h). */
#include "batchrec.h"

#include "jsonesc.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#define OUT_LIT(o, s) outbuf_add((o), (s), sizeof(s) - 1)

static void out_ull(outbuf *o, unsigned long long v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%llu", v);
    outbuf_add(o, t, n > 0 ? (size_t)n : 0);
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p is at '"'; returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            if (++p == e)
                return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *e)
{
    if (p == e)
        return NULL;
    if (*p == '"')
        return skip_string(p, e);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < e) {
            if (*p == '"') {
                p = skip_string(p, e);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    /* a bare value ends at a delimiter, or at a NUL byte (strchr finds the terminator) */
    const char *s = p;
    while (p < e && !strchr(",}] \t\r\n", *p))
        p++;
    return p > s ? p : NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_u4(const char *p, const char *e, unsigned *out)
{
    if (e - p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static void put_utf8(outbuf *b, unsigned cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    outbuf_add(b, t, n);
}

/* A record's own strings (id, path, message) as JSON, escaped by the one string writer
 * (json_esc) as the results are, so that one line never holds two spellings of an escape.
 * They may hold bytes that are not UTF-8 (the id of a line that did not parse, a CSV
 * cell): each such byte becomes U+FFFD first, so the line is always valid JSON. */
static void rec_jstr(outbuf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    for (bool nul = false; i < n; i++) { /* a NUL is valid here: json_esc escapes it */
        i += utf8_check(s + i, n - i, &nul);
        if (i < n && !nul)
            break;
    }
    if (i >= n) {
        json_esc(b, str, n);
        return;
    }
    outbuf t = {.m = b->m};
    for (size_t run = 0; run <= n;) {
        bool nul = false;
        size_t k = run + utf8_check(s + run, n - run, &nul);
        outbuf_add(&t, str + run, k - run + (k < n && nul));
        if (k < n && !nul)
            outbuf_add(&t, "\xEF\xBF\xBD", 3);
        run = k + 1;
    }
    if (t.oom)
        b->oom = true;
    else
        json_esc(b, t.b.p, t.b.len);
    membuf_free(b->m, &t.b);
}

static void rec_jstr0(outbuf *b, const char *s)
{
    if (s)
        rec_jstr(b, s, strlen(s));
    else
        OUT_LIT(b, "null");
}

/* Decodes the JSON string at p (at '"') into out; false if it is not a valid string. */
static bool decode_string(const char *p, const char *e, outbuf *out)
{
    out->b.len = 0;
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return !out->oom;
        if (c < 0x20)
            return false;
        if (c != '\\') {
            outbuf_add(out, p, 1);
            continue;
        }
        if (++p == e)
            return false;
        unsigned cp;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
            outbuf_add(out, p, 1);
            continue;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (!read_u4(p + 1, e, &cp))
                return false;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (e - p > 6 && p[1] == '\\' && p[2] == 'u' && read_u4(p + 3, e, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            break;
        default:
            return false;
        }
        put_utf8(out, cp);
    }
    return false;
}

/* The length of the JSON integer at p (-?(0|[1-9][0-9]*), ended by the end, white space,
 * ',' or '}'), or 0 when there is none: only such an id is echoed unquoted. */
static size_t int_len(const char *p, const char *e)
{
    const char *q = p;
    if (q < e && *q == '-')
        q++;
    if (q == e || *q < '0' || *q > '9')
        return 0;
    if (*q++ != '0')
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    if (q < e && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n' && *q != ',' && *q != '}')
        return 0;
    return (size_t)(q - p);
}

/* Appends the top-level "id" of a record that did not parse (a JSON string or integer, as
 * given) or null, reading only as much of the possibly malformed line as it needs. */
static void put_raw_id(outbuf *b, outbuf *tmp, const char *s, size_t n)
{
    const char *e = s + n, *p = skip_ws(s, e);
    if (p < e && *p == '{') {
        p = skip_ws(p + 1, e);
        while (p && p < e && *p == '"') {
            const char *k = p;
            p = skip_string(p, e);
            if (!p)
                break;
            bool is_id = p - k == 4 && k[1] == 'i' && k[2] == 'd';
            p = skip_ws(p, e);
            if (p == e || *p != ':')
                break;
            p = skip_ws(p + 1, e);
            if (is_id) {
                if (p < e && *p == '"' && decode_string(p, e, tmp)) {
                    rec_jstr(b, tmp->b.p, tmp->b.len);
                    return;
                }
                size_t ilen = int_len(p, e);
                if (ilen) {
                    outbuf_add(b, p, ilen);
                    return;
                }
                break;
            }
            p = skip_value(p, e);
            if (!p)
                break;
            p = skip_ws(p, e);
            if (p == e || *p != ',')
                break;
            p = skip_ws(p + 1, e);
        }
    }
    OUT_LIT(b, "null");
}

/* A record's parts into c: the constant ones listed (handed out where they lie) when the
 * output is gathered, the rest copied; the line end of the last left out (the caller ends
 * the line). Every constant part is listed whatever its length: those of one result that
 * lie side by side come merged (mga_result_parts), and a test of the length would be a
 * branch the profile decides. */
static bool put_parts(const batchrec_cfg *cfg, batchrec_out *c, const mga_part *v, size_t n)
{
    outbuf *o = &c->out;
    if (cfg->gather && c->next + n > c->ext_cap) {
        size_t cap = c->ext_cap ? 2 * c->ext_cap : 256;
        while (cap < c->next + n)
            cap *= 2;
        batchrec_part *ne = mem_realloc(o->m, c->ext, c->ext_cap * sizeof *ne, cap * sizeof *ne);
        if (!ne)
            return false;
        c->ext = ne;
        c->ext_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = v[i].len;
        if (i + 1 == n && len && v[i].p[len - 1] == '\n')
            len--;
        if (v[i].stable && cfg->gather)
            c->ext[c->next++] = (batchrec_part){o->b.len, v[i].p, len};
        else
            outbuf_add(o, v[i].p, len);
    }
    return !o->oom;
}

/* The first error of a profile's diagnostics, or NULL. */
static const mga_diag *first_error(const mga_diags *d)
{
    for (size_t i = 0, n = mga_diags_count(d); i < n; i++) {
        const mga_diag *x = mga_diags_ref(d, i);
        if (x && x->kind == MGA_DIAG_ERROR)
            return x;
    }
    return NULL;
}

/* Appends the error member and closes the output line: ,"error":{...}}. */
static void put_error(outbuf *o, const char *field, size_t field_len, const char *code,
                      const char *msg, size_t msg_len, unsigned long long column)
{
    OUT_LIT(o, ",\"error\":{\"field\":");
    if (field)
        rec_jstr(o, field, field_len);
    else
        OUT_LIT(o, "null");
    OUT_LIT(o, ",\"code\":");
    rec_jstr0(o, code);
    OUT_LIT(o, ",\"message\":");
    rec_jstr(o, msg, msg_len);
    OUT_LIT(o, ",\"column\":");
    out_ull(o, column);
    OUT_LIT(o, "}}\n");
}

mga_status batchrec_write(const batchrec_cfg *cfg, batchrec_worker *w, batchrec_out *c,
                          const char *json, size_t len, unsigned long long line, unsigned kind,
                          bool *bad)
{
    outbuf *o = &c->out;
    *bad = true;
    if (kind == REC_READY) {
        outbuf_add(o, json, len);
        return o->oom ? MGA_E_NOMEM : MGA_OK;
    }
    mga_diags *d = NULL;
    mga_status st;
    if (cfg->input == MGA_BATCH_INPUT_FHIR) {
        /* a new profile per record (FHIR has no reusing reader); the result still points
         * at the last one, and evaluating anew is all it is used for */
        mga_profile_free(w->prof);
        w->prof = NULL;
        st = mga_profile_from_fhir(cfg->rs, "<batch>", json, len, cfg->date, &w->prof, &d);
    } else {
        st = mga_profile_parse_reuse(cfg->rs, "<batch>", json, len, &w->prof, &d);
    }
    OUT_LIT(o, "{\"line\":");
    out_ull(o, line);
    OUT_LIT(o, ",\"id\":");
    if (st == MGA_OK) {
        mga_diags_free(d);
        st = mga_evaluate_reuse(cfg->rs, w->prof, &w->res);
        if (st != MGA_OK)
            return st;
        const mga_result *res = w->res;
        /* the profile reader let only valid UTF-8 through: the result's own writer */
        json_id(o, mga_result_id(res), mga_result_id_is_number(res));
        OUT_LIT(o, ",\"result\":");
        const mga_part *parts = NULL;
        size_t nparts = 0;
        st = mga_result_parts(res, cfg->full ? MGA_FORMAT_JSON : MGA_FORMAT_JSON_LEAN,
                              &parts, &nparts);
        if (st != MGA_OK)
            return st;
        if (!put_parts(cfg, c, parts, nparts))
            return MGA_E_NOMEM;
        OUT_LIT(o, "}\n");
        if (cfg->stats)
            bstats_count(&w->st, res);
        *bad = false;
        return o->oom ? MGA_E_NOMEM : MGA_OK;
    }
    if (st != MGA_E_PROFILE) {
        mga_diags_free(d);
        return st;
    }
    const mga_diag *dg = first_error(d);
    put_raw_id(o, &w->scratch, json, len);
    const char *msg = dg && dg->message ? dg->message : "invalid profile";
    const char *field = dg ? dg->path : NULL;
    size_t flen = field ? strlen(field) : 0, mlen = strlen(msg);
    char code[16];
    if (dg)
        snprintf(code, sizeof code, "E%04u", dg->code);
    unsigned long long col = dg ? dg->col : 0;
    if (kind == REC_CSV && dg) {
        /* the JSON is ours, not the input: name the CSV column, and drop the byte offset
         * that ends a located profile message (diag.c writes it) */
        col = field ? csvin_column(cfg->csv, field, flen) : 0;
        char at[40];
        int n = snprintf(at, sizeof at, " (byte %zu)", dg->offset);
        size_t an = n > 0 ? (size_t)n : 0;
        if (dg->line && an && mlen >= an && memcmp(msg + mlen - an, at, an) == 0)
            mlen -= an;
    }
    put_error(o, field, flen, dg ? code : NULL, msg, mlen, col);
    mga_diags_free(d);
    return o->oom || w->scratch.oom ? MGA_E_NOMEM : MGA_OK;
}


void batchrec_error_line(outbuf *o, unsigned long long line, const char *id, size_t id_len,
                         const char *field, const char *code, const char *msg,
                         unsigned long long column)
{
    OUT_LIT(o, "{\"line\":");
    out_ull(o, line);
    OUT_LIT(o, ",\"id\":");
    if (id)
        rec_jstr(o, id, id_len);
    else
        OUT_LIT(o, "null");
    put_error(o, field, field ? strlen(field) : 0, code, msg, strlen(msg), column);
}

void batchrec_worker_free(batchrec_worker *w, const mem *m)
{
    membuf_free(m, &w->scratch.b);
    mga_result_free(w->res);
    mga_profile_free(w->prof);
    bstats_free(&w->st, m);
}
