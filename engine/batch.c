/* SPDX-License-Identifier: MIT */
/* The batch engine (mga_batch_*): JSON lines fed in any split, cut into chunks of records,
 * evaluated on worker threads against one shared rule set, each chunk's output lines
 * written strictly in input order by whichever worker finds the next one done. */
#include "arena.h"
#include "graph.h"
#include "jsonesc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A chunk ends after c->max records (CHUNK_MIN to CHUNK_MAX) or once its lines hold
 * CHUNK_BYTES; the ring holds RING_PER_THREAD chunks per worker. With threads, c->max is
 * chosen so that a chunk's output comes to about CHUNK_OUT bytes at the output per record
 * so far: small records make large chunks (few handoffs), large ones small chunks
 * (bounded memory). */
#define CHUNK_MIN 32
#define CHUNK_MAX 1024
#define CHUNK_BYTES (1u << 20)
#define CHUNK_OUT (1u << 20)
#define RING_PER_THREAD 4
/* A line longer than a profile may be keeps only this much: enough for the profile reader
 * to report it (E4012) and for its id to be found. */
#define LINE_KEEP (MGA_PROFILE_MAX_BYTES + 1)
/* A FHIR line may be as long as the FHIR reader reads (16 MiB), not a profile's 1 MiB:
 * cut shorter, a good Bundle would be lost as bad JSON */
#define FHIR_KEEP (MGA_FHIR_MAX_BYTES + 1)
/* A buffer grown past this by one unusual chunk is released after use. */
#define KEEP_BYTES (64u << 20)

typedef struct rec {
    size_t off, len;         /* the line in chunk.in, without its line end */
    unsigned long long line; /* its input line number */
} rec;

typedef struct chunk {
    outbuf in;  /* the records' bytes, each NUL-terminated */
    outbuf out; /* their output lines */
    rec recs[CHUNK_MAX];
    size_t nrec, max;
    unsigned long long ok, errors, blanks;
    unsigned long long last_line; /* the last input line this chunk consumed */
    bool done;                    /* evaluated; guarded by mga_batch.mu */
    mga_status fatal;
} chunk;

typedef struct worker {
    mga_batch *b;
    pthread_t th;
    mga_profile *prof; /* reused: once warm, parsing allocates nothing */
    mga_result *res;
    outbuf scratch; /* a decoded id */
} worker;

struct mga_batch {
    const mga_ruleset *rs;
    const mem *m;
    mga_batch_options opt;
    char date[11]; /* FHIR input: the request date, YYYY-MM-DD and a NUL */

    /* the feeding side */
    outbuf line;   /* the line being read: at most keep bytes of it */
    size_t keep;   /* LINE_KEEP, or for FHIR input FHIR_KEEP */
    bool line_any; /* bytes of a line not yet ended were fed */
    unsigned long long lineno;
    chunk *fill; /* the chunk being filled, or NULL */
    bool finished;
    mga_status status; /* the first fatal error */

    /* the ring, guarded by mu */
    chunk *ring;
    size_t nring;
    unsigned long long nfill, ntake, nwrite;
    unsigned long long out_bytes, out_recs; /* for chunk_max */
    bool input_done, abort, writing;
    pthread_mutex_t mu;
    pthread_cond_t work, room;
    worker *ws;
    size_t nw, started;

    /* output: the stats of the chunks written; kept output (no fn) under omu */
    mga_batch_stats st;
    pthread_mutex_t omu;
    outbuf kept, handed;
};

/* ---- Records ------------------------------------------------------------------------- */

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

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

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not valid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return k;
}

/* A record's own strings (id, path, message) as JSON: escaped as batch records always were
 * (lower-case \u00xx; C1 controls and DEL escaped) and, unlike json_esc, taking bytes that
 * may not be UTF-8 (the id of a line that did not parse): those become U+FFFD, so the line
 * is always valid JSON. */
static void rec_jstr(outbuf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    OUT_LIT(b, "\"");
    size_t run = 0, i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
            i++;
            continue;
        }
        bool c1 = false;
        if (c >= 0x80) {
            size_t k = seq_len(s + i, n - i);
            c1 = k == 2 && c == 0xC2 && s[i + 1] < 0xA0;
            if (k && !c1) {
                i += k;
                continue;
            }
        }
        outbuf_add(b, str + run, i - run);
        if (c1)
            c = s[++i];
        switch (c) {
        case '"':
            OUT_LIT(b, "\\\"");
            break;
        case '\\':
            OUT_LIT(b, "\\\\");
            break;
        case '\b':
            OUT_LIT(b, "\\b");
            break;
        case '\f':
            OUT_LIT(b, "\\f");
            break;
        case '\n':
            OUT_LIT(b, "\\n");
            break;
        case '\r':
            OUT_LIT(b, "\\r");
            break;
        case '\t':
            OUT_LIT(b, "\\t");
            break;
        default:
            if (c < 0x20 || c1 || c == 0x7F) {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                outbuf_add(b, u, sizeof u);
            } else {
                OUT_LIT(b, "\\ufffd");
            }
        }
        i++;
        run = i;
    }
    if (n > run)
        outbuf_add(b, str + run, n - run);
    OUT_LIT(b, "\"");
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

