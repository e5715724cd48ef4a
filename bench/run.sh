#!/bin/sh
# SPDX-License-Identifier: MIT
# `make bench`: measures mgadvise against the JSON floor and prints a table with the ratios
# and the performance targets beside them (PASS/MISS). The method is in bench/README.md.
#   usage: sh bench/run.sh BUILD_DIR [COUNT]          (COUNT profiles, default 1000000)
# BENCH_SEED (default 1) seeds the profile generator. Everything runs from a temporary
# folder that is removed at the end; results go to /dev/null except where "file" is said.
# The machines are shared: the timed runs that the ratios compare (the floor and batch at
# -j 1 and all cores, the evaluation timings of the rule-count scaling) are made in
# BENCH_ROUNDS rounds (default 5), one of each per round in turn, and each reports its
# fastest round: a burst of load from elsewhere then spoils one round, not a ratio.
set -eu
B=$1
COUNT=${2:-1000000}
SEED=${BENCH_SEED:-1}
SAMPLE=20000 # records written to a real file, to measure output bytes and file writes
FILE_RECORDS=200000 # lean records written to a regular file at -j 1 and -j 2, each round
SCALE_PROFILES=5000
ROUNDS=${BENCH_ROUNDS:-5}
case $ROUNDS in '' | *[!0-9]* | 0) echo "bench: BENCH_ROUNDS must be a positive number"; exit 2 ;; esac
export LC_ALL=C
for t in gen floor evalbench genrules genshapes run; do
    [ -x "$B/bench/$t" ] || { echo "bench: $B/bench/$t is missing (make bench-tools)"; exit 2; }
done
[ -x "$B/mgadvise" ] || { echo "bench: $B/mgadvise is missing (make)"; exit 2; }
NPROC=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

# measure NAME OUT ERR -- CMD...: sets NAME_s (wall seconds), NAME_cpu (CPU seconds),
# NAME_kb (peak RSS) and NAME_exit. When NAME_s is set already (an earlier round), the
# faster run's seconds and CPU seconds are kept, and the larger peak RSS.
measure() {
    name=$1 out=$2 err=$3
    shift 3
    r=$("$B/bench/run" -o "$out" -e "$err" "$@")
    eval "$(echo "$r" | sed "s/cpu_seconds=/m_cpu=/; s/^seconds=/m_s=/; s/maxrss_kb=/m_kb=/; s/exit=/${name}_exit=/")"
    if [ -n "$(eval echo \${${name}_s:-})" ]; then
        old_s=$(eval echo \$"${name}"_s)
        old_kb=$(eval echo \$"${name}"_kb)
        [ "$m_kb" -lt "$old_kb" ] && m_kb=$old_kb
        if [ "$(awk "BEGIN { print ($m_s < $old_s) }")" = 0 ]; then
            m_s=$old_s
            m_cpu=$(eval echo \$"${name}"_cpu)
        fi
    fi
    eval "${name}_s=$m_s ${name}_cpu=$m_cpu ${name}_kb=$m_kb"
}
# keyval FILE KEY: the value of KEY=... in FILE
keyval() { sed -n "s/^$2=//p" "$1"; }
# calc EXPR: awk arithmetic, printed with the given format
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# verdict VALUE OP LIMIT: PASS or MISS
verdict() { awk "BEGIN { print ($1 $2 $3) ? \"PASS\" : \"MISS\" }"; }

echo "mgadvise bench: $COUNT profiles (bench/gen --seed $SEED), $NPROC cores, $(uname -sm)"
echo "  cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  generating..."
"$B/bench/gen" --seed "$SEED" --count "$COUNT" >"$T/in.jsonl"
in_bytes=$(wc -c <"$T/in.jsonl")
head -n "$SAMPLE" "$T/in.jsonl" >"$T/sample.jsonl"
sample_n=$(wc -l <"$T/sample.jsonl")
sample_in=$(wc -c <"$T/sample.jsonl")
head -n "$FILE_RECORDS" "$T/in.jsonl" >"$T/file.jsonl"
file_n=$(wc -l <"$T/file.jsonl")

floor_run() {
    measure floor /dev/null "$T/floor.err" -- "$B/bench/floor" "$T/in.jsonl"
    [ "$floor_exit" -eq 0 ] || { echo "bench: the floor failed (exit $floor_exit)"; cat "$T/floor.err"; exit 1; }
}
echo "  JSON floor into a file..."
measure floorf "$T/floor.out" "$T/floor.err" -- "$B/bench/floor" "$T/in.jsonl"
floor_out=$(wc -c <"$T/floor.out")
rm -f "$T/floor.out"

