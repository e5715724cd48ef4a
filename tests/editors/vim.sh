#!/bin/sh
# SPDX-License-Identifier: MIT
# The Vim files of editors/vim on every shipped .mga and .mgt file (rules/, tests/,
# examples/): each loads with its file type, syntax and plugin and no error; the keywords of
# engine/lexsup.c are highlighted as keywords; known lines get their groups; the indent.
# usage: vim.sh   (from the top of the tree)
set -u
command -v vim >/dev/null || { echo "editors-vim: vim is missing (make deps)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one keyword a line (the tables hold several entries a line)
grep -o '{"[a-z]*", *K_[A-Z]*}' engine/lexsup.c | sed 's/{"\([a-z]*\)".*/\1/' >"$tmp/keywords"
[ "$(wc -l <"$tmp/keywords")" -ge 50 ] || { echo "editors-vim: no keyword table in engine/lexsup.c"; exit 1; }
find rules tests examples -name '*.mga' -o -name '*.mgt' | LC_ALL=C sort >"$tmp/files"
MGA_KEYWORDS=$tmp/keywords MGA_FILES=$tmp/files MGA_OUT=$tmp/out \
    vim -Es -N -u NONE -i NONE --cmd 'set rtp^=editors/vim' --cmd 'filetype plugin indent on' \
        --cmd 'syntax on' -S tests/editors/vimcheck.vim </dev/null >"$tmp/log" 2>&1
rc=$?
if [ ! -s "$tmp/out" ]; then
    cat "$tmp/log"; echo "FAIL: vim ended (status $rc) before writing its results"
    echo "editors-vim: 0 passed, 1 failed"; exit 1
fi
cat "$tmp/out"
tail -1 "$tmp/out" | grep -q ' 0 failed$'
