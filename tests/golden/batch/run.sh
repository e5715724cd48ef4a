#!/bin/sh
# SPDX-License-Identifier: MIT
# Golden and stress tests for `mgadvise batch` (see README.txt here).
#   usage: sh tests/golden/batch/run.sh path/to/mgadvise      (BLESS=1 rewrites expected files)
# Each folder <case>/ holds input.jsonl or input.csv, args (extra arguments, may be empty), expected.out
# (stdout), expected.err (stderr, timing normalised, then "exit N") and optionally
# expected.stats (the --stats document). Then: -j 1 vs -j 4 on generated input, 100,000
# records with 1% bad ones, an interrupted run resumed with --skip, and the exit statuses.
# Only sh, awk, sed, grep, cmp, kill and sleep.
set -u
case $1 in
/*) BIN=$1 ;;
*) BIN=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/../../.." || exit 2
HERE=tests/golden/batch
RULES=$HERE/rules.mga
. tests/golden/lib.sh

# ---- golden cases ----
for d in "$HERE"/*/; do
    d=${d%/}
    input=$d/input.jsonl
    [ -f "$input" ] || input=$d/input.csv
    [ -f "$input" ] || continue
    name=$(basename "$d")
    args=
    [ -f "$d/args" ] && args=$(cat "$d/args")
    set --
    [ -f "$d/expected.stats" ] && set -- --stats "$tmp/stats"
    # shellcheck disable=SC2086
    "$BIN" batch -q "$@" $args "$input" >"$tmp/out" 2>"$tmp/err.raw"
    echo "exit $?" >>"$tmp/err.raw"
    norm "$tmp/err.raw" >"$tmp/err"
    compare "batch/$name (stdout)" "$d/expected.out" "$tmp/out"
    compare "batch/$name (stderr)" "$d/expected.err" "$tmp/err"
    [ -f "$d/expected.stats" ] && compare "batch/$name (stats)" "$d/expected.stats" "$tmp/stats"
done

# ---- CSV with a byte order mark from standard input (a pipe, read one byte at a time by
# dd so the mark arrives in pieces): the same output as the file ----
B=$HERE/csv-bom-booleans
"$BIN" batch -q $(cat "$B/args") "$B/input.csv" >"$tmp/bom1" 2>/dev/null
dd if="$B/input.csv" bs=1 2>/dev/null | "$BIN" batch -q $(cat "$B/args") --input-format csv \
    >"$tmp/bom2" 2>/dev/null
if [ -s "$tmp/bom1" ] && cmp -s "$tmp/bom1" "$tmp/bom2" && cmp -s "$tmp/bom1" "$B/expected.out"; then
    ok
else
    bad "batch: CSV with a byte order mark from standard input differs from the file"
fi

# ---- -j 1 and -j 4 agree on 2,000 generated records (some bad, some blank lines) ----
awk -v n=2000 -v bad=37 -v blank=50 -f "$HERE/gen.awk" >"$tmp/in2k"
"$BIN" batch -q -r "$RULES" -j 1 --stats "$tmp/s1" "$tmp/in2k" >"$tmp/o1" 2>"$tmp/e1"
r1=$?
"$BIN" batch -q -r "$RULES" -j 4 --stats "$tmp/s4" "$tmp/in2k" >"$tmp/o4" 2>"$tmp/e4"
r4=$?
if [ $r1 -eq 1 ] && [ $r4 -eq 1 ] && cmp -s "$tmp/o1" "$tmp/o4" && cmp -s "$tmp/s1" "$tmp/s4" &&
    [ "$(norm "$tmp/e1")" = "$(norm "$tmp/e4")" ] &&
    [ "$(wc -l <"$tmp/o1")" -eq 2000 ] &&
    grep -q '^mgadvise batch: 2000 records, 1946 ok, 54 errors, 40 blank lines skipped, ' "$tmp/e1"; then
    ok
else
    bad "batch: -j 1 and -j 4 differ on 2,000 records (exit $r1 / $r4)"
    cat "$tmp/e1" "$tmp/e4"
fi

