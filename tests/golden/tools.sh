#!/bin/sh
# SPDX-License-Identifier: MIT
# Golden tests of the clinician tools through the CLI (LC_ALL=C):
#   tests/golden/fmt/<case>/input.mga: `mgadvise fmt -` must print expected.mga (stderr and
#     exit status in expected.err); expected.mga must format to itself; --check on the input
#     gives expected.check; formatting a copy in place gives expected.mga (or leaves a file
#     that does not parse untouched).
#   tests/golden/graph/<case>/rules.mga: `mgadvise graph` gives expected.dot and, with
#     --format json, expected.json.
# BLESS=1 rewrites the expected files instead of comparing.
set -u
BIN=$1
export LC_ALL=C
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compare() { # name expected actual
    if [ "${BLESS:-0}" = 1 ]; then
        cp "$3" "$2"
        pass=$((pass + 1))
    elif [ -f "$2" ] && cmp -s "$2" "$3"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $1"
        if [ -f "$2" ]; then diff -u "$2" "$3" | head -40; else echo "  (no expected file $2)"; fi
    fi
}

check() { # name condition-status
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

for d in tests/golden/fmt/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    name=fmt/$(basename "$d")
    "$BIN" fmt - <"$d/input.mga" >"$tmp/out" 2>"$tmp/err"
    echo "exit $?" >>"$tmp/err"
    compare "$name" "$d/expected.mga" "$tmp/out"
    compare "$name (stderr)" "$d/expected.err" "$tmp/err"
    "$BIN" fmt --check "$d/input.mga" >"$tmp/chk" 2>&1
    echo "exit $?" >>"$tmp/chk"
    sed "s|$d/|CASE/|g" "$tmp/chk" >"$tmp/chk2"
    compare "$name (--check)" "$d/expected.check" "$tmp/chk2"
    [ "${BLESS:-0}" = 1 ] && continue
    # idempotent: the formatted text is its own layout, and --check accepts it
    "$BIN" fmt - <"$d/expected.mga" >"$tmp/again" 2>/dev/null
    cmp -s "$tmp/again" "$d/expected.mga"
    check "$name (idempotent)" $?
    if [ -s "$d/expected.mga" ]; then
        cp "$d/expected.mga" "$tmp/formatted.mga"
        "$BIN" fmt --check "$tmp/formatted.mga" >/dev/null 2>&1
        check "$name (--check of the formatted text)" $?
    fi
    # in place: the same bytes as stdout; a file that does not parse is left untouched
    cp "$d/input.mga" "$tmp/inplace.mga"
    "$BIN" fmt "$tmp/inplace.mga" >/dev/null 2>&1
    if [ -s "$d/expected.mga" ] || ! grep -q '^exit 0$' "$d/expected.err"; then
        if grep -q '^exit 0$' "$d/expected.err"; then want="$d/expected.mga"; else want="$d/input.mga"; fi
        cmp -s "$tmp/inplace.mga" "$want"
        check "$name (in place)" $?
    fi
done

for d in tests/golden/graph/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    name=graph/$(basename "$d")
    "$BIN" graph "$d/rules.mga" >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "$name (dot)" "$d/expected.dot" "$tmp/out"
    "$BIN" graph --format json "$d/rules.mga" >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "$name (json)" "$d/expected.json" "$tmp/out"
done

# option values attached (-fjson, --format=json, -rPATH, --rules=PATH, --rule=ID,
# --min-coverage=P, --sources=DIR) read the same as separate ones
P=examples/profiles/01-kidney-disease.json
same() { # name command-a -- command-b
    name=$1
    shift
    a=
    while [ "$1" != -- ]; do a="$a $1"; shift; done
    shift
    # shellcheck disable=SC2086
    "$BIN" $a >"$tmp/a" 2>&1
    ra=$?
    "$BIN" "$@" >"$tmp/b" 2>&1
    rb=$?
    [ $ra -eq $rb ] && [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
    check "attached option values: $name" $?
}
same eval eval -fjson -rrules $P -- eval --format json -r rules $P
same eval-long eval --format=pretty --rules=rules $P -- eval -f pretty --rules rules $P
same explain explain --rule=d6_sleep_start_145mg -fjson $P -- explain --rule d6_sleep_start_145mg -f json $P
same graph graph -fjson tests/golden/batch/rules.mga -- graph --format json tests/golden/batch/rules.mga
same test test --min-coverage=50 -rrules tests/rules -- test --min-coverage 50 -r rules tests/rules
same check check --no-analysis --sources=sources rules -- check --no-analysis --sources sources rules
"$BIN" eval --format= $P >/dev/null 2>"$tmp/e"
check "eval --format= is a usage error" $(($? != 2))

echo "tools: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
