/* SPDX-License-Identifier: MIT */
/* The decision log of `mgadvise serve`: JSON lines (yajl_gen) appended to a file under one
 * mutex, rotated by size (FILE.1 ... FILE.K), patient ids as HMAC-SHA-256 (OpenSSL's
 * libcrypto) under a key from a file or made at random for the run. */
#define _DEFAULT_SOURCE /* getrandom */
#include "declog.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define KEY_MIN 16
#define KEY_MAX 1024

struct declog {
    pthread_mutex_t mu;
    char *path;
    int fd;
    unsigned long long size, max_bytes;
    unsigned keep;
    bool plain_ids, random_key, reported;
    bool regular; /* FILE is a regular file: only such a file is rotated (renamed) */
    unsigned char key[KEY_MAX];
    size_t keylen;
    EVP_MAC_CTX *mac; /* HMAC-SHA-256 keyed once, copied for each id (NULL: HMAC()) */
};

/* l->mac keyed with l->key: each id's HMAC then copies it instead of looking up HMAC and
 * SHA-256 again. Left NULL when OpenSSL cannot (patient() then calls HMAC()). */
static void mac_init(declog *l)
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    l->mac = m ? EVP_MAC_CTX_new(m) : NULL;
    EVP_MAC_free(m); /* the context holds its own reference */
    char digest[] = "SHA256";
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                      OSSL_PARAM_construct_end()};
    if (l->mac && !EVP_MAC_init(l->mac, l->key, l->keylen, p)) {
        EVP_MAC_CTX_free(l->mac);
        l->mac = NULL;
    }
}

static bool read_key(declog *l, const char *path, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "--log-id-key '%s': %s", path, strerror(errno));
        return false;
    }
    size_t n = fread(l->key, 1, sizeof l->key, f);
    bool more = fgetc(f) != EOF, err = ferror(f) != 0;
    fclose(f);
    if (err) {
        snprintf(why, cap, "--log-id-key '%s': cannot be read", path);
        return false;
    }
    if (n < KEY_MIN || more) {
        snprintf(why, cap, "--log-id-key '%s': the key is %s bytes: expected %d to %d", path,
                 more ? "more than 1024" : n < KEY_MIN ? "fewer than 16" : "?", KEY_MIN,
                 KEY_MAX);
        return false;
    }
    l->keylen = n;
    return true;
}

/* Opens FILE for appending. O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of
 * holding the service before it listens; the writes themselves block as before. */
static bool open_file(declog *l)
{
    l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
    if (l->fd < 0)
        return false;
    int fl = fcntl(l->fd, F_GETFL);
    if (fl != -1)
        fcntl(l->fd, F_SETFL, fl & ~O_NONBLOCK);
    struct stat st;
    bool known = fstat(l->fd, &st) == 0;
    l->regular = known && S_ISREG(st.st_mode);
    l->size = l->regular ? (unsigned long long)st.st_size : 0;
    return true;
}

declog *declog_open(const declog_options *o, char *why, size_t cap)
{
    declog *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(o->path))) {
        free(l);
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    l->fd = -1;
    l->max_bytes = o->max_bytes;
    l->keep = o->keep;
    l->plain_ids = o->plain_ids;
    bool ok;
    if (o->id_key_path) {
        ok = read_key(l, o->id_key_path, why, cap);
    } else {
        l->random_key = true;
        l->keylen = 32;
        ok = getrandom(l->key, l->keylen, 0) == (ssize_t)l->keylen;
        if (!ok)
            snprintf(why, cap, "no random key for the patient ids: %s", strerror(errno));
    }
    if (ok && !open_file(l)) {
        snprintf(why, cap, "--decision-log '%s': %s", o->path,
                 errno == ENXIO ? "a FIFO with no reader" : strerror(errno));
        ok = false;
    }
    if (ok)
        mac_init(l);
    if (!ok || pthread_mutex_init(&l->mu, NULL) != 0) {
        if (ok)
            snprintf(why, cap, "cannot make a mutex");
        if (l->fd >= 0)
            close(l->fd);
        EVP_MAC_CTX_free(l->mac);
        free(l->path);
        free(l);
        return NULL;
    }
    return l;
}

void declog_free(declog *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    pthread_mutex_destroy(&l->mu);
    EVP_MAC_CTX_free(l->mac);
    memset(l->key, 0, sizeof l->key);
    free(l->path);
    free(l);
}

bool declog_key_is_random(const declog *l)
{
    return l->random_key;
}

