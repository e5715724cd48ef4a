# SPDX-License-Identifier: MIT
"""Drives `mgadvise lsp` through whole sessions, as an editor would, and checks every answer:
diagnostics that appear and clear (codes, ranges, severities, across the files of a rule
folder and in test files), hover, completion, formatting, shutdown and exit, and malformed
input (bad framing, invalid JSON, unknown methods), which must get JSON-RPC errors, never a
crash. Usage: test_lsp.py BUILD/mgadvise (run from the top of the tree)."""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import Client  # noqa: E402

MGADVISE = os.path.abspath(sys.argv[1])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def uri_of(path):
    return "file://" + path


def open_doc(c, path, text=None, lang="mga"):
    if text is None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    c.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri_of(path), "languageId": lang, "version": 1, "text": text}})
    return text


def change(c, path, text, version=2):
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri_of(path), "version": version},
                                        "contentChanges": [{"text": text}]})


def sync(c):
    """A request that answers after every notification before it was handled."""
    r = c.request("textDocument/hover", {"textDocument": {"uri": "file:///nowhere.mga"},
                                         "position": {"line": 0, "character": 0}})
    check(r.get("error", {}).get("code") == -32602, "hover on a document not open: -32602")
    return c.diagnostics()


def pos(line, character):
    return {"line": line, "character": character}


