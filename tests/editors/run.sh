#!/bin/sh
# SPDX-License-Identifier: MIT
# The editor packages (make editors-test): installs the npm packages of editors/vscode and of
# tests/editors from their lock files with npm ci into BUILD/editors, then checks the
# TextMate grammars on every shipped rule file (tokenize.js), the extension outside VS Code
# (extension.js), the .vsix that `npm run package` builds, docs/editors-lsp.svg against live
# answers of `mgadvise lsp` (picture.js), the Vim syntax files on every shipped rule file
# (vim.sh) and the editor set-ups of docs/EDITORS.md (tests/docs/editors.sh).
# usage: run.sh MGADVISE BUILD   (from the top of the tree; needs node, npm, vim, lua5.4)
set -u
BIN=$1
OUT=$2/editors
root=$(pwd)
case $BIN in /*) ;; *) BIN=$root/$BIN ;; esac
for tool in node npm vim lua5.4 unzip; do
    command -v $tool >/dev/null || { echo "editors-test: $tool is missing (make deps)"; exit 1; }
done
mkdir -p "$OUT/vscode" "$OUT/test"

# npm ci only when the lock file changed since the last install (npm ci empties node_modules).
npm_ci() { # folder
    if ! cmp -s "$1/package-lock.json" "$1/node_modules/.mgadvise-lock" 2>/dev/null; then
        echo "editors: npm ci in $1"
        (cd "$1" && npm ci --no-audit --no-fund --loglevel=error) >"$1/npm-ci.log" 2>&1 ||
            { cat "$1/npm-ci.log"; echo "editors-test: npm ci failed in $1"; exit 1; }
        cp "$1/package-lock.json" "$1/node_modules/.mgadvise-lock"
    fi
}

# The extension's files as in the tree (not its node_modules nor a .vsix built there).
find "$OUT/vscode" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
(cd editors/vscode && tar --exclude=./node_modules --exclude='./*.vsix' -cf - .) | (cd "$OUT/vscode" && tar -xf -)
cp tests/editors/package.json tests/editors/package-lock.json tests/editors/.npmrc "$OUT/test/"
npm_ci "$OUT/vscode"
npm_ci "$OUT/test"

fail=0
NODE_PATH=$OUT/test/node_modules node tests/editors/tokenize.js "$root" || fail=1
node tests/editors/extension.js "$OUT/vscode" || fail=1

# The .vsix: built by `npm run package`, holding the manifest, client, grammars and the
# client library, byte for byte as in the tree.
rm -f "$OUT/vscode/mgadvise.vsix"
if (cd "$OUT/vscode" && npm run package) >"$OUT/vsce.log" 2>&1 && [ -f "$OUT/vscode/mgadvise.vsix" ]; then
    v=$OUT/vsix
    rm -rf "$v" && mkdir -p "$v" && unzip -q "$OUT/vscode/mgadvise.vsix" -d "$v"
    bad=
    for f in package.json extension.js language-configuration.json syntaxes/mga.tmLanguage.json \
             syntaxes/mgt.tmLanguage.json; do
        cmp -s "editors/vscode/$f" "$v/extension/$f" || bad="$bad $f"
    done
    [ -f "$v/extension/node_modules/vscode-languageclient/package.json" ] || bad="$bad node_modules/vscode-languageclient"
    [ -f "$v/extension.vsixmanifest" ] || bad="$bad extension.vsixmanifest"
    [ ! -d "$v/extension/node_modules/@vscode/vsce" ] || bad="$bad (holds the devDependency @vscode/vsce)"
    if [ -z "$bad" ]; then
        echo "editors: npm run package built mgadvise.vsix ($(wc -c <"$OUT/vscode/mgadvise.vsix") bytes) with the extension's files"
        echo "editors-vsix: 1 passed, 0 failed"
    else
        echo "FAIL: mgadvise.vsix: missing or different:$bad"; echo "editors-vsix: 0 passed, 1 failed"; fail=1
    fi
else
    tail -20 "$OUT/vsce.log"; echo "FAIL: npm run package"; echo "editors-vsix: 0 passed, 1 failed"; fail=1
fi

NODE_PATH=$OUT/test/node_modules node tests/editors/picture.js "$BIN" "$root" --check docs/editors-lsp.svg || fail=1
sh tests/editors/vim.sh || fail=1
sh tests/docs/editors.sh docs/EDITORS.md || fail=1
exit $fail
