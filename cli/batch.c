/* SPDX-License-Identifier: MIT */
/* `mgadvise batch`: a JSON-lines (or CSV, see batch_csv.c) file of profiles in, one JSON line
 * per record out, in input order. A reader fills chunks of lines into a bounded ring, workers
 * evaluate whole chunks against one shared rule set, and finished chunks are emitted
 * strictly in order by whichever worker finds the next one done (no writer thread). */
#include "batch_csv.h"
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A chunk ends after c->max records (CHUNK_MIN to CHUNK_MAX) or once its lines hold
 * CHUNK_BYTES, whichever comes first; the ring holds RING_PER_THREAD chunks per worker.
 * With threads, c->max is chosen so that the memory a chunk's output holds (its buffer and
 * its list of the rule set's parts, not the parts) comes to about CHUNK_OUT bytes, by the
 * output per record so far: records that hold little make large chunks (few handoffs
 * between threads, which cost more than the records on a virtual machine), large ones
 * small chunks (bounded memory). Apart from single lines longer than CHUNK_BYTES, which are kept whole,
 * memory stays bounded. */
#define CHUNK_MIN 32
#define CHUNK_MAX 1024
#define CHUNK_BYTES (1u << 20)
#define CHUNK_OUT (1u << 20)
/* The same into a regular file, where every byte is copied into the chunk's buffer and
 * write(2) copies it again: a ring of 1 MiB buffers is larger than a core's cache, so
 * each copy went to memory (at -j 2, 200,000 lean records: memcpy 2.5-3x its share at
 * -j 1, the kernel's copy 1.5x, 2,600 more page faults). A quarter of it keeps the ring
 * near the cache for three times the handoffs: 4-6% less CPU at -j 2 (perf stat), the
 * same output. */
#define CHUNK_OUT_COPY (1u << 18)
#define RING_PER_THREAD 4
/* Threads: more than this gains nothing on the machines batch runs on (each thread holds
 * RING_PER_THREAD chunks of up to CHUNK_BYTES) and a typo like -j 1000 must not start a
 * thousand of them. */
#define MAX_JOBS 64
/* A buffer grown past this by one unusual chunk is released after use. */
#define KEEP_BYTES (64u << 20)

static const char *usage_batch =
    "usage: mgadvise batch [OPTIONS] [INPUT]\n"
    "\n"
    "Evaluates every profile of a JSON-lines file (one JSON object per line) or of a CSV file\n"
    "with a header row, and writes one JSON line per record to standard output, in input\n"
    "order. INPUT '-' or none reads standard input. Lines may end in LF or CRLF; blank lines\n"
    "are skipped and counted.\n"
    "\n"
    "  a good record:  {\"line\":N,\"id\":ID,\"result\":RESULT}\n"
    "                  RESULT is lean: {\"ruleset_hash\":H,\"decision\",\"decided_by\",\n"
    "                  \"advice\":[{\"rule\",\"kind\",\"severity\"}],\"see_doctor\",\"dose\",\n"
    "                  \"forms\",\"overruled\",\"disclaimer\"}; with --full, what\n"
    "                  'mgadvise eval --format json' prints\n"
    "  a bad record:   {\"line\":N,\"id\":ID,\"error\":{\"field\":PATH,\"code\":\"E4002\",\n"
    "                  \"message\":TEXT,\"column\":C}}\n"
    "\n"
    "'mgadvise catalog' writes the rest of a lean RESULT once (its ruleset.hash is H): the\n"
    "two give back the full RESULT (docs/OUTPUT.md).\n"
    "N is the physical input line (1-based, --skip included), ID the profile's \"id\" as given\n"
    "(a string or an integer) or null when it cannot be read, PATH the JSON path of the bad\n"
    "value (\"$.age\") or null, C the column of the problem on that line (0 when unknown). A\n"
    "bad record does not stop the run.\n"
    "\n"
    "CSV: the first row names the columns, each a field of the rules' profile (or id), each\n"
    "once; another name is an error before any record is read (exit 3). A cell is typed by\n"
    "its field: a number as in JSON (\"61\", \"2.5e2\"), or a number, a space and a unit\n"
    "(\"45 nmol/L\") when the field has units; true or false in any case (TRUE, True); a one-of\n"
    "symbol; a set as symbols separated by ';' (\"ibs;diabetes\"), '-' for the empty set; text.\n"
    "An empty cell leaves the field out (unknown). Quotes (RFC 4180) allow ',', '\"\"' and line\n"
    "breaks in a cell. A UTF-8 byte order mark before the header is skipped.\n"
    "N is the line a record starts on, C the 1-based CSV column; a wrong number of cells,\n"
    "bad quoting, invalid UTF-8 or a NUL byte is an error line with code null. A record\n"
    "longer than 1 MiB (1048576 bytes) is an error line with code E4012, and reading goes\n"
    "on at the next record.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  -j, --jobs N        N worker threads sharing one compiled rule set, 1 to 64\n"
    "                      (default: the number of online processors, at most 64);\n"
    "                      -j 1 runs without threads\n"
    "  --input-format FMT  jsonl, csv or fhir; default: csv for a file named *.csv, else\n"
    "                      jsonl; fhir: each line a FHIR R4 Bundle (or array of resources)\n"
    "                      read as 'eval --fhir' reads it; bad FHIR is an error record\n"
    "  --date YYYY-MM-DD   with fhir: the request date for ages (default: today, UTC)\n"
    "  --skip N            skip the first N input lines (blank or not), e.g. to resume; for\n"
    "                      CSV every record starting on line N or before (the header is\n"
    "                      always read)\n"
    "  --stats FILE        write cohort statistics as JSON to FILE: records, ok, errors,\n"
    "                      how many records each rule fired for (\"rules\"), the rules that\n"
    "                      never fired, preferred and avoided forms, advice by severity\n"
    "  --catalog FILE      also write the rules' catalog to FILE (one JSON line, before\n"
    "                      any record is read), as 'mgadvise catalog' does\n"
    "  --full              every RESULT whole, without a catalog\n"
    "  --allow-unknown-fields\n"
    "                      a profile key the rules do not declare is a warning, not an\n"
    "                      error (E4013): the record is evaluated and its RESULT lists\n"
    "                      it in \"warnings\":[{\"code\":\"W5001\",\"path\",\"message\",\n"
    "                      \"note\"}]\n"
    "  -q, --quiet         no progress line (the final summary is always printed)\n"
    "  -h, --help          this help\n"
    "An option's value may also be attached: -j2, -rPATH, --jobs=2, --catalog=FILE.\n"
    "\n";

/* The rest of the help (C limits one string literal to 4095 characters). */
static const char *usage_batch_tail =
    "While standard error is a terminal a progress line shows the records done, the rate\n"
    "and, for a regular file, the percentage and the time left. At the end standard error\n"
    "gets one summary line:\n"
    "  mgadvise batch: R records, K ok, E errors, B blank lines skipped, S.SS s, X records/s\n"
    "\n"
    "SIGINT or SIGTERM stops reading; the records already read are finished and written as\n"
    "whole lines, then 'interrupted after input line N; resume with --skip N' is printed.\n"
    "Running again with '--skip N' (appending to the same output) continues exactly there.\n"
    "\n"
    "When standard output cannot be written (a full disk, a file size limit) the run stops:\n"
    "a partial last line is cut off an output file, the summary counts the records written,\n"
    "and 'stopped after input line N (R records written); resume with --skip N' follows\n"
    "(exit 4). When the reader goes away (| head) the run stops quietly, the records written\n"
    "counted: exit 0 (1 if one was an error); with --stats, exit 4 and no statistics.\n"
    "\n"
    "exit status: 0 every record was good; 1 some records had errors (all the others were\n"
    "still written); 2 usage (unknown option, bad -j, a --stats or --catalog file that is\n"
    "the input, standard output or the other one); 3 the input or the rules could not\n"
    "be read, or a CSV header names an unknown column; 4 out of memory or output error (e.g.\n"
    "standard output closed, the --stats or --catalog file cannot be written);\n"
    "130 interrupted by SIGINT; 143 interrupted by SIGTERM.\n";

/* ---- Small helpers ------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A non-negative decimal integer, the whole string. */
static bool parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* A growing byte buffer; oom records a failed growth (later appends are dropped). */
typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
} buf;