def session(tmp):
    rules = os.path.join(tmp, "rules")
    tests = os.path.join(tmp, "tests")
    safety = os.path.join(rules, "safety.mga")
    profile = os.path.join(rules, "profile.mga")
    c = Client([MGADVISE, "lsp", "--no-analysis"])  # the compiler's diagnostics only

    r = c.request("hover", {})
    check(r.get("error", {}).get("code") == -32002, "a request before initialize: -32002")

    r = c.request("initialize", {"processId": None, "rootUri": uri_of(rules),
                                 "workspaceFolders": [{"uri": uri_of(rules), "name": "rules"}],
                                 "capabilities": {}})
    caps = r["result"]["capabilities"]
    check(caps["textDocumentSync"]["change"] == 1, "full document sync")
    check(caps["documentFormattingProvider"] is True, "formatting offered")
    check(caps["hoverProvider"] is True, "hover offered")
    check(caps["definitionProvider"] is True and caps["documentSymbolProvider"] is True,
          "definition and symbols offered")
    check(r["result"]["serverInfo"]["name"] == "mgadvise", "server name")
    c.notify("initialized", {})
    r = c.request("initialize", {"capabilities": {}})
    check(r.get("error", {}).get("code") == -32600, "a second initialize: -32600")

    # A clean rule file: no diagnostics anywhere.
    text = open_doc(c, safety)
    d = sync(c)
    check(all(v == [] for v in d.values()), "the shipped rules have no diagnostics: %r" % d)

    # An unknown value: E3003 on exactly the misspelt word, with the hint.
    line_no = text.split("\n").index("  when conditions has kidney_disease")
    bad = text.replace("when conditions has kidney_disease", "when conditions has kidney_diseese", 1)
    change(c, safety, bad)
    d = sync(c)
    diags = d.get(uri_of(safety))
    check(diags is not None and len(diags) == 1, "one diagnostic for the typo: %r" % d)
    if diags:
        g = diags[0]
        check(g["code"] == "E3003", "code E3003: %r" % g)
        check(g["severity"] == 1, "severity error")
        check(g["source"] == "mgadvise", "source mgadvise")
        check(g["range"] == {"start": pos(line_no, 22), "end": pos(line_no, 36)},
              "range of 'kidney_diseese': %r" % g["range"])
        check("'kidney_diseese' is not a value of 'conditions'" in g["message"]
              and "did you mean 'kidney_disease'" in g["message"], "message and hint")

    # Back to the original: the diagnostics clear.
    change(c, safety, text, 3)
    d = sync(c)
    check(d.get(uri_of(safety)) == [], "the diagnostic clears: %r" % d)

    # A warning: an unused fact is W5003, severity 2, on the fact's line.
    nlines = text.count("\n")
    change(c, safety, text + "fact lsp_unused when age between 1 and 2 years\n", 4)
    d = sync(c)
    diags = d.get(uri_of(safety)) or []
    check([g["code"] for g in diags] == ["W5003"], "an unused fact warns W5003: %r" % diags)
    if diags:
        check(diags[0]["severity"] == 2, "a warning has severity 2")
        check(diags[0]["range"]["start"]["line"] == nlines, "the warning is on the new line")
    change(c, safety, text, 5)
    check(sync(c).get(uri_of(safety)) == [], "the warning clears")

    # Declarations span files: renaming a field in profile.mga breaks the files that use it,
    # which are not open (their text comes from disk), and mending it clears them.
    ptext = open_doc(c, profile)
    sync(c)
    change(c, profile, ptext.replace("  pregnant: boolean\n", "  pregnantt: boolean\n", 1))
    d = sync(c)
    broken = {u: [g["code"] for g in v] for u, v in d.items() if v}
    check(uri_of(os.path.join(rules, "invariants.mga")) in broken and len(broken) >= 2,
          "a renamed field breaks the files that use it: %r" % broken)
    check(all(code.startswith("E") for v in broken.values() for code in v),
          "the uses of the renamed field are errors: %r" % broken)
    change(c, profile, ptext, 3)
    d = sync(c)
    check(set(d) == set(broken) and all(v == [] for v in d.values()),
          "mending the field clears every file: %r" % d)
    c.notify("textDocument/didClose", {"textDocument": {"uri": uri_of(profile)}})

    # Hover on a field: its type, unit, range and values.
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(safety)},
                                         "position": pos(line_no, 9)})
    v = r["result"]["contents"]["value"]
    check(v.startswith("**conditions**: set of `kidney_disease`, `heart_failure`"),
          "hover on a set field: %r" % v)
    age_line = ptext.split("\n").index("  age: number years range 0..130")
    open_doc(c, profile)
    sync(c)
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(profile)},
                                         "position": pos(age_line, 3)})
    check(r["result"]["contents"]["value"] == "**age**: number in years, range 0 to 130",
          "hover on a number field: %r" % r["result"])
    vd_line = [i for i, s in enumerate(ptext.split("\n")) if s.startswith("  vitamin_d_level:")][0]
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(profile)},
                                         "position": pos(vd_line, 4)})
    check(r["result"]["contents"]["value"].endswith("\n\n25(OH)D blood level; nmol/L accepted too"),
          "hover shows the field's comment: %r" % r["result"])
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(profile)},
                                         "position": pos(0, 0)})
    check(r["result"] is None, "hover on a comment: null")

    # Hover on a rule: severity, kind, evidence, advice text and each citation's passage.
    lines = text.split("\n")
    rule_line = lines.index("rule s1_kidney_disease_avoid_supplements")
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(safety)},
                                         "position": pos(rule_line, 10)})
    v = r["result"]["contents"]["value"]
    check(v.startswith("**rule s1_kidney_disease_avoid_supplements**: critical, avoid, "
                       "evidence guideline\n\nDo not take magnesium supplements unless your "
                       "doctor specifically recommends them."), "hover on a rule: %r" % v[:200])
    check('\n- `immune`: "Individuals with kidney disorders should avoid taking magnesium '
          'supplements unless their doctor specifically recommends them"' in v
          and v.count("\n- `") == 4, "the rule's citations with their passages")
    # Hover on a fact used here and declared in profile.mga: its declaration.
    fact_line = lines.index("  when takes_supplements")
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(safety)},
                                         "position": pos(fact_line, 10)})
    check(r["result"]["contents"]["value"] ==
          "```\nfact takes_supplements when supplement_mg > 0 mg\n```",
          "hover on a fact: %r" % r["result"])
    # Hover on a cited source: its title, author and publisher, and every reference's text.
    cite_line = rule_line + 6
    check(lines[cite_line].startswith("  cite immune quote"), "the test's cite line")
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(safety)},
                                         "position": pos(cite_line, 9)})
    v = r["result"]["contents"]["value"] if r["result"] else ""
    with open(os.path.join(rules, "sources.mga"), encoding="utf-8") as f:
        stext = f.read()
    block = stext[stext.index("source immune"):]
    block = block[:block.index("\nend")]
    refs = re.findall(r'^  ref (\d+) "(.*)"$', block, re.M)
    check(len(refs) > 8 and v.startswith(
              "**source immune**: Magnesium For The Immune System\n\n"
              "Karina Silova, Klarity Health Library\n\nReferences:\n")
          and v.endswith("".join("\n- [%s] %s" % (n, t) for n, t in refs)[1:]),
          "hover on a source: title, author, publisher and all %d references: %r"
          % (len(refs), v[:300]))

    # Definition: a fact, a field and a source in other files; a rule in this one.
    with open(os.path.join(rules, "sources.mga"), encoding="utf-8") as f:
        slines = f.read().split("\n")
    plines = ptext.split("\n")
    for (line, ch, target, tline, tch, tend, what) in [
            (fact_line, 10, profile, plines.index("fact takes_supplements when supplement_mg > 0 mg"),
             5, 22, "a fact"),
            (line_no, 9, profile, plines.index("  conditions: set of kidney_disease, heart_failure,"
                                               " diabetes, ibs, constipation, insomnia,"),
             2, 12, "a field"),
            (cite_line, 9, os.path.join(rules, "sources.mga"),
             slines.index('source immune "Magnesium For The Immune System"'), 7, 13, "a source"),
            (rule_line, 10, safety, rule_line, 5, 40, "a rule")]:
        r = c.request("textDocument/definition", {"textDocument": {"uri": uri_of(safety)},
                                                  "position": pos(line, ch)})
        check(r["result"] == {"uri": uri_of(target),
                              "range": {"start": pos(tline, tch), "end": pos(tline, tend)}},
              "definition of %s: %r" % (what, r["result"]))
    r = c.request("textDocument/definition", {"textDocument": {"uri": uri_of(safety)},
                                              "position": pos(0, 3)})
    check(r["result"] is None, "definition in a comment: null")

    # Document symbols: every declaration of the file, in order, with its kind.
    r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri_of(safety)}})
    syms = r["result"]
    want = [s.split()[1] for s in lines if s.startswith("rule ") or s.startswith("fact ")]
    check([x["name"] for x in syms] == want, "the symbols are the file's rules and facts")
    rule_end = lines.index("end", rule_line)
    check(syms[0] == {"name": "s1_kidney_disease_avoid_supplements", "detail": "rule", "kind": 12,
                      "range": {"start": pos(rule_line, 0), "end": pos(rule_end, 3)},
                      "selectionRange": {"start": pos(rule_line, 5), "end": pos(rule_line, 40)}},
          "a rule's symbol: the whole rule, its name selected: %r" % syms[:1])
    check(all(x["range"]["start"]["line"] <= x["selectionRange"]["start"]["line"]
              and x["range"]["end"]["line"] >= x["selectionRange"]["end"]["line"]
              and lines[x["range"]["end"]["line"]] == "end" for x in syms if x["detail"] == "rule"),
          "every rule's range ends at its 'end' and holds its name")
    r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri_of(profile)}})
    kinds = {}
    for x in r["result"]:
        kinds.setdefault(x["detail"], []).append(x["name"])
    check(kinds.get("field", [])[:3] == ["id", "age", "sex"] and len(kinds["field"]) == 21,
          "the profile's fields are symbols: %r" % kinds.get("field"))
    check("takes_supplements" in kinds.get("fact", []), "the profile's facts are symbols")
    # a field: its name to its last value (a field may go on over lines); a fact: its keyword
    # to the end of its condition
    psyms = {x["name"]: x for x in r["result"]}
    cond = psyms.get("conditions", {})
    cl = plines.index("  conditions: set of kidney_disease, heart_failure, diabetes, ibs,"
                      " constipation, insomnia,")
    cend = cl
    while plines[cend].endswith(","):  # the values go on on the next line
        cend += 1
    check(cond.get("range", {}).get("start") == pos(cl, 2)
          and cond["range"]["end"] == pos(cend, len(plines[cend]))
          and cond["selectionRange"] == {"start": pos(cl, 2), "end": pos(cl, 12)},
          "a field's symbol spans its values: %r (to line %d)" % (cond, cend))
    fl = plines.index("fact takes_supplements when supplement_mg > 0 mg")
    check(psyms["takes_supplements"]["range"] == {"start": pos(fl, 0), "end": pos(fl, len(plines[fl]))},
          "a fact's symbol spans its condition: %r" % psyms["takes_supplements"])

    # Completion after 'severity' and after 'cite'.
    sev_line = lines.index("  severity critical")
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri_of(safety)},
                                              "position": pos(sev_line, 11)})
    check([i["label"] for i in r["result"]] == ["critical", "warning", "info"],
          "completion of severities: %r" % r["result"])
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri_of(safety)},
                                              "position": pos(cite_line, 7)})
    check([i["label"] for i in r["result"]] == ["immune", "sleep", "gut", "vitd", "neck"],
          "completion of source keys: %r" % r["result"])

    # Completion: a set's values after 'has', the fields elsewhere.
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri_of(safety)},
                                              "position": pos(line_no, 22)})
    labels = [i["label"] for i in r["result"]]
    check(labels[:3] == ["kidney_disease", "heart_failure", "diabetes"] and len(labels) == 14,
          "completion after 'conditions has': %r" % labels)
    check(all(i["kind"] == 20 and i["detail"] == "conditions" for i in r["result"]),
          "the values are enum members of conditions")
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri_of(safety)},
                                              "position": pos(line_no, 7)})
    labels = [i["label"] for i in r["result"]]
    check(labels[:4] == ["id", "age", "sex", "conditions"] and "vitamin_d_level" in labels,
          "completion of the fields: %r" % labels)

    # Completion read from the rule set that last compiled, while the line being typed
    # does not compile yet.
    with open(os.path.join(rules, "units.mga"), encoding="utf-8") as f:
        utext = f.read()
    forms = [w.strip() for w in re.search(r"^forms (.*)$", utext, re.M).group(1).split(",")]
    ssrc = "\n".join(slines)
    neck_refs = re.findall(r'^  ref (\d+) "(.*)"$',
                           ssrc[ssrc.index("\nsource neck "):].split("\nend")[0], re.M)

    def complete_at_end(tail, version):
        change(c, safety, text + tail, version)
        last = (text + tail).split("\n")
        r = c.request("textDocument/completion", {"textDocument": {"uri": uri_of(safety)},
                                                  "position": pos(len(last) - 1, len(last[-1]))})
        return r["result"]

    # units of the field's dimension after a number: base first, each with its factor
    items = complete_at_end("fact lsp_t when vitamin_d_level < 30 ", 20)
    check([i["label"] for i in items] == ["nmol/L", "ng/mL"]
          and items[1]["detail"] == "vitamin_d_level: 1 ng/mL = 2.496 nmol/L"
          and items[1]["kind"] == 11 and items[0]["detail"] == "vitamin_d_level: the base unit"
          and "declared in ng/mL (this one)" in items[1]["documentation"]["value"],
          "units after a number compared with vitamin_d_level: %r" % items)
    items = complete_at_end("fact lsp_t when age between 19 and 64 ", 21)
    check([i["label"] for i in items] == ["days", "weeks", "years", "months"]
          and items[2]["detail"] == "duration: 1 years = 365.25 days",
          "units after 'age between 19 and 64': %r" % items)
    items = complete_at_end("fact lsp_t when supplement_mg > 400 m", 22)
    check([i["label"] for i in items] == ["mg", "g", "mcg"], "units of mass: %r" % items)
    # forms after prefer, and supplements too after avoid
    rule_head = "rule lsp_x\n  when age > 19 years\n  then "
    items = complete_at_end(rule_head + "prefer ", 23)
    check([i["label"] for i in items] == forms and all(i["detail"] == "supplement form"
                                                       for i in items),
          "the forms after 'prefer': %r" % items)
    items = complete_at_end(rule_head + "avoid citrate, ", 24)
    check([i["label"] for i in items] == ["supplements"] + forms,
          "supplements and the forms after 'avoid', in a list: %r" % [i["label"] for i in items])
    # severities, each with what it means
    items = complete_at_end(rule_head + "warn\n  severity ", 25)
    check([i["label"] for i in items] == ["critical", "warning", "info"]
          and items[0]["documentation"]["value"].startswith("Listed first"),
          "the severities with their documentation: %r" % items)
    # evidence grades, each with how many rules give it
    items = complete_at_end(rule_head + "warn\n  evidence ", 26)
    grades = [i["label"] for i in items]
    uses = len(re.findall(r"^  evidence guideline$", text, re.M))
    check(grades[:3] == ["guideline", "systematic_review", "rct"] and len(grades) == 9
          and all(i["detail"] == "evidence grade" for i in items),
          "the evidence grades: %r" % grades)
    check(items[0]["documentation"]["value"].startswith("Given by ")
          and int(items[0]["documentation"]["value"].split()[2]) >= uses > 0,
          "a grade's documentation counts the rules that give it: %r" % items[0])
    # source keys with their titles; a source's reference numbers after KEY[
    items = complete_at_end(rule_head + "warn\n  cite ", 27)
    check([i["label"] for i in items] == ["immune", "sleep", "gut", "vitd", "neck"]
          and items[0]["detail"] == "Magnesium For The Immune System"
          and "10 numbered references" in items[0]["documentation"]["value"],
          "the source keys with their titles: %r" % items[:1])
    items = complete_at_end(rule_head + "warn\n  cite neck[", 28)
    check([(i["label"], i["documentation"]["value"]) for i in items] == neck_refs
          and len(neck_refs) > 0 and items[0]["detail"] == "reference %s of neck" % neck_refs[0][0],
          "neck's reference numbers after 'cite neck[': %r" % items[:2])
    change(c, safety, text, 29)
    sync(c)

    # Formatting: a messy file comes back as the file on disk; a tidy one needs no edit.
    messy = text.replace("rule s1_kidney_disease_avoid_supplements\n",
                         "rule   s1_kidney_disease_avoid_supplements   \n", 1)
    messy = messy.replace("\n  when conditions has kidney_disease\n",
                          "\n      when conditions   has kidney_disease\n", 1)
    change(c, safety, messy, 6)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri_of(safety)},
                                              "options": {"tabSize": 2, "insertSpaces": True}})
    edits = r["result"]
    check(len(edits) == 1 and edits[0]["newText"] == text, "formatting restores the layout")
    if edits:
        check(edits[0]["range"] == {"start": pos(0, 0), "end": pos(messy.count("\n"), 0)},
              "the edit spans the whole document: %r" % edits[0]["range"])
    change(c, safety, text, 7)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri_of(safety)},
                                              "options": {"tabSize": 2, "insertSpaces": True}})
    check(r["result"] == [], "a tidy file needs no edit")
    change(c, safety, "rule x\n  when\n", 8)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri_of(safety)},
                                              "options": {"tabSize": 2, "insertSpaces": True}})
    check(r["result"] is None, "a file with a syntax error is not formatted")
    d = sync(c)
    check(any(g["code"].startswith("E2") for g in d.get(uri_of(safety), [])),
          "the syntax error is reported: %r" % d)
    change(c, safety, text, 9)
    sync(c)

    # A test file is compiled against the workspace folder's rules.
    mgt = os.path.join(tests, "safety.mgt")
    with open(mgt, encoding="utf-8") as f:
        ttext = f.read()
    tlines = ttext.split("\n")
    given = [i for i, s in enumerate(tlines) if s == "  given conditions: kidney_disease"][0]
    open_doc(c, mgt, ttext.replace("given conditions: kidney_disease",
                                   "given conditions: kidney_diseese", 1), "mgt")
    d = sync(c)
    diags = d.get(uri_of(mgt)) or []
    check(len(diags) == 1 and diags[0]["code"] == "E3003"
          and diags[0]["range"] == {"start": pos(given, 20), "end": pos(given, 34)},
          "a test file's unknown value: %r" % diags)
    change(c, mgt, ttext)
    check(sync(c).get(uri_of(mgt)) == [], "the test file's diagnostic clears")
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri_of(mgt)},
                                              "position": pos(given, 21)})
    check("kidney_disease" in [i["label"] for i in r["result"]], "completion in a test file")
    c.notify("textDocument/didSave", {"textDocument": {"uri": uri_of(mgt)}})
    check(sync(c).get(uri_of(mgt), []) == [], "saving a clean test file adds nothing")
    c.notify("textDocument/didClose", {"textDocument": {"uri": uri_of(mgt)}})

    # Malformed input: each gets a JSON-RPC error, and the server goes on.
    r = c.request("textDocument/definitionx", {})
    check(r.get("error", {}).get("code") == -32601
          and "textDocument/definitionx" in r["error"]["message"], "unknown method: -32601")
    c.send({"jsonrpc": "2.0", "id": "str-7", "method": "nope"})
    r = c.wait_response("str-7")
    check(r["error"]["code"] == -32601, "a string id is echoed")
    c.notify("$/cancelRequest", {"id": 1})  # an unknown notification: no answer
    c.send_raw(b"Content-Length: abc\r\n\r\n")
    r = c.read()
    check(r["id"] is None and r["error"]["code"] == -32700
          and "Content-Length" in r["error"]["message"], "bad Content-Length: %r" % r)
    c.send_raw(b"X-Other: 1\r\n\r\n")
    r = c.read()
    check(r["id"] is None and r["error"]["code"] == -32700, "missing Content-Length")
    body = b'{"jsonrpc": "2.0", "id": 3, "method": '
    c.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    r = c.read()
    check(r["id"] is None and r["error"]["code"] == -32700
          and r["error"]["message"].startswith("invalid JSON"), "invalid JSON: %r" % r)
    body = b"[" * 100000
    c.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    r = c.read()
    check(r["error"]["code"] == -32700, "deep nesting is refused")
    c.send([1, 2])
    r = c.read()
    check(r["id"] is None and r["error"]["code"] == -32600, "not an object: -32600")
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(safety)}})
    check(r["error"]["code"] == -32602, "hover without a position: -32602")
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(safety)},
                                         "position": pos(line_no, 9)})
    check(r["result"]["contents"]["value"].startswith("**conditions**"),
          "the server still answers after bad input")

    r = c.request("shutdown")
    check("result" in r and r["result"] is None, "shutdown: null")
    r = c.request("textDocument/hover", {})
    check(r["error"]["code"] == -32600, "a request after shutdown: -32600")
    c.notify("exit")
    rc, err = c.close()
    check(rc == 0, "exit after shutdown: status 0, not %d" % rc)
    check(err == b"", "nothing on standard error: %r" % err[:2000])


