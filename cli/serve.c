/* SPDX-License-Identifier: MIT */
/* `mgadvise serve`: the CDS Hooks 2.0 service over HTTP (libmicrohttpd). Options, the
 * daemon and its limits, the request body read from MHD, signals (SIGHUP reloads the rules)
 * here; each request answered by cli/handler.c, the CDS Hooks documents in cli/cds.c. MHD's
 * threads only read and write: a request whose body is read is suspended and queued to the
 * request threads (cli/workers.c), and the one that answers it resumes it, so that neither
 * a long request (a FHIR fetch) nor a busy thread holds up the other connections. */
#include "auth.h"
#include "cli.h"
#include "declog.h"
#include "handler.h"
#include "workers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *usage_serve =
    "usage: mgadvise serve (--auth FILE | --insecure-no-auth) [OPTIONS] [-r PATH]...\n"
    "\n"
    "Serves the rules as a CDS Hooks 2.0 service over HTTP (docs/CDS-HOOKS.md):\n"
    "  GET  /cds-services                    the discovery document\n"
    "  POST /cds-services/mgadvise-patient-view   cards for the patient (patient-view)\n"
    "  POST /cds-services/mgadvise-order-select   safety cards for a draft magnesium order\n"
    "  POST /cds-services/mgadvise-order-sign     the same at signing (order-sign)\n"
    "  POST /cds-services/ID/feedback        feedback on cards (standard error, decision log)\n"
    "  GET  /healthz                         the rule set being served (its hash)\n"
    "The patient's FHIR resources come in the request's prefetch; what it lacks is fetched\n"
    "from the request's fhirServer (https, Bearer token from fhirAuthorization); a request\n"
    "whose prefetch cannot be had gets 412. Runs until SIGTERM or SIGINT. SIGHUP compiles\n"
    "the rules again from the same -r paths and serves them; when they have errors, the\n"
    "rules served so far stay (the diagnostics go to standard error and the decision log).\n"
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
    "  -j, --threads N     request threads (1 to 64; default: the number of online\n"
    "                      CPUs), taking requests from one queue; as many threads read\n"
    "                      and write HTTP. More when FHIR servers are often asked: a\n"
    "                      fetch holds its thread until it ends\n"
    "  --max-body BYTES    the largest request body (default 1048576): larger gets 413\n"
    "  --max-connections N connections open at once (default 64)\n"
    "  --max-header BYTES  the largest request line and headers (default 16384): larger\n"
    "                      gets 431\n"
    "  --tls-cert FILE     serve HTTPS with this certificate (PEM; the chain after it)\n"
    "  --tls-key FILE      and this private key (PEM, not encrypted); both or neither\n"
    "  --timeout SECS      an idle connection is closed after SECS seconds (default 10)\n"
    "  --body-timeout SECS a request whose body is not all read SECS seconds after its\n"
    "                      head has its connection closed (default 30): a client that\n"
    "                      trickles its body holds a connection that long at most\n"
    "";
/* the options, continued (C limits a string literal's length) */
static const char *usage_serve_2 =
    "  --fhir-timeout SECS the FHIR fetches of one request end within SECS seconds\n"
    "                      (1 to 120, default 10); then the request gets 412\n"
    "  --fhir-allow-http   fetch from plain http:// FHIR servers too (the token is sent\n"
    "                      unencrypted): for a test server on loopback only\n"
    "  --decision-log FILE append one JSON line per hook call, feedback call and reload\n"
    "                      to FILE (docs/CDS-HOOKS.md): the rules fired, the cards, status,\n"
    "                      latency; patient ids as an HMAC-SHA-256 keyed hash\n"
    "  --log-max-bytes N   rotate FILE before it would pass N bytes (default 104857600;\n"
    "                      0: never); a FIFO or device is never rotated\n"
    "  --log-keep K        rotated files kept, FILE.1 (newest) to FILE.K (default 5)\n"
    "  --log-id-key FILE   the HMAC key for patient ids (16 to 1024 bytes); without it a\n"
    "                      random key is made for each run, so hashes differ across runs\n"
    "  --log-plain-ids     write patient ids in the log as they are, not hashed\n"
    "  -h, --help          this help\n"
    "\n"
    "The listening address is printed on standard error once the service answers:\n"
    "\"mgadvise serve: listening on http://ADDR:PORT\" (https with --tls-cert).\n"
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
    OPT_BODY_TIMEOUT,
    OPT_AUTH,
    OPT_LOG,
    OPT_LOG_MAX,
    OPT_LOG_KEEP,
    OPT_LOG_KEY,
    OPT_LOG_PLAIN,
    OPT_MAX_HEADER,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
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
    {"body-timeout", 0, "a number of seconds", OPT_BODY_TIMEOUT},
    {"max-header", 0, "a number of bytes", OPT_MAX_HEADER},
    {"tls-cert", 0, "a PEM file", OPT_TLS_CERT},
    {"tls-key", 0, "a PEM file", OPT_TLS_KEY},
    {"decision-log", 0, "a file", OPT_LOG},
    {"log-max-bytes", 0, "a number of bytes", OPT_LOG_MAX},
    {"log-keep", 0, "a number of files", OPT_LOG_KEEP},
    {"log-id-key", 0, "a key file", OPT_LOG_KEY},
    {"log-plain-ids", 0, NULL, OPT_LOG_PLAIN},
    {"fhir-timeout", 0, "a number of seconds", OPT_FHIR_TIMEOUT},
    {"fhir-allow-http", 0, NULL, OPT_FHIR_HTTP},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What MHD's callbacks are given: the handler, the request threads, and the count of the
 * requests handed to them whose connection has not completed (the stop waits for it). */
