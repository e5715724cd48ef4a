/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the loop of `mgadvise batch` (cli_batch_stream) over an arbitrary input,
 * in process, on one thread, with the shipped rules compiled once. The first byte picks JSON
 * lines (even) or CSV (odd); the rest is the input, read from memory. For JSON lines, the
 * promise of batch is checked: exactly one output line per non-blank input line, in order,
 * each a whole {"line":N,...} object. For CSV, every output line is whole and numbered in
 * increasing order. The threaded path (-j 2 and up) is left to the golden and TSan tests:
 * threads per input would cost more than the loop itself. */
#include <mgadvise.h>

#include "cli.h"
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static mga_ruleset *rules;
static FILE *out;  /* one unlinked temporary file for every input's output */
static char *obuf; /* what it held after the last input */
static size_t ocap;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rules = fuzz_builtin_rules();
    out = tmpfile();
    FUZZ_CHECK(out != NULL);
    return 0;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* The output file's bytes, read back from its start. */
static size_t output(void)
{
    int fd = fileno(out);
    off_t end = lseek(fd, 0, SEEK_CUR);
    FUZZ_CHECK(end >= 0);
    size_t n = (size_t)end;
    if (n + 1 > ocap) {
        ocap = n + 1;
        obuf = realloc(obuf, ocap);
        FUZZ_CHECK(obuf != NULL);
    }
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, obuf + got, n - got, (off_t)got);
        FUZZ_CHECK(r > 0);
        got += (size_t)r;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool csv = data[0] & 1;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    /* fmemopen refuses a buffer of size 0 on some libcs: an empty input is /dev/null's */
    FILE *in = len ? fmemopen((void *)s, len, "rb") : fopen("/dev/null", "rb");
    FUZZ_CHECK(in != NULL);
    int fd = fileno(out);
    FUZZ_CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
    int rc = cli_batch_stream(rules, in, csv, fd);
    fclose(in);

    /* 0: every record good; 1: some bad (each an error line); 3: a CSV header it cannot use */
    FUZZ_CHECK(rc == EXIT_OK || rc == EXIT_INVALID || (csv && rc == EXIT_IO));
    size_t olen = output();
    const char *o = obuf;
    size_t nout = 0;
    unsigned long long last = 0;
    for (size_t i = 0; i < olen;) {
        const char *nl = memchr(o + i, '\n', olen - i);
        FUZZ_CHECK(nl != NULL); /* only whole lines */
        size_t n = (size_t)(nl - (o + i));
        FUZZ_CHECK(n > 9 && memcmp(o + i, "{\"line\":", 8) == 0 && o[i + n - 1] == '}');
        unsigned long long line = strtoull(o + i + 8, NULL, 10);
        FUZZ_CHECK(line > last); /* in input order */
        last = line;
        nout++;
        i += n + 1;
    }
    if (!csv) {
        size_t nin = 0;
        for (size_t i = 0; i < len;) {
            const char *nl = memchr(s + i, '\n', len - i);
            size_t n = nl ? (size_t)(nl - (s + i)) : len - i;
            nin += !blank(s + i, n);
            i += n + 1;
        }
        FUZZ_CHECK(nout == nin); /* one result or error line per record, none lost */
    }
    return 0;
}
