/* SPDX-License-Identifier: MIT */
/* The batch engine (mga_batch_*): JSON lines, FHIR lines or CSV fed in any split, cut into
 * chunks of records, evaluated on worker threads against one shared rule set, each chunk's
 * output lines written strictly in input order by whichever worker finds the next one done
 * (no writer thread). CSV records are read by csvin.c, each record's line written by
 * batchrec.c, statistics kept by batchstats.c. */
#include "arena.h"
#include "batchrec.h"
#include "batchstats.h"
#include "csvin.h"
#include "graph.h"
#include "jsonesc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A chunk ends after c->max records (CHUNK_MIN to CHUNK_MAX) or once its lines hold
 * CHUNK_BYTES; the ring holds RING_PER_THREAD chunks per worker. With threads, c->max is
 * chosen so that the memory a chunk's output holds (its buffer and its list of the rule
 * set's parts, not the parts) comes to about CHUNK_OUT bytes at the output per record so
 * far: small records make large chunks (few handoffs between threads, which cost more than
 * the records on a virtual machine), large ones small chunks (bounded memory). */
#define CHUNK_MIN 32
#define CHUNK_MAX 1024
#define CHUNK_BYTES (1u << 20)
#define CHUNK_OUT (1u << 20)
/* The same when every byte is copied into the chunk's buffer and the caller copies it once
 * more (parts without gather: write(2) into a file): a ring of 1 MiB buffers is larger than
 * a core's cache, so each copy went to memory (at -j 2, 200,000 lean records: memcpy 2.5-3x
 * its share at -j 1, the kernel's copy 1.5x, 2,600 more page faults). A quarter of it keeps
 * the ring near the cache for three times the handoffs: 4-6% less CPU at -j 2 (perf stat),
 * the same output. */
#define CHUNK_OUT_COPY (1u << 18)
#define RING_PER_THREAD 4
/* A line longer than a profile may be keeps only this much: enough for the profile reader
 * to report it (E4012) and for its id to be found (a CSV record: for csvin to see it is too
 * long). */
#define LINE_KEEP (MGA_PROFILE_MAX_BYTES + 1)
/* A FHIR line may be as long as the FHIR reader reads (16 MiB), not a profile's 1 MiB:
 * cut shorter, a good Bundle would be lost as bad JSON */
#define FHIR_KEEP (MGA_FHIR_MAX_BYTES + 1)
/* A buffer grown past this by one unusual chunk is released after use. */
#define KEEP_BYTES (64u << 20)

typedef struct rec {
    size_t off, len;         /* the line in chunk.in, without its line end */
    unsigned long long line; /* its input line number (where a CSV record starts) */
    unsigned char kind;      /* REC_* (batchrec.h) */
    bool bad;                /* its output line is an error line */
} rec;

typedef struct chunk {
    outbuf in;        /* the records' bytes, each NUL-terminated */
    batchrec_out out; /* their output lines */
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
    batchrec_worker w; /* its profile, result and statistics */
} worker;

struct mga_batch {
    const mga_ruleset *rs;
    const mem *m;
    mga_batch_options opt;
    batchrec_cfg rc; /* how each record is read and written */
    char date[11];   /* FHIR input: the request date, YYYY-MM-DD and a NUL */

    /* the feeding side */
    outbuf line;   /* the line being read: at most keep bytes of it */
    size_t keep;   /* LINE_KEEP, or for FHIR input FHIR_KEEP */
    bool line_any; /* bytes of a line not yet ended were fed */
    unsigned long long line_whole, line_quotes; /* CSV: that line's length and '"' so far */
    unsigned long long lineno;
    unsigned long long done_line; /* the last line whose records are all read (CSV: a
                                   * record may span lines) */
    csvin *csv;                   /* CSV input */
    outbuf csv_line;              /* the error line of a bad CSV record */
    mga_diags *diags;             /* a bad CSV header's */
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
    mga_part *wv; /* opt.parts: the writer's list of a chunk's pieces */
    size_t wv_cap;
};

/* ---- Records ------------------------------------------------------------------------- */

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
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
    c->out.out.b.len = 0;
    c->out.out.oom = false;
    c->out.next = 0;
    for (size_t i = 0; i < c->nrec && c->fatal == MGA_OK; i++) {
        rec *r = &c->recs[i];
        c->fatal = batchrec_write(&b->rc, &w->w, &c->out, c->in.b.p + r->off, r->len, r->line,
                                  r->kind, &r->bad);
        if (c->fatal == MGA_OK) {
            c->ok += !r->bad;
            c->errors += r->bad;
        }
    }
}

/* ---- Output -------------------------------------------------------------------------- */

/* The whole lines among the first n bytes at p, and the bytes after the last of them
 * (*tail grows when there is no line end). */