static bool buf_grow(buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->cap - b->len >= extra)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *np = realloc(b->p, cap);
    if (!np) {
        b->oom = true;
        return false;
    }
    b->p = np;
    b->cap = cap;
    return true;
}

static inline void buf_put(buf *b, const char *s, size_t n)
{
    if ((!b->oom && b->cap - b->len >= n) || buf_grow(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

#define BUF_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

static void buf_ull(buf *b, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_put(b, tmp + i, sizeof tmp - i);
}

/* Releases a buffer that one unusual chunk grew far beyond the usual size. */
static void buf_trim(buf *b)
{
    b->len = 0;
    if (b->cap > KEEP_BYTES) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not valid. */
size_t batch_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
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
    } else
        return 0;
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return k;
}

/* Appends s as a JSON string: quotes, backslashes and control characters escaped as yajl_gen
 * does; invalid UTF-8 becomes U+FFFD so the line is always valid JSON. */
static void buf_jstr(buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    BUF_LIT(b, "\"");
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
            i++;
            continue;
        }
        bool c1 = false; /* U+0080-U+009F: a C1 control, escaped like the C0 ones */
        if (c >= 0x80) {
            size_t k = batch_utf8_len(s + i, n - i);
            c1 = k == 2 && c == 0xC2 && s[i + 1] < 0xA0;
            if (k && !c1) {
                i += k;
                continue;
            }
        }
        buf_put(b, str + run, i - run);
        if (c1)
            c = s[++i];
        switch (c) {
        case '"':
            BUF_LIT(b, "\\\"");
            break;
        case '\\':
            BUF_LIT(b, "\\\\");
            break;
        case '\b':
            BUF_LIT(b, "\\b");
            break;
        case '\f':
            BUF_LIT(b, "\\f");
            break;
        case '\n':
            BUF_LIT(b, "\\n");
            break;
        case '\r':
            BUF_LIT(b, "\\r");
            break;
        case '\t':
            BUF_LIT(b, "\\t");
            break;
        default:
            if (c < 0x20 || c1 || c == 0x7F) {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                buf_put(b, u, sizeof u);
            } else {
                BUF_LIT(b, "\\ufffd");
            }
        }
        i++;
        run = i;
    }
    if (n > run) /* str may be NULL when n is 0 (an empty id) */
        buf_put(b, str + run, n - run);
    BUF_LIT(b, "\"");
}

static void buf_jstr0(buf *b, const char *s)
{
    if (s)
        buf_jstr(b, s, strlen(s));
    else
        BUF_LIT(b, "null");
}

/* ---- Reading the id of a profile that did not parse ------------------------------------- */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
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
    const char *s = p;
    while (p < e && !strchr(",}] \t\r\n", *p))
        p++;
    return p > s ? p : NULL;
}

