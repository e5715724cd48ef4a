# SPDX-License-Identifier: MIT
"""Lean records and the catalog: a lean record joined with the catalog (mgadvise.lean) is
exactly the record `mgadvise batch --full` writes, member for member and in the same order,
over every example profile, thousands of generated profiles, the batch golden inputs
(bad records, unknown fields allowed) and a rule set whose strings need escapes."""
import glob
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, gen_profiles, run_cli

import mgadvise
from mgadvise import lean

SMALL_RULES = os.path.join(ROOT, "tests", "golden", "batch", "rules.mga")
LEAN_PY = os.path.join(ROOT, "python", "mgadvise", "lean.py")


def canon(record):
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def check_restores(path, rules_args=(), extra=()):
    """Runs batch lean and --full on path; every lean record restored with the catalog of
    `mgadvise catalog` equals the full one. Returns the lean and full outputs (bytes) and
    the number of good records."""
    rc1, lean_out, _ = run_cli("batch", "-q", "-j", "2", *rules_args, *extra, path)
    rc2, full_out, _ = run_cli("batch", "-q", "-j", "2", "--full", *rules_args, *extra, path)
    rc3, cat_text, err = run_cli("catalog", *rules_args)
    assert rc1 == rc2 and rc1 in (0, 1) and rc3 == 0, err
    cat = json.loads(cat_text)
    lean_lines = lean_out.decode("utf-8").splitlines()
    full_lines = full_out.decode("utf-8").splitlines()
    assert len(lean_lines) == len(full_lines)
    good = 0
    for i, (l, f) in enumerate(zip(lean_lines, full_lines)):
        rec = json.loads(l)
        if "result" in rec:
            good += 1
            r = rec["result"]
            assert r["ruleset_hash"] == cat["ruleset"]["hash"]
            assert r["disclaimer"] == cat["disclaimer"]  # every record carries it
            assert "references" not in r and "id" not in r
        else:
            assert l == f  # error records are the same either way
        got = canon(lean.restore(rec, cat))
        assert got == canon(json.loads(f)), "output line %d" % (i + 1)
        # and, as the engine writes JSON, byte for byte
        assert got == f, "output line %d (bytes)" % (i + 1)
    return lean_out, full_out, good


def test_example_profiles(tmp_path):
    p = tmp_path / "examples.jsonl"
    with open(p, "w", encoding="utf-8") as f:
        for path in sorted(glob.glob(os.path.join(ROOT, "examples", "profiles", "*.json"))):
            with open(path, encoding="utf-8") as g:
                f.write(json.dumps(json.load(g), ensure_ascii=False) + "\n")
    lean_out, full_out, good = check_restores(str(p))
    assert lean_out.count(b"\n") >= 30 and good >= 30
    assert len(lean_out) * 8 < len(full_out)


def test_generated_profiles(tmp_path):
    path = gen_profiles(str(tmp_path / "gen.jsonl"), 3000, seed=11)
    assert check_restores(path)[2] == 3000


def test_golden_batch_inputs():
    cases = sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "batch", "*", "input.jsonl")))
    assert len(cases) >= 5
    good = warned = 0
    for path in cases:
        good += check_restores(path, ("-r", SMALL_RULES))[2]
        lean_out = check_restores(path, ("-r", SMALL_RULES), ("--allow-unknown-fields",))[0]
        warned += lean_out.count(b'"warnings":[{"code":"W5001"')
    assert good > 20 and warned > 2


def test_escapes_and_doses(tmp_path):
    rules = tmp_path / "esc.mga"
    rules.write_text(open(SMALL_RULES, encoding="utf-8").read() + '''
rule esc1 when age > 30 years then prefer glycinate
  say "Say \\"q\\" a\\\\b c/d\\n\\te \\u{1} caf\\u{e9} \\u{1F600}"
  cite doc[1] quote "a \\"q\\" \\\\ /" evidence expert end
rule esc2 when age > 60 years then avoid glycinate dose start 50 mg max 75.5 mg
  say "Second." cite doc[2] cite doc quote "x" end
''', encoding="utf-8")
    rc, _, err = run_cli("check", "--no-analysis", str(rules))
    assert rc == 0, err
    prof = tmp_path / "p.jsonl"
    prof.write_text("".join('{"id":"p%d","age":%d}\n' % (a, a) for a in range(20, 90, 7)))
    lean_out, _, good = check_restores(str(prof), ("-r", str(rules)))
    assert good == 10 and b'"start_mg":50' in lean_out


def test_python_batch_and_catalog(rs, tmp_path):
    """Ruleset.batch's lean lines and Ruleset.catalog() restore what full=True gives."""
    path = gen_profiles(str(tmp_path / "gen.jsonl"), 500, seed=5)
    with open(path, "rb") as f:
        lines = f.readlines()
    cat = rs.catalog()
    assert rs.catalog(as_bytes=True) == run_cli("catalog")[1]
    full = [canon(r) for r in rs.batch(lines, parse=True, full=True)]
    got = [canon(mgadvise.restore(r, cat)) for r in rs.batch(lines, parse=True)]
    assert got == full


def test_restore_refuses_another_catalog(rs):
    rec = next(rs.batch(['{"id":"x","age":40}'], parse=True))
    other = mgadvise.Ruleset.from_paths(SMALL_RULES).catalog()
    with pytest.raises(ValueError, match="rule set"):
        mgadvise.restore(rec, other)
    err = next(rs.batch(['{"id":"x","age":"old"}'], parse=True))
    assert mgadvise.restore(err, other) == err  # an error record stays as it is