# The same with the shipped rules (every rule of the rule base in play).
head -300 "$tmp/in2k" >"$tmp/in300"
"$BIN" batch -q -j 1 "$tmp/in300" >"$tmp/o1" 2>/dev/null
"$BIN" batch -q -j 4 "$tmp/in300" >"$tmp/o4" 2>/dev/null
if cmp -s "$tmp/o1" "$tmp/o4" && [ "$(wc -l <"$tmp/o1")" -eq "$(grep -c "[^[:space:]]" "$tmp/in300")" ]; then
    ok
else
    bad "batch: -j 1 and -j 4 differ with the shipped rules"
fi
# Into a pipe the rule set's parts go out gathered (writev), into a file copied: same bytes,
# lean and full (whose advice items and references are the large parts).
"$BIN" batch -q -j 1 "$tmp/in300" 2>/dev/null | cat >"$tmp/p1"
"$BIN" batch -q -j 4 "$tmp/in300" 2>/dev/null | cat >"$tmp/p4"
"$BIN" batch -q -j 1 --full "$tmp/in300" >"$tmp/f1" 2>/dev/null
"$BIN" batch -q -j 1 --full "$tmp/in300" 2>/dev/null | cat >"$tmp/fp1"
"$BIN" batch -q -j 4 --full "$tmp/in300" 2>/dev/null | cat >"$tmp/fp4"
if cmp -s "$tmp/o1" "$tmp/p1" && cmp -s "$tmp/o1" "$tmp/p4" && [ -s "$tmp/f1" ] &&
    cmp -s "$tmp/f1" "$tmp/fp1" && cmp -s "$tmp/f1" "$tmp/fp4" &&
    grep -q '"references":\[{"n":1,' "$tmp/f1"; then
    ok
else
    bad "batch: output into a pipe differs from output into a file"
fi

# Under Valgrind (VALGRIND=1, from make test-valgrind) the volume tests shrink 20-fold and
# the interrupted run is given time to start: they test the same paths, 50 times slower.
big=100000 resume=300000
[ "${VALGRIND:-0}" = 1 ] && big=5000 resume=30000

# Waits until file has output or process pid has ended: the interrupted runs below are
# signalled once they are under way, however fast or slow the machine is.
under_way() { # file pid
    n=0
    while [ $n -lt 1200 ]; do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || return 0
        sleep 0.05
        n=$((n + 1))
    done
}

# ---- CSV: -j 1 and -j 2 agree byte for byte on 3,000 generated records (bad ones, blank
# lines, records spanning lines); stdin with --input-format csv reads the same ----
awk -v n=3000 -v bad=41 -v blank=97 -f "$HERE/gen_csv.awk" >"$tmp/in3k.csv"
"$BIN" batch -q -r "$RULES" -j 1 --stats "$tmp/cs1" "$tmp/in3k.csv" >"$tmp/co1" 2>"$tmp/ce1"
r1=$?
"$BIN" batch -q -r "$RULES" -j 2 --stats "$tmp/cs2" "$tmp/in3k.csv" >"$tmp/co2" 2>"$tmp/ce2"
r2=$?
"$BIN" batch -q -r "$RULES" -j 2 --input-format csv <"$tmp/in3k.csv" >"$tmp/co3" 2>/dev/null
if [ $r1 -eq 1 ] && [ $r2 -eq 1 ] && cmp -s "$tmp/co1" "$tmp/co2" && cmp -s "$tmp/co1" "$tmp/co3" &&
    cmp -s "$tmp/cs1" "$tmp/cs2" && [ "$(norm "$tmp/ce1")" = "$(norm "$tmp/ce2")" ] &&
    [ "$(wc -l <"$tmp/co1")" -eq 3000 ] &&
    grep -q '^mgadvise batch: 3000 records, 2927 ok, 73 errors, 30 blank lines skipped, ' "$tmp/ce1" &&
    awk -F'[:,]' '{ if ($2 + 0 <= prev) exit 1; prev = $2 + 0 }' "$tmp/co1"; then
    ok
