#!/bin/sh
# SPDX-License-Identifier: MIT
# Start-up cost, side by side: one `mgadvise eval` of one profile with the built-in rules
# (the process starts, compiles the shipped rule base, evaluates, writes the advice, exits)
# against the start of CLIPS's command line (`clips -f2` on a batch file that does nothing
# but exit: CLIPS 6.30 spins at its prompt on an empty standard input, so "(exit)" is the
# empty input that ends). Rounds alternate the two so that both see the same machine load;
# the fastest run of each is what the machine can do, the median what it did.
#   usage: sh bench/start.sh BUILD_DIR [ROUNDS] [RUNS_PER_ROUND]   (make bench-start)
set -eu
B=$1
rounds=${2:-10}
runs=${3:-100}
export LC_ALL=C
command -v clips >/dev/null || { echo "start: clips is missing (apt-get install clips)" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '(exit)\n' >"$T/exit.clp"
P=examples/profiles/01-kidney-disease.json
# both must work before they are timed
"$B/mgadvise" eval "$P" >/dev/null
clips -f2 "$T/exit.clp" </dev/null >/dev/null
: >"$T/m"
: >"$T/c"
i=0
while [ $i -lt "$rounds" ]; do
    "$B/bench/spawn" "$runs" "$B/mgadvise" eval "$P" >>"$T/m"
    "$B/bench/spawn" "$runs" clips -f2 "$T/exit.clp" >>"$T/c"
    i=$((i + 1))
done
# "FASTEST MEDIAN" in ms: the fastest of all runs, the median of the rounds' medians
summary() {
    min=$(cut -d' ' -f1 "$1" | sort -n | head -1)
    med=$(cut -d' ' -f2 "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    awk -v a="$min" -v b="$med" 'BEGIN { printf "%.3f %.3f\n", a / 1000, b / 1000 }'
}
m=$(summary "$T/m")
c=$(summary "$T/c")
n=$((rounds * runs))
echo "$m" | awk -v n=$n '{ printf "start: mgadvise eval PROFILE (built-in rules): fastest %s ms, median %s ms (%d runs)\n", $1, $2, n }'
echo "$c" | awk -v n=$n '{ printf "start: clips -f2 (exit):                      fastest %s ms, median %s ms (%d runs)\n", $1, $2, n }'
echo "$m $c" | awk '{ printf "start: mgadvise / clips: %.2fx fastest, %.2fx median (target: at most 1.0x)\n", $1 / $3, $2 / $4 }'