/* Called with the mutex held: a problem is said once for the run. */
static void complain(declog *l, const char *what)
{
    if (l->reported)
        return;
    l->reported = true;
    fprintf(stderr, "mgadvise serve: decision log '%s': %s: %s (further errors not shown)\n",
            l->path, what, strerror(errno));
}

/* FILE.K-1 -> FILE.K, ..., FILE -> FILE.1, then a new FILE. Mutex held. */
static void rotate(declog *l)
{
    size_t n = strlen(l->path) + 24;
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) {
        free(a);
        free(b);
        return; /* out of memory: the file grows on */
    }
    for (unsigned i = l->keep; i > 1; i--) {
        snprintf(a, n, "%s.%u", l->path, i - 1);
        snprintf(b, n, "%s.%u", l->path, i);
        if (rename(a, b) != 0 && errno != ENOENT)
            complain(l, "cannot rotate");
    }
    if (l->keep) {
        snprintf(b, n, "%s.1", l->path);
        if (rename(l->path, b) != 0)
            complain(l, "cannot rotate");
    } else if (unlink(l->path) != 0) {
        complain(l, "cannot rotate");
    }
    free(a);
    free(b);
    close(l->fd);
    if (!open_file(l))
        complain(l, "cannot reopen");
}

static void write_line(declog *l, const char *p, size_t n)
{
    pthread_mutex_lock(&l->mu);
    if (l->regular && l->max_bytes && l->size > 0 && l->size + n > l->max_bytes)
        rotate(l);
    while (n > 0 && l->fd >= 0) {
        ssize_t w = write(l->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            complain(l, "cannot write");
            break;
        }
        p += w;
        n -= (size_t)w;
        l->size += (unsigned long long)w;
    }
    pthread_mutex_unlock(&l->mu);
}

static void str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void kv(yajl_gen g, const char *k, const char *v)
{
    str(g, k);
    if (v)
        str(g, v);
    else
        yajl_gen_null(g);
}

/* The line's head: {"time":"2026-12-04T17:20:00.123Z","event":E */
static yajl_gen head(const char *event)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    struct timespec ts;
    struct tm tm;
    char t[40] = "";
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm)) {
        size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(t + n, sizeof t - n, ".%03ldZ", ts.tv_nsec / 1000000);
    }
    yajl_gen_map_open(g);
    kv(g, "time", t);
    kv(g, "event", event);
    return g;
}

/* Closes the map, adds the newline and writes the line. */
static void finish(declog *l, yajl_gen g)
{
    if (!g)
        return;
    yajl_gen_map_close(g);
    const unsigned char *buf;
    size_t len;
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
        char *line = malloc(len + 1);
        if (line) {
            memcpy(line, buf, len);
            line[len] = '\n';
            write_line(l, line, len + 1);
            free(line);
        }
    }
    yajl_gen_free(g);
}

static void latency(yajl_gen g, double ms)
{
    char n[32];
    int len = snprintf(n, sizeof n, "%.3f", ms < 0 ? 0.0 : ms);
    str(g, "latency_ms");
    yajl_gen_number(g, n, (size_t)len);
}

