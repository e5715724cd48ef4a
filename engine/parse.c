/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: drives the generated scanner and parser over one source, after checking
 * its encoding; or scans it alone, token by token (lex_tokens, for fmt). */
#include "parse.h"
#include "grammar.h"
#include "utf8.h"
#include "parser.h"
#define YYSTYPE MGA_YYSTYPE
#define YYLTYPE MGA_YYLTYPE
#include "lexer.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- driver ---- */

/* Runs the scanner over text (after encoding checks): the parser when fn is NULL, else a
 * plain token loop that hands every token to fn. Returns false on OOM. */
static bool scan_source(struct parse_ctx *ctx, lex_token_fn fn, void *ud)
{
    const char *text = ctx->text;
    size_t len = ctx->len;
    mga_diags *d = ctx->d;
    bool nul;
    size_t bad = utf8_check((const unsigned char *)text, len, &nul);
    if (bad < len) {
        if (nul)
            diag_add(d, DIAG_LEX_NUL, ctx->dsrc, bad, 1);
        else
            diag_add(d, DIAG_LEX_UTF8, ctx->dsrc, bad, 1, (unsigned)(unsigned char)text[bad]);
        return !d->oom;
    }
    size_t start = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        start = 3; /* a byte-order mark is allowed and skipped */
    ctx->pos = start;

    /* The scan buffer is ours, not yy_scan_bytes's: flex's fatal error (a longjmp) after
     * that function's own copy was made would leak the copy. flex needs two NULs at its
     * end; the text has none inside (utf8_check). */
    size_t n = len - start;
    char *buf = mem_alloc(ctx->m, n + 2);
    if (!buf)
        return false;
    memcpy(buf, text + start, n);
    buf[n] = buf[n + 1] = '\0';
    yyscan_t scanner = NULL;
    if (mga_yylex_init_extra(ctx, &scanner) != 0) {
        mem_free(ctx->m, buf, n + 2);
        return false;
    }
    volatile bool ok = true;
    if (setjmp(ctx->fatal) == 0) {
        YY_BUFFER_STATE b = mga_yy_scan_buffer(buf, n + 2, scanner);
        if (b && !fn && mga_yyparse(scanner, ctx) == 2 && ctx->oom)
            ok = false;
        while (b && fn && ok) {
            MGA_YYSTYPE val;
            MGA_YYLTYPE loc = {0, 0, 0};
            int tok = mga_yylex(&val, &loc, scanner);
            if (tok == MGA_YYEOF)
                break;
            if (tok == MGA_YYerror || !fn(ud, tok, loc.off, loc.len))
                ok = false;
        }
    } else {
        ok = false;
    }
    mga_yylex_destroy(scanner);
    while (ctx->nblocks) /* only after a fatal error: blocks flex had not yet recorded */
        mem_hfree(ctx->m, ctx->blocks[--ctx->nblocks]);
    mem_free(ctx->m, buf, n + 2);
    membuf_free(ctx->m, &ctx->sbuf);
    if (ctx->oom || d->oom)
        ok = false;
    return ok;
}

bool parse_source(ast_program *prog, mga_diags *d, int dsrc, uint32_t file, const char *text,
                  size_t len)
{
    struct parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.prog = prog;
    ctx.a = prog->a;
    ctx.m = d->a.m;
    ctx.d = d;
    ctx.dsrc = dsrc;
    ctx.file = file;
    ctx.text = text;
    ctx.len = len;
    return scan_source(&ctx, NULL, NULL);
}

bool lex_tokens(mga_diags *d, int dsrc, const char *text, size_t len, lex_token_fn fn, void *ud)
{
    struct parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    arena a;
    arena_init(&a, d->a.m);
    ctx.a = &a;
    ctx.m = d->a.m;
    ctx.d = d;
    ctx.dsrc = dsrc;
    ctx.text = text;
    ctx.len = len;
    bool ok = scan_source(&ctx, fn, ud);
    arena_free(&a);
    return ok;
}

