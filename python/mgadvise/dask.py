# SPDX-License-Identifier: MIT
"""mgadvise over Dask: evaluate a bag of JSON-line profiles on many worker processes.

Each worker process compiles the rules once and keeps the rule set for every task after
(a per-process cache keyed by the rules' paths); only the paths (or None for the shipped
rules) travel with the tasks, never a compiled rule set. See docs/SCALE.md."""
import contextlib
import glob
import json
import os
import threading

import dask
import dask.bag as db

from ._core import Ruleset, _input_date, is_error_line

__all__ = ["advise", "advise_files", "catalog", "ruleset_for", "prepare", "cache_info"]

_cache = {}
_cache_lock = threading.Lock()
_compiles = 0


def _key(rules):
    if rules is None:
        return None
    if isinstance(rules, (str, bytes, os.PathLike)):
        rules = [rules]
    return tuple(os.fspath(p) for p in rules)


def ruleset_for(rules=None):
    """The rule set of this process for `rules` (None: Ruleset.builtin(), else a path or
    a list of paths), compiled on first use and kept for the life of the process."""
    global _compiles
    key = _key(rules)
    rs = _cache.get(key)
    if rs is None:
        with _cache_lock:
            rs = _cache.get(key)
            if rs is None:
                rs = Ruleset.builtin() if key is None else Ruleset.from_paths(*key)
                _cache[key] = rs
                _compiles += 1
    return rs


def prepare(rules=None):
    """Compiles the rules in this process now (for Client.run, so that the first tasks do
    not wait for it) and returns cache_info()."""
    ruleset_for(rules)
    return cache_info()


def cache_info():
    """{"pid", "compiles", "rules"}: how often this process compiled rules, and which."""
    return {"pid": os.getpid(), "compiles": _compiles, "rules": [list(k) if k else None
                                                                  for k in _cache]}


def _count(lines):
    return [len(lines) if isinstance(lines, list) else sum(1 for _ in lines)]


def _offsets(*counted):
    """Each partition's first line number, as a one-item list: the sizes of the partitions
    before it added up."""
    out, total = [], 0
    for c in counted:
        out.append([total])
        total += c[0]
    return out


def _advise_part(lines, offset, key, as_bytes, full, input_format, date):
    return list(ruleset_for(key).batch(lines, start=offset[0], as_bytes=as_bytes, full=full,
                                       input_format=input_format, date=date))


def catalog(rules=None):
    """The catalog of `rules` (None: the shipped rules), as a dict: what lean records are
    read with (Ruleset.catalog, mgadvise.lean.restore)."""
    return ruleset_for(rules).catalog()


def advise(bag, rules=None, as_bytes=False, full=False, input_format="jsonl", date=None):
    """A bag of JSON-line profiles (str or bytes lines, or dicts) -> a bag of the lines
    `mgadvise batch` writes for them (str, each ending in "\\n"), in the same order, bad
    records as error records in place. Blank lines give no output line but are counted.
    The results are lean (catalog(rules) holds the rest once); full=True gives them whole,
    as `mgadvise batch --full` does. input_format="fhir" (and the request date `date`,
    default today in UTC, fixed when advise is called) reads each line as a FHIR Bundle,
    as Ruleset.batch does.

    "line" in each record is the 1-based position of the input line in the whole bag, the
    partitions' sizes added up (blank lines included): for a bag read from one file with
    dask.bag.read_text that is the physical line that `mgadvise batch FILE` reports, so the
    output equals batch's, line for line. rules: None (the shipped rules) or rule paths
    that every worker can read. as_bytes=True gives the lines as UTF-8 bytes, which saves
    decoding when they only go to storage."""
    key = _key(rules)
    # checked here, not first in a worker; one date for every worker and partition
    date = _input_date(input_format, date)
    # partition i's first line number: the sizes of partitions 0..i-1 added up, by one
    # task over the counts (which run in parallel); a chain of one addition per partition
    # made every partition wait for the scheduler's round trips along it
    counts = bag.map_partitions(_count).to_delayed()
    table = dask.delayed(_offsets, pure=True)(*counts)
    offsets = [table[i] for i in range(bag.npartitions)]
    # partitionwise, so that what the caller maps over the result runs in the same task
    # as the evaluation instead of moving the records between workers
    return bag.map_partitions(_advise_part, db.from_delayed(offsets), key, bool(as_bytes),
                              bool(full), input_format, date)


def _advise_file(path, out_path, key, full):
    rs = ruleset_for(key)
    records = errors = 0
    tmp = out_path + ".part"
    try:
        with open(path, "rb") as f, open(tmp, "wb") as o:
            for line in rs.batch(f, as_bytes=True, full=full):
                o.write(line)
                records += 1
                errors += is_error_line(line)
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return {"input": path, "output": out_path, "records": records, "errors": errors,
            "ok": records - errors}


def advise_files(inputs, out_dir, rules=None, client=None, full=False):
    """Evaluates JSON-lines files in parallel: every input file is one partition, and its
    output, out_dir/<name>.out.jsonl, is byte for byte what `mgadvise batch FILE` writes
    (lean records; full=True: what `mgadvise batch --full FILE` writes). The rules'
    catalog goes once to out_dir/catalog.json, as `mgadvise catalog` writes it (one line).
    inputs: a list of paths or a glob pattern. Returns (and writes to out_dir/summary.json)
    one summary per input: {"input", "output", "records", "ok", "errors"}. client: a
    distributed Client to use (default: dask's current scheduler)."""
    if isinstance(inputs, (str, os.PathLike)):
        paths = sorted(glob.glob(os.fspath(inputs)))
    else:
        paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise FileNotFoundError("advise_files: no input files in %r" % (inputs,))
    os.makedirs(out_dir, exist_ok=True)
    # the catalog, from this process (the rules are the workers' paths too)
    with open(os.path.join(os.fspath(out_dir), "catalog.json"), "wb") as f:
        f.write(ruleset_for(_key(rules)).catalog(as_bytes=True))
    names = {}
    tasks = []
    key = _key(rules)
    for p in paths:
        base = os.path.basename(p)
        stem = base[:-6] if base.endswith(".jsonl") else base
        n = names.get(stem, 0)
        names[stem] = n + 1
        if n:
            stem = "%s-%d" % (stem, n)
        out = os.path.join(os.fspath(out_dir), stem + ".out.jsonl")
        tasks.append(dask.delayed(_advise_file, pure=False)(p, out, key, bool(full)))
    if client is not None:
        summary = client.gather(client.compute(tasks))
    else:
        summary = list(dask.compute(*tasks))
    with open(os.path.join(os.fspath(out_dir), "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    return summary
