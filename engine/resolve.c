/* SPDX-License-Identifier: MIT */
/* Pass 7, resolve: from the fired rules to the advice: withholding, avoided forms, the
 * smallest max and the overruled list (eval_resolve), the items in rank order
 * (eval_rank), the summary (eval_summarize). */
#include "eval.h"
#include "numfmt.h"

#include <assert.h>
#include <string.h>

static bool push_over(mga_result *r, uint32_t rule, uint32_t by, over_what what, uint32_t form,
                      double mg)
{
    res_over *o = &r->over[r->nover++];
    o->rule = rule;
    o->by = by;
    o->what = what;
    o->form = form;
    o->mg = mg;
    return true;
}

static int find_form(const uint32_t *v, size_t n, uint32_t f)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == f)
            return (int)i;
    return -1;
}

/* Every overruled statement of rule ri, withheld whole by rule `by` (which avoids or
 * withholds supplements): its forms and doses, then the item. */
static void withhold_item(mga_result *r, uint32_t ri, uint32_t by)
{
    const g_rule *g = &r->rs->rules[ri];
    for (uint32_t k = 0; k < g->nprefer; k++)
        push_over(r, ri, by, OV_PREFER, g->prefer[k], 0);
    if (g->has_start)
        push_over(r, ri, by, OV_START, 0, g->start);
    if (g->has_target)
        push_over(r, ri, by, OV_TARGET, 0, g->target);
    push_over(r, ri, by, OV_ITEM, 0, 0);
    r->withheld[ri] = 1;
}

/* Resolution, safety first: a rule that avoids or withholds supplements drops every fired
 * rule that presumes them (a form, a dose, or `presumes supplements`: the whole item, its
 * forms, doses and maximum); an avoided form overrules preferring it; the smallest max holds
 * and overrules a larger start or target; an item whose every positive statement is
 * overruled is withheld. Which rules fired is up to the profile, so the rules are sorted by
 * what they state in one pass of selects (r->rlist: those that avoid forms, those with a
 * max, those with positive statements), each list then walked on its own, and the advice
 * written by a select per fired rule: no branch per rule on what it states. */