# batch: the summary must show every record ok.
batch_run() { # NAME JOBS INPUT OUT [OPTION...]
    bname=$1 bjobs=$2 binput=$3 bout=$4
    shift 4
    measure "$bname" "$bout" "$T/$bname.err" -- "$B/mgadvise" batch -q -j "$bjobs" "$@" "$binput"
    if ! grep -q ' ok, 0 errors, ' "$T/$bname.err"; then
        echo "bench: mgadvise batch -j $bjobs $* reported errors (exit $(eval echo \$"$bname"_exit)):"
        cat "$T/$bname.err"
        exit 1
    fi
}
# --full: whole results; the default: lean records, and the catalog once (--catalog)
round=1
while [ "$round" -le "$ROUNDS" ]; do
    echo "  round $round of $ROUNDS: the JSON floor, mgadvise batch --full -j 1, -j $NPROC, both lean, lean into a file -j 1, -j 2..."
    floor_run
    batch_run b1 1 "$T/in.jsonl" /dev/null --full
    batch_run bn "$NPROC" "$T/in.jsonl" /dev/null --full
    batch_run c1 1 "$T/in.jsonl" /dev/null --catalog "$T/cat.json"
    batch_run cn "$NPROC" "$T/in.jsonl" /dev/null --catalog "$T/cat.json"
    # into a regular file (the usual case): what -j 2 gains when the output is written
    batch_run w1 1 "$T/file.jsonl" "$T/file.out"
    batch_run w2 2 "$T/file.jsonl" "$T/file.out"
    round=$((round + 1))
done
file_out=$(wc -c <"$T/file.out")
rm -f "$T/file.out" "$T/file.jsonl"
echo "  mgadvise batch -j 1 --full into a file ($sample_n records)..."
batch_run bf 1 "$T/sample.jsonl" "$T/sample.out" --full
sample_out=$(wc -c <"$T/sample.out")
rm -f "$T/sample.out"
echo "  mgadvise batch -j 1 (lean) --catalog into a file ($sample_n records)..."
batch_run cf 1 "$T/sample.jsonl" "$T/sample.out" --catalog "$T/cat.json"
csample_out=$(wc -c <"$T/sample.out")
cat_bytes=$(wc -c <"$T/cat.json")
rm -f "$T/sample.out" "$T/cat.json"

echo "  evaluation alone (shipped rules) and rule-count scaling ($ROUNDS rounds)..."
evals=$COUNT
[ "$evals" -gt 1000000 ] && evals=1000000
for mode in shared distinct; do
    for n in 100 1000 10000; do
        "$B/bench/genrules" --mode "$mode" --rules "$n" --seed "$SEED" >"$T/$mode$n.mga"
        "$B/bench/genrules" --mode "$mode" --rules "$n" --seed "$SEED" \
            --profiles "$SCALE_PROFILES" >"$T/$mode$n.jsonl"
    done
