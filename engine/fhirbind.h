/* SPDX-License-Identifier: MIT */
/* FHIR bindings (`fhir ... end`): checked against the profile schema after sema, and
 * frozen into the rule set for the FHIR mapper (fhir.c). */
#ifndef MGA_FHIRBIND_H
#define MGA_FHIRBIND_H

#include "graph.h"
#include "sema.h"

/* The code systems a binding may name, by short name and canonical URI. */
typedef enum fhir_sys {
    FHIR_SNOMED,
    FHIR_ICD10CM,
    FHIR_RXNORM,
    FHIR_ATC,
    FHIR_LOINC,
    FHIR_GENDER,
    FHIR_NSYS
} fhir_sys;

/* What a binding reads. */
typedef enum fb_kind { FB_BIRTHDATE, FB_GENDER, FB_CONDITION, FB_MEDICATION, FB_OBSERVATION } fb_kind;

/* One code. value: the field's symbol index (set, one-of), 1 true / 0 false (boolean);
 * unused for an observation's own codes. */
typedef struct g_fcode {
    fhir_sys sys;
    const char *code, *display;
    uint32_t value;
} g_fcode;

typedef struct g_fbind {
    uint32_t field;
    fb_kind kind;
    bool med_request, med_statement; /* FB_MEDICATION: which resources */
    g_fcode *values;                 /* the codes that give the field a value */
    size_t nvalues;
    g_fcode *obs; /* FB_OBSERVATION: the observation's own codes */
    size_t nobs;
} g_fbind;

const char *fhirbind_sys_name(fhir_sys s);
const char *fhirbind_sys_uri(fhir_sys s);

/* Whether code (of system sys) is the bound code cls or within the class it names: ATC
 * and ICD-10-CM codes are hierarchical, a code beginning with its classes' codes (ATC
 * "C03CA01" is in "C03"; ICD-10-CM "I50.22" in "I50", "N18.31" in "N18.3"); in the other
 * systems only the code itself. */
bool fhirbind_code_within(fhir_sys sys, const char *cls, const char *code);

/* Checks every binding of p against its (sema-checked) schema. false on OOM. */
bool fhirbind_check(const ast_program *p, mga_diags *d, const int *dsrc);
/* Copies the checked bindings into rs (rs->fbinds). false on OOM. */
bool fhirbind_freeze(mga_ruleset *rs, const ast_program *p);

#endif
