/* SPDX-License-Identifier: MIT */
/* The JSON floor of `mgadvise batch`: the same library (yajl) doing the same per-line work
 * with no rules. Each input line is read with getline, parsed fully by a fresh yajl SAX
 * parser (as engine/profile.c does for a profile), every event is re-emitted through
 * yajl_gen, and the generated text is written as one output line. A line that does not parse
 * gives {"line":N,"error":true}. Blank lines are skipped, as batch does.
 *
 *   floor [INPUT.jsonl]        (standard input when no file is given; output on stdout)
 *
 * Exit status: 0 every line parsed, 1 some did not, 2 usage, 3 unreadable input, 4 out of
 * memory or a write error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

static int on_null(void *ctx)
{
    return yajl_gen_null(ctx) == yajl_gen_status_ok;
}

static int on_boolean(void *ctx, int b)
{
    return yajl_gen_bool(ctx, b) == yajl_gen_status_ok;
}

static int on_number(void *ctx, const char *s, size_t n)
{
    return yajl_gen_number(ctx, s, n) == yajl_gen_status_ok;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    return yajl_gen_string(ctx, s, n) == yajl_gen_status_ok;
}

static int on_start_map(void *ctx)
{
    return yajl_gen_map_open(ctx) == yajl_gen_status_ok;
}

static int on_end_map(void *ctx)
{
    return yajl_gen_map_close(ctx) == yajl_gen_status_ok;
}

static int on_start_array(void *ctx)
{
    return yajl_gen_array_open(ctx) == yajl_gen_status_ok;
}

static int on_end_array(void *ctx)
{
    return yajl_gen_array_close(ctx) == yajl_gen_status_ok;
}

static const yajl_callbacks callbacks = {
    on_null,      on_boolean, NULL,           NULL,         on_number, on_string,
    on_start_map, on_string,  on_end_map,     on_start_array, on_end_array};

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1])) {
        fputs("usage: floor [INPUT.jsonl]\n", stderr);
        return 2;
    }
    FILE *in = stdin;
    if (argc == 2 && strcmp(argv[1], "-") != 0 && !(in = fopen(argv[1], "r"))) {
        perror(argv[1]);
        return 3;
    }
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        fputs("floor: out of memory\n", stderr);
        return 4;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long lineno = 0, bad = 0;
    int status = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (blank(line, len))
            continue;
        yajl_handle h = yajl_alloc(&callbacks, NULL, g);
        if (!h) {
            fputs("floor: out of memory\n", stderr);
            status = 4;
            break;
        }
        int ok = yajl_parse(h, (const unsigned char *)line, len) == yajl_status_ok &&
                 yajl_complete_parse(h) == yajl_status_ok;
        yajl_free(h);
        const unsigned char *p;
        size_t plen;
        if (ok && yajl_gen_get_buf(g, &p, &plen) == yajl_gen_status_ok) {
            fwrite(p, 1, plen, stdout);
            putchar('\n');
        } else {
            bad++;
            printf("{\"line\":%llu,\"error\":true}\n", lineno);
        }
        yajl_gen_clear(g);
        yajl_gen_reset(g, NULL);
    }
    if (ferror(in)) {
        perror("floor: read");
        status = 3;
    }
    free(line);
    yajl_gen_free(g);
    if (in != stdin)
        fclose(in);
    if (fflush(stdout) || ferror(stdout)) {
        perror("floor: write");
        return 4;
    }
    if (status)
        return status;
    return bad ? 1 : 0;
}