typedef struct server {
    handler *h;
    workers *pool;
    double body_ms; /* --body-timeout */
    pthread_mutex_t mu;
    pthread_cond_t idle; /* pooled fell to 0 */
    size_t pooled;
} server;

/* One request's state, from its first call to its completion. */
typedef struct request {
    handler_req hr;
    char *body;
    size_t len, cap;
    bool answered; /* a response was queued, or the request was handed to the pool */
    bool too_big;  /* the body passed the limit: the rest is dropped */
    size_t dropped;
    server *srv;
    struct MHD_Connection *conn; /* while a request thread answers it */
    handler_resp resp;           /* the pool's answer, queued once the connection resumes */
    bool ready;                  /* resp is set */
    bool pooled;                 /* counted in srv->pooled until it completes */
} request;

static enum MHD_Result queue(struct MHD_Connection *c, handler_resp *a)
{
    if (a->status == 0) {
        free(a->body);
        return MHD_NO; /* out of memory: MHD closes the connection */
    }
    struct MHD_Response *r =
        a->body ? MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE)
                : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(a->body);
        return MHD_NO;
    }
    if (a->body)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    if (a->preflight) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    }
    if (a->allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, a->allow);
    if (a->bearer)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, a->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result add_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* "K: V\r\n" */
    return MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Under the pool's lock, before a request thread can see the request (workers_push). */
static void suspend(void *job)
{
    request *rq = job;
    MHD_suspend_connection(rq->conn);
    pthread_mutex_lock(&rq->srv->mu);
    rq->srv->pooled++;
    pthread_mutex_unlock(&rq->srv->mu);
    rq->pooled = true;
}

/* On a request thread: the answer, then the connection resumed; MHD then calls handle()
 * again on its own thread, which queues the answer. Nothing of rq is touched after the
 * resume. */