static bool read_u4(const char *p, const char *e, unsigned *out)
{
    if (e - p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = cli_hexval(p[i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static void put_utf8(buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put(b, u, n);
}

/* Decodes the JSON string at p (at '"') into out; false if it is not a valid string. */
static bool decode_string(const char *p, const char *e, buf *out)
{
    out->len = 0;
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return !out->oom;
        if (c < 0x20)
            return false;
        if (c != '\\') {
            buf_put(out, p, 1);
            continue;
        }
        if (++p == e)
            return false;
        unsigned cp;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
            buf_put(out, p, 1);
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

/* The length of the JSON integer at p (-?(0|[1-9][0-9]*), ended by the end, white space, ','
 * or '}'), or 0 when there is none: only such an id is echoed unquoted. */
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

/* Appends the top-level "id" of the record (a JSON string or integer, as given) or null,
 * reading only as much of the possibly malformed line as it needs. */
static void put_raw_id(buf *b, buf *tmp, const char *s, size_t n)
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
                    buf_jstr(b, tmp->p, tmp->len);
                    return;
                }
                size_t ilen = int_len(p, e);
                if (ilen) {
                    buf_put(b, p, ilen);
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
    BUF_LIT(b, "null");
}

/* ---- Statistics ---------------------------------------------------------------------- */

typedef struct formcount {
    char *name;
    unsigned long long n;
} formcount;

typedef struct formlist {
    formcount *v;
    size_t n, cap;
} formlist;

/* The rule ids, hashed once; read-only while the workers run. */
typedef struct ruleindex {
    size_t nrules;
    size_t mask;
    size_t *slot; /* rule index + 1, 0 = empty */
    const char **id;
} ruleindex;

typedef struct wstats {
    unsigned long long *fired; /* records each rule fired for */
    unsigned long long *stamp; /* last record counted per rule: a rule counts once a record */
    unsigned long long recno;
    unsigned long long sev[3];
    formlist prefer, avoid;
    bool oom;
} wstats;

static size_t hash_str(const char *s)
{
    size_t h = (size_t)1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
    return h;
}

static bool ruleindex_init(ruleindex *ri, const mga_ruleset *rs)
{
    ri->nrules = mga_ruleset_rule_count(rs);
    size_t cap = 16;
    while (cap < ri->nrules * 2)
        cap *= 2;
    ri->mask = cap - 1;
    ri->slot = calloc(cap, sizeof *ri->slot);
    ri->id = calloc(ri->nrules + 1, sizeof *ri->id);
    if (!ri->slot || !ri->id)
        return false;
    for (size_t i = 0; i < ri->nrules; i++) {
        const char *id = mga_ruleset_rule_id(rs, i);
        ri->id[i] = id ? id : "";
        size_t h = hash_str(ri->id[i]) & ri->mask;
        while (ri->slot[h])
            h = (h + 1) & ri->mask;
        ri->slot[h] = i + 1;
    }
    return true;
}

static void ruleindex_free(ruleindex *ri)
{
    free(ri->slot);
    free(ri->id);
}

static size_t ruleindex_find(const ruleindex *ri, const char *id)
{
    size_t h = hash_str(id) & ri->mask;
    for (size_t s; (s = ri->slot[h]) != 0; h = (h + 1) & ri->mask)
        if (ri->id[s - 1] == id || strcmp(ri->id[s - 1], id) == 0)
            return s - 1;
    return SIZE_MAX;
}

static bool formlist_add(formlist *fl, const char *name, unsigned long long n)
{
    for (size_t i = 0; i < fl->n; i++)
        if (strcmp(fl->v[i].name, name) == 0) {
            fl->v[i].n += n;
            return true;
        }
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 16;
        formcount *nv = realloc(fl->v, cap * sizeof *nv);
        if (!nv)
            return false;
        fl->v = nv;
        fl->cap = cap;
    }
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, name, len + 1);
    fl->v[fl->n].name = copy;
    fl->v[fl->n].n = n;
    fl->n++;
    return true;
}

static void formlist_free(formlist *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        free(fl->v[i].name);
    free(fl->v);
}

static bool wstats_init(wstats *ws, size_t nrules)
{
    memset(ws, 0, sizeof *ws);
    ws->fired = calloc(nrules + 1, sizeof *ws->fired);
    ws->stamp = calloc(nrules + 1, sizeof *ws->stamp);
    return ws->fired && ws->stamp;
}

static void wstats_free(wstats *ws)
{
    free(ws->fired);
    free(ws->stamp);
    formlist_free(&ws->prefer);
    formlist_free(&ws->avoid);
}

static void wstats_count(wstats *ws, const ruleindex *ri, const mga_result *r)
{
    unsigned long long rec = ++ws->recno;
    size_t na = mga_result_advice_count(r);
    for (size_t i = 0; i < na; i++) {
        const mga_advice *a = mga_result_advice_ref(r, i);
        if (!a)
            continue;
        if ((unsigned)a->severity < 3)
            ws->sev[a->severity]++;
        size_t k = a->rule ? ruleindex_find(ri, a->rule) : SIZE_MAX;
        if (k != SIZE_MAX && ws->stamp[k] != rec) {
            ws->stamp[k] = rec;
            ws->fired[k]++;
        }
    }
    for (size_t i = 0, n = mga_result_prefer_count(r); i < n; i++) {
        const char *f = mga_result_prefer_ref(r, i);
        if (f && !formlist_add(&ws->prefer, f, 1))
            ws->oom = true;
    }
    for (size_t i = 0, n = mga_result_avoid_count(r); i < n; i++) {
        const char *f = mga_result_avoid_ref(r, i);
        if (f && !formlist_add(&ws->avoid, f, 1))
            ws->oom = true;
    }
}

static int formcount_cmp(const void *a, const void *b)
{
    return strcmp(((const formcount *)a)->name, ((const formcount *)b)->name);
}

static void put_forms(buf *b, formlist *fl)
{
    if (fl->n)
        qsort(fl->v, fl->n, sizeof *fl->v, formcount_cmp);
    BUF_LIT(b, "{");
    for (size_t i = 0; i < fl->n; i++) {
        if (i)
            BUF_LIT(b, ",");
        buf_jstr0(b, fl->v[i].name);
        BUF_LIT(b, ":");
        buf_ull(b, fl->v[i].n);
    }
    BUF_LIT(b, "}");
}

typedef struct worker {
    struct batch *b;
    wstats st;
    buf scratch;
    mga_result *res;  /* reused for every record */
    mga_profile *prof; /* reused for every record */
    pthread_t th;
} worker;

/* Merges the workers' counts into the first and formats the --stats document. */
static bool stats_format(buf *b, const ruleindex *ri, worker *ws, size_t nws,
                         unsigned long long ok, unsigned long long errors)
{
    wstats *t = &ws[0].st;
    for (size_t w = 1; w < nws; w++) {
        for (size_t i = 0; i < ri->nrules; i++)
            t->fired[i] += ws[w].st.fired[i];
        for (int s = 0; s < 3; s++)
            t->sev[s] += ws[w].st.sev[s];
        for (size_t i = 0; i < ws[w].st.prefer.n; i++)
            if (!formlist_add(&t->prefer, ws[w].st.prefer.v[i].name, ws[w].st.prefer.v[i].n))
                return false;
        for (size_t i = 0; i < ws[w].st.avoid.n; i++)
            if (!formlist_add(&t->avoid, ws[w].st.avoid.v[i].name, ws[w].st.avoid.v[i].n))
                return false;
        if (ws[w].st.oom)
            t->oom = true;
    }
    if (t->oom)
        return false;
    BUF_LIT(b, "{\"records\":");
    buf_ull(b, ok + errors);
    BUF_LIT(b, ",\"ok\":");
    buf_ull(b, ok);
    BUF_LIT(b, ",\"errors\":");
    buf_ull(b, errors);
    BUF_LIT(b, ",\"rules\":{");
    for (size_t i = 0; i < ri->nrules; i++) {
        if (i)
            BUF_LIT(b, ",");
        buf_jstr0(b, ri->id[i]);
        BUF_LIT(b, ":");
        buf_ull(b, t->fired[i]);
    }
    BUF_LIT(b, "},\"never_fired\":[");
    bool first = true;
    for (size_t i = 0; i < ri->nrules; i++)
        if (!t->fired[i]) {
            if (!first)
                BUF_LIT(b, ",");
            first = false;
            buf_jstr0(b, ri->id[i]);
        }
    BUF_LIT(b, "],\"forms\":{\"prefer\":");
    put_forms(b, &t->prefer);
    BUF_LIT(b, ",\"avoid\":");
    put_forms(b, &t->avoid);
    BUF_LIT(b, "},\"severity\":{\"critical\":");
    buf_ull(b, t->sev[MGA_CRITICAL]);
    BUF_LIT(b, ",\"warning\":");
    buf_ull(b, t->sev[MGA_WARNING]);
    BUF_LIT(b, ",\"info\":");
    buf_ull(b, t->sev[MGA_INFO]);
    BUF_LIT(b, "}}\n");
    return !b->oom;
}

/* ---- Chunks and records -------------------------------------------------------------- */

enum {
    REC_JSON,  /* a JSON line */
    REC_CSV,   /* a CSV record as a JSON object: errors name the CSV column */
    REC_READY  /* a CSV record that could not become a profile: its whole error line */
};

typedef struct rec {
    size_t off, len;         /* the line in chunk->in, without its line end */
    unsigned long long line; /* physical input line number (where a CSV record starts) */
    unsigned char kind;      /* REC_* */
    bool bad;                /* its output line is an error line */
} rec;

/* A constant part of the rule set (mga_result_parts: an advice item, a reference)
 * that belongs in a chunk's output before out.p[at]: written from where it lies (writev),
 * not copied. */
typedef struct ext {
    size_t at;
    const char *p;
    size_t len;
} ext;

typedef struct chunk {
    buf in;  /* the records' bytes, back to back */
    buf out; /* their output lines, but for the parts in ext */
    ext *ext; /* in order of at */
    size_t next, ext_cap, ext_bytes;
    rec recs[CHUNK_MAX];
    size_t nrec, max; /* max: the records this chunk takes (set by the reader) */
    unsigned long long ok, errors;
    unsigned long long blanks;    /* blank lines it skipped: counted once it is written whole */
    unsigned long long last_line; /* the last physical line this chunk consumed */
    unsigned long long bytes_end; /* input bytes consumed up to the end of this chunk */
    bool done;                    /* evaluated; guarded by batch.mu */
    mga_status fatal;             /* MGA_E_NOMEM if a record could not be evaluated */
} chunk;

typedef struct batch {
    const mga_ruleset *rs;
    ruleindex ri;
    bool stats;
    bool full;      /* --full: results as MGA_FORMAT_JSON, else MGA_FORMAT_JSON_LEAN */
    const char *fhir_date; /* FHIR input: the request date (mga_profile_from_fhir) */
    bool gather;    /* list the rule set's parts in chunks (stdout is not a regular file) */
    size_t iov_max; /* buffers per writev call */
    int out;        /* where the result lines go: standard output, or cli_batch_stream's fd */

    /* reader */
    FILE *in;
    csv_reader *csv; /* NULL for JSON lines */
    buf csv_line;    /* the error line of a bad CSV record */
    char *line; /* the current JSON line, at most keep bytes of it */
    size_t line_cap;
    size_t keep; /* LINE_KEEP, or for FHIR lines FHIR_KEEP */
    char *rbuf; /* read buffer: lines are cut from it without a per-line copy limit */
    size_t rpos, rlen;
    bool rend;
    unsigned long long lineno, skip, blanks, bytes;
    bool eof, read_error;
    int read_errno;

    /* the ring, guarded by mu */
    chunk *ring;
    size_t nring;
    unsigned long long nfill, ntake, nwrite; /* chunks filled, taken, written */
    bool input_done, abort;
    bool writing; /* a worker is emitting chunks (one at a time, in order) */
    pthread_mutex_t mu;
    pthread_cond_t work, room;

    /* output (the writing worker's) */
    unsigned long long ok, errors, written_line;
    /* memory the chunks written so far held for their output (buffer and part list; the
     * parts themselves live in the rule set), for chunk_max; under mu */
    unsigned long long out_bytes, out_recs;
    int write_errno;
    bool write_failed;
    bool closed;          /* the reader of the output went away (EPIPE): a quiet stop */
    unsigned long long torn;      /* bytes of a partial last line left in the output */
    unsigned long long cut;       /* bytes of a partial last line cut off the output file */
    int cut_errno;                /* why a partial last line could not be cut off */

    /* progress */
    bool progress;
    double t0, last_progress;
    unsigned long long size; /* of a regular input file, else 0 */
    size_t progress_len;
} batch;

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Appends one record to c (its text NUL-terminated in c->in). False when out of memory. */
static bool chunk_add(chunk *c, const char *s, size_t len, unsigned long long line,
                      unsigned char kind)
{
    if (!buf_grow(&c->in, len + 1))
        return false;
    rec *r = &c->recs[c->nrec++];
    r->off = c->in.len;
    r->len = len;
    r->line = line;
    r->kind = kind;
    memcpy(c->in.p + c->in.len, s, len);
    c->in.len += len;
    c->in.p[c->in.len++] = '\0';
    return true;
}

/* Appends the error member and closes the output line: ,"error":{...}}. */
static void put_error(buf *o, const char *field, size_t field_len, const char *code,
                      const char *msg, size_t msg_len, unsigned long long column)
{
    BUF_LIT(o, ",\"error\":{\"field\":");
    if (field)
        buf_jstr(o, field, field_len);
    else
        BUF_LIT(o, "null");
    BUF_LIT(o, ",\"code\":");
    buf_jstr0(o, code);
    BUF_LIT(o, ",\"message\":");
    buf_jstr(o, msg, msg_len);
    BUF_LIT(o, ",\"column\":");
    buf_ull(o, column);
    BUF_LIT(o, "}}\n");
}

/* fill_chunk for CSV: the reader turns each record into a JSON object (or an error line). */
static bool fill_chunk_csv(batch *b, chunk *c)
{
    bool more = true;
    while (c->nrec < c->max && c->in.len < CHUNK_BYTES) {
        if (stop_signal) {
            more = false;
            break;
        }
        csv_record cr;
        bool oom;
        csv_kind k = csv_reader_next(b->csv, &cr, &oom);
        if (oom) {
            c->fatal = MGA_E_NOMEM;
            more = false;
            break;
        }
        if (k == CSV_END) {
            int e = csv_reader_errno(b->csv);
            if (e && !(e == EINTR && stop_signal)) {
                b->read_error = true;
                b->read_errno = e;
            }
            b->eof = !stop_signal;
            more = false;
            break;
        }
        b->lineno = cr.end_line;
        b->bytes = csv_reader_bytes(b->csv);
        if (cr.line <= b->skip)
            continue;
        if (k == CSV_BLANK) {
            c->blanks++;
            continue;
        }
        bool ok;
        if (k == CSV_PROFILE) {
            ok = chunk_add(c, cr.json, cr.json_len, cr.line, REC_CSV);
        } else {
            buf *o = &b->csv_line;
            o->len = 0;
            BUF_LIT(o, "{\"line\":");
            buf_ull(o, cr.line);
            BUF_LIT(o, ",\"id\":");
            if (cr.id)
                buf_jstr(o, cr.id, cr.id_len);
            else
                BUF_LIT(o, "null");
            put_error(o, cr.field, cr.field ? strlen(cr.field) : 0, cr.code, cr.message,
                      strlen(cr.message), cr.column);
            ok = !o->oom && chunk_add(c, o->p, o->len, cr.line, REC_READY);
        }
        if (!ok) {
            c->fatal = MGA_E_NOMEM;
            more = false;
            break;
        }
    }
    c->last_line = b->lineno;
    c->bytes_end = b->bytes;
    return more;
}

/* Fills c with the next records. Returns false once no more input will be read (end of
 * input, a read error or a stop signal); c may still hold records then. */
/* A JSON line longer than a profile may be keeps only this much: enough for the profile
 * reader to report it (E4012) and for its id to be found, so that a line of any length
 * costs bounded memory and still gets its error line. */
#define LINE_KEEP (MGA_PROFILE_MAX_BYTES + 1)
/* A FHIR line may be as long as the FHIR reader reads (16 MiB), not a profile's 1 MiB:
 * cut shorter, a good Bundle would be lost as bad JSON */
#define FHIR_KEEP (MGA_FHIR_MAX_BYTES + 1)
#define RBUF_SIZE ((size_t)1 << 16)

/* Reads the next line into b->line (without '\n'), keeping at most b->keep bytes of it.
 * *len is what was kept, *raw the bytes the line took in the input ('\n' included).
 * Returns -1 at the end of input or on a read error (b->in's error flag tells), else 0. */
static int read_line(batch *b, size_t *len, unsigned long long *raw)
{
    size_t k = 0;
    unsigned long long t = 0;
    for (;;) {
        if (b->rpos == b->rlen) {
            if (b->rend)
                break;
            size_t n = fread(b->rbuf, 1, RBUF_SIZE, b->in);
            if (n == 0) {
                b->rend = true;
                break;
            }
            b->rpos = 0;
            b->rlen = n;
        }
        const char *p = b->rbuf + b->rpos;
        size_t avail = b->rlen - b->rpos;
        const char *nl = memchr(p, '\n', avail);
        size_t n = nl ? (size_t)(nl - p) : avail;
        size_t take = k >= b->keep ? 0 : n < b->keep - k ? n : b->keep - k;
        if (k + take + 1 > b->line_cap) {
            size_t cap = b->line_cap ? b->line_cap : 256;
            while (cap < k + take + 1)
                cap *= 2;
            char *nb = realloc(b->line, cap);
            if (!nb) {
                errno = ENOMEM;
                return -1;
            }
            b->line = nb;
            b->line_cap = cap;
        }
        memcpy(b->line + k, p, take);
        k += take;
        t += n;
        b->rpos += n;
        if (nl) {
            b->rpos++;
            *len = k;
            *raw = t + 1;
            return 0;
        }
    }
    if (t == 0)
        return -1; /* nothing after the last newline */
    *len = k;
    *raw = t;
    return 0;
}

static bool fill_chunk(batch *b, chunk *c)
{
    c->in.len = 0;
    c->nrec = 0;
    c->ok = c->errors = c->blanks = 0;
    c->fatal = MGA_OK;
    if (b->csv)
        return fill_chunk_csv(b, c);
    bool more = true;
    while (c->nrec < c->max && c->in.len < CHUNK_BYTES) {
        if (stop_signal) {
            more = false;
            break;
        }
        errno = 0;
        size_t len;
        unsigned long long raw;
        if (read_line(b, &len, &raw) < 0) {
            if (ferror(b->in) && !(errno == EINTR && stop_signal)) {
                b->read_error = true;
                b->read_errno = errno ? errno : EIO;
            }
            if (errno == ENOMEM && !ferror(b->in))
                c->fatal = MGA_E_NOMEM;
            b->eof = !stop_signal;
            more = false;
            break;
        }
        b->lineno++;
        b->bytes += raw;
        if (b->lineno <= b->skip)
            continue;
        if (len && b->line[len - 1] == '\r')
            len--;
        if (is_blank(b->line, len)) {
            c->blanks++;
            continue;
        }
        if (!chunk_add(c, b->line, len, b->lineno, REC_JSON)) {
            c->fatal = MGA_E_NOMEM;
            more = false;
            break;
        }
    }
    c->last_line = b->lineno;
    c->bytes_end = b->bytes;
    return more;
}

/* Appends a result's parts to c: the long constant ones listed (when the output takes
 * gathered writes), the rest copied. The line's final newline is left out: the batch's
 * own fields close it. False when out of memory. */
/* A record's parts into c: the constant ones listed (written where they lie) when the
 * output is gathered, the rest copied; the line end of the last left out (the caller
 * ends the line). Every constant part is listed whatever its length: those of one result
 * that lie side by side come merged (mga_result_parts), and a test of the length would be
 * a branch the profile decides. */
static bool put_parts(const batch *b, chunk *c, const mga_part *v, size_t n)
{
    if (c->next + n > c->ext_cap) {
        size_t cap = c->ext_cap ? 2 * c->ext_cap : 256;
        while (cap < c->next + n)
            cap *= 2;
        ext *ne = cap <= SIZE_MAX / sizeof *ne ? realloc(c->ext, cap * sizeof *ne) : NULL;
        if (!ne)
            return false;
        c->ext = ne;
        c->ext_cap = cap;
    }
    buf *o = &c->out;
    for (size_t i = 0; i < n; i++) {
        size_t len = v[i].len;
        if (i + 1 == n && len && v[i].p[len - 1] == '\n')
            len--;
        if (v[i].stable && b->gather) {
            c->ext[c->next++] = (ext){o->len, v[i].p, len};
            c->ext_bytes += len;
        } else {
            buf_put(o, v[i].p, len);
        }
    }
    return !o->oom;
}

/* Formats the output line of one record into c->out. Returns MGA_E_NOMEM when out of memory
 * (a bad record is not a failure). */
static mga_status do_record(batch *b, worker *w, chunk *c, const rec *r)
{
    const char *json = c->in.p + r->off;
    buf *o = &c->out;
    if (r->kind == REC_READY) {
        buf_put(o, json, r->len);
        c->errors++;
        return o->oom ? MGA_E_NOMEM : MGA_OK;
    }
    mga_diags *d = NULL;
    mga_status st;
    if (b->fhir_date) {
        /* a new profile per record (FHIR has no reusing reader); the result still points
         * at the last one, and evaluating anew is all it is used for */
        mga_profile_free(w->prof);
        w->prof = NULL;
        st = mga_profile_from_fhir(b->rs, "<batch>", json, r->len, b->fhir_date, &w->prof, &d);
    } else {
        /* the worker's profile is reused: once warm, parsing allocates nothing either */
        st = mga_profile_parse_reuse(b->rs, "<batch>", json, r->len, &w->prof, &d);
    }
    const mga_profile *p = w->prof;
    BUF_LIT(o, "{\"line\":");
    buf_ull(o, r->line);
    BUF_LIT(o, ",\"id\":");
    if (st == MGA_OK) {
        mga_diags_free(d);
        /* the worker's result is reused: once warm, evaluating and writing allocate
         * nothing (it points at p until the next record overwrites it) */
        st = mga_evaluate_reuse(b->rs, p, &w->res);
        const mga_result *res = w->res;
        if (st == MGA_OK) {
            if (mga_result_id_is_number(res))
                buf_put(o, mga_result_id(res), strlen(mga_result_id(res)));
            else
                buf_jstr0(o, mga_result_id(res));
            BUF_LIT(o, ",\"result\":");
            const mga_part *parts = NULL;
            size_t nparts = 0;
            st = mga_result_parts(res, b->full ? MGA_FORMAT_JSON : MGA_FORMAT_JSON_LEAN, &parts,
                                  &nparts);
            if (st == MGA_OK && !put_parts(b, c, parts, nparts))
                st = MGA_E_NOMEM;
            BUF_LIT(o, "}\n");
            if (b->stats)
                wstats_count(&w->st, &b->ri, res);
            c->ok++;
        }
        return o->oom ? MGA_E_NOMEM : st;
    }
    if (st != MGA_E_PROFILE) {
        mga_diags_free(d);
        return st == MGA_E_NOMEM ? MGA_E_NOMEM : st;
    }
    const mga_diag *dg = NULL;
    for (size_t i = 0, n = mga_diags_count(d); i < n && !dg; i++) {
        const mga_diag *x = mga_diags_ref(d, i);
        if (x && x->kind == MGA_DIAG_ERROR)
            dg = x;
    }
    put_raw_id(o, &w->scratch, json, r->len);
    const char *msg = dg && dg->message ? dg->message : "invalid profile";
    const char *field = dg ? dg->path : NULL;
    size_t flen = field ? strlen(field) : 0;
    char code[16];
    if (dg)
        snprintf(code, sizeof code, "E%04u", dg->code);
    size_t mlen = strlen(msg);
    unsigned long long col = dg ? dg->col : 0;
    if (r->kind == REC_CSV && dg) {
        /* the JSON is ours, not the input: name the CSV column, drop the JSON byte offset
         * that ends a located profile message (mgadvise.h) */
        col = field ? csv_reader_column(b->csv, field, flen) : 0;
        char at[40];
        int n = snprintf(at, sizeof at, " (byte %zu)", dg->offset);
        size_t an = n > 0 ? (size_t)n : 0;
        if (dg->line && an && mlen >= an && memcmp(msg + mlen - an, at, an) == 0)
            mlen -= an;
    }
    put_error(o, field, flen, dg ? code : NULL, msg, mlen, col);
    mga_diags_free(d);
    c->errors++;
    return o->oom || w->scratch.oom ? MGA_E_NOMEM : MGA_OK;
}

static void do_chunk(batch *b, worker *w, chunk *c)
{
    c->out.len = 0;
    c->out.oom = false;
    c->next = 0;
    c->ext_bytes = 0;
    for (size_t i = 0; i < c->nrec && c->fatal == MGA_OK; i++) {
        unsigned long long errors = c->errors;
        c->fatal = do_record(b, w, c, &c->recs[i]);
        c->recs[i].bad = c->errors != errors;
    }
    if (w->st.oom)
        c->fatal = MGA_E_NOMEM;
}

/* ---- Output and progress ------------------------------------------------------------- */

/* Whole buffers through write(2): EINTR and short writes are retried, so a line is never
 * cut, and a failure (EPIPE, EBADF, ENOSPC) is reported rather than lost in a stdio buffer.
 * *done grows by the bytes written, also when it fails part way (see write_failed). */
static bool write_all(int fd, const char *p, size_t n, int *err, size_t *done)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return false;
        }
        p += k;
        n -= (size_t)k;
        *done += (size_t)k;
    }
    return true;
}

