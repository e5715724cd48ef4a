#!/bin/sh
# SPDX-License-Identifier: MIT
# A quick check of the bench tools, run by `make test` (a second or two; `make bench` is
# the measurement). The generators are deterministic, their output is valid input for the
# shipped or generated rules, the floor writes back what it read, and the runner and the
# evaluation timer report what they promise.
#   usage: sh bench/smoke.sh BUILD_DIR
set -u
B=$1
M=$B/mgadvise
export LC_ALL=C
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() {
    fail=$((fail + 1))
    echo "FAIL: bench smoke: $*"
}

# gen: same seed, same bytes; another seed, other bytes; every record good on the shipped rules.
"$B/bench/gen" --seed 7 --count 300 >"$T/a" || bad "gen failed"
"$B/bench/gen" --seed 7 --count 300 >"$T/b"
"$B/bench/gen" --seed 8 --count 300 >"$T/c"
cmp -s "$T/a" "$T/b" || bad "gen --seed 7 twice gave different bytes"
cmp -s "$T/a" "$T/c" && bad "gen --seed 7 and --seed 8 gave the same bytes"
[ "$(wc -l <"$T/a")" -eq 300 ] || bad "gen --count 300 wrote $(wc -l <"$T/a") lines"
"$M" batch -q -j 2 --stats "$T/stats" "$T/a" >"$T/out" 2>"$T/err" ||
    bad "batch on generated profiles: exit $?: $(cat "$T/err")"
grep -q '^mgadvise batch: 300 records, 300 ok, 0 errors, ' "$T/err" ||
    bad "batch summary on generated profiles: $(cat "$T/err")"
[ "$(wc -l <"$T/out")" -eq 300 ] || bad "batch wrote $(wc -l <"$T/out") lines for 300 records"
"$B/bench/gen" --count x >/dev/null 2>&1 && bad "gen accepted --count x"
# items: the figures for the generated profiles, the shown items within the text's cap
"$B/bench/items" -r rules "$T/a" >"$T/items" 2>"$T/err" || bad "items: exit $?: $(cat "$T/err")"
grep -q '^mgadvise items: 300 profiles, rules rules$' "$T/items" &&
    grep -Eq '^  shown by the default text +[0-9]+ +[0-9]+ +[0-9]+  target: .*: (PASS|MISS)$' "$T/items" ||
    bad "items printed: $(cat "$T/items")"
"$B/bench/items" --bogus </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || bad "items accepted --bogus"
# the same with --full and --catalog (bench/run.sh's rows): every record ok, the full lines
# longer than the lean ones, the catalog written
"$M" batch -q -j 2 --full --catalog "$T/cat" "$T/a" >"$T/outf" 2>"$T/err" ||
    bad "batch --full on generated profiles: exit $?: $(cat "$T/err")"
grep -q '^mgadvise batch: 300 records, 300 ok, 0 errors, ' "$T/err" ||
    bad "batch --full summary on generated profiles: $(cat "$T/err")"
[ "$(wc -l <"$T/outf")" -eq 300 ] && [ "$(wc -c <"$T/out")" -lt "$(wc -c <"$T/outf")" ] ||
    bad "batch --full wrote $(wc -l <"$T/outf") lines, $(wc -c <"$T/outf") bytes"
grep -q '^{"ruleset":.*"rules":{' "$T/cat" || bad "batch --catalog: no catalog"

# floor: a compact JSON line comes back byte for byte; a bad line is reported, exit 1.
"$B/bench/floor" "$T/a" >"$T/f" || bad "floor failed on generated profiles"
cmp -s "$T/a" "$T/f" || bad "floor did not write back its input"
printf '{"a":[1,2.5,null,true,"x"]}\n\n{bad\n' | "$B/bench/floor" >"$T/f2"
st=$?
[ $st -eq 1 ] || bad "floor on a bad line: exit $st, expected 1"
printf '{"a":[1,2.5,null,true,"x"]}\n{"line":3,"error":true}\n' | cmp -s - "$T/f2" ||
    bad "floor output on mixed input: $(cat "$T/f2")"

