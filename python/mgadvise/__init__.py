# SPDX-License-Identifier: MIT
"""mgadvise for Python: compile the magnesium-guidance rules and evaluate profiles into
cited advice, through the C library libmgadvise (see docs/PYTHON.md).

    import mgadvise
    rs = mgadvise.Ruleset.builtin()
    rs.evaluate({"id": "p1", "age": 40})["advice"]
"""
from ._core import (CompileError, Error, InvalidArgumentError, OutOfMemoryError,
                    ProfileError, Ruleset, RulesReadError, WriteError, default_rules_paths)
from ._lib import library_path

__all__ = [
    "Error", "CompileError", "RulesReadError", "ProfileError", "InvalidArgumentError",
    "OutOfMemoryError", "WriteError", "Ruleset", "default_rules_paths", "library_path",
]
__version__ = "0.1.0"
