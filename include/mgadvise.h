/* SPDX-License-Identifier: MIT */
/* mgadvise: compile magnesium-guidance rules into a rule graph and evaluate profiles
 * against it, producing cited advice. This is the only public header. */
#ifndef MGADVISE_H
#define MGADVISE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MGA_VERSION "0.1.0"
/* The version as a number, major * 1000000 + minor * 1000 + patch: compare it at compile
 * time, and with mga_version_number() at run time to see which library is loaded. */
#define MGA_VERSION_NUMBER 1000

#if defined(__GNUC__) && !defined(MGA_STATIC)
#define MGA_API __attribute__((visibility("default")))
#else
#define MGA_API
#endif

typedef enum mga_status {
    MGA_OK = 0,
    MGA_E_NOMEM,   /* an allocation failed; nothing leaked, nothing half-built returned */
    MGA_E_INVALID, /* a bad value from the caller's data (an unknown rule id to explain) */
    MGA_E_IO,      /* a rule file could not be read: see the diagnostics */
    MGA_E_COMPILE, /* the rules have errors: see the diagnostics */
    MGA_E_PROFILE, /* the profile has errors: see the diagnostics */
    MGA_E_WRITE,   /* the write callback reported failure */
    MGA_E_MISUSE   /* the caller broke the contract: NULL where an object is needed, an
                    * unknown enum value, an object of another rule set, a profile whose
                    * parse failed, an index past the end. Nothing is changed. */
} mga_status;

/* The version of the library loaded at run time: a static string such as "0.1.0", and
 * the same as a number (MGA_VERSION_NUMBER of the library's build). Thread-safe. */
MGA_API const char *mga_version(void);
MGA_API int mga_version_number(void);

/* A short English name for a status ("out of memory"); never NULL. */
MGA_API const char *mga_status_str(mga_status st);

typedef struct mga_engine mga_engine;   /* options + allocator; one thread at a time      */
typedef struct mga_ruleset mga_ruleset; /* compiled rule graph; immutable, shareable      */
typedef struct mga_profile mga_profile; /* one parsed profile; one thread at a time        */
typedef struct mga_result mga_result;   /* the advice for one profile; one thread at a time */
typedef struct mga_diags mga_diags;     /* a list of diagnostics; owned by the caller       */

/* The allocator hook: realloc semantics, with the old size passed back. new_size == 0 frees
 * p and returns NULL. It must be thread-safe if one ruleset is evaluated from many threads. */
typedef void *(*mga_realloc_fn)(void *ud, void *p, size_t old_size, size_t new_size);

/* Output sink: return 0 on success, non-zero to stop (the call then returns MGA_E_WRITE). */
typedef int (*mga_write_fn)(void *ud, const char *p, size_t len);

typedef struct mga_options {
    mga_realloc_fn realloc_fn; /* NULL: the C library's allocator */
    void *alloc_ud;
    unsigned max_errors;     /* compilation stops after this many errors (default 20) */
    unsigned max_depth;      /* nesting limit for conditions and JSON (default 64) */
    const char *sources_dir; /* if set, every cited quote is checked against the document
                              * named by its source's `file` in this folder, and each
                              * cited number against the document's reference markers */
    /* Profiles parsed against a rule set this engine compiles: false (the default), a key
     * the schema does not declare is an error (E4013, MGA_E_PROFILE), with the nearest
     * declared name as a note; true, it is a warning (W5001), its value is skipped, and
     * the warning is also carried in the result ("warnings" in its JSON). The rule set
     * keeps the choice, so every parse against it follows one policy. */
    bool allow_unknown_fields;
} mga_options;

/* Defaults: the libc allocator, 20 errors, depth 64, no quote check, unknown profile fields
 * are errors. */
MGA_API void mga_options_init(mga_options *opt);

/* opt may be NULL for the defaults. The engine copies opt (sources_dir included). */
MGA_API mga_status mga_engine_new(const mga_options *opt, mga_engine **out);
MGA_API void mga_engine_free(mga_engine *eng);

/* ---- Compiling rules ---------------------------------------------------------------- */

typedef struct mga_source {
    const char *name; /* labels diagnostics, e.g. "rules/safety.mga" */
    const char *text; /* need not be NUL-terminated; copied */
    size_t len;
} mga_source;

/* Compiles several sources into one rule set (declarations may span files). On success
 * *out owns the graph. If diags != NULL, *diags receives every diagnostic (warnings too),
 * to be freed with mga_diags_free; it is set even when the result is MGA_OK. */
MGA_API mga_status mga_compile_sources(mga_engine *eng, const mga_source *srcs, size_t n,
                               mga_ruleset **out, mga_diags **diags);

/* One source. */
MGA_API mga_status mga_compile(mga_engine *eng, const char *name, const char *src, size_t len,
                       mga_ruleset **out, mga_diags **diags);

/* Files and folders; a folder contributes its *.mga files in name order. */
MGA_API mga_status mga_compile_paths(mga_engine *eng, const char *const *paths, size_t n,
                             mga_ruleset **out, mga_diags **diags);

/* The shipped rule base (the rule files in rules/ of this release, built into the library),
 * so a program needs no rule files on disk: compiles them as mga_compile_sources would,
 * each source named by its path in the distribution ("rules/safety.mga") in diagnostics,
 * explanations and coverage reports; the rule set equals mga_compile_paths on that
 * folder (same hash). On success *out owns the graph (free with mga_ruleset_free); on
 * failure *out is NULL. If diags != NULL, *diags receives a list as for
 * mga_compile_sources (set even on MGA_OK; empty unless eng has a sources_dir and a quote
 * is not found in its document). Errors: MGA_E_MISUSE (NULL eng or out), MGA_E_NOMEM,
 * MGA_E_COMPILE (only with sources_dir). One thread at a time per engine; the embedded
 * text is constant, so engines on several threads may compile it at once. */
MGA_API mga_status mga_compile_builtin(mga_engine *eng, mga_ruleset **out, mga_diags **diags);

MGA_API void mga_ruleset_free(mga_ruleset *rs);
MGA_API const char *mga_ruleset_name(const mga_ruleset *rs); /* from `ruleset "..."` */
MGA_API const char *mga_ruleset_hash(const mga_ruleset *rs); /* 16 hex digits over all sources */
MGA_API size_t mga_ruleset_rule_count(const mga_ruleset *rs);
MGA_API const char *mga_ruleset_rule_id(const mga_ruleset *rs, size_t i); /* NULL past the end */
/* The number of distinct condition nodes in the graph (shared tests counted once). */
MGA_API size_t mga_ruleset_node_count(const mga_ruleset *rs);

/* The profile schema, for callers that build profiles from other formats (batch CSV). */
typedef enum mga_field_type {
    MGA_FIELD_TEXT,   /* a string; only 'is known' can test it */
    MGA_FIELD_BOOL,   /* true or false */
    MGA_FIELD_NUMBER, /* a number, in unit when unit != NULL */
    MGA_FIELD_ONE_OF, /* one of symbols */
    MGA_FIELD_SET     /* any subset of symbols */
} mga_field_type;

