# SPDX-License-Identifier: MIT
"""Ruleset.batch writes, line for line and byte for byte, what `mgadvise batch` writes for
the same input: good records, error records in place, blank lines counted."""
import glob
import json
import os
import subprocess

import pytest

from conftest import ROOT, cli_batch, run_cli

import mgadvise

SMALL_RULES = os.path.join(ROOT, "tests", "golden", "batch", "rules.mga")


def py_batch(rs, path, **kw):
    with open(path, "rb") as f:
        return b"".join(rs.batch(f, as_bytes=True, **kw))


def first_difference(a, b):
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return "output line %d:\n python: %r\n    cli: %r" % (i + 1, x[:300], y[:300])
    return "line counts %d and %d" % (len(la), len(lb))


def same(a, b):
    assert a == b, first_difference(a, b)


def test_example_profiles(rs, tmp_path):
    p = tmp_path / "examples.jsonl"
    with open(p, "w", encoding="utf-8") as f:
        for path in sorted(glob.glob(os.path.join(ROOT, "examples", "profiles", "*.json"))):
            with open(path, encoding="utf-8") as g:
                f.write(json.dumps(json.load(g), ensure_ascii=False) + "\n")
    want = cli_batch(str(p))
    assert want.count(b"\n") >= 30
    same(py_batch(rs, str(p)), want)


def test_ten_thousand_generated_profiles(rs, gen10k):
    want = cli_batch(gen10k)
    assert want.count(b"\n") == 10000
    same(py_batch(rs, gen10k), want)
    same(py_batch(rs, gen10k, jobs=2, chunk=97), want)
    # full records: what --full writes
    same(py_batch(rs, gen10k, jobs=2, full=True), cli_batch(gen10k, "--full"))


def test_golden_batch_inputs(tmp_path):
    """Every JSON-lines case of the batch golden tests (bad records, blank lines, escapes,
    unknown fields), against their small rule set."""
    rs = mgadvise.Ruleset.from_paths(SMALL_RULES)
    cases = sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "batch", "*", "input.jsonl")))
    assert len(cases) >= 5
    for path in cases:
        rc, want, err = run_cli("batch", "-q", "-r", SMALL_RULES, path)
        assert rc in (0, 1), err
        same(py_batch(rs, path), want)


def test_csv_inputs(rs):
    """CSV through the same engine: every CSV case of the batch golden tests and the example
    spreadsheet, fed whole or a few lines at a time, as `mgadvise batch` reads them."""
    cases = sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "batch", "*", "input.csv")))
    assert len(cases) >= 3
    small = mgadvise.Ruleset.from_paths(SMALL_RULES)
    for path in cases:
        rc, want, err = run_cli("batch", "-q", "-r", SMALL_RULES, path)
        if rc == 3:  # a header the rules cannot use: ProfileError, saying which column
            with pytest.raises(mgadvise.ProfileError) as e:
                py_batch(small, path, input_format="csv")
            assert e.value.diagnostics[0]["code"] in ("E4041", "E4042", "E4043", "E4044",
                                                      "E4045")
            continue
        assert rc in (0, 1), err
        same(py_batch(small, path, input_format="csv"), want)
        same(py_batch(small, path, input_format="csv", chunk=3, jobs=2), want)
    example = os.path.join(ROOT, "examples", "profiles.csv")
    same(py_batch(rs, example, input_format="csv"), cli_batch(example))


def test_csv_bad_header_names_the_column(rs):
    with pytest.raises(mgadvise.ProfileError) as e:
        list(rs.batch(["id,agee", "a,40"], input_format="csv"))
    d = e.value.diagnostics[0]
    assert (d["code"], d["line"], d["note"]) == ("E4044", 1, "did you mean 'age'?")
    assert "unknown column 'agee' (column 2)" in str(e.value)


def test_generated_bad_and_blank_lines(rs, tmp_path):
    p = tmp_path / "mixed.jsonl"
    with open(p, "wb") as f:
        subprocess.run(["awk", "-v", "n=3000", "-v", "bad=41", "-v", "blank=60", "-f",
                        os.path.join(ROOT, "tests", "golden", "batch", "gen.awk")],
                       stdout=f, check=True)
    want = cli_batch(str(p))
    assert b'"error":{' in want
    same(py_batch(rs, str(p)), want)
    same(py_batch(rs, str(p), jobs=3, chunk=50), want)


