/* SPDX-License-Identifier: MIT */
/* Terminal safety: text that comes from data (profile keys and values, rule strings and
 * names, file names, CSV headers) escaped visibly for a human reader, so that no control
 * character of it reaches a terminal or a log. Used by every writer meant for people. */
#ifndef MGA_TEXTSAFE_H
#define MGA_TEXTSAFE_H

#include "mgadvise.h"

#include <stddef.h>

/* Flags. TEXTSAFE_KEEP_TAB lets a tab through as it is (the echoed source line of a
 * diagnostic, whose caret line copies the tabs so that columns agree). */
enum { TEXTSAFE_KEEP_TAB = 1u };

/* The longest escape textsafe_step writes, with its NUL ("\u202e"). */
#define TEXTSAFE_ESC_MAX 8

/* Reads one unit at the start of s[0, len) (len >= 1): a UTF-8 character, or one byte that
 * is not part of a valid (strict) one. Returns its length in bytes (>= 1). esc receives
 * what to print instead, or "" when the unit is printed as it is:
 *   "\n" "\r" "\t"   for line feed, carriage return and tab (tab kept with KEEP_TAB)
 *   "\xNN"           for the other C0 controls, DEL and every byte of invalid UTF-8
 *   "\uNNNN"         for C1 controls (U+0080-U+009F), the bidirectional marks, embeddings,
 *                    overrides and isolates (U+061C, U+200E, U+200F, U+202A-U+202E,
 *                    U+2066-U+2069) and the line and paragraph separators (U+2028, U+2029)
 * Hex digits are lower case. A backslash in the data is not escaped. */
size_t textsafe_step(const char *s, size_t len, unsigned flags, char esc[TEXTSAFE_ESC_MAX]);

/* Writes s[0, len) through fn with every unit textsafe_step escapes replaced by its escape;
 * safe runs go out in one call each. Returns 0, or the first non-zero result of fn (and
 * writes no more). s may be NULL when len is 0. */
int textsafe_write(mga_write_fn fn, void *ud, const char *s, size_t len, unsigned flags);

/* The columns s[0, len) takes once escaped: one per printed character (a tab kept with
 * KEEP_TAB counts one), the length of the escape for an escaped unit. */
size_t textsafe_width(const char *s, size_t len, unsigned flags);

#endif
