# SPDX-License-Identifier: MIT
"""Loads libmgadvise through cffi in ABI mode (no compiled extension). The declarations
are read from the library's own header, include/mgadvise.h (of the source tree, or the
installed one), so they cannot drift from what the library was built with."""
import os
import re

from cffi import FFI

_HERE = os.path.dirname(os.path.abspath(__file__))
# python/mgadvise/ -> the repository root, when the package runs from the source tree
REPO_ROOT = os.path.dirname(os.path.dirname(_HERE))

try:  # written by `make install`: where it put the library and the header
    from . import _installed
except ImportError:  # the source tree
    _installed = None


def library_path():
    """The library this package loads: $MGADVISE_LIB, else build/libmgadvise.so of the
    source tree the package lies in, else the library `make install` put beside this
    package, else the name libmgadvise.so.0 for the system loader."""
    env = os.environ.get("MGADVISE_LIB")
    if env:
        return env
    built = os.path.join(REPO_ROOT, "build", "libmgadvise.so")
    if _installed is None and os.path.exists(built):
        return built
    if _installed is not None:
        return _installed.LIBRARY
    return "libmgadvise.so.0"


def header_path():
    """The header the declarations come from: $MGADVISE_HEADER, else include/mgadvise.h
    of the source tree, else the one `make install` installed."""
    env = os.environ.get("MGADVISE_HEADER")
    if env:
        return env
    if _installed is not None:
        return _installed.HEADER
    return os.path.join(REPO_ROOT, "include", "mgadvise.h")


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_INT_DEFINE = re.compile(r"#\s*define\s+(MGA_\w+)\s+(\d+)[uU]?\s*$")


def declarations(text):
    """The C declarations of mgadvise.h as cffi's cdef takes them: comments, the C++
    guard and the preprocessor lines dropped (integer #defines kept), MGA_API removed."""
    out = []
    skip = []  # one entry per open #if: whether its lines are dropped
    for line in _COMMENT.sub(" ", text).splitlines():
        s = line.strip()
        if s.startswith("#"):
            word = s[1:].strip().split(None, 1)
            key = word[0] if word else ""
            if key in ("if", "ifdef", "ifndef"):
                skip.append("__cplusplus" in s)
            elif key == "endif":
                if skip:
                    skip.pop()
            elif key == "define" and not any(skip):
                m = _INT_DEFINE.match(s)
                if m:
                    out.append("#define %s %s" % m.groups())
            continue
        if any(skip):
            continue
        out.append(line.replace("MGA_API ", "").replace("MGA_API", ""))
    return "\n".join(out)


def _load():
    head = header_path()
    try:
        with open(head, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ImportError("mgadvise: cannot read the library's header '%s' (%s); set "
                          "MGADVISE_HEADER to the path of mgadvise.h" % (head, e)) from None
    ffi = FFI()
    ffi.cdef(declarations(text))
    path = library_path()
    try:
        lib = ffi.dlopen(path)
    except OSError as e:
        raise ImportError(
            "mgadvise: cannot load the C library '%s' (%s); build it with 'make' in the "
            "repository, or set MGADVISE_LIB to the path of libmgadvise.so" % (path, e)
        ) from None
    built = lib.mga_version_number()
    if built != lib.MGA_VERSION_NUMBER:
        raise ImportError("mgadvise: the library '%s' is version %d, its header '%s' is "
                          "for %d" % (path, built, head, lib.MGA_VERSION_NUMBER))
    return ffi, lib


ffi, lib = _load()
MGA_FORMAT_JSON = lib.MGA_FORMAT_JSON
