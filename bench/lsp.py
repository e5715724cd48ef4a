# SPDX-License-Identifier: MIT
"""`make bench-lsp`: how fast `mgadvise lsp` answers after a change, on the shipped rules.

Opens every rule file of a copy of rules/ and one test file, then makes CHANGES edits to
safety.mga, each a whole-document change that alternates between the file as shipped and
one with a misspelt value (so every change publishes diagnostics: the error, then its
clearing). For each it measures, from the moment the change is written:
  diagnostics  until the publishDiagnostics of safety.mga arrives (the folder's 11 files
               compiled together, the test file rechecked)
  hover        a hover on a field sent right after the change: until its answer
  completion   a completion after 'severity' sent right after the change: until its answer
It prints the median and the 90th percentile of each, and the same requests with no change
before them, and the ratio of the diagnostics' median to a compile of the same folder by
`mgadvise check --no-analysis` (process start included) in the same run.
Target: every median and 90th percentile after a change under 50 ms (PASS/MISS).
usage: lsp.py MGADVISE [CHANGES]"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lsp"))
from client import Client  # noqa: E402

TARGET_MS = 50.0


def uri(path):
    return "file://" + path


def p90(v):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def main():
    mgadvise = os.path.abspath(sys.argv[1])
    changes = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    tmp = tempfile.mkdtemp(prefix="mgadvise-bench-lsp-")
    try:
        rules = os.path.join(tmp, "rules")
        shutil.copytree("rules", rules)
        shutil.copytree("tests/rules", os.path.join(tmp, "tests"))
        safety = os.path.join(rules, "safety.mga")
        with open(safety, encoding="utf-8") as f:
            text = f.read()
        bad = text.replace("when conditions has kidney_disease",
                           "when conditions has kidney_diseese", 1)
        assert bad != text
        lines = text.split("\n")
        field_line = lines.index("  when conditions has kidney_disease")
        sev_line = lines.index("  severity critical")

        c = Client([mgadvise, "lsp", "--no-analysis"])
        c.request("initialize", {"capabilities": {}, "rootUri": uri(tmp),
                                 "workspaceFolders": [{"uri": uri(rules), "name": "rules"}]})
        c.notify("initialized", {})
        for name in sorted(os.listdir(rules)):
            if name.endswith(".mga"):
                p = os.path.join(rules, name)
                with open(p, encoding="utf-8") as f:
                    c.notify("textDocument/didOpen", {"textDocument": {
                        "uri": uri(p), "languageId": "mga", "version": 1, "text": f.read()}})
        mgt = os.path.join(tmp, "tests", "safety.mgt")
        with open(mgt, encoding="utf-8") as f:
            c.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri(mgt), "languageId": "mgt", "version": 1, "text": f.read()}})

        hover = {"textDocument": {"uri": uri(safety)}, "position": {"line": field_line, "character": 9}}
        compl = {"textDocument": {"uri": uri(safety)}, "position": {"line": sev_line, "character": 11}}
        version = [1]

        def change():
            version[0] += 1
            c.notify("textDocument/didChange", {
                "textDocument": {"uri": uri(safety), "version": version[0]},
                "contentChanges": [{"text": bad if version[0] % 2 == 0 else text}]})

        def timed_request(method, params):
            t0 = time.perf_counter()
            r = c.request(method, params)
            assert "result" in r and r["result"], r
            return (time.perf_counter() - t0) * 1000

        timed_request("textDocument/hover", hover)  # all opened and compiled
        diag, hov, com, hov0, com0 = [], [], [], [], []
        for i in range(changes):
            c.notes = []
            t0 = time.perf_counter()
            change()
            while True:
                m = c.read()
                if (m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["uri"] == uri(safety)):
                    diag.append((time.perf_counter() - t0) * 1000)
                    want_error = version[0] % 2 == 0
                    assert bool(m["params"]["diagnostics"]) == want_error, m
                    break
            t0 = time.perf_counter()
            change()
            r = c.request("textDocument/hover", hover)
            assert r["result"]["contents"]["value"].startswith("**conditions**"), r
            hov.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            change()
            r = c.request("textDocument/completion", compl)
            assert [x["label"] for x in r["result"]] == ["critical", "warning", "info"], r
            com.append((time.perf_counter() - t0) * 1000)
            hov0.append(timed_request("textDocument/hover", hover))
            com0.append(timed_request("textDocument/completion", compl))
        c.request("shutdown")
        c.notify("exit")
        c.close()

        compile_ms = []
        paths = [os.path.join(rules, n) for n in sorted(os.listdir(rules)) if n.endswith(".mga")]
        for _ in range(10):
            t0 = time.perf_counter()
            subprocess.run([mgadvise, "check", "--no-analysis", "-q"] + paths, check=True,
                           stdout=subprocess.DEVNULL)
            compile_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        shutil.rmtree(tmp)

    print("lsp: %d changes to rules/safety.mga (11 rule files and a test file open)" % changes)
    rows = [("change -> publishDiagnostics", diag, True), ("change + hover -> answer", hov, True),
            ("change + completion -> answer", com, True), ("hover, no change", hov0, False),
            ("completion, no change", com0, False)]
    miss = False
    for name, v, target in rows:
        med, q = statistics.median(v), p90(v)
        verdict = ""
        if target:
            ok = med < TARGET_MS and q < TARGET_MS
            miss |= not ok
            verdict = "  target < %.0f ms: %s" % (TARGET_MS, "PASS" if ok else "MISS")
        print("lsp: %-30s median %7.2f ms  p90 %7.2f ms%s" % (name, med, q, verdict))
    cm = statistics.median(compile_ms)
    print("lsp: mgadvise check --no-analysis on the folder (a process each): median %.2f ms;"
          " diagnostics / check = %.2fx" % (cm, statistics.median(diag) / cm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
