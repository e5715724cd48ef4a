/* SPDX-License-Identifier: MIT */
/* What the CLI commands share: usage errors, rendering diagnostics, the exit status of a
 * library status, a FILE writer for mga_write_fn, reading a whole file and options with
 * values (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why the first write to standard output through cli_write_file failed, for the message
 * cli_finish_output prints: stdio keeps only an error flag. Standard output is written
 * from one thread only (batch writes its records with write(2)). */
static int stdout_errno;

int cli_write_file(void *ud, const char *p, size_t len)
{
    FILE *f = ud;
    errno = 0;
    if (fwrite(p, 1, len, f) == len)
        return 0;
    if (f == stdout && !stdout_errno)
        stdout_errno = errno ? errno : EIO;
    return -1;
}

int cli_flush_stdout(void)
{
    errno = 0;
    if (fflush(stdout) == 0)
        return 0;
    if (!stdout_errno)
        stdout_errno = errno ? errno : EIO;
    return -1;
}

int cli_finish_output(int rc)
{
    if (cli_flush_stdout() == 0 && !ferror(stdout))
        return rc;
    int err = stdout_errno ? stdout_errno : EIO;
    fprintf(stderr, "mgadvise: cannot write output: %s\n", strerror(err));
    return EXIT_INTERNAL;
}

typedef struct esc_sink {
    char *p;
    size_t len, cap; /* cap keeps room for "..." and the NUL */
    int cut;
} esc_sink;

static int esc_put(void *ud, const char *p, size_t n)
{
    esc_sink *e = ud;
    if (n > e->cap - e->len) {
        /* cut at a character boundary: the pieces are whole escapes or whole characters,
         * and a run of text is cut before a continuation byte */
        n = e->cap - e->len;
        while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
            n--;
        e->cut = 1;
    }
    memcpy(e->p + e->len, p, n);
    e->len += n;
    return e->cut;
}

const char *cli_esc(char *buf, size_t cap, const char *s)
{
    esc_sink e = {buf, 0, cap - 4, 0};
    (void)mga_text_write(s, strlen(s), 0, esc_put, &e); /* a cut stops it: MGA_E_WRITE */
    if (e.cut) {
        memcpy(buf + e.len, "...", 3);
        e.len += 3;
    }
    buf[e.len] = '\0';
    return buf;
}

void cli_put_text(FILE *f, const char *s, size_t len, int keep_tab)
{
    (void)mga_text_write(s, len, keep_tab ? MGA_TEXT_KEEP_TAB : 0, cli_write_file, f);
}

int cli_status_exit(mga_status st)
{
    switch (st) {
    case MGA_OK:
        return EXIT_OK;
    case MGA_E_COMPILE:
    case MGA_E_PROFILE:
        return EXIT_INVALID;
    case MGA_E_IO:
        return EXIT_IO;
    case MGA_E_INVALID:
        return EXIT_USAGE;
    default:
        return EXIT_INTERNAL;
    }
}

char *cli_read_all(const char *path, size_t *len, int *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    *err = buf ? (ferror(f) ? EIO : 0) : ENOMEM;
    if (f != stdin)
        fclose(f);
    if (*err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    char e[CLI_ESC_CAP];
    fprintf(stderr, "mgadvise %s: ", cmd);
    fprintf(stderr, fmt, cli_esc(e, sizeof e, arg));
    fprintf(stderr, "\nTry 'mgadvise %s --help'.\n", cmd);
    return EXIT_USAGE;
}

void cli_render(const mga_diags *d)
{
    if (d && mga_diags_count(d))
        mga_diags_render(d, cli_write_file, stderr);
}

int cli_opt_value(int argc, char **argv, int *i, const char *short_opt, const char *long_opt,
                  const char **val)
{
    const char *a = argv[*i];
    size_t sn = short_opt ? strlen(short_opt) : 0, ln = long_opt ? strlen(long_opt) : 0;
    if ((short_opt && strcmp(a, short_opt) == 0) || (long_opt && strcmp(a, long_opt) == 0)) {
        if (*i + 1 >= argc)
            return -1;
        *val = argv[++*i];
        return 1;
    }
    if (short_opt && strncmp(a, short_opt, sn) == 0) {
        *val = a + sn; /* -j2 */
        return 1;
    }
    if (long_opt && strncmp(a, long_opt, ln) == 0 && a[ln] == '=') {
        *val = a + ln + 1; /* --jobs=2 */
        return **val ? 1 : -1;
    }
    return 0;
}

mga_status cli_load_rules(mga_engine *eng, const char **paths, size_t n, mga_ruleset **rs,
                          mga_diags **d)
{
    mga_diags *own = NULL;
    mga_diags **dp = d ? d : &own;
    mga_status st =
        n ? mga_compile_paths(eng, paths, n, rs, dp) : mga_compile_builtin(eng, rs, dp);
    if (!d) {
        cli_render(own);
        mga_diags_free(own);
    }
    return st;
}

mga_status cli_evaluate_profile(const mga_ruleset *rs, const char *path, const char *json,
                                size_t len, mga_profile **p, mga_result **res)
{
    mga_diags *d = NULL;
    mga_status st =
        mga_profile_parse(rs, strcmp(path, "-") == 0 ? "<stdin>" : path, json, len, p, &d);
    cli_render(d);
    mga_diags_free(d);
    return st == MGA_OK ? mga_evaluate(rs, *p, res) : st;
}

void cli_report_status(mga_status st)
{
    if (st == MGA_E_WRITE && ferror(stdout))
        return; /* cli_finish_output says why */
    if (st != MGA_OK && st != MGA_E_COMPILE && st != MGA_E_PROFILE && st != MGA_E_IO)
        fprintf(stderr, "mgadvise: %s\n", mga_status_str(st));
}
