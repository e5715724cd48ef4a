/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: one HTTP request of `mgadvise serve` through its handler
 * (cli/handler.c) without a socket, over the shipped rules, with the decision log on
 * (written to /dev/null, patient ids hashed). A request with an Authorization header goes
 * to a handler that verifies JWTs (cli/auth.c, libjwt: a trusted issuer with a P-384 key
 * made at start), so that the token reader faces the fuzzer before any check passes. The input is the request as text: a line
 * "METHOD URL", header lines "Name: value", an empty line, then the body; a body longer
 * than the service's limit (4096 bytes here) is handed over as dropped, as the HTTP layer
 * does. A body naming a "fhirServer" is skipped: the service would fetch from it, and a
 * harness reaches no network. Any request must get a status the service documents and, with a body, one JSON
 * document: an error object naming its kind and message, or cards within CDS Hooks'
 * rules. Never a crash, a leak or a hang. */
#include "fhirfetch.h"
#include "handler.h"
#include "jsonval.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#include "fuzz.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#define MAX_BODY 4096
#define MAX_HEADER 1024

static handler *h, *h_auth;

/* An --auth configuration trusting issuer "https://fuzz.example" with a P-384 key made
 * now, in a scratch folder (left behind: a few hundred bytes per run). */
static cli_auth *make_auth(void)
{
    char dir[] = "/tmp/mgadvise-fuzz-XXXXXX";
    FUZZ_CHECK(mkdtemp(dir) != NULL);
    char pem[sizeof dir + 16], conf[sizeof dir + 16];
    snprintf(pem, sizeof pem, "%s/ec.pub", dir);
    snprintf(conf, sizeof conf, "%s/auth.json", dir);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    FUZZ_CHECK(k != NULL);
    FILE *f = fopen(pem, "w");
    FUZZ_CHECK(f && PEM_write_PUBKEY(f, k) == 1 && fclose(f) == 0);
    EVP_PKEY_free(k);
    f = fopen(conf, "w");
    FUZZ_CHECK(f != NULL);
    fprintf(f, "{\"audience\": \"http://127.0.0.1/cds-services\", \"issuers\": "
               "[{\"iss\": \"https://fuzz.example\", \"public_key\": \"ec.pub\"}]}\n");
    FUZZ_CHECK(fclose(f) == 0);
    char why[256];
    cli_auth *a = cli_auth_new(conf, why, sizeof why);
    FUZZ_CHECK(a != NULL);
    return a;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FUZZ_CHECK(fhirfetch_init()); /* for the process, as serve does */
    mga_ruleset *rs = fuzz_builtin_rules();
    char why[256];
    declog_options lo = {"/dev/null", 0, 0, NULL, false}; /* never rotated */
    declog *log = declog_open(&lo, why, sizeof why);
    FUZZ_CHECK(log != NULL);
    handler_config c = {MAX_BODY, MAX_HEADER, NULL, log, {false, 1}};
    FUZZ_CHECK((h = handler_new(&c, rs)) != NULL);
    c.auth = make_auth();
    FUZZ_CHECK((h_auth = handler_new(&c, fuzz_builtin_rules())) != NULL);
    return 0; /* the handlers, the log and the auth live as long as the process */
}

