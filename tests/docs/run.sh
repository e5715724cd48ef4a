#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the examples in the documentation (make docs-check). A fenced block's first word
# after the backticks says what it is:
#   sh      a shell example, run with sh in a scratch folder where rules/, examples/, python/,
#           tests/, sources/ and docs/ are the repository's and `mgadvise` is the binary
#           under test; it must exit 0, unless an `output` block follows
#   mga     a rule file: `mgadvise check --sources sources` must accept it with no error
#           and no warning (notes allowed)
#   mgt     rule tests: `mgadvise test` must pass them against the shipped rules
#   c       a C program: compiled with -Werror against include/mgadvise.h and
#           libmgadvise.a, then run in the scratch folder; it must exit 0, unless an
#           `output` block follows
#   output  what the block before it writes (standard output and standard error); when
#           that block exits non-zero, the last line reads `[exit N]`
# Any other word (shell, text, none, ...) is for reading only. The editor set-ups of docs/EDITORS.md,
# named by a second word (```shell vsix, ```lua neovim, ```vim vim-lsp, ...), run in
# tests/docs/editors.sh (make editors-test). An output block belongs to
# the block right before it (blank lines between them allowed).
# DOCS_BLESS=1 rewrites every output block with what its block now prints (review the diff).
# usage: run.sh MGADVISE LIBDIR FILE.md...   (DOCS_CC: the C compiler command with its
# flags; DOCS_LIBS: what to link after libmgadvise.a)
set -u
BIN=$1
LIBDIR=$2
shift 2
export LC_ALL=C
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/blocks" "$tmp/work"
case $BIN in /*) ;; *) BIN=$root/$BIN ;; esac
case $LIBDIR in /*) ;; *) LIBDIR=$root/$LIBDIR ;; esac
ln -s "$BIN" "$tmp/bin/mgadvise"
for d in rules examples tests sources docs python; do ln -s "$root/$d" "$tmp/work/$d"; done
pass=0
fail=0

# Each runnable block becomes blocks/N.src (+ N.out for its output block); the list has
# "N LANG FILE:LINE" lines.
awk -v dir="$tmp/blocks" '
function flush_list() { if (cur != "") print cur >> (dir "/list") ; cur = "" }
FNR == 1 { inblock = 0; last = ""; }
{
    line = $0
    if (!inblock && match(line, /^ *```/)) {
        indent = RLENGTH - 3
        info = substr(line, RLENGTH + 1); sub(/^ +/, "", info); sub(/ .*/, "", info)
        inblock = 1; start = FNR
        if (info == "output" && last != "" && blank_since) {
            target = dir "/" last ".out"; printf "" > target; kind = "out"
            print last, FILENAME, FNR, indent >> (dir "/outs")
        } else if (info == "sh" || info == "mga" || info == "mgt" || info == "c") {
            n++; last = n; target = dir "/" n ".src"; printf "" > target; kind = "src"
            print n " " info " " FILENAME ":" FNR >> (dir "/list")
        } else { kind = "skip"; last = "" }
        next
    }
    if (inblock && match(line, /^ *```[ ]*$/)) {
        inblock = 0; if (kind != "skip") close(target)
        if (kind == "out") print FNR >> (dir "/outs")
        blank_since = 1
        if (kind == "out") last = ""
        next
    }
    if (inblock) {
        if (kind != "skip") {
            for (i = 0; i < indent && substr(line, 1, 1) == " "; i++) line = substr(line, 2)
            print line >> target
        }
        next
    }
    if (line !~ /^[ \t]*$/) { last = ""; blank_since = 0 }
}' "$@"

[ $? -eq 0 ] && [ -f "$tmp/blocks/list" ] || { echo "docs: no runnable examples found"; exit 1; }

result() { # ok where what
    if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2: $3"; fi
}

# The output a block gave, with "[exit N]" appended when its status was not 0.
expect_output() { # n status where
    out=$tmp/blocks/$1.out
    if [ "$2" -ne 0 ]; then echo "[exit $2]" >>"$tmp/got"; fi
    if [ "${DOCS_BLESS:-0}" = 1 ] && [ -f "$out" ]; then cp "$tmp/got" "$out.new"; fi
    if [ -f "$out" ]; then
        if [ "${DOCS_BLESS:-0}" = 1 ] || cmp -s "$out" "$tmp/got"; then result 0 "$3" ""; else
            result 1 "$3" "output differs"; diff -u "$out" "$tmp/got" | head -30; fi
    else
        result "$2" "$3" "exit status $2"
        [ "$2" -eq 0 ] || head -20 "$tmp/got"
    fi
}

while read -r n lang where; do
    src=$tmp/blocks/$n.src
    case $lang in
    sh)
        (cd "$tmp/work" && PATH="$tmp/bin:$PATH" sh "$src") >"$tmp/got" 2>&1
        expect_output "$n" $? "$where"
        ;;
    mga)
        cp "$src" "$tmp/work/example.mga"
        (cd "$tmp/work" && "$BIN" check --sources sources example.mga) >"$tmp/got" 2>&1
        st=$?
        result $st "$where" "the rule example does not check clean"
        [ $st -eq 0 ] || head -20 "$tmp/got"
        ;;
    mgt)
        cp "$src" "$tmp/work/example.mgt"
        (cd "$tmp/work" && "$BIN" test example.mgt) >"$tmp/got" 2>&1
        st=$?
        result $st "$where" "the rule tests do not pass"
        [ $st -eq 0 ] || head -20 "$tmp/got"
        ;;
    c)
        cp "$src" "$tmp/work/example_$n.c"
        # shellcheck disable=SC2086
        if ${DOCS_CC:-cc -std=c11 -Wall -Werror} -I"$root/include" -o "$tmp/work/example_$n" \
            "$tmp/work/example_$n.c" "$LIBDIR/libmgadvise.a" ${DOCS_LIBS:--lyajl} >"$tmp/got" 2>&1
        then
            (cd "$tmp/work" && "./example_$n") >"$tmp/got" 2>&1
            expect_output "$n" $? "$where"
        else
            result 1 "$where" "the C example does not compile"; head -20 "$tmp/got"
        fi
        ;;
    esac
done <"$tmp/blocks/list"

# The rule language's manual page (man/mgadvise-rules.5): its declarations and its rule
# together compile with no error (a fragment: an uncited reference and an unused fact are
# warned about), and its rule test passes against the shipped rules.
man_ex() {
    awk -v want="$1" '/^\.EX/ { n++; f = 1; next } /^\.EE/ { f = 0 } f && n == want' \
        "$root/man/mgadvise-rules.5" | sed 's/\\-/-/g; s/\\(dq/"/g'
}
{ man_ex 1; man_ex 2; } >"$tmp/work/man-example.mga"
(cd "$tmp/work" && "$BIN" check --sources sources man-example.mga) >"$tmp/got" 2>&1
if grep -q 'error\[' "$tmp/got" || ! grep -q '^mgadvise: ' "$tmp/got"; then
    result 1 "man/mgadvise-rules.5" "the declarations and rule examples do not compile"
    head -20 "$tmp/got"
else
    result 0 "man/mgadvise-rules.5" ""
fi
man_ex 4 >"$tmp/work/man-example.mgt"
(cd "$tmp/work" && "$BIN" test man-example.mgt) >"$tmp/got" 2>&1
st=$?
result $st "man/mgadvise-rules.5" "the rule test example does not pass"
[ $st -eq 0 ] || head -20 "$tmp/got"

# Blessing: each output block (bottom up within a file, so line numbers hold) replaced by
# what its block printed, indented as the block was.
if [ "${DOCS_BLESS:-0}" = 1 ] && [ -f "$tmp/blocks/outs" ]; then
    paste -d' ' - - <"$tmp/blocks/outs" | sort -k2,2 -k3,3nr | while read -r n file first indent last; do
        [ -f "$tmp/blocks/$n.out.new" ] || continue
        pad=$(printf '%*s' "$indent" '')
        { head -n "$first" "$file"; sed "s/^/$pad/; s/^ *\$//" "$tmp/blocks/$n.out.new"
          tail -n +"$last" "$file"; } >"$tmp/bless" && cat "$tmp/bless" >"$file"
    done
    echo "docs: output blocks rewritten (review the diff)"
fi
echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