NASTY = [
    b'{"id":"a","age":40}',
    b'',
    b'   \t \r',
    b'{"id":"crlf","age":40}\r',
    b'{"id":"b","age":"x"}',
    b'{"age":"x","id":"after"}',
    b'{"id":"\\u00e9\\ud83d\\ude00\\ud800x\\udc00","age":"x"}',
    b'{"id":"\\u0000nul","age":"x"}',
    b'{"id":"ctl\\u001f\\b\\f\\n\\r\\t\\"\\\\\\/","age":"x"}',
    b'{"id":"raw\xff\xfe\xc3(\xe2\x82bad","age":"x"}',
    b'{"id":"ok\xc3\xa9","age":40}',
    b'{"id":"tab\there","age":40}',
    b'{"id":"q\\"u\\\\o\\u0001t\\/e\\u00e9\\u2028","age":40}',
    b'{"age":41}',
    b'{"id":"","age":42}',
    b'{"id":12,"age":40}',
    b'{"x":{"y":[1,{"id":"deep"}]},"id":"skipped","age":"x"}',
    b'{"x":"a\\"b","id":"esc","age":"x"}',
    b'{"x":tru,"id":"bare","age":"x"}',
    b'{"x" "id":"nocolon"}',
    b'{"id":"unterminated',
    b'{"id":"bad\\q","age":40}',
    b'[{"id":"array"}]',
    b'  {  "id"  :  "spaced" , "age": "x" }  ',
    b'{"id":"nul\x00byte","age":40}',
    b'{"a":1\x00,"id":"x"}',
    b'{"id":"' + b'x' * 300 + b'","age":40}',
    b'{"id":"huge","pad":"' + b'y' * ((1 << 20) + 10) + b'"}',
    b'{"id":"just","pad":"' + b'z' * ((1 << 20) - 30) + b'"}',
    b'{"conditions":["kidney_diseese"],"id":"typo"}',
    b'{"id":"unknown-field","favourite":"blue"}',
    b'null',
    b'"str"',
    b'{',
    b'}',
    b'\xef\xbb\xbf{"id":"bom"}',
    b'{"id":"last-no-newline","age":40}',
]


def test_edge_case_lines(rs, tmp_path):
    p = tmp_path / "nasty.jsonl"
    p.write_bytes(b"\n".join(NASTY))
    want = cli_batch(str(p))
    assert want.count(b"\n") == len(NASTY) - 2
    same(py_batch(rs, str(p)), want)
    # the same lines given as a list of bytes (no line ends) and as CRLF lines
    same(b"".join(rs.batch(NASTY, as_bytes=True)), want)
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(b"\r\n".join(NASTY) + b"\r\n")
    same(py_batch(rs, str(crlf)), cli_batch(str(crlf)))


def test_output_forms(rs, gen10k):
    with open(gen10k, "rb") as f:
        lines = [next(f) for _ in range(200)]
    as_bytes = list(rs.batch(lines, as_bytes=True))
    as_str = list(rs.batch(lines))
    as_text = list(rs.batch(x.decode() for x in lines))
    parsed = list(rs.batch(lines, parse=True))
    assert len(as_bytes) == 200 and all(isinstance(x, str) for x in as_str)
    assert [x.encode() for x in as_str] == as_bytes and as_text == as_str
    assert parsed == [json.loads(x) for x in as_str]
    assert parsed[0]["line"] == 1 and parsed[0]["result"]["ruleset_hash"] == rs.hash
    dicts = [json.loads(x) for x in lines]
    assert [r["result"] for r in rs.batch(dicts, parse=True)] == [r["result"] for r in parsed]
    # numbering can go on from an earlier part (start = the lines before)
    shifted = list(rs.batch(lines[100:], start=100))
    assert shifted == as_str[100:]
    with open(gen10k, encoding="utf-8") as f:  # a file in text mode
        assert list(zip(range(200), rs.batch(f, jobs=2))) == list(enumerate(as_str))


