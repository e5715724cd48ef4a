/* SPDX-License-Identifier: MIT */
/* The requests of `mgadvise serve`, without HTTP plumbing: routing, the checks of the head
 * (method, service, JWT, Content-Type, Content-Length), hook calls through cli/cds.c,
 * feedback, the decision log (cli/declog.c). The rule set served is reference-counted:
 * each request holds the one it started on, a reload swaps the pointer under a mutex. */
#include "handler.h"

#include "cds.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A rule set with its CDS documents; freed by the last holder. */
typedef struct served {
    atomic_uint refs;
    mga_ruleset *rs;
    cds_service *cds;
} served;

struct handler {
    handler_config c;
    pthread_mutex_t mu; /* guards cur (not what it points to, which is read-only) */
    served *cur;
};

static void served_put(served *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        cds_service_free(s->cds);
        mga_ruleset_free(s->rs);
        free(s);
    }
}

static served *served_new(const handler *h, mga_ruleset *rs)
{
    served *s = calloc(1, sizeof *s);
    if (!s || !(s->cds = cds_service_new(rs))) {
        free(s);
        mga_ruleset_free(rs);
        return NULL;
    }
    cds_service_set_fetch(s->cds, &h->c.fetch);
    s->rs = rs;
    atomic_init(&s->refs, 1);
    return s;
}

static served *served_get(handler *h)
{
    pthread_mutex_lock(&h->mu);
    served *s = h->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&h->mu);
    return s;
}

