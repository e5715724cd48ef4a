# SPDX-License-Identifier: MIT
"""make bench-python (also run by make bench): Python's Ruleset.batch against `mgadvise
batch -j 2` on the same generated profiles, and the Dask path with 2 worker processes
against 1, each ratio printed with its target and the command that reproduces it.

    /usr/bin/python3 python/bench_python.py [--build build] [--count 100000]
        [--dask-count 1000000] [--runs 3] [--skip-python] [--skip-dask]

Every figure is the best of --runs timed runs (the machine may be shared). The Dask
timings start once the workers have compiled the rules (cluster start-up is left out).
The Dask rows run on --dask-count profiles: a job of 100,000 lines takes a worker about
2 s, as long as its fixed costs (reading the partitions, the tasks, the transfers), so it
says little about how a population scales over processes."""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def best(runs, fn):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def cli_time(cli, path, runs, pipe):
    def run():
        if pipe:
            p1 = subprocess.Popen([cli, "batch", "-q", "-j", "2", path], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
            p2 = subprocess.Popen(["cat"], stdin=p1.stdout, stdout=subprocess.DEVNULL)
            p1.stdout.close()
            assert p1.wait() == 0 and p2.wait() == 0
        else:
            subprocess.run([cli, "batch", "-q", "-j", "2", path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
    return best(runs, run)


def py_time(rs, lines, runs, **kw):
    def run():
        n = 0
        for line in rs.batch(lines, **kw):
            n += len(line)
        assert n > 0
    return best(runs, run)


def dask_time(path, workers, runs, tmp):
    import dask.bag as db
    import distributed

    import mgadvise.dask as mdask
    os.environ["PYTHONPATH"] = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
    with distributed.LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", protocol="tcp",
                                  dashboard_address=None,
                                  local_directory=tmp) as cluster, \
            distributed.Client(cluster) as client:
        client.run(mdask.prepare)
        bag = db.read_text(path, blocksize=1 << 20)
        total = []

        def idle(dask_scheduler):
            return len(dask_scheduler.tasks)

        def run():
            total.append(mdask.advise(bag).map(len).sum().compute())

        def timed():
            # the same graph again would find the last run's results still held: wait
            # until the scheduler has let them go
            while client.run_on_scheduler(idle):
                time.sleep(0.02)
            t0 = time.perf_counter()
            run()
            return time.perf_counter() - t0
        t = min(timed() for _ in range(runs))
        return t, bag.npartitions, total[-1]


def child(path, k, n):
    """--child K N: evaluate every Nth line of path from line K (a plain process)."""
    import mgadvise
    rs = mgadvise.Ruleset.builtin()
    with open(path, "rb") as f:
        lines = f.readlines()[k::n]
    total = 0
    for line in rs.batch(lines):
        total += len(line)
    print(total)


def plain_time(path, procs, runs):
    """The control for the Dask rows: the same work split over plain processes, no Dask
    (interpreter start and rule compiling included)."""
    def run():
        ps = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", str(k),
                                str(procs), path], stdout=subprocess.DEVNULL)
              for k in range(procs)]
        assert all(p.wait() == 0 for p in ps)
    return best(runs, run)