typedef struct mga_field_info {
    const char *name;
    mga_field_type type;
    const char *unit;           /* a number's declared unit ("mg"); NULL when it has none */
    const char *const *symbols; /* ONE_OF and SET: the values in declaration order, else NULL */
    size_t nsymbols;
    /* The comment that documents the field in the rule file: the comment lines right above
     * its declaration and the comments after it on its own lines, without '#', joined by
     * one space; NULL when it has none. */
    const char *description;
    bool has_range;          /* a NUMBER with a declared range */
    double minimum, maximum; /* that range, in unit (as declared); 0 without one */
} mga_field_info;

/* The number of profile fields the rule set declares (0 for NULL). */
MGA_API size_t mga_ruleset_field_count(const mga_ruleset *rs);
/* Describes field i (declaration order) into *out; every pointer lives as long as rs.
 * MGA_E_MISUSE for a NULL rs or out or i past the end (*out is then zeroed). Thread-safe. */
MGA_API mga_status mga_ruleset_field(const mga_ruleset *rs, size_t i, mga_field_info *out);

/* Writes the profile schema of rs as a JSON Schema (draft 2020-12) through one call of fn:
 * one indented object and a newline, "$schema", "title" (the rule set's name), "type"
 * "object", a "properties" member per field in declaration order and
 * "additionalProperties": false (true when the engine that compiled rs allows unknown
 * fields). Each field takes null (unknown) besides its values: text a string, boolean a
 * boolean, one-of an "enum" of its symbols, set an array of them with "uniqueItems", a
 * number with "minimum"/"maximum" of its range (else the engine's bounds) in its declared
 * unit or, for a field with a dimension, a {"value", "unit"} object, one alternative per
 * unit of the dimension with the range converted into that unit. A field's description
 * (mga_field_info) is its "description". The same rule set gives the same bytes.
 * MGA_E_MISUSE for a NULL rs or fn, MGA_E_NOMEM, MGA_E_WRITE. Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_write_schema(const mga_ruleset *rs, mga_write_fn fn, void *ud);

/* ---- Formatting rules (mgadvise fmt) ------------------------------------------------- */

/* Writes text (one rule file; name labels diagnostics) in the canonical layout through fn,
 * in one call: declarations at column 0, clauses on their own lines indented by two, one
 * space between words, comments kept, at most one blank line in a row, LF line ends and a
 * final newline. Formatting the result again gives the same bytes. The file is only
 * parsed, not checked (names and citations may live in other files). A lexical or syntax
 * error returns MGA_E_COMPILE and writes nothing. If diags != NULL, *diags receives the
 * diagnostics (free with mga_diags_free). MGA_E_MISUSE for a NULL eng or fn, MGA_E_NOMEM,
 * MGA_E_WRITE. One thread at a time per engine. */
MGA_API mga_status mga_format_rules(mga_engine *eng, const char *name, const char *text,
                                    size_t len, mga_write_fn fn, void *ud, mga_diags **diags);

/* ---- The rule graph (mgadvise graph) ------------------------------------------------- */

typedef enum mga_graph_format {
    MGA_GRAPH_DOT, /* Graphviz: condition nodes, facts, shared tests, rules, actions */
    MGA_GRAPH_JSON /* indented: nodes (id, kind, label, children, uses, shared), facts
                    * (name -> node), rules (id, node, kind, severity, evidence, actions,
                    * cites) */
} mga_graph_format;

/* Writes the compiled rule graph through fn, in one call. Numeric tests are labelled in
 * the field's declared unit ("age >= 55 years"). The same rule set gives the same bytes
 * (node and rule order are the graph's own; the content hash is not included). Returns
 * MGA_E_MISUSE for a NULL rs or fn or a bad format, MGA_E_NOMEM, MGA_E_WRITE. Thread-safe
 * on a shared rs. */
MGA_API mga_status mga_ruleset_write_graph(const mga_ruleset *rs, mga_graph_format fmt,
                                           mga_write_fn fn, void *ud);

/* ---- Diagnostics -------------------------------------------------------------------- */

typedef enum mga_diag_kind { MGA_DIAG_ERROR, MGA_DIAG_WARNING, MGA_DIAG_NOTE } mga_diag_kind;

typedef struct mga_diag {
    mga_diag_kind kind;
    unsigned code;      /* stable: 3104 prints as E3104 (W for warnings) */
    const char *file;   /* the source or profile name */
    unsigned line, col; /* 1-based; columns count code points; 0 when not located */
    unsigned end_line, end_col;
    size_t offset, len; /* bytes */
    const char *message;
    const char *note; /* a hint, or NULL */
    /* A profile diagnostic's JSON path ("$.age", "$.conditions[1]", "$.vitamin_d_level.unit";
     * "$" for the profile as a whole), NULL for one about the whole text (invalid JSON, not
     * an object, empty, too large) and for rule diagnostics. A profile diagnostic located in
     * its text ends its message with " (byte N)", N being offset. */
    const char *path;
    /* The analysis's witness profile as one line of JSON, for a diagnostic that has one
     * (mgadvise_analysis.h: two contradicting rules both fire for it, W5005 and N5006; it
     * refutes an invariant, W5009; it has a goal and gets no advice, N5011, the first such
     * profile): the same text the note shows. NULL for every other diagnostic. */
    const char *witness;
} mga_diag;

MGA_API size_t mga_diags_count(const mga_diags *d);
MGA_API size_t mga_diags_error_count(const mga_diags *d);
MGA_API const mga_diag *mga_diags_ref(const mga_diags *d, size_t i); /* lives as long as d */
/* Writes every diagnostic as `file:line:col: error[E3104]: message`, the source line, a
 * caret under the spot and any note; then a count line ("mgadvise: 2 errors"). Control,
 * C1 and bidi characters of the input are shown as escapes ("\x1b", "\u202e"), never raw. */
MGA_API mga_status mga_diags_render(const mga_diags *d, mga_write_fn fn, void *ud);

typedef enum mga_diags_format {
    MGA_DIAGS_TEXT,  /* what mga_diags_render writes */
    MGA_DIAGS_JSON,  /* a JSON array (indented), one object per diagnostic, in list order:
                      * {"file":F,"line":L,"column":C,"end_line":EL,"end_column":EC,
                      *  "code":"E3104","severity":"error"|"warning"|"note","message":M,
                      *  "notes":[N,...],"path":P,"witness":W}; the file is null for a
                      * diagnostic about no file, the four positions null when it is not
                      * located (end_column is the column just past the span), path and
                      * witness as in mga_diag (null when absent, the witness a profile as
                      * JSON text) */
    MGA_DIAGS_SARIF  /* one SARIF 2.1.0 log (indented): one run whose tool.driver (name
                      * "mgadvise", version MGA_VERSION) lists every diagnostic code as a
                      * rule (id "E3104", shortDescription its message format,
                      * defaultConfiguration.level), and one result per diagnostic: ruleId,
                      * ruleIndex, level ("error", "warning", "note"), message.text (the
                      * message, then each note on a line "note: ..."), locations (the file
                      * as a relative URI reference, or file: URI for an absolute path, and a
                      * region in code-point columns, endColumn exclusive; no region when not
                      * located, no locations key when there is no file), and properties
                      * path and witness when present */
} mga_diags_format;