/* The same for a list of buffers through writev(2), iov_max at a time (batch.iov_max:
 * _SC_IOV_MAX, at most IOV_BATCH), bytes in all. The entries of v are consumed. */
#define IOV_BATCH 1024
static bool writev_all(int fd, struct iovec *v, size_t n, size_t bytes, size_t iov_max, int *err,
                       size_t *done)
{
    while (n) {
        size_t k = n < iov_max ? n : iov_max;
        ssize_t w = writev(fd, v, (int)k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return false;
        }
        *done += (size_t)w;
        if (k == n && (size_t)w == bytes) /* the common case: all of it */
            return true;
        bytes -= (size_t)w;
        /* past the entries written whole, into a part written in part */
        size_t left = (size_t)w;
        while (n && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            n--;
        }
        if (n) {
            v->iov_base = (char *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return true;
}

/* A chunk's output: its buffer with the listed constant parts in their places. The piece
 * of buffer before a part is listed only when it is not empty, by a select: whether it is
 * follows the results' shapes. */
static bool write_chunk(int fd, const chunk *c, size_t iov_max, int *err, size_t *done)
{
    if (!c->next)
        return !c->out.len || write_all(fd, c->out.p, c->out.len, err, done);
    struct iovec v[IOV_BATCH + 2];
    size_t nv = 0, at = 0, bytes = 0;
    for (size_t i = 0; i <= c->next; i++) {
        size_t end = i < c->next ? c->ext[i].at : c->out.len;
        v[nv] = (struct iovec){.iov_base = c->out.p + at, .iov_len = end - at};
        bytes += end - at;
        nv += end > at;
        at = end;
        if (i < c->next) {
            v[nv++] = (struct iovec){.iov_base = (void *)c->ext[i].p, .iov_len = c->ext[i].len};
            bytes += c->ext[i].len;
        }
        if (nv >= IOV_BATCH || i == c->next) {
            if (nv && !writev_all(fd, v, nv, bytes, iov_max, err, done))
                return false;
            nv = 0;
            bytes = 0;
        }
    }
    return true;
}

static void progress_clear(batch *b)
{
    if (!b->progress_len)
        return;
    char spaces[160];
    size_t n = b->progress_len < sizeof spaces ? b->progress_len : sizeof spaces;
    memset(spaces, ' ', n);
    fputc('\r', stderr);
    fwrite(spaces, 1, n, stderr);
    fputc('\r', stderr);
    fflush(stderr);
    b->progress_len = 0;
}

static void progress_show(batch *b, unsigned long long bytes_done)
{
    double t = now_seconds();
    if (t - b->last_progress < 0.25)
        return;
    b->last_progress = t;
    double el = t - b->t0;
    unsigned long long recs = b->ok + b->errors;
    double rate = el > 0 ? (double)recs / el : 0;
    char line[160];
    int n = snprintf(line, sizeof line, "mgadvise batch: %llu records, %.0f records/s", recs,
                     rate);
    if (b->size && n > 0 && (size_t)n < sizeof line) {
        double frac = (double)bytes_done / (double)b->size;
        if (frac > 1)
            frac = 1;
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        unsigned long long s = (unsigned long long)(eta + 0.5);
        n += snprintf(line + n, sizeof line - (size_t)n, ", %.1f%%, ETA %llu:%02llu:%02llu",
                      frac * 100, s / 3600, s / 60 % 60, s % 60);
    }
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    fputc('\r', stderr);
    fwrite(line, 1, len, stderr);
    /* pad over a longer previous line */
    for (size_t i = len; i < b->progress_len; i++)
        fputc(' ', stderr);
    fflush(stderr);
    b->progress_len = len > b->progress_len ? len : b->progress_len;
}

/* The whole lines among the first `bytes` bytes of c's output (its buffer with the listed
 * parts in their places; every line ends in the one '\n' of its record) and the bytes
 * after the last of them. */
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

static size_t lines_written(const chunk *c, size_t bytes, size_t *tail)
{
    size_t lines = 0, at = 0;
    *tail = 0;
    for (size_t i = 0; i <= c->next && bytes; i++) {
        size_t end = i < c->next ? c->ext[i].at : c->out.len;
        size_t n = end - at < bytes ? end - at : bytes;
        count_lines(c->out.p + at, n, &lines, tail);
        bytes -= n;
        at = end;
        if (i < c->next && bytes) {
            n = c->ext[i].len < bytes ? c->ext[i].len : bytes;
            count_lines(c->ext[i].p, n, &lines, tail);
            bytes -= n;
        }
    }
    return lines;
}

/* After a failed write of c, of which `done` bytes went out: counts the records written
 * whole, and cuts a partial last line off a regular output file (the file ends where
 * this run wrote last, nothing after it) so that it holds only whole lines. */
static void write_failed(batch *b, chunk *c, size_t done)
{
    size_t tail = 0, k = lines_written(c, done, &tail);
    for (size_t i = 0; i < k && i < c->nrec; i++) {
        if (c->recs[i].bad)
            b->errors++;
        else
            b->ok++;
    }
    if (k)
        b->written_line = c->recs[k - 1].line;
    if (b->write_errno == EPIPE) {
        b->closed = true; /* no one reads on, not even the rest of a partial line */
        return;
    }
    b->write_failed = true;
    if (!tail)
        return;
    struct stat st;
    off_t pos = lseek(b->out, 0, SEEK_CUR);
    if (pos < 0 || fstat(b->out, &st) != 0 || !S_ISREG(st.st_mode)) {
        b->torn = tail;
        b->cut_errno = 0;
    } else if (st.st_size != pos || (off_t)tail > pos) {
        b->torn = tail; /* something follows what this run wrote: not ours to cut */
        b->cut_errno = 0;
    } else if (ftruncate(b->out, pos - (off_t)tail) != 0) {
        b->torn = tail;
        b->cut_errno = errno;
    } else {
        lseek(b->out, pos - (off_t)tail, SEEK_SET);
        b->cut = tail;
    }
}

/* Emits one evaluated chunk. False when standard output failed. */
static bool emit_chunk(batch *b, chunk *c)
{
    if (b->write_failed || b->closed)
        return false;
    size_t done = 0;
    if (!write_chunk(b->out, c, b->iov_max, &b->write_errno, &done)) {
        write_failed(b, c, done);
        return false;
    }
    b->ok += c->ok;
    b->blanks += c->blanks;
    b->errors += c->errors;
    b->written_line = c->last_line;
    if (b->progress)
        progress_show(b, c->bytes_end);
    return true;
}

/* ---- Threads ------------------------------------------------------------------------- */

/* Records for the next chunk: about CHUNK_OUT bytes of output at the rate so far
 * (CHUNK_OUT_COPY when the output is copied whole into the buffer). */
static size_t chunk_max(const batch *b)
{
    if (!b->out_recs)
        return CHUNK_MIN;
    unsigned long long target = b->gather ? CHUNK_OUT : CHUNK_OUT_COPY;
    unsigned long long n = target / (b->out_bytes / b->out_recs + 1);
    return n < CHUNK_MIN ? CHUNK_MIN : n > CHUNK_MAX ? CHUNK_MAX : (size_t)n;
}

/* Emits the finished chunks at the head of the ring, in order, until one is not done; the
 * caller holds mu and no other worker is writing. A worker that finishes a chunk while
 * another writes leaves it: the writer checks again, under mu, after each chunk. */
static void write_ready(batch *b)
{
    b->writing = true;
    for (;;) {
        chunk *c = &b->ring[b->nwrite % b->nring];
        if (b->abort || b->nwrite == b->nfill || !c->done)
            break;
        pthread_mutex_unlock(&b->mu);
        size_t out_len = c->out.len + c->next * sizeof *c->ext;
        bool ok = c->fatal == MGA_OK && emit_chunk(b, c);
        buf_trim(&c->out);
        buf_trim(&c->in);
        pthread_mutex_lock(&b->mu);
        b->out_bytes += out_len;
        b->out_recs += c->nrec;
        c->done = false;
        b->nwrite++;
        if (!ok) {
            b->abort = true;
            pthread_cond_broadcast(&b->work);
        }
        pthread_cond_signal(&b->room);
    }
    b->writing = false;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    batch *b = w->b;
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
        if (c->fatal != MGA_OK) {
            b->abort = true;
            pthread_cond_broadcast(&b->work);
            pthread_cond_broadcast(&b->room);
        }
        if (!b->writing)
            write_ready(b);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Reader on this thread, workers on their own (they also write); the signals are blocked
 * in the workers so that only the reader sees them. Returns the first fatal status, if
 * any. */
static mga_status run_threads(batch *b, worker *ws, size_t nw)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    size_t started = 0;
    for (; started < nw; started++)
        if (pthread_create(&ws[started].th, NULL, worker_main, &ws[started]) != 0)
            break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    mga_status st = started ? MGA_OK : MGA_E_NOMEM;

    bool more = st == MGA_OK;
    while (more) {
        pthread_mutex_lock(&b->mu);
        while (b->nfill - b->nwrite >= b->nring && !b->abort)
            pthread_cond_wait(&b->room, &b->mu);
        bool abort = b->abort;
        size_t max = chunk_max(b);
        pthread_mutex_unlock(&b->mu);
        if (abort)
            break;
        chunk *c = &b->ring[b->nfill % b->nring];
        c->max = max;
        unsigned long long before = b->lineno;
        more = fill_chunk(b, c);
        if (c->fatal != MGA_OK) {
            st = c->fatal;
            pthread_mutex_lock(&b->mu);
            b->abort = true;
            pthread_mutex_unlock(&b->mu);
            break;
        }
        if (c->nrec || b->lineno != before) {
            pthread_mutex_lock(&b->mu);
            c->done = false; /* even a chunk of blank lines goes through a worker: the
                              * workers take chunks strictly in ring order */
            b->nfill++;
            pthread_cond_signal(&b->work);
            pthread_mutex_unlock(&b->mu);
        }
    }
    pthread_mutex_lock(&b->mu);
    b->input_done = true;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(ws[i].th, NULL);
    /* a chunk a worker could not finish */
    for (size_t i = 0; i < b->nring && st == MGA_OK; i++)
        if (b->ring[i].fatal != MGA_OK)
            st = b->ring[i].fatal;
    return st;
}

static mga_status run_inline(batch *b, worker *w)
{
    chunk *c = &b->ring[0];
    bool more = true;
    while (more) {
        /* one thread: no handoffs to save, and a small chunk's output stays in cache */
        c->max = CHUNK_MIN;
        more = fill_chunk(b, c);
        if (c->fatal != MGA_OK)
            return c->fatal;
        do_chunk(b, w, c);
        if (c->fatal != MGA_OK)
            return c->fatal;
        if (!emit_chunk(b, c))
            return MGA_E_WRITE;
        buf_trim(&c->out);
        buf_trim(&c->in);
    }
    return MGA_OK;
}

/* ---- One run over an open input ---------------------------------------------------- */

typedef struct batch_cfg {
    const mga_ruleset *rs;
    FILE *in;
    const char *name; /* of the input, for messages */
    bool csv;
    size_t jobs;
    unsigned long long skip;
    bool quiet;   /* no progress line */
    bool summary; /* the summary line on stderr */
    int out;      /* the result lines' file descriptor */
    FILE *stats;  /* --stats: closed by batch_run */
    const char *stats_path;
    bool full;  /* --full: results as MGA_FORMAT_JSON, else MGA_FORMAT_JSON_LEAN */
    const char *fhir_date; /* --input-format fhir: the request date; NULL: JSON profiles */
} batch_cfg;

/* Reads cfg->in to its end, writing one line per record to cfg->out: the exit status. */
static int batch_run(const batch_cfg *cfg)
{
    const mga_ruleset *rs = cfg->rs;
    FILE *in = cfg->in, *stats_file = cfg->stats;
    const char *stats_path = cfg->stats_path;
    unsigned long long skip = cfg->skip;
    size_t jobs = cfg->jobs;
    bool quiet = cfg->quiet;
    int rc = EXIT_OK;
    mga_status st = MGA_OK;

    batch b;
    memset(&b, 0, sizeof b);
    if (cfg->csv) {
        int crc = csv_reader_new(rs, in, cfg->name, &b.csv);
        if (crc) {
            if (stats_file)
                fclose(stats_file);
            return crc;
        }
        unsigned long long blank, header_end;
        csv_reader_header(b.csv, &blank, &header_end);
        b.blanks = blank > skip ? blank - skip : 0;
        b.lineno = header_end;
        b.bytes = csv_reader_bytes(b.csv);
    }
    b.rs = rs;
    b.stats = stats_file != NULL;
    b.full = cfg->full;
    b.fhir_date = cfg->fhir_date;
    b.keep = cfg->fhir_date ? FHIR_KEEP : LINE_KEEP;
    b.out = cfg->out;
    /* Gathered writes save a copy into pipes, sockets and devices. Into a regular file
     * they do not pay: with the page cache under writeback, 20,000 full records took
     * 1.0-1.2 s through writev against 0.2 s copied into one buffer (make bench, 1M run) */
    struct stat so;
    b.gather = fstat(b.out, &so) == 0 && !S_ISREG(so.st_mode);
    long iov = sysconf(_SC_IOV_MAX); /* POSIX: at least 16; Linux 1024 */
    b.iov_max = iov < 16 ? 16 : iov > IOV_BATCH ? IOV_BATCH : (size_t)iov;
    b.in = in;
    b.skip = skip;
    b.nring = jobs == 1 ? 1 : (size_t)jobs * RING_PER_THREAD;
    b.ring = calloc(b.nring, sizeof *b.ring);
    size_t nw = (size_t)jobs;
    worker *ws = calloc(nw, sizeof *ws);
    b.rbuf = b.csv ? NULL : malloc(RBUF_SIZE);
    bool ok = b.ring && ws && (b.csv || b.rbuf) && ruleindex_init(&b.ri, rs);
    for (size_t i = 0; ok && i < nw; i++) {
        ws[i].b = &b;
        ok = !b.stats || wstats_init(&ws[i].st, b.ri.nrules);
    }
    struct stat sb;
    if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        b.size = (unsigned long long)sb.st_size;
    b.progress = !quiet && isatty(STDERR_FILENO);

    struct sigaction sa, old_int, old_term, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART, so a blocked read returns; a second signal kills as usual */
    sa.sa_flags = (int)SA_RESETHAND;
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, &old_pipe); /* a closed stdout is a write error, not a death */

    if (b.out == STDOUT_FILENO)
        fflush(stdout);
    b.t0 = now_seconds();
    if (!ok) {
        st = MGA_E_NOMEM;
    } else if (jobs == 1) {
        st = run_inline(&b, &ws[0]);
    } else {
        pthread_mutex_init(&b.mu, NULL);
        pthread_cond_init(&b.work, NULL);
        pthread_cond_init(&b.room, NULL);
        st = run_threads(&b, ws, nw);
        pthread_cond_destroy(&b.room);
        pthread_cond_destroy(&b.work);
        pthread_mutex_destroy(&b.mu);
    }
    double elapsed = now_seconds() - b.t0;
    int sig = stop_signal;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    progress_clear(&b);

    if (b.write_failed) {
        fprintf(stderr, "mgadvise batch: cannot write output: %s\n", strerror(b.write_errno));
        rc = EXIT_INTERNAL;
    } else if (st != MGA_OK && !b.closed) {
        fprintf(stderr, "mgadvise batch: %s\n", mga_status_str(st));
        rc = cli_status_exit(st) == EXIT_OK ? EXIT_INTERNAL : cli_status_exit(st);
    } else if (b.read_error) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot read '%s' after line %llu: %s\n",
                cli_esc(e, sizeof e, cfg->name), b.lineno, strerror(b.read_errno));
        rc = EXIT_IO;
    } else if (b.errors) {
        rc = EXIT_INVALID;
    }

    if (stats_file) {
        /* the counts cover every record evaluated: only when all of them were written do
         * they describe the output */
        buf sbuf = {0};
        const char *why = NULL;
        int serr = 0;
        if (b.write_failed || b.closed)
            why = "the output ended early, so the counts would not match it";
        else if (rc == EXIT_INTERNAL)
            why = "the run failed";
        else if (!stats_format(&sbuf, &b.ri, ws, nw, b.ok, b.errors))
            why = "out of memory";
        errno = 0;
        if (!why && fwrite(sbuf.p, 1, sbuf.len, stats_file) != sbuf.len) {
            serr = errno ? errno : EIO;
            why = "";
        }
        errno = 0;
        if (fclose(stats_file) != 0 && !why) {
            serr = errno ? errno : EIO;
            why = "";
        }
        if (why) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise batch: cannot write statistics '%s': %s\n",
                    cli_esc(e, sizeof e, stats_path), serr ? strerror(serr) : why);
            rc = EXIT_INTERNAL;
        }
        free(sbuf.p);
    }

    unsigned long long recs = b.ok + b.errors;
    if (cfg->summary)
        fprintf(stderr,
            "mgadvise batch: %llu records, %llu ok, %llu errors, %llu blank lines skipped, "
            "%.2f s, %.0f records/s\n",
            recs, b.ok, b.errors, b.blanks, elapsed,
            elapsed > 0 ? (double)recs / elapsed : 0.0);
    unsigned long long resume = b.written_line > skip ? b.written_line : skip;
    if (b.write_failed || b.closed) {
        /* the output holds exactly the records counted above, the last for line resume */
        if (b.cut)
            fprintf(stderr,
                    "mgadvise batch: a partial last line (%llu bytes) was cut off the output\n",
                    b.cut);
        else if (b.torn && b.cut_errno)
            fprintf(stderr,
                    "mgadvise batch: the output ends in a partial line of %llu bytes that "
                    "could not be cut off: %s\n",
                    b.torn, strerror(b.cut_errno));
        else if (b.torn)
            fprintf(stderr,
                    "mgadvise batch: the output ends in a partial line of %llu bytes (not a "
                    "file this run can cut)\n",
                    b.torn);
        fprintf(stderr,
                "mgadvise batch: %s after input line %llu (%llu records written); resume with "
                "--skip %llu\n",
                b.closed ? "output closed by its reader" : "stopped", resume, recs, resume);
    } else if (sig && rc != EXIT_INTERNAL) {
        fprintf(stderr, "mgadvise batch: interrupted after input line %llu; resume with --skip "
                        "%llu\n",
                resume, resume);
        rc = sig == SIGINT ? 130 : 143;
    }

    for (size_t i = 0; i < b.nring && b.ring; i++) {
        free(b.ring[i].in.p);
        free(b.ring[i].out.p);
        free(b.ring[i].ext);
    }
    for (size_t i = 0; ws && i < nw; i++) {
        if (b.stats)
            wstats_free(&ws[i].st);
        free(ws[i].scratch.p);
        mga_result_free(ws[i].res);
        mga_profile_free(ws[i].prof);
    }
    free(ws);
    free(b.ring);
    ruleindex_free(&b.ri);
    free(b.line);
    free(b.rbuf);
    csv_reader_free(b.csv);
    free(b.csv_line.p);
    return rc;
}

