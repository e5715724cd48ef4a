/* SPDX-License-Identifier: MIT */
/* Name tables of names.c that the compiler checks against (the public accessors are in
 * include/mgadvise.h). */
#ifndef MGA_NAMES_H
#define MGA_NAMES_H

#include <stddef.h>

/* The evidence grades a rule may give (`evidence GRADE`), in the order documented. */
extern const char *const names_evidence_grades[];
extern const size_t names_nevidence_grades;

#endif