/* Writes d in fmt through one call of fn (MGA_DIAGS_TEXT: several calls, as
 * mga_diags_render). Every string is JSON-escaped as yajl does, control characters
 * included; a byte of invalid UTF-8 in a message is written as U+FFFD. An empty list
 * gives an empty array or a run with no results. A newline ends the document. d is only
 * read: several threads may write one list at once. Errors: MGA_E_MISUSE (NULL d or fn,
 * an unknown fmt), MGA_E_NOMEM (nothing written), MGA_E_WRITE. */
MGA_API mga_status mga_diags_write(const mga_diags *d, mga_diags_format fmt, mga_write_fn fn,
                                   void *ud);
MGA_API void mga_diags_free(mga_diags *d);

/* ---- Text from the data, safe for a terminal ------------------------------------------ */

/* Flags of mga_text_write. MGA_TEXT_KEEP_TAB lets a tab through as it is (a source line
 * echoed above a caret line that copies its tabs, so that columns agree). */
#define MGA_TEXT_KEEP_TAB 1u

/* Writes p[0, len) through fn as a human should see it on a terminal or in a log, the way
 * every text writer of the library shows data (profile keys and values, rule names, file
 * names): line feed, carriage return and tab as "\n" "\r" "\t" (a tab kept with
 * MGA_TEXT_KEEP_TAB); the other C0 controls, DEL and every byte of invalid UTF-8 as
 * "\xNN"; C1 controls, the bidirectional marks, embeddings, overrides and isolates, and the
 * line and paragraph separators as "\uNNNN" (hex digits lower case). A backslash is not
 * escaped, so the output is for reading, not for parsing back. Valid text between escapes
 * goes out in one call of fn each; nothing is allocated. p is borrowed for the call and may
 * be NULL when len is 0. Errors: MGA_E_INVALID (NULL fn, NULL p with len > 0, an unknown
 * flag), MGA_E_WRITE (fn returned non-zero: nothing more is written). Thread-safe. */
MGA_API mga_status mga_text_write(const char *p, size_t len, unsigned flags, mga_write_fn fn,
                                  void *ud);

/* ---- Profiles and evaluation --------------------------------------------------------- */

/* Parses a JSON profile against the rule set's schema. name labels diagnostics. Wrong
 * types, values out of range, unknown symbols and unknown fields are errors (MGA_E_PROFILE);
 * with mga_options.allow_unknown_fields on the engine that compiled rs, unknown fields are
 * warnings instead, which the profile keeps and every result evaluated from it carries.
 * That holds for the keys of a quantity object too ({"value", "unit"} only). Strings must
 * decode to UTF-8 text: an escaped lone surrogate ("\udc00") or NUL ("\u0000") is an error
 * at the escape (E4015, E4016). At most MGA_PROFILE_MAX_DIAGS diagnostics are listed; the
 * rest are counted in one last diagnostic (E4014 when an error is among them, else W5020).
 * Thread-safe for distinct calls on one rule set. A profile longer than
 * MGA_PROFILE_MAX_BYTES or nested deeper than 64 levels is an error (E4012, E4009). */
#define MGA_PROFILE_MAX_BYTES ((size_t)1 << 20)
#define MGA_PROFILE_MAX_DIAGS 20
MGA_API mga_status mga_profile_parse(const mga_ruleset *rs, const char *name, const char *json,
                             size_t len, mga_profile **out, mga_diags **diags);
/* The same, reusing a profile: *inout is NULL (a profile is made) or a profile of rs from
 * an earlier call, which is emptied and overwritten and keeps its memory (the parser's
 * too), so that a loop over many profiles allocates nothing once warm. *inout is kept on
 * every outcome but MGA_E_MISUSE/MGA_E_NOMEM for a new one; after an error it holds no
 * profile (mga_evaluate refuses it with MGA_E_MISUSE) until the next call succeeds.
 * *diags (when diags is not NULL) is set only when there is a diagnostic (an error or
 * a warning), else NULL. A result evaluated from *inout is stale after the next call. */
MGA_API mga_status mga_profile_parse_reuse(const mga_ruleset *rs, const char *name,
                                           const char *json, size_t len, mga_profile **inout,
                                           mga_diags **diags);
MGA_API void mga_profile_free(mga_profile *p);

/* ---- FHIR input ---------------------------------------------------------------------- */

/* Reads FHIR R4 resources into a profile of rs through the rule set's `fhir` bindings
 * (docs/FHIR.md): json is a Bundle of any type (collection, searchset, transaction...;
 * entries without a resource are skipped) or a JSON array of resources; date is the
 * request date, "YYYY-MM-DD", on which Patient.birthDate gives the age in completed years.
 * Only active Conditions (clinicalStatus active, recurrence or relapse; not
 * verificationStatus refuted or entered-in-error), active MedicationRequests and
 * MedicationStatements, and final, amended or corrected Observations count; of the
 * observations bound to one field, the latest by effective[x] gives its value, its UCUM
 * unit converted through the field's dimension. A set field whose resources are present
 * is given (empty when none carries a bound code); otherwise fields stay missing.
 * The profile is the one mga_profile_parse builds from the profile JSON that
 * mga_fhir_write_profile writes, so its advice is that profile's advice.
 * name labels diagnostics; json is borrowed for the call (len bytes, no NUL needed).
 * Errors (MGA_E_PROFILE, *diags saying where by JSON path): not JSON; not a Bundle or an
 * array; a resource or element of the wrong JSON type; a resource without resourceType;
 * a bad date or dateTime; an observation's unit not in its field's dimension; a value
 * outside its field's range (E4003) or that no double holds (E4008), both at the
 * resource's own path (an Observation's valueQuantity.value, a Patient's birthDate); a bad
 * request date; a birth date after the request date; input larger than
 * MGA_FHIR_MAX_BYTES or nested deeper than 64 levels; and input that gives no profile
 * field at all (E4036: never a silent empty profile). A partial birth date (YYYY or
 * YYYY-MM) leaves age missing with warning W5030, kept in the profile: every result
 * evaluated from it carries it, by its FHIR JSON path, as mga_result_write says. *out is
 * NULL on error; on success free it with mga_profile_free. If diags != NULL, *diags
 * receives the list (warnings too) or NULL when there is none. MGA_E_MISUSE for a NULL rs, json (with len > 0), date or out;
 * MGA_E_NOMEM. Thread-safe for distinct calls on one rule set. */
#define MGA_FHIR_MAX_BYTES ((size_t)16 << 20)
MGA_API mga_status mga_profile_from_fhir(const mga_ruleset *rs, const char *name, const char *json,
                                         size_t len, const char *date, mga_profile **out,
                                         mga_diags **diags);
