/* SPDX-License-Identifier: MIT */
/* The names of the public values (include/mgadvise.h): the version, statuses, advice kinds,
 * severities, decisions, groups and evidence grades. Every stage that writes one for people or JSON asks
 * here, so no stage depends on another for a name. */
#include "names.h"

#include <mgadvise.h>

const char *mga_version(void)
{
    return MGA_VERSION;
}

int mga_version_number(void)
{
    return MGA_VERSION_NUMBER;
}

const char *mga_status_str(mga_status st)
{
    switch (st) {
    case MGA_OK:
        return "ok";
    case MGA_E_NOMEM:
        return "out of memory";
    case MGA_E_INVALID:
        return "invalid value";
    case MGA_E_MISUSE:
        return "library misuse";
    case MGA_E_IO:
        return "cannot read input";
    case MGA_E_COMPILE:
        return "the rules have errors";
    case MGA_E_PROFILE:
        return "the profile has errors";
    case MGA_E_WRITE:
        return "cannot write output";
    }
    return "unknown status";
}


const char *mga_kind_str(mga_kind k)
{
    static const char *const names[] = {"avoid", "prefer", "dose",        "refer",
                                        "info",  "warn",   "disagreement", "withhold"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "info";
}


const char *mga_severity_str(mga_severity s)
{
    return s == MGA_CRITICAL ? "critical" : s == MGA_WARNING ? "warning" : "info";
}


const char *mga_decision_str(mga_decision d)
{
    switch (d) {
    case MGA_DECISION_WITHIN_LIMITS:
        return "within_limits";
    case MGA_DECISION_ASK_DOCTOR_FIRST:
        return "ask_doctor_first";
    case MGA_DECISION_DO_NOT_TAKE:
        return "do_not_take";
    }
    return "?";
}


const char *mga_group_str(mga_group g)
{
    switch (g) {
    case MGA_GROUP_ACT:
        return "act";
    case MGA_GROUP_BACKGROUND:
        return "background";
    }
    return "?";
}


const char *const names_evidence_grades[] = {
    "guideline", "systematic_review", "rct",          "observational", "expert",
    "preclinical", "limited",         "insufficient", "mixed"};
const size_t names_nevidence_grades =
    sizeof names_evidence_grades / sizeof names_evidence_grades[0];

const char *mga_evidence_grade(size_t i)
{
    return i < names_nevidence_grades ? names_evidence_grades[i] : NULL;
}
