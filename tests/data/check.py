#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The data formats against their definitions (make data-test; Debian's python3-jsonschema):

- `mgadvise schema` is a valid JSON Schema (draft 2020-12); every example profile
  (examples/profiles/) validates against it; every profile in tests/data/rejected/, which
  the engine rejects for a type or a range, is rejected by the schema too; and for every
  field of the shipped rules and of tests/golden/schema/doc-comments-and-units/rules.mga,
  values generated around each type, symbol, unit and bound are accepted by the schema
  exactly when the engine accepts them (mgadvise batch).
- `mgadvise check --format sarif` gives SARIF 2.1.0 logs valid against the official SARIF
  2.1.0 JSON Schema (the file named by the environment's SARIF_SCHEMA; make data-test
  installs it with npm), with the properties the standard requires (checked by a schema
  written here from the OASIS specification, sections 3.13 onwards, and by
  cross-references no schema can express), and `--format json` the same diagnostics.

Usage: SARIF_SCHEMA=sarif-2.1.0-rtm.5.json check.py BUILD/mgadvise
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/mgadvise"
failures = []
checks = 0


def fail(what):
    failures.append(what)
    print("FAIL: " + what)


def ok(cond, what):
    global checks
    checks += 1
    if not cond:
        fail(what)
    return cond