void eval_resolve(mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const uint8_t *rflags = rs->plan->rflags;
    size_t nf = r->nfired;
    uint32_t *lav = r->rlist, *lmax = lav + nf, *lpos = lmax + nf;
    size_t na = 0, nm = 0, np = 0;
    int32_t avs = -1, whs = -1;
    for (size_t i = nf; i-- > 0;) { /* backwards: the first that avoids or withholds wins */
        uint32_t ri = r->fired[i];
        uint8_t f = rflags[ri];
        avs = f & R_AVOID_SUPPLEMENTS ? (int32_t)ri : avs;
        whs = f & R_WITHHOLD ? (int32_t)ri : whs;
    }
    r->avoid_supplements = avs;
    r->withhold_supplements = whs;
    int32_t by = avs >= 0 ? avs : whs; /* avoiding outranks asking a doctor first */
    uint8_t *withheld = r->withheld;
    if (by >= 0) { /* rare: the rules that presume supplements go first, whole */
        for (size_t i = 0; i < nf; i++)
            if (rflags[r->fired[i]] & R_PRESUMES)
                withhold_item(r, r->fired[i], (uint32_t)by);
    }
    for (size_t i = 0; i < nf; i++) {
        uint32_t ri = r->fired[i];
        uint8_t f = rflags[ri];
        f = withheld[ri] ? 0 : f;
        lav[na] = ri;
        na += (f & R_AVOID) != 0;
        lmax[nm] = ri;
        nm += (f & R_MAX) != 0;
        lpos[np] = ri;
        np += (f & R_POSITIVE) != 0;
    }
    /* avoided forms, first rule wins the attribution */
    for (size_t i = 0; i < na; i++) {
        const g_rule *g = &rs->rules[lav[i]];
        for (uint32_t k = 0; k < g->navoid; k++)
            if (find_form(r->avoid, r->navoid, g->avoid[k]) < 0) {
                r->avoid_rule[r->navoid] = lav[i];
                r->avoid[r->navoid++] = g->avoid[k];
            }
    }
    /* the smallest max holds */
    mga_dose *d = &r->dose;
    int max_kind = -1;
    uint32_t max_rule_ix = 0;
    for (size_t i = 0; i < nm; i++) {
        const g_rule *g = &rs->rules[lmax[i]];
        /* On a tie the cap is attributed to a dose rule, the one that states it. */
        bool tie_better = d->has_max && g->max == d->max_mg && g->kind == MGA_KIND_DOSE &&
                          d->max_rule != NULL && max_kind != MGA_KIND_DOSE;
        if (!d->has_max || g->max < d->max_mg || tie_better) {
            max_kind = g->kind;
            max_rule_ix = lmax[i];
            d->has_max = true;
            d->max_mg = g->max;
            d->max_rule = g->id;
            r->max_rule = lmax[i] + 1;
        }
    }

    /* Per rule with positive statements: are all of them overruled? */
    for (size_t i = 0; i < np; i++) {
        uint32_t ri = lpos[i];
        const g_rule *g = &rs->rules[ri];
        size_t positives = 0, overruled = 0;
        for (uint32_t k = 0; k < g->nprefer; k++) {
            positives++;
            uint32_t f = g->prefer[k];
            int av = find_form(r->avoid, r->navoid, f);
            if (av >= 0) {
                push_over(r, ri, r->avoid_rule[av], OV_PREFER, f, 0);
                overruled++;
            } else if (find_form(r->prefer, r->nprefer, f) < 0) {
                r->prefer_rule[r->nprefer] = ri;
                r->prefer[r->nprefer++] = f;
            }
        }
        const bool has[2] = {g->has_start, g->has_target};
        const double mg[2] = {g->start, g->target};
        for (int part = 0; part < 2; part++) {
            if (!has[part])
                continue;
            positives++;
            over_what what = part == 0 ? OV_START : OV_TARGET;
            if (d->has_max && mg[part] > d->max_mg) {
                push_over(r, ri, max_rule_ix, what, 0, mg[part]);
                overruled++;
            } else if (part == 0 && (!d->has_start || mg[part] > d->start_mg)) {
                d->has_start = true;
                d->start_mg = mg[part];
                d->start_rule = g->id;
                r->start_rule = ri + 1;
            } else if (part == 1 && (!d->has_target || mg[part] > d->target_mg)) {
                d->has_target = true;
                d->target_mg = mg[part];
                d->target_rule = g->id;
                r->target_rule = ri + 1;
            }
        }
        if (positives && overruled == positives &&
            (g->kind == MGA_KIND_PREFER || g->kind == MGA_KIND_DOSE)) {
            push_over(r, ri, r->over[r->nover - 1].by, OV_ITEM, 0, 0);
            withheld[ri] = 1; /* the item is withheld: its advice no longer holds */
        }
    }
    /* the advice: every fired rule's item but those withheld */
    size_t n = 0;
    for (size_t i = 0; i < nf; i++) {
        uint32_t ri = r->fired[i];
        r->advice_rule[n] = ri;
        n += 1u - withheld[ri];
    }
    r->nadvice = n;
    if (by >= 0)
        for (size_t i = 0; i < nf; i++)
            withheld[r->fired[i]] = 0;
    else
        for (size_t i = 0; i < np; i++)
            withheld[lpos[i]] = 0;
}

/* Puts r->advice_rule in rank order (mga_result_advice_ref states it): the act items by
 * their key (severity, action, position in rs->order), each followed by the background
 * items that name a form it prefers or avoids and that no earlier act item took, then the
 * rest of the background items in the order they came (rs->order: source order, as all
 * are info). A result holds a few items, so an insertion sort. */