def bare_time(procs, runs):
    """The machine's own control: a bare interpreter loop, no mgadvise and no I/O, in one
    process against two at once. Two processes on two idle cores take as long as one; on
    cores that are shared (a virtual machine's vCPUs on one physical core) they do not,
    and no two-process ratio can pass what this one shows."""
    loop = "sum(range(100_000_000))"

    def run():
        ps = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(procs)]
        assert all(p.wait() == 0 for p in ps)
    return best(runs, run)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--dask-count", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("K", "N", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child[2], int(a.child[0]), int(a.child[1]))
    os.environ.setdefault("MGADVISE_LIB", os.path.join(os.path.abspath(a.build),
                                                       "libmgadvise.so"))
    import mgadvise
    cli = os.path.join(a.build, "mgadvise")
    n = a.count
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gen.jsonl")
        with open(path, "wb") as f:
            subprocess.run([os.path.join(a.build, "bench", "gen"), "--count", str(n)],
                           stdout=f, check=True)
        with open(path, "rb") as f:
            lines = f.readlines()
        rs = mgadvise.Ruleset.builtin()
        # the same bytes first: the figures compare equal work
        want = hashlib.sha1(subprocess.run([cli, "batch", "-q", "-j", "2", path],
                                           capture_output=True, check=True).stdout).digest()
        h = hashlib.sha1()
        for line in rs.batch(lines, as_bytes=True):
            h.update(line)
        assert h.digest() == want, "Python and mgadvise batch disagree"

        print("mgadvise bench-python: %d generated profiles (build/bench/gen), %d CPUs, "
              "best of %d runs, load average %.1f before" % (n, os.cpu_count(), a.runs,
                                                             os.getloadavg()[0]))
        ratios = []
        if not a.skip_python:
            ratios += python_rows(a, cli, path, lines, rs, n)
        if not a.skip_dask:
            dn, dpath = n, path
            if a.dask_count != n:
                dn, dpath = a.dask_count, os.path.join(tmp, "gen-dask.jsonl")
                with open(dpath, "wb") as f:
                    subprocess.run([os.path.join(a.build, "bench", "gen"), "--count",
                                    str(dn)], stdout=f, check=True)
            t1, parts, s1 = dask_time(dpath, 1, a.runs, tmp)
            t2, _, s2 = dask_time(dpath, 2, a.runs, tmp)
            assert s1 == s2
            print("  dask, %d profiles in %d partitions: 1 worker process %6.2f s (%.0f "
                  "records/s), 2 worker processes %6.2f s (%.0f records/s): %.2fx"
                  % (dn, parts, t1, dn / t1, t2, dn / t2, t1 / t2))
            p1 = plain_time(dpath, 1, a.runs)
            p2 = plain_time(dpath, 2, a.runs)
            print("  control, no Dask: 1 plain process %6.2f s, 2 plain processes with half "
                  "each %6.2f s: %.2fx" % (p1, p2, p1 / p2))
            b1 = bare_time(1, a.runs)
            b2 = bare_time(2, a.runs)
            print("  the machine, no mgadvise: a bare loop %5.2f s, 2 processes each running "
                  "it %5.2f s: %.2fx of the work per second" % (b1, b2, 2 * b1 / b2))
            ratios.append(("Dask, 2 worker processes / 1", t1 / t2, 1.6,
                           "/usr/bin/python3 python/bench_python.py --skip-python"))
        print("  load average after: %.1f" % os.getloadavg()[0])
        print("Ratios and targets (records/s)")
        for label, r, target, cmd in ratios:
            print("  %-52s %6.2fx  >= %.2fx  %s" % (label, r, target,
                                                    "PASS" if r >= target else "MISS"))
            print("    reproduce: %s" % cmd)


def python_rows(a, cli, path, lines, rs, n):
    """Ruleset.batch over the lines in memory, each line consumed (its length added up),
    against the CLI writing to /dev/null and into a pipe that a reader drains."""
    times = {}
    c_null = cli_time(cli, path, a.runs, pipe=False)
    c_pipe = cli_time(cli, path, a.runs, pipe=True)
    print("  mgadvise batch -j 2 > /dev/null         %6.2f s  %8.0f records/s"
          % (c_null, n / c_null))
    print("  mgadvise batch -j 2 | cat > /dev/null   %6.2f s  %8.0f records/s"
          % (c_pipe, n / c_pipe))
    for label, kw in (("rs.batch(lines)                 str", {}),
                      ("rs.batch(lines, jobs=2)         str", {"jobs": 2}),
                      ("rs.batch(lines, as_bytes=True)     ", {"as_bytes": True}),
                      ("rs.batch(lines, jobs=2, as_bytes)  ", {"jobs": 2, "as_bytes": True})):
        t = py_time(rs, lines, a.runs, **kw)
        times[label.strip()] = t
        print("  %s  %6.2f s  %8.0f records/s  %.2fx of batch | cat, %.2fx of > /dev/null"
              % (label, t, n / t, c_pipe / t, c_null / t))
    # the target: Python yielding str lines (the default), the better of 1 and 2 threads,
    # against the CLI's lines read by another process (| cat), as Python's are read by its
    # caller; against > /dev/null, where nobody reads them, it is printed above
    best_str = min(times["rs.batch(lines)                 str"],
                   times["rs.batch(lines, jobs=2)         str"])
    return [("rs.batch(lines) str lines / mgadvise batch -j 2 | cat", c_pipe / best_str,
             0.7, "/usr/bin/python3 python/bench_python.py --skip-dask")]


if __name__ == "__main__":
    main()