def test_bad_arguments(rs):
    with pytest.raises(mgadvise.InvalidArgumentError):
        rs.batch([], jobs=0)
    with pytest.raises(TypeError):
        list(rs.batch([42]))
    assert list(rs.batch([])) == []
    assert list(rs.batch(["", "  "])) == []
    with pytest.raises(mgadvise.InvalidArgumentError):
        rs.batch([], start=-1)
    with pytest.raises(mgadvise.InvalidArgumentError):
        rs.batch([], input_format="tsv")
    # a str with a lone surrogate is not valid UTF-8: an error record, not an exception
    rec = list(rs.batch(['{"id":"s\ud800"}'], parse=True))
    assert rec[0]["line"] == 1 and rec[0]["error"]["code"] == "E4001"


def test_an_abandoned_batch_cleans_up(rs, gen10k):
    with open(gen10k, "rb") as f:
        it = rs.batch(f, jobs=2, chunk=10)
        first = next(it)
        it.close()
    assert first.startswith('{"line":1,"id":"p1","result":{')


def test_threads_each_running_a_batch(rs, gen10k):
    import threading
    want = py_batch(rs, gen10k)
    got = [None] * 4

    def work(k):
        got[k] = py_batch(rs, gen10k, jobs=1 + k % 2)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(g == want for g in got)


def test_integer_ids_stay_integers():
    """A database key given as a JSON integer comes back an integer, in good records and in
    error records; a string id stays a string."""
    rs = mgadvise.Ruleset.from_paths(SMALL_RULES)
    lines = ['{"id": 5, "age": 40}', '{"id": "5", "age": 40}', '{"id": 7, "age": "x"}',
             {"id": 123456789012345678901, "age": 50}]
    recs = list(rs.batch(lines, parse=True))
    assert [r["id"] for r in recs] == [5, "5", 7, 123456789012345678901]
    full = list(rs.batch(lines, parse=True, full=True))
    assert full[0]["result"]["id"] == 5 and full[1]["result"]["id"] == "5"
    assert recs[2]["error"]["field"] == "$.age"
    assert rs.evaluate({"id": 9, "age": 40})["id"] == 9


def test_order_and_errors_in_place_any_jobs_and_chunk(rs, gen10k):
    """The library's batch engine keeps input order on 1 to 4 threads and whatever the
    blocks fed to it; bad records are error records in their places."""
    with open(gen10k, "rb") as f:
        lines = [next(f) for _ in range(3000)]
    for i in range(0, 3000, 97):
        lines[i] = b'{"id":%d,"age":"x"}\n' % i
    want = b"".join(rs.batch(lines, as_bytes=True))
    got = want.split(b"\n")[:-1]
    assert len(got) == 3000
    for i, rec in enumerate(got):
        assert rec.startswith(b'{"line":%d,"id":' % (i + 1))
        if i % 97 == 0:
            assert rec.startswith(b'{"line":%d,"id":%d,"error":{"field":"$.age"' % (i + 1, i))
        else:
            assert b',"result":{' in rec
    for jobs in (1, 2, 3, 4):
        for chunk in (1, 7, 1000):
            same(b"".join(rs.batch(lines, jobs=jobs, chunk=chunk, as_bytes=True)), want)


def test_an_item_with_a_line_break_stays_one_record(rs):
    """A "\\n" inside an item is white space to JSON: the item is still one record."""
    recs = list(rs.batch(['{"id":"a",\n"age":40}', '{"id":"b\nc"}', ""], parse=True))
    assert [r["line"] for r in recs] == [1, 2]
    assert recs[0]["id"] == "a" and "result" in recs[0]
    assert recs[1]["error"]["code"] == "E4001"
    # bytes lines as a file gives them: joined as they are, unless one lacks its line end
    # or holds another inside
    for items in ([b'{"id":"a","age":40}\n', b'{"id":"b","age":41}\n'],
                  [b'{"id":"a","age":40}\n', b'{"id":"b","age":41}'],
                  [b'{"id":"a",\n"age":40}\n', b'{"id":"b","age":41}\n']):
        recs = list(rs.batch(items, parse=True))
        assert [(r["line"], r["id"], "result" in r) for r in recs] == [(1, "a", True),
                                                                       (2, "b", True)]