# genrules: deterministic, compiles cleanly, and its profiles are good input for its rules.
for mode in shared distinct; do
    "$B/bench/genrules" --mode $mode --rules 100 >"$T/$mode.mga" || bad "genrules $mode failed"
    "$B/bench/genrules" --mode $mode --rules 100 | cmp -s - "$T/$mode.mga" ||
        bad "genrules $mode: two runs differ"
    "$M" check --no-analysis "$T/$mode.mga" >"$T/chk" 2>&1 || bad "genrules $mode: $(cat "$T/chk")"
    grep -q '^mgadvise: ok: 100 rules,' "$T/chk" || bad "genrules $mode: $(cat "$T/chk")"
    "$B/bench/genrules" --mode $mode --rules 100 --profiles 200 >"$T/$mode.jsonl"
    "$M" batch -q -j 1 -r "$T/$mode.mga" "$T/$mode.jsonl" >/dev/null 2>"$T/err" ||
        bad "batch on genrules $mode profiles: $(cat "$T/err")"
done
"$B/bench/genrules" --mode other --rules 100 >/dev/null 2>&1 && bad "genrules accepted --mode other"

# genshapes: deterministic; every shape compiles and evaluates its profile at a small size;
# nesting one past the limit is refused (E9001), at the limit accepted.
for shape in and or nest chain diamond fanin rules keys tests; do
    "$B/bench/genshapes" --shape $shape --size 40 >"$T/s.mga" || bad "genshapes $shape failed"
    "$B/bench/genshapes" --shape $shape --size 40 | cmp -s - "$T/s.mga" ||
        bad "genshapes $shape: two runs differ"
    "$B/bench/genshapes" --shape $shape --size 40 --profile >"$T/s.json"
    allow=; [ $shape = keys ] && allow=--allow-unknown-fields  # unknown keys: errors otherwise
    "$M" eval $allow -r "$T/s.mga" "$T/s.json" >/dev/null 2>"$T/err" ||
        bad "genshapes $shape: eval: $(cat "$T/err")"
done
"$B/bench/genshapes" --shape tests --size 40 >"$T/s.mga"
"$B/bench/genshapes" --shape tests --size 40 --tests >"$T/s.mgt"
"$M" test -r "$T/s.mga" "$T/s.mgt" 2>&1 | grep -q '^40 passed, 0 failed' || bad "genshapes tests: 40 tests do not pass"
"$B/bench/genshapes" --shape nest --size 64 >"$T/s.mga"
"$M" check --no-analysis "$T/s.mga" >/dev/null 2>&1 || bad "genshapes nest 64 refused"
"$B/bench/genshapes" --shape nest --size 65 >"$T/s.mga"
"$M" check --no-analysis "$T/s.mga" 2>&1 | grep -q 'error\[E9001\]' || bad "genshapes nest 65 accepted"
"$B/bench/genshapes" --shape other --size 4 >/dev/null 2>&1 && bad "genshapes accepted --shape other"

# run: reports the time, the peak RSS and the exit status of its command.
r=$("$B/bench/run" -o "$T/r" -- sh -c 'echo hi; exit 3')
case $r in
seconds=[0-9]*.[0-9]*' 'cpu_seconds=[0-9]*.[0-9]*' 'maxrss_kb=[1-9]*' 'exit=3) ;;
*) bad "run printed '$r'" ;;
esac
[ "$(cat "$T/r")" = hi ] || bad "run -o did not capture the output"
"$B/bench/run" -- "$T/no-such-command" >/dev/null 2>&1
[ $? -eq 3 ] || bad "run of a missing command did not exit 3"

# evalbench: every key, every profile parsed, advice given.
"$B/bench/evalbench" -r rules --profiles "$T/a" --evals 600 --write-evals 50 --repeat 1 \
    >"$T/kv" 2>"$T/err" || bad "evalbench failed: $(cat "$T/err")"
nrules=$(cat rules/*.mga | grep -c '^rule ')
for k in rules=$nrules nodes= compile_ms= profiles=300 bad_profiles=0 parse_ns= evals=600 eval_ns= \
    advice= write_evals=50 write_ns= out_bytes=; do
    grep -q "^$k" "$T/kv" || bad "evalbench output lacks '$k': $(tr '\n' ' ' <"$T/kv")"
done
grep -q '^advice=0' "$T/kv" && bad "evalbench: no advice on generated profiles"

if [ $fail -ne 0 ]; then
    echo "bench smoke: $fail failed"
    exit 1
fi
echo "bench smoke: ok"