void eval_rank(mga_result *r)
{
    const eval_plan *pl = r->rs->plan;
    size_t n = r->nadvice, nr = r->rs->nrules + 1;
    uint32_t *act = r->rlist, *bg = r->rlist + nr; /* resolve's scratch, free again */
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ri = r->advice_rule[i];
        if (pl->advice[ri].group != MGA_GROUP_ACT) {
            bg[nb++] = ri;
            continue;
        }
        uint32_t key = pl->rkey[ri];
        size_t j = na++;
        for (; j > 0 && pl->rkey[act[j - 1]] > key; j--)
            act[j] = act[j - 1];
        act[j] = ri;
    }
    uint8_t *placed = r->withheld; /* 0 between evaluations: cleared again below */
    size_t k = 0;
    for (size_t i = 0; i < na; i++) {
        r->advice_rule[k++] = act[i];
        uint64_t m = pl->rforms[act[i]];
        for (size_t j = 0; m && j < nb; j++)
            if (!placed[bg[j]] && (pl->rforms[bg[j]] & m)) {
                placed[bg[j]] = 1;
                r->advice_rule[k++] = bg[j];
            }
    }
    for (size_t j = 0; j < nb; j++) {
        if (!placed[bg[j]])
            r->advice_rule[k++] = bg[j];
        placed[bg[j]] = 0;
    }
    assert(k == n);
}

/* The summary (mga_result_summary_ref) from the resolved, ranked result. */
void eval_summarize(mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const eval_plan *pl = rs->plan;
    mga_summary *s = &r->summary;
    size_t nd = 0;
    if (r->avoid_supplements >= 0) {
        s->decision = MGA_DECISION_DO_NOT_TAKE;
        for (size_t i = 0; i < r->nfired; i++)
            if (pl->rflags[r->fired[i]] & R_AVOID_SUPPLEMENTS)
                r->decided[nd++] = r->fired[i];
    } else if (r->withhold_supplements >= 0) {
        s->decision = MGA_DECISION_ASK_DOCTOR_FIRST;
        for (size_t i = 0; i < r->nfired; i++)
            if (pl->rflags[r->fired[i]] & R_WITHHOLD)
                r->decided[nd++] = r->fired[i];
    } else {
        s->decision = MGA_DECISION_WITHIN_LIMITS;
    }
    for (size_t i = 0; i < nd; i++)
        r->sum_decided[i] = rs->rules[r->decided[i]].id;
    s->decided_by = r->sum_decided;
    s->ndecided_by = nd;
    for (size_t i = 0; i < r->nprefer; i++)
        r->sum_prefer[i] = rs->forms[r->prefer[i]];
    s->prefer = r->sum_prefer;
    s->nprefer = r->nprefer;
    s->has_start = r->dose.has_start;
    s->has_target = r->dose.has_target;
    s->has_max = r->dose.has_max;
    s->start_mg = r->dose.start_mg;
    s->target_mg = r->dose.target_mg;
    s->max_mg = r->dose.max_mg;
    /* the referrals merged: by urgency, then rank */
    size_t nref = 0;
    for (uint32_t u = 0; u < 3; u++)
        for (size_t i = 0; i < r->nadvice; i++) {
            uint32_t ri = r->advice_rule[i];
            if (pl->advice[ri].refer && RKEY_ACTION(pl->rkey[ri]) == u) {
                r->referral[nref] = ri;
                r->sum_reasons[nref++] = (mga_referral){pl->advice[ri].rule, pl->advice[ri].refer};
            }
        }
    s->reasons = r->sum_reasons;
    s->nreasons = nref;
    s->refer = nref ? r->sum_reasons[0].urgency : NULL;
}

const char *eval_over_what(const mga_result *r, const res_over *o, char *buf, size_t n)
{
    char mg[NUM_FMT_SIZE];
    switch (o->what) {
    case OV_PREFER:
        snprintf(buf, n, "prefer %s", r->rs->forms[o->form]);
        break;
    case OV_START:
        snprintf(buf, n, "start dose %s mg", num_fmt(mg, sizeof mg, o->mg));
        break;
    case OV_TARGET:
        snprintf(buf, n, "target dose %s mg", num_fmt(mg, sizeof mg, o->mg));
        break;
    case OV_ITEM:
        snprintf(buf, n, "advice item");
        break;
    }
    return buf;
}