def session_ends_early(tmp):
    # exit without shutdown: status 1; input that ends inside a message: status 1.
    c = Client([MGADVISE, "lsp"])
    c.request("initialize", {"capabilities": {}, "rootUri": None})
    c.notify("exit")
    rc, err = c.close()
    check(rc == 1 and err == b"", "exit without shutdown: status 1 (%d, %r)" % (rc, err[:500]))
    c = Client([MGADVISE, "lsp"])
    c.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"")
    rc, err = c.close()
    check(rc == 1 and err == b"", "input ends inside a message: status 1 (%d)" % rc)


def session_repository_root(tmp):
    # The workspace is the folder above rules/ and tests/: a test file finds the rules in
    # rules/ (a rule only they have is known), not the built-in ones.
    extra = os.path.join(tmp, "rules", "zz_lsp.mga")
    with open(extra, "w", encoding="utf-8") as f:
        f.write('rule zz_lsp_only_here\n  when age >= 120 years\n  then warn\n  severity info\n'
                '  say "Only in this folder."\n  cite immune quote "Individuals with kidney'
                ' disorders should avoid taking magnesium supplements"\n  evidence guideline\nend\n')
    try:
        c = Client([MGADVISE, "lsp", "--no-analysis"])
        c.request("initialize", {"rootUri": uri_of(tmp), "capabilities": {
            "textDocument": {"definition": {"linkSupport": True}}}})
        mgt = os.path.join(tmp, "tests", "extra.mgt")
        text = ('test "the folder\'s own rule"\n  given age: 50 years\n    conditions: none\n'
                '  expect no zz_lsp_only_here\nend\n')
        open_doc(c, mgt, text, "mgt")
        check(sync(c).get(uri_of(mgt), []) == [], "a test file uses the rules in rules/")
        change(c, mgt, text.replace("zz_lsp_only_here", "zz_lsp_only_her"))
        d = sync(c).get(uri_of(mgt), [])
        check([g["code"] for g in d] == ["E3052"]
              and d[0]["message"] == "unknown rule 'zz_lsp_only_her'\n"
                                    "note: did you mean 'zz_lsp_only_here'?"
              and d[0]["range"] == {"start": pos(3, 12), "end": pos(3, 27)},
              "an unknown rule id, with the folder's rule as the hint: %r" % d)
        # A client that takes LocationLinks gets the whole rule and its name.
        change(c, mgt, text, 3)
        r = c.request("textDocument/definition", {"textDocument": {"uri": uri_of(mgt)},
                                                  "position": pos(3, 14)})
        check(r["result"] == [{"originSelectionRange": {"start": pos(3, 12), "end": pos(3, 28)},
                               "targetUri": uri_of(extra),
                               "targetRange": {"start": pos(0, 0), "end": pos(7, 3)},
                               "targetSelectionRange": {"start": pos(0, 5), "end": pos(0, 21)}}],
              "definition as a LocationLink: %r" % r["result"])
        c.request("shutdown")
        c.notify("exit")
        rc, err = c.close()
        check(rc == 0 and err == b"", "the second session ends cleanly (%d, %r)" % (rc, err[:500]))
    finally:
        os.remove(extra)


