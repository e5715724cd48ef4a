#!/bin/sh
# SPDX-License-Identifier: MIT
# The editor packages (make editors-test), in BUILD/editors: builds the .vsix as
# docs/EDITORS.md says (npm ci from the lock file, npm run package) in a copy of
# editors/vscode and checks what it holds; runs the other editor set-ups of
# docs/EDITORS.md (tests/docs/editors.sh); installs the npm packages of tests/editors with
# npm ci and checks the TextMate grammars on every shipped rule file (tokenize.js), the
# extension outside VS Code (extension.js) and docs/editors-lsp.svg against live answers of
# `mgadvise lsp` (picture.js); checks the Vim files on every shipped rule file (vim.sh).
# usage: run.sh MGADVISE BUILD   (from the top of the tree; needs node, npm, vim, lua5.4, unzip)
set -u
BIN=$1
OUT=$2/editors
root=$(pwd)
case $BIN in /*) ;; *) BIN=$root/$BIN ;; esac
for tool in node npm vim lua5.4 unzip; do
    command -v $tool >/dev/null || { echo "editors-test: $tool is missing (make deps)"; exit 1; }
done
mkdir -p "$OUT/root/editors" "$OUT/test"

# The extension's files as in the tree, in OUT/root/editors/vscode (its node_modules and any
# .vsix built in the tree left out).
rm -rf "$OUT/root/editors/vscode" && mkdir -p "$OUT/root/editors/vscode"
(cd editors/vscode && tar --exclude=./node_modules --exclude='./*.vsix' -cf - .) |
    (cd "$OUT/root/editors/vscode" && tar -xf -)
rm -rf "$OUT/root/editors/vim" && cp -R editors/vim "$OUT/root/editors/vim"

fail=0
# The docs' set-ups; the vsix block runs npm ci and npm run package in the copy.
sh tests/docs/editors.sh docs/EDITORS.md "$OUT/root" "$BIN" || fail=1

# The .vsix holds the manifest, the client, the grammars and the client library, byte for
# byte as in the tree, and not the packaging tool.
ext=$OUT/root/editors/vscode
if [ -f "$ext/mgadvise.vsix" ]; then
    v=$OUT/vsix
    rm -rf "$v" && mkdir -p "$v" && unzip -q "$ext/mgadvise.vsix" -d "$v"
    bad=
    for f in package.json extension.js language-configuration.json syntaxes/mga.tmLanguage.json \
             syntaxes/mgt.tmLanguage.json; do
        cmp -s "editors/vscode/$f" "$v/extension/$f" || bad="$bad $f"
    done
    [ -f "$v/extension/node_modules/vscode-languageclient/package.json" ] || bad="$bad node_modules/vscode-languageclient"
    [ -f "$v/extension.vsixmanifest" ] || bad="$bad extension.vsixmanifest"
    [ ! -d "$v/extension/node_modules/@vscode/vsce" ] || bad="$bad (holds the devDependency @vscode/vsce)"
    if [ -z "$bad" ]; then
        echo "editors: mgadvise.vsix ($(wc -c <"$ext/mgadvise.vsix") bytes) holds the extension's files"
        echo "editors-vsix: 1 passed, 0 failed"
    else
        echo "FAIL: mgadvise.vsix: missing or different:$bad"; echo "editors-vsix: 0 passed, 1 failed"; fail=1
    fi
    node tests/editors/extension.js "$ext" || fail=1
else
    echo "FAIL: no mgadvise.vsix was built"; echo "editors-vsix: 0 passed, 1 failed"; fail=1
fi

# The test's npm packages; npm ci only when the lock file changed since the last install.
cp tests/editors/package.json tests/editors/package-lock.json tests/editors/.npmrc "$OUT/test/"
if ! cmp -s "$OUT/test/package-lock.json" "$OUT/test/node_modules/.mgadvise-lock" 2>/dev/null; then
    (cd "$OUT/test" && npm ci --no-audit --no-fund --loglevel=error) >"$OUT/test/npm-ci.log" 2>&1 ||
        { cat "$OUT/test/npm-ci.log"; echo "editors-test: npm ci failed in $OUT/test"; exit 1; }
    cp "$OUT/test/package-lock.json" "$OUT/test/node_modules/.mgadvise-lock"
fi
NODE_PATH=$OUT/test/node_modules node tests/editors/tokenize.js "$root" || fail=1
NODE_PATH=$OUT/test/node_modules node tests/editors/picture.js "$BIN" "$root" --check docs/editors-lsp.svg || fail=1
sh tests/editors/vim.sh || fail=1
exit $fail
