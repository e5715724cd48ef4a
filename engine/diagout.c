/* SPDX-License-Identifier: MIT */
/* Diagnostics as data (mga_diags_write): a diagnostic list as a JSON array or as one SARIF
 * 2.1.0 log, written with yajl_gen (jsongen.h). Reads the list only; used after any pass. */
#include "diag.h"
#include "jsongen.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* Every code of diag_codes.def, in its order: the SARIF rules array, indexed by results. */
static const struct {
    unsigned code;
    mga_diag_kind kind;
    const char *fmt;
} all_codes[] = {
#define X(name, code, kind, fmt) {code, MGA_DIAG_##kind, fmt},
#include "diag_codes.def"
#undef X
};
enum { NCODES = sizeof all_codes / sizeof all_codes[0] };

/* The layout the engine puts between several notes of one diagnostic (diag.c renders it). */
static const char note_sep[] = "\n  note: ";

typedef struct dout {
    const mem *m;
    yajl_gen g;
    outbuf o;     /* the whole document */
    membuf fix;   /* scratch: a string with its invalid UTF-8 replaced */
} dout;

static void d_print(void *ctx, const char *s, size_t len)
{
    outbuf_put(ctx, s, len);
}

/* s[0, n) as a JSON string; a byte that is not valid UTF-8 becomes U+FFFD, so that the
 * document stays JSON whatever a message quotes. */
static void put_strn(dout *o, const char *s, size_t n)
{
    size_t ok = utf8_check((const unsigned char *)s, n, &(bool){false});
    if (ok == n) {
        yajl_gen_string(o->g, (const unsigned char *)s, n);
        return;
    }
    o->fix.len = 0;
    while (n) {
        ok = utf8_check((const unsigned char *)s, n, &(bool){false});
        if (!membuf_add(o->m, &o->fix, s, ok)) {
            o->o.oom = true;
            return;
        }
        if (ok == n)
            break;
        if (!membuf_add(o->m, &o->fix, "\xEF\xBF\xBD", 3)) {
            o->o.oom = true;
            return;
        }
        s += ok + 1;
        n -= ok + 1;
    }
    yajl_gen_string(o->g, (const unsigned char *)(o->fix.p ? o->fix.p : ""), o->fix.len);
}

static void put_str(dout *o, const char *s)
{
    if (s)
        put_strn(o, s, strlen(s));
    else
        yajl_gen_null(o->g);
}

/* A message template as a rule's description: each printf conversion ("%s", "%zu",
 * "%02x") becomes "\u2026" (the part the message fills in), "%%" a '%'. */
static void put_template(dout *o, const char *fmt)
{
    o->fix.len = 0;
    for (const char *p = fmt; *p && !o->o.oom;) {
        size_t run = strcspn(p, "%");
        if (!membuf_add(o->m, &o->fix, p, run))
            o->o.oom = true;
        p += run;
        if (!*p)
            break;
        if (p[1] == '%') {
            if (!membuf_add(o->m, &o->fix, "%", 1))
                o->o.oom = true;
            p += 2;
            continue;
        }
        p++;
        while (*p && strchr("0123456789.-+ #lzhjt", *p)) /* flags, width, length */
            p++;
        if (*p)
            p++; /* the conversion */
        if (!membuf_add(o->m, &o->fix, "\xE2\x80\xA6", 3))
            o->o.oom = true;
    }
    if (!o->o.oom)
        yajl_gen_string(o->g, (const unsigned char *)(o->fix.p ? o->fix.p : ""), o->fix.len);
}

static void key(dout *o, const char *k)
{
    yajl_gen_string(o->g, (const unsigned char *)k, strlen(k));
}

static void put_uint(dout *o, unsigned v)
{
    yajl_gen_integer(o->g, (long long)v);
}

static const char *level(mga_diag_kind k)
{
    return k == MGA_DIAG_ERROR ? "error" : k == MGA_DIAG_WARNING ? "warning" : "note";
}

/* "E3104", "W5005", "N5006": as mga_diags_render prints it. */
static void code_id(char *buf, size_t cap, mga_diag_kind k, unsigned code)
{
    snprintf(buf, cap, "%c%04u", k == MGA_DIAG_WARNING ? 'W' : k == MGA_DIAG_NOTE ? 'N' : 'E',
             code);
}

