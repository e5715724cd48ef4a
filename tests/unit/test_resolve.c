/* SPDX-License-Identifier: MIT */
/* Unit tests for resolve.c: the resolution of fired rules, against a plain reference
 * resolution written here from the language's definition (docs/LANGUAGE.md), on generated
 * rule sets that mix every action (avoid and withhold supplements, presumes, prefer and
 * avoid forms, start, target and max doses) and generated profiles. */
#include "helpers.h"

#include "eval.h"
#include "genprofile.h"

static const char *const forms[] = {"glycinate", "citrate", "oxide", "threonate"};

static void gen_cond(gp_rng *g, rtext *t)
{
    switch (gp_below(g, 5)) {
    case 0:
        rt_add(t, "conditions has %s", (const char *[]){"kidney_disease", "ibs", "insomnia"}[gp_below(g, 3)]);
        break;
    case 1:
        rt_add(t, "symptoms has %s", (const char *[]){"confusion", "nausea", "fatigue"}[gp_below(g, 3)]);
        break;
    case 2:
        rt_add(t, "score %s %d", gp_below(g, 2) ? ">" : "<=", (int)gp_below(g, 21) - 10);
        break;
    case 3:
        rt_add(t, "activity is %s", (const char *[]){"low", "moderate", "high"}[gp_below(g, 3)]);
        break;
    default:
        rt_add(t, "sex is %s", gp_below(g, 2) ? "female" : "male");
    }
}

static void gen_forms(gp_rng *g, rtext *t)
{
    unsigned a = gp_below(g, 4), b = gp_below(g, 4);
    rt_add(t, "%s", forms[a]);
    if (b != a)
        rt_add(t, ", %s", forms[b]);
}

/* A rule set whose rules state every kind of action, alone or together. */
static char *gen_rules(uint64_t seed, unsigned nrules)
{
    gp_rng g = {seed};
    rtext t = {0};
    for (unsigned i = 0; i < nrules; i++) {
        rt_add(&t, "rule r%u when ", i);
        gen_cond(&g, &t);
        if (gp_below(&g, 2)) {
            rt_add(&t, " and ");
            gen_cond(&g, &t);
        }
        unsigned kind = gp_below(&g, 20);
        if (kind == 0) {
            rt_add(&t, " then avoid supplements");
        } else if (kind == 1) {
            rt_add(&t, " then withhold supplements then refer routine");
        } else {
            bool any = false;
            if (gp_below(&g, 3) == 0) {
                rt_add(&t, " then prefer ");
                gen_forms(&g, &t);
                any = true;
            }
            if (gp_below(&g, 4) == 0) {
                rt_add(&t, " then avoid ");
                gen_forms(&g, &t);
                any = true;
            }
            if (gp_below(&g, 3) == 0) {
                unsigned mx = 100 + 100 * gp_below(&g, 4); /* 100..400 */
                rt_add(&t, " dose");
                if (gp_below(&g, 2))
                    rt_add(&t, " start %u mg", 50 * (1 + gp_below(&g, mx / 50)));
                if (gp_below(&g, 2))
                    rt_add(&t, " target %u mg", 50 * (1 + gp_below(&g, mx / 50)));
                rt_add(&t, " max %u mg", mx);
                any = true;
            }
            if (!any) {
                rt_add(&t, " then inform");
                if (gp_below(&g, 3) == 0)
                    rt_add(&t, " presumes supplements");
            }
        }
        rt_add(&t, " severity %s say \"r%u\" cite src end\n",
               (const char *[]){"info", "warning", "critical"}[gp_below(&g, 3)], i);
    }
    return t.p;
}

/* What resolution must give, computed the plain way. */
typedef struct want {
    bool shown[512];
    uint32_t prefer[8], avoid[8];
    size_t nprefer, navoid;
    bool has_start, has_target, has_max;
    double start, target, max;
    int32_t avoid_by, withhold_by;
} want;

