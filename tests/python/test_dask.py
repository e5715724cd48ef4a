# SPDX-License-Identifier: MIT
"""mgadvise.dask on a real distributed cluster (2 worker processes over TCP on 127.0.0.1):
every record equals what `mgadvise batch` writes for the same generated profiles, the
rules are compiled once per worker process and never pickled."""
import glob
import hashlib
import json
import os
import pickle
import subprocess

import pytest

from conftest import CLI, ROOT, gen_profiles, run_cli

import dask.bag as db
import distributed

import mgadvise
import mgadvise.dask as mdask

COUNT = int(os.environ.get("MGADVISE_DASK_COUNT", "100000"))
SMALL_RULES = os.path.join(ROOT, "tests", "golden", "batch", "rules.mga")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # the worker processes import mgadvise from the source tree
    pp = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.path.join(ROOT, "python") + (os.pathsep + pp if pp else "")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       host="127.0.0.1", protocol="tcp",
                                       dashboard_address=None,
                                       local_directory=str(tmp_path_factory.mktemp("dask")))
    c = distributed.Client(cluster)
    try:
        assert all(a.startswith("tcp://127.0.0.1:") for a in c.scheduler_info()["workers"])
        yield c
    finally:
        c.close()
        cluster.close()
        if pp is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = pp