/* The same mapping, reading the FHIR resources straight out of a CDS Hooks request: json
 * is the whole request (an object, as the EHR sent it), whose "prefetch" object holds per
 * key null (not prefetched), a Bundle (each entry's resource object is read; entries
 * without one are passed over) or a resource, read in the order given, so that the request
 * is parsed once and no resource is copied. Diagnostics name the request's own JSON path
 * ("$.prefetch.observations.entry[0].resource.valueQuantity.value"); medicationReference
 * looks among the prefetch's resources and Bundle entries by id. Besides the errors of
 * mga_profile_from_fhir (json not an object, or "prefetch" not an object, is E4033; a
 * request without "prefetch" or with nothing in it, E4036), each prefetched resource that
 * gives the profile nothing is a warning W5031 at its path: a resource type no binding
 * reads, a second Patient, a Condition not active (or refuted), a medicine not active, an
 * Observation not final or without a value, a code or value no binding names; and so is a
 * prefetch value that is neither null nor an object. Like W5030 these are kept in the
 * profile (at most MGA_PROFILE_MAX_DIAGS, then a count) and carried in its results; the
 * advice is the advice of the same resources given to mga_profile_from_fhir as a JSON
 * array. Ownership, NULL behaviour (MGA_E_MISUSE), limits (MGA_FHIR_MAX_BYTES for the
 * request, 64 levels), MGA_E_NOMEM and threads as mga_profile_from_fhir. */
MGA_API mga_status mga_profile_from_prefetch(const mga_ruleset *rs, const char *name,
                                             const char *json, size_t len, const char *date,
                                             mga_profile **out, mga_diags **diags);
/* mga_profile_from_prefetch, and the rest of the request for a service that answers it,
 * from one reading of the text: once json parses (whatever the mapping then gives), the
 * request is written through one call of rest_fn as one JSON object and a newline, every
 * member as given except "prefetch", which is written as an object of the same keys, each
 * value as its outline: {} for an object (a resource), [] for an array, null and other
 * scalars as they are (a prefetch or a request that is not an object: its outline). So a
 * service checks hook, context and which prefetch keys came without reading the
 * resources a second time. Text that does not parse (E4001; nested deeper than 64 levels,
 * E4039) gives MGA_E_PROFILE without a call of rest_fn. MGA_E_MISUSE for a NULL rest_fn;
 * MGA_E_WRITE when rest_fn returns non-zero (then no profile); otherwise, ownership, NULL
 * behaviour, errors and threads as mga_profile_from_prefetch. */
MGA_API mga_status mga_profile_from_request(const mga_ruleset *rs, const char *name,
                                            const char *json, size_t len, const char *date,
                                            mga_profile **out, mga_write_fn rest_fn, void *ud,
                                            mga_diags **diags);
/* The same mapping, writing the profile JSON (one object and a newline, fields in schema
 * order, numbers as the FHIR input wrote them) through one call of fn instead of parsing
 * it. Errors as mga_profile_from_fhir's mapping errors, and MGA_E_MISUSE for a NULL fn,
 * MGA_E_WRITE; what it writes, parsed by mga_profile_parse, gives the profile
 * mga_profile_from_fhir gives. */
MGA_API mga_status mga_fhir_write_profile(const mga_ruleset *rs, const char *name,
                                          const char *json, size_t len, const char *date,
                                          mga_write_fn fn, void *ud, mga_diags **diags);

/* Writes the CDS Hooks prefetch templates of rs's FHIR bindings through one call of fn:
 * one JSON object on one line and a newline, a member per FHIR query the bindings need,
 * in this order and only when some binding reads the resource: "patient"
 * ("Patient/{{context.patientId}}"), "conditions" ("Condition?patient=..."),
 * "medicationRequests", "medicationStatements", and "observations"
 * ("Observation?patient={{context.patientId}}&code=SYSTEM|CODE,..." with every bound
 * observation code once, in binding order). A rule set without bindings gives {}.
 * MGA_E_MISUSE for a NULL rs or fn, MGA_E_NOMEM, MGA_E_WRITE. Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_write_prefetch(const mga_ruleset *rs, mga_write_fn fn, void *ud);

/* Evaluates the rule graph. Thread-safe for distinct profiles on one rule set. The
 * result borrows from rs and p: free it before either. */
MGA_API mga_status mga_evaluate(const mga_ruleset *rs, const mga_profile *p, mga_result **out);
/* The same, reusing a result: *inout is NULL (a new result is made) or a result of rs
 * from an earlier call, which is overwritten and keeps its memory, so that a loop over many
 * profiles allocates nothing once warm. The result borrows p, as above. MGA_E_MISUSE if
 * *inout belongs to another rule set (*inout is left as it was); MGA_E_NOMEM only when a
 * new result cannot be made (*inout stays NULL). Free the last result with mga_result_free. */
MGA_API mga_status mga_evaluate_reuse(const mga_ruleset *rs, const mga_profile *p,
                                      mga_result **inout);
MGA_API void mga_result_free(mga_result *r);

typedef enum mga_format {
    MGA_FORMAT_JSON,        /* one line */
    MGA_FORMAT_JSON_PRETTY, /* indented */
    MGA_FORMAT_TEXT,        /* short, for a patient: the summary, then every critical and
                             * warning item, the other act items up to 8 items in all,
                             * background items only while fewer than 4 are shown (in rank
                             * order), a line counting the items left out,
                             * references of the items shown, the disclaimer; control and
                             * bidi characters of the data as escapes */
    MGA_FORMAT_JSON_LEAN,   /* one line, what varies per profile, each fact once, to be
                             * read with the rule set's catalog (mga_ruleset_write_catalog),
                             * which holds the rest; the default of batches:
                             *   {"ruleset_hash":H,["warnings":[...],]"decision":D,
                             *    "decided_by":[ID,...],"advice":[[ID,KIND,SEVERITY],...],
                             *    "see_doctor":null|{"urgency":U,"rules":[ID,...]},
                             *    "dose":{["start_mg":N,"start_rule":ID,]["target_mg":N,
                             *    "target_rule":ID,]["max_mg":N,"max_rule":ID]},
                             *    "forms":{"supplements_rule":ID|null,"prefer":[FORM,...],
                             *    "avoid":[FORM,...]},"overruled":[...],"disclaimer":TEXT}
                             * H is the catalog's ruleset.hash; advice in rank order; a dose
                             * the result does not give is left out; overruled and warnings
                             * as in MGA_FORMAT_JSON. No "id": a batch record carries it.
                             * docs/OUTPUT.md says how the catalog gives back the
                             * MGA_FORMAT_JSON result exactly. */
    MGA_FORMAT_TEXT_ALL     /* as MGA_FORMAT_TEXT, but every item (mgadvise eval --all),
                             * and what resolution overruled */
} mga_format;

