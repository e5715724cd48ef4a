#!/bin/sh
# SPDX-License-Identifier: MIT
# FHIR input through the CLI (LC_ALL=C), request date 2026-06-01:
#   examples/fhir/<name>.json: a FHIR bundle; <name>.profile.json the profile it stands for;
#     examples/fhir/expected/<name>.jsonl the advice, <name>.mapped.json the profile printed
#     by --print-profile. `eval --fhir` on the bundle and `eval`
#     on the profile must both give exactly that file; `explain` must agree too.
#   tests/golden/fhir/<case>.json (+ optional <case>.args, <case>.mga): a FHIR input and the
#     exact output, errors included, in <case>.err.
# BLESS=1 rewrites the expected files instead of comparing.
set -u
BIN=$1
DATE=2026-06-01
. tests/golden/lib.sh

same() { # name a b: two runs that must give the same bytes
    if cmp -s "$2" "$3"; then
        ok
    else
        bad "$1"
        diff -u "$2" "$3" | head -40
    fi
}

mkdir -p examples/fhir/expected
for f in examples/fhir/*.json; do
    case $f in *.profile.json) continue ;; esac
    name=$(basename "$f" .json)
    "$BIN" eval --fhir "$f" --date $DATE --format json >"$tmp/fhir" 2>&1
    echo "exit $?" >>"$tmp/fhir"
    compare "fhir/$name" "examples/fhir/expected/$name.jsonl" "$tmp/fhir"
    "$BIN" eval --fhir "$f" --date $DATE --print-profile >"$tmp/mapped" 2>&1
    echo "exit $?" >>"$tmp/mapped"
    compare "fhir/$name: the profile it maps to" "examples/fhir/expected/$name.mapped.json" "$tmp/mapped"
    "$BIN" eval --format json "examples/fhir/$name.profile.json" >"$tmp/prof" 2>&1
    echo "exit $?" >>"$tmp/prof"
    same "fhir/$name: the bundle and its profile give the same advice" "$tmp/fhir" "$tmp/prof"
    "$BIN" explain --fhir "$f" --date $DATE >"$tmp/efhir" 2>&1
    echo "exit $?" >>"$tmp/efhir"
    "$BIN" explain "examples/fhir/$name.profile.json" >"$tmp/eprof" 2>&1
    echo "exit $?" >>"$tmp/eprof"
    same "fhir/$name: explain agrees" "$tmp/efhir" "$tmp/eprof"
done

for f in tests/golden/fhir/*.json; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .json)
    args=
    [ -f "${f%.json}.args" ] && args=$(cat "${f%.json}.args")
    # shellcheck disable=SC2086
    "$BIN" eval --fhir "$f" --date $DATE --format json $args >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "fhir-errors/$name" "${f%.json}.err" "$tmp/out"
done

# --fhir and --date are checked as usage before anything is read
for args in "--date 2026-06-01 examples/fhir/child.profile.json" \
    "--fhir examples/fhir/child.json examples/fhir/child.profile.json" \
    "--fhir examples/fhir/child.json --date 01/06/2026" \
    "--print-profile examples/fhir/child.profile.json"; do
    # shellcheck disable=SC2086
    "$BIN" eval $args >"$tmp/out" 2>&1
    rc=$?
    check "usage: eval $args gave $rc, expected 2" $((rc != 2))
done

# batch --input-format fhir: each example bundle as one line (a JSON string holds no raw
# line break, so dropping them keeps the JSON) gives, with --full, the record whose result
# is exactly what eval --fhir prints; its lean record names the same rules
: >"$tmp/bundles.jsonl"
n=0
for f in examples/fhir/*.json; do
    case $f in *.profile.json) continue ;; esac
    tr -d '\n\r' <"$f" >>"$tmp/bundles.jsonl"
    echo >>"$tmp/bundles.jsonl"
    n=$((n + 1))
done
"$BIN" batch -q --input-format fhir --date $DATE --full -j 2 "$tmp/bundles.jsonl" >"$tmp/bfull" 2>"$tmp/berr"
rc=$?
"$BIN" batch -q --input-format=fhir --date=$DATE "$tmp/bundles.jsonl" >"$tmp/blean" 2>/dev/null
i=0
same_n=0
for f in examples/fhir/*.json; do
    case $f in *.profile.json) continue ;; esac
    i=$((i + 1))
    "$BIN" eval --fhir "$f" --date $DATE --format json >"$tmp/one" 2>/dev/null
    sed -n "${i}p" "$tmp/bfull" | sed 's/^{"line":[0-9]*,"id":[^,]*,"result"://; s/}$//' >"$tmp/rec"
    cmp -s "$tmp/one" "$tmp/rec" && same_n=$((same_n + 1))
done
check "batch --input-format fhir: $same_n of $n records equal eval --fhir (exit $rc)" \
    $((rc != 0 || same_n != n || n < 4))
[ "$(wc -l <"$tmp/blean")" -eq "$n" ] && ! grep -q '"cite"' "$tmp/blean" &&
    grep -q '^{"line":1,"id":null,"result":{"ruleset_hash":"' "$tmp/blean"
check "batch --input-format fhir: lean records" $?
# a warning of the FHIR reader (W5030, a partial birth date) is in the record, lean and full,
# with its FHIR path, as eval --fhir writes it
pb=tests/golden/fhir/partial-birth-date.json
tr -d '\n\r' <"$pb" >"$tmp/partial.jsonl"
echo >>"$tmp/partial.jsonl"
"$BIN" eval --fhir "$pb" --date $DATE --format json >"$tmp/one" 2>/dev/null
"$BIN" batch -q --input-format fhir --date $DATE --full "$tmp/partial.jsonl" >"$tmp/pfull" 2>/dev/null
sed 's/^{"line":1,"id":null,"result"://; s/}$//' "$tmp/pfull" >"$tmp/rec"
w='"warnings":[{"code":"W5030","path":"$.entry[0].resource.birthDate",'
cmp -s "$tmp/one" "$tmp/rec" && grep -qF "$w" "$tmp/rec"
check "batch --input-format fhir --full: the W5030 warning as eval --fhir writes it" $?
"$BIN" batch -q --input-format fhir --date $DATE "$tmp/partial.jsonl" >"$tmp/plean" 2>/dev/null
grep -qF "$w" "$tmp/plean"
check "batch --input-format fhir: the W5030 warning in the lean record" $?
# --date needs FHIR input, and the form YYYY-MM-DD
for args in "--date $DATE" "--input-format fhir --date 01/06/2026" "--input-format xml"; do
    # shellcheck disable=SC2086
    "$BIN" batch -q $args "$tmp/bundles.jsonl" >"$tmp/out" 2>&1
    rc=$?
    check "usage: batch $args gave $rc, expected 2" $((rc != 2))
done

# a FHIR line is read up to the FHIR reader's 16 MiB, not a profile's 1 MiB: a 2 MiB
# Bundle line gives its result, as the line after it does
{
    printf '[{"resourceType":"Patient","birthDate":"1980-06-02","text":{"div":"'
    head -c 2097152 /dev/zero | tr '\0' x
    printf '"}}]\n'
    head -n 1 "$tmp/bundles.jsonl"
} >"$tmp/long.jsonl"
"$BIN" batch -q --input-format fhir --date $DATE "$tmp/long.jsonl" >"$tmp/out" 2>/dev/null
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c '"result":{"ruleset_hash":' "$tmp/out")" -eq 2 ]
check "batch --input-format fhir: a 2 MiB Bundle line gave exit $rc, expected 2 results" $?

golden_done "fhir golden"
