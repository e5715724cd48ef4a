/* SPDX-License-Identifier: MIT */
/* What the CLI commands share: usage errors, rendering diagnostics, the exit status of a
 * library status, a FILE writer for mga_write_fn, reading a whole file and options with
 * values (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

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
    struct stat sb;
    if (f != stdin && fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f); /* Linux opens a folder for reading; reading it fails with EISDIR */
        *err = EISDIR;
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
    fprintf(stderr, "mgadvise%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, cli_esc(e, sizeof e, arg));
    fprintf(stderr, "\nTry 'mgadvise%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
}

void cli_render(const mga_diags *d)
{
    if (d && mga_diags_count(d))
        mga_diags_render(d, cli_write_file, stderr);
}

/* The option's text as typed, for a message: "--rules" (without "=VALUE") or "-r". */
static const char *opt_text(char *buf, size_t cap, const char *arg, int short_name,
                            const char *long_name)
{
    if (arg && arg[0] == '-' && arg[1] == '-') {
        size_t n = strcspn(arg, "=");
        snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), arg);
    } else if (short_name) {
        snprintf(buf, cap, "-%c", short_name);
    } else { /* a long option only, its word not at hand */
        snprintf(buf, cap, "--%s", long_name ? long_name : "?");
    }
    return buf;
}

static const cli_opt *opt_by_id(const cli_parser *p, int id)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->opts[i].id == id)
            return &p->opts[i];
    return NULL;
}

int cli_parser_init(cli_parser *p, const char *cmd, const cli_opt *opts)
{
    size_t n = 0, k = 0;
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->opts = opts;
    p->shorts[k++] = ':'; /* a missing value is ':', not '?': it gets its own message */
    for (; opts[n].name; n++) {
        if (n + 1 >= sizeof p->longs / sizeof p->longs[0] || k + 3 >= sizeof p->shorts)
            return -1; /* a table too large for the parser: a programming error */
        p->longs[n].name = opts[n].name;
        p->longs[n].has_arg = opts[n].value ? required_argument : no_argument;
        p->longs[n].flag = NULL;
        p->longs[n].val = opts[n].id;
        if (opts[n].short_name) {
            p->shorts[k++] = (char)opts[n].short_name;
            if (opts[n].value)
                p->shorts[k++] = ':';
        }
    }
    p->n = n;
    p->shorts[k] = '\0';
    optind = 0; /* glibc: start over (a command may run more than once in a process) */
    opterr = 0;
    return 0;
}

int cli_parser_next(cli_parser *p, int argc, char **argv, const char **val)
{
    char name[64];
    int c = getopt_long(argc, argv, p->shorts, p->longs, NULL);
    *val = optarg;
    if (c == -1)
        return CLI_OPT_END;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
    if (c == ':') {
        const cli_opt *o = opt_by_id(p, optopt);
        char what[128];
        snprintf(what, sizeof what, "option '%s' needs %s",
                 opt_text(name, sizeof name, arg, o ? o->short_name : optopt, o ? o->name : NULL),
                 o ? o->value : "a value");
        cli_usage_error(p->cmd, "%s", what);
        return CLI_OPT_ERROR;
    }
    if (c == '?') {
        const cli_opt *o = optopt ? opt_by_id(p, optopt) : NULL;
        char what[512];
        if (o) { /* a known option refused: only "--name=VALUE" for one that takes none */
            snprintf(what, sizeof what, "option '--%s' takes no value", o->name);
        } else if (optopt) { /* an unknown short option */
            snprintf(what, sizeof what, "unknown option '-%c'", optopt);
        } else { /* an unknown or ambiguous long option: getopt_long took the whole word */
            const char *a = arg ? arg : "";
            const char *body = a[0] == '-' && a[1] == '-' ? a + 2 : a;
            size_t len = strcspn(body, "="), matches = 0;
            char list[256] = "";
            for (size_t i = 0; len && i < p->n; i++) {
                if (strncmp(p->opts[i].name, body, len) != 0)
                    continue;
                matches++;
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s--%s", l ? ", " : "", p->opts[i].name);
            }
            if (matches > 1)
                snprintf(what, sizeof what, "option '%.*s' is ambiguous: it could be %s",
                         (int)(len + 2), a, list);
            else
                snprintf(what, sizeof what, "unknown option '%.200s'", a);
        }
        cli_usage_error(p->cmd, "%s", what);
        return CLI_OPT_ERROR;
    }
    const cli_opt *o = opt_by_id(p, c);
    if (o && o->value && (!optarg || !*optarg)) { /* "--rules=" or "-r ''" */
        char what[128];
        if (arg == optarg && optind > 1) /* "--rules ''": the option is the word before */
            arg = argv[optind - 2];
        snprintf(what, sizeof what, "option '%s' needs %s",
                 opt_text(name, sizeof name, arg, o->short_name, o->name), o->value);
        cli_usage_error(p->cmd, "%s", what);
        return CLI_OPT_ERROR;
    }
    return c;
}

const char *cli_parser_name(const cli_parser *p, int id, char *buf, size_t cap)
{
    const cli_opt *o = opt_by_id(p, id);
    if (!o)
        snprintf(buf, cap, "?");
    else if (o->short_name)
        snprintf(buf, cap, "-%c/--%s", o->short_name, o->name);
    else
        snprintf(buf, cap, "--%s", o->name);
    return buf;
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

const char *cli_today_utc(char *buf)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || strftime(buf, 16, "%Y-%m-%d", &tm) == 0)
        return NULL;
    return buf;
}

int cli_date_usage(const char *cmd, const char *date)
{
    bool ok = strlen(date) == 10 && date[4] == '-' && date[7] == '-';
    for (size_t i = 0; ok && i < 10; i++)
        ok = i == 4 || i == 7 || (date[i] >= '0' && date[i] <= '9');
    if (ok)
        return EXIT_OK;
    char e[CLI_ESC_CAP];
    return cli_usage_error(cmd, "--date '%s': expected YYYY-MM-DD", cli_esc(e, sizeof e, date));
}

void cli_report_status(mga_status st)
{
    if (st == MGA_E_WRITE && ferror(stdout))
        return; /* cli_finish_output says why */
    if (st != MGA_OK && st != MGA_E_COMPILE && st != MGA_E_PROFILE && st != MGA_E_IO)
        fprintf(stderr, "mgadvise: %s\n", mga_status_str(st));
}

bool cli_is_folder(const char *cmd, const char *path, const char *what)
{
    struct stat sb;
    if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return false;
    char e[CLI_ESC_CAP], msg[CLI_ESC_CAP + 128];
    snprintf(msg, sizeof msg, "'%s' is a folder: give %s", cli_esc(e, sizeof e, path), what);
    fprintf(stderr, "mgadvise %s: %s\nTry 'mgadvise %s --help'.\n", cmd, msg, cmd);
    return true;
}

bool cli_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

int cli_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
