# SPDX-License-Identifier: MIT
"""The Python API over libmgadvise: compiling, evaluating, explaining, the schema, errors
with located diagnostics, threads sharing one rule set, the GIL released in the library."""
import glob
import json
import os
import pickle
import threading
import time

import pytest

from conftest import ROOT, run_cli

import mgadvise

EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "profiles", "*.json")))
KIDNEY = os.path.join(ROOT, "examples", "profiles", "01-kidney-disease.json")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_builtin_is_the_shipped_rule_set(rs):
    rc, out, _ = run_cli("eval", "--format", "json", KIDNEY)
    assert rc == 0
    cli = json.loads(out)
    assert rs.name == cli["ruleset"]["name"]
    assert rs.hash == cli["ruleset"]["hash"]
    assert len(rs.rule_ids) > 50 and "s1_kidney_disease_avoid_supplements" in rs.rule_ids
    assert rs.node_count > 0
    assert "71 rules" in repr(rs) or "rules>" in repr(rs)


def test_evaluate_equals_the_cli_for_every_example(rs):
    assert len(EXAMPLES) >= 30
    for path in EXAMPLES:
        rc, out, err = run_cli("eval", "--format", "json", path)
        assert rc == 0, err
        assert rs.evaluate(read(path)) == json.loads(out), path


def test_evaluate_takes_a_dict_str_or_bytes(rs):
    d = json.loads(read(KIDNEY))
    a = rs.evaluate(d)
    assert a == rs.evaluate(json.dumps(d)) == rs.evaluate(read(KIDNEY))
    rules = [x["rule"] for x in a["advice"]]
    assert "s1_kidney_disease_avoid_supplements" in rules
    assert a["advice"][0]["severity"] == "critical"
    with pytest.raises(TypeError):
        rs.evaluate(42)


def test_explain_equals_the_cli(monkeypatch):
    # the CLI's built-in rules are labelled rules/NAME.mga: compile them under that name
    monkeypatch.chdir(ROOT)
    rs = mgadvise.Ruleset.from_paths("rules")
    rc, out, err = run_cli("explain", "--format", "json", KIDNEY)
    assert rc == 0, err
    assert rs.explain(read(KIDNEY)) == json.loads(out)
    rule = "s1_kidney_disease_avoid_supplements"
    rc, out, err = run_cli("explain", "--format", "json", "--rule", rule, KIDNEY)
    assert rc == 0, err
    one = rs.explain(read(KIDNEY), rule=rule)
    assert one == json.loads(out)
    with pytest.raises(mgadvise.InvalidArgumentError, match="unknown rule 'no_such_rule'"):
        rs.explain(read(KIDNEY), rule="no_such_rule")


def test_schema_lists_the_profile_fields(rs):
    fields = {f["name"]: f for f in rs.schema()}
    assert fields["age"]["type"] == "number"
    assert fields["sex"]["type"] == "one_of" and "female" in fields["sex"]["symbols"]
    assert fields["conditions"]["type"] == "set"
    assert "kidney_disease" in fields["conditions"]["symbols"]
    assert fields["id"]["type"] == "text" and fields["id"]["symbols"] is None
    assert fields["diet_mg"]["unit"] == "mg"
    assert all(set(f) == {"name", "type", "unit", "symbols", "description", "range"}
               for f in fields.values())
    assert fields["age"]["range"] == (0, 130) and fields["sex"]["range"] is None
    assert fields["diet_mg"]["description"] == "magnesium from food, per day"
    assert fields["age"]["description"] is None


def test_json_schema_is_the_cli_schema(rs):
    rc, out, err = run_cli("schema")
    assert rc == 0, err
    assert rs.json_schema() == json.loads(out)
    assert list(rs.json_schema()["properties"]) == [f["name"] for f in rs.schema()]


def test_a_bad_profile_raises_profile_error_with_diagnostics(rs):
    with pytest.raises(mgadvise.ProfileError) as e:
        rs.evaluate('{"id":"x","age":"forty"}', name="p.json")
    d = e.value.diagnostics
    assert isinstance(e.value, mgadvise.Error)
    assert d and d[0]["severity"] == "error" and d[0]["file"] == "p.json"
    assert d[0]["code"].startswith("E4") and d[0]["line"] == 1 and d[0]["column"] > 1
    assert "$.age" in d[0]["message"]
    assert "p.json:1:" in str(e.value)
    with pytest.raises(mgadvise.ProfileError):
        rs.evaluate("{not json")


def test_rule_errors_raise_compile_error_with_located_diagnostics(tmp_path):
    src = 'ruleset "t"\nprofile\n  field age: number\nend\nrule r1\n  when agee > 3\nend\n'
    with pytest.raises(mgadvise.CompileError) as e:
        mgadvise.Ruleset.from_string(src, name="bad.mga")
    d = e.value.diagnostics
    assert d and all(set(x) >= {"file", "line", "column", "code", "severity", "message"}
                     for x in d)
    errs = [x for x in d if x["severity"] == "error"]
    assert errs and errs[0]["file"] == "bad.mga" and errs[0]["line"] >= 1
    assert errs[0]["code"][0] == "E" and len(errs[0]["code"]) == 5
    assert "bad.mga:" in str(e.value)
    p = tmp_path / "bad.mga"
    p.write_text(src)
    with pytest.raises(mgadvise.CompileError) as e2:
        mgadvise.Ruleset.from_paths(str(p))
    assert e2.value.diagnostics[0]["file"].endswith("bad.mga")


