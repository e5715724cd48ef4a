/* SPDX-License-Identifier: MIT */
/* What counts as a magnesium product in a draft order (the order hooks of `mgadvise
 * serve`, cli/cds.c): one coding checked against the codes in cli/mgproduct.c. */
#ifndef MGA_CLI_MGPRODUCT_H
#define MGA_CLI_MGPRODUCT_H

#include <stdbool.h>

/* True when the coding (system URI, code; either may be NULL) names a magnesium product:
 * an ATC code of a magnesium mineral supplement, antacid or laxative. */
bool mg_product_coding(const char *system, const char *code);

#endif