static bool in(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void reference(const mga_ruleset *rs, const uint32_t *fired, size_t nf, want *w)
{
    memset(w, 0, sizeof *w);
    w->avoid_by = w->withhold_by = -1;
    /* the first fired rule that avoids supplements, else the first that withholds them */
    for (size_t i = 0; i < nf; i++) {
        const g_rule *g = &rs->rules[fired[i]];
        if (g->avoid_supplements && w->avoid_by < 0)
            w->avoid_by = (int32_t)fired[i];
        if (g->withhold_supplements && w->withhold_by < 0)
            w->withhold_by = (int32_t)fired[i];
    }
    bool withheld = w->avoid_by >= 0 || w->withhold_by >= 0;
    /* a rule that presumes supplements is dropped whole when they are withheld */
    bool kept[512] = {false};
    for (size_t i = 0; i < nf; i++)
        kept[fired[i]] = !(withheld && rs->rules[fired[i]].presumes);
    /* avoided forms: every kept rule's, in order */
    for (size_t i = 0; i < nf; i++) {
        const g_rule *g = &rs->rules[fired[i]];
        for (uint32_t k = 0; kept[fired[i]] && k < g->navoid; k++)
            if (!in(w->avoid, w->navoid, g->avoid[k]))
                w->avoid[w->navoid++] = g->avoid[k];
    }
    /* the smallest max of the kept rules holds */
    for (size_t i = 0; i < nf; i++) {
        const g_rule *g = &rs->rules[fired[i]];
        if (kept[fired[i]] && g->has_max && (!w->has_max || g->max < w->max)) {
            w->has_max = true;
            w->max = g->max;
        }
    }
    for (size_t i = 0; i < nf; i++) {
        uint32_t ri = fired[i];
        const g_rule *g = &rs->rules[ri];
        if (!kept[ri])
            continue;
        size_t positives = 0, overruled = 0;
        for (uint32_t k = 0; k < g->nprefer; k++) {
            positives++;
            if (in(w->avoid, w->navoid, g->prefer[k]))
                overruled++;
            else if (!in(w->prefer, w->nprefer, g->prefer[k]))
                w->prefer[w->nprefer++] = g->prefer[k];
        }
        if (g->has_start) { /* a start above the max is cut; else the largest start */
            positives++;
            if (w->has_max && g->start > w->max)
                overruled++;
            else if (!w->has_start || g->start > w->start) {
                w->has_start = true;
                w->start = g->start;
            }
        }
        if (g->has_target) {
            positives++;
            if (w->has_max && g->target > w->max)
                overruled++;
            else if (!w->has_target || g->target > w->target) {
                w->has_target = true;
                w->target = g->target;
            }
        }
        /* an item every positive statement of which is overruled is withheld */
        w->shown[ri] = !(positives && overruled == positives &&
                         (g->kind == MGA_KIND_PREFER || g->kind == MGA_KIND_DOSE));
    }
}

static void test_resolve_equals_reference(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    gp_buf *b = malloc(sizeof *b);
    assert_non_null(b);
    unsigned compared = 0, withheld = 0, doses = 0, prefers = 0, cut = 0;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        char *rules = gen_rules(seed * 104729, 40 + 20 * (unsigned)seed);
        mga_ruleset *rs = compile_ok(eng, rules, NULL);
        free(rules);
        assert_true(rs->nrules < 512);
        gp_rng g = {seed};
        mga_result *r = NULL;
        for (unsigned i = 0; i < 2000; i++) {
            gp_profile(&g, rs, i, 40 + gp_below(&g, 61), b);
            mga_profile *p = NULL;
            assert_int_equal(mga_profile_parse(rs, "gen", b->p, b->len, &p, NULL), MGA_OK);
            assert_int_equal(mga_evaluate_reuse(rs, p, &r), MGA_OK);
            want w;
            reference(rs, r->fired, r->nfired, &w);
            assert_int_equal(r->avoid_supplements, w.avoid_by);
            assert_int_equal(r->withhold_supplements, w.withhold_by);
            size_t nshown = 0;
            for (size_t k = 0; k < r->nfired; k++)
                nshown += w.shown[r->fired[k]];
            assert_int_equal(r->nadvice, nshown);
            for (size_t k = 0; k < r->nadvice; k++)
                assert_true(w.shown[r->advice_rule[k]]);
            assert_int_equal(r->nprefer, w.nprefer);
            for (size_t k = 0; k < w.nprefer; k++)
                assert_int_equal(r->prefer[k], w.prefer[k]);
            assert_int_equal(r->navoid, w.navoid);
            for (size_t k = 0; k < w.navoid; k++)
                assert_int_equal(r->avoid[k], w.avoid[k]);
            assert_int_equal(r->dose.has_start, w.has_start);
            assert_int_equal(r->dose.has_target, w.has_target);
            assert_int_equal(r->dose.has_max, w.has_max);
            if (w.has_start)
                assert_true(r->dose.start_mg == w.start);
            if (w.has_target)
                assert_true(r->dose.target_mg == w.target);
            if (w.has_max)
                assert_true(r->dose.max_mg == w.max);
            compared++;
            withheld += w.avoid_by >= 0 || w.withhold_by >= 0;
            doses += w.has_start;
            prefers += w.nprefer > 0;
            cut += nshown < r->nfired;
            mga_profile_free(p);
        }
        mga_result_free(r);
        mga_ruleset_free(rs);
    }
    /* the generator reached the cases resolution decides */
    assert_true(compared == 12000);
    assert_true(withheld > 500 && doses > 500 && prefers > 500 && cut > 500);
    free(b);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_equals_reference),
    };
    return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
