/* SPDX-License-Identifier: MIT */
/* What other modules may read of an engine handle (its struct stays in api.c). */
#ifndef MGA_API_H
#define MGA_API_H

#include "arena.h"

const mem *api_engine_mem(const mga_engine *eng);
unsigned api_engine_max_errors(const mga_engine *eng);

#endif
