/* SPDX-License-Identifier: MIT */
/* Strict UTF-8 validation (no overlong forms, surrogates or code points past U+10FFFF),
 * shared by the rule reader and the profile reader. */
#ifndef MGA_UTF8_H
#define MGA_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Returns the offset of the first invalid UTF-8 byte or NUL, or len if all is valid;
 * *nul tells which of the two stopped it. */
size_t utf8_check(const unsigned char *s, size_t len, bool *nul);

#endif
