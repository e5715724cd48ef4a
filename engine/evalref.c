/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: the reference evaluator (eval_nodes): every node in graph order, written
 * to be obvious, not fast. The tests compare the fast sweep and index against it, and the
 * tools that need every node's value (rule tests, the solver's replay) use it. */
#include "eval.h"

#include <math.h>
#include <stdbool.h>

/* The value of node n, its children's values being in val. */
static inline uint8_t node_value(const mga_ruleset *rs, const mga_profile *p, const g_node *n,
                                 const uint8_t *val)
{
    {
        uint8_t v = TV_U;
        switch ((node_kind)n->kind) {
        case N_CONST:
            v = tv_of(n->bval);
            break;
        case N_SET_ANY:
        case N_SET_ALL: {
            if (!p->known[n->field])
                break;
            const uint64_t *bits = p->bits + rs->fields[n->field].word;
            const uint64_t *mask = rs->masks + n->off;
            bool any = false, all = true;
            for (uint32_t w = 0; w < n->n; w++) {
                any |= (bits[w] & mask[w]) != 0;
                all &= (bits[w] & mask[w]) == mask[w];
            }
            v = tv_of(n->kind == N_SET_ANY ? any : all);
            break;
        }
        case N_ENUM_IN: {
            if (!p->known[n->field])
                break;
            unsigned k = (unsigned)p->num[n->field];
            v = tv_of((rs->masks[n->off + k / 64] >> (k % 64)) & 1);
            break;
        }
        case N_BOOL:
            if (p->known[n->field])
                v = tv_of((p->num[n->field] != 0) == (n->bval != 0));
            break;
        case N_KNOWN:
            v = p->known[n->field] ? TV_T : TV_F;
            break;
        case N_DEF:
            v = tv_of(val[rs->kids[n->off]] != TV_U);
            break;
        case N_LIN:
            v = lin_value(rs, n->op, n->off, n->n, n->k, p);
            break;
        case N_AND: {
            /* Kleene: any false -> false; else any unknown -> unknown */
            v = TV_T;
            for (uint32_t k = 0; k < n->n; k++) {
                uint8_t c = val[rs->kids[n->off + k]];
                if (c == TV_F) {
                    v = TV_F;
                    break;
                }
                if (c == TV_U)
                    v = TV_U;
            }
            break;
        }
        case N_OR: {
            v = TV_F;
            for (uint32_t k = 0; k < n->n; k++) {
                uint8_t c = val[rs->kids[n->off + k]];
                if (c == TV_T) {
                    v = TV_T;
                    break;
                }
                if (c == TV_U)
                    v = TV_U;
            }
            break;
        }
        case N_NOT: {
            uint8_t c = val[rs->kids[n->off]];
            v = tv_not(c);
            break;
        }
        }
        return v;
    }
}

void eval_nodes(const mga_ruleset *rs, const mga_profile *p, uint8_t *val)
{
    for (size_t i = 0; i < rs->nnodes; i++)
        val[i] = node_value(rs, p, &rs->nodes[i], val);
}
