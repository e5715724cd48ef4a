/* SPDX-License-Identifier: MIT */
/* The one number formatter, for every number the engine writes (JSON and text): up to 15
 * significant digits, the shortest form ("%.15g"); beside it the two other forms a reader
 * needs, each for one purpose: 6 digits for a converted value shown to a person, and the
 * exact round trip for a number quoted from a rule and a solver's witness. A number a rule or a profile writes
 * (at most 15 digits) comes back as written, unit conversion's binary noise does not show
 * (0.1 + 0.2 is 0.3), and -0 is 0. */
#ifndef MGA_NUMFMT_H
#define MGA_NUMFMT_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_FMT_SIZE 32 /* enough for any double in this form, with its NUL */

/* Writes v into buf (n bytes, NUM_FMT_SIZE is enough) and returns buf. */
static inline const char *num_fmt(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v == 0 ? 0.0 : v);
    return buf;
}

/* A profile's value converted into its field's unit, in text for a person (explain): 6
 * significant digits, so 169.7 nmol/L reads 67.9888 ng/mL rather than 67.988782051282;
 * JSON keeps num_fmt's digits. */
static inline const char *num_fmt_shown(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%g", v == 0 ? 0.0 : v);
    return buf;
}

/* A number as written: the shortest form that reads back as exactly v, plain (no exponent)
 * when 1e-4 <= |v| < 1e15, otherwise with an exponent written without '+' or leading zeros
 * ("1e300", "2.5e-7"). For the numbers a diagnostic quotes from a rule and for the solver's
 * witnesses (check), which are replayed through the evaluator and must be the very numbers
 * the solver found; JSON and the rule language both read either form. NUM_FMT_SIZE is
 * enough. */
static inline const char *num_fmt_exact(char *buf, size_t n, double v)
{
    char t[48]; /* the longest tried form, truncated or not, before the shortest is found */
    if (fabs(v) >= 1e-4 && fabs(v) < 1e15) {
        for (int dec = 0; dec <= 20; dec++) {
            snprintf(t, sizeof t, "%.*f", dec, v);
            if (strtod(t, NULL) == v)
                break;
        }
        snprintf(buf, n, "%s", t);
        return buf;
    }
    for (int prec = 1; prec <= DBL_DECIMAL_DIG; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    char *e = strchr(t, 'e');
    if (e) {
        long x = strtol(e + 1, NULL, 10);
        *e = '\0';
        snprintf(buf, n, "%se%ld", t, x);
    } else {
        snprintf(buf, n, "%s", t);
    }
    return buf;
}

/* v as text, in a buffer that lives to the end of the enclosing block: for the arguments
 * of a message. */
#define NUM_STR(v) num_fmt((char[NUM_FMT_SIZE]){0}, NUM_FMT_SIZE, (v))

#endif
