# SPDX-License-Identifier: MIT
"""Ruleset, errors and the batch loop over the C library (see docs/PYTHON.md)."""
import datetime
import itertools
import json
import os
import re

from ._lib import MGA_FORMAT_JSON, ffi, lib

__all__ = [
    "Error", "CompileError", "RulesReadError", "ProfileError", "InvalidArgumentError",
    "OutOfMemoryError", "WriteError", "Ruleset",
]


# ---- Errors ---------------------------------------------------------------------------

class Error(Exception):
    """A failure the library reported. .status is the library's status name ("compile",
    "profile", ...), .diagnostics a list of dicts (file, line, column, end_line,
    end_column, code, severity, message, note, path: a profile diagnostic's JSON path
    such as "$.age", else None; witness: the analysis's witness profile as JSON text,
    else None)."""

    status = "error"

    def __init__(self, message, diagnostics=None):
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])


class CompileError(Error):
    """The rules have errors."""
    status = "compile"


class RulesReadError(Error):
    """A rule file or folder could not be read."""
    status = "io"


class ProfileError(Error):
    """The profile is not valid for the rule set's schema."""
    status = "profile"


class InvalidArgumentError(Error, ValueError):
    """A bad argument, such as an unknown rule id or a closed Ruleset."""
    status = "invalid"


class OutOfMemoryError(Error, MemoryError):
    status = "nomem"


class WriteError(Error):
    status = "write"


_ERRORS = {
    lib.MGA_E_NOMEM: OutOfMemoryError,
    lib.MGA_E_INVALID: InvalidArgumentError,
    lib.MGA_E_MISUSE: InvalidArgumentError,
    lib.MGA_E_IO: RulesReadError,
    lib.MGA_E_COMPILE: CompileError,
    lib.MGA_E_PROFILE: ProfileError,
    lib.MGA_E_WRITE: WriteError,
}

_SEVERITY = {lib.MGA_DIAG_ERROR: "error", lib.MGA_DIAG_WARNING: "warning",
             lib.MGA_DIAG_NOTE: "note"}
_LETTER = {lib.MGA_DIAG_ERROR: "E", lib.MGA_DIAG_WARNING: "W", lib.MGA_DIAG_NOTE: "N"}


def _text(p):
    return None if p == ffi.NULL else ffi.string(p).decode("utf-8", "replace")


# One write callback for every one-shot writer: ud is a handle of the list that collects
# the pieces, so concurrent calls from several threads do not share state.
@ffi.callback("int(void *, const char *, size_t)")
def _collect(ud, p, n):
    ffi.from_handle(ud).append(ffi.unpack(p, n))
    return 0


def _write_with(fn, *args):
    """Calls a library writer fn(*args, write_fn, ud) and returns (status, bytes)."""
    pieces = []
    h = ffi.new_handle(pieces)
    st = fn(*args, _collect, h)
    return st, b"".join(pieces)


def _diagnostics(d):
    """mga_diags -> list of dicts."""
    out = []
    if d == ffi.NULL:
        return out
    for i in range(lib.mga_diags_count(d)):
        g = lib.mga_diags_ref(d, i)
        if g == ffi.NULL:
            continue
        out.append({
            "file": _text(g.file),
            "line": g.line,
            "column": g.col,
            "end_line": g.end_line,
            "end_column": g.end_col,
            "code": "%s%04d" % (_LETTER.get(g.kind, "E"), g.code),
            "severity": _SEVERITY.get(g.kind, "error"),
            "message": _text(g.message),
            "note": _text(g.note),
            "path": _text(g.path),
            "witness": _text(g.witness),
        })
    return out


def _raise(st, what, d=ffi.NULL):
    """Raises the Error subclass for status st; the message is `what` and the rendered
    diagnostics. Frees nothing (the caller owns d)."""
    diags = _diagnostics(d)
    msg = what
    if d != ffi.NULL and diags:
        _, text = _write_with(lib.mga_diags_render, d)
        msg = "%s\n%s" % (what, text.decode("utf-8", "replace").rstrip("\n"))
    else:
        msg = "%s: %s" % (what, ffi.string(lib.mga_status_str(st)).decode())
    raise _ERRORS.get(st, Error)(msg, diags)


def _as_bytes(profile):
    if isinstance(profile, bytes):
        return profile
    if isinstance(profile, str):
        return profile.encode("utf-8")
    if isinstance(profile, (bytearray, memoryview)):
        return bytes(profile)
    if isinstance(profile, dict):
        return json.dumps(profile, ensure_ascii=False).encode("utf-8")
    raise TypeError("a profile is a dict, or JSON text as str or bytes, not %s"
                    % type(profile).__name__)