static void count_lines(const char *p, size_t n, size_t *lines, size_t *tail)
{
    if (!n)
        return;
    const char *e = p + n, *q = p, *last = NULL;
    while (q < e && (q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
        (*lines)++;
        last = q++;
    }
    *tail = last ? (size_t)(e - last - 1) : *tail + n;
}

/* After the output took only the first done bytes of c's pieces v: the records written
 * whole are counted (every record is one line), and the bytes of a partial last line. */
static void count_written(mga_batch *b, const chunk *c, const mga_part *v, size_t n, size_t done)
{
    size_t lines = 0, tail = 0;
    for (size_t i = 0; i < n && done; i++) {
        size_t k = v[i].len < done ? v[i].len : done;
        count_lines(v[i].p, k, &lines, &tail);
        done -= k;
    }
    pthread_mutex_lock(&b->omu);
    for (size_t i = 0; i < lines && i < c->nrec; i++) {
        if (c->recs[i].bad)
            b->st.errors++;
        else
            b->st.ok++;
        b->st.records++;
    }
    if (lines && lines <= c->nrec)
        b->st.line = c->recs[lines - 1].line;
    b->st.partial = tail;
    pthread_mutex_unlock(&b->omu);
}

/* Hands c's output to opt.parts: its buffer with the listed constant parts in their places.
 * A piece of buffer before a part is listed only when it is not empty. False when the
 * output failed (the records it took whole are counted) or out of memory (*nomem). */
static bool emit_parts(mga_batch *b, chunk *c, bool *nomem)
{
    const batchrec_out *o = &c->out;
    size_t need = 2 * o->next + 1;
    if (need > b->wv_cap) {
        size_t cap = b->wv_cap ? b->wv_cap : 64;
        while (cap < need)
            cap *= 2;
        mga_part *nv = mem_realloc(b->m, b->wv, b->wv_cap * sizeof *nv, cap * sizeof *nv);
        if (!nv) {
            *nomem = true;
            return false;
        }
        b->wv = nv;
        b->wv_cap = cap;
    }
    size_t n = 0, at = 0;
    for (size_t i = 0; i <= o->next; i++) {
        size_t end = i < o->next ? o->ext[i].at : o->out.b.len;
        if (end > at)
            b->wv[n++] = (mga_part){o->out.b.p + at, end - at, 0};
        at = end;
        if (i < o->next)
            b->wv[n++] = (mga_part){o->ext[i].p, o->ext[i].len, 1};
    }
    if (!n)
        return true;
    size_t done = 0;
    if (b->opt.parts(b->opt.ud, b->wv, n, &done) == 0)
        return true;
    count_written(b, c, b->wv, n, done);
    return false;
}

/* Writes one evaluated chunk (whole lines) and counts it. Not MGA_OK when the output failed
 * (MGA_E_WRITE) or memory ran out. */
static mga_status emit_chunk(mga_batch *b, chunk *c)
{
    bool ok = true, nomem = false;
    if (b->opt.parts) {
        ok = emit_parts(b, c, &nomem);
    } else if (c->out.out.b.len) {
        const membuf *o = &c->out.out.b;
        if (b->opt.fn) {
            ok = b->opt.fn(b->opt.ud, o->p, o->len) == 0;
        } else {
            pthread_mutex_lock(&b->omu);
            outbuf_add(&b->kept, o->p, o->len);
            nomem = b->kept.oom;
            ok = !nomem;
            pthread_mutex_unlock(&b->omu);
        }
    }
    if (!ok)
        return nomem ? MGA_E_NOMEM : MGA_E_WRITE;
    pthread_mutex_lock(&b->omu);
    b->st.ok += c->ok;
    b->st.errors += c->errors;
    b->st.records += c->ok + c->errors;
    b->st.blanks += c->blanks;
    b->st.line = c->last_line;
    pthread_mutex_unlock(&b->omu);
    return MGA_OK;
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

static void fail_locked(mga_batch *b, mga_status st)
{
    pthread_mutex_lock(&b->mu);
    fail(b, st);
    pthread_mutex_unlock(&b->mu);
}

/* ---- Threads ------------------------------------------------------------------------- */

/* Records for the next chunk: about CHUNK_OUT bytes of output at the rate so far. */
static size_t chunk_max(const mga_batch *b)
{
    if (b->nw <= 1 || !b->out_recs)
        return CHUNK_MIN;
    unsigned long long target = b->opt.parts && !b->opt.gather ? CHUNK_OUT_COPY : CHUNK_OUT;
    unsigned long long n = target / (b->out_bytes / b->out_recs + 1);
    return n < CHUNK_MIN ? CHUNK_MIN : n > CHUNK_MAX ? CHUNK_MAX : (size_t)n;
}

/* Runs nothing: evaluates nothing; writes c if it was evaluated well, then frees what an
 * unusual chunk grew. The status of the two. */
static mga_status finish_chunk(mga_batch *b, chunk *c)
{
    mga_status st = c->fatal;
    if (st == MGA_OK)
        st = emit_chunk(b, c);
    trim(&c->out.out);
    trim(&c->in);
    return st;
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
        size_t out_len = c->out.out.b.len + c->out.next * sizeof *c->out.ext;
        mga_status st = finish_chunk(b, c);
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
    c->last_line = b->done_line;
    if (b->nw <= 1) {
        do_chunk(b, &b->ws[0], c);
        mga_status st = finish_chunk(b, c);
        if (st != MGA_OK)
            fail_locked(b, st);
        return;
    }
    pthread_mutex_lock(&b->mu);
    b->nfill++;
    pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->mu);
}

/* Appends one record to c (its text NUL-terminated in c->in). False when out of memory. */
static bool chunk_add(mga_batch *b, chunk *c, const char *s, size_t len, unsigned long long line,
                      unsigned char kind)
{
    rec *r = &c->recs[c->nrec++];
    r->off = c->in.b.len;
    r->len = len;
    r->line = line;
    r->kind = kind;
    outbuf_add(&c->in, s, len);
    outbuf_add(&c->in, "", 1);
    if (c->in.oom) {
        fail_locked(b, MGA_E_NOMEM);
        return false;
    }
    return true;
}

/* What a CSV line (or the end of the input) completed, into c. False when the batch
 * stopped. */
static bool take_csv(mga_batch *b, chunk *c, mga_status st, const csvin_record *cr)
{
    if (st == MGA_E_PROFILE) {
        b->diags = csvin_diags_take(b->csv);
        fail_locked(b, b->diags ? MGA_E_PROFILE : MGA_E_NOMEM);
        return false;
    }
    if (st != MGA_OK) {
        fail_locked(b, st);
        return false;
    }
    if (cr->kind == CSVIN_MORE)
        return true;
    unsigned long long line = b->opt.start + cr->line;
    b->done_line = b->opt.start + cr->end_line;
    if (line - b->opt.start <= b->opt.skip || cr->kind == CSVIN_HEADER)
        return true;
    if (cr->kind == CSVIN_BLANK) {
        c->blanks++;
        return true;
    }
    if (cr->kind == CSVIN_PROFILE)
        return chunk_add(b, c, cr->json, cr->json_len, line, REC_CSV);
    outbuf *o = &b->csv_line;
    o->b.len = 0;
    batchrec_error_line(o, line, cr->id, cr->id_len, cr->field, cr->code, cr->message,
                        cr->column);
    if (o->oom) {
        fail_locked(b, MGA_E_NOMEM);
        return false;
    }
    /* the whole error line, its line end included: do_record copies it as the output */
    return chunk_add(b, c, o->b.p, o->b.len, line, REC_READY);
}

/* One whole input line (its line end dropped): the first kept bytes of it at s, whole its
 * length, quotes the '"' in it (CSV), nl whether a line end ended it. False when the batch
 * stopped. */
static bool take_line(mga_batch *b, const char *s, size_t kept, unsigned long long whole,
                      unsigned long long quotes, bool nl)
{
    chunk *c = fill_chunk(b);
    if (!c)
        return false;
    b->lineno++;
    if (b->csv) {
        csvin_record cr;
        mga_status st = csvin_line(b->csv, s, kept, whole, nl, quotes, &cr);
        if (!take_csv(b, c, st, &cr))
            return false;
    } else {
        b->done_line = b->lineno;
        if (b->lineno - b->opt.start > b->opt.skip) {
            size_t len = kept;
            if (len && s[len - 1] == '\r')
                len--;
            if (is_blank(s, len))
                c->blanks++;
            else if (!chunk_add(b, c, s, len, b->lineno, REC_JSON))
                return false;
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

/* The '"' among n bytes at p (CSV input only: a record's lines are told apart by them). */
static unsigned long long count_quotes(const mga_batch *b, const char *p, size_t n)
{
    unsigned long long q = 0;
    if (!b->csv)
        return 0;
    for (const char *s = p, *e = p + n; (s = memchr(s, '"', (size_t)(e - s))) != NULL; s++)
        q++;
    return q;
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
            const char *s = p;
            p = nl + 1;
            if (!take_line(b, s, n < b->keep ? n : b->keep, n, count_quotes(b, s, n), true))
                break;
            continue;
        }
        if (n && l->b.len < b->keep) {
            size_t room = b->keep - l->b.len;
            outbuf_add(l, p, n < room ? n : room);
            if (l->oom) {
                fail_locked(b, MGA_E_NOMEM);
                break;
            }
        }
        b->line_whole += n;
        b->line_quotes += count_quotes(b, p, n);
        b->line_any = true;
        if (!nl)
            break;
        p = nl + 1;
        bool ok = take_line(b, l->b.p, l->b.len, b->line_whole, b->line_quotes, true);
        l->b.len = 0;
        b->line_whole = b->line_quotes = 0;
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
        take_line(b, b->line.b.p, b->line.b.len, b->line_whole, b->line_quotes, false);
    if (end && b->csv && current(b) == MGA_OK) {
        chunk *c = fill_chunk(b);
        csvin_record cr;
        if (c) {
            mga_status st = csvin_end(b->csv, &cr);
            take_csv(b, c, st, &cr);
        }
    }
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
    if (!b || !p || !len || b->opt.fn || b->opt.parts)
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

mga_status mga_batch_stats_write(const mga_batch *b, mga_write_fn fn, void *ud)
{
    if (!b || !fn || !b->opt.stats || !b->finished || b->started)
        return MGA_E_MISUSE;
    if (b->status != MGA_OK)
        return b->status;
    bstats all;
    if (!bstats_init(&all, b->rs, b->m))
        return MGA_E_NOMEM;
    for (size_t i = 0; i < b->nw; i++)
        bstats_merge(&all, &b->ws[i].w.st);
    outbuf o = {.m = b->m};
    bstats_write(&all, b->rs, b->st.ok, b->st.errors, &o);
    bstats_free(&all, b->m);
    mga_status st = o.oom                          ? MGA_E_NOMEM
                    : fn(ud, o.b.p, o.b.len) != 0 ? MGA_E_WRITE
                                                   : MGA_OK;
    membuf_free(b->m, &o.b);
    return st;
}

const mga_diags *mga_batch_diags_ref(const mga_batch *b)
{
    return b ? b->diags : NULL;
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
        (opt->input != MGA_BATCH_INPUT_JSON && opt->input != MGA_BATCH_INPUT_FHIR &&
         opt->input != MGA_BATCH_INPUT_CSV) ||
        (opt->input == MGA_BATCH_INPUT_FHIR && !opt->date) || (opt->gather && !opt->parts))
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
    b->lineno = b->done_line = opt->start;
    b->st.line = opt->start;
    b->nw = opt->jobs;
    b->nring = b->nw == 1 ? 1 : b->nw * RING_PER_THREAD;
    b->line.m = b->kept.m = b->handed.m = b->csv_line.m = m;
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->omu, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->room, NULL);
    if ((b->ring = mem_alloc(m, b->nring * sizeof *b->ring)) != NULL)
        memset(b->ring, 0, b->nring * sizeof *b->ring);
    if ((b->ws = mem_alloc(m, b->nw * sizeof *b->ws)) != NULL)
        memset(b->ws, 0, b->nw * sizeof *b->ws);
    bool ok = b->ring && b->ws;
    if (ok && opt->input == MGA_BATCH_INPUT_CSV)
        ok = csvin_new(rs, m, MGA_PROFILE_MAX_BYTES, &b->csv) == MGA_OK;
    b->rc = (batchrec_cfg){rs, opt->input, b->date, opt->full, opt->gather, opt->stats, b->csv};
    for (size_t i = 0; ok && i < b->nring; i++)
        b->ring[i].in.m = b->ring[i].out.out.m = m;
    for (size_t i = 0; ok && i < b->nw; i++) {
        b->ws[i].b = b;
        b->ws[i].w.scratch.m = m;
        ok = !opt->stats || bstats_init(&b->ws[i].w.st, rs, m);
    }
    if (!ok) {
        mga_batch_close(b);
        return MGA_E_NOMEM;
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
        batchrec_out *o = &b->ring[i].out;
        membuf_free(m, &o->out.b);
        mem_free(m, o->ext, o->ext_cap * sizeof *o->ext);
    }
    for (size_t i = 0; b->ws && i < b->nw; i++)
        batchrec_worker_free(&b->ws[i].w, m);
    mem_free(m, b->ring, b->nring * sizeof *b->ring);
    mem_free(m, b->ws, b->nw * sizeof *b->ws);
    mem_free(m, b->wv, b->wv_cap * sizeof *b->wv);
    membuf_free(m, &b->line.b);
    membuf_free(m, &b->kept.b);
    membuf_free(m, &b->handed.b);
    membuf_free(m, &b->csv_line.b);
    csvin_free(b->csv);
    mga_diags_free(b->diags);
    pthread_cond_destroy(&b->room);
    pthread_cond_destroy(&b->work);
    pthread_mutex_destroy(&b->omu);
    pthread_mutex_destroy(&b->mu);
    mem_free(m, b, sizeof *b);
}