def cli_digests(path, *args):
    """sha1 of every line `mgadvise batch` writes for path, read as it streams."""
    p = subprocess.Popen([CLI, "batch", "-q", "-j", "2", *args, path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    out = [hashlib.sha1(line).digest() for line in p.stdout]
    assert p.wait() in (0, 1)
    return out


def test_every_record_equals_mgadvise_batch(client, tmp_path):
    path = gen_profiles(str(tmp_path / "gen.jsonl"), COUNT)
    bag = db.read_text(path, blocksize=1 << 20)
    assert bag.npartitions >= 4
    got = mdask.advise(bag).map(lambda s: hashlib.sha1(s.encode("utf-8")).digest()).compute()
    want = cli_digests(path)
    assert len(want) == COUNT
    assert len(got) == COUNT
    bad = [i + 1 for i, (a, b) in enumerate(zip(got, want)) if a != b]
    assert bad == [], "records differ at output lines %s" % bad[:10]
    # each worker process compiled the shipped rules once, for all of its tasks
    info = client.run(mdask.cache_info)
    assert len(info) == 2
    assert all(v["compiles"] == 1 and v["rules"] == [None] for v in info.values()), info


def test_bad_and_blank_lines_across_partitions(client, tmp_path):
    """Error records in place and blank lines counted, with line numbers running on from
    partition to partition, against a rules path every worker reads."""
    p = tmp_path / "mixed.jsonl"
    with open(p, "wb") as f:
        subprocess.run(["awk", "-v", "n=2000", "-v", "bad=37", "-v", "blank=50", "-f",
                        os.path.join(ROOT, "tests", "golden", "batch", "gen.awk")],
                       stdout=f, check=True)
    with open(p, "rb") as f:
        lines = [x.decode("utf-8", "surrogateescape") for x in f]
    bag = db.from_sequence(lines, npartitions=7)
    got = mdask.advise(bag, rules=SMALL_RULES).compute()
    rc, want, err = run_cli("batch", "-q", "-r", SMALL_RULES, str(p))
    assert rc == 1, err
    assert "".join(got).encode("utf-8", "surrogateescape") == want
    assert any('"error":{' in x for x in got)
    # to storage as docs/SCALE.md shows: one joined text per partition, files in order
    out = mdask.advise(bag, rules=SMALL_RULES)
    out.map_partitions(lambda lines: ["".join(lines)]).to_textfiles(
        str(tmp_path / "out" / "*.jsonl"), encoding="utf-8", errors="surrogateescape")
    files = sorted(glob.glob(str(tmp_path / "out" / "*.jsonl")))
    assert len(files) == 7
    text = b"".join(open(f, "rb").read() for f in files)
    assert text == want
    # as bytes, written as they are
    raw = mdask.advise(bag, rules=SMALL_RULES, as_bytes=True)
    raw.map_partitions(lambda lines: [b"".join(lines)]).to_textfiles(
        str(tmp_path / "raw" / "*.jsonl"))
    files = sorted(glob.glob(str(tmp_path / "raw" / "*.jsonl")))
    assert b"".join(open(f, "rb").read() for f in files) == want
    info = client.run(mdask.cache_info)
    assert all(v["compiles"] <= 2 for v in info.values())


def test_the_graph_carries_paths_not_rule_sets():
    bag = db.from_sequence(['{"id":"a"}'] * 10, npartitions=2)
    out = mdask.advise(bag, rules=[SMALL_RULES])
    import cloudpickle
    blob = cloudpickle.dumps(dict(out.__dask_graph__()))  # a Ruleset would refuse this
    assert SMALL_RULES.encode() in blob
    with pytest.raises(TypeError):
        pickle.dumps(mgadvise.Ruleset.from_paths(SMALL_RULES))


def test_advise_files_writes_what_batch_writes(client, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    gen_profiles(str(inputs / "a.jsonl"), 3000, seed=3)
    gen_profiles(str(inputs / "b.jsonl"), 10, seed=4)
    with open(inputs / "c.jsonl", "wb") as f:
        f.write(b'{"id":"c1","age":40}\n\n{"id":"c2","age":"x"}\n{broken\n')
    out = tmp_path / "out"
    summary = mdask.advise_files(str(inputs / "*.jsonl"), str(out), client=client)
    assert [os.path.basename(s["input"]) for s in summary] == ["a.jsonl", "b.jsonl", "c.jsonl"]
    for s in summary:
        rc, want, err = run_cli("batch", "-q", s["input"])
        with open(s["output"], "rb") as f:
            assert f.read() == want, s
        # the CLI's summary line: "R records, K ok, E errors"
        tail = err.strip().splitlines()[-1]
        assert "%d records, %d ok, %d errors" % (s["records"], s["ok"], s["errors"]) in tail
    assert summary[2]["errors"] == 2 and summary[2]["records"] == 3
    assert sorted(os.listdir(out)) == ["a.out.jsonl", "b.out.jsonl", "c.out.jsonl",
                                       "catalog.json", "summary.json"]
    # the catalog beside them, as `mgadvise catalog` writes it: it restores the full records
    rc, want_cat, _ = run_cli("catalog")
    with open(out / "catalog.json", "rb") as f:
        assert rc == 0 and f.read() == want_cat
    rc, want_full, _ = run_cli("batch", "-q", "--full", summary[0]["input"])
    cat = json.loads(want_cat)
    with open(summary[0]["output"], encoding="utf-8") as f:
        restored = [json.dumps(mgadvise.restore(json.loads(line), cat), ensure_ascii=False,
                               separators=(",", ":")) + "\n" for line in f]
    assert "".join(restored).encode("utf-8") == want_full
    # full=True: what --full writes
    full = mdask.advise_files([summary[1]["input"]], str(tmp_path / "full"), client=client,
                              full=True)
    rc, want, _ = run_cli("batch", "-q", "--full", summary[1]["input"])
    with open(full[0]["output"], "rb") as f:
        assert f.read() == want
    with pytest.raises(FileNotFoundError):
        mdask.advise_files(str(inputs / "*.none"), str(out), client=client)


def test_advise_files_reports_an_unreadable_input(client, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        mdask.advise_files([str(tmp_path / "missing.jsonl")], str(out), client=client)
    assert [f for f in os.listdir(out) if f.endswith(".part")] == []


def test_fhir_lines(client):
    """input_format="fhir": the records `mgadvise batch --input-format fhir` writes, across
    partitions, error records in place."""
    path = os.path.join(ROOT, "tests", "golden", "batch", "fhir-bundles", "input.jsonl")
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    bag = db.from_sequence(lines, npartitions=3)
    got = "".join(mdask.advise(bag, input_format="fhir", date="2026-06-01").compute())
    rc, want, _ = run_cli("batch", "-q", "--input-format", "fhir", "--date", "2026-06-01", path)
    assert rc == 1 and got.encode("utf-8") == want
    # the arguments are checked when advise is called, not first in a worker
    for kw in ({"input_format": "xml"}, {"date": "2026-06-01"},
               {"input_format": "fhir", "date": "01/06/2026"}):
        with pytest.raises(mgadvise.InvalidArgumentError):
            mdask.advise(bag, **kw)