_FIELD_TYPES = {lib.MGA_FIELD_TEXT: "text", lib.MGA_FIELD_BOOL: "bool",
                lib.MGA_FIELD_NUMBER: "number", lib.MGA_FIELD_ONE_OF: "one_of",
                lib.MGA_FIELD_SET: "set"}

# batch keeps this much of a longer line: enough for the profile reader to report it
LINE_KEEP = (1 << 20) + 1
_BLANK = b" \t\r"


# ---- Ruleset --------------------------------------------------------------------------

class Ruleset:
    """A compiled rule graph. Immutable: one Ruleset may be used from many threads at once
    (evaluate, explain, batch, schema). Do not call close() while another thread uses it;
    without close() it is freed when the last reference goes. It cannot be pickled: send
    the rules' paths to other processes and compile there (mgadvise.dask does)."""

    def __init__(self, _ptr, _paths=None):
        self._ptr = _ptr
        self.paths = _paths

    # -- making one

    @staticmethod
    def _engine(sources_dir, allow_unknown_fields):
        opt = ffi.new("mga_options *")
        lib.mga_options_init(opt)
        opt.allow_unknown_fields = bool(allow_unknown_fields)
        keep = None
        if sources_dir is not None:
            keep = ffi.new("char[]", os.fsencode(sources_dir))
            opt.sources_dir = keep
        eng = ffi.new("mga_engine **")
        st = lib.mga_engine_new(opt, eng)
        if st != lib.MGA_OK:
            _raise(st, "cannot make an engine")
        return eng[0]

    @classmethod
    def _compile(cls, call, what, sources_dir, allow_unknown_fields, paths=None):
        eng = cls._engine(sources_dir, allow_unknown_fields)
        out = ffi.new("mga_ruleset **")
        d = ffi.new("mga_diags **")
        try:
            st = call(eng, out, d)
            if st != lib.MGA_OK:
                _raise(st, what, d[0])
        finally:
            lib.mga_diags_free(d[0])
            lib.mga_engine_free(eng)  # the rule set keeps a copy of the allocator
        return cls(out[0], paths)

    @classmethod
    def from_paths(cls, *paths, sources_dir=None, allow_unknown_fields=False):
        """Compiles rule files and folders (a folder gives its *.mga files in name order)
        into one rule set. sources_dir: also check every cited quote against the documents
        in that folder (as `mgadvise check --sources`). allow_unknown_fields: a profile key
        the schema does not declare is a warning (kept in the result's "warnings") instead
        of an error (as --allow-unknown-fields). Raises CompileError or RulesReadError with
        the diagnostics."""
        if not paths:
            raise InvalidArgumentError("from_paths needs at least one rule file or folder")
        enc = [ffi.new("char[]", os.fsencode(p)) for p in paths]
        arr = ffi.new("const char *[]", enc)
        what = "cannot compile the rules in %s" % ", ".join(map(str, paths))
        return cls._compile(lambda e, o, d: lib.mga_compile_paths(e, arr, len(enc), o, d),
                            what, sources_dir, allow_unknown_fields,
                            [os.fspath(p) for p in paths])

    @classmethod
    def from_string(cls, text, name="<string>", sources_dir=None,
                    allow_unknown_fields=False):
        """Compiles one rule source given as text; name labels the diagnostics. The
        keywords are from_paths'."""
        src = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        nm = name.encode("utf-8")
        what = "cannot compile the rules in %s" % name
        return cls._compile(lambda e, o, d: lib.mga_compile(e, nm, src, len(src), o, d),
                            what, sources_dir, allow_unknown_fields)

    @classmethod
    def builtin(cls, allow_unknown_fields=False):
        """The shipped rule base, built into the library (no rule files needed): the same
        rule set, with the same hash, as from_paths on the release's rules/ folder."""
        return cls._compile(lambda e, o, d: lib.mga_compile_builtin(e, o, d),
                            "cannot compile the built-in rules", None, allow_unknown_fields)

    # -- lifetime

    def close(self):
        """Frees the compiled graph now. Later calls raise InvalidArgumentError."""
        p, self._ptr = self._ptr, None
        if p is not None:
            lib.mga_ruleset_free(p)

    def __del__(self):
        p = getattr(self, "_ptr", None)
        if p is not None:
            self._ptr = None
            try:
                lib.mga_ruleset_free(p)
            except Exception:  # the interpreter is shutting down: the process frees all
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __reduce__(self):
        raise TypeError("a compiled mgadvise.Ruleset cannot be pickled: pass its rules' paths "
                        "and compile in the other process (mgadvise.dask does this)")

    def _rs(self):
        if self._ptr is None:
            raise InvalidArgumentError("this Ruleset is closed")
        return self._ptr

    # -- facts

    @property
    def name(self):
        return _text(lib.mga_ruleset_name(self._rs()))

    @property
    def hash(self):
        return _text(lib.mga_ruleset_hash(self._rs()))

    @property
    def rule_ids(self):
        rs = self._rs()
        return [_text(lib.mga_ruleset_rule_id(rs, i))
                for i in range(lib.mga_ruleset_rule_count(rs))]

    @property
    def node_count(self):
        return lib.mga_ruleset_node_count(self._rs())

    def schema(self):
        """The profile fields in declaration order: a list of dicts with name, type
        ("text", "bool", "number", "one_of" or "set"), unit (a number's unit or None),
        symbols (the values of one_of and set, else None), description (the field's
        comment in the rule file, else None) and range ((minimum, maximum) of a number
        with a declared range, in its unit, else None)."""
        rs = self._rs()
        info = ffi.new("mga_field_info *")
        out = []
        for i in range(lib.mga_ruleset_field_count(rs)):
            st = lib.mga_ruleset_field(rs, i, info)
            if st != lib.MGA_OK:
                _raise(st, "cannot read field %d" % i)
            syms = None
            if info.symbols != ffi.NULL:
                syms = [_text(info.symbols[k]) for k in range(info.nsymbols)]
            out.append({"name": _text(info.name), "type": _FIELD_TYPES.get(info.type, "?"),
                        "unit": _text(info.unit), "symbols": syms,
                        "description": _text(info.description),
                        "range": (info.minimum, info.maximum) if info.has_range else None})
        return out

    def json_schema(self):
        """The profile schema as JSON Schema (draft 2020-12), as a dict: what
        `mgadvise schema` prints (mga_ruleset_write_schema)."""
        st, text = _write_with(lib.mga_ruleset_write_schema, self._rs())
        if st != lib.MGA_OK:
            _raise(st, "cannot write the schema")
        return json.loads(text)

    def __repr__(self):
        if self._ptr is None:
            return "<mgadvise.Ruleset (closed)>"
        return "<mgadvise.Ruleset %r %s, %d rules>" % (self.name, self.hash,
                                                      lib.mga_ruleset_rule_count(self._ptr))

    # -- one profile

    def _result(self, profile, name):
        """Parses and evaluates one profile: (profile ptr, result ptr), both to be freed."""
        rs = self._rs()
        data = _as_bytes(profile)
        p = ffi.new("mga_profile **")
        d = ffi.new("mga_diags **")
        st = lib.mga_profile_parse(rs, name.encode("utf-8"), data, len(data), p, d)
        try:
            if st != lib.MGA_OK:
                lib.mga_profile_free(p[0])
                _raise(st, "%s: not a valid profile" % name, d[0])
        finally:
            lib.mga_diags_free(d[0])
        r = ffi.new("mga_result **")
        st = lib.mga_evaluate(rs, p[0], r)
        if st != lib.MGA_OK:
            lib.mga_profile_free(p[0])
            _raise(st, "cannot evaluate %s" % name)
        return p[0], r[0]

    def evaluate(self, profile, name="<profile>"):
        """The advice for one profile (a dict, or JSON text as str or bytes), as the dict
        that `mgadvise eval --format json` prints. Raises ProfileError for a bad profile;
        name labels its diagnostics."""
        p, r = self._result(profile, name)
        try:
            st, out = _write_with(lib.mga_result_write, r, MGA_FORMAT_JSON)
        finally:
            lib.mga_result_free(r)
            lib.mga_profile_free(p)
        if st != lib.MGA_OK:
            _raise(st, "cannot write the result")
        return json.loads(out)

    def explain(self, profile, rule=None, name="<profile>"):
        """Why each rule fired or not for the profile, as the dict `mgadvise explain
        --format json` prints; rule limits it to one rule id (InvalidArgumentError for an
        unknown one)."""
        rid = None
        if rule is not None:
            if rule not in self.rule_ids:
                raise InvalidArgumentError("unknown rule '%s'" % rule)
            rid = rule.encode("utf-8")
        p, r = self._result(profile, name)
        try:
            st, out = _write_with(lib.mga_result_explain_write, r,
                                  ffi.NULL if rid is None else rid, MGA_FORMAT_JSON)
        finally:
            lib.mga_result_free(r)
            lib.mga_profile_free(p)
        if st != lib.MGA_OK:
            _raise(st, "cannot explain the result")
        return json.loads(out)

    # -- many profiles

    def catalog(self, as_bytes=False):
        """The catalog of the rule set, as a dict: what `mgadvise catalog` prints
        (mga_ruleset_write_catalog), the constants lean batch records leave out. With it
        mgadvise.lean.restore gives back a full record from a lean one. as_bytes=True
        gives the line itself (UTF-8, ending in "\\n")."""
        st, text = _write_with(lib.mga_ruleset_write_catalog, self._rs())
        if st != lib.MGA_OK:
            _raise(st, "cannot write the catalog")
        return text if as_bytes else json.loads(text)

    def batch(self, lines, jobs=1, parse=False, as_bytes=False, start=0, chunk=256,
              full=False, input_format="jsonl", date=None):
        """Evaluates JSON-lines profiles and yields, in input order, the line `mgadvise
        batch` writes for each record: {"line":N,"id":ID,"result":...} or the error record
        {"line":N,"id":ID,"error":{"field","code","message","column"}}, ending in "\n".
        The result is lean (what varies per profile; self.catalog() holds the rest, and
        mgadvise.lean.restore joins the two); full=True gives it whole, as
        `mgadvise batch --full` does.

        input_format="fhir": each line is a FHIR R4 Bundle (or a JSON array of resources),
        read as `mgadvise eval --fhir` reads it on the request date `date` ("YYYY-MM-DD",
        default today in UTC); bad FHIR, or FHIR that maps to no profile field, is an error
        record naming the JSON path (`mgadvise batch --input-format fhir`).
        input_format="csv": the lines are CSV text, the first row a header naming a profile
        field (or "id") per column, as `mgadvise batch --input-format csv` reads it (a
        quoted cell may span lines; N is the line a record starts on). A header that names
        no field raises ProfileError, its .diagnostics saying which column (E4041-E4045).

        lines: an iterable of str or bytes lines (a file object opened in either mode will
        do; one trailing "\n" is dropped) or of dicts (dumped as JSON). N is the 1-based
        position in the iterable, as batch numbers physical lines: blank lines (spaces,
        tabs, CR) yield nothing but are counted. parse=True yields dicts (json.loads),
        as_bytes=True the UTF-8 bytes. start: the number of lines before the first (as
        --skip would have read them). The library's batch engine (mga_batch_*) evaluates
        the records, on `jobs` threads sharing this rule set without the GIL, and hands the
        lines back in input order; `chunk` lines are fed to it at a time. Fatal library
        errors (out of memory) raise; bad records never do."""
        if isinstance(lines, (str, bytes, bytearray, dict)):
            raise TypeError("batch takes an iterable of lines (or dicts), not one %s: "
                            "give [item] for one record" % type(lines).__name__)
        if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 64:
            raise InvalidArgumentError("jobs must be a whole number of threads, 1 to 64")
        if not isinstance(chunk, int) or chunk < 1:
            raise InvalidArgumentError("chunk must be a whole number of lines, at least 1")
        if not isinstance(start, int) or start < 0:
            raise InvalidArgumentError("start must be a whole number of lines, at least 0")
        date = _input_date(input_format, date, csv=True)
        return self._batch(self._rs(), lines, jobs, parse, as_bytes, start, chunk, bool(full),
                           date, input_format == "csv")

    def _batch(self, rs, lines, jobs, parse, as_bytes, start, chunk, full, date, csv=False):
        # The library's batch engine (mga_batch_*) does the work on its own threads: this
        # loop only turns items into bytes, feeds them and splits the output it hands back.
        # cffi releases the GIL for every call, so feeding overlaps the evaluation.
        opt = ffi.new("mga_batch_options *")
        lib.mga_batch_options_init(opt)
        opt.jobs = jobs
        opt.start = start
        opt.full = full
        if date is not None:  # FHIR lines; the library copies the date
            cdate = ffi.new("char[]", date.encode("ascii"))
            opt.input = lib.MGA_BATCH_INPUT_FHIR
            opt.date = cdate
        elif csv:
            opt.input = lib.MGA_BATCH_INPUT_CSV
        box = ffi.new("mga_batch **")
        st = lib.mga_batch_open(rs, opt, box)
        if st != lib.MGA_OK:
            _raise(st, "cannot start the batch")
        b = box[0]
        p = ffi.new("const char **")
        n = ffi.new("size_t *")
        unpack = ffi.unpack
        feed, read = lib.mga_batch_feed, lib.mga_batch_read
        # Whole lines, each ending in "\n"; bytes.splitlines also cuts at a CR, which the
        # output never holds raw (JSON escapes every control character). (Measured:
        # decoding line by line is quicker than decoding the block and cutting the str.)
        if parse:
            def emit(data):
                for line in data.splitlines(True):
                    yield json.loads(line)
        elif as_bytes:
            def emit(data):
                yield from data.splitlines(True)
        else:
            def emit(data):
                for line in data.splitlines(True):
                    yield line.decode("utf-8")

        def drain():
            st = read(b, p, n)
            if st != lib.MGA_OK:
                _raise(st, "cannot read the batch output")
            return unpack(p[0], n[0]) if n[0] else b""

        def fail(st):
            # a bad CSV header stops the batch before any record: its diagnostics say why
            if st == lib.MGA_E_PROFILE:
                _raise(st, "bad CSV header", lib.mga_batch_diags_ref(b))
            _raise(st, "cannot evaluate the batch")

        try:
            for data in _feed_blocks(lines, chunk):
                st = feed(b, data, len(data))
                if st != lib.MGA_OK:
                    fail(st)
                out = drain()
                if out:
                    yield from emit(out)
            st = lib.mga_batch_finish(b, True)
            if st != lib.MGA_OK:
                fail(st)
            out = drain()
            if out:
                yield from emit(out)
        finally:
            lib.mga_batch_close(b)


