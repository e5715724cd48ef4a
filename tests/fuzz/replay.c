/* SPDX-License-Identifier: MIT */
/* Runs a fuzz harness over files without libFuzzer, so that the regression inputs in
 * tests/fuzz/regress/<harness>/ run in `make test` and under the sanitizers with any
 * compiler. Usage: replay FILE... */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        size_t cap = 1 << 16, n = 0;
        unsigned char *buf = malloc(cap);
        size_t got;
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                unsigned char *nb = realloc(buf, cap * 2);
                if (!nb) {
                    free(buf);
                    buf = NULL;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
        }
        int err = ferror(f);
        fclose(f);
        if (!buf || err) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            free(buf);
            return 2;
        }
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
    }
    printf("replay: %d inputs\n", argc - 1);
    return 0;
}