/* The JSON formats hold every advice item, in rank order, each with "rank" (1 = act on
 * it first) and "group" ("act" or "background"), and after "ruleset" a "summary":
 *   {"decision":"within_limits"|"ask_doctor_first"|"do_not_take","decided_by":[ID,...],
 *    "prefer":[FORM,...],"start_mg":N|null,"target_mg":N|null,"max_mg":N|null,
 *    "see_doctor":null|{"urgency":U,"reasons":[{"rule":ID,"urgency":U},...]}}
 * (see mga_summary below and docs/OUTPUT.md). */
/* A result read from a profile with warnings (unknown fields under
 * mga_options.allow_unknown_fields, at most MGA_PROFILE_MAX_DIAGS and the W5020 count; the
 * FHIR reader's W5030 for a profile from mga_profile_from_fhir) carries them: every JSON format has "warnings":[{"code":"W5001","path":P,"message":M,
 * "note":N or null},...] right after "ruleset", and the text format lists them under
 * "Profile warnings". Without warnings the member is absent.
 * Writes r in fmt through one call of fn (text: several calls). The JSON line is built in a
 * buffer r keeps for the next write, so r must not be written from two threads at once.
 * MGA_E_MISUSE for a NULL r or fn or an unknown fmt, MGA_E_NOMEM, MGA_E_WRITE. */
MGA_API mga_status mga_result_write(const mga_result *r, mga_format fmt, mga_write_fn fn, void *ud);

/* One piece of a result's compact JSON line (mga_result_parts). stable is non-zero when p
 * is a constant part of the rule set (a whole advice item or reference entry): it stays
 * valid and unchanged as long as the rule set does, so a writer may keep the pointer (for
 * writev) instead of copying the bytes. The other parts point into r's buffer and hold
 * until r is next evaluated, written or freed. */
typedef struct mga_part {
    const char *p;
    size_t len;
    int stable;
} mga_part;

/* r as one JSON line (MGA_FORMAT_JSON or MGA_FORMAT_JSON_LEAN) in *nparts parts, in
 * order: their concatenation is the line mga_result_write gives, byte for byte. The large
 * constant parts (the advice items and references of MGA_FORMAT_JSON, a few hundred bytes
 * each) are where they lie in the rule set, with stable set, instead of being copied into
 * r's buffer (items that lie side by side there, as often in the order results cite them,
 * as one part); the rest comes in buffer pieces between them. The array is r's, valid as
 * long as the buffer pieces. Same threading rule as mga_result_write. MGA_E_MISUSE for a
 * NULL argument or another fmt, MGA_E_NOMEM (then *parts is NULL and *nparts 0). */
MGA_API mga_status mga_result_parts(const mga_result *r, mga_format fmt, const mga_part **parts,
                                    size_t *nparts);

/* Writes the catalog of rs through one call of fn: the per-rule constants that
 * MGA_FORMAT_JSON_LEAN results leave out, as one JSON object and a newline:
 *   {"ruleset":{"name":N,"hash":H},"disclaimer":D,
 *    "rules":{ID:ITEM,...},
 *    "sources":[{"source":KEY,"document":TITLE,"author":A,"publisher":P,"url":U,
 *                "references":[{"ref":N,"text":T},...]},...]}
 * ITEM is every rule's advice item exactly as MGA_FORMAT_JSON writes it but for its
 * "rank" (group, text, evidence, refer, forms, "cite" with source, ref and quote), so
 * {"rank":K} followed by the members of rules[ID] gives back the K-th full advice item.
 * The full "references" array is
 * the distinct (source, ref) pairs of those items' cites in order of first citation,
 * numbered "n" from 1, each with "source", "ref" (null for none), "text" (the source's
 * reference text, null for ref null), "document", "author" and "publisher" of the source.
 * Absent strings are null. MGA_E_MISUSE for a NULL rs or fn, MGA_E_NOMEM, MGA_E_WRITE.
 * Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_write_catalog(const mga_ruleset *rs, mga_write_fn fn, void *ud);

/* ---- Walking a result ---------------------------------------------------------------- */

typedef enum mga_severity { MGA_INFO = 0, MGA_WARNING = 1, MGA_CRITICAL = 2 } mga_severity;

typedef enum mga_kind {
    MGA_KIND_AVOID,
    MGA_KIND_PREFER,
    MGA_KIND_DOSE,
    MGA_KIND_REFER,
    MGA_KIND_INFO,
    MGA_KIND_WARN,
    MGA_KIND_DISAGREEMENT,
    MGA_KIND_WITHHOLD /* supplements withheld until a doctor agrees ("ask a doctor first") */
} mga_kind;

typedef struct mga_cite {
    const char *source; /* source key, e.g. "sleep" */
    unsigned ref;       /* numbered reference, 0 when none */
    const char *quote;  /* NULL when none */
} mga_cite;

/* An advice item's group. act: the item says what to do (it avoids, refers, states a dose,
 * prefers or warns) or its severity is warning or critical. background: the rest, info items
 * that explain (study findings, food lists, disagreements between the sources). */
typedef enum mga_group { MGA_GROUP_ACT = 0, MGA_GROUP_BACKGROUND = 1 } mga_group;

/* An advice item is its rule's: every field is the same in every result of one rule set,
 * so what a caller derives from an item (a card, a rendering) may be kept by its rule. */
typedef struct mga_advice {
    const char *rule;
    mga_kind kind;
    mga_severity severity;
    const char *text;
    const char *evidence;
    const char *refer; /* "urgent", "soon", "routine" or NULL */
    const mga_cite *cites;
    size_t ncites;
    mga_group group; /* the rule's: the same in every result */
} mga_advice;

typedef struct mga_dose {
    bool has_start, has_target, has_max;
    double start_mg, target_mg, max_mg;
    const char *start_rule, *target_rule, *max_rule; /* NULL when unset */
} mga_dose;

/* The profile's "id" as text, or NULL (none, or a NULL r): a string's text, or an integer's
 * digits as written ("id": 5 gives "5"). Valid until r is next evaluated or freed. */
MGA_API const char *mga_result_id(const mga_result *r);
/* True when the id was a JSON integer (write it back unquoted); false for a string, no id
 * or a NULL r. */
MGA_API bool mga_result_id_is_number(const mga_result *r);
MGA_API size_t mga_result_advice_count(const mga_result *r);
/* Item i in rank order: its rank is i + 1. The order: critical items, then warning items,
 * then the other act items; within each of those by action (refer urgent, soon, routine,
 * then avoid, dose, prefer, warn, then the rest), then source order. A background item
 * follows the first act item that prefers or avoids a form the background item's text
 * names (a whole word, any case, '_' read as a space); background items that name no such
 * form come last, in source order. Valid until r is next evaluated or freed; NULL for a
 * NULL r or i past the end. */
MGA_API const mga_advice *mga_result_advice_ref(const mga_result *r, size_t i);
MGA_API const mga_dose *mga_result_dose_ref(const mga_result *r);
/* Forms after resolution: preferred (avoid beats prefer) and avoided, in rule order. */
MGA_API size_t mga_result_prefer_count(const mga_result *r);
MGA_API const char *mga_result_prefer_ref(const mga_result *r, size_t i);
MGA_API size_t mga_result_avoid_count(const mga_result *r);
MGA_API const char *mga_result_avoid_ref(const mga_result *r, size_t i);
MGA_API const char *mga_result_disclaimer(const mga_result *r);

