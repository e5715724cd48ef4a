/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: rule text -> AST, with located lexical and syntax errors. The driver's
 * interface; what the generated scanner and parser share is grammar.h. */
#ifndef MGA_PARSE_H
#define MGA_PARSE_H

#include "ast.h"
#include "diag.h"

/* Parses one source into prog. Returns false on OOM (ctx->oom); syntax errors are
 * reported to d and do not make it fail. */
bool parse_source(ast_program *prog, mga_diags *d, int dsrc, uint32_t file, const char *text,
                  size_t len);

/* Scans text without parsing it and calls fn for each token: its bison token number (from
 * parser.h; single characters are themselves) and its byte span in text. Lexical errors go
 * to d. Returns false on OOM, when the scanner fails, or when fn returns false. */
typedef bool (*lex_token_fn)(void *ud, int tok, uint32_t off, uint32_t len);
bool lex_tokens(mga_diags *d, int dsrc, const char *text, size_t len, lex_token_fn fn, void *ud);

#endif
