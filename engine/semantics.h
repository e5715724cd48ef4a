/* SPDX-License-Identifier: MIT */
/* The evaluation semantics every evaluator shares (the reference and the fast sweep in
 * eval.c, explain's written trees, the rule tests, the solver's replay): three-valued
 * truth in one encoding, and the one comparison of a linear test with its tolerance. */
#ifndef MGA_SEMANTICS_H
#define MGA_SEMANTICS_H

#include "ast.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* Kleene's three values, ordered F < U < T: AND is the minimum of the children, OR the
 * maximum and NOT 2 - x, with no branches. A field missing from a profile is unknown. */
enum { TV_F = 0, TV_U = 1, TV_T = 2 };

static inline uint8_t tv_of(bool b)
{
    return (uint8_t)(2u * (unsigned)b);
}

static inline uint8_t tv_not(uint8_t v)
{
    return (uint8_t)(2u - v);
}

/* Unit conversions are inexact: two numbers within NUM_REL_TOL of each other, relative to
 * the magnitudes summed, count as equal (in linear tests and at a field's range ends). */
#define NUM_REL_TOL 1e-9
/* A margin well outside NUM_REL_TOL: the solver keeps witnesses this far (relative) from
 * every comparison boundary, and threshold intervals are widened by it, so that the
 * tolerance can never decide them. */
#define NUM_REL_MARGIN 1e-6

/* A linear test `sum op 0`, where mag is the sum of the magnitudes of its terms and
 * constant: the one comparison every evaluator makes. */
static inline bool lin_holds(double sum, double mag, cmp_op op)
{
    double eps = NUM_REL_TOL * mag;
    switch (op) {
    case OP_LT:
        return sum < -eps;
    case OP_LE:
        return sum <= eps;
    case OP_GT:
        return sum > eps;
    case OP_GE:
        return sum >= -eps;
    case OP_EQ:
        return fabs(sum) <= eps;
    case OP_NE:
        return fabs(sum) > eps;
    }
    return false;
}

#endif