else
    bad "batch: CSV -j 1 and -j 2 differ on 3,000 records (exit $r1 / $r2)"
    cat "$tmp/ce1" "$tmp/ce2"
fi
# CSV interrupted with SIGTERM and resumed with --skip N: the same as one run
awk -v n=$((resume * 2 / 3)) -v bad=0 -v blank=1000 -f "$HERE/gen_csv.awk" >"$tmp/in200k.csv"
"$BIN" batch -q -r "$RULES" -j 2 "$tmp/in200k.csv" >"$tmp/part" 2>"$tmp/epart" &
pid=$!
under_way "$tmp/part" $pid
kill -TERM $pid
wait $pid
rt=$?
skip=$(sed -n 's/^mgadvise batch: interrupted after input line \([0-9]*\); resume with --skip \([0-9]*\)$/\2/p' "$tmp/epart")
if [ $rt -ne 143 ] || [ -z "$skip" ]; then
    bad "batch: CSV SIGTERM: exit $rt, expected 143 and a resume line"
    cat "$tmp/epart"
else
    "$BIN" batch -q -r "$RULES" -j 1 --skip "$skip" "$tmp/in200k.csv" >>"$tmp/part" 2>/dev/null
    "$BIN" batch -q -r "$RULES" -j 2 "$tmp/in200k.csv" >"$tmp/whole" 2>/dev/null
    if cmp -s "$tmp/part" "$tmp/whole"; then
        ok
    else
        bad "batch: CSV interrupted after line $skip and resumed: output differs from one run"
    fi
fi
rm -f "$tmp/part" "$tmp/whole" "$tmp/in200k.csv"
# the format follows the file name unless --input-format says otherwise
cp "$tmp/in3k.csv" "$tmp/in3k.txt"
"$BIN" batch -q -r "$RULES" --input-format csv "$tmp/in3k.txt" >"$tmp/co4" 2>/dev/null
"$BIN" batch -q -r "$RULES" --input-format jsonl "$tmp/in3k.csv" >"$tmp/co5" 2>/dev/null
if cmp -s "$tmp/co1" "$tmp/co4" && grep -q '"code":"E4001"' "$tmp/co5"; then
    ok
else
    bad "batch: --input-format does not override the file name"
fi

# examples/profiles.csv holds four of examples/profiles/*.json as CSV rows (sets as a;b, "-"
# for an empty set, a quantity with its unit): each result equals what eval gives for the JSON
"$BIN" batch -q --full examples/profiles.csv >"$tmp/exo" 2>/dev/null
rex=$?
n=0
same=0
while IFS= read -r l; do
    n=$((n + 1))
    id=$(printf '%s\n' "$l" | sed -n 's/^{"line":[0-9]*,"id":"\([^"]*\)","result":.*/\1/p')
    [ -n "$id" ] && [ -f "examples/profiles/$id.json" ] || continue
    printf '%s\n' "$l" | sed 's/^{"line":[0-9]*,"id":"[^"]*","result"://; s/}$//' >"$tmp/exc"
    "$BIN" eval --format json "examples/profiles/$id.json" >"$tmp/exj" 2>/dev/null
    cmp -s "$tmp/exc" "$tmp/exj" && same=$((same + 1))
done <"$tmp/exo"
if [ $rex -eq 0 ] && [ $n -eq 4 ] && [ $same -eq 4 ]; then
    ok
else
    bad "batch: examples/profiles.csv: $same of $n results equal eval on the JSON (exit $rex)"
fi

