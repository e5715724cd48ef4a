/* SPDX-License-Identifier: MIT */
/* Check pass (optional): every cited quote must occur in its source document, ignoring
 * case, runs of white space and typographic quote marks, and a numbered citation must sit
 * on the passage the document marks with that number. */
#ifndef MGA_QUOTE_H
#define MGA_QUOTE_H

#include "ast.h"
#include "diag.h"

/* Reads each cited source's `file` from dir. Returns false on OOM only. */
bool quote_check(const ast_program *p, mga_diags *d, const int *dsrc, const char *dir);

/* Normalises s into out (capacity >= len + 1): ASCII lower case, typographic quotes and
 * dashes folded, white space runs (including no-break space) as one space. Returns the
 * normalised length. */
size_t quote_normalise(const char *s, size_t len, char *out);

#define QUOTE_MARKER_MAX 8 /* numbers and ranges in one marker ("1,6", "(7, 8)", "(3-5)") */

/* A reference marker in a document's text: s[off..off+len) carries the numbers lo[i]..hi[i]. */
typedef struct quote_marker {
    size_t off, len;
    unsigned n;
    unsigned lo[QUOTE_MARKER_MAX], hi[QUOTE_MARKER_MAX];
} quote_marker;

/* Whether a reference marker starts at s[i] (s has len bytes); fills *out when it does.
 * Markers are numbers of one to three digits, several joined by ',' and ranges by '-' or
 * an en dash:
 *   - glued to the punctuation that ends a clause, . , ; ! ? ) ] or a closing quote
 *     ("epilepsy.1,6", "2%.10", "pain,7,8"), the punctuation not after a digit ("1.5",
 *     "1,000" are not markers) and the number followed by white space, the end or
 *     . , ; : ) ;
 *   - in parentheses or brackets after a space or punctuation ("(14)", ".(4)", "[7, 8]"),
 *     not after a letter or digit ("25(OH)D", "118(3)").
 * A number glued to a word is not a marker ("vitamin B12", "Mg21"). */
bool quote_marker_at(const char *s, size_t len, size_t i, quote_marker *out);

/* Whether marker m carries reference n. */
bool quote_marker_has(const quote_marker *m, unsigned n);

/* The end of the passage a quote ending at s[qe] (0 < qe <= len) stands on: the rest of
 * the quote's sentence up to and including the first reference marker after the quote, or
 * the sentence's end when no marker follows. A sentence ends after . ! or ? (with closing
 * quotes and a glued marker), or after a marker, when white space and then a line break,
 * the end of the text or anything but a lower-case letter follow; a line break ends it too. */
size_t quote_passage_end(const char *s, size_t len, size_t qe);

/* The first marker whose bytes lie in s[from..to), or false. */
bool quote_next_marker(const char *s, size_t len, size_t from, size_t to, quote_marker *out);

#endif