/* The notes of dg, one array element each. */
static void put_notes(dout *o, const mga_diag *dg)
{
    yajl_gen_array_open(o->g);
    for (const char *p = dg->note, *q; p; p = q ? q + sizeof note_sep - 1 : NULL) {
        q = strstr(p, note_sep);
        put_strn(o, p, q ? (size_t)(q - p) : strlen(p));
    }
    yajl_gen_array_close(o->g);
}

static void put_pos(dout *o, const char *k, unsigned v)
{
    key(o, k);
    if (v)
        put_uint(o, v);
    else
        yajl_gen_null(o->g);
}

static void write_json(dout *o, const mga_diags *d)
{
    char id[16];
    yajl_gen_array_open(o->g);
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        yajl_gen_map_open(o->g);
        key(o, "file");
        put_str(o, dg->file);
        put_pos(o, "line", dg->line);
        put_pos(o, "column", dg->line ? dg->col : 0);
        put_pos(o, "end_line", dg->line ? dg->end_line : 0);
        put_pos(o, "end_column", dg->line ? dg->end_col : 0);
        key(o, "code");
        code_id(id, sizeof id, dg->kind, dg->code);
        put_str(o, id);
        key(o, "severity");
        put_str(o, level(dg->kind));
        key(o, "message");
        put_str(o, dg->message);
        key(o, "notes");
        put_notes(o, dg);
        key(o, "path");
        put_str(o, dg->path);
        key(o, "witness");
        put_str(o, dg->witness);
        yajl_gen_map_close(o->g);
    }
    yajl_gen_array_close(o->g);
}

/* A file name as a URI reference: percent-encoded but for the unreserved characters and
 * '/'; an absolute path becomes a file: URI. */
static void put_uri(dout *o, const char *file)
{
    static const char hex[] = "0123456789ABCDEF";
    membuf b = {NULL, 0, 0};
    bool ok = file[0] != '/' || membuf_add(o->m, &b, "file://", 7);
    for (const unsigned char *p = (const unsigned char *)file; ok && *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            ok = membuf_add(o->m, &b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            ok = membuf_add(o->m, &b, e, 3);
        }
    }
    if (ok)
        yajl_gen_string(o->g, (const unsigned char *)(b.p ? b.p : ""), b.len);
    else
        o->o.oom = true;
    membuf_free(o->m, &b);
}

/* The message and every note, one line each: SARIF viewers show message.text alone. */
static void put_message(dout *o, const mga_diag *dg)
{
    membuf b = {NULL, 0, 0};
    bool ok = membuf_add(o->m, &b, dg->message, strlen(dg->message));
    for (const char *p = dg->note, *q; ok && p; p = q ? q + sizeof note_sep - 1 : NULL) {
        q = strstr(p, note_sep);
        ok = membuf_add(o->m, &b, "\nnote: ", 7) &&
             membuf_add(o->m, &b, p, q ? (size_t)(q - p) : strlen(p));
    }
    if (ok)
        put_strn(o, b.p, b.len);
    else
        o->o.oom = true;
    membuf_free(o->m, &b);
}

static size_t rule_index(unsigned code)
{
    for (size_t i = 0; i < NCODES; i++)
        if (all_codes[i].code == code)
            return i;
    return NCODES;
}

static void write_result(dout *o, const mga_diag *dg)
{
    char id[16];
    yajl_gen_map_open(o->g);
    key(o, "ruleId");
    code_id(id, sizeof id, dg->kind, dg->code);
    put_str(o, id);
    size_t ix = rule_index(dg->code);
    if (ix < NCODES) {
        key(o, "ruleIndex");
        yajl_gen_integer(o->g, (long long)ix);
    }
    key(o, "level");
    put_str(o, level(dg->kind));
    key(o, "message");
    yajl_gen_map_open(o->g);
    key(o, "text");
    put_message(o, dg);
    yajl_gen_map_close(o->g);
    if (dg->file) {
        /* a diagnostic about no file (too many errors, out of memory) has no location */
        key(o, "locations");
        yajl_gen_array_open(o->g);
        yajl_gen_map_open(o->g);
        key(o, "physicalLocation");
        yajl_gen_map_open(o->g);
        key(o, "artifactLocation");
        yajl_gen_map_open(o->g);
        key(o, "uri");
        put_uri(o, dg->file);
        yajl_gen_map_close(o->g);
        if (dg->line) {
            key(o, "region");
            yajl_gen_map_open(o->g);
            key(o, "startLine");
            put_uint(o, dg->line);
            key(o, "startColumn");
            put_uint(o, dg->col);
            key(o, "endLine");
            put_uint(o, dg->end_line);
            key(o, "endColumn");
            put_uint(o, dg->end_col);
            yajl_gen_map_close(o->g);
        }
        yajl_gen_map_close(o->g);
        yajl_gen_map_close(o->g);
        yajl_gen_array_close(o->g);
    }
    if (dg->path || dg->witness) {
        key(o, "properties");
        yajl_gen_map_open(o->g);
        if (dg->path) {
            key(o, "path");
            put_str(o, dg->path);
        }
        if (dg->witness) {
            key(o, "witness");
            put_str(o, dg->witness);
        }
        yajl_gen_map_close(o->g);
    }
    yajl_gen_map_close(o->g);
}