# ---- 100,000 records, 1% bad in six ways: exactly one line each, in order ----
awk -v n=$big -v bad=100 -f "$HERE/gen.awk" >"$tmp/in100k"
"$BIN" batch -q -r "$RULES" -j 4 "$tmp/in100k" 2>"$tmp/e100k" | awk -v total=$big '
    BEGIN { split("E4001 E4002 E4004 E4003 E4007 E4001", code, " ") }
    {
        n++
        if (substr($0, 1, 8) != "{\"line\":" || substr($0, length($0)) != "}") {
            print "not a whole line: " n; bad++; next
        }
        rest = substr($0, 9); num = rest; sub(/,.*/, "", num)
        if (num + 0 != n) { print "line " n " says " num; bad++; next }
        if (n % 100 == 0) {
            k = int(n / 100) % 6
            id = k == 4 ? "null" : "\"p" n "\""
            want = "{\"line\":" n ",\"id\":" id ",\"error\":{"
            if (index($0, want) != 1 || index($0, "\"code\":\"" code[k + 1] "\"") == 0) {
                print "line " n ": expected error " code[k + 1] ": " $0; bad++
            }
        } else if (index($0, "{\"line\":" n ",\"id\":\"p" n "\",\"result\":{\"ruleset_hash\":\"") != 1) {
            print "line " n ": expected a result: " substr($0, 1, 120); bad++
        }
        if (bad > 5) exit 1
    }
    END { if (n != total) { print "got " n " lines, expected " total; bad++ } exit bad ? 1 : 0 }
' >"$tmp/check100k"
if [ $? -eq 0 ] &&
    grep -q "^mgadvise batch: $big records, $((big - big / 100)) ok, $((big / 100)) errors, 0 blank lines skipped, " "$tmp/e100k"; then
    ok
else
    bad "batch: 100,000 records"
    cat "$tmp/check100k" "$tmp/e100k"
fi

# ---- interrupted with SIGTERM, resumed with --skip N: the same as one run ----
awk -v n=$resume -v bad=100 -v blank=1000 -f "$HERE/gen.awk" >"$tmp/in300k"
"$BIN" batch -q -r "$RULES" -j 1 "$tmp/in300k" >"$tmp/part" 2>"$tmp/epart" &
pid=$!
under_way "$tmp/part" $pid
kill -TERM $pid
wait $pid
rt=$?
skip=$(sed -n 's/^mgadvise batch: interrupted after input line \([0-9]*\); resume with --skip \([0-9]*\)$/\2/p' "$tmp/epart")
if [ $rt -ne 143 ] || [ -z "$skip" ]; then
    bad "batch: SIGTERM: exit $rt, expected 143 and a resume line"
    cat "$tmp/epart"
elif ! awk 'substr($0, 1, 8) != "{\"line\":" || substr($0, length($0)) != "}" { exit 1 }' "$tmp/part"; then
    bad "batch: SIGTERM left a partial line"
else
    "$BIN" batch -q -r "$RULES" -j 2 --skip "$skip" "$tmp/in300k" >>"$tmp/part" 2>/dev/null
    "$BIN" batch -q -r "$RULES" -j 2 "$tmp/in300k" >"$tmp/whole" 2>/dev/null
    if cmp -s "$tmp/part" "$tmp/whole"; then
        ok
    else
        bad "batch: interrupted after line $skip and resumed: output differs from one run"
    fi
fi
rm -f "$tmp/part" "$tmp/whole"

# ---- a line of 100 MB between two good ones: its error line in its place (E4012, the
# profile limit), the others evaluated; only the line's first megabyte is ever held ----
mb=100
[ "${VALGRIND:-0}" = 1 ] && mb=5
{
    echo '{"id": "before", "age": 40}'
    printf '{"id": "huge", "note": "'
    head -c $((mb * 1024 * 1024)) /dev/zero | tr '\0' 'x'
    echo '"}'
    echo '{"id": "after", "age": 41}'
} >"$tmp/huge.jsonl"
"$BIN" batch -q -r "$RULES" -j 2 "$tmp/huge.jsonl" >"$tmp/o" 2>"$tmp/e"
got=$?
if [ $got -eq 1 ] && [ "$(wc -l <"$tmp/o")" -eq 3 ] &&
    sed -n 2p "$tmp/o" | grep -q '^{"line":2,"id":"huge","error":{.*"code":"E4012"' &&
    sed -n 1p "$tmp/o" | grep -q '^{"line":1,"id":"before","result":' &&
    sed -n 3p "$tmp/o" | grep -q '^{"line":3,"id":"after","result":'; then
    ok