NEVER_FIRES = """rule lsp_never_fires
  when age < 5 years and age > 100 years
  then inform
  severity info
  say "Nothing."
  cite immune quote "adult men (between 19 to 64) should consume 300 mg of magnesium daily"
  evidence guideline
end
"""

WARNS_THE_OLD = """rule lsp_warns_the_old
  when age > 120 years
  then warn
  severity warning
  say "Ask a doctor."
  cite immune quote "adult men (between 19 to 64) should consume 300 mg of magnesium daily"
  evidence guideline
end

invariant lsp_no_warning_for_the_old "nobody over 120 is warned"
  when age > 120 years
  expect no warn
end
"""


def wait_diagnostics(c, uri, pred, what):
    """Reads notifications until one publishes diagnostics for uri that satisfy pred (the
    analysis runs on a worker thread: its result comes when it is done)."""
    import signal

    def expired(signum, frame):
        raise TimeoutError(what)
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(120)  # a hang guard, not a speed check
    try:
        while True:
            m = c.read()
            if (m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == uri and pred(m["params"]["diagnostics"])):
                return m["params"]["diagnostics"]
            if "method" in m:
                c.notes.append(m)
    except TimeoutError:
        check(False, "no diagnostics came for: %s" % what)
        return []
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def codes(diags):
    return [g["code"] for g in diags]


