/* SPDX-License-Identifier: MIT */
/* `mgadvise serve`: the CDS Hooks 2.0 service over HTTP (libmicrohttpd). One compiled rule
 * set shared read-only by a thread pool; routing, limits and signals here, the CDS Hooks
 * documents in cli/cds.c. */
#include "auth.h"
#include "cds.h"
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const char *usage_serve =
    "usage: mgadvise serve (--auth FILE | --insecure-no-auth) [OPTIONS] [-r PATH]...\n"
    "\n"
    "Serves the rules as a CDS Hooks 2.0 service over HTTP (docs/CDS-HOOKS.md):\n"
    "  GET  /cds-services                    the discovery document\n"
    "  POST /cds-services/mgadvise-patient-view   cards for the patient (patient-view)\n"
    "  POST /cds-services/mgadvise-order-select   safety cards for a draft magnesium order\n"
    "  POST /cds-services/mgadvise-order-sign     the same at signing (order-sign)\n"
    "  POST /cds-services/ID/feedback        feedback on cards, logged on standard error\n"
    "  GET  /healthz                         the rule set being served\n"
    "The patient's FHIR resources come in the request's prefetch; what it lacks is fetched\n"
    "from the request's fhirServer (https, Bearer token from fhirAuthorization); a request\n"
    "whose prefetch cannot be had gets 412. Runs until SIGTERM or SIGINT.\n"
    "\n"
    "options:\n"
    "  --auth FILE         verify the JWT of every hook and feedback call (Authorization:\n"
    "                      Bearer; RS384 or ES384; aud, exp, iat, jti checked) against the\n"
    "                      trusted issuers and public keys in FILE (docs/CDS-HOOKS.md);\n"
    "                      a call that fails gets 401\n"
    "  --insecure-no-auth  answer without verifying JWTs, for local testing only\n"
    "  --port N            the TCP port (default 8080; 0: any free port)\n"
    "  --bind ADDR         the IPv4 or IPv6 address to listen on (default 127.0.0.1)\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  -j, --threads N     request threads (1 to 64, default 4)\n"
    "  --max-body BYTES    the largest request body (default 1048576): larger gets 413\n"
    "  --max-connections N connections open at once (default 64)\n"
    "  --timeout SECS      an idle connection is closed after SECS seconds (default 10)\n"
    "  --fhir-timeout SECS the FHIR fetches of one request end within SECS seconds\n"
    "                      (1 to 120, default 10); then the request gets 412\n"
    "  --fhir-allow-http   fetch from plain http:// FHIR servers too (the token is sent\n"
    "                      unencrypted): for a test server on loopback only\n"
    "  -h, --help          this help\n"
    "\n"
    "The listening address is printed on standard error once the service answers:\n"
    "\"mgadvise serve: listening on http://ADDR:PORT\".\n"
    "\n"
    "exit status: 0 stopped by a signal; 1 the rules have errors; 2 usage; 3 a file could not\n"
    "be read or the address cannot be bound; 4 out of memory.\n";

enum {
    OPT_PORT = CLI_OPT_LONG,
    OPT_BIND,
    OPT_INSECURE,
    OPT_MAX_BODY,
    OPT_MAX_CONN,
    OPT_TIMEOUT,
    OPT_AUTH,
    OPT_FHIR_TIMEOUT,
    OPT_FHIR_HTTP
};

static const cli_opt serve_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"port", 0, "a port number", OPT_PORT},
    {"bind", 0, "an address", OPT_BIND},
    {"insecure-no-auth", 0, NULL, OPT_INSECURE},
    {"auth", 0, "a configuration file", OPT_AUTH},
    {"threads", 'j', "a number of threads", 'j'},
    {"max-body", 0, "a number of bytes", OPT_MAX_BODY},
    {"max-connections", 0, "a number", OPT_MAX_CONN},
    {"timeout", 0, "a number of seconds", OPT_TIMEOUT},
    {"fhir-timeout", 0, "a number of seconds", OPT_FHIR_TIMEOUT},
    {"fhir-allow-http", 0, NULL, OPT_FHIR_HTTP},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct server {
    const cds_service *cds;
    const mga_ruleset *rs;
    size_t max_body;
    cli_auth *auth; /* NULL with --insecure-no-auth */
} server;