done
# kv_min KV NEW: KV gets the keys of NEW where NEW's eval_ns is the smaller (compile_ms:
# the smaller of the two whichever run it came from)
kv_min() {
    if [ ! -s "$1" ]; then
        cp "$2" "$1"
        return
    fi
    c1=$(keyval "$1" compile_ms) c2=$(keyval "$2" compile_ms)
    if [ "$(awk "BEGIN { print ($(keyval "$2" eval_ns) < $(keyval "$1" eval_ns)) }")" = 1 ]; then
        cp "$2" "$1"
    fi
    c=$(awk "BEGIN { print ($c2 < $c1) ? \"$c2\" : \"$c1\" }")
    sed "s/^compile_ms=.*/compile_ms=$c/" "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
round=1
while [ "$round" -le "$ROUNDS" ]; do
    "$B/bench/evalbench" -r rules --profiles "$T/in.jsonl" --evals "$evals" >"$T/round.kv"
    kv_min "$T/eval.kv" "$T/round.kv"
    for mode in shared distinct; do
        for n in 100 1000 10000; do
            "$B/bench/evalbench" -r "$T/$mode$n.mga" --profiles "$T/$mode$n.jsonl" \
                --evals 200000 --no-write >"$T/round.kv"
            kv_min "$T/$mode$n.kv" "$T/round.kv"
        done
    done
    round=$((round + 1))
done
rm -f "$T/in.jsonl"

# ---- report ----
rate() { calc "%.0f" "$COUNT / $1"; } # records/s from seconds
mbs() { calc "%.1f" "$1 / $2 / 1e6"; } # MB/s from bytes and seconds
mb() { calc "%.1f" "$1 / 1024"; }      # MB from kB

out_per_rec=$(calc "%.1f" "$sample_out / $sample_n")
floor_r=$(rate "$floor_s")
b1_r=$(rate "$b1_s")
bn_r=$(rate "$bn_s")
bf_r=$(calc "%.0f" "$sample_n / $bf_s")
cout_per_rec=$(calc "%.1f" "$csample_out / $sample_n")
c1_r=$(rate "$c1_s")
cn_r=$(rate "$cn_s")
cf_r=$(calc "%.0f" "$sample_n / $cf_s")
floorf_r=$(rate "$floorf_s")
w1_r=$(calc "%.0f" "$file_n / $w1_s")
w2_r=$(calc "%.0f" "$file_n / $w2_s")

echo
echo "Throughput ($COUNT profiles, $(mb "$(calc "%.0f" "$in_bytes / 1024")") MB in; output to /dev/null unless 'file';"
echo "  the fastest of $ROUNDS rounds but for the file runs)"
printf '%-40s %11s %9s %9s %9s %7s\n' "" "records/s" "MB/s in" "MB/s out" "peak RSS" "CPU s"
printf '%-40s %11s %9s %9s %9s %7s\n' "JSON floor (yajl parse + gen, 1 core)" "$floor_r" \
    "$(mbs "$in_bytes" "$floor_s")" "$(mbs "$floor_out" "$floor_s")" "$(mb "$floor_kb") MB" "$floor_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "JSON floor, into a file" "$floorf_r" \
    "$(mbs "$in_bytes" "$floorf_s")" "$(mbs "$floor_out" "$floorf_s")" "$(mb "$floorf_kb") MB" "$floorf_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "mgadvise batch -j 1 --full" "$b1_r" "$(mbs "$in_bytes" "$b1_s")" \
    "$(calc "%.1f" "$out_per_rec * $b1_r / 1e6")" "$(mb "$b1_kb") MB" "$b1_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "mgadvise batch -j $NPROC --full" "$bn_r" "$(mbs "$in_bytes" "$bn_s")" \
    "$(calc "%.1f" "$out_per_rec * $bn_r / 1e6")" "$(mb "$bn_kb") MB" "$bn_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "mgadvise batch -j 1 --full, file" "$bf_r" \
    "$(mbs "$sample_in" "$bf_s")" "$(mbs "$sample_out" "$bf_s")" "$(mb "$bf_kb") MB" "$bf_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "mgadvise batch -j 1 (lean)" "$c1_r" "$(mbs "$in_bytes" "$c1_s")" \
    "$(calc "%.1f" "$cout_per_rec * $c1_r / 1e6")" "$(mb "$c1_kb") MB" "$c1_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "mgadvise batch -j $NPROC (lean)" "$cn_r" "$(mbs "$in_bytes" "$cn_s")" \
    "$(calc "%.1f" "$cout_per_rec * $cn_r / 1e6")" "$(mb "$cn_kb") MB" "$cn_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "mgadvise batch -j 1 (lean), file" "$cf_r" \
    "$(mbs "$sample_in" "$cf_s")" "$(mbs "$csample_out" "$cf_s")" "$(mb "$cf_kb") MB" "$cf_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "batch -j 1 (lean), file, $file_n recs" "$w1_r" \
    "-" "$(mbs "$file_out" "$w1_s")" "$(mb "$w1_kb") MB" "$w1_cpu"
printf '%-40s %11s %9s %9s %9s %7s\n' "batch -j 2 (lean), file, $file_n recs" "$w2_r" \
    "-" "$(mbs "$file_out" "$w2_s")" "$(mb "$w2_kb") MB" "$w2_cpu"
echo "  CPU s: user + system time of the process; on a busy machine records/s falls but CPU s"
echo "  stays. CPU per record at -j $NPROC: $(calc "%.2f" "$bn_cpu / $b1_cpu")x that at -j 1 (1.00: no parallel overhead);"
echo "  lean $(calc "%.2f" "$cn_cpu / $c1_cpu")x"
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  output: $out_per_rec bytes per --full record (measured on the file run), $(calc "%.1f" "$floor_out / $COUNT") per floor record"
echo "  lean: $cout_per_rec bytes per record (file run) plus a catalog of $cat_bytes bytes written once"

e=$T/eval.kv
echo
echo "Evaluation alone, shipped rules ($(keyval "$e" rules) rules, $(keyval "$e" nodes) nodes; $(keyval "$e" profiles) profiles in memory;"
echo "  the fastest of $ROUNDS rounds)"
echo "  compile                       $(keyval "$e" compile_ms) ms"
echo "  parse a profile               $(keyval "$e" parse_ns) ns"
echo "  evaluate (result reused)      $(keyval "$e" eval_ns) ns/profile   ($(keyval "$e" advice) advice items per profile)"
echo "  evaluate + write JSON          $(keyval "$e" write_ns) ns/profile   ($(keyval "$e" out_bytes) bytes per result, null sink)"

echo
echo "Rule-count scaling (generated rules; $SCALE_PROFILES generated profiles each; evaluate, result reused;"
echo "  the fastest of $ROUNDS rounds)"
printf '%-9s %6s %6s %11s %12s %9s %12s\n' mode rules nodes "compile ms" "ns/profile" "advice" "parse ns"
for mode in shared distinct; do
    for n in 100 1000 10000; do
        k=$T/$mode$n.kv
        printf '%-9s %6s %6s %11s %12s %9s %12s\n' "$mode" "$n" "$(keyval "$k" nodes)" \
            "$(keyval "$k" compile_ms)" "$(keyval "$k" eval_ns)" "$(keyval "$k" advice)" \
            "$(keyval "$k" parse_ns)"
    done
done

# ---- ratios and targets ----
r_floor=$(calc "%.3f" "$b1_r / $floor_r")
r_j=$(calc "%.2f" "$bn_r / $b1_r")
rc_floor=$(calc "%.3f" "$c1_r / $floor_r")
rc_j=$(calc "%.2f" "$cn_r / $c1_r")
r_file=$(calc "%.2f" "$w2_r / $w1_r")
j_target=$(calc "%.2f" "0.85 * $NPROC")
ev=$(keyval "$e" eval_ns)
rs_sh=$(calc "%.1f" "$(keyval "$T/shared10000.kv" eval_ns) / $(keyval "$T/shared100.kv" eval_ns)")
rs_di=$(calc "%.1f" "$(keyval "$T/distinct10000.kv" eval_ns) / $(keyval "$T/distinct100.kv" eval_ns)")
c_sh=$(keyval "$T/shared10000.kv" compile_ms)
c_di=$(keyval "$T/distinct10000.kv" compile_ms)
rss=$b1_kb
for k in "$bn_kb" "$c1_kb" "$cn_kb"; do
    [ "$k" -gt "$rss" ] && rss=$k
done
echo
echo "Ratios and targets"
printf '%-50s %12s %12s  %s\n' "" measured target ""
printf '%-50s %12s %12s  %s\n' "batch -j 1 / JSON floor, records/s (--full)" "$(calc "%.1f%%" "100 * $r_floor")" \
    ">= 70%" "$(verdict "$r_floor" ">=" 0.70)"
printf '%-50s %12s %12s  %s\n' "batch -j 1 / JSON floor, records/s (lean)" "$(calc "%.1f%%" "100 * $rc_floor")" \
    ">= 70%" "$(verdict "$rc_floor" ">=" 0.70)"
printf '%-50s %12s %12s  %s\n' "batch -j $NPROC / batch -j 1 (--full)" "${r_j}x" ">= ${j_target}x" \
    "$(verdict "$r_j" ">=" "$j_target")"
printf '%-50s %12s %12s  %s\n' "batch -j $NPROC / batch -j 1 (lean)" "${rc_j}x" ">= ${j_target}x" \
    "$(verdict "$rc_j" ">=" "$j_target")"
printf '%-50s %12s %12s  %s\n' "batch -j 2 / -j 1 into a regular file (lean)" "${r_file}x" ">= 1.70x" \
    "$(verdict "$r_file" ">=" 1.70)"
echo "    reproduce: build/bench/gen --count $file_n >in.jsonl; time build/mgadvise batch -q -j 1 in.jsonl >out.jsonl; the same with -j 2"
printf '%-50s %12s %12s  %s\n' "evaluation alone, shipped rules" "$ev ns" "< 1000 ns" \
    "$(verdict "$ev" "<" 1000)"
printf '%-50s %12s %12s  %s\n' "10,000 / 100 rules, ns per profile, shared" "${rs_sh}x" "<= 3x" \
    "$(verdict "$rs_sh" "<=" 3)"
printf '%-50s %12s %12s  %s\n' "10,000 / 100 rules, ns per profile, distinct" "${rs_di}x" "<= 3x" \
    "$(verdict "$rs_di" "<=" 3)"
printf '%-50s %12s %12s  %s\n' "compile 10,000 rules, shared" "$c_sh ms" "< 200 ms" \
    "$(verdict "$c_sh" "<" 200)"
printf '%-50s %12s %12s  %s\n' "compile 10,000 rules, distinct" "$c_di ms" "< 200 ms" \
    "$(verdict "$c_di" "<" 200)"
printf '%-50s %12s %12s  %s\n' "peak RSS, batch (-j 1 and -j $NPROC, both modes)" "$(mb "$rss") MB" "< 64 MB" \
    "$(verdict "$rss" "<" 65536)"

# ---- pathological shapes (bench/genshapes): compile, eval, explain and check must stay
# linear in the rule set. Each runs once; peak RSS must stay under 64 MB + 50x the input
# (rules and profile), and two shapes have time targets. A MISS here is a regression. ----
echo
echo "Pathological shapes (bench/genshapes; one run each; RSS limit 64 MB + 50x input)"
printf '%-9s %7s %-8s %9s %9s %10s %10s %9s  %s\n' shape size command "input KB" seconds \
    "peak RSS" "RSS limit" "time max" verdict
shape() { # SHAPE SIZE CMD TIME_MAX (seconds, or - for none)
    sh_s=$1 sh_n=$2 sh_c=$3 sh_t=$4
    "$B/bench/genshapes" --shape "$sh_s" --size "$sh_n" >"$T/shape.mga"
    "$B/bench/genshapes" --shape "$sh_s" --size "$sh_n" --profile >"$T/shape.json"
    : >"$T/shape.mgt"
    case $sh_c in
    check) set -- "$B/mgadvise" check "$T/shape.mga" ;;
    test) "$B/bench/genshapes" --shape "$sh_s" --size "$sh_n" --tests >"$T/shape.mgt"
          set -- "$B/mgadvise" test -r "$T/shape.mga" "$T/shape.mgt" ;;
    *) set -- "$B/mgadvise" "$sh_c" -r "$T/shape.mga" "$T/shape.json"
       # unknown keys are an error by default: measure them read as warnings, the longer path
       [ "$sh_s" = keys ] && set -- "$B/mgadvise" "$sh_c" --allow-unknown-fields -r "$T/shape.mga" "$T/shape.json" ;;
    esac
    measure shp /dev/null "$T/shape.err" -- "$@"
    in_kb=$(( ($(wc -c <"$T/shape.mga") + $(wc -c <"$T/shape.json") + $(wc -c <"$T/shape.mgt")) / 1024 ))
    lim_kb=$((65536 + 50 * in_kb))
    v=$(verdict "$shp_kb" "<" "$lim_kb")
    [ "$sh_t" != - ] && [ "$(verdict "$shp_s" "<" "$sh_t")" = MISS ] && v=MISS
    # eval, explain and test must succeed; check may warn (exit 1) but not fail harder
    [ "$shp_exit" -gt 1 ] || { [ "$sh_c" != check ] && [ "$shp_exit" -ne 0 ]; } && v="FAIL (exit $shp_exit)"
    printf '%-9s %7s %-8s %9s %9s %7s MB %7s MB %9s  %s\n' "$sh_s" "$sh_n" "$sh_c" "$in_kb" "$shp_s" \
        "$(mb "$shp_kb")" "$(mb "$lim_kb")" "$sh_t" "$v"
    unset shp_s shp_kb shp_cpu shp_exit
}
shape and 100000 eval -
shape or 100000 eval -
shape nest 64 eval -
shape chain 100000 eval 1
shape chain 100000 explain -
shape diamond 30 explain 0.1
shape diamond 100000 eval -
shape diamond 100000 explain -
shape fanin 20000 eval -
shape rules 100000 eval -
shape keys 30000 eval -
shape and 100000 check -
shape rules 1001 check -
shape tests 20000 test 3
shape tests 100000 test -
echo "  check past its limits (1000 rules, 20000 conditions) skips the analysis with W9011"
