/* SPDX-License-Identifier: MIT */
/* `mgadvise serve --auth FILE`: the JSON Web Tokens CDS Hooks clients send
 * (Authorization: Bearer), verified with libjwt against the trusted issuers' public keys
 * (cli/auth.c). */
#ifndef MGA_CLI_AUTH_H
#define MGA_CLI_AUTH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_auth cli_auth;

/* Reads the configuration file path: {"audience": URL, "issuers": [{"iss": ISS,
 * "public_key": PEM_FILE}, ...]} (a relative PEM_FILE is read from path's folder); URL is
 * the discovery endpoint's (https://HOST/cds-services). NULL with why[0, cap) saying what
 * is wrong. */
cli_auth *cli_auth_new(const char *path, char *why, size_t cap);
void cli_auth_free(cli_auth *a);

/* Verifies the value of an Authorization header (NULL when absent) of a call to service
 * (its id; feedback: its feedback endpoint): "Bearer " and a JWT signed RS384 or ES384 by
 * a trusted issuer's key, "aud" the service's endpoint as CDS Hooks asks (AUDIENCE/ID,
 * or AUDIENCE/ID/feedback for feedback) or the audience itself, "exp" in the future,
 * "iat" not in the future, a "jti" not seen before (replays within the token's lifetime
 * are refused). 0 when it holds; otherwise -1 with why[0, cap) saying what failed.
 * Thread-safe. */
int cli_auth_check(cli_auth *a, const char *header, const char *service, bool feedback,
                   char *why, size_t cap);

#endif
