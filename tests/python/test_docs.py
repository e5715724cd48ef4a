# SPDX-License-Identifier: MIT
"""The Python examples of docs/PYTHON.md run as written (from the repository root), and
their printed results are what the comments after them say."""
import contextlib
import io
import os
import re

import pytest

from conftest import ROOT

DOC = os.path.join(ROOT, "docs", "PYTHON.md")


def blocks():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def expected_lines(code):
    """The '# ...' comment lines: what the example prints, in order ('...' is any text)."""
    return [line[2:] for line in code.splitlines() if line.startswith("# ")]


def test_there_are_examples():
    assert len(blocks()) >= 6


@pytest.mark.parametrize("code", blocks())
def test_example_runs(code, monkeypatch):
    monkeypatch.chdir(ROOT)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, DOC, "exec"), {"__name__": "__doc_example__"})
    printed = buf.getvalue().splitlines()
    at = 0
    for w in expected_lines(code):
        pat = re.compile("^" + re.escape(w).replace(re.escape("..."), ".*") + "$")
        while at < len(printed) and not pat.match(printed[at]):
            at += 1
        assert at < len(printed), "the page says %r; the example printed %r" % (w, printed)
        at += 1
