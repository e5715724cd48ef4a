#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The include graph of the sources (docs/ARCHITECTURE.md, "What may call what"): a module
is a file name without its suffix in engine/, cli/ or grammar/ (X.c, X.h, X.l, X.y); X
depends on Y when a file of X includes "Y.h". The graph must have no cycle, and cli/ must
include no header of engine/ (the CLI is a client of include/ only).

    usage: includes.py [ROOT]           (make structure-check; ROOT defaults to .)
Exit 0 and one line when the rules hold; 1 and each cycle or leak otherwise."""
import glob
import os
import re
import sys

DIRS = ("engine", "cli", "grammar")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def graph(root):
    deps, leaks = {}, []
    for d in DIRS:
        for path in sorted(glob.glob(os.path.join(root, d, "*.[chly]"))):
            mod = d + "/" + os.path.splitext(os.path.basename(path))[0]
            deps.setdefault(mod, set())
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                name = os.path.basename(inc)
                # the including folder first, then engine/ (grammar/ builds against it)
                for owner in (d, "engine"):
                    if os.path.exists(os.path.join(root, owner, name)):
                        break
                else:
                    continue  # generated, or a system header written with quotes
                if d == "cli" and owner == "engine":
                    leaks.append("%s includes engine/%s" % (os.path.relpath(path, root), name))
                target = owner + "/" + os.path.splitext(name)[0]
                if target != mod:
                    deps[mod].add(target)
    return deps, leaks


def cycles(deps):
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(deps):
        if start in index:
            continue
        work = [(start, iter(sorted(deps[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(deps.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    deps, leaks = graph(root)
    found = cycles(deps)
    for c in found:
        print("structure: include cycle: " + " <-> ".join(c))
    for leak in leaks:
        print("structure: " + leak)
    if found or leaks:
        return 1
    print("structure: %d modules, %d include edges, no cycle; cli/ includes no engine header"
          % (len(deps), sum(len(v) for v in deps.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