/* One request's state, from its first call to its completion. */
typedef struct request {
    char *body;
    size_t len, cap;
    bool answered; /* a response was queued before the body was read */
    bool too_big;  /* the body passed the limit: the rest is dropped */
    size_t dropped;
} request;

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, char *json,
                                 size_t len, const char *allow)
{
    if (!json)
        return MHD_NO; /* out of memory: MHD closes the connection */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, json, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *kind,
                                  const char *msg, const char *allow)
{
    size_t len = 0;
    char *json = cds_error_json(kind, msg, &len);
    return send_json(c, status, json, len, allow);
}

/* What a request to url by method is answered without its body; 0 when the body is needed.
 * *svc gets the service id of a POST to a service (or its feedback). */
typedef enum route { R_NONE, R_HEALTH, R_DISCOVERY, R_SERVICE, R_FEEDBACK } route;

static route route_of(const char *url, char *svc, size_t cap)
{
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
    return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' ||
                                                           ct[n] == ' ');
}

static char *dup_text(const char *s, size_t *len)
{
    char *p = strdup(s);
    *len = p ? strlen(p) : 0;
    return p;
}

/* Checks the first call of a request: the answer when it needs no body (a GET, an error),
 * else MHD_YES with nothing queued. */
static enum MHD_Result first_call(const server *srv, struct MHD_Connection *c, const char *url,
                                  const char *method, request *rq)
{
    char svc[128];
    route rt = route_of(url, svc, sizeof svc);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    char msg[256];
    rq->answered = true;
    if (strcmp(method, "OPTIONS") == 0 && rt != R_NONE) {
        /* a browser's CORS preflight */
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        enum MHD_Result ret = MHD_queue_response(c, 204, r);
        MHD_destroy_response(r);
        return ret;
    }
    switch (rt) {
    case R_NONE:
        snprintf(msg, sizeof msg, "no resource at '%.160s'", url);
        return send_error(c, 404, "not_found", msg, NULL);
    case R_HEALTH:
    case R_DISCOVERY:
        if (!get) {
            snprintf(msg, sizeof msg, "%.16s is not allowed on '%.160s': use GET", method, url);
            return send_error(c, 405, "method_not_allowed", msg, "GET");
        }
        if (rt == R_DISCOVERY) {
            size_t len = 0;
            const char *d = cds_discovery_ref(srv->cds, &len);
            char *copy = malloc(len);
            if (copy)
                memcpy(copy, d, len);
            return send_json(c, 200, copy, len, NULL);
        } else {
            char buf[512];
            snprintf(buf, sizeof buf, "{\"status\":\"ok\",\"rules\":%zu,\"hash\":\"%s\"}",
                     mga_ruleset_rule_count(srv->rs), mga_ruleset_hash(srv->rs));
            size_t len;
            char *j = dup_text(buf, &len);
            return send_json(c, 200, j, len, NULL);
        }
    case R_SERVICE:
    case R_FEEDBACK:
        if (!cds_service_known(svc)) {
            snprintf(msg, sizeof msg, "no CDS service '%.100s': GET /cds-services lists them",
                     svc);
            return send_error(c, 404, "unknown_service", msg, NULL);
        }
        if (!post) {
            snprintf(msg, sizeof msg, "%.16s is not allowed on '%.160s': use POST", method, url);
            return send_error(c, 405, "method_not_allowed", msg, "POST");
        }
        break;
    }
    if (srv->auth) {
        char why[512];
        const char *h =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (cli_auth_check(srv->auth, h, why, sizeof why) != 0) {
            fprintf(stderr, "mgadvise serve: 401 for %s: %s\n", svc, why);
            size_t len = 0;
            char *json = cds_error_json("unauthorized", why, &len);
            if (!json)
                return MHD_NO;
            struct MHD_Response *r =
                MHD_create_response_from_buffer(len, json, MHD_RESPMEM_MUST_FREE);
            if (!r) {
                free(json);
                return MHD_NO;
            }
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
            MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
            MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
            enum MHD_Result ret = MHD_queue_response(c, 401, r);
            MHD_destroy_response(r);
            return ret;
        }
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!is_json_type(ct)) {
        snprintf(msg, sizeof msg, "Content-Type is '%.100s': expected application/json",
                 ct ? ct : "(none)");
        return send_error(c, 415, "unsupported_media_type", msg, NULL);
    }
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
        snprintf(msg, sizeof msg, "the body is %.30s bytes: at most %zu are accepted", cl,
                 srv->max_body);
        return send_error(c, 413, "body_too_large", msg, NULL);
    }
    rq->answered = false;
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    const server *srv = cls;
    request *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        *con_cls = rq;
        return first_call(srv, c, url, method, rq);
    }
    if (rq->answered) {
        *upload_size = 0; /* the answer is queued: the rest of the body is dropped */
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_big || n > srv->max_body - rq->len) {
            /* MHD answers only before or after the upload: drop the rest and say 413 at
             * its end, or close a connection that goes on sending far past the limit */
            rq->too_big = true;
            rq->dropped += n;
            return rq->dropped / 16 > srv->max_body ? MHD_NO : MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = (rq->len + n + 1) * 2;
            if (cap > srv->max_body + 1)
                cap = srv->max_body + 1;
            char *p = realloc(rq->body, cap);
            if (!p)
                return MHD_NO;
            rq->body = p;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        rq->body[rq->len] = '\0';
        return MHD_YES;
    }
    /* the whole body is here */
    rq->answered = true;
    if (rq->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is larger than %zu bytes", srv->max_body);
        return send_error(c, 413, "body_too_large", msg, NULL);
    }
    char svc[128];
    route rt = route_of(url, svc, sizeof svc);
    const char *body = rq->body ? rq->body : "";
    if (rt == R_FEEDBACK) {
        char *out = NULL;
        size_t len = 0;
        if (rq->len == 0 || !strstr(body, "\"feedback\""))
            return send_error(c, 400, "bad_request",
                              "a feedback body is a JSON object with a 'feedback' array", NULL);
        fprintf(stderr, "mgadvise serve: feedback for %s: %zu bytes\n", svc, rq->len);
        out = dup_text("{}", &len);
        return send_json(c, 200, out, len, NULL);
    }
    char *out = NULL;
    size_t len = 0;
    int status = cds_handle(srv->cds, svc, body, rq->len, &out, &len);
    return send_json(c, (unsigned)status, out, len, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

static bool num_opt(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

int cli_serve(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char *bind_addr = "127.0.0.1";
    unsigned long port = 8080, threads = 4, max_body = 1 << 20, max_conn = 64, timeout = 10;
    bool insecure = false;
    const char *auth_path = NULL;
    fhirfetch_opts fetch = {false, 10};
    unsigned long fhir_timeout = 10;
    cli_parser P;
    if (!rules || cli_parser_init(&P, "serve", serve_opts) != 0) {
        free(rules);
        return EXIT_INTERNAL;
    }
    int c, rc = EXIT_OK;
    const char *v;
    while (rc == EXIT_OK && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        switch (c) {
        case 'h':
            fputs(usage_serve, stdout);
            free(rules);
            return EXIT_OK;
        case 'r':
            rules[nrules++] = v;
            break;
        case OPT_PORT:
            if (!num_opt(v, 0, 65535, &port))
                rc = cli_usage_error("serve", "--port '%s': expected a port from 0 to 65535", v);
            break;
        case OPT_BIND:
            bind_addr = v;
            break;
        case OPT_INSECURE:
            insecure = true;
            break;
        case OPT_AUTH:
            auth_path = v;
            break;
        case 'j':
            if (!num_opt(v, 1, 64, &threads))
                rc = cli_usage_error("serve", "-j/--threads '%s': expected 1 to 64", v);
            break;
        case OPT_MAX_BODY:
            if (!num_opt(v, 1, 1UL << 24, &max_body))
                rc = cli_usage_error("serve", "--max-body '%s': expected 1 to 16777216", v);
            break;
        case OPT_MAX_CONN:
            if (!num_opt(v, 1, 10000, &max_conn))
                rc = cli_usage_error("serve", "--max-connections '%s': expected 1 to 10000", v);
            break;
        case OPT_TIMEOUT:
            if (!num_opt(v, 1, 3600, &timeout))
                rc = cli_usage_error("serve", "--timeout '%s': expected 1 to 3600 seconds", v);
            break;
        case OPT_FHIR_TIMEOUT:
            if (!num_opt(v, 1, 120, &fhir_timeout))
                rc = cli_usage_error("serve", "--fhir-timeout '%s': expected 1 to 120 seconds", v);
            fetch.timeout_s = (unsigned)fhir_timeout;
            break;
        case OPT_FHIR_HTTP:
            fetch.allow_http = true;
            break;
        default:
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && optind < argc)
        rc = cli_usage_error("serve", "unexpected operand '%s': give rules with -r", argv[optind]);
    if (rc == EXIT_OK && !insecure && !auth_path)
        rc = cli_usage_error("serve",
                             "%sgive --auth FILE (the trusted issuers and their keys) to verify "
                             "the client's JWT, or --insecure-no-auth to serve without "
                             "authentication (local testing only)",
                             "");
    if (rc == EXIT_OK && insecure && auth_path)
        rc = cli_usage_error("serve", "%s--auth and --insecure-no-auth exclude each other", "");
    cli_auth *auth = NULL;
    if (rc == EXIT_OK && auth_path) {
        char why[1024];
        if (!(auth = cli_auth_new(auth_path, why, sizeof why))) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise serve: --auth: %s\n", cli_esc(e, sizeof e, why));
            rc = EXIT_IO;
        }
    }
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    bool v6 = strchr(bind_addr, ':') != NULL;
    if (rc == EXIT_OK) {
        int ok = v6 ? inet_pton(AF_INET6, bind_addr, &a6.sin6_addr)
                    : inet_pton(AF_INET, bind_addr, &a4.sin_addr);
        if (ok != 1)
            rc = cli_usage_error("serve", "--bind '%s': expected an IPv4 or IPv6 address",
                                 bind_addr);
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
    }
    if (rc != EXIT_OK) {
        cli_auth_free(auth);
        free(rules);
        return rc;
    }
    if (insecure)
        fprintf(stderr, "mgadvise serve: WARNING: --insecure-no-auth: requests are NOT "
                        "authenticated; anyone who reaches this address gets advice for the "
                        "patient data they send. For local testing only.\n");
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    cds_service *cds = NULL;
    mga_status st = mga_engine_new(NULL, &eng);
    if (st == MGA_OK)
        st = cli_load_rules(eng, rules, nrules, &rs, NULL);
    free(rules);
    if (st == MGA_OK && !(cds = cds_service_new(rs)))
        st = MGA_E_NOMEM;
    if (cds)
        cds_service_set_fetch(cds, &fetch);
    if (cds && fetch.allow_http)
        fprintf(stderr, "mgadvise serve: WARNING: --fhir-allow-http: FHIR servers are queried "
                        "over plain HTTP, the access token unencrypted. For a test server on "
                        "loopback only.\n");
    if (st != MGA_OK) {
        cli_report_status(st);
        cli_auth_free(auth);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        return cli_status_exit(st);
    }
    /* the pool's threads inherit this mask: only sigwait below sees the signals */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    server srv = {cds, rs, max_body, auth};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL))
        flags |= MHD_USE_EPOLL;
    else if (MHD_is_feature_supported(MHD_FEATURE_POLL))
        flags |= MHD_USE_POLL;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handle, &srv, MHD_OPTION_SOCK_ADDR,
        v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)max_conn, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise serve: cannot listen on %s port %lu\n",
                cli_esc(e, sizeof e, bind_addr), port);
        cds_service_free(cds);
        cli_auth_free(auth);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        return EXIT_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "mgadvise serve: listening on http://%s%s%s:%u\n", v6 ? "[" : "", bind_addr,
            v6 ? "]" : "", info ? info->port : (unsigned)port);
    fflush(stderr);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "mgadvise serve: stopping on signal %d\n", sig);
    MHD_stop_daemon(d);
    cds_service_free(cds);
    cli_auth_free(auth);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    return EXIT_OK;
}
