# SPDX-License-Identifier: MIT
"""Shared fixtures: the package from python/, the CLI and bench tools from the build tree
($MGADVISE_BUILD, default build/), generated profiles."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
BUILD = os.path.join(ROOT, os.environ.get("MGADVISE_BUILD", "build"))
CLI = os.path.join(BUILD, "mgadvise")
GEN = os.path.join(BUILD, "bench", "gen")
if "MGADVISE_LIB" not in os.environ and os.environ.get("MGADVISE_BUILD"):
    os.environ["MGADVISE_LIB"] = os.path.join(BUILD, "libmgadvise.so")

import mgadvise  # noqa: E402


def run_cli(*args, stdin=None):
    """Runs the CLI; returns (exit code, stdout bytes, stderr text)."""
    p = subprocess.run([CLI, *args], input=stdin, capture_output=True,
                       env={**os.environ, "LC_ALL": "C"})
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def cli_batch(path, *args):
    """What `mgadvise batch -q -r rules/ ARGS PATH` writes to standard output."""
    rc, out, err = run_cli("batch", "-q", "-j", "2", *args, path)
    assert rc in (0, 1), err
    return out


def gen_profiles(path, count, seed=1):
    with open(path, "wb") as f:
        subprocess.run([GEN, "--seed", str(seed), "--count", str(count)], stdout=f, check=True)
    return path


@pytest.fixture(scope="session")
def rs():
    r = mgadvise.Ruleset.builtin()
    yield r
    r.close()


@pytest.fixture(scope="session")
def gen10k(tmp_path_factory):
    return gen_profiles(str(tmp_path_factory.mktemp("gen") / "gen10k.jsonl"), 10000)