def run(*args, code=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True,
                       env=dict(os.environ, LC_ALL="C"))
    if code is not None and p.returncode not in code:
        fail("mgadvise %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr[-2000:]))
    return p


# ---- the profile schema ---------------------------------------------------------------

# The engine's codes for a value of the wrong type, out of range, not among the symbols or
# units, an incomplete quantity, an unknown field and a profile that is not an object.
TYPE_OR_RANGE = {"E4002", "E4003", "E4004", "E4005", "E4007", "E4011", "E4013"}


def engine_verdicts(rules, profiles):
    """For each profile (a JSON value): None when the engine accepts it, else its error
    code, through one `mgadvise batch` run."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in profiles:
            f.write(json.dumps(p) + "\n")
        name = f.name
    try:
        args = ["batch", "-q", name] + (["-r", rules] if rules else [])
        p = run(*args, code=(0, 1))
    finally:
        os.unlink(name)
    out = [json.loads(line) for line in p.stdout.splitlines()]
    ok(len(out) == len(profiles), "batch gave %d lines for %d profiles" % (len(out), len(profiles)))
    return [None if "result" in r else r["error"]["code"] for r in out]


def schema_of(rules):
    p = run("schema", *(["-r", rules] if rules else []), code=(0,))
    schema = json.loads(p.stdout)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        ok(True, "")
    except jsonschema.SchemaError as e:
        fail("mgadvise schema %s: not a valid 2020-12 schema: %s" % (rules or "", e.message))
    return schema, jsonschema.Draft202012Validator(schema)


def generated(schema):
    """Profiles of one field each: every type, every symbol and a wrong one, each unit of a
    quantity at its bounds, just inside and just outside them."""
    out = []
    for name, fs in schema["properties"].items():
        vals = [None, True, False, "text", 0, 1.5, [], {}, ["x"]]
        if "enum" in fs:
            vals += [s for s in fs["enum"] if s is not None] + ["not_a_value"]
        if fs.get("type") == ["array", "null"]:
            syms = fs["items"]["enum"]
            vals += [[s] for s in syms] + [syms, syms[:1] + ["not_a_value"], [1], [None]]
        alts = [fs] + fs.get("anyOf", [])
        for a in alts:
            if "minimum" in a:
                vals += around(a["minimum"], a["maximum"])
            if a.get("type") == "object":
                units = a["properties"]["unit"]["enum"]
                for rule in a["allOf"]:
                    u = rule["if"]["properties"]["unit"]["const"]
                    v = rule["then"]["properties"]["value"]
                    vals += [{"value": x, "unit": u} for x in around(v["minimum"], v["maximum"])]
                vals += [{"value": 1}, {"unit": units[0]}, {"value": "1", "unit": units[0]},
                         {"value": 1, "unit": "not_a_unit"}, {"value": 1, "unit": units[0], "x": 1}]
        out += [{name: v} for v in vals]
    return out


def around(lo, hi):
    """Bounds, the middle, and 1% of the width inside and outside each bound."""
    d = (hi - lo) * 0.01 or 1
    if abs(lo) >= 1e299 or abs(hi) >= 1e299:  # the engine's own bounds: far inside and out
        return [lo, hi, 0, lo * 2, hi * 2]
    return [lo, hi, (lo + hi) / 2, lo + d, hi - d, lo - d, hi + d]


def check_profiles(rules, label):
    schema, V = schema_of(rules)
    profiles = generated(schema)
    for p, code in zip(profiles, engine_verdicts(rules, profiles)):
        errs = list(V.iter_errors(p))
        ok((code is None) == (not errs),
           "%s: %s: engine %s, schema %s" % (label, json.dumps(p), code or "accepts",
                                             errs[0].message if errs else "accepts"))
        if code is not None:
            ok(code in TYPE_OR_RANGE, "%s: %s: rejected with %s" % (label, json.dumps(p), code))
    return V


V = check_profiles(None, "shipped rules")
check_profiles("tests/golden/schema/doc-comments-and-units/rules.mga", "schema test rules")

examples = sorted(glob.glob("examples/profiles/*.json"))
ok(len(examples) > 0, "no example profiles")
for path in examples:
    errs = list(V.iter_errors(json.load(open(path))))
    ok(not errs, "%s does not validate: %s" % (path, errs[0].message if errs else ""))

rejected = sorted(glob.glob("tests/data/rejected/*.json"))
ok(len(rejected) > 0, "no profiles in tests/data/rejected")
data = [json.load(open(path)) for path in rejected]
for path, p, code in zip(rejected, data, engine_verdicts(None, data)):
    ok(code in TYPE_OR_RANGE, "%s: the engine gives %s, not a type or range error" %
       (path, code or "no error"))
    ok(list(V.iter_errors(p)), "%s: the schema accepts what the engine rejects" % path)

# ---- SARIF ------------------------------------------------------------------------------

# What SARIF 2.1.0 requires of the objects mgadvise writes (OASIS SARIF v2.1.0: sarifLog
# 3.13, run 3.14, tool 3.18, toolComponent 3.19, reportingDescriptor 3.49, result 3.27,
# message 3.11, location 3.28, physicalLocation 3.29, artifactLocation 3.4, region 3.30).
MESSAGE = {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
           "properties": {"text": {"type": "string"}, "id": {"type": "string"}}}
MULTIFORMAT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
POS = {"type": "integer", "minimum": 1}
SARIF = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "version": {"type": "string"},
                        "informationUri": {"type": "string", "format": "uri"},
                        "rules": {"type": "array", "uniqueItems": True, "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {
                                "id": {"type": "string"},
                                "shortDescription": MULTIFORMAT,
                                "fullDescription": MULTIFORMAT,
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                            }}},
                    }}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": MESSAGE,
                        "locations": {"type": "array", "minItems": 1, "items": {
                            "type": "object",
                            "properties": {"physicalLocation": {
                                "type": "object",
                                "anyOf": [{"required": ["address"]},
                                          {"required": ["artifactLocation"]}],
                                "properties": {
                                    "artifactLocation": {"type": "object", "properties": {
                                        "uri": {"type": "string", "format": "uri-reference"}}},
                                    "region": {"type": "object", "properties": {
                                        "startLine": POS, "startColumn": POS,
                                        "endLine": POS, "endColumn": POS}},
                                }}}}},
                        "properties": {"type": "object"},
                    }}},
            }}},
    },
}
jsonschema.Draft202012Validator.check_schema(SARIF)
SV = jsonschema.Draft202012Validator(SARIF, format_checker=jsonschema.FormatChecker())

# The official schema (draft-04), as published with SARIF 2.1.0.
if not os.environ.get("SARIF_SCHEMA") or not os.path.isfile(os.environ["SARIF_SCHEMA"]):
    print("FAIL: SARIF_SCHEMA does not name the official SARIF 2.1.0 schema (make data-test)")
    sys.exit(1)
with open(os.environ["SARIF_SCHEMA"], encoding="utf-8") as f:
    OFFICIAL = json.load(f)
ok("(SARIF) Version 2.1.0" in OFFICIAL.get("title", ""), "the official schema is SARIF 2.1.0's")
OV_CLASS = jsonschema.validators.validator_for(OFFICIAL)
OV_CLASS.check_schema(OFFICIAL)
OV = OV_CLASS(OFFICIAL, format_checker=jsonschema.FormatChecker())


def check_sarif(args, label, codes=(0, 1)):
    sarif = json.loads(run("check", "--format", "sarif", *args, code=codes).stdout)
    diags = json.loads(run("check", "--format", "json", *args, code=codes).stdout)
    for e in SV.iter_errors(sarif):
        fail("%s: SARIF: %s at %s" % (label, e.message, "/".join(map(str, e.absolute_path))))
    errors = list(OV.iter_errors(sarif))
    for e in errors:
        fail("%s: the official SARIF 2.1.0 schema: %s at %s"
             % (label, e.message, "/".join(map(str, e.absolute_path))))
    ok(not errors, label + ": valid against the official SARIF 2.1.0 schema")
    # and the official schema does refuse a log that breaks it
    if sarif["runs"] and sarif["runs"][0].get("results"):
        broken = json.loads(json.dumps(sarif))
        broken["runs"][0]["results"][0]["level"] = "fatal"
        ok(any(True for _ in OV.iter_errors(broken)),
           label + ": the official schema refuses a result of level 'fatal'")
    ok(sarif.get("version") == "2.1.0" and isinstance(sarif.get("$schema"), str),
       label + ": version and $schema")
    run0 = sarif["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    ok(len(ids) == len(set(ids)), label + ": rule ids are not unique")
    results = run0["results"]
    ok(len(results) == len(diags), label + ": %d results, %d diagnostics" %
       (len(results), len(diags)))
    for r, d in zip(results, diags):
        where = "%s: result %s" % (label, json.dumps(r)[:200])
        ok(r["level"] in ("none", "note", "warning", "error"), where + ": level")
        ok(0 <= r["ruleIndex"] < len(rules) and rules[r["ruleIndex"]]["id"] == r["ruleId"],
           where + ": ruleIndex does not name ruleId")
        ok(r["ruleId"] == d["code"] and r["level"] == d["severity"], where + ": code or level")
        ok(r["message"]["text"].startswith(d["message"]), where + ": message")
        ok(("locations" in r) == (d["file"] is not None), where + ": locations without a file")
        if d["line"]:
            reg = r["locations"][0]["physicalLocation"]["region"]
            ok((reg["startLine"], reg["startColumn"], reg["endLine"], reg["endColumn"]) ==
               (d["line"], d["column"], d["end_line"], d["end_column"]), where + ": region")
            ok((reg["endLine"], reg["endColumn"]) >= (reg["startLine"], reg["startColumn"]),
               where + ": the region ends before it starts")
        ok(r.get("properties", {}).get("witness") == d["witness"], where + ": witness")


for f in sorted(glob.glob("tests/golden/diag/*.mga")):
    check_sarif([f], f)
check_sarif(["--sources", "sources", "rules/"], "rules/ (shipped)")
check_sarif(["--no-analysis", "tests/data/no-such-file.mga"], "a missing file", (3,))

print("data: %d checks, %d failed (schema: %d example profiles, %d rejected profiles; SARIF)"
      % (checks, len(failures), len(examples), len(rejected)))
sys.exit(1 if failures else 0)