/* Formats the output line of one record into c->out. MGA_E_NOMEM when out of memory (a
 * bad record is not a failure). */
static mga_status do_record(mga_batch *b, worker *w, chunk *c, const rec *r)
{
    const char *json = c->in.b.p + r->off;
    outbuf *o = &c->out;
    mga_diags *d = NULL;
    mga_status st;
    if (b->opt.input == MGA_BATCH_INPUT_FHIR) {
        /* a new profile per record (FHIR has no reusing reader); the result still points
         * at the last one, and evaluating anew is all it is used for */
        mga_profile_free(w->prof);
        w->prof = NULL;
        st = mga_profile_from_fhir(b->rs, "<batch>", json, r->len, b->date, &w->prof, &d);
    } else {
        st = mga_profile_parse_reuse(b->rs, "<batch>", json, r->len, &w->prof, &d);
    }
    OUT_LIT(o, "{\"line\":");
    out_ull(o, r->line);
    OUT_LIT(o, ",\"id\":");
    if (st == MGA_OK) {
        mga_diags_free(d);
        st = mga_evaluate_reuse(b->rs, w->prof, &w->res);
        if (st != MGA_OK)
            return st;
        const mga_result *res = w->res;
        const char *id = mga_result_id(res);
        if (mga_result_id_is_number(res))
            outbuf_add(o, id, strlen(id));
        else
            rec_jstr0(o, id);
        OUT_LIT(o, ",\"result\":");
        const mga_part *parts = NULL;
        size_t nparts = 0;
        st = mga_result_parts(res, b->opt.full ? MGA_FORMAT_JSON : MGA_FORMAT_JSON_LEAN,
                              &parts, &nparts);
        if (st != MGA_OK)
            return st;
        for (size_t i = 0; i < nparts; i++) {
            size_t len = parts[i].len;
            if (i + 1 == nparts && len && parts[i].p[len - 1] == '\n')
                len--;
            outbuf_add(o, parts[i].p, len);
        }
        OUT_LIT(o, "}\n");
        c->ok++;
        return o->oom ? MGA_E_NOMEM : MGA_OK;
    }
    if (st != MGA_E_PROFILE) {
        mga_diags_free(d);
        return st;
    }
    const mga_diag *dg = NULL;
    for (size_t i = 0, n = mga_diags_count(d); i < n && !dg; i++) {
        const mga_diag *x = mga_diags_ref(d, i);
        if (x && x->kind == MGA_DIAG_ERROR)
            dg = x;
    }
    put_raw_id(o, &w->scratch, json, r->len);
    const char *msg = dg && dg->message ? dg->message : "invalid profile";
    OUT_LIT(o, ",\"error\":{\"field\":");
    if (dg && dg->path)
        rec_jstr0(o, dg->path);
    else
        OUT_LIT(o, "null");
    OUT_LIT(o, ",\"code\":");
    if (dg) {
        char code[16];
        int n = snprintf(code, sizeof code, "E%04u", dg->code);
        rec_jstr(o, code, n > 0 ? (size_t)n : 0);
    } else {
        OUT_LIT(o, "null");
    }
    OUT_LIT(o, ",\"message\":");
    rec_jstr0(o, msg);
    OUT_LIT(o, ",\"column\":");
    out_ull(o, dg ? dg->col : 0);
    OUT_LIT(o, "}}\n");
    mga_diags_free(d);
    c->errors++;
    return o->oom || w->scratch.oom ? MGA_E_NOMEM : MGA_OK;
}

/* A buffer grown far beyond the usual size by one unusual chunk is released. */
static void trim(outbuf *o)
{
    if (o->b.cap > KEEP_BYTES)
        membuf_free(o->m, &o->b);
    o->b.len = 0;
    o->oom = false;
}