int cli_batch_stream(const mga_ruleset *rs, FILE *in, bool csv, int out_fd)
{
    batch_cfg cfg = {rs, in, "<input>", csv, 1, 0, true, false, out_fd, NULL, NULL, true, NULL};
    return batch_run(&cfg);
}

/* ---- The command --------------------------------------------------------------------- */


enum {
    OPT_SKIP = CLI_OPT_LONG,
    OPT_INPUT_FORMAT,
    OPT_STATS,
    OPT_CATALOG,
    OPT_FULL,
    OPT_DATE,
    OPT_ALLOW_UNKNOWN
};

static const cli_opt batch_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"jobs", 'j', "a number of threads (1 to 64)", 'j'},
    {"input-format", 0, "jsonl, csv or fhir", OPT_INPUT_FORMAT},
    {"date", 0, "a date (YYYY-MM-DD)", OPT_DATE},
    {"skip", 0, "a number of lines", OPT_SKIP},
    {"stats", 0, "a file", OPT_STATS},
    {"catalog", 0, "a file", OPT_CATALOG},
    {"full", 0, NULL, OPT_FULL},
    {"allow-unknown-fields", 0, NULL, OPT_ALLOW_UNKNOWN},
    {"quiet", 'q', NULL, 'q'},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* True when the file at path is the regular file st (the same device and inode). */
