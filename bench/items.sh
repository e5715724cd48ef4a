#!/bin/sh
# SPDX-License-Identifier: MIT
# `make bench-items` (and the end of `make bench`): how many advice items the default text
# output shows a patient, over COUNT profiles from bench/gen (default 10000), against the
# target: median at most 6, maximum at most 10. Prints the figures; exits 0 whether the
# target is met or not (PASS/MISS says it), non-zero only when the run itself fails.
#   usage: sh bench/items.sh BUILD_DIR [COUNT]
# BENCH_SEED (default 1) seeds the generator.
set -eu
B=$1
COUNT=${2:-10000}
SEED=${BENCH_SEED:-1}
export LC_ALL=C
for t in gen items; do
    [ -x "$B/bench/$t" ] || { echo "bench-items: $B/bench/$t is missing (make bench-tools)"; exit 2; }
done
"$B/bench/gen" --seed "$SEED" --count "$COUNT" | "$B/bench/items" -r rules