/* ---- The summary: what a patient reads first ------------------------------------------ */

typedef enum mga_decision {
    MGA_DECISION_WITHIN_LIMITS = 0, /* "within_limits": fine within the dose limits */
    MGA_DECISION_ASK_DOCTOR_FIRST,  /* "ask_doctor_first": a rule withholds supplements */
    MGA_DECISION_DO_NOT_TAKE        /* "do_not_take": a rule avoids supplements */
} mga_decision;

typedef struct mga_referral {
    const char *rule;    /* the referring rule's id */
    const char *urgency; /* "urgent", "soon" or "routine" */
} mga_referral;

/* Every referral of a result merged into one "see a doctor" entry, with the decision
 * about supplements and the dose and forms that hold. */
typedef struct mga_summary {
    mga_decision decision;  /* do_not_take when a fired rule avoids supplements; else
                             * ask_doctor_first when one withholds them; else within_limits */
    const char *const *decided_by; /* the rule ids that decided it: every fired rule that
                                    * avoids supplements (do_not_take), every one that withholds
                                    * them (ask_doctor_first); none for within_limits */
    size_t ndecided_by;
    const char *const *prefer; /* the preferred forms after resolution, in rule order */
    size_t nprefer;
    bool has_start, has_target, has_max; /* the dose after resolution (mga_result_dose_ref) */
    double start_mg, target_mg, max_mg;
    const char *refer;           /* the most urgent referral's urgency; NULL: none */
    const mga_referral *reasons; /* each advice item that refers: most urgent first, then
                                  * in rank order */
    size_t nreasons;
} mga_summary;

/* The summary of r. Borrowed: it and its arrays live until r is next evaluated or freed.
 * NULL for a NULL r. Reads r only: it may be called from several threads at once on one
 * result that no thread is evaluating or writing. */
MGA_API const mga_summary *mga_result_summary_ref(const mga_result *r);
/* "within_limits", "ask_doctor_first", "do_not_take"; "?" for another value. */
MGA_API const char *mga_decision_str(mga_decision d);
/* "act" or "background"; "?" for another value. */
MGA_API const char *mga_group_str(mga_group g);

/* ---- Explaining and coverage (for clinicians who edit rules) ------------------------- */

/* Writes why r came out as it did: for every advice item its rule and condition tree as
 * written in the rule files, each part with its value (true, false, unknown) and the
 * profile values it read, derived facts expanded under their use; what resolution
 * overruled and which rule overruled it; and for every rule that did not fire, the first
 * condition that failed with the value seen ("field missing" when absent). rule != NULL
 * limits it to that rule (its whole tree, fired or not). fmt is MGA_FORMAT_TEXT (an
 * indented tree) or MGA_FORMAT_JSON (one object and a newline). One call of fn. Errors:
 * MGA_E_MISUSE (NULL r or fn, another format), MGA_E_INVALID (an unknown rule id), MGA_E_NOMEM,
 * MGA_E_WRITE. Reads r only: thread rules as for r. */
MGA_API mga_status mga_result_explain_write(const mga_result *r, const char *rule, mga_format fmt,
                                            mga_write_fn fn, void *ud);

/* Rule and condition coverage accumulated over many results of one rule set: which rules
 * fired, and which written conditions (each test of a field or fact) were seen true and
 * seen false. Borrows rs: free it first. One thread at a time. */
typedef struct mga_coverage mga_coverage;
MGA_API mga_status mga_coverage_new(const mga_ruleset *rs, mga_coverage **out);
/* Counts one result (of the same rule set; else MGA_E_MISUSE). MGA_E_NOMEM. */
MGA_API mga_status mga_coverage_add(mga_coverage *cov, const mga_result *r);
/* Rules fired by at least one result, and that as a percentage of all rules (100 for a
 * rule set without rules). 0 for NULL. */
MGA_API size_t mga_coverage_rules_fired(const mga_coverage *cov);
MGA_API double mga_coverage_percent(const mga_coverage *cov);
/* A text report: the share of rules fired, each rule never fired (file:line), each
 * condition never seen true and never seen false (file:line:col, owner, text). */
MGA_API mga_status mga_coverage_write(const mga_coverage *cov, mga_write_fn fn, void *ud);
MGA_API void mga_coverage_free(mga_coverage *cov);

/* Rule tests: 'test' blocks (the test file format in docs/TESTING.md) compiled against a
 * rule set: every field, value, unit, rule id and form is checked, each mistake reported
 * as a located diagnostic (MGA_E_COMPILE). The tests borrow rs: free them first. */
typedef struct mga_tests mga_tests;
MGA_API mga_status mga_tests_compile(mga_engine *eng, const mga_ruleset *rs,
                                     const mga_source *srcs, size_t n, mga_tests **out,
                                     mga_diags **diags);
MGA_API size_t mga_tests_count(const mga_tests *t);
/* Runs every test: evaluates its profile and checks its expectations. Each failing test is
 * written (one call of fn, none when all pass) with file:line:col, and for each failed
 * expectation what was expected and what the result holds (for a rule, the conditions
 * that decided it). *failed (may be NULL) gets the number of failing tests. If cov is not
 * NULL every result is added to it. MGA_E_MISUSE, MGA_E_NOMEM, MGA_E_WRITE. */
MGA_API mga_status mga_tests_run(const mga_tests *t, mga_coverage *cov, mga_write_fn fn,
                                 void *ud, size_t *failed);
MGA_API void mga_tests_free(mga_tests *t);

/* ---- Batch: a stream of JSON-lines profiles evaluated on threads, output in input order */

/* Every input line is a record: one JSON profile, or a blank line (only spaces, tabs and
 * CR), which is counted and writes nothing (CSV input: see MGA_BATCH_INPUT_CSV). Lines end
 * in LF or CRLF; the last may lack its line end. Each record gives one output line, what
 * `mgadvise batch` writes:
 *   {"line":N,"id":ID,"result":RESULT}  with RESULT as MGA_FORMAT_JSON_LEAN (or, with
 *                                       full, MGA_FORMAT_JSON) gives it
 *   {"line":N,"id":ID,"error":{"field":PATH,"code":"E4002","message":M,"column":C}}
 * N the input line number, ID the profile's id as given (a string, an integer or null),
 * PATH the JSON path of the bad value or null, C its column (0 when unknown); strings are
 * escaped as in RESULT, a byte that is not UTF-8 written as U+FFFD. A bad record does not
 * stop the batch. A line longer than MGA_PROFILE_MAX_BYTES (for FHIR input,
 * MGA_FHIR_MAX_BYTES) costs bounded memory and is an error record (E4012). */
typedef struct mga_batch mga_batch;

#define MGA_BATCH_MAX_JOBS 64