else
    bad "batch: a line of $mb MB: exit $got"
    cut -c1-200 "$tmp/o" "$tmp/e"
fi
rm -f "$tmp/huge.jsonl"

# ---- lean records (the default), --full and the catalog: the catalog is written first
# (also for no records) and is what `mgadvise catalog` writes; lean and full runs give the
# same lines, exit status and summary, error lines unchanged, no cite or references in the
# lean lines, a disclaimer and the catalog's hash in each. (That a lean record joined with
# the catalog gives back the full one exactly is tests/python/test_lean.py and the unit
# test test_catalog.) ----
catalog_case() { # name input rules-args...
    cname=$1 cin=$2
    shift 2
    "$BIN" batch -q "$@" --catalog "$tmp/cat" "$cin" >"$tmp/cb" 2>"$tmp/cbe"
    crc=$?
    "$BIN" batch -q "$@" --full "$cin" >"$tmp/cf" 2>"$tmp/cfe"
    frc=$?
    # the rules arguments only (no -j) for `mgadvise catalog`
    set -- $(printf '%s\n' "$*" | sed 's/-j [0-9]*//')
    "$BIN" catalog "$@" >"$tmp/cat2" 2>/dev/null
    hash=$(sed -n 's/^{"ruleset":{"name":[^}]*,"hash":"\([0-9a-f]*\)"}.*/\1/p' "$tmp/cat")
    if [ $crc -eq $frc ] && [ "$(norm "$tmp/cbe")" = "$(norm "$tmp/cfe")" ] &&
        [ "$(wc -l <"$tmp/cat")" -eq 1 ] && cmp -s "$tmp/cat" "$tmp/cat2" && [ -n "$hash" ] &&
        grep -q '^{"ruleset":{"name":.*,"hash":"[0-9a-f]*"},"disclaimer":"[^"]' "$tmp/cat" &&
        grep -q '"sources":\[{"source":' "$tmp/cat" &&
        [ "$(wc -l <"$tmp/cb")" -eq "$(wc -l <"$tmp/cf")" ] &&
        [ "$(grep -v '"result":' "$tmp/cb")" = "$(grep -v '"result":' "$tmp/cf")" ] &&
        ! grep -q '"references"\|"cite"\|"quote"' "$tmp/cb" &&
        [ "$(grep -c '"result":' "$tmp/cb")" -eq "$(grep -c '"disclaimer":"[^"]' "$tmp/cb")" ] &&
        [ "$(grep -c '"result":' "$tmp/cb")" -eq "$(grep -c "\"result\":{\"ruleset_hash\":\"$hash\"," "$tmp/cb")" ] &&
        [ "$(wc -c <"$tmp/cb")" -lt "$(wc -c <"$tmp/cf")" ]; then
        ok
    else
        bad "batch --catalog ($cname): the lean run differs from the --full run (exit $crc / $frc)"
        cat "$tmp/cbe"
    fi
}
catalog_case "mixed records" "$HERE/mixed-records/input.jsonl" -r "$RULES"
catalog_case "2,000 generated records" "$tmp/in2k" -r "$RULES" -j 2
catalog_case "shipped rules" "$tmp/in300" -j 1
catalog_case "CSV" examples/profiles.csv -j 2
# every rule of the rule set is in the catalog: the graph's rules, one by one
"$BIN" batch -q --catalog "$tmp/cat" - </dev/null >"$tmp/o" 2>"$tmp/e"
crc=$?
# (the graph's rules are the only entries with a string "id")
"$BIN" graph --format json | sed -n 's/^ *"id": "\([^"]*\)",$/\1/p' >"$tmp/ids"
nrules=$(wc -l <"$tmp/ids")
missing=$(while read -r id; do
    grep -q "\"$id\":{\"group\":\"[a-z]*\",\"rule\":\"$id\"," "$tmp/cat" || echo "$id"
done <"$tmp/ids")
if [ $crc -eq 0 ] && [ ! -s "$tmp/o" ] && [ "$nrules" -gt 60 ] && [ -z "$missing" ] &&
    grep -q '^mgadvise batch: 0 records, 0 ok, 0 errors, ' "$tmp/e"; then
    ok
else
    bad "batch --catalog with no records: exit $crc, $nrules rules, missing: $missing"
fi
# -j 1 and -j 4 agree on the lean output and the catalog
"$BIN" batch -q -r "$RULES" -j 1 --catalog "$tmp/cat1" "$tmp/in2k" >"$tmp/o1" 2>/dev/null
"$BIN" batch -q -r "$RULES" -j 4 --catalog="$tmp/cat4" "$tmp/in2k" >"$tmp/o4" 2>/dev/null
if cmp -s "$tmp/o1" "$tmp/o4" && cmp -s "$tmp/cat1" "$tmp/cat4" && [ -s "$tmp/o1" ]; then
    ok
else
    bad "batch --catalog: -j 1 and -j 4 differ"
fi
# an unwritable catalog: its name and why, exit 4, no record read or written
head -5 "$tmp/in2k" >"$tmp/good5"
for cpath in "$tmp/no-such-dir/cat.json" /dev/full; do
    [ -e /dev/full ] || [ "$cpath" != /dev/full ] || continue
    "$BIN" batch -q -r "$RULES" --catalog "$cpath" "$tmp/good5" >"$tmp/o" 2>"$tmp/e"
    crc=$?
    case $cpath in
    /dev/full) why='No space left on device' ;;
    *) why='No such file or directory' ;;
    esac
    if [ $crc -eq 4 ] && [ ! -s "$tmp/o" ] &&
        [ "$(cat "$tmp/e")" = "mgadvise batch: cannot write catalog '$cpath': $why" ]; then
        ok
    else
        bad "batch --catalog $cpath: exit $crc, expected 4 and one message"
        cat "$tmp/e"
    fi