static bool is_file(const char *path, const struct stat *st)
{
    struct stat sp;
    return path && S_ISREG(st->st_mode) && stat(path, &sp) == 0 && S_ISREG(sp.st_mode) &&
           sp.st_dev == st->st_dev && sp.st_ino == st->st_ino;
}

/* An output file (--stats, --catalog) opened for writing is emptied at once: when it is
 * the input, standard output or the other output file, records would be lost. A usage
 * error naming the option, before anything is opened for writing; false when none. */
static bool output_clash(FILE *in, const char *stats_path, const char *catalog_path)
{
    const char *opt[2] = {"--stats", "--catalog"}, *path[2] = {stats_path, catalog_path};
    struct stat si, so;
    bool have_in = fstat(fileno(in), &si) == 0, have_out = fstat(STDOUT_FILENO, &so) == 0;
    for (int i = 0; i < 2; i++) {
        const char *what = NULL;
        if (!path[i])
            continue;
        if (have_in && is_file(path[i], &si))
            what = "the input";
        else if (have_out && is_file(path[i], &so))
            what = "standard output";
        else if (i == 1 && path[0]) {
            struct stat s0;
            if (strcmp(path[0], path[1]) == 0 || (stat(path[0], &s0) == 0 && is_file(path[1], &s0)))
                what = "the --stats file";
        }
        if (what) {
            char fmt[128];
            snprintf(fmt, sizeof fmt, "%s '%%s' is %s: give another file", opt[i], what);
            cli_usage_error("batch", fmt, path[i]);
            return true;
        }
    }
    return false;
}