handler *handler_new(const handler_config *c, mga_ruleset *rs_take)
{
    handler *h = calloc(1, sizeof *h);
    if (!h || pthread_mutex_init(&h->mu, NULL) != 0) {
        free(h);
        mga_ruleset_free(rs_take);
        return NULL;
    }
    h->c = *c;
    if (!(h->cur = served_new(h, rs_take))) {
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    return h;
}

void handler_free(handler *h)
{
    if (!h)
        return;
    served_put(h->cur);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

bool handler_swap(handler *h, mga_ruleset *rs_take)
{
    served *s = served_new(h, rs_take);
    if (!s)
        return false;
    pthread_mutex_lock(&h->mu);
    served *old = h->cur;
    h->cur = s;
    pthread_mutex_unlock(&h->mu);
    served_put(old);
    return true;
}

size_t handler_max_body(const handler *h)
{
    return h->c.max_body;
}

void handler_hash(handler *h, char out[17])
{
    served *s = served_get(h);
    snprintf(out, 17, "%s", mga_ruleset_hash(s->rs));
    served_put(s);
}

double handler_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- Answers ---------------------------------------------------------------------------- */

static void json(handler_resp *out, unsigned status, char *body, size_t len)
{
    memset(out, 0, sizeof *out);
    out->status = body ? status : 0; /* no body: out of memory */
    out->body = body;
    out->len = len;
}

static void error(handler_resp *out, unsigned status, const char *kind, const char *msg)
{
    size_t len = 0;
    char *j = cds_error_json(kind, msg, &len);
    json(out, status, j, len);
}

static void text(handler_resp *out, unsigned status, const char *s)
{
    char *p = strdup(s);
    json(out, status, p, p ? strlen(p) : 0);
}

/* What a request to url is about; *svc gets the service id of a POST to a service (or
 * its feedback). */
typedef enum route { R_NONE, R_HEALTH, R_DISCOVERY, R_SERVICE, R_FEEDBACK } route;

static route route_of(const char *url, char *svc, size_t cap)
{
    svc[0] = '\0';
    if (strcmp(url, "/healthz") == 0)
        return R_HEALTH;
    if (strcmp(url, "/cds-services") == 0 || strcmp(url, "/cds-services/") == 0)
        return R_DISCOVERY;
    const char *p = "/cds-services/";
    if (strncmp(url, p, strlen(p)) != 0)
        return R_NONE;
    const char *id = url + strlen(p);
    const char *slash = strchr(id, '/');
    size_t n = slash ? (size_t)(slash - id) : strlen(id);
    if (n == 0 || n >= cap)
        return R_NONE;
    memcpy(svc, id, n);
    svc[n] = '\0';
    if (!slash)
        return R_SERVICE;
    return strcmp(slash, "/feedback") == 0 ? R_FEEDBACK : R_NONE;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* A call to a service answered from its head (an error) goes to the decision log too. */
static void log_early(handler *h, const handler_req *rq, route rt, const char *svc,
                      const handler_resp *out)
{
    if (!h->c.log || (rt != R_SERVICE && rt != R_FEEDBACK) || !cds_service_known(svc))
        return;
    double ms = handler_now_ms() - rq->t0_ms;
    if (rt == R_FEEDBACK)
        declog_feedback(h->c.log, svc, NULL, 0, out->status, ms);
    else
        declog_hook(h->c.log, svc, NULL, NULL, NULL, out->status, ms);
}

static bool head(handler *h, const handler_req *rq, route rt, const char *svc,
                 handler_resp *out)
{
    const char *url = rq->url, *method = rq->method;
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    char msg[256];
    if (rq->head_bytes > h->c.max_header) {
        snprintf(msg, sizeof msg, "the request line and headers are %zu bytes: at most %zu are "
                 "accepted", rq->head_bytes, h->c.max_header);
        error(out, 431, "header_too_large", msg);
        return true;
    }
    if (strcmp(method, "OPTIONS") == 0 && rt != R_NONE) {
        memset(out, 0, sizeof *out); /* a browser's CORS preflight */
        out->status = 204;
        out->preflight = true;
        return true;
    }
    switch (rt) {
    case R_NONE:
        snprintf(msg, sizeof msg, "no resource at '%.160s'", url);
        error(out, 404, "not_found", msg);
        return true;
    case R_HEALTH:
    case R_DISCOVERY:
        if (!get) {
            snprintf(msg, sizeof msg, "%.16s is not allowed on '%.160s': use GET", method, url);
            error(out, 405, "method_not_allowed", msg);
            out->allow = "GET";
            return true;
        }
        served *s = served_get(h);
        if (rt == R_DISCOVERY) {
            size_t len = 0;
            const char *d = cds_discovery_ref(s->cds, &len);
            char *copy = malloc(len);
            if (copy)
                memcpy(copy, d, len);
            json(out, 200, copy, len);
        } else {
            char buf[512];
            snprintf(buf, sizeof buf, "{\"status\":\"ok\",\"rules\":%zu,\"hash\":\"%s\"}",
                     mga_ruleset_rule_count(s->rs), mga_ruleset_hash(s->rs));
            text(out, 200, buf);
        }
        served_put(s);
        return true;
    case R_SERVICE:
    case R_FEEDBACK:
        if (!cds_service_known(svc)) {
            snprintf(msg, sizeof msg, "no CDS service '%.100s': GET /cds-services lists them",
                     svc);
            error(out, 404, "unknown_service", msg);
            return true;
        }
        if (!post) {
            snprintf(msg, sizeof msg, "%.16s is not allowed on '%.160s': use POST", method, url);
            error(out, 405, "method_not_allowed", msg);
            out->allow = "POST";
            return true;
        }
        break;
    }
    if (h->c.auth) {
        char why[512];
        if (cli_auth_check(h->c.auth, rq->authorization, svc, rt == R_FEEDBACK, why,
                           sizeof why) != 0) {
            fprintf(stderr, "mgadvise serve: 401 for %s: %s\n", svc, why);
            error(out, 401, "unauthorized", why);
            out->bearer = true;
            return true;
        }
    }
    if (!is_json_type(rq->content_type)) {
        snprintf(msg, sizeof msg, "Content-Type is '%.100s': expected application/json",
                 rq->content_type ? rq->content_type : "(none)");
        error(out, 415, "unsupported_media_type", msg);
        return true;
    }
    const char *cl = rq->content_length;
    if (cl && strtoull(cl, NULL, 10) > h->c.max_body) {
        snprintf(msg, sizeof msg, "the body is %.30s bytes: at most %zu are accepted", cl,
                 h->c.max_body);
        error(out, 413, "body_too_large", msg);
        return true;
    }
    return false;
}

bool handler_head(handler *h, const handler_req *rq, handler_resp *out)
{
    char svc[128];
    route rt = route_of(rq->url, svc, sizeof svc);
    if (!head(h, rq, rt, svc, out))
        return false;
    log_early(h, rq, rt, svc, out);
    return true;
}

void handler_body(handler *h, const handler_req *rq, const char *body, size_t len, bool too_big,
                  handler_resp *out)
{
    char svc[128];
    route rt = route_of(rq->url, svc, sizeof svc);
    if (too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is larger than %zu bytes", h->c.max_body);
        error(out, 413, "body_too_large", msg);
        log_early(h, rq, rt, svc, out);
        return;
    }
    if (!body)
        body = "";
    if (rt == R_FEEDBACK) {
        cds_feedback *fb = NULL;
        size_t nfb = 0;
        char *resp = NULL;
        size_t rlen = 0;
        int status = cds_feedback_read(body, len, &fb, &nfb, &resp, &rlen);
        if (status == 200) {
            fprintf(stderr, "mgadvise serve: feedback for %s: %zu %s\n", svc, nfb,
                    nfb == 1 ? "entry" : "entries");
            text(out, 200, "{}");
        } else {
            json(out, (unsigned)status, resp, rlen);
        }
        if (h->c.log)
            declog_feedback(h->c.log, svc, fb, nfb, out->status, handler_now_ms() - rq->t0_ms);
        cds_feedback_free(fb, nfb);
        return;
    }
    served *s = served_get(h);
    cds_trace trace = {0};
    char *resp = NULL;
    size_t rlen = 0;
    int status = cds_handle(s->cds, svc, body, len, h->c.log ? &trace : NULL, &resp, &rlen);
    json(out, (unsigned)status, resp, rlen);
    if (h->c.log)
        declog_hook(h->c.log, svc, &trace, mga_ruleset_name(s->rs), mga_ruleset_hash(s->rs),
                    out->status, handler_now_ms() - rq->t0_ms);
    cds_trace_clear(&trace);
    served_put(s);
}
