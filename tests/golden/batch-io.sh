#!/bin/sh
# SPDX-License-Identifier: MIT
# Output integrity and the CSV record limit, through the CLI (LC_ALL=C):
#   - every command exits 4 with the reason on stderr when standard output cannot be
#     written (/dev/full, a closed descriptor);
#   - batch on a full output (/dev/full) and past a file size limit (ulimit -f with SIGXFSZ
#     ignored: EFBIG): the output file holds only whole lines, exactly as many as the
#     summary counts, and the printed '--skip N' resumes it to the output of one run;
#   - batch into a reader that goes away (| head -1): a quiet stop, exit 0, the records
#     written counted;
#   - CSV: a record of exactly 1 MiB is read, one byte more is an error record (E4012) and
#     reading goes on at the next record (tests/golden/batch-io/csv-limit.out); NUL bytes
#     are refused.
#   usage: sh tests/golden/batch-io.sh path/to/mgadvise      (BLESS=1 rewrites expected files)
set -u
case $1 in
/*) BIN=$1 ;;
*) BIN=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/../.." || exit 2
HERE=tests/golden/batch-io
RULES=tests/golden/batch/rules.mga
. tests/golden/lib.sh

# ---- every command: an unwritable standard output is exit 4 and a reason ----
P=examples/profiles/01-kidney-disease.json
full_case() { # description stdin command...
    what=$1 input=$2
    shift 2
    "$@" <"$input" >/dev/full 2>"$tmp/e"
    got=$?
    if [ $got -eq 4 ] && grep -q 'cannot write output: No space left on device$' "$tmp/e"; then
        ok
    else
        bad "$what >/dev/full: exit $got, expected 4 and 'cannot write output: No space left on device'"
        head -5 "$tmp/e"
    fi
}
if [ -w /dev/full ]; then
    full_case "--help" /dev/null "$BIN" --help
    full_case "--version" /dev/null "$BIN" --version
    full_case "check" /dev/null "$BIN" check
    full_case "check --no-analysis" /dev/null "$BIN" check --no-analysis rules/
    full_case "check --help" /dev/null "$BIN" check --help
    full_case "eval" /dev/null "$BIN" eval "$P"
    full_case "eval --help" /dev/null "$BIN" eval --help
    full_case "explain" /dev/null "$BIN" explain "$P"
    full_case "test" /dev/null "$BIN" test tests/rules/
    full_case "graph" /dev/null "$BIN" graph
    full_case "fmt -" rules/forms.mga "$BIN" fmt -
    sed '0,/^rule /s/^rule /rule   /' rules/forms.mga >"$tmp/unformatted.mga"
    full_case "fmt --check" /dev/null "$BIN" fmt --check "$tmp/unformatted.mga"
    full_case "batch --help" /dev/null "$BIN" batch --help
else
    echo "batch-io: /dev/full is missing: its cases are skipped"
fi
"$BIN" --version >&- 2>"$tmp/e"
got=$?
if [ $got -eq 4 ] && grep -q 'cannot write output: Bad file descriptor$' "$tmp/e"; then
    ok
else
    bad "--version with stdout closed: exit $got, expected 4 and a reason"
fi

# ---- batch --stats into a file that cannot be written: its name and the reason ----
awk -v n=3000 -v bad=37 -v blank=50 -f tests/golden/batch/gen.awk >"$tmp/in3k"
head -5 "$tmp/in3k" >"$tmp/good5"
if [ -w /dev/full ]; then
    "$BIN" batch -q -r "$RULES" --stats /dev/full "$tmp/good5" >"$tmp/o" 2>"$tmp/e"
    got=$?
    if [ $got -eq 4 ] && [ "$(wc -l <"$tmp/o")" -eq 5 ] &&
        grep -q "^mgadvise batch: cannot write statistics '/dev/full': No space left on device$" "$tmp/e"; then
        ok
    else
        bad "batch --stats /dev/full: exit $got, expected 4 and the file's name with the reason"
        cat "$tmp/e"
    fi
    # ---- batch into a full output: nothing written, said so, exit 4 ----
    "$BIN" batch -q -r "$RULES" "$tmp/in3k" >/dev/full 2>"$tmp/e"
    got=$?
    if [ $got -eq 4 ] && grep -q '^mgadvise batch: cannot write output: No space left on device$' "$tmp/e" &&
        grep -q '^mgadvise batch: 0 records, 0 ok, 0 errors, ' "$tmp/e" &&
        grep -q '^mgadvise batch: stopped after input line 0 (0 records written); resume with --skip 0$' "$tmp/e"; then
        ok
    else
        bad "batch >/dev/full: exit $got"
        cat "$tmp/e"
    fi
fi

# ---- past a file size limit (EFBIG): only whole lines, the summary counts them, and
# --skip N resumes to the output of one run (JSON lines and CSV, one thread and three,
# written fresh and appended) ----
awk -v n=3000 -v bad=41 -v blank=97 -f tests/golden/batch/gen_csv.awk >"$tmp/in3k.csv"
for input in "$tmp/in3k" "$tmp/in3k.csv"; do
    "$BIN" batch -q -r "$RULES" "$input" >"$tmp/whole" 2>/dev/null
    for j in 1 3; do
        for mode in fresh append; do
            rm -f "$tmp/part"
            if [ $mode = append ]; then
                # an earlier run's output that the cut must leave alone
                head -c 100000 "$tmp/whole" | sed '$d' >"$tmp/part"
                lines0=$(wc -l <"$tmp/part")
                skip0=$(sed -n '$s/^{"line":\([0-9]*\),.*/\1/p' "$tmp/part")
                (
                    ulimit -f 500
                    trap '' XFSZ
                    exec "$BIN" batch -q -r "$RULES" -j $j --skip "$skip0" "$input" >>"$tmp/part" 2>"$tmp/e"
                )
            else
                lines0=0
                (
                    ulimit -f 400
                    trap '' XFSZ
                    exec "$BIN" batch -q -r "$RULES" -j $j "$input" >"$tmp/part" 2>"$tmp/e"
                )
            fi
            got=$?
            what="batch $(basename "$input") -j $j ($mode) past a file size limit"
            recs=$(sed -n 's/^mgadvise batch: \([0-9]*\) records, .*/\1/p' "$tmp/e")
            skip=$(sed -n 's/.* records written); resume with --skip \([0-9]*\)$/\1/p' "$tmp/e")
            last=$(sed -n '$s/^{"line":\([0-9]*\),.*/\1/p' "$tmp/part")
            if [ $got -ne 4 ] || [ -z "$recs" ] || [ -z "$skip" ] ||
                ! grep -q '^mgadvise batch: cannot write output: File too large$' "$tmp/e"; then
                bad "$what: exit $got, expected 4, the reason, the count and a resume line"
                cat "$tmp/e"
                continue
            fi
            if [ "$(tail -c 1 "$tmp/part" | od -An -c | tr -d ' ')" != '\n' ] ||
                [ $(($(wc -l <"$tmp/part") - lines0)) -ne "$recs" ] || [ "$last" != "$skip" ] ||
                ! grep -q "^mgadvise batch: stopped after input line $skip ($recs records written); resume with --skip $skip\$" "$tmp/e"; then
                bad "$what: the file does not hold exactly the $recs whole lines the summary counts, the last for line $skip"
                cat "$tmp/e"
                tail -c 80 "$tmp/part"
                echo
                continue
            fi
            "$BIN" batch -q -r "$RULES" -j $j --skip "$skip" "$input" >>"$tmp/part" 2>/dev/null
            if cmp -s "$tmp/part" "$tmp/whole"; then
                ok
            else
                bad "$what: resumed with --skip $skip, the output differs from one run"
            fi
        done
    done
