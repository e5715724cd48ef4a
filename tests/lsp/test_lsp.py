# SPDX-License-Identifier: MIT
"""Drives `mgadvise lsp` through whole sessions, as an editor would, and checks every answer:
diagnostics that appear and clear (codes, ranges, severities, across the files of a rule
folder and in test files), hover, completion, formatting, shutdown and exit, and malformed
input (bad framing, invalid JSON, unknown methods), which must get JSON-RPC errors, never a
crash. Usage: test_lsp.py BUILD/mgadvise (run from the top of the tree)."""
import os
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
    c = Client([MGADVISE, "lsp"])

    r = c.request("hover", {})
    check(r.get("error", {}).get("code") == -32002, "a request before initialize: -32002")

    r = c.request("initialize", {"processId": None, "rootUri": uri_of(rules),
                                 "workspaceFolders": [{"uri": uri_of(rules), "name": "rules"}],
                                 "capabilities": {}})
    caps = r["result"]["capabilities"]
    check(caps["textDocumentSync"]["change"] == 1, "full document sync")
    check(caps["documentFormattingProvider"] is True, "formatting offered")
    check(caps["hoverProvider"] is True, "hover offered")
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


def main():
    tmp = tempfile.mkdtemp(prefix="mgadvise-lsp-")
    try:
        shutil.copytree("rules", os.path.join(tmp, "rules"))
        shutil.copytree("tests/rules", os.path.join(tmp, "tests"))
        session(tmp)
        session_ends_early(tmp)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("lsp: %d checks failed" % len(failures))
        return 1
    print("lsp: a whole editor session, malformed input and early ends behave")
    return 0


if __name__ == "__main__":
    sys.exit(main())