static void do_chunk(mga_batch *b, worker *w, chunk *c)
{
    c->out.b.len = 0;
    c->out.oom = false;
    for (size_t i = 0; i < c->nrec && c->fatal == MGA_OK; i++)
        c->fatal = do_record(b, w, c, &c->recs[i]);
}

/* ---- Output -------------------------------------------------------------------------- */

/* Writes one evaluated chunk (whole lines) and counts it. False when the output failed. */
static bool emit_chunk(mga_batch *b, chunk *c)
{
    bool ok = true;
    if (c->out.b.len) {
        if (b->opt.fn) {
            ok = b->opt.fn(b->opt.ud, c->out.b.p, c->out.b.len) == 0;
        } else {
            pthread_mutex_lock(&b->omu);
            outbuf_add(&b->kept, c->out.b.p, c->out.b.len);
            ok = !b->kept.oom;
            pthread_mutex_unlock(&b->omu);
        }
    }
    if (!ok)
        return false;
    pthread_mutex_lock(&b->omu);
    b->st.ok += c->ok;
    b->st.errors += c->errors;
    b->st.records += c->ok + c->errors;
    b->st.blanks += c->blanks;
    b->st.line = c->last_line;
    pthread_mutex_unlock(&b->omu);
    return true;
}

/* The first fatal error wins; the caller holds mu. */
static void fail(mga_batch *b, mga_status st)
{
    if (b->status == MGA_OK)
        b->status = st;
    b->abort = true;
    pthread_cond_broadcast(&b->work);
    pthread_cond_broadcast(&b->room);
}

/* ---- Threads ------------------------------------------------------------------------- */

/* Records for the next chunk: about CHUNK_OUT bytes of output at the rate so far. */
static size_t chunk_max(const mga_batch *b)
{
    if (b->nw <= 1 || !b->out_recs)
        return CHUNK_MIN;
    unsigned long long n = CHUNK_OUT / (b->out_bytes / b->out_recs + 1);
    return n < CHUNK_MIN ? CHUNK_MIN : n > CHUNK_MAX ? CHUNK_MAX : (size_t)n;
}

/* Writes the finished chunks at the head of the ring, in order, until one is not done; the
 * caller holds mu and no other worker is writing. A worker that finishes a chunk while
 * another writes leaves it: the writer checks again, under mu, after each chunk. */