static void answer(void *job, void *ud)
{
    request *rq = job;
    handler_body(ud, &rq->hr, rq->body, rq->len, rq->too_big, &rq->resp);
    rq->ready = true;
    MHD_resume_connection(rq->conn);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    server *srv = cls;
    handler *h = srv->h;
    request *rq = *con_cls;
    handler_resp a;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        rq->srv = srv;
        *con_cls = rq;
        rq->hr = (handler_req){method,
                               url,
                               header(c, MHD_HTTP_HEADER_AUTHORIZATION),
                               header(c, MHD_HTTP_HEADER_CONTENT_TYPE),
                               header(c, MHD_HTTP_HEADER_CONTENT_LENGTH),
                               strlen(method) + strlen(url) + strlen(version) + 4,
                               handler_now_ms()};
        MHD_get_connection_values(c, MHD_HEADER_KIND, add_size, &rq->hr.head_bytes);
        if (!handler_head(h, &rq->hr, &a))
            return MHD_YES; /* the body is needed */
        rq->answered = true;
        return queue(c, &a);
    }
    if (rq->ready) { /* resumed: a request thread has answered */
        rq->ready = false;
        return queue(c, &rq->resp);
    }
    if (rq->answered) {
        *upload_size = 0; /* the answer is queued: the rest of the body is dropped */
        return MHD_YES;
    }
    size_t max_body = handler_max_body(h);
    if (*upload_size && handler_now_ms() - rq->hr.t0_ms > srv->body_ms) {
        /* MHD's timeout is of idleness: a client trickling its body would hold the
         * connection for as long as it likes */
        fprintf(stderr, "mgadvise serve: closing a connection whose body was not read "
                        "%.0f s after its head\n", srv->body_ms / 1000);
        return MHD_NO;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_big || n > max_body - rq->len) {
            /* MHD answers only before or after the upload: drop the rest and say 413 at
             * its end, or close a connection that goes on sending far past the limit */
            rq->too_big = true;
            rq->dropped += n;
            return rq->dropped / 16 > max_body ? MHD_NO : MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = (rq->len + n + 1) * 2;
            if (cap > max_body + 1)
                cap = max_body + 1;
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
    /* the whole body is here: answered by a request thread, or here when the pool is
     * stopping */
    rq->answered = true;
    rq->conn = c;
    if (workers_push(srv->pool, rq, suspend))
        return MHD_YES;
    handler_body(h, &rq->hr, rq->body, rq->len, rq->too_big, &a);
    return queue(c, &a);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    server *srv = cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (rq) {
        if (rq->pooled) {
            pthread_mutex_lock(&srv->mu);
            if (--srv->pooled == 0)
                pthread_cond_broadcast(&srv->idle);
            pthread_mutex_unlock(&srv->mu);
        }
        if (rq->ready) /* answered, but the connection ended before it was queued */
            free(rq->resp.body);
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* Waits until every request handed to the pool has completed (its answer sent, or its
 * connection closed), at most secs seconds. */
static void wait_pooled(server *srv, unsigned long secs)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)secs;
    pthread_mutex_lock(&srv->mu);
    while (srv->pooled && pthread_cond_timedwait(&srv->idle, &srv->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&srv->mu);
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

/* A PEM file's text (NUL-terminated, as MHD takes it), or NULL having said why. */
static char *read_pem(const char *path, const char *opt)
{
    char e[CLI_ESC_CAP];
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        fprintf(stderr, "mgadvise serve: %s '%s': %s\n", opt, cli_esc(e, sizeof e, path),
                strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *p = cap < (1u << 20) ? realloc(buf, cap = len + 4096 + 1 + cap) : NULL;
            if (!p) {
                fprintf(stderr, "mgadvise serve: %s '%s': larger than 1 MiB\n", opt,
                        cli_esc(e, sizeof e, path));
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    int rerr = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    buf[len] = '\0';
    bool key = strcmp(opt, "--tls-key") == 0;
    const char *why = NULL;
    if (rerr)
        why = strerror(rerr);
    else if (!strstr(buf, "-----BEGIN "))
        why = "not a PEM file (no '-----BEGIN ' line)";
    else if (key && (strstr(buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
                     strstr(buf, "Proc-Type: 4,ENCRYPTED")))
        why = "the private key is encrypted: give it unencrypted";
    else if (key && !strstr(buf, "PRIVATE KEY-----"))
        why = "no private key in it (no '-----BEGIN ... PRIVATE KEY-----' line)";
    else if (!key && !strstr(buf, "-----BEGIN CERTIFICATE-----"))
        why = "no certificate in it (no '-----BEGIN CERTIFICATE-----' line)";
    if (why) {
        fprintf(stderr, "mgadvise serve: %s '%s': %s\n", opt, cli_esc(e, sizeof e, path), why);
        free(buf);
        return NULL;
    }
    return buf;
}

static int diags_sink(void *ud, const char *p, size_t n)
{
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    char *q = realloc(*buf, old + n + 1);
    if (!q)
        return -1;
    memcpy(q + old, p, n);
    q[old + n] = '\0';
    *buf = q;
    return 0;
}

/* SIGHUP: the rules compiled again from the same paths and served when they compile. */
static void reload(mga_engine *eng, const char **rules, size_t nrules, handler *h, declog *log)
{
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    char old[17], now[17];
    handler_hash(h, old);
    mga_status st = cli_load_rules(eng, rules, nrules, &rs, &d);
    cli_render(d);
    char *dj = NULL;
    if (log && d)
        mga_diags_write(d, MGA_DIAGS_JSON, diags_sink, &dj);
    mga_diags_free(d);
    char name[256];
    snprintf(name, sizeof name, "%s", rs ? mga_ruleset_name(rs) : "");
    bool ok = st == MGA_OK && handler_swap(h, rs);
    if (st != MGA_OK) {
        mga_ruleset_free(rs);
        fprintf(stderr, "mgadvise serve: reload failed (%s): still serving rules %s\n",
                mga_status_str(st), old);
    } else if (!ok) {
        fprintf(stderr, "mgadvise serve: reload failed (out of memory): still serving rules "
                        "%s\n", old);
    }
    handler_hash(h, now);
    if (ok)
        fprintf(stderr, "mgadvise serve: reloaded: serving rules %s (were %s)\n", now, old);
    if (log)
        declog_reload(log, ok, ok ? name : NULL, now, dj, dj ? strlen(dj) : 0);
    free(dj);
}

int cli_serve(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char *bind_addr = "127.0.0.1";
    unsigned long port = 8080, threads = 0, max_body = 1 << 20, max_conn = 64, timeout = 10;
    unsigned long log_keep = 5, max_header = 16384;
    const char *tls_cert = NULL, *tls_key = NULL;
    char *cert_pem = NULL, *key_pem = NULL;
    unsigned long long log_max = 100ULL << 20;
    bool log_size_given = false; /* --log-max-bytes or --log-keep */
    bool insecure = false;
    const char *auth_path = NULL;
    declog_options lo = {0};
    fhirfetch_opts fetch = {false, 10};
    unsigned long fhir_timeout = 10, body_timeout = 30;
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
            fputs(usage_serve_2, stdout);
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
        case OPT_BODY_TIMEOUT:
            if (!num_opt(v, 1, 3600, &body_timeout))
                rc = cli_usage_error("serve", "--body-timeout '%s': expected 1 to 3600 seconds",
                                     v);
            break;
        case OPT_MAX_HEADER:
            if (!num_opt(v, 1024, 1UL << 20, &max_header))
                rc = cli_usage_error("serve", "--max-header '%s': expected 1024 to 1048576", v);
            break;
        case OPT_TLS_CERT:
            tls_cert = v;
            break;
        case OPT_TLS_KEY:
            tls_key = v;
            break;
        case OPT_LOG:
            lo.path = v;
            break;
        case OPT_LOG_MAX: {
            unsigned long n;
            if (!num_opt(v, 0, ULONG_MAX, &n))
                rc = cli_usage_error("serve", "--log-max-bytes '%s': expected a number of bytes",
                                     v);
            log_max = n;
            log_size_given = true;
            break;
        }
        case OPT_LOG_KEEP:
            if (!num_opt(v, 0, 1000, &log_keep))
                rc = cli_usage_error("serve", "--log-keep '%s': expected 0 to 1000", v);
            log_size_given = true;
            break;
        case OPT_LOG_KEY:
            lo.id_key_path = v;
            break;
        case OPT_LOG_PLAIN:
            lo.plain_ids = true;
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
    if (rc == EXIT_OK && !lo.path && (lo.id_key_path || lo.plain_ids))
        rc = cli_usage_error("serve", "%s--log-id-key and --log-plain-ids need --decision-log",
                             "");
    if (rc == EXIT_OK && !lo.path && log_size_given)
        rc = cli_usage_error("serve", "%s--log-max-bytes and --log-keep need --decision-log", "");
    if (rc == EXIT_OK && lo.id_key_path && lo.plain_ids)
        rc = cli_usage_error("serve", "%s--log-id-key and --log-plain-ids exclude each other",
                             "");
    if (rc == EXIT_OK && !tls_cert != !tls_key)
        rc = cli_usage_error("serve", "%s--tls-cert and --tls-key go together", "");
    if (rc == EXIT_OK && tls_cert && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        fprintf(stderr, "mgadvise serve: this libmicrohttpd is built without TLS\n");
        rc = EXIT_IO;
    }
    if (rc == EXIT_OK && tls_cert &&
        (!(cert_pem = read_pem(tls_cert, "--tls-cert")) ||
         !(key_pem = read_pem(tls_key, "--tls-key"))))
        rc = EXIT_IO;
    cli_auth *auth = NULL;
    if (rc == EXIT_OK && auth_path) {
        char why[1024];
        if (!(auth = cli_auth_new(auth_path, why, sizeof why))) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise serve: --auth: %s\n", cli_esc(e, sizeof e, why));
            rc = EXIT_IO;
        }
    }
    declog *log = NULL;
    if (rc == EXIT_OK && lo.path) {
        char why[1024];
        lo.max_bytes = log_max;
        lo.keep = (unsigned)log_keep;
        if (!(log = declog_open(&lo, why, sizeof why))) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise serve: %s\n", cli_esc(e, sizeof e, why));
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
    if (!threads) { /* the work is CPU-bound: one request thread per CPU */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > 64 ? 64 : (unsigned long)n;
    }
    if (rc != EXIT_OK) {
        declog_free(log);
        cli_auth_free(auth);
        free(cert_pem);
        free(key_pem);
        free(rules);
        return rc;
    }
    if (insecure)
        fprintf(stderr, "mgadvise serve: WARNING: --insecure-no-auth: requests are NOT "
                        "authenticated; anyone who reaches this address gets advice for the "
                        "patient data they send. For local testing only.\n");
    if (log && declog_key_is_random(log) && !lo.plain_ids)
        fprintf(stderr, "mgadvise serve: the decision log hashes patient ids with a random key "
                        "made for this run (give --log-id-key FILE for hashes that stay the "
                        "same across runs)\n");
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    handler *h = NULL;
    mga_status st = mga_engine_new(NULL, &eng);
    if (st == MGA_OK)
        st = cli_load_rules(eng, rules, nrules, &rs, NULL);
    if (fetch.allow_http)
        fprintf(stderr, "mgadvise serve: WARNING: --fhir-allow-http: FHIR servers are queried "
                        "over plain HTTP, the access token unencrypted. For a test server on "
                        "loopback only.\n");
    handler_config hc = {max_body, max_header, auth, log, fetch};
    if (st == MGA_OK) {
        h = handler_new(&hc, rs); /* takes rs, even when it fails */
        rs = NULL;
        if (!h)
            st = MGA_E_NOMEM;
    }
    if (st != MGA_OK) {
        cli_report_status(st);
        mga_ruleset_free(rs);
        declog_free(log);
        cli_auth_free(auth);
        mga_engine_free(eng);
        free(cert_pem);
        free(key_pem);
        free(rules);
        return cli_status_exit(st);
    }
    /* the pool's threads inherit this mask: only sigwait below sees the signals */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a connection has at most one request in the queue */
    server srv = {.h = h, .pool = workers_new(threads, max_conn, answer, h),
                  .body_ms = 1000.0 * (double)body_timeout};
    pthread_mutex_init(&srv.mu, NULL);
    pthread_cond_init(&srv.idle, NULL);
    struct MHD_Daemon *d = NULL;
    if (!srv.pool) {
        cli_report_status(MGA_E_NOMEM);
        rc = cli_status_exit(MGA_E_NOMEM);
        goto out;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
                     (v6 ? MHD_USE_IPv6 : 0) | (cert_pem ? MHD_USE_TLS : 0);
    /* a connection's memory holds its read buffer (the head is parsed in place), the parsed
     * headers and the response's buffer: a head of max_header bytes gets the 431 above,
     * a much larger one MHD's own 431 */
    size_t conn_mem = 2 * (size_t)max_header + 32768;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL))
        flags |= MHD_USE_EPOLL;
    else if (MHD_is_feature_supported(MHD_FEATURE_POLL))
        flags |= MHD_USE_POLL;
    d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handle, &srv, MHD_OPTION_SOCK_ADDR,
        v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)max_conn, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, conn_mem,
        MHD_OPTION_NOTIFY_COMPLETED, completed, &srv,
        cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
    if (!d) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise serve: cannot listen on %s port %lu%s\n",
                cli_esc(e, sizeof e, bind_addr), port,
                cert_pem ? ", or the TLS certificate and key are not a valid pair" : "");
        rc = EXIT_IO;
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "mgadvise serve: listening on http%s://%s%s%s:%u\n", cert_pem ? "s" : "",
            v6 ? "[" : "", bind_addr,
            v6 ? "]" : "", info ? info->port : (unsigned)port);
    fflush(stderr);
    int sig = 0;
    while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
        reload(eng, rules, nrules, h, log);
    fprintf(stderr, "mgadvise serve: stopping on signal %d\n", sig);
    /* no new connection; the requests queued are answered and their answers sent before MHD
     * stops (it must not stop with a connection suspended, and would drop an answer not yet
     * sent); a request that comes meanwhile on an open connection is answered on MHD's
     * threads */
    MHD_socket listen_fd = MHD_quiesce_daemon(d);
    workers_stop(srv.pool);
    wait_pooled(&srv, timeout);
    MHD_stop_daemon(d);
    if (listen_fd != MHD_INVALID_SOCKET) /* MHD's threads may use it until they stop */
        close(listen_fd);
out:
    workers_free(srv.pool);
    pthread_cond_destroy(&srv.idle);
    pthread_mutex_destroy(&srv.mu);
    handler_free(h);
    declog_free(log);
    cli_auth_free(auth);
    mga_engine_free(eng);
    free(cert_pem);
    free(key_pem);
    free(rules);
    return rc;
}