def test_a_missing_rules_path_raises_rules_read_error(tmp_path):
    with pytest.raises(mgadvise.RulesReadError) as e:
        mgadvise.Ruleset.from_paths(str(tmp_path / "nope.mga"))
    assert "nope.mga" in str(e.value)
    with pytest.raises(mgadvise.InvalidArgumentError):
        mgadvise.Ruleset.from_paths()


def test_builtin_needs_no_rule_files(tmp_path, monkeypatch):
    """The shipped rules are in the library: builtin() works far from any rules/ folder
    and equals the rule set compiled from rules/."""
    monkeypatch.chdir(tmp_path)
    r = mgadvise.Ruleset.builtin()
    f = mgadvise.Ruleset.from_paths(os.path.join(ROOT, "rules"))
    assert r.hash == f.hash and r.rule_ids == f.rule_ids and r.paths is None


def test_the_declarations_are_the_headers():
    """The package reads its C declarations from the library's header, so a struct that
    grows there (mga_options, mga_diag) cannot be misread here."""
    from mgadvise._lib import declarations, ffi, lib
    with open(mgadvise.header_path(), encoding="utf-8") as f:
        text = f.read()
    decl = declarations(text)
    assert "MGA_API" not in decl and "extern" not in decl and "/*" not in decl
    assert "bool allow_unknown_fields;" in decl and "const char *path;" in decl
    assert lib.MGA_VERSION_NUMBER == lib.mga_version_number()
    assert mgadvise.__version__ == ffi.string(lib.mga_version()).decode()
    assert ffi.sizeof("mga_options") >= ffi.sizeof("void *") * 3 + ffi.sizeof("bool")
    assert lib.MGA_E_MISUSE > lib.MGA_E_WRITE


def test_unknown_fields_are_errors_unless_allowed(rs):
    """A misspelt field must not silently change the advice: by default it is an error
    with its JSON path; allow_unknown_fields makes it a warning carried in the result."""
    bad = '{"id":"x","condtions":["kidney_disease"]}'
    with pytest.raises(mgadvise.ProfileError) as e:
        rs.evaluate(bad)
    d = e.value.diagnostics[0]
    assert d["code"] == "E4013" and d["path"] == "$.condtions"
    assert "conditions" in (d["note"] or "")
    lax = mgadvise.Ruleset.builtin(allow_unknown_fields=True)
    out = lax.evaluate(bad)
    assert any("condtions" in w["message"] for w in out["warnings"])
    rc, cli, err = run_cli("eval", "--allow-unknown-fields", "--format", "json", "-", stdin=bad.encode())
    assert rc == 0, err
    assert out == json.loads(cli)


def test_from_paths_matches_builtin_and_close(rs):
    r = mgadvise.Ruleset.from_paths(os.path.join(ROOT, "rules"))
    assert r.hash == rs.hash and r.rule_ids == rs.rule_ids
    with r:
        pass
    with pytest.raises(mgadvise.InvalidArgumentError, match="closed"):
        r.evaluate("{}")
    assert "closed" in repr(r)
    r.close()  # twice is fine


def test_a_compiled_rule_set_is_never_pickled(rs):
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(rs)


def test_threads_share_one_ruleset(rs):
    """8 threads evaluate and explain every example on one rule set at once; each result
    equals the one-thread result."""
    profiles = [read(p) for p in EXAMPLES]
    want = [rs.evaluate(p) for p in profiles]
    want_x = [rs.explain(p) for p in profiles[:5]]
    errors = []

    def work(k):
        try:
            for rnd in range(5):
                for i in range(len(profiles)):
                    j = (i + k + rnd) % len(profiles)
                    if rs.evaluate(profiles[j]) != want[j]:
                        errors.append((k, j))
                for j in range(5):
                    if rs.explain(profiles[j]) != want_x[j]:
                        errors.append((k, "x", j))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_the_gil_is_released_while_the_library_works():
    """While one thread is inside a long library call (compiling a large generated rule
    set), another thread keeps running Python code: with the GIL held it could not."""
    n = 4000  # 4,000 set tests of 4,000 symbols: within the mask limit (E9010)
    head = ('ruleset "big"\ndisclaimer "Not health information."\n'
            'source bench "Generated"\n  ref 1 "The test."\nend\n'
            "forms glycinate, citrate\nprofile\n  id: text\n  conditions: set of %s\n"
            "  score: number range 0..100\nend\n" % ", ".join("c%d" % i for i in range(n)))
    rules = "".join('rule r%d\n  when conditions has c%d and score < %d.5\n  then inform\n'
                    '  severity info\n  say "Advice %d."\n  cite bench[1]\n'
                    '  evidence limited\nend\n' % (i, i, i % 100, i) for i in range(n))
    src = head + rules
    t0 = time.perf_counter()
    big = mgadvise.Ruleset.from_string(src)
    assert len(big.rule_ids) == n
    big.close()
    once = time.perf_counter() - t0
    assert once > 0.02, "the library call is too short to tell (%.3f s)" % once

    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    spinner = threading.Thread(target=spin)
    spinner.start()
    time.sleep(0.01)
    inside = []
    for _ in range(3):
        a = time.perf_counter()
        mgadvise.Ruleset.from_string(src).close()
        b = time.perf_counter()
        inside.append(sum(1 for t in ticks if a < t < b))
    stop.set()
    spinner.join()
    # with the GIL held through the call, the spinner would add nothing between a and b
    assert max(inside) > 100, inside