def session_analysis(tmp):
    # The solver analysis: on the first open of a rule file and on each save, on a worker
    # thread; its findings come with the compiler's, the counter-example in the message.
    rules = os.path.join(tmp, "rules")
    extra = os.path.join(rules, "zz_analysis.mga")
    with open(extra, "w", encoding="utf-8") as f:
        f.write(NEVER_FIRES)
    try:
        c = Client([MGADVISE, "lsp"])
        c.request("initialize", {"capabilities": {}, "rootUri": uri_of(rules)})
        open_doc(c, extra)
        d = wait_diagnostics(c, uri_of(extra), lambda v: "W5007" in codes(v),
                             "the analysis of the folder when a rule file is opened")
        g = [x for x in d if x["code"] == "W5007"]
        check(len(g) == 1 and g[0]["message"] == "rule 'lsp_never_fires' never fires: no profile"
              " makes its condition true\nnote: these cannot all be true: 'age < 5 years' and "
              "'age > 100 years' over the declared ranges and values" and g[0]["severity"] == 2
              and g[0]["range"] == {"start": pos(0, 5), "end": pos(0, 20)},
              "a rule that never fires: W5007 on its name: %r" % d)
        # Another request in between: the analysis's findings stay (the text is the same).
        open_doc(c, os.path.join(tmp, "tests", "safety.mgt"), None, "mgt")
        d = sync(c)
        check(uri_of(extra) not in d, "opening a test file does not republish the rules: %r" % d)

        # Saved with a rule that breaks an invariant: W5009 with the counter-example.
        text = NEVER_FIRES + "\n" + WARNS_THE_OLD
        change(c, extra, text)
        d = sync(c).get(uri_of(extra), [])
        check("W5007" not in codes(d) and "W5009" not in codes(d),
              "a change drops the findings of the text before it: %r" % d)
        with open(extra, "w", encoding="utf-8") as f:
            f.write(text)
        c.notify("textDocument/didSave", {"textDocument": {"uri": uri_of(extra)}, "text": text})
        d = wait_diagnostics(c, uri_of(extra), lambda v: "W5009" in codes(v),
                             "the analysis after a save")
        inv_line = text.split("\n").index('invariant lsp_no_warning_for_the_old '
                                          '"nobody over 120 is warned"')
        g = [x for x in d if x["code"] == "W5009"]
        check(len(g) == 1 and g[0]["range"]["start"] == pos(inv_line, 10)
              and g[0]["message"].startswith("invariant 'lsp_no_warning_for_the_old' does not "
                                             "hold: nobody over 120 is warned\nnote: "
                                             "counter-example: {")
              and '"age": ' in g[0]["message"], "a refuted invariant with its witness: %r" % g)
        check("W5007" in codes(d), "the rule that never fires is still reported: %r" % codes(d))

        # A save at once followed by a change: the analysis of the saved text is stale and
        # never published after the change's diagnostics.
        c.notify("textDocument/didSave", {"textDocument": {"uri": uri_of(extra)}, "text": text})
        broken = text.replace("when age > 120 years\n  then warn", "when agee > 120 years\n  then warn")
        change(c, extra, broken, 3)
        sync(c)
        r = c.request("shutdown")
        check(r.get("result", 1) is None, "shutdown with an analysis under way")
        last = c.diagnostics().get(uri_of(extra))
        check(last is None or (codes(last) and all(x.startswith("E") for x in codes(last))),
              "no stale analysis after the change: %r" % last)
        c.notify("exit")
        rc, err = c.close()
        check(rc == 0 and err == b"", "the analysis session ends cleanly (%d, %r)" % (rc, err[:500]))

        # Without the analysis library: said once with window/showMessage; the compiler's
        # diagnostics still come.
        alone = os.path.join(tmp, "alone")
        os.mkdir(alone)
        shutil.copy(MGADVISE, os.path.join(alone, "mgadvise"))
        c = Client([os.path.join(alone, "mgadvise"), "lsp"])
        c.request("initialize", {"capabilities": {}, "rootUri": uri_of(rules)})
        open_doc(c, extra, broken)
        import signal
        signal.alarm(120)
        m = c.read()
        while m.get("method") != "window/showMessage":
            c.notes.append(m)
            m = c.read()
        signal.alarm(0)
        check(m["params"]["type"] == 2 and m["params"]["message"].startswith(
              "mgadvise: the solver analysis is not available: cannot load the analysis library (")
              and m["params"]["message"].endswith("); diagnostics come from the compiler only"),
              "the missing analysis is said: %r" % m)
        c.notify("textDocument/didSave", {"textDocument": {"uri": uri_of(extra)}})
        d = sync(c)
        got = codes(d.get(uri_of(extra), []))
        check(got and all(x.startswith("E") for x in got),
              "the compiler's diagnostics without the analysis: %r" % d)
        c.request("shutdown")
        check(not any(n["method"] == "window/showMessage" for n in c.notes),
              "the missing analysis is said once")
        c.notify("exit")
        rc, err = c.close()
        check(rc == 0 and err == b"", "the session without the analysis ends cleanly")
    finally:
        os.remove(extra)


