#!/bin/sh
# SPDX-License-Identifier: MIT
# Byte-identical output of two builds over generated profiles: a change to the engine's
# structure must not change what it writes. Compares `batch` (--full records, and lean ones with --catalog)
# over COUNT profiles of bench/gen, and `eval` (json, text) and `explain` (text, json) one
# by one over the first EACH of them.
#   usage: sh bench/identical.sh BASE_MGADVISE NEW_MGADVISE GEN [COUNT] [EACH]
#   make identical BASE=<git revision> [IDENTICAL_COUNT=N] builds BASE beside this tree
set -u
A=$1
B=$2
GEN=$3
count=${4:-100000}
each=${5:-300}
export LC_ALL=C
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$GEN" --seed 7 --count "$count" >"$T/in.jsonl" || exit 2
fail=0
same() { # what file-a file-b
    if cmp -s "$2" "$3"; then
        echo "identical: $1: same ($(wc -c <"$2") bytes)"
    else
        fail=1
        echo "identical: $1: DIFFERS"
        cmp "$2" "$3" | head -1
    fi
}
same_sum() { # what cksum-a cksum-b
    if cmp -s "$2" "$3"; then
        echo "identical: $1: same ($(cut -d' ' -f2 "$2") bytes)"
    else
        fail=1
        echo "identical: $1: DIFFERS (checksums $(cat "$2") and $(cat "$3"))"
    fi
}
# the records are compared by checksum (full records of 100,000 profiles are about 1.6 GB)
"$A" batch -j 2 --full "$T/in.jsonl" 2>/dev/null | cksum >"$T/a"
"$B" batch -j 2 --full "$T/in.jsonl" 2>/dev/null | cksum >"$T/b"
same_sum "batch --full, $count profiles" "$T/a" "$T/b"
"$A" batch -j 2 --catalog "$T/cat.a" "$T/in.jsonl" 2>/dev/null | cksum >"$T/a"
"$B" batch -j 2 --catalog "$T/cat.b" "$T/in.jsonl" 2>/dev/null | cksum >"$T/b"
same_sum "batch (lean) --catalog, $count profiles" "$T/a" "$T/b"
same "batch --catalog, the catalog" "$T/cat.a" "$T/cat.b"
head -n "$each" "$T/in.jsonl" >"$T/few.jsonl"
: >"$T/a"
: >"$T/b"
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%s\n' "$line" >"$T/p.json"
    for bin in A B; do
        if [ $bin = A ]; then x=$A; else x=$B; fi
        {
            "$x" eval --format json "$T/p.json"
            "$x" eval "$T/p.json"
            "$x" explain "$T/p.json"
            "$x" explain --format json "$T/p.json"
        } >>"$T/$(echo $bin | tr AB ab)" 2>&1
    done
done <"$T/few.jsonl"
same "eval json and text, explain text and json, $i profiles" "$T/a" "$T/b"
exit $fail
