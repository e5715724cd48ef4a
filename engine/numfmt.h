/* SPDX-License-Identifier: MIT */
/* The one number formatter, for every number the engine writes (JSON and text): up to 15
 * significant digits, the shortest form ("%.15g"). A number a rule or a profile writes
 * (at most 15 digits) comes back as written, unit conversion's binary noise does not show
 * (0.1 + 0.2 is 0.3), and -0 is 0. */
#ifndef MGA_NUMFMT_H
#define MGA_NUMFMT_H

#include <stddef.h>
#include <stdio.h>

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

/* v as text, in a buffer that lives to the end of the enclosing block: for the arguments
 * of a message. */
#define NUM_STR(v) num_fmt((char[NUM_FMT_SIZE]){0}, NUM_FMT_SIZE, (v))

#endif