static void write_ready(mga_batch *b)
{
    b->writing = true;
    for (;;) {
        chunk *c = &b->ring[b->nwrite % b->nring];
        if (b->abort || b->nwrite == b->nfill || !c->done)
            break;
        pthread_mutex_unlock(&b->mu);
        size_t out_len = c->out.b.len;
        mga_status st = c->fatal;
        if (st == MGA_OK && !emit_chunk(b, c))
            st = MGA_E_WRITE;
        trim(&c->out);
        trim(&c->in);
        pthread_mutex_lock(&b->mu);
        b->out_bytes += out_len;
        b->out_recs += c->nrec;
        c->done = false;
        b->nwrite++;
        if (st != MGA_OK)
            fail(b, st);
        pthread_cond_signal(&b->room);
    }
    b->writing = false;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    mga_batch *b = w->b;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (b->ntake == b->nfill && !b->input_done && !b->abort)
            pthread_cond_wait(&b->work, &b->mu);
        if (b->abort || b->ntake == b->nfill)
            break;
        chunk *c = &b->ring[b->ntake++ % b->nring];
        pthread_mutex_unlock(&b->mu);
        do_chunk(b, w, c);
        pthread_mutex_lock(&b->mu);
        c->done = true;
        if (!b->writing)
            write_ready(b);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- Feeding ------------------------------------------------------------------------- */

/* The chunk to fill next, once the ring has room for it (with threads the call waits). NULL
 * when the batch stopped. */
static chunk *fill_chunk(mga_batch *b)
{
    if (b->fill)
        return b->fill;
    pthread_mutex_lock(&b->mu);
    while (b->nfill - b->nwrite >= b->nring && !b->abort)
        pthread_cond_wait(&b->room, &b->mu);
    bool abort = b->abort;
    size_t max = chunk_max(b);
    pthread_mutex_unlock(&b->mu);
    if (abort)
        return NULL;
    chunk *c = &b->ring[b->nfill % b->nring];
    c->in.b.len = 0;
    c->in.oom = false;
    c->nrec = 0;
    c->ok = c->errors = c->blanks = 0;
    c->fatal = MGA_OK;
    c->done = false;
    c->max = max;
    b->fill = c;
    return c;
}

/* Hands the chunk being filled to the workers (or, with one job, runs and writes it here). */
static void submit(mga_batch *b)
{
    chunk *c = b->fill;
    if (!c)
        return;
    b->fill = NULL;
    c->last_line = b->lineno;
    pthread_mutex_lock(&b->mu);
    if (b->nw <= 1) {
        pthread_mutex_unlock(&b->mu);
        do_chunk(b, &b->ws[0], c);
        mga_status st = c->fatal;
        if (st == MGA_OK && !emit_chunk(b, c))
            st = MGA_E_WRITE;
        trim(&c->out);
        trim(&c->in);
        pthread_mutex_lock(&b->mu);
        if (st != MGA_OK)
            fail(b, st);
    } else {
        b->nfill++;
        pthread_cond_signal(&b->work);
    }
    pthread_mutex_unlock(&b->mu);
}

/* One whole input line (its line end dropped). False when the batch stopped. */
static bool take_line(mga_batch *b, const char *s, size_t len)
{
    chunk *c = fill_chunk(b);
    if (!c)
        return false;
    b->lineno++;
    if (b->lineno - b->opt.start > b->opt.skip) {
        if (len && s[len - 1] == '\r')
            len--;
        if (is_blank(s, len)) {
            c->blanks++;
        } else {
            rec *r = &c->recs[c->nrec++];
            r->off = c->in.b.len;
            r->len = len;
            r->line = b->lineno;
            outbuf_add(&c->in, s, len);
            outbuf_add(&c->in, "", 1);
            if (c->in.oom) {
                pthread_mutex_lock(&b->mu);
                fail(b, MGA_E_NOMEM);
                pthread_mutex_unlock(&b->mu);
                return false;
            }
        }
    }
    if (c->nrec >= c->max || c->in.b.len >= CHUNK_BYTES)
        submit(b);
    return true;
}

static mga_status current(mga_batch *b)
{
    pthread_mutex_lock(&b->mu);
    mga_status st = b->status;
    pthread_mutex_unlock(&b->mu);
    return st;
}

mga_status mga_batch_feed(mga_batch *b, const char *buf, size_t len)
{
    if (!b || (!buf && len) || b->finished)
        return MGA_E_MISUSE;
    const char *p = buf, *e = buf + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
        outbuf *l = &b->line;
        if (nl && !b->line_any) {
            /* a whole line in buf: taken from there, not copied twice */
            p = nl + 1;
            if (!take_line(b, p - n - 1, n < b->keep ? n : b->keep))
                break;
            continue;
        }
        if (n && l->b.len < b->keep) {
            size_t room = b->keep - l->b.len;
            outbuf_add(l, p, n < room ? n : room);
            if (l->oom) {
                pthread_mutex_lock(&b->mu);
                fail(b, MGA_E_NOMEM);
                pthread_mutex_unlock(&b->mu);
                break;
            }
        }
        b->line_any = true;
        if (!nl)
            break;
        p = nl + 1;
        bool ok = take_line(b, l->b.p, l->b.len);
        l->b.len = 0;
        b->line_any = false;
        if (!ok)
            break;
    }
    return current(b);
}

mga_status mga_batch_finish(mga_batch *b, bool end)
{
    if (!b)
        return MGA_E_MISUSE;
    if (b->finished)
        return current(b);
    b->finished = true;
    if (end && b->line_any && current(b) == MGA_OK)
        take_line(b, b->line.b.p, b->line.b.len);
    b->line.b.len = 0;
    b->line_any = false;
    if (b->fill && current(b) == MGA_OK)
        submit(b); /* also a chunk of only blank or skipped lines: it moves the line on */
    pthread_mutex_lock(&b->mu);
    b->input_done = true;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->mu);
    for (size_t i = 0; i < b->started; i++)
        pthread_join(b->ws[i].th, NULL);
    b->started = 0;
    return current(b);
}

mga_status mga_batch_read(mga_batch *b, const char **p, size_t *len)
{
    if (p)
        *p = NULL;
    if (len)
        *len = 0;
    if (!b || !p || !len || b->opt.fn)
        return MGA_E_MISUSE;
    /* the buffer handed out last time is the one the workers fill next */
    pthread_mutex_lock(&b->omu);
    outbuf t = b->handed;
    b->handed = b->kept;
    b->kept = t;
    trim(&b->kept); /* under omu: the workers append to kept */
    pthread_mutex_unlock(&b->omu);
    *p = b->handed.b.p;
    *len = b->handed.b.len;
    return MGA_OK;
}

void mga_batch_stats_get(const mga_batch *b, mga_batch_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!b)
        return;
    pthread_mutex_lock((pthread_mutex_t *)&b->omu);
    *out = b->st;
    pthread_mutex_unlock((pthread_mutex_t *)&b->omu);
}