static void write_sarif(dout *o, const mga_diags *d)
{
    char id[16];
    yajl_gen_map_open(o->g);
    key(o, "$schema");
    put_str(o, "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
               "sarif-schema-2.1.0.json");
    key(o, "version");
    put_str(o, "2.1.0");
    key(o, "runs");
    yajl_gen_array_open(o->g);
    yajl_gen_map_open(o->g);
    key(o, "tool");
    yajl_gen_map_open(o->g);
    key(o, "driver");
    yajl_gen_map_open(o->g);
    key(o, "name");
    put_str(o, "mgadvise");
    key(o, "version");
    put_str(o, MGA_VERSION);
    key(o, "rules");
    yajl_gen_array_open(o->g);
    for (size_t i = 0; i < NCODES; i++) {
        yajl_gen_map_open(o->g);
        key(o, "id");
        code_id(id, sizeof id, all_codes[i].kind, all_codes[i].code);
        put_str(o, id);
        key(o, "shortDescription");
        yajl_gen_map_open(o->g);
        key(o, "text");
        put_template(o, all_codes[i].fmt);
        yajl_gen_map_close(o->g);
        key(o, "defaultConfiguration");
        yajl_gen_map_open(o->g);
        key(o, "level");
        put_str(o, level(all_codes[i].kind));
        yajl_gen_map_close(o->g);
        yajl_gen_map_close(o->g);
    }
    yajl_gen_array_close(o->g);
    yajl_gen_map_close(o->g);
    yajl_gen_map_close(o->g);
    key(o, "columnKind");
    put_str(o, "unicodeCodePoints");
    key(o, "results");
    yajl_gen_array_open(o->g);
    for (size_t i = 0; i < mga_diags_count(d); i++)
        write_result(o, mga_diags_ref(d, i));
    yajl_gen_array_close(o->g);
    yajl_gen_map_close(o->g);
    yajl_gen_array_close(o->g);
    yajl_gen_map_close(o->g);
}

mga_status mga_diags_write(const mga_diags *d, mga_diags_format fmt, mga_write_fn fn, void *ud)
{
    if (!d || !fn)
        return MGA_E_MISUSE;
    if (fmt == MGA_DIAGS_TEXT)
        return mga_diags_render(d, fn, ud);
    if (fmt != MGA_DIAGS_JSON && fmt != MGA_DIAGS_SARIF)
        return MGA_E_MISUSE;
    dout o = {&d->m, NULL, {&d->m, {NULL, 0, 0}, false}, {NULL, 0, 0}};
    jgen j;
    if (!jgen_open(&j, &d->m, d_print, &o.o, true))
        return MGA_E_NOMEM;
    o.g = j.g;
    if (fmt == MGA_DIAGS_JSON)
        write_json(&o, d);
    else
        write_sarif(&o, d);
    jgen_close(&j);
    /* yajl ends an indented document with a newline; one newline ends it in any case */
    if (!o.o.b.len || o.o.b.p[o.o.b.len - 1] != '\n')
        outbuf_put(&o.o, "\n", 1);
    mga_status st = MGA_OK;
    if (o.o.oom)
        st = MGA_E_NOMEM;
    else if (fn(ud, o.o.b.p, o.o.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&d->m, &o.o.b);
    membuf_free(&d->m, &o.fix);
    return st;
}