def session_quotes(tmp):
    # With --sources, every compile checks the cited quotes against the documents, as
    # check --sources does: a quote changed as it is typed is an error at once.
    extra = os.path.join(tmp, "rules", "zz_quote.mga")
    good = ('rule zz_quote_checked\n  when age >= 120 years\n  then warn\n  severity info\n'
            '  say "Checked."\n  cite immune quote "Individuals with kidney disorders should'
            ' avoid taking magnesium supplements"\n  evidence guideline\nend\n')
    with open(extra, "w", encoding="utf-8") as f:
        f.write(good)
    try:
        c = Client([MGADVISE, "lsp", "--no-analysis", "--sources", os.path.abspath("sources")])
        c.request("initialize", {"rootUri": uri_of(tmp), "capabilities": {}})
        open_doc(c, extra, good)
        check(sync(c).get(uri_of(extra), []) == [], "the shipped quote is found: no diagnostic")
        change(c, extra, good.replace("magnesium supplements", "magnesium sweets"))
        d = sync(c).get(uri_of(extra), [])
        check(codes(d) == ["E3028"] and d[0]["range"]["start"]["line"] == 5,
              "a quote the document does not have is E3028 on its line: %r" % d)
        change(c, extra, good, 3)
        check(sync(c).get(uri_of(extra), []) == [], "the quote put back: no diagnostic")
        c.request("shutdown")
        c.notify("exit")
        rc, err = c.close()
        check(rc == 0 and err == b"", "the quote session ends cleanly (%d, %r)" % (rc, err[:500]))
    finally:
        os.remove(extra)


