# SPDX-License-Identifier: MIT
"""mgadvise for Python: compile the magnesium-guidance rules and evaluate profiles into
cited advice, through the C library libmgadvise (see docs/PYTHON.md).

    import mgadvise
    rs = mgadvise.Ruleset.builtin()
    rs.evaluate({"id": "p1", "age": 40})["advice"]
"""
from ._core import (CompileError, Error, InvalidArgumentError, OutOfMemoryError,
                    ProfileError, Ruleset, RulesReadError, WriteError)
from ._lib import ffi as _ffi, header_path, lib as _lib, library_path
from .lean import restore, restore_result

__all__ = [
    "Error", "CompileError", "RulesReadError", "ProfileError", "InvalidArgumentError",
    "OutOfMemoryError", "WriteError", "Ruleset", "library_path", "header_path", "restore",
    "restore_result",
]
# the version of the library loaded (mga_version), which is the package's
__version__ = _ffi.string(_lib.mga_version()).decode()