done

# an output file that is the input, standard output or the other output file: a usage
# error naming the option, and the file left as it was (never emptied before it is read)
clash=0
cp "$tmp/good5" "$tmp/keep5"
for args in "--catalog $tmp/keep5" "--stats $tmp/keep5" "--catalog $tmp/cs --stats $tmp/cs"; do
    # shellcheck disable=SC2086
    "$BIN" batch -q -r "$RULES" $args "$tmp/keep5" >"$tmp/o" 2>"$tmp/e"
    crc=$?
    [ $crc -eq 2 ] && [ ! -s "$tmp/o" ] && cmp -s "$tmp/good5" "$tmp/keep5" &&
        grep -q "^mgadvise batch: --[a-z]* '$tmp/[a-z0-9]*' is the [a-z -]*: give another file$" "$tmp/e" &&
        clash=$((clash + 1))
done
"$BIN" batch -q -r "$RULES" --catalog "$tmp/keep5" <"$tmp/keep5" >"$tmp/o" 2>"$tmp/e"
[ $? -eq 2 ] && cmp -s "$tmp/good5" "$tmp/keep5" && clash=$((clash + 1))
"$BIN" batch -q -r "$RULES" --catalog "$tmp/o" "$tmp/good5" >"$tmp/o" 2>"$tmp/e"
[ $? -eq 2 ] && grep -q "is standard output" "$tmp/e" && clash=$((clash + 1))
if [ $clash -eq 5 ]; then
    ok
else
    bad "batch: an output file that is the input or standard output: $clash of 5 refused"
fi

# ---- option values attached or separate: -j2, -j 2, --jobs=2, --jobs 2 (and -rPATH,
# --skip=N, --input-format=FMT, --stats=FILE) read the same ----
"$BIN" batch -q -r "$RULES" -j 2 --skip 3 "$tmp/in300" >"$tmp/a1" 2>/dev/null
same=0
for form in "-j2 -r$RULES" "-j 2 --rules=$RULES" "--jobs=2 -r $RULES" "--jobs 2 --rules $RULES"; do
    # shellcheck disable=SC2086
    "$BIN" batch -q $form --skip=3 "$tmp/in300" >"$tmp/a2" 2>"$tmp/e"
    [ $? -eq 1 ] && cmp -s "$tmp/a1" "$tmp/a2" && same=$((same + 1))
