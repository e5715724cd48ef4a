/* SPDX-License-Identifier: MIT */
/* The JWT ids (jti) the service has accepted, remembered until their token expires, so that
 * a replayed token is refused however many others came between (cli/jtiseen.c, used by
 * cli/auth.c). Not thread-safe: the caller locks. */
#ifndef MGA_CLI_JTISEEN_H
#define MGA_CLI_JTISEEN_H

#include <stddef.h>

typedef struct jti_seen jti_seen;

/* A set that holds at least max ids at once (its table's size is a power of two: up to
 * twice as many). NULL when out of memory. */
jti_seen *jti_seen_new(size_t max);
void jti_seen_free(jti_seen *s);

/* The outcome of jti_seen_add. */
typedef enum { JTI_NEW, JTI_REPLAY, JTI_FULL } jti_outcome;

/* Token (iss, jti) expiring at exp, at time now (seconds), with skew seconds of clock
 * difference allowed: JTI_REPLAY when the same issuer's id was accepted before and its
 * token has not expired (exp >= now - skew); otherwise remembered until it expires, and
 * JTI_NEW; JTI_FULL (not remembered, at once) when the set is full of live ids, or out of
 * memory. Ids of expired tokens are forgotten as room is needed. */
jti_outcome jti_seen_add(jti_seen *s, const char *iss, const char *jti, long exp, long now,
                         long skew);
/* The ids remembered (expired ones not yet forgotten included). */
size_t jti_seen_count(const jti_seen *s);

#endif