def _input_date(input_format, date, csv=False):
    """Checks batch's input_format (csv: CSV is one, for a whole input with its header) and
    date; returns the request date of FHIR input (default today, UTC), None for the
    others."""
    formats = ("jsonl", "fhir", "csv") if csv else ("jsonl", "fhir")
    if input_format not in formats:
        raise InvalidArgumentError("input_format must be %s, not %r"
                                   % (" or ".join(repr(f) for f in formats), input_format))
    if date is not None and input_format != "fhir":
        raise InvalidArgumentError("date is the request date of FHIR input: give "
                                   "input_format='fhir' too")
    if input_format == "fhir":
        if date is None:
            date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        if not isinstance(date, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", date):
            raise InvalidArgumentError("date %r: expected YYYY-MM-DD" % (date,))
    return date


_NL = itertools.repeat(b"\n")


def _feed_blocks(lines, size):
    """The items as input bytes for mga_batch_feed: one line each, ended by "\n", in blocks
    of `size` lines."""
    buf = []
    for item in lines:
        buf.append(item)
        if len(buf) == size:
            yield _block(buf)
            buf = []
    if buf:
        yield _block(buf)


def _block(items):
    """One block of items as input bytes. Lines read from a file in binary mode (bytes, each
    ending in its one "\n") are joined as they are; any other item goes through _item."""
    try:
        if all(map(bytes.endswith, items, _NL)):
            data = b"".join(items)
            if data.count(b"\n") == len(items):
                return data
    except TypeError:  # not all bytes
        pass
    buf = [_item(x) for x in items]
    buf.append(b"")
    return b"\n".join(buf)


def _item(item):
    """One item as input bytes without a line end. An item's own trailing "\n" is dropped;
    a "\n" inside it becomes "\r" (white space to JSON, as "\n" is, and as invalid inside a
    string), so that each item stays one record."""
    if isinstance(item, str):
        try:  # bytes read with errors="surrogateescape" come back as they were
            b = item.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # other lone surrogates: invalid UTF-8, an error record
            b = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, (bytes, bytearray, memoryview)):
        b = bytes(item)
    elif isinstance(item, (dict, list)):  # a list: FHIR resources (an error for profiles)
        b = json.dumps(item, ensure_ascii=False).encode("utf-8")
    else:
        raise TypeError("batch takes lines (str or bytes), dicts or lists, not %s"
                        % type(item).__name__)
    if b.endswith(b"\n"):
        b = b[:-1]
    if b"\n" in b:
        b = b.replace(b"\n", b"\r")
    return b


def is_error_line(line):
    """Whether a batch output line (bytes) is an error record. The id before the first key
    is a JSON string, whose quotes are escaped, or an integer, so the first of the two keys
    decides."""
    e = line.find(b',"error":{')
    if e < 0:
        return False
    r = line.find(b',"result":', 0, e)
    return r < 0