done

# ---- the reader goes away (| head -1): a quiet stop, exit 0, the records written
# counted and the line to resume after ----
awk -v n=5000 -v bad=0 -f tests/golden/batch/gen.awk >"$tmp/in5k"
for j in 1 2; do
    for stats in no yes; do
        set --
        [ $stats = yes ] && set -- --stats "$tmp/st"
        {
            "$BIN" batch -q -r "$RULES" -j $j "$@" "$tmp/in5k" 2>"$tmp/e"
            echo $? >"$tmp/rc"
        } | head -1 >"$tmp/o"
        got=$(cat "$tmp/rc")
        recs=$(sed -n 's/^mgadvise batch: \([0-9]*\) records, .*/\1/p' "$tmp/e")
        what="batch -j $j | head -1"
        if [ $stats = yes ]; then
            # the statistics would count records the output does not hold: not written
            if [ "$got" -eq 4 ] && grep -q "^mgadvise batch: cannot write statistics '$tmp/st': the output ended early" "$tmp/e" &&
                ! grep -q 'cannot write output' "$tmp/e"; then
                ok
            else
                bad "$what --stats: exit $got, expected 4 and why the statistics were not written"
                cat "$tmp/e"
            fi
            continue
        fi
        if [ "$got" -eq 0 ] && [ "$(wc -l <"$tmp/o")" -eq 1 ] && [ -n "$recs" ] &&
            [ "$recs" -gt 0 ] && [ "$recs" -lt 5000 ] && [ "$(wc -l <"$tmp/e")" -eq 2 ] &&
            grep -q "^mgadvise batch: output closed by its reader after input line $recs ($recs records written); resume with --skip $recs\$" "$tmp/e"; then
            ok
        else
            bad "$what: exit $got, expected 0, the summary and the resume line only"
            cat "$tmp/e"
        fi
    done
done

