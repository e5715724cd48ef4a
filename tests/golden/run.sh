#!/bin/sh
# SPDX-License-Identifier: MIT
# Data-driven golden tests through the CLI (LC_ALL=C):
#   tests/golden/eval/<case>/  rules.mga (optional: default the shipped rules; one that
#                              declares no ruleset is compiled after eval/prelude.mga),
#                              profile.json, expected.jsonl, optional args (extra arguments)
#   tests/golden/diag/<case>.mga + <case>.err: `mgadvise check` output, carets included
#   examples/profiles/<name>.json + examples/expected/<name>.jsonl: the shipped rules
# and the rule coverage check: every rule in rules/ fires for at least one example.
# BLESS=1 rewrites the expected files instead of comparing.
set -u
BIN=$1
. tests/golden/lib.sh

for d in tests/golden/eval/*/; do
    [ -d "$d" ] || continue
    name=$(basename "$d")
    set --
    if [ -f "$d/rules.mga" ]; then
        set -- -r "$d/rules.mga"
        grep -q '^ruleset ' "$d/rules.mga" || set -- -r tests/golden/eval/prelude.mga "$@"
    fi
    args=
    [ -f "$d/args" ] && args=$(cat "$d/args")
    # shellcheck disable=SC2086
    "$BIN" eval "$@" --format json $args "$d/profile.json" >"$tmp/out" 2>"$tmp/err"
    echo "exit $?" >>"$tmp/out"
    sed "s|$d|CASE/|g" "$tmp/err" >>"$tmp/out"
    compare "eval/$name" "$d/expected.jsonl" "$tmp/out"
done

for f in tests/golden/diag/*.mga; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .mga)
    args=
    [ -f "${f%.mga}.args" ] && args=$(cat "${f%.mga}.args")
    # shellcheck disable=SC2086
    "$BIN" check $args "$f" >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "diag/$name" "${f%.mga}.err" "$tmp/out"
done

# The analysis of the shipped rules (conflicts, invariants, gaps), with the quote check.
# CHECK_ARGS: more options (the Valgrind run gives the analysis more time)
# shellcheck disable=SC2086
"$BIN" check ${CHECK_ARGS:-} --sources sources rules/ >"$tmp/out" 2>&1
echo "exit $?" >>"$tmp/out"
compare "check rules/ (shipped)" tests/golden/check-shipped.out "$tmp/out"
# explain/<case>/: profile.json, optional rules.mga and args; expected.out is stdout, the
# exit status and stderr. test/<case>/: *.mgt, optional rules.mga and args; the same.
for d in tests/golden/explain/*/ tests/golden/test/*/; do
    [ -d "$d" ] || continue
    kind=$(basename "$(dirname "$d")")
    name=$(basename "$d")
    set --
    [ -f "${d}rules.mga" ] && set -- -r "${d}rules.mga"
    args=
    [ -f "${d}args" ] && args=$(cat "${d}args")
    if [ "$kind" = explain ]; then
        # shellcheck disable=SC2086
        "$BIN" explain "$@" $args "${d}profile.json" >"$tmp/out" 2>"$tmp/err"
    else
        # shellcheck disable=SC2086
        "$BIN" test "$@" $args "$d" >"$tmp/out" 2>"$tmp/err"
    fi
    echo "exit $?" >>"$tmp/out"
    cat "$tmp/err" >>"$tmp/out"
    sed -i "s|$d|CASE/|g; s|${d%/}|CASE|g" "$tmp/out"
    compare "$kind/$name" "${d}expected.out" "$tmp/out"
done

mkdir -p examples/expected
: >"$tmp/fired"
for p in examples/profiles/*.json; do
    [ -f "$p" ] || continue
    name=$(basename "$p" .json)
    "$BIN" eval --format json "$p" >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "examples/$name" "examples/expected/$name.jsonl" "$tmp/out"
    grep -o '"rule":"[A-Za-z0-9_]*"' "$tmp/out" | cut -d'"' -f4 >>"$tmp/fired"
done
"$BIN" eval examples/profiles/01-kidney-disease.json >"$tmp/out" 2>&1
compare "examples/01-kidney-disease (text)" examples/expected/01-kidney-disease.txt "$tmp/out"

# Coverage: a rule no example fires is a rule no golden test would notice changing.
sort -u "$tmp/fired" >"$tmp/fired.sorted"
sed -n 's/^[[:space:]]*rule[[:space:]]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' rules/*.mga |
    sort -u >"$tmp/rules"
missing=$(comm -23 "$tmp/rules" "$tmp/fired.sorted")
if [ -n "$missing" ]; then
    bad "coverage: rules fired by no example profile:"
    echo "$missing" | sed 's/^/  /'
else
    ok
fi
echo "golden: $(wc -l <"$tmp/rules") rules, $(wc -l <"$tmp/fired.sorted") fired by the examples"
golden_done golden
