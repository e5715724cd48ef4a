/* SPDX-License-Identifier: MIT */
/* The shipped rule base: the rule files of rules/ embedded at build time by engine/embed.sh into
 * build/gen/builtin_rules.c, in name order, each named by its path ("rules/safety.mga"). */
#ifndef MGA_BUILTIN_H
#define MGA_BUILTIN_H

#include <mgadvise.h>

/* builtin_source_count sources, then a {NULL, NULL, 0} entry; constant, shared. */
extern const mga_source builtin_sources[];
extern const size_t builtin_source_count;

#endif