# ---- CSV: a record at the limit (1 MiB) and one past it; a quoted record over several
# lines past it; the records after each are read (golden: csv-limit.out) ----
HDR='id,age,sex,conditions,goals,supplement_mg,diet_mg,balanced_diet,activity,vitamin_d_level,neck_pain_weeks'
pad() { # n: n spaces
    head -c "$1" /dev/zero | tr '\0' ' '
}
{
    echo "$HDR"
    # "at,40" then spaces (a number's trailing blanks are dropped), then the other cells:
    # 1048576 bytes before the line end
    rest=',female,kidney_disease,sleep,,,true,low,,'
    printf 'at,40'
    pad $((1048576 - 5 - ${#rest}))
    printf '%s\n' "$rest"
    printf 'past,40'
    pad $((1048576 - 7 - ${#rest} + 1))
    printf '%s\n' "$rest"
    printf 'at-crlf,40'
    pad $((1048576 - 10 - ${#rest}))
    printf '%s\r\n' "$rest"
    echo 'after,41,male,ibs,sleep,,,true,low,,'
    # a quoted cell over three lines, past 1 MiB in all: its end is found outside the quotes
    printf '"long\n'
    pad 1048576
    printf '\nend ""quoted"" text",40,female,,,,,,,,\n'
    echo 'next,42,female,,sleep,,,true,low,,'
} >"$tmp/limit.csv"
"$BIN" batch -q -r "$RULES" -j 2 "$tmp/limit.csv" >"$tmp/o" 2>"$tmp/err.raw"
echo "exit $?" >>"$tmp/err.raw"
norm "$tmp/err.raw" >"$tmp/err"
cat "$tmp/o" "$tmp/err" >"$tmp/got"
if [ "${BLESS:-0}" = 1 ]; then
    cp "$tmp/got" "$HERE/csv-limit.out"
    ok
elif cmp -s "$HERE/csv-limit.out" "$tmp/got"; then
    ok
else
    bad "batch: CSV record limit (csv-limit.out)"
    diff -u "$HERE/csv-limit.out" "$tmp/got" | cut -c1-200 | head -30
fi
# a line of 64 MiB costs no more than the limit: it is read in one pass, not held
{
    echo 'id,age'
    head -c $((64 * 1048576)) /dev/zero | tr '\0' 'x'
    echo ',3'
    echo 'ok,4'
} >"$tmp/huge.csv"
"$BIN" batch -q -r "$RULES" -j 1 "$tmp/huge.csv" >"$tmp/o" 2>"$tmp/e"
got=$?
if [ $got -eq 1 ] && [ "$(wc -l <"$tmp/o")" -eq 2 ] &&
    sed -n 1p "$tmp/o" | grep -q '^{"line":2,"id":null,"error":{"field":null,"code":"E4012","message":"the record on line 2 is longer than the limit of 1048576 bytes' &&
    sed -n 2p "$tmp/o" | grep -q '^{"line":3,"id":"ok","result":'; then
    ok
else
    bad "batch: a CSV line of 64 MiB: exit $got"
    cut -c1-200 "$tmp/o" "$tmp/e"
fi
rm -f "$tmp/huge.csv" "$tmp/limit.csv"
# a header row past the limit is a bad header: exit 3, no record read
{
    printf 'id,age'
    pad 1048576
    echo
    echo 'a,3'
} >"$tmp/hdr.csv"
"$BIN" batch -q -r "$RULES" "$tmp/hdr.csv" >"$tmp/o" 2>"$tmp/e"
got=$?
if [ $got -eq 3 ] && [ ! -s "$tmp/o" ] &&
    [ "$(cat "$tmp/e")" = "mgadvise batch: $tmp/hdr.csv:1: bad header row: the record on line 1 is longer than the limit of 1048576 bytes (1 MiB)" ]; then
    ok
else
    bad "batch: a CSV header past the limit: exit $got, expected 3 and one message"
    cat "$tmp/e"
fi
rm -f "$tmp/hdr.csv"

# ---- CSV: a NUL byte is an error record naming the column, never a cut cell ----
{
    echo 'id,age,sex'
    printf 'a\000b,40,female\n'
    printf 'c,4\0001,female\n'
    echo 'd,41,male'
} >"$tmp/nul.csv"
"$BIN" batch -q -r "$RULES" "$tmp/nul.csv" >"$tmp/o" 2>/dev/null
got=$?
if [ $got -eq 1 ] &&
    sed -n 1p "$tmp/o" | grep -q '^{"line":2,"id":"a\\u0000b","error":{"field":"\$.id","code":null,"message":"\$.id: a NUL byte (0x00) at byte 2 of the cell: CSV text cannot hold one","column":1}}$' &&
    sed -n 2p "$tmp/o" | grep -q '^{"line":3,"id":"c","error":{"field":"\$.age","code":null,"message":"\$.age: a NUL byte (0x00) at byte 2 of the cell: CSV text cannot hold one","column":2}}$' &&
    sed -n 3p "$tmp/o" | grep -q '^{"line":4,"id":"d","result":'; then
    ok
else
    bad "batch: NUL bytes in CSV cells: exit $got"
    cat "$tmp/o"
fi

golden_done batch-io