done
"$BIN" batch -q "-r$RULES" -j1 --input-format=jsonl --stats="$tmp/st" \
    --skip 3 "$tmp/in300" >"$tmp/a2" 2>/dev/null
[ $? -eq 1 ] && cmp -s "$tmp/a1" "$tmp/a2" && [ -s "$tmp/st" ] && same=$((same + 1))
if [ $same -eq 5 ] && [ -s "$tmp/a1" ]; then
    ok
else
    bad "batch: attached option values: $same of 5 forms read like '-j 2 --skip 3'"
fi

# ---- exit statuses ----
status() { # expected-status description command...
    want=$1
    what=$2
    shift 2
    "$@" >"$tmp/o" 2>"$tmp/e"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "batch: $what: exit $got, expected $want"; fi
}
head -5 "$tmp/in2k" >"$tmp/good5"
status 0 "all records good" "$BIN" batch -q -r "$RULES" "$tmp/good5"
status 1 "some records bad" "$BIN" batch -q -r "$RULES" "$tmp/in300"
status 2 "unknown option" "$BIN" batch --frobnicate "$tmp/good5"
status 2 "-j 0" "$BIN" batch -j 0 "$tmp/good5"
status 2 "-j x" "$BIN" batch -j x "$tmp/good5"
status 2 "-j0" "$BIN" batch -j0 "$tmp/good5"
status 2 "--jobs=" "$BIN" batch --jobs= "$tmp/good5"
status 2 "--jobs=x" "$BIN" batch --jobs=x "$tmp/good5"
status 2 "--catalog without a file" "$BIN" batch "$tmp/good5" --catalog
status 2 "--full with a value" "$BIN" batch --full=yes "$tmp/good5"
status 2 "catalog: unknown option" "$BIN" catalog --frobnicate
status 3 "catalog: missing rules" "$BIN" catalog -r "$tmp/does-not-exist.mga"
if [ -e /dev/full ]; then
    "$BIN" catalog >/dev/full 2>"$tmp/e"
    crc=$?
    if [ $crc -eq 4 ] && [ "$(cat "$tmp/e")" = "mgadvise: cannot write output: No space left on device" ]; then
        ok
    else
        bad "catalog >/dev/full: exit $crc, expected 4 and one message"
        cat "$tmp/e"
    fi
fi
status 2 "two inputs" "$BIN" batch "$tmp/good5" "$tmp/good5"
status 2 "unknown input format" "$BIN" batch --input-format xml "$tmp/good5"
status 3 "missing input" "$BIN" batch -q "$tmp/does-not-exist.jsonl"
status 0 "--help" "$BIN" batch --help
if grep -q 'exit status' "$tmp/o" && grep -q -- '--skip' "$tmp/o" && grep -q -- '--stats' "$tmp/o" &&
    grep -q -- '--catalog FILE' "$tmp/o" && grep -q -- '--full' "$tmp/o" && grep -q -- '-j2' "$tmp/o"; then
    ok
else
    bad "batch: --help does not document exit status, --skip, --stats, --catalog, --full and -j2"
fi
"$BIN" batch -q -r "$RULES" "$tmp/in2k" >&- 2>"$tmp/e"
got=$?
if [ $got -eq 4 ] && grep -q 'cannot write output' "$tmp/e"; then
    ok
else
    bad "batch: stdout closed: exit $got, expected 4 and a message"
fi
"$BIN" batch -q -r "$RULES" - <"$tmp/good5" >"$tmp/a" 2>/dev/null
"$BIN" batch -q -r "$RULES" <"$tmp/good5" >"$tmp/b" 2>/dev/null
"$BIN" batch -q -r "$RULES" "$tmp/good5" >"$tmp/c" 2>/dev/null
if cmp -s "$tmp/a" "$tmp/c" && cmp -s "$tmp/b" "$tmp/c" && [ -s "$tmp/c" ]; then
    ok
else
    bad "batch: '-', no INPUT and a file name give different output"
fi

golden_done batch
