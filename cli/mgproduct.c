/* SPDX-License-Identifier: MIT */
/* The codes by which a draft order names a magnesium product (cli/mgproduct.h). Each code
 * is here only with its display as a public reference gives it, named in its comment: a
 * code whose display could not be checked is left out rather than guessed. */
#include "mgproduct.h"

#include <stddef.h>
#include <string.h>

#define ATC_URI "http://www.whocc.no/atc"

/* ATC codes and classes (a code matches a class it begins with). The displays are those
 * of the WHO ATC index as the FDA's substance registry (GSRS, openFDA
 * other/substance.json) lists them for each salt's UNII: magnesium chloride 02F3473H9O,
 * citrate RHO26O1T9V, gluconate T42NAD2KHC, hydroxide NBZ3QY004S, carbonate 0E53J927NA,
 * peroxide X8YVJ0TN96; magnesium oxide's three codes as DrugCentral (drug 4293) lists
 * them. A06AD is not all magnesium (lactulose, macrogol): only its magnesium codes. */
static const char *const atc[] = {
    "A12CC",   /* Magnesium (mineral supplements): A12CC01 magnesium chloride, A12CC02
                  magnesium sulfate, A12CC03 magnesium gluconate, A12CC04 magnesium
                  citrate, A12CC10 magnesium oxide, ... */
    "A02AA",   /* Magnesium compounds (antacids): A02AA01 magnesium carbonate, A02AA02
                  magnesium oxide, A02AA03 magnesium peroxide, A02AA04 magnesium hydroxide */
    "A02AD02", /* magaldrate (combinations and complexes of aluminium, calcium and
                  magnesium compounds); A02AD03 almagate, A02AD04 hydrotalcite, A02AD05
                  almasilate: each an aluminium magnesium compound, as the Norwegian ATC
                  register lists them (A02AD01, "ordinary salt combinations", need not hold
                  magnesium: left out) */
    "A02AD03",
    "A02AD04",
    "A02AD05",
    "A06AD01", /* magnesium carbonate (osmotically acting laxatives) */
    "A06AD02", /* magnesium oxide */
    "A06AD03", /* magnesium peroxide */
    "A06AD04", /* magnesium sulfate (as rules/fhir.mga binds it; the ATC classification
                  of public drug formularies and Modelica's Pharmacolibrary,
                  A06AD04_MagnesiumSulfate, give the same) */
    "A06AD19", /* magnesium citrate */
};

/* RxNorm clinical drugs (SCD, SBD) are not matched: no public reference at hand gave an
 * RxNorm code of a magnesium clinical drug together with its display, and a code is not
 * added unchecked. An order coded by RxNorm alone is therefore not seen as magnesium; EHRs
 * that send the ATC code beside it are. */

bool mg_product_coding(const char *system, const char *code)
{
    if (!system || !code)
        return false;
    if (strcmp(system, ATC_URI) != 0)
        return false;
    for (size_t i = 0; i < sizeof atc / sizeof atc[0]; i++)
        if (strncmp(code, atc[i], strlen(atc[i])) == 0)
            return true;
    return false;
}
