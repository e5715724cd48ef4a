# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# The golden runner's common part, sourced by every golden script from the repository's
# root: the counters, a scratch folder, compare-or-bless, and the summary line.
#   compare NAME EXPECTED ACTUAL   equal files pass; BLESS=1 copies ACTUAL over EXPECTED
#   check NAME STATUS              passes when STATUS is 0
#   ok / bad NAME                  count a pass / a failure (and name it)
#   norm [FILE]                    batch summaries with their timing made constant
#   golden_done LABEL              prints "LABEL: N passed, M failed"; fails if any failed
export LC_ALL=C
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
    pass=$((pass + 1))
}

bad() {
    fail=$((fail + 1))
    echo "FAIL: $*"
}

check() { # name condition-status
    if [ "$2" -eq 0 ]; then ok; else bad "$1"; fi
}

compare() { # name expected actual
    if [ "${BLESS:-0}" = 1 ]; then
        cp "$3" "$2"
        ok
    elif [ -f "$2" ] && cmp -s "$2" "$3"; then
        ok
    else
        bad "$1"
        if [ -f "$2" ]; then diff -u "$2" "$3" | head -40; else echo "  (no expected file $2)"; fi
    fi
}

# The batch summary's timing varies: "S.SS s, X records/s" becomes "T s, R records/s".
norm() {
    sed -e 's/, [0-9][0-9]*\.[0-9][0-9] s, [0-9][0-9]* records\/s$/, T s, R records\/s/' "$@"
}

golden_done() { # label
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