/* What each input line holds. */
typedef enum mga_batch_input {
    MGA_BATCH_INPUT_JSON, /* a profile (mga_profile_parse) */
    MGA_BATCH_INPUT_FHIR, /* FHIR R4 resources, a Bundle or an array of them, read as
                           * mga_profile_from_fhir reads them on the request date
                           * mga_batch_options.date: the profile and advice of `mgadvise
                           * eval --fhir`. A line that is bad FHIR or maps to no profile
                           * field is an error record naming the JSON path (E4001,
                           * E4031-E4039).
                           * ID is the profile's id on a good record, the line's top-level
                           * "id" (the Bundle's) or null on an error record. */
    MGA_BATCH_INPUT_CSV   /* CSV (RFC 4180) as spreadsheets write it: a header row naming a
                           * profile field (or "id") per column, each once, a UTF-8 byte
                           * order mark before it skipped; then a record per row, its
                           * cells typed by their fields (a number, a number and a unit
                           * "45 nmol/L", true/false in any case, a one-of symbol, a set as
                           * symbols separated by ';' with '-' the empty set, text); an
                           * empty cell leaves the field out. Quoted cells may hold ',',
                           * '""' and line breaks: N is the line a record starts on, a
                           * blank line between records is counted. A row with the wrong
                           * number of cells, bad quoting, invalid UTF-8 or a NUL is an
                           * error record with code null, C its 1-based column; a cell of
                           * the wrong type one with code E4002 and PATH its field; a record
                           * longer than MGA_PROFILE_MAX_BYTES one with E4012 (reading goes
                           * on at the next record). A header that names no field, or a
                           * field twice, stops the batch: MGA_E_PROFILE, and
                           * mga_batch_diags_ref says why (E4041-E4045, with its line).
                           * skip drops the records that start on line skip or before; the
                           * header is always read. */
} mga_batch_input;

/* Output as pieces (mga_batch_options.parts): v[0..n) in order are the next whole output
 * lines, the pieces with stable set the rule set's own text (valid as long as the rule set),
 * the others valid until the call returns; a writev(2) takes them as they are. Return 0
 * when all was written; else set *done to the bytes that were (the records they hold whole
 * are counted, and mga_batch_stats.partial gets the bytes of a partial last line) and
 * return non-zero: the batch stops with MGA_E_WRITE. */
typedef int (*mga_batch_parts_fn)(void *ud, const mga_part *v, size_t n, size_t *done);

typedef struct mga_batch_options {
    unsigned jobs;             /* worker threads, 1 to MGA_BATCH_MAX_JOBS; 1 runs every
                                * record on the thread that feeds it */
    bool full;                 /* results as MGA_FORMAT_JSON (mgadvise batch --full);
                                * false: MGA_FORMAT_JSON_LEAN */
    mga_batch_input input;     /* what each line holds (default MGA_BATCH_INPUT_JSON) */
    const char *date;          /* MGA_BATCH_INPUT_FHIR: the request date, "YYYY-MM-DD"
                                * (copied), on which Patient.birthDate gives the age */
    unsigned long long skip;   /* the first skip input lines are read and dropped */
    unsigned long long start;  /* the number of the line before the first: the first input
                                * line is N = start + 1 (a part of a larger input) */
    /* Where the output goes: fn(ud, p, n) gets whole output lines, in input order, from one
     * thread at a time (a worker or the feeding thread), never two calls at once. A
     * non-zero return stops the batch (the call that sees it returns MGA_E_WRITE). NULL
     * fn: the output is kept for mga_batch_read. */
    mga_write_fn fn;
    void *ud;
    /* Cohort statistics: every good record's advice is counted (per worker, merged at the
     * end) for mga_batch_stats_write. */
    bool stats;
    /* Output as pieces through parts (with ud) instead of fn. With gather, the rule set's
     * constant text (advice items, references) is handed out where it lies instead of
     * copied: for a writev(2) into a pipe or a socket; into a regular file, copying costs
     * less than the page cache's per-piece work. gather needs parts. */
    mga_batch_parts_fn parts;
    bool gather;
} mga_batch_options;

typedef struct mga_batch_stats {
    unsigned long long records; /* records written: ok + errors */
    unsigned long long ok, errors;
    unsigned long long blanks;  /* blank lines skipped (counted once the lines around are written) */
    unsigned long long line;    /* the last input line whose output (if any) is written */
    unsigned long long partial; /* after the output failed (parts): the bytes of a partial
                                 * last line it took, which a file should lose */
} mga_batch_stats;

/* Defaults: 1 job, lean results, JSON profiles, nothing skipped, start 0, output kept
 * (fn and parts NULL), no statistics. */
MGA_API void mga_batch_options_init(mga_batch_options *opt);
/* Starts a batch over rs, which must outlive it (borrowed; rs may serve other threads at
 * once). opt is copied. With jobs > 1 it starts that many worker threads, which evaluate
 * and write; with 1, none. *out is NULL on failure. Errors: MGA_E_MISUSE (NULL rs, opt or
 * out, jobs 0 or over MGA_BATCH_MAX_JOBS, an unknown input, FHIR input without a date, gather
 * without parts),
 * MGA_E_INVALID (a date not of the form YYYY-MM-DD), MGA_E_NOMEM (also when a thread
 * cannot be started). */
MGA_API mga_status mga_batch_open(const mga_ruleset *rs, const mga_batch_options *opt,
                                  mga_batch **out);
/* Feeds len bytes of input (copied; any split: a line may span calls). Records are
 * evaluated as chunks of lines fill; with threads, the call waits while every chunk is in
 * use (bounded memory). MGA_E_MISUSE (NULL b, NULL buf with len > 0, after finish),
 * MGA_E_NOMEM, MGA_E_WRITE (fn or parts failed), MGA_E_PROFILE (a bad CSV header), or the
 * first such error of an earlier call: after one, the batch only stops. One thread at a time per batch; the library holds no lock of
 * the caller's, so a binding may release its own (Python's GIL) around the call. */
MGA_API mga_status mga_batch_feed(mga_batch *b, const char *buf, size_t len);
/* The end of the input: the last line (without its line end) is a record, every record is
 * evaluated and written, the threads stop. end false: the input stops early (an interrupt):
 * a line not ended is dropped; the records read are still written. Errors as
 * mga_batch_feed. A second call returns the first call's status. */
MGA_API mga_status mga_batch_finish(mga_batch *b, bool end);
/* With opt->fn NULL: *p, *len get the output lines written since the previous call (whole
 * lines, input order; *len 0 when none is ready yet: more may come until mga_batch_finish
 * has returned). *p stays valid until the next mga_batch_read or mga_batch_close.
 * MGA_E_MISUSE for a NULL argument or a batch with fn. Same thread rule as feed. */
