#!/bin/sh
# SPDX-License-Identifier: MIT
# Time to reject a profile made of unknown keys, which once cost seconds to minutes (each
# diagnostic located and rendered the whole line again). Profiles of 10,000 keys (about
# 250 KB) and of nearly 1 MiB (the profile size limit), each on one line: `mgadvise eval`
# must reject them (exit 1) with at most 20 listed diagnostics; with
# --allow-unknown-fields the same profile is evaluated and its warnings carried. Prints
# the wall time of each run (best of 5); the target is under 50 ms for the 1 MiB one.
# Measurement only: nothing here is asserted by `make test`.
#   usage: sh bench/unknown_fields.sh [BUILD_DIR]     (default: build)
set -u
B=${1:-build}
M=$B/mgadvise
export LC_ALL=C
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# n keys "unknown_key_NNNNNN": 1, in one object on one line (25 bytes a key)
gen() {
    awk -v n="$1" 'BEGIN { printf "{"; for (i = 0; i < n; i++) printf "%s\"unknown_key_%06d\": 1", (i ? ", " : ""), i; printf "}" }'
}
gen 10000 >"$T/10k.json"
gen 41940 >"$T/1m.json" # 1,048,500 bytes: just under MGA_PROFILE_MAX_BYTES

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# best of 5 wall-clock runs, in ms
best() { # expected-exit args...
    want=$1
    shift
    b=
    for _ in 1 2 3 4 5; do
        t0=$(now_ms)
        "$M" "$@" >"$T/out" 2>"$T/err"
        rc=$?
        t1=$(now_ms)
        if [ "$rc" -ne "$want" ]; then
            echo "unexpected exit $rc (want $want): $M $*" >&2
            exit 1
        fi
        d=$((t1 - t0))
        if [ -z "$b" ] || [ "$d" -lt "$b" ]; then b=$d; fi
    done
    echo "$b"
}

for f in 10k 1m; do
    size=$(wc -c <"$T/$f.json")
    ms=$(best 1 eval "$T/$f.json")
    listed=$(grep -c '^.*error\[E4013\]' "$T/err")
    printf 'eval, %-4s unknown keys (%7d bytes), rejected:           %4d ms (%d listed, then %s)\n' \
        "$f" "$size" "$ms" "$listed" "$(grep -o 'E4014\]: [0-9]* more' "$T/err")"
    ms=$(best 0 eval --allow-unknown-fields --format json "$T/$f.json")
    printf 'eval, %-4s unknown keys (%7d bytes), --allow-unknown-fields: %4d ms\n' "$f" "$size" "$ms"
done