/* "hmac-sha256:HEX" of id under the run's key, or id itself with plain ids. */
static void patient(const declog *l, yajl_gen g, const char *id)
{
    if (!id) {
        kv(g, "patient", NULL);
        return;
    }
    if (l->plain_ids) {
        kv(g, "patient", id);
        return;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;
    char hex[12 + 2 * EVP_MAX_MD_SIZE + 1] = "hmac-sha256:";
    bool ok;
    if (l->mac) { /* a copy of the keyed context: read-only use of l->mac, from any thread */
        EVP_MAC_CTX *c = EVP_MAC_CTX_dup(l->mac);
        ok = c && EVP_MAC_update(c, (const unsigned char *)id, strlen(id)) &&
             EVP_MAC_final(c, md, &mdlen, sizeof md);
        EVP_MAC_CTX_free(c);
    } else {
        unsigned n = 0;
        ok = HMAC(EVP_sha256(), l->key, (int)l->keylen, (const unsigned char *)id, strlen(id),
                  md, &n) != NULL;
        mdlen = n;
    }
    if (!ok) {
        kv(g, "patient", "unavailable");
        return;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < mdlen; i++) {
        hex[12 + 2 * i] = digits[md[i] >> 4];
        hex[13 + 2 * i] = digits[md[i] & 0xF];
    }
    hex[12 + 2 * mdlen] = '\0';
    kv(g, "patient", hex);
}

static const char *jstr(yajl_val v, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}


void declog_hook(declog *l, const char *service, const cds_trace *trace, const char *rs_name,
                 const char *rs_hash, unsigned status, double latency_ms)
{
    yajl_gen g = head("hook");
    if (!g)
        return;
    kv(g, "service", service);
    kv(g, "hook", trace ? trace->hook : NULL);
    kv(g, "hookInstance", trace ? trace->hook_instance : NULL);
    patient(l, g, trace ? trace->patient_id : NULL);
    str(g, "ruleset");
    if (rs_hash) {
        yajl_gen_map_open(g);
        kv(g, "name", rs_name);
        kv(g, "hash", rs_hash);
        yajl_gen_map_close(g);
    } else {
        yajl_gen_null(g);
    }
    str(g, "rules");
    yajl_gen_array_open(g);
    for (size_t i = 0; trace && i < trace->nrules; i++)
        str(g, trace->rules[i]);
    yajl_gen_array_close(g);
    /* the cards as cds.c made them: the response is not read again */
    str(g, "cards");
    yajl_gen_array_open(g);
    for (size_t i = 0; status == 200 && trace && i < trace->ncards; i++) {
        yajl_gen_map_open(g);
        kv(g, "uuid", trace->cards[i].uuid);
        kv(g, "indicator", trace->cards[i].indicator);
        kv(g, "summary", trace->cards[i].summary);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    str(g, "status");
    yajl_gen_integer(g, status);
    latency(g, latency_ms);
    finish(l, g);
}

void declog_feedback(declog *l, const char *service, const cds_feedback *fb, size_t n,
                     unsigned status, double latency_ms)
{
    yajl_gen g = head("feedback");
    if (!g)
        return;
    kv(g, "service", service);
    str(g, "feedback");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        const cds_feedback *f = &fb[i];
        yajl_gen_map_open(g);
        kv(g, "card", f->card);
        kv(g, "outcome", f->outcome);
        kv(g, "outcomeTimestamp", f->timestamp);
        if (f->accepted) {
            str(g, "acceptedSuggestions");
            yajl_gen_integer(g, (long long)f->accepted);
        }
        if (f->reason_system || f->reason_code || f->reason_display || f->comment) {
            str(g, "overrideReason");
            yajl_gen_map_open(g);
            if (f->reason_system || f->reason_code || f->reason_display) {
                str(g, "reason");
                yajl_gen_map_open(g);
                if (f->reason_system)
                    kv(g, "system", f->reason_system);
                if (f->reason_code)
                    kv(g, "code", f->reason_code);
                if (f->reason_display)
                    kv(g, "display", f->reason_display);
                yajl_gen_map_close(g);
            }
            if (f->comment)
                kv(g, "userComment", f->comment);
            yajl_gen_map_close(g);
        }
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    str(g, "status");
    yajl_gen_integer(g, status);
    latency(g, latency_ms);
    finish(l, g);
}

void declog_reload(declog *l, bool ok, const char *rs_name, const char *rs_hash,
                   const char *diags_json, size_t diags_len)
{
    yajl_gen g = head("reload");
    if (!g)
        return;
    str(g, "ok");
    yajl_gen_bool(g, ok);
    str(g, "ruleset");
    yajl_gen_map_open(g);
    kv(g, "name", rs_name);
    kv(g, "hash", rs_hash);
    yajl_gen_map_close(g);
    str(g, "diagnostics");
    yajl_val d = NULL;
    char *copy = diags_json && diags_len ? malloc(diags_len + 1) : NULL;
    if (copy) {
        memcpy(copy, diags_json, diags_len);
        copy[diags_len] = '\0';
        d = yajl_tree_parse(copy, NULL, 0);
        free(copy);
    }
    /* each diagnostic as file:line:col code message, enough to find it */
    yajl_gen_array_open(g);
    for (size_t i = 0; d && YAJL_IS_ARRAY(d) && i < d->u.array.len; i++) {
        yajl_val e = d->u.array.values[i];
        const char *path[] = {"line", NULL}, *cpath[] = {"column", NULL};
        yajl_val ln = yajl_tree_get(e, path, yajl_t_number);
        yajl_val col = yajl_tree_get(e, cpath, yajl_t_number);
        yajl_gen_map_open(g);
        kv(g, "file", jstr(e, "file"));
        str(g, "line");
        ln ? yajl_gen_integer(g, YAJL_GET_INTEGER(ln)) : yajl_gen_null(g);
        str(g, "column");
        col ? yajl_gen_integer(g, YAJL_GET_INTEGER(col)) : yajl_gen_null(g);
        kv(g, "code", jstr(e, "code"));
        kv(g, "severity", jstr(e, "severity"));
        kv(g, "message", jstr(e, "message"));
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_tree_free(d);
    finish(l, g);
}
