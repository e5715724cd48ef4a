/* SPDX-License-Identifier: MIT */
/* JWT verification for `mgadvise serve` (CDS Hooks 2.0 security): the configuration read
 * with yajl_tree, each token's issuer looked up, its signature checked by libjwt with that
 * issuer's public key, then alg, aud, exp, iat and jti checked here. */
#include "auth.h"
#include "cli.h"
#include "jtiseen.h"

#include <errno.h>
#include <jwt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#define SKEW 60            /* seconds of clock difference allowed */
#define SEEN_MAX (1u << 20) /* jti values remembered at once, until their token expires */
#define MAX_LIFETIME 3600   /* seconds a token may live past now: CDS Hooks tokens are
                               made for one call; a longer one would hold its jti long */

typedef struct issuer {
    char *iss;
    unsigned char *key;
    size_t key_len;
} issuer;

struct cli_auth {
    char *audience;
    issuer *issuers;
    size_t nissuers;
    pthread_mutex_t lock; /* of seen */
    jti_seen *seen;
};

static int why_f(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_f(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

void cli_auth_free(cli_auth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nissuers; i++) {
        free(a->issuers[i].iss);
        free(a->issuers[i].key);
    }
    free(a->issuers);
    free(a->audience);
    jti_seen_free(a->seen);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static const char *jstr(yajl_val v, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

cli_auth *cli_auth_new(const char *path, char *why, size_t cap)
{
    size_t len = 0;
    int err = 0;
    char *text = cli_read_all(path, &len, &err);
    if (!text) {
        why_f(why, cap, "cannot read '%s': %s", path, strerror(err));
        return NULL;
    }
    char *z = malloc(len + 1); /* yajl_tree_parse reads a NUL-terminated string */
    if (z) {
        memcpy(z, text, len);
        z[len] = '\0';
    }
    free(text);
    if (!z) {
        why_f(why, cap, "out of memory");
        return NULL;
    }
    char perr[256];
    yajl_val root = yajl_tree_parse(z, perr, sizeof perr);
    free(z);
    cli_auth *a = calloc(1, sizeof *a);
    if (!a || !root) {
        if (!root)
            why_f(why, cap, "'%s' is not JSON: %s", path, perr);
        else
            why_f(why, cap, "out of memory");
        yajl_tree_free(root);
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    a->seen = jti_seen_new(SEEN_MAX);
    const char *ipath[] = {"issuers", NULL};
    yajl_val iss = yajl_tree_get(root, ipath, yajl_t_array);
    const char *aud = jstr(root, "audience");
    bool ok = a->seen != NULL;
    if (!ok) {
        why_f(why, cap, "out of memory");
    } else if (!aud || !*aud) {
        ok = false;
        why_f(why, cap, "'%s': \"audience\" (the discovery URL) is missing or empty", path);
    } else if (!iss || iss->u.array.len == 0) {
        ok = false;
        why_f(why, cap, "'%s': \"issuers\" is missing or empty", path);
    } else {
        a->audience = strdup(aud);
        a->issuers = calloc(iss->u.array.len, sizeof *a->issuers);
        ok = a->audience && a->issuers;
        if (!ok)
            why_f(why, cap, "out of memory");
    }
    const char *slash = strrchr(path, '/');
    for (size_t i = 0; ok && i < iss->u.array.len; i++) {
        yajl_val e = iss->u.array.values[i];
        const char *name = jstr(e, "iss"), *key = jstr(e, "public_key");
        if (!name || !key) {
            ok = false;
            why_f(why, cap, "'%s': issuers[%zu] needs \"iss\" and \"public_key\"", path, i);
            break;
        }
        char kpath[4096];
        if (key[0] != '/' && slash)
            snprintf(kpath, sizeof kpath, "%.*s/%s", (int)(slash - path), path, key);
        else
            snprintf(kpath, sizeof kpath, "%s", key);
        issuer *is = &a->issuers[a->nissuers++];
        is->iss = strdup(name);
        is->key = (unsigned char *)cli_read_all(kpath, &is->key_len, &err);
        if (!is->iss || !is->key) {
            ok = false;
            why_f(why, cap, "issuers[%zu]: cannot read the public key '%s': %s", i, kpath,
                  is->key ? "out of memory" : strerror(err));
        }
    }
    yajl_tree_free(root);
    if (!ok) {
        cli_auth_free(a);
        return NULL;
    }
    return a;
}

/* True when s names the service called: the audience itself, or the service's endpoint
 * under it (AUDIENCE/ID, as the discovery document lists it; AUDIENCE/ID/feedback for its
 * feedback), a '/' ending the audience or not. */
static bool aud_names(const char *s, const char *audience, const char *service, bool feedback)
{
    if (strcmp(s, audience) == 0)
        return true;
    size_t n = strlen(audience);
    while (n && audience[n - 1] == '/')
        n--;
    if (!service || strncmp(s, audience, n) != 0 || s[n] != '/')
        return false;
    s += n + 1;
    size_t k = strlen(service);
    if (strncmp(s, service, k) != 0)
        return false;
    s += k;
    return !*s || (feedback && strcmp(s, "/feedback") == 0);
}

/* True when aud (a string or an array of strings, as JSON) names the service called. */
static bool aud_ok(jwt_t *j, const char *audience, const char *service, bool feedback)
{
    const char *s = jwt_get_grant(j, "aud");
    if (s)
        return aud_names(s, audience, service, feedback);
    char *json = jwt_get_grants_json(j, "aud");
    if (!json)
        return false;
    yajl_val v = yajl_tree_parse(json, NULL, 0);
    free(json);
    bool ok = false;
    for (size_t i = 0; v && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        const char *s1 = YAJL_IS_STRING(v->u.array.values[i]) ? v->u.array.values[i]->u.string
                                                                : NULL;
        ok |= s1 && aud_names(s1, audience, service, feedback);
    }
    yajl_tree_free(v);
    return ok;
}

int cli_auth_check(cli_auth *a, const char *header, const char *service, bool feedback,
                   char *why, size_t cap)
{
    if (!header)
        return why_f(why, cap, "the Authorization header is missing: send \"Bearer\" and a JWT");
    if (strncmp(header, "Bearer ", 7) != 0)
        return why_f(why, cap, "the Authorization header is not \"Bearer\" and a JWT");
    const char *token = header + 7;
    jwt_t *j = NULL;
    /* read unverified only to find the issuer whose key verifies it */
    if (jwt_decode(&j, token, NULL, 0) != 0 || !j)
        return why_f(why, cap, "the bearer token is not a JWT");
    const char *iss = jwt_get_grant(j, "iss");
    const issuer *is = NULL;
    for (size_t i = 0; iss && i < a->nissuers; i++)
        if (strcmp(a->issuers[i].iss, iss) == 0)
            is = &a->issuers[i];
    if (!is) {
        int r = why_f(why, cap, "the issuer \"%.200s\" is not trusted", iss ? iss : "(none)");
        jwt_free(j);
        return r;
    }
    jwt_free(j);
    j = NULL;
    if (jwt_decode(&j, token, is->key, (int)is->key_len) != 0 || !j)
        return why_f(why, cap, "the JWT's signature does not verify with the key of \"%.200s\"",
                     is->iss);
    int rc = 0;
    jwt_alg_t alg = jwt_get_alg(j);
    long now = (long)time(NULL);
    errno = 0;
    long exp = jwt_get_grant_int(j, "exp");
    bool has_exp = errno != ENOENT;
    errno = 0;
    long iat = jwt_get_grant_int(j, "iat");
    bool has_iat = errno != ENOENT;
    const char *jti = jwt_get_grant(j, "jti");
    if (alg != JWT_ALG_RS384 && alg != JWT_ALG_ES384)
        rc = why_f(why, cap, "the JWT is signed with %s: RS384 or ES384 is required",
                   jwt_alg_str(alg) ? jwt_alg_str(alg) : "?");
    else if (!aud_ok(j, a->audience, service, feedback))
        rc = why_f(why, cap, "the JWT's \"aud\" is not this service's URL (\"%.200s/%.64s\")",
                   a->audience, service ? service : "");
    else if (!has_exp || exp < now - SKEW)
        rc = why_f(why, cap, "the JWT has %s", has_exp ? "expired (\"exp\")" : "no \"exp\"");
    else if (exp - now > MAX_LIFETIME)
        rc = why_f(why, cap, "the JWT's \"exp\" is more than %d s ahead: a CDS Hooks token is "
                             "made for one call and lives minutes", MAX_LIFETIME);
    else if (!has_iat || iat > now + SKEW)
        rc = why_f(why, cap, "the JWT's \"iat\" is %s", has_iat ? "in the future" : "missing");
    else if (!jti || !*jti)
        rc = why_f(why, cap, "the JWT has no \"jti\"");
    if (rc == 0) {
        pthread_mutex_lock(&a->lock);
        jti_outcome o = jti_seen_add(a->seen, is->iss, jti, exp, now, SKEW);
        pthread_mutex_unlock(&a->lock);
        if (o == JTI_REPLAY)
            rc = why_f(why, cap, "the JWT's \"jti\" was used before (a replay)");
        else if (o == JTI_FULL)
            rc = why_f(why, cap, "the service remembers the ids of %u unexpired tokens at most, "
                                 "to refuse replays: try again when some have expired",
                       SEEN_MAX);
    }
    jwt_free(j);
    return rc;
}