static const char *jstr(yajl_val v, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

static void check_answer(const handler_resp *a)
{
    static const unsigned ok[] = {200, 204, 400, 401, 404, 405, 412, 413, 415, 422, 431};
    bool known = false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        known |= a->status == ok[i];
    FUZZ_CHECK(known);
    FUZZ_CHECK((a->status == 204) == (a->body == NULL));
    if (!a->body)
        return;
    char *text = malloc(a->len + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, a->body, a->len);
    text[a->len] = '\0';
    FUZZ_CHECK(strlen(text) == a->len);
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    FUZZ_CHECK(root != NULL && YAJL_IS_OBJECT(root));
    if (a->status != 200) {
        FUZZ_CHECK(jstr(root, "error") != NULL && jstr(root, "message") != NULL);
    } else {
        const char *path[] = {"cards", NULL};
        yajl_val cards = yajl_tree_get(root, path, yajl_t_array);
        for (size_t i = 0; cards && i < cards->u.array.len; i++) {
            yajl_val c = cards->u.array.values[i];
            const char *sum = jstr(c, "summary"), *ind = jstr(c, "indicator");
            FUZZ_CHECK(sum && strlen(sum) < 140 && jstr(c, "uuid") && ind);
            FUZZ_CHECK(!strcmp(ind, "info") || !strcmp(ind, "warning") ||
                       !strcmp(ind, "critical"));
        }
    }
    yajl_tree_free(root);
    free(text);
}

/* The value of header name in lines [p, end), or NULL; copied into buf. */
static const char *find_header(const char *p, const char *end, const char *name, char *buf,
                               size_t cap)
{
    size_t n = strlen(name);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (v < le && *v == ' ')
                v++;
            size_t len = (size_t)(le - v);
            if (len && v[len - 1] == '\r')
                len--;
            if (len >= cap || memchr(v, '\0', len))
                return NULL;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return buf;
        }
        p = nl ? nl + 1 : end;
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *end = in + size;
    const char *nl = memchr(in, '\n', size);
    const char *sp = memchr(in, ' ', nl ? (size_t)(nl - in) : size);
    if (!nl || !sp)
        return 0;
    char method[32], url[1024];
    size_t ml = (size_t)(sp - in), ul = (size_t)(nl - sp - 1);
    if (ml >= sizeof method || ul >= sizeof url || memchr(in, '\0', (size_t)(nl - in)))
        return 0; /* MHD hands over neither NULs nor, here, longer lines */
    memcpy(method, in, ml);
    method[ml] = '\0';
    memcpy(url, sp + 1, ul);
    url[ul] = '\0';
    if (ul && url[ul - 1] == '\r')
        url[ul - 1] = '\0';
    /* the head ends at the first empty line */
    const char *hs = nl + 1, *he = hs;
    while (he < end && *he != '\n' && !(*he == '\r' && he + 1 < end && he[1] == '\n')) {
        const char *n2 = memchr(he, '\n', (size_t)(end - he));
        he = n2 ? n2 + 1 : end;
    }
    const char *body = he < end ? (*he == '\n' ? he + 1 : he + 2) : end;
    char auth[512], ctype[256], clen[64];
    handler_req rq = {method,
                      url,
                      find_header(hs, he, "Authorization", auth, sizeof auth),
                      find_header(hs, he, "Content-Type", ctype, sizeof ctype),
                      find_header(hs, he, "Content-Length", clen, sizeof clen),
                      (size_t)(he - in),
                      handler_now_ms()};
    handler_resp a;
    handler *hh = rq.authorization ? h_auth : h; /* a token: verified, as --auth does */
    if (handler_head(hh, &rq, &a)) {
        check_answer(&a);
        free(a.body);
        return 0;
    }
    size_t blen = (size_t)(end - body);
    bool too_big = blen > MAX_BODY;
    char *copy = NULL;
    if (!too_big && blen) {
        copy = malloc(blen + 1);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, body, blen);
        copy[blen] = '\0';
        /* the key as cds.c reads it (yajl decodes escapes in keys too), on a body cds.c
         * parses (yajl_tree_free recurses: the depth is checked first, as there) */
        yajl_val root =
            cli_json_depth(copy, blen, 64) <= 64 ? yajl_tree_parse(copy, NULL, 0) : NULL;
        const char *path[] = {"fhirServer", NULL};
        bool fetches = root && yajl_tree_get(root, path, yajl_t_any) != NULL;
        yajl_tree_free(root);
        if (fetches) {
            free(copy);
            return 0;
        }
    }
    handler_body(hh, &rq, copy, too_big ? 0 : blen, too_big, &a);
    check_answer(&a);
    free(a.body);
    free(copy);
    return 0;
}
