/* SPDX-License-Identifier: MIT */
/* The prefetch a hook request lacks, fetched from the EHR's FHIR server with
 * libcurl (CDS Hooks 2.0, "FHIR Resource Access"): templates filled from the
 * context, https only unless allowed, one deadline and one size budget per hook
 * request, no redirects, searchset pages followed on the same server. The only
 * file of the CLI that uses libcurl. */
#include "fhirfetch.h"
#include "jsonval.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

/* FHIR resources nest a few levels; the FHIR mapper allows 64 */
#define FETCH_MAX_DEPTH 64
#define URL_MAX 4096

typedef struct body {
    char *p;
    size_t len, cap;
    size_t budget; /* bytes this response may still add */
    bool over;     /* the budget was passed */
    bool oom;
} body;

/* One hook request's fetching. */
typedef struct fetch {
    const fhirfetch_opts *o;
    CURL *h;
    struct curl_slist *headers;
    char base[URL_MAX]; /* fhirServer without a trailing '/' */
    size_t used;        /* response bytes so far, all queries */
    double deadline;    /* CLOCK_MONOTONIC seconds */
    char errbuf[CURL_ERROR_SIZE];
    char *why;
    size_t whycap;
} fetch;

static int say(fetch *f, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(fetch *f, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, f->whycap, fmt, ap);
    va_end(ap);
    return status;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool fhirfetch_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void fhirfetch_cleanup(void)
{
    curl_global_cleanup();
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    body *b = ud;
    size_t k = size * n;
    if (k > b->budget - b->len) {
        b->over = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    if (b->len + k + 1 > b->cap) {
        size_t cap = (b->len + k + 1) * 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return 0;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, k);
    b->len += k;
    b->p[b->len] = '\0';
    return k;
}

static const char *tstr(yajl_val v, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

static yajl_val member(yajl_val obj, const char *key)
{
    for (size_t i = 0; YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

/* A context value that may stand in a URL: a FHIR id or a reference
 * (Practitioner/123). No segment is empty, "." or "..": libcurl drops dot segments, so
 * "../x" would send the token to another path of the FHIR server. */
static bool url_safe(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '/' || c == '_'))
            return false;
    }
    for (const char *seg = s;;) {
        size_t len = strcspn(seg, "/");
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!seg[len])
            return true;
        seg += len + 1;
    }
}

/* The template t with every {{context.X}} replaced by the context's string X,
 * into url after the base, bytes a URL may not hold as they are
 * percent-encoded. 0, or a status. */
static int fill(fetch *f, const char *key, const char *t, yajl_val ctx, char *url, size_t cap)
{
    size_t n = (size_t)snprintf(url, cap, "%s/", f->base);
    for (const char *p = t; *p;) {
        char piece[160];
        const char *put = piece;
        size_t plen;
        if (p[0] == '{' && p[1] == '{') {
            const char *end = strstr(p, "}}");
            size_t tl = end ? (size_t)(end - p - 2) : 0;
            if (!end || tl < 9 || tl > 64 || strncmp(p + 2, "context.", 8) != 0)
                return say(f, 412,
                           "prefetch '%s': the template '%.200s' has a token this "
                           "service cannot fill",
                           key, t);
            char name[64];
            memcpy(name, p + 10, tl - 8);
            name[tl - 8] = '\0';
            const char *v = tstr(ctx, name);
            if (!v)
                return say(f, 412,
                           "prefetch '%s' needs 'context.%s', which the request does "
                           "not give",
                           key, name);
            if (!url_safe(v))
                return say(f, 400,
                           "'context.%s' is not a FHIR id or reference (letters, "
                           "digits, '-', '.', '_', '/'; at most 128; no empty, '.' or "
                           "'..' part)",
                           name);
            put = v;
            plen = strlen(v);
            p = end + 2;
        } else {
            unsigned char c = (unsigned char)*p++;
            if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{}|", c))
                plen = (size_t)snprintf(piece, sizeof piece, "%%%02X", c);
            else
                plen = (size_t)snprintf(piece, sizeof piece, "%c", c);
        }
        if (n + plen >= cap)
            return say(f, 412, "prefetch '%s': the query is longer than %d bytes", key, URL_MAX);
        memcpy(url + n, put, plen);
        n += plen;
        url[n] = '\0';
    }
    return 0;
}

/* GET url into *out (parsed), what into messages. 0, or 412 with why. */
static int get(fetch *f, const char *what, const char *url, yajl_val *out)
{
    *out = NULL;
    double left = f->deadline - now_s();
    if (left <= 0)
        return say(f, 412, "fetching %s from the FHIR server: no time left of the %u s limit", what,
                   f->o->timeout_s);
    long ms = (long)(left * 1000) + 1;
    long connect_ms =
        ms < FHIRFETCH_CONNECT_SECONDS * 1000L ? ms : FHIRFETCH_CONNECT_SECONDS * 1000L;
    body b = {.budget = FHIRFETCH_MAX_BYTES - f->used};
    f->errbuf[0] = '\0';
    curl_easy_setopt(f->h, CURLOPT_URL, url);
    curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(f->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b.budget);
    curl_easy_setopt(f->h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(f->h);
    long code = 0;
    curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &code);
    int st = 0;
    if (b.oom) {
        st = say(f, 412, "fetching %s from the FHIR server: out of memory", what);
    } else if (b.over || rc == CURLE_FILESIZE_EXCEEDED) {
        st = say(f, 412,
                 "fetching %s from the FHIR server: the responses are larger than %zu "
                 "bytes together",
                 what, (size_t)FHIRFETCH_MAX_BYTES);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        st = say(f, 412, "fetching %s from the FHIR server: no answer within the %u s limit", what,
                 f->o->timeout_s);
    } else if (rc != CURLE_OK) {
        st = say(f, 412, "fetching %s from the FHIR server: %s", what,
                 f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
    } else if (code >= 300 && code < 400) {
        st = say(f, 412,
                 "fetching %s from the FHIR server: HTTP %ld, a redirect (not "
                 "followed)",
                 what, code);
    } else if (code != 200) {
        st = say(f, 412, "fetching %s from the FHIR server: HTTP %ld%s", what, code,
                 code == 401 || code == 403 ? " (the fhirAuthorization token was refused)" : "");
    } else if (!b.p || cli_json_depth(b.p, b.len, FETCH_MAX_DEPTH) > FETCH_MAX_DEPTH ||
               memchr(b.p, '\0', b.len)) {
        st = say(f, 412, "fetching %s from the FHIR server: the answer is %s", what,
                 !b.p ? "empty"
                      : "not JSON the service reads (a NUL byte or deeper than 64 "
                        "levels)");
    } else {
        char err[256];
        err[0] = '\0';
        *out = yajl_tree_parse(b.p, err, sizeof err);
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = '\0';
        const char *rt = *out ? tstr(*out, "resourceType") : NULL;
        if (!*out)
            st = say(f, 412, "fetching %s from the FHIR server: the answer is not JSON: %s", what,
                     err);
        else if (!rt)
            st = say(f, 412,
                     "fetching %s from the FHIR server: the answer is not a FHIR "
                     "resource (no resourceType)",
                     what);
        else if (strcmp(rt, "OperationOutcome") == 0)
            st = say(f, 412,
                     "fetching %s from the FHIR server: it answered an "
                     "OperationOutcome",
                     what);
    }
    f->used += b.len;
    free(b.p);
    if (st && *out) {
        yajl_tree_free(*out);
        *out = NULL;
    }
    return st;
}

/* The "next" link of a searchset page, or NULL. */
static const char *next_link(yajl_val page)
{
    yajl_val links = member(page, "link");
    for (size_t i = 0; YAJL_IS_ARRAY(links) && i < links->u.array.len; i++) {
        const char *rel = tstr(links->u.array.values[i], "relation");
        if (rel && strcmp(rel, "next") == 0)
            return tstr(links->u.array.values[i], "url");
    }
    return NULL;
}

/* One member fetched: its pages (one for a read). */
typedef struct got {
    const char *key;
    yajl_val pages[FHIRFETCH_MAX_PAGES];
    size_t npages;
} got;

static int fetch_one(fetch *f, const char *key, const char *t, yajl_val ctx, got *g)
{
    char url[URL_MAX], what[320];
    int st = fill(f, key, t, ctx, url, sizeof url);
    if (st)
        return st;
    snprintf(what, sizeof what, "'%s' (%.200s)", key, url + strlen(f->base) + 1);
    g->key = key;
    for (;;) {
        yajl_val page;
        if ((st = get(f, what, url, &page)) != 0)
            return st;
        g->pages[g->npages++] = page;
        const char *rt = tstr(page, "resourceType");
        const char *next = strcmp(rt, "Bundle") == 0 ? next_link(page) : NULL;
        if (!next)
            return 0;
        size_t bl = strlen(f->base);
        /* the token goes to the FHIR server only: a next page elsewhere is refused
         */
        if (strncmp(next, f->base, bl) != 0 || (next[bl] != '/' && next[bl] != '?'))
            return say(f, 412,
                       "fetching %s from the FHIR server: its next page '%.200s' is "
                       "not on the FHIR server %.200s",
                       what, next, f->base);
        if (g->npages == FHIRFETCH_MAX_PAGES)
            return say(f, 412, "fetching %s from the FHIR server: more than %d pages", what,
                       FHIRFETCH_MAX_PAGES);
        if (strlen(next) >= sizeof url)
            return say(f, 412,
                       "fetching %s from the FHIR server: a next page URL longer than "
                       "%d bytes",
                       what, URL_MAX);
        snprintf(url, sizeof url, "%s", next);
    }
}

/* The fetched pages of g as one value: a resource, or one searchset Bundle of
 * every page's entries. */
static void gen_got(yajl_gen y, const got *g)
{
    yajl_val first = g->pages[0];
    if (strcmp(tstr(first, "resourceType"), "Bundle") != 0) {
        cli_json_gen(y, first);
        return;
    }
    static const char *const head[] = {"resourceType", "Bundle", "type", "searchset"};
    yajl_gen_map_open(y);
    for (size_t i = 0; i < 4; i++)
        yajl_gen_string(y, (const unsigned char *)head[i], strlen(head[i]));
    yajl_gen_string(y, (const unsigned char *)"entry", 5);
    yajl_gen_array_open(y);
    for (size_t p = 0; p < g->npages; p++) {
        yajl_val e = member(g->pages[p], "entry");
        for (size_t i = 0; YAJL_IS_ARRAY(e) && i < e->u.array.len; i++)
            cli_json_gen(y, e->u.array.values[i]);
    }
    yajl_gen_array_close(y);
    yajl_gen_map_close(y);
}

/* The server, the token and the connection's options; 0 or a status. */
static int setup(fetch *f, yajl_val request)
{
    const char *server = tstr(request, "fhirServer");
    yajl_val auth = member(request, "fhirAuthorization");
    if (!server)
        return say(f, 412, "the request gives no 'fhirServer' to fetch it from");
    if (!YAJL_IS_OBJECT(auth))
        return say(f, 412,
                   "the request gives 'fhirServer' but no 'fhirAuthorization' object "
                   "(access_token, token_type Bearer)");
    const char *token = tstr(auth, "access_token"), *type = tstr(auth, "token_type");
    if (!type || strcmp(type, "Bearer") != 0)
        return say(f, 412, "'fhirAuthorization.token_type' is not 'Bearer'");
    size_t tl = token ? strlen(token) : 0;
    /* RFC 6750 b64token: nothing that could end the header line */
    bool ok = tl > 0 && tl <= 8192;
    for (size_t i = 0; ok && i < tl; i++) {
        char c = token[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             strchr("-._~+/=", c);
    }
    if (!ok)
        return say(f, 412, "'fhirAuthorization.access_token' is missing or not a bearer token");
    size_t sl = strlen(server);
    while (sl > 0 && server[sl - 1] == '/')
        sl--;
    if (sl == 0 || sl >= sizeof f->base - 1024)
        return say(f, 412, "'fhirServer' is empty or longer than %zu bytes", sizeof f->base - 1024);
    memcpy(f->base, server, sl);
    f->base[sl] = '\0';
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool parsed = u && curl_url_set(u, CURLUPART_URL, f->base, 0) == CURLUE_OK &&
                  curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                  curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
    bool https = parsed && strcmp(scheme, "https") == 0;
    bool http = parsed && strcmp(scheme, "http") == 0;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (!parsed)
        return say(f, 412, "'fhirServer' '%.200s' is not a URL", f->base);
    if (!https && !(http && f->o->allow_http))
        return say(f, 412, "'fhirServer' '%.200s': only https FHIR servers are queried%s", f->base,
                   http ? " (--fhir-allow-http allows http, for testing)" : "");
    char hdr[8300];
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", token);
    struct curl_slist *l1 = curl_slist_append(NULL, hdr);
    struct curl_slist *l2 = l1 ? curl_slist_append(l1, "Accept: application/fhir+json") : NULL;
    if (!l2) {
        curl_slist_free_all(l1);
        return say(f, 412, "out of memory");
    }
    f->headers = l2;
    if (!(f->h = curl_easy_init()))
        return say(f, 412, "cannot start a FHIR request (libcurl)");
    curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(f->h, CURLOPT_PROTOCOLS_STR, f->o->allow_http ? "http,https" : "https");
    curl_easy_setopt(f->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, f->errbuf);
    curl_easy_setopt(f->h, CURLOPT_USERAGENT, "mgadvise-serve");
    return 0;
}

int fhirfetch_fill(const fhirfetch_opts *o, yajl_val templates, yajl_val request, yajl_val prefetch,
                   char **out, size_t *outlen, char *why, size_t whycap)
{
    *out = NULL;
    *outlen = 0;
    fetch f = {.o = o, .why = why, .whycap = whycap};
    f.deadline = now_s() + o->timeout_s;
    size_t nt = YAJL_IS_OBJECT(templates) ? templates->u.object.len : 0;
    got *gots = calloc(nt ? nt : 1, sizeof *gots);
    if (!gots)
        return say(&f, 412, "out of memory");
    size_t ngot = 0;
    int st = setup(&f, request);
    const char *path[] = {"context", NULL};
    yajl_val ctx = yajl_tree_get(request, path, yajl_t_object);
    for (size_t i = 0; st == 0 && i < nt; i++) {
        const char *key = templates->u.object.keys[i];
        yajl_val t = templates->u.object.values[i];
        if (member(prefetch, key) || !YAJL_IS_STRING(t))
            continue;
        st = fetch_one(&f, key, YAJL_GET_STRING(t), ctx, &gots[ngot]);
        ngot++; /* its pages are freed below, fetched or not */
    }
    yajl_gen y = st == 0 ? yajl_gen_alloc(NULL) : NULL;
    if (st == 0 && !y)
        st = say(&f, 412, "out of memory");
    if (y) {
        yajl_gen_map_open(y);
        for (size_t i = 0; YAJL_IS_OBJECT(prefetch) && i < prefetch->u.object.len; i++) {
            const char *k = prefetch->u.object.keys[i];
            yajl_gen_string(y, (const unsigned char *)k, strlen(k));
            cli_json_gen(y, prefetch->u.object.values[i]);
        }
        for (size_t i = 0; i < ngot; i++) {
            yajl_gen_string(y, (const unsigned char *)gots[i].key, strlen(gots[i].key));
            gen_got(y, &gots[i]);
        }
        yajl_gen_map_close(y);
        const unsigned char *buf;
        size_t n;
        if (yajl_gen_get_buf(y, &buf, &n) == yajl_gen_status_ok && (*out = malloc(n + 1))) {
            memcpy(*out, buf, n);
            (*out)[n] = '\0';
            *outlen = n;
        } else {
            st = say(&f, 412, "out of memory");
        }
        yajl_gen_free(y);
    }
    for (size_t i = 0; i < ngot; i++)
        for (size_t p = 0; p < gots[i].npages; p++)
            yajl_tree_free(gots[i].pages[p]);
    free(gots);
    if (f.h)
        curl_easy_cleanup(f.h);
    curl_slist_free_all(f.headers);
    return st;
}