def usage():
    import subprocess
    r = subprocess.run([MGADVISE, "lsp", "extra"], capture_output=True)
    check(r.returncode == 2 and r.stdout == b"" and r.stderr ==
          b"mgadvise lsp: unexpected argument 'extra': the server talks on standard input and "
          b"output\nTry 'mgadvise lsp --help'.\n", "an operand is a usage error: %r" % (r,))
    r = subprocess.run([MGADVISE, "lsp", "--bogus"], capture_output=True)
    check(r.returncode == 2 and b"--bogus" in r.stderr, "an unknown option is a usage error")
    r = subprocess.run([MGADVISE, "lsp", "--help"], capture_output=True)
    check(r.returncode == 0 and r.stdout.startswith(b"usage: mgadvise lsp [--sources DIR]"),
          "lsp --help")
    r = subprocess.run([MGADVISE, "lsp", "--time-limit", "0"], capture_output=True)
    check(r.returncode == 2 and b"'0' for --time-limit is not a number of seconds from 1 to 86400"
          in r.stderr, "a bad time limit is a usage error: %r" % (r,))
    r = subprocess.run([MGADVISE, "lsp", "--sources", "README.md"], capture_output=True)
    check(r.returncode == 2 and b"'README.md' for --sources is not a folder of source documents"
          in r.stderr, "--sources of a file is a usage error: %r" % (r,))


def main():
    tmp = tempfile.mkdtemp(prefix="mgadvise-lsp-")
    try:
        shutil.copytree("rules", os.path.join(tmp, "rules"))
        shutil.copytree("tests/rules", os.path.join(tmp, "tests"))
        session(tmp)
        session_repository_root(tmp)
        session_analysis(tmp)
        session_quotes(tmp)
        session_ends_early(tmp)
        usage()
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("lsp: %d checks failed" % len(failures))
        return 1
    print("lsp: a whole editor session, malformed input and early ends behave")
    return 0


if __name__ == "__main__":
    sys.exit(main())