def test_restore_refuses_what_is_not_a_record_or_catalog(rs):
    """restore names what is wrong: a line not parsed, something not a record, a catalog
    not parsed or not a catalog, a result that is full already; never a bare KeyError or
    the input handed back."""
    line = next(rs.batch(['{"id":"x","age":40}']))
    rec = json.loads(line)
    cat = rs.catalog()
    with pytest.raises(TypeError, match="parsed from its JSON line"):
        mgadvise.restore(line, cat)
    with pytest.raises(TypeError, match="not NoneType"):
        mgadvise.restore(None, cat)
    with pytest.raises(ValueError, match="neither 'result' nor 'error'"):
        mgadvise.restore({"line": 1}, cat)
    with pytest.raises(TypeError, match="the catalog is the parsed JSON"):
        mgadvise.restore(rec, json.dumps(cat))
    with pytest.raises(ValueError, match="no 'ruleset'"):
        mgadvise.restore(rec, {})
    full = next(rs.batch(['{"id":"x","age":40}'], parse=True, full=True))
    with pytest.raises(ValueError, match="full already"):
        mgadvise.restore(full, cat)
    assert canon(mgadvise.restore(rec, cat)) == canon(full)


def test_command_line(tmp_path):
    """python3 lean.py CATALOG LEAN writes the full records; a record of another rule set
    is an error naming its line."""
    path = gen_profiles(str(tmp_path / "gen.jsonl"), 200, seed=9)
    _, lean_out, _ = run_cli("batch", "-q", path)
    _, full_out, _ = run_cli("batch", "-q", "--full", path)
    _, cat = run_cli("catalog")[:2]
    (tmp_path / "cat.json").write_bytes(cat)
    (tmp_path / "lean.jsonl").write_bytes(lean_out)
    p = subprocess.run([sys.executable, LEAN_PY, str(tmp_path / "cat.json"),
                        str(tmp_path / "lean.jsonl")], capture_output=True)
    assert p.returncode == 0 and p.stdout == full_out, p.stderr
    _, small_cat, _ = run_cli("catalog", "-r", SMALL_RULES)
    (tmp_path / "small.json").write_bytes(small_cat)
    p = subprocess.run([sys.executable, LEAN_PY, str(tmp_path / "small.json"),
                        str(tmp_path / "lean.jsonl")], capture_output=True)
    assert p.returncode == 1 and b"line 1: lean result of rule set" in p.stderr


def test_fhir_lines(rs, tmp_path):
    """input_format="fhir": what `mgadvise batch --input-format fhir` writes, lean and full,
    and bad FHIR as error records; the arguments are checked."""
    path = os.path.join(ROOT, "tests", "golden", "batch", "fhir-bundles", "input.jsonl")
    with open(path, "rb") as f:
        lines = f.readlines()
    outs = {}
    for full in (False, True):
        args = ["--full"] if full else []
        rc, want, err = run_cli("batch", "-q", "--input-format", "fhir", "--date", "2026-06-01",
                                *args, path)
        assert rc == 1, err
        outs[full] = want
        for jobs in (1, 2):
            got = b"".join(rs.batch(lines, as_bytes=True, input_format="fhir",
                                    date="2026-06-01", full=full, jobs=jobs))
            assert got == want
    # a lean FHIR record, its reader's warnings (W5030) included, restores to the full one
    cat = rs.catalog()
    lean_lines = outs[False].decode("utf-8").splitlines()
    full_lines = outs[True].decode("utf-8").splitlines()
    assert len(lean_lines) == len(full_lines)
    for l, f in zip(lean_lines, full_lines):
        assert canon(lean.restore(json.loads(l), cat)) == f
    warned = [json.loads(l) for l in lean_lines if '"W5030"' in l]
    assert len(warned) == 1
    assert warned[0]["result"]["warnings"][0]["path"] == "$.entry[0].resource.birthDate"
    recs = list(rs.batch(lines, parse=True, input_format="fhir", date="2026-06-01"))
    assert sum("error" in r for r in recs) == 12
    assert recs[4]["error"]["field"] == "$.entry[0].resource.code.coding"
    # today's date by default: a child's bundle is still a child's
    assert "result" in next(rs.batch(lines[:1], parse=True, input_format="fhir"))
    with pytest.raises(mgadvise.InvalidArgumentError):
        rs.batch(lines, input_format="xml")
    with pytest.raises(mgadvise.InvalidArgumentError):
        rs.batch(lines, date="2026-06-01")
    with pytest.raises(mgadvise.InvalidArgumentError):
        rs.batch(lines, input_format="fhir", date="01/06/2026")
    # a FHIR array of resources may be given as a list, as a Bundle as a dict
    array = json.loads(lines[0])
    want = next(rs.batch(lines[:1], input_format="fhir", date="2026-06-01"))
    got = next(rs.batch([array], input_format="fhir", date="2026-06-01"))
    assert got == want


def test_batch_refuses_one_line_for_many(rs):
    """A str (or bytes, or a dict) given as the lines is one record, not one per character;
    jobs outside 1 to 64 is named."""
    for one in ('{"age":40}', b'{"age":40}', {"age": 40}):
        with pytest.raises(TypeError, match="give \\[item\\] for one record"):
            rs.batch(one)
    for jobs in (0, 65, True):
        with pytest.raises(mgadvise.InvalidArgumentError, match="1 to 64"):
            rs.batch(['{"age":40}'], jobs=jobs)
