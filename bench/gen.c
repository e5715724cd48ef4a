/* SPDX-License-Identifier: MIT */
/* Benchmark input: writes --count generated profiles as JSON lines over the schema of
 * rules/profile.mga. Every field appears in some records (and is missing in others), with
 * quantities both as plain numbers and as {"value", "unit"} objects, and a mix of goals, so
 * most of the shipped rules fire somewhere. Every record is valid. The same --seed and
 * --count give the same bytes on every machine (splitmix64, no libc rand).
 *
 *   gen [--seed S] [--count N]        (defaults: seed 1, count 1000) */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEN(a) (sizeof(a) / sizeof(a)[0])

static const char *const conditions[] = {
    "kidney_disease", "heart_failure", "diabetes", "ibs", "constipation", "insomnia",
    "migraine", "anxiety", "depression", "stress", "osteoarthritis", "neck_pain",
    "muscle_cramps", "hypertension"};
static const char *const goals[] = {"sleep", "immunity", "gut_health", "neck_pain",
                                    "muscle_cramps", "blood_sugar", "cognition", "migraine",
                                    "stress", "bone_health", "heart_health", "deficiency"};
static const char *const medications[] = {"antibiotics", "diuretics", "vitamin_d", "antacids",
                                          "laxatives", "other_prescription",
                                          "other_supplements"};
static const char *const symptoms[] = {
    "chest_pain", "irregular_heartbeat", "numbness_arms", "confusion", "slow_breathing",
    "low_blood_pressure", "paralysis", "vomiting", "urine_retention", "lethargy",
    "muscle_twitching", "fatigue", "diarrhoea", "nausea", "poor_sleep", "low_mood",
    "frequent_infections"};
static const char *const activities[] = {"low", "moderate", "high"};

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(next_u64(s) % n);
}

/* true with probability pct/100 */
static int chance(uint64_t *s, unsigned pct)
{
    return below(s, 100) < pct;
}

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            perror("gen");
            exit(4);
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n;
        char *p = realloc(o->p, cap);
        if (!p) {
            fputs("gen: out of memory\n", stderr);
            exit(4);
        }
        o->p = p;
        o->cap = cap;
    }
}

/* "key":[...] with k distinct members drawn from names; returns the bit mask chosen. */
static uint32_t set_field(out *o, uint64_t *s, const char *key, const char *const *names,
                          unsigned n, unsigned k)
{
    uint32_t mask = 0;
    put(o, ",\"%s\":[", key);
    for (unsigned i = 0; i < k; i++) {
        unsigned j = below(s, n);
        while (mask & (1u << j))
            j = (j + 1) % n;
        mask |= 1u << j;
        put(o, "%s\"%s\"", i ? "," : "", names[j]);
    }
    put(o, "]");
    return mask;
}

static const char *boolean(uint64_t *s)
{
    return chance(s, 50) ? "true" : "false";
}

static void profile(out *o, uint64_t *s, unsigned long long i)
{
    put(o, "{\"id\":\"p%llu\"", i);
    if (chance(s, 95))
        put(o, ",\"age\":%u", 12 + below(s, 80));
    if (chance(s, 92))
        put(o, ",\"sex\":\"%s\"", chance(s, 52) ? "female" : "male");
    uint32_t cond = 0;
    if (chance(s, 88)) /* the others are "conditions unknown" */
        cond = set_field(o, s, "conditions", conditions, LEN(conditions), below(s, 4));
    if ((cond & (1u << 4)) && chance(s, 80))
        put(o, ",\"constipation\":\"%s\"", chance(s, 60) ? "occasional" : "regular");
    set_field(o, s, "goals", goals, LEN(goals), 1 + below(s, 3));
    if (chance(s, 85))
        set_field(o, s, "medications", medications, LEN(medications), below(s, 3));
    if (chance(s, 80)) /* signs of excess are rarer than everyday symptoms */
        set_field(o, s, "symptoms", symptoms, LEN(symptoms), chance(s, 20) ? 2 : below(s, 2));
    if (chance(s, 85)) {
        unsigned mg = 120 + below(s, 380);
        if (chance(s, 10))
            put(o, ",\"diet_mg\":{\"value\":%u.%03u,\"unit\":\"g\"}", mg / 1000, mg % 1000);
        else
            put(o, ",\"diet_mg\":%u", mg);
    }
    if (chance(s, 90)) {
        static const unsigned doses[] = {0, 0, 0, 100, 145, 200, 250, 300, 350, 400, 500, 828};
        put(o, ",\"supplement_mg\":%u", doses[below(s, LEN(doses))]);
    }
    if (chance(s, 80))
        put(o, ",\"balanced_diet\":%s", boolean(s));
    if (chance(s, 75))
        put(o, ",\"activity\":\"%s\"", activities[below(s, LEN(activities))]);
    if ((cond & (1u << 11)) || chance(s, 8)) {
        put(o, ",\"neck_pain_weeks\":%u", below(s, 20));
        put(o, ",\"neck_pain_worsening\":%s", chance(s, 20) ? "true" : "false");
    }
    if (chance(s, 40))
        put(o, ",\"vitamin_d_iu\":%u", 400 * below(s, 11));
    if (chance(s, 35)) {
        unsigned ng = 8 + below(s, 70);
        if (chance(s, 40))
            put(o, ",\"vitamin_d_level\":{\"value\":%.1f,\"unit\":\"nmol/L\"}", ng * 2.496);
        else
            put(o, ",\"vitamin_d_level\":%u", ng);
        if (chance(s, 50))
            put(o, ",\"vitamin_d_rising\":%s", boolean(s));
    }
    put(o, "}\n");
}

static int usage(void)
{
    fputs("usage: gen [--seed S] [--count N]\n", stderr);
    return 2;
}

static int number(const char *a, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(a, &end, 10);
    return errno || end == a || *end || a[0] == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1, count = 1000;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--seed") == 0) {
            if (number(argv[i + 1], &seed))
                return usage();
        } else if (strcmp(argv[i], "--count") == 0) {
            if (number(argv[i + 1], &count))
                return usage();
        } else {
            return usage();
        }
    }
    out o = {malloc(1 << 16), 0, 1 << 16};
    if (!o.p) {
        fputs("gen: out of memory\n", stderr);
        return 4;
    }
    uint64_t s = seed;
    for (unsigned long long i = 1; i <= count; i++) {
        profile(&o, &s, i);
        if (o.len > (1 << 15) || i == count) {
            if (fwrite(o.p, 1, o.len, stdout) != o.len)
                break;
            o.len = 0;
        }
    }
    free(o.p);
    if (fflush(stdout) || ferror(stdout)) {
        perror("gen: write");
        return 4;
    }
    return 0;
}
