/* SPDX-License-Identifier: MIT */
/* Check pass: cited quotes against the source documents (see quote.h). */
#include "quote.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

size_t quote_normalise(const char *s, size_t len, char *out)
{
    size_t o = 0;
    bool space = true; /* drop leading white space */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t adv = 1;
        if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80) {
            unsigned char c3 = (unsigned char)s[i + 2];
            if (c3 == 0x98 || c3 == 0x99 || c3 == 0x9B || c3 == 0xB2)
                rep = "'";
            else if (c3 == 0x9C || c3 == 0x9D || c3 == 0x9F || c3 == 0xB3)
                rep = "\"";
            else if (c3 >= 0x90 && c3 <= 0x95)
                rep = "-";
            else if (c3 == 0xAF || (c3 >= 0x80 && c3 <= 0x8A))
                rep = " ";
            if (rep)
                adv = 3;
        } else if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) {
            rep = " ";
            adv = 2;
        }
        char ch = rep ? rep[0] : (char)c;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
            if (!space)
                out[o++] = ' ';
            space = true;
        } else {
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

typedef struct doc {
    char *text; /* normalised */
    bool tried, ok;
} doc;

static bool load(arena *a, const char *dir, const char *file, doc *dc, char *err, size_t errn)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errn, "%s: %s", path, strerror(errno));
        return true;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = arena_alloc(a, cap);
    if (!buf) {
        fclose(f);
        return false;
    }
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = arena_alloc(a, cap * 2);
            if (!nb) {
                fclose(f);
                return false;
            }
            memcpy(nb, buf, len);
            buf = nb;
            cap *= 2;
        }
    }
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        snprintf(err, errn, "%s: read error", path);
        return true;
    }
    dc->text = arena_alloc(a, len + 1);
    if (!dc->text)
        return false;
    quote_normalise(buf, len, dc->text);
    dc->ok = true;
    return true;
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
            quote_normalise(ct->quote, ql, q);
            if (!strstr(dc->text, q)) {
                mga_diag *dg = diag_add(d, DIAG_QUOTE_NOT_FOUND, dsrc[ct->quote_at.file],
                                        ct->quote_at.off, ct->quote_at.len, s->key.s, s->file);
                diag_note(d, dg, "quotes must be verbatim; case, white space and curly quotes "
                                 "are ignored");
            }
        }
    }
    return !d->oom;
}
