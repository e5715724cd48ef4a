/* SPDX-License-Identifier: MIT */
/* The JSON-RPC transport of `mgadvise lsp`: messages framed by Content-Length headers, read
 * into yajl trees (bounded in size and nesting) and written with yajl_gen, one whole
 * message at a time. */
#include "jsonval.h"
#include "lsp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- writing ----------------------------------------------------------------------- */

void lsp_send(lsp_out *o, yajl_gen g)
{
    const unsigned char *buf;
    size_t len;
    pthread_mutex_lock(&o->lock);
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok ||
        fprintf(o->f, "Content-Length: %zu\r\n\r\n", len) < 0 ||
        fwrite(buf, 1, len, o->f) != len || fflush(o->f) != 0)
        o->failed = true;
    pthread_mutex_unlock(&o->lock);
}

void lsp_fail(lsp_out *o)
{
    pthread_mutex_lock(&o->lock);
    o->failed = true;
    pthread_mutex_unlock(&o->lock);
}

bool lsp_failed(lsp_out *o)
{
    pthread_mutex_lock(&o->lock);
    bool f = o->failed;
    pthread_mutex_unlock(&o->lock);
    return f;
}

void lsp_gs(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void lsp_gi(yajl_gen g, long long v)
{
    yajl_gen_integer(g, v);
}

/* The id of a request, as it came (a string, a number or null). */
static void gen_id(yajl_gen g, yajl_val id)
{
    if (id && YAJL_IS_STRING(id))
        lsp_gs(g, YAJL_GET_STRING(id));
    else if (id && YAJL_IS_NUMBER(id))
        yajl_gen_number(g, YAJL_GET_NUMBER(id), strlen(YAJL_GET_NUMBER(id)));
    else
        yajl_gen_null(g);
}

/* A message opened up to its "jsonrpc" member, or NULL. */
static yajl_gen open_message(void)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    yajl_gen_map_open(g);
    lsp_gs(g, "jsonrpc");
    lsp_gs(g, "2.0");
    return g;
}

yajl_gen lsp_begin(yajl_val id)
{
    yajl_gen g = open_message();
    if (g) {
        lsp_gs(g, "id");
        gen_id(g, id);
        lsp_gs(g, "result");
    }
    return g;
}

yajl_gen lsp_begin_note(const char *method)
{
    yajl_gen g = open_message();
    if (g) {
        lsp_gs(g, "method");
        lsp_gs(g, method);
        lsp_gs(g, "params");
    }
    return g;
}

void lsp_error(lsp_out *o, yajl_val id, int code, const char *msg)
{
    yajl_gen g = open_message();
    if (!g) {
        lsp_fail(o);
        return;
    }
    lsp_gs(g, "id");
    gen_id(g, id);
    lsp_gs(g, "error");
    yajl_gen_map_open(g);
    lsp_gs(g, "code");
    lsp_gi(g, code);
    lsp_gs(g, "message");
    lsp_gs(g, msg);
    yajl_gen_map_close(g);
    lsp_end(o, g);
}

void lsp_end(lsp_out *o, yajl_gen g)
{
    if (!g) {
        lsp_fail(o);
        return;
    }
    yajl_gen_map_close(g);
    lsp_send(o, g);
    yajl_gen_free(g);
}


void lsp_null(lsp_out *o, yajl_val id)
{
    yajl_gen g = lsp_begin(id);
    if (g)
        yajl_gen_null(g);
    lsp_end(o, g);
}

static void gen_pos(yajl_gen g, unsigned line, unsigned ch)
{
    yajl_gen_map_open(g);
    lsp_gs(g, "line");
    lsp_gi(g, line);
    lsp_gs(g, "character");
    lsp_gi(g, ch);
    yajl_gen_map_close(g);
}

void lsp_gen_range(yajl_gen g, unsigned l0, unsigned c0, unsigned l1, unsigned c1)
{
    yajl_gen_map_open(g);
    lsp_gs(g, "start");
    gen_pos(g, l0, c0);
    lsp_gs(g, "end");
    gen_pos(g, l1, c1);
    yajl_gen_map_close(g);
}
/* ---- reading ----------------------------------------------------------------------- */

yajl_val lsp_get(yajl_val v, const char *a, const char *b, yajl_type t)
{
    const char *path[3] = {a, b, NULL};
    return v ? yajl_tree_get(v, path, t) : NULL;
}

const char *lsp_get_str(yajl_val v, const char *a, const char *b)
{
    yajl_val s = lsp_get(v, a, b, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

/* Reads one header block: the Content-Length in *len. 1: a message follows; 0: the input
 * ended; -1: the header is bad (said to the client), the block is skipped. */
static int read_header(lsp_out *o, FILE *in, size_t *len)
{
    char line[1024];
    bool have = false, bad = false, any = false;
    *len = 0;
    while (fgets(line, sizeof line, in)) {
        any = true;
        size_t k = strlen(line);
        while (k && (line[k - 1] == '\n' || line[k - 1] == '\r'))
            line[--k] = '\0';
        if (k == 0)
            break;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            const char *v = line + 15;
            while (*v == ' ' || *v == '\t')
                v++;
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || errno || n > LSP_MAX_BODY)
                bad = true;
            else {
                *len = (size_t)n;
                have = true;
            }
        }
    }
    if (!any)
        return 0;
    if (bad || !have) {
        lsp_error(o, NULL, RPC_PARSE_ERROR,
                   bad ? "bad Content-Length header: expected a number of bytes up to 64 MiB"
                       : "missing Content-Length header");
        return feof(in) ? 0 : -1;
    }
    return 1;
}

int lsp_read(lsp_out *o, FILE *in, yajl_val *msg)
{
    size_t len;
    *msg = NULL;
    int h = read_header(o, in, &len);
    if (h <= 0)
        return h;
    char *body = malloc(len + 1);
    if (!body) {
        lsp_error(o, NULL, RPC_INTERNAL_ERROR, "out of memory");
        return -2;
    }
    size_t got = fread(body, 1, len, in);
    body[got] = '\0';
    if (got < len) {
        free(body);
        return 0; /* the input ended inside a message */
    }
    char err[256] = "";
    if (memchr(body, '\0', len))
        snprintf(err, sizeof err, "a NUL byte in the message");
    else if (cli_json_depth(body, len, LSP_MAX_DEPTH) > LSP_MAX_DEPTH)
        snprintf(err, sizeof err, "nested deeper than %d", LSP_MAX_DEPTH);
    else
        *msg = yajl_tree_parse(body, err, sizeof err);
    free(body);
    if (!*msg) {
        char m[400];
        size_t k = strcspn(err, "\n");
        snprintf(m, sizeof m, "invalid JSON: %.*s", (int)k, err);
        lsp_error(o, NULL, RPC_PARSE_ERROR, m);
        return -1;
    }
    return 1;
}