/* ---- Lifecycle ----------------------------------------------------------------------- */

void mga_batch_options_init(mga_batch_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->jobs = 1;
}

mga_status mga_batch_open(const mga_ruleset *rs, const mga_batch_options *opt, mga_batch **out)
{
    if (out)
        *out = NULL;
    if (!rs || !opt || !out || opt->jobs < 1 || opt->jobs > MGA_BATCH_MAX_JOBS ||
        (opt->input != MGA_BATCH_INPUT_JSON && opt->input != MGA_BATCH_INPUT_FHIR) ||
        (opt->input == MGA_BATCH_INPUT_FHIR && !opt->date))
        return MGA_E_MISUSE;
    if (opt->input == MGA_BATCH_INPUT_FHIR) {
        /* the shape only: a calendar check is the FHIR reader's (E4037, per record) */
        bool ok = strlen(opt->date) == 10 && opt->date[4] == '-' && opt->date[7] == '-';
        for (size_t i = 0; ok && i < 10; i++)
            ok = i == 4 || i == 7 || (opt->date[i] >= '0' && opt->date[i] <= '9');
        if (!ok)
            return MGA_E_INVALID;
    }
    const mem *m = &rs->m;
    mga_batch *b = mem_alloc(m, sizeof *b);
    if (!b)
        return MGA_E_NOMEM;
    memset(b, 0, sizeof *b);
    b->rs = rs;
    b->m = m;
    b->opt = *opt;
    if (opt->input == MGA_BATCH_INPUT_FHIR)
        memcpy(b->date, opt->date, sizeof b->date);
    b->keep = opt->input == MGA_BATCH_INPUT_FHIR ? FHIR_KEEP : LINE_KEEP;
    b->opt.date = NULL; /* the caller's: b->date holds the copy */
    b->lineno = opt->start;
    b->st.line = opt->start;
    b->nw = opt->jobs;
    b->nring = b->nw == 1 ? 1 : b->nw * RING_PER_THREAD;
    b->line.m = b->kept.m = b->handed.m = m;
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->omu, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->room, NULL);
    if ((b->ring = mem_alloc(m, b->nring * sizeof *b->ring)) != NULL)
        memset(b->ring, 0, b->nring * sizeof *b->ring);
    if ((b->ws = mem_alloc(m, b->nw * sizeof *b->ws)) != NULL)
        memset(b->ws, 0, b->nw * sizeof *b->ws);
    if (!b->ring || !b->ws) {
        mga_batch_close(b);
        return MGA_E_NOMEM;
    }
    for (size_t i = 0; i < b->nring; i++)
        b->ring[i].in.m = b->ring[i].out.m = m;
    for (size_t i = 0; i < b->nw; i++) {
        b->ws[i].b = b;
        b->ws[i].scratch.m = m;
    }
    if (b->nw > 1) {
        for (; b->started < b->nw; b->started++)
            if (pthread_create(&b->ws[b->started].th, NULL, worker_main, &b->ws[b->started]))
                break;
        if (b->started < b->nw) {
            mga_batch_close(b);
            return MGA_E_NOMEM;
        }
    }
    *out = b;
    return MGA_OK;
}

void mga_batch_close(mga_batch *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->abort = true;
    b->input_done = true;
    pthread_cond_broadcast(&b->work);
    pthread_cond_broadcast(&b->room);
    pthread_mutex_unlock(&b->mu);
    for (size_t i = 0; i < b->started; i++)
        pthread_join(b->ws[i].th, NULL);
    const mem *m = b->m;
    for (size_t i = 0; b->ring && i < b->nring; i++) {
        membuf_free(m, &b->ring[i].in.b);
        membuf_free(m, &b->ring[i].out.b);
    }
    for (size_t i = 0; b->ws && i < b->nw; i++) {
        membuf_free(m, &b->ws[i].scratch.b);
        mga_result_free(b->ws[i].res);
        mga_profile_free(b->ws[i].prof);
    }
    mem_free(m, b->ring, b->nring * sizeof *b->ring);
    mem_free(m, b->ws, b->nw * sizeof *b->ws);
    membuf_free(m, &b->line.b);
    membuf_free(m, &b->kept.b);
    membuf_free(m, &b->handed.b);
    pthread_cond_destroy(&b->room);
    pthread_cond_destroy(&b->work);
    pthread_mutex_destroy(&b->omu);
    pthread_mutex_destroy(&b->mu);
    mem_free(m, b, sizeof *b);
}
