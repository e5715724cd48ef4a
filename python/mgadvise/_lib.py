# SPDX-License-Identifier: MIT
"""Loads libmgadvise through cffi in ABI mode (no compiled extension): the declarations
below restate the part of include/mgadvise.h that the package uses."""
import os

from cffi import FFI

ffi = FFI()
ffi.cdef(
    """
typedef enum mga_status {
    MGA_OK = 0, MGA_E_NOMEM, MGA_E_INVALID, MGA_E_IO, MGA_E_COMPILE, MGA_E_PROFILE,
    MGA_E_WRITE
} mga_status;
const char *mga_status_str(mga_status st);

typedef struct mga_engine mga_engine;
typedef struct mga_ruleset mga_ruleset;
typedef struct mga_profile mga_profile;
typedef struct mga_result mga_result;
typedef struct mga_diags mga_diags;
typedef void *(*mga_realloc_fn)(void *ud, void *p, size_t old_size, size_t new_size);
typedef int (*mga_write_fn)(void *ud, const char *p, size_t len);

typedef struct mga_options {
    mga_realloc_fn realloc_fn;
    void *alloc_ud;
    unsigned max_errors;
    unsigned max_depth;
    const char *sources_dir;
} mga_options;
void mga_options_init(mga_options *opt);
mga_status mga_engine_new(const mga_options *opt, mga_engine **out);
void mga_engine_free(mga_engine *eng);

mga_status mga_compile(mga_engine *eng, const char *name, const char *src, size_t len,
                       mga_ruleset **out, mga_diags **diags);
mga_status mga_compile_paths(mga_engine *eng, const char *const *paths, size_t n,
                             mga_ruleset **out, mga_diags **diags);
void mga_ruleset_free(mga_ruleset *rs);
const char *mga_ruleset_name(const mga_ruleset *rs);
const char *mga_ruleset_hash(const mga_ruleset *rs);
size_t mga_ruleset_rule_count(const mga_ruleset *rs);
const char *mga_ruleset_rule_id(const mga_ruleset *rs, size_t i);
size_t mga_ruleset_node_count(const mga_ruleset *rs);

typedef enum mga_field_type {
    MGA_FIELD_TEXT, MGA_FIELD_BOOL, MGA_FIELD_NUMBER, MGA_FIELD_ONE_OF, MGA_FIELD_SET
} mga_field_type;
typedef struct mga_field_info {
    const char *name;
    mga_field_type type;
    const char *unit;
    const char *const *symbols;
    size_t nsymbols;
} mga_field_info;
size_t mga_ruleset_field_count(const mga_ruleset *rs);
mga_status mga_ruleset_field(const mga_ruleset *rs, size_t i, mga_field_info *out);

typedef enum mga_diag_kind { MGA_DIAG_ERROR, MGA_DIAG_WARNING, MGA_DIAG_NOTE } mga_diag_kind;
typedef struct mga_diag {
    mga_diag_kind kind;
    unsigned code;
    const char *file;
    unsigned line, col;
    unsigned end_line, end_col;
    size_t offset, len;
    const char *message;
    const char *note;
} mga_diag;
size_t mga_diags_count(const mga_diags *d);
size_t mga_diags_error_count(const mga_diags *d);
const mga_diag *mga_diags_ref(const mga_diags *d, size_t i);
mga_status mga_diags_render(const mga_diags *d, mga_write_fn fn, void *ud);
void mga_diags_free(mga_diags *d);

mga_status mga_profile_parse(const mga_ruleset *rs, const char *name, const char *json,
                             size_t len, mga_profile **out, mga_diags **diags);
mga_status mga_profile_parse_reuse(const mga_ruleset *rs, const char *name,
                                   const char *json, size_t len, mga_profile **inout,
                                   mga_diags **diags);
void mga_profile_free(mga_profile *p);
mga_status mga_evaluate(const mga_ruleset *rs, const mga_profile *p, mga_result **out);
mga_status mga_evaluate_reuse(const mga_ruleset *rs, const mga_profile *p,
                              mga_result **inout);
void mga_result_free(mga_result *r);
mga_status mga_result_write(const mga_result *r, int fmt, mga_write_fn fn, void *ud);
const char *mga_result_id(const mga_result *r);
mga_status mga_result_explain_write(const mga_result *r, const char *rule, int fmt,
                                    mga_write_fn fn, void *ud);
"""
)

MGA_FORMAT_JSON = 0
MGA_FORMAT_JSON_PRETTY = 1
MGA_FORMAT_TEXT = 2

_HERE = os.path.dirname(os.path.abspath(__file__))
# python/mgadvise/ -> the repository root, when the package runs from the source tree
REPO_ROOT = os.path.dirname(os.path.dirname(_HERE))


def library_path():
    """The library this package loads: $MGADVISE_LIB, else build/libmgadvise.so of the
    source tree the package lies in, else the name libmgadvise.so for the system loader."""
    env = os.environ.get("MGADVISE_LIB")
    if env:
        return env
    built = os.path.join(REPO_ROOT, "build", "libmgadvise.so")
    if os.path.exists(built):
        return built
    return "libmgadvise.so"


def _load():
    path = library_path()
    try:
        return ffi.dlopen(path)
    except OSError as e:
        raise ImportError(
            "mgadvise: cannot load the C library '%s' (%s); build it with 'make' in the "
            "repository, or set MGADVISE_LIB to the path of libmgadvise.so" % (path, e)
        ) from None


lib = _load()
