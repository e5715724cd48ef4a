/* SPDX-License-Identifier: MIT */
/* `mgadvise fmt`: rewrites rule files in the canonical layout (mga_format_rules), in place
 * through a temporary file and a rename, or lists with --check the files that would change. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *usage_fmt =
    "usage: mgadvise fmt [--check] PATH...\n"
    "\n"
    "Lays out rule files the one canonical way: declarations at column 0, clauses on lines\n"
    "of their own indented by two, continuation lines deeper, one space between words,\n"
    "trailing comments lined up, at most one blank line in a row, LF line ends. Comments\n"
    "and strings are kept as written. PATH is a file, a folder (its *.mga files) or '-'\n"
    "(standard input to standard output). A file that does not parse is reported and\n"
    "left as it is.\n"
    "\n"
    "options:\n"
    "  --check             change nothing; list the files that are not formatted, with\n"
    "                      the first line that differs, and exit 1 if there are any\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 done (with --check: every file formatted); 1 a file has syntax errors\n"
    "(or --check found files to format); 2 usage; 3 a file could not be read or written;\n"
    "4 out of memory or output error.\n";

typedef struct outbuf {
    char *p;
    size_t len, cap;
} outbuf;

static int collect(void *ud, const char *p, size_t len)
{
    outbuf *b = ud;
    if (b->len + len > b->cap) {
        size_t ncap = (b->len + len) * 2;
        char *np = realloc(b->p, ncap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, p, len);
    b->len += len;
    return 0;
}

/* Writes data to path through a temporary file in the same folder and a rename, so that a
 * failure leaves the old file whole. Keeps the file's permission bits. */
static bool write_in_place(const char *path, const char *data, size_t len, int *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *err = errno;
        return false;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        *err = ENOMEM;
        return false;
    }
    snprintf(tmp, n + 16, "%s.fmt-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        *err = errno;
        free(tmp);
        return false;
    }
    FILE *f = fdopen(fd, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f) {
        if (fclose(f) != 0)
            ok = false;
    } else {
        close(fd);
    }
    if (ok && chmod(tmp, st.st_mode & 07777) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        *err = errno ? errno : EIO;
        remove(tmp);
    }
    free(tmp);
    return ok;
}

/* The 1-based line where a and b first differ, and the offsets of that line in each. */
static size_t first_difference(const char *a, size_t alen, const char *b, size_t blen,
                               size_t *aoff, size_t *boff)
{
    size_t i = 0, line = 1, start = 0;
    while (i < alen && i < blen && a[i] == b[i]) {
        if (a[i] == '\n') {
            line++;
            start = i + 1;
        }
        i++;
    }
    *aoff = *boff = start;
    return line;
}

static void show_line(char sign, const char *p, size_t len, size_t off)
{
    if (off >= len) {
        printf("%c(end of file)\n", sign);
        return;
    }
    size_t e = off;
    while (e < len && p[e] != '\n')
        e++;
    putchar(sign);
    cli_put_text(stdout, p + off, e - off, 1);
    putchar('\n');
}

/* Formats one file ('-': stdin to stdout). Returns an exit status. */
static int fmt_one(mga_engine *eng, const char *path, bool check)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    size_t len = 0;
    int err = 0;
    char *text = cli_read_all(path, &len, &err);
    if (!text) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n", cli_esc(e, sizeof e, name),
                strerror(err));
        return EXIT_IO;
    }
    outbuf out = {NULL, 0, 0};
    mga_diags *d = NULL;
    mga_status st = mga_format_rules(eng, name, text, len, collect, &out, &d);
    if (d && mga_diags_count(d))
        mga_diags_render(d, cli_write_file, stderr);
    mga_diags_free(d);
    int rc = EXIT_OK;
    if (st != MGA_OK) {
        if (st != MGA_E_COMPILE) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise: %s: %s\n", cli_esc(e, sizeof e, name), mga_status_str(st));
        }
        rc = cli_status_exit(st);
    } else if (check) {
        if (out.len != len || (len && memcmp(out.p, text, len) != 0)) {
            size_t ao, bo;
            size_t line = first_difference(text, len, out.p, out.len, &ao, &bo);
            char e[CLI_ESC_CAP];
            printf("%s:%zu: not formatted\n", cli_esc(e, sizeof e, name), line);
            show_line('-', text, len, ao);
            show_line('+', out.p, out.len, bo);
            rc = EXIT_INVALID;
        }
    } else if (is_stdin) {
        if (out.len && cli_write_file(stdout, out.p, out.len) != 0)
            rc = EXIT_INTERNAL;
    } else if (out.len != len || (len && memcmp(out.p, text, len) != 0)) {
        if (!write_in_place(path, out.p ? out.p : "", out.len, &err)) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise: cannot write '%s': %s\n",
                    cli_esc(e, sizeof e, path), strerror(err));
            rc = EXIT_IO;
        }
    }
    free(out.p);
    free(text);
    return rc;
}

/* A folder's *.mga files in name order (not hidden ones), as in mga_compile_paths. */
static int fmt_dir(mga_engine *eng, const char *dir, bool check)
{
    cli_names names = {0};
    int err = cli_list_folder(dir, ".mga", &names);
    int rc = err == ENOMEM ? EXIT_INTERNAL : err ? EXIT_IO : EXIT_OK;
    char e[CLI_ESC_CAP];
    if (rc == EXIT_IO)
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n", cli_esc(e, sizeof e, dir),
                strerror(err));
    if (rc == EXIT_OK && names.n == 0) {
        fprintf(stderr, "mgadvise: cannot read '%s': no *.mga files in this folder\n",
                cli_esc(e, sizeof e, dir));
        rc = EXIT_IO;
    }
    for (size_t i = 0; i < names.n && rc != EXIT_INTERNAL; i++) {
        int r = fmt_one(eng, names.v[i], check);
        if (r > rc)
            rc = r;
    }
    cli_names_free(&names);
    return rc;
}

enum { OPT_CHECK = CLI_OPT_LONG };

static const cli_opt fmt_opts[] = {
    {"check", 0, NULL, OPT_CHECK},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_fmt(int argc, char **argv)
{
    bool check = false;
    cli_parser P;
    if (cli_parser_init(&P, "fmt", fmt_opts) != 0)
        return EXIT_INTERNAL;
    int c;
    const char *v;
    while ((c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        if (c == 'h') {
            fputs(usage_fmt, stdout);
            return EXIT_OK;
        } else if (c == OPT_CHECK) {
            check = true;
        } else {
            return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("fmt", "%sa rule file, a folder or '-' is needed", "");
    mga_engine *eng = NULL;
    if (mga_engine_new(NULL, &eng) != MGA_OK) {
        fprintf(stderr, "mgadvise: %s\n", mga_status_str(MGA_E_NOMEM));
        return EXIT_INTERNAL;
    }
    int rc = EXIT_OK;
    for (int i = optind; i < argc && rc != EXIT_INTERNAL; i++) {
        const char *a = argv[i];
        struct stat st;
        int r;
        if (strcmp(a, "-") != 0 && stat(a, &st) == 0 && S_ISDIR(st.st_mode))
            r = fmt_dir(eng, a, check);
        else
            r = fmt_one(eng, a, check);
        if (r > rc)
            rc = r;
    }
    mga_engine_free(eng);
    if (cli_flush_stdout() != 0 && rc == EXIT_OK)
        rc = EXIT_INTERNAL;
    return rc;
}