MGA_API mga_status mga_batch_read(mga_batch *b, const char **p, size_t *len);
/* The counts so far (all zero for NULL b). Exact after mga_batch_finish. */
MGA_API void mga_batch_stats_get(const mga_batch *b, mga_batch_stats *out);
/* After mga_batch_finish, with opt.stats: the cohort statistics of the records written,
 * through one call of fn, one line of JSON: {"records","ok","errors","rules":{ID:N} (every
 * rule, in rule order: the records it gave advice for),"never_fired":[ID],"forms":{"prefer":
 * {FORM:N},"avoid":{FORM:N}} (forms by name, those of some record),"severity":{"critical",
 * "warning","info"} (advice items)}. MGA_E_MISUSE (NULL b or fn, no stats, not finished),
 * the batch's own error when it failed (its counts would not describe its output),
 * MGA_E_NOMEM, MGA_E_WRITE. */
MGA_API mga_status mga_batch_stats_write(const mga_batch *b, mga_write_fn fn, void *ud);
/* The diagnostics of an input that stopped the batch with MGA_E_PROFILE (a bad CSV
 * header), borrowed until mga_batch_close; NULL when there are none. */
MGA_API const mga_diags *mga_batch_diags_ref(const mga_batch *b);
/* Stops the threads (unfinished: records not yet written are dropped) and frees b.
 * NULL is a no-op. */
MGA_API void mga_batch_close(mga_batch *b);

/* ---- Cross references, for editors (mgadvise lsp) ------------------------------------ */

typedef enum mga_decl_kind {
    MGA_DECL_SOURCE,    /* `source KEY` */
    MGA_DECL_FIELD,     /* a field of `profile` */
    MGA_DECL_FACT,      /* `fact NAME` */
    MGA_DECL_RULE,      /* `rule ID` */
    MGA_DECL_INVARIANT, /* `invariant ID` */
    MGA_DECL_TEST       /* `test "NAME"` of a test file */
} mga_decl_kind;

/* One declaration of a file: its kind, its name (a test's name without quotes), where the
 * name is written (for a test, its `test` keyword) and where the whole declaration is
 * written (from its first keyword to its `end`, or to its last word when it has none; a
 * field from its name to its last value): 1-based lines and columns in code points, the
 * end columns just past the end. */
typedef struct mga_decl {
    mga_decl_kind kind;
    const char *name;
    unsigned line, col, end_line, end_col;
    unsigned decl_line, decl_col, decl_end_line, decl_end_col;
} mga_decl;

/* The declarations of one rule or test file, in source order. */
typedef struct mga_outline mga_outline;

/* Parses text (one rule or test file; name labels diagnostics; need not be NUL-terminated)
 * and lists what it declares, as far as it parses: a syntax error skips to the next
 * declaration, as the compiler does, and is reported in *diags. Names are not resolved
 * (they may live in other files). On MGA_OK *out owns the outline (free with
 * mga_outline_free), even when the text has errors. If diags != NULL, *diags receives the
 * diagnostics (free with mga_diags_free). Errors: MGA_E_MISUSE (NULL eng or out),
 * MGA_E_INVALID (text over 64 MiB), MGA_E_NOMEM; *out is then NULL. One thread at a time
 * per engine. */
MGA_API mga_status mga_outline_new(mga_engine *eng, const char *name, const char *text,
                                   size_t len, mga_outline **out, mga_diags **diags);
/* The number of declarations (0 for NULL), and declaration i (NULL for a NULL o or i past
 * the end): it and its name live as long as o. Read-only: thread-safe. */
MGA_API size_t mga_outline_count(const mga_outline *o);
MGA_API const mga_decl *mga_outline_ref(const mga_outline *o, size_t i);
MGA_API void mga_outline_free(mga_outline *o);

/* What a compiled rule set holds about one rule. */
typedef struct mga_rule_info {
    const char *id;
    const char *file; /* the source it is declared in (its mga_source name) */
    unsigned line;    /* the line of its `rule` keyword */
    mga_severity severity;
    mga_kind kind;
    const char *say;      /* the advice text */
    const char *evidence; /* its evidence grade as written ("guideline", "rct"), or NULL */
    const mga_cite *cites; /* in the order written, with the quoted passages */
    size_t ncites;
} mga_rule_info;

/* Describes rule i (the order of mga_ruleset_rule_id) into *out; every pointer lives as
 * long as rs. MGA_E_MISUSE for a NULL rs or out or i past the end (*out is then zeroed).
 * Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_rule(const mga_ruleset *rs, size_t i, mga_rule_info *out);

/* A unit a number may carry: one `name` is `factor` of `base`. */
typedef struct mga_unit_info {
    const char *name;      /* "ng/mL" */
    const char *dimension; /* "vitamin_d_level"; NULL for a field's own unit outside any */
    const char *base;      /* the dimension's base unit ("nmol/L"); name itself without one */
    double factor;         /* 2.496 (1 for the base) */
} mga_unit_info;

/* The units a number compared with field i may carry: its dimension's units, base first,
 * or its declared unit alone when that belongs to no dimension. 0 for a field without a
 * unit, a NULL rs or i past the end. Thread-safe on a shared rs. */
MGA_API size_t mga_ruleset_field_unit_count(const mga_ruleset *rs, size_t i);
/* Unit k of field i into *out; every pointer lives as long as rs. MGA_E_MISUSE for a NULL
 * rs or out, or i or k past the end (*out is then zeroed). Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_field_unit(const mga_ruleset *rs, size_t i, size_t k,
                                          mga_unit_info *out);

/* The supplement forms the rule set declares (`forms`), in declaration order: their number
 * (0 for NULL) and form i (NULL for a NULL rs or i past the end; lives as long as rs). */
MGA_API size_t mga_ruleset_form_count(const mga_ruleset *rs);
MGA_API const char *mga_ruleset_form(const mga_ruleset *rs, size_t i);

/* A source the rules cite (`source KEY "TITLE"`); strings NULL when not given. */
typedef struct mga_source_info {
    const char *key, *title, *author, *publisher, *url;
    size_t nrefs; /* its numbered references (`ref N "TEXT"`) */
} mga_source_info;

/* The number of sources (0 for NULL), in declaration order. */
MGA_API size_t mga_ruleset_source_count(const mga_ruleset *rs);
/* Describes source i into *out; every pointer lives as long as rs. MGA_E_MISUSE for a NULL
 * rs or out or i past the end (*out is then zeroed). Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_source(const mga_ruleset *rs, size_t i, mga_source_info *out);
/* Numbered reference k of source i (in declaration order): its number in *n, its text in
 * *text (lives as long as rs). MGA_E_MISUSE for a NULL argument or i or k past the end
 * (*n is then 0 and *text NULL). Thread-safe on a shared rs. */
MGA_API mga_status mga_ruleset_source_ref(const mga_ruleset *rs, size_t i, size_t k,
                                          unsigned *n, const char **text);

/* Evidence grade i a rule may give (`evidence GRADE`: "guideline", "rct", ...), in the
 * documented order; NULL past the last. Static strings. */
MGA_API const char *mga_evidence_grade(size_t i);

MGA_API const char *mga_kind_str(mga_kind k);
MGA_API const char *mga_severity_str(mga_severity s);

#ifdef __cplusplus
}
#endif
#endif