int cli_batch(int argc, char **argv)
{
    mga_options opt;
    mga_options_init(&opt);
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char *input = NULL, *stats_path = NULL, *catalog_path = NULL;
    unsigned long long jobs = 0, skip = 0;
    bool quiet = false, full = false;
    int csv_format = -1; /* 0 JSON lines, 1 CSV, 2 FHIR lines, -1 from the file name */
    const char *date = NULL;
    cli_parser P;
    if (!rules || cli_parser_init(&P, "batch", batch_opts) != 0) {
        fputs("mgadvise batch: out of memory\n", stderr);
        free(rules);
        return EXIT_INTERNAL;
    }
    int c, urc = -1;
    const char *v;
    while (urc < 0 && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        switch (c) {
        case 'h':
            fputs(usage_batch, stdout);
            fputs(usage_batch_tail, stdout);
            urc = EXIT_OK; /* a write error: main tells why (cli_finish_output) */
            break;
        case 'r':
            rules[nrules++] = v;
            break;
        case 'j':
            if (!parse_count(v, ULLONG_MAX, &jobs))
                urc = cli_usage_error("batch",
                                      "'%s' for -j/--jobs is not a number of threads: expected "
                                      "1 to 64",
                                      v);
            else if (jobs < 1 || jobs > MAX_JOBS)
                urc = cli_usage_error("batch", "-j/--jobs %s is out of range: expected 1 to 64 "
                                               "threads",
                                      v);
            break;
        case OPT_SKIP:
            if (!parse_count(v, ULLONG_MAX, &skip))
                urc = cli_usage_error("batch", "bad number of lines '%s' for --skip", v);
            break;
        case OPT_INPUT_FORMAT:
            if (strcmp(v, "jsonl") == 0 || strcmp(v, "csv") == 0 || strcmp(v, "fhir") == 0)
                csv_format = v[0] == 'c' ? 1 : v[0] == 'f' ? 2 : 0;
            else
                urc = cli_usage_error("batch",
                                      "unknown input format '%s' for --input-format: expected "
                                      "jsonl, csv or fhir",
                                      v);
            break;
        case OPT_DATE:
            date = v;
            break;
        case OPT_STATS:
            stats_path = v;
            break;
        case OPT_CATALOG:
            catalog_path = v;
            break;
        case OPT_FULL:
            full = true;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_ALLOW_UNKNOWN:
            opt.allow_unknown_fields = true;
            break;
        default:
            urc = EXIT_USAGE;
        }
    }
    if (urc < 0 && optind < argc)
        input = argv[optind++];
    if (urc < 0 && date && csv_format != 2)
        urc = cli_usage_error("batch", "%s--date is the request date of FHIR input: give "
                                       "--input-format fhir too", "");
    if (urc < 0 && date)
        urc = cli_date_usage("batch", date) == EXIT_OK ? -1 : EXIT_USAGE;
    if (urc < 0 && optind < argc)
        urc = cli_usage_error("batch", "one input at a time; '%s' is one too many", argv[optind]);
    if (urc < 0 && input &&
        cli_is_folder("batch", input, "a JSON-lines or CSV file, or '-'"))
        urc = EXIT_USAGE;
    if (urc >= 0) {
        free(rules);
        return urc;
    }
    if (!jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (unsigned long long)n;
    }

    bool from_stdin = !input || strcmp(input, "-") == 0;
    if (csv_format < 0) {
        size_t n = from_stdin ? 0 : strlen(input);
        csv_format = n >= 4 && strcasecmp(input + n - 4, ".csv") == 0;
    }
    FILE *in = from_stdin ? stdin : fopen(input, "rb");
    if (!in) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot read '%s': %s\n", cli_esc(e, sizeof e, input),
                strerror(errno));
        free(rules);
        return EXIT_IO;
    }
    if (output_clash(in, stats_path, catalog_path)) {
        if (!from_stdin)
            fclose(in);
        free(rules);
        return EXIT_USAGE;
    }
    FILE *stats_file = NULL;
    if (stats_path && !(stats_file = fopen(stats_path, "wb"))) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot write '%s': %s\n",
                cli_esc(e, sizeof e, stats_path), strerror(errno));
        if (!from_stdin)
            fclose(in);
        free(rules);
        return EXIT_INTERNAL;
    }
    FILE *catalog_file = NULL;
    if (catalog_path && !(catalog_file = fopen(catalog_path, "wb"))) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot write catalog '%s': %s\n",
                cli_esc(e, sizeof e, catalog_path), strerror(errno));
        if (stats_file)
            fclose(stats_file);
        if (!from_stdin)
            fclose(in);
        free(rules);
        return EXIT_INTERNAL;
    }

    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_status st = mga_engine_new(&opt, &eng);
    if (st == MGA_OK)
        st = cli_load_rules(eng, rules, nrules, &rs, NULL);
    free(rules);
    if (st == MGA_OK && catalog_file) {
        /* the catalog is whole on disk before any record is read */
        errno = 0;
        mga_status cst = mga_ruleset_write_catalog(rs, cli_write_file, catalog_file);
        int err = errno;
        if (fclose(catalog_file) != 0 && cst == MGA_OK) {
            cst = MGA_E_WRITE;
            err = errno;
        }
        catalog_file = NULL;
        if (cst != MGA_OK) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise batch: cannot write catalog '%s': %s\n",
                    cli_esc(e, sizeof e, catalog_path), cst == MGA_E_WRITE ? strerror(err ? err : EIO) : mga_status_str(cst));
            mga_ruleset_free(rs);
            rs = NULL;
            st = MGA_E_WRITE; /* reported: exit 4 below */
        }
    }
    if (st != MGA_OK) {
        if (st != MGA_E_COMPILE && st != MGA_E_IO && st != MGA_E_WRITE)
            fprintf(stderr, "mgadvise batch: %s\n", mga_status_str(st));
        mga_engine_free(eng);
        if (catalog_file)
            fclose(catalog_file);
        if (stats_file)
            fclose(stats_file);
        if (!from_stdin)
            fclose(in);
        return cli_status_exit(st);
    }

    char today[16];
    if (csv_format == 2 && !date && !(date = cli_today_utc(today))) {
        fputs("mgadvise batch: cannot read the date\n", stderr);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        if (stats_file)
            fclose(stats_file);
        if (!from_stdin)
            fclose(in);
        return EXIT_INTERNAL;
    }
    batch_cfg cfg = {rs,   in,    from_stdin ? "<stdin>" : input,
                     csv_format == 1, (size_t)jobs, skip, quiet, true, STDOUT_FILENO,
                     stats_file, stats_path, full, csv_format == 2 ? date : NULL};
    int rc = batch_run(&cfg);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    if (!from_stdin)
        fclose(in);
    return rc;
}
