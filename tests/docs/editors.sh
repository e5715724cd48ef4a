#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the editor set-ups of docs/EDITORS.md, named by the word after the block's language:
#   shell vsix         run from a copy of the repository (ROOT): must build
#                      editors/vscode/mgadvise.vsix
#   shell vim-install  run from ROOT with HOME in a scratch folder; then vim started as a
#                      user would must give a .mga file its file type and syntax
#   lua neovim         run by lua5.4 against a stand-in of Neovim's `vim` module: it must
#                      add the file types and, on a FileType event, start the server
#                      `mgadvise lsp`
#   lua lspconfig      the same against stand-ins of nvim-lspconfig's modules
#   vim vim-lsp        sourced by vim with a stand-in of vim-lsp's lsp#register_server: on
#                      `User lsp_setup` it must register `mgadvise lsp` for mga and mgt
# (make editors-test; the other blocks of the file run in tests/docs/run.sh).
# usage: editors.sh DOC ROOT MGADVISE   (ROOT: a copy of the repository with editors/; from
# the top of the tree)
set -u
DOC=$1
ROOT=$2
BIN=$3
here=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
result() { # ok what
    if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $DOC: $2"; fi
}

# Each block "```LANG NAME" becomes $tmp/NAME.
awk -v dir="$tmp" '
/^```/ && !inblock { inblock = 1; n = split(substr($0, 4), w, " "); target = (n >= 2) ? dir "/" w[2] : ""; next }
/^```/ && inblock { inblock = 0; if (target != "") close(target); target = ""; next }
inblock && target != "" { print > target }' "$DOC"
for name in vsix vim-install neovim lspconfig vim-lsp; do
    [ -s "$tmp/$name" ] || result 1 "no \`\`\` block named $name"
done

# shell vsix
if [ -s "$tmp/vsix" ]; then
    rm -f "$ROOT/editors/vscode/mgadvise.vsix"
    (cd "$ROOT" && sh -e "$tmp/vsix") >"$tmp/vsix.log" 2>&1
    st=$?
    [ $st -eq 0 ] && [ -s "$ROOT/editors/vscode/mgadvise.vsix" ]
    result $? "the vsix block (exit $st) did not build editors/vscode/mgadvise.vsix"
    [ $st -eq 0 ] || tail -20 "$tmp/vsix.log"
fi

# shell vim-install, then vim as the user starts it (vimrc: filetype and syntax on)
if [ -s "$tmp/vim-install" ]; then
    mkdir -p "$tmp/home"
    (cd "$ROOT" && HOME=$tmp/home sh -e "$tmp/vim-install") >"$tmp/vim-install.log" 2>&1
    result $? "the vim-install block fails: $(cat "$tmp/vim-install.log")"
    printf 'filetype plugin indent on\nsyntax on\n' >"$tmp/home/.vimrc"
    cp rules/dose.mga "$tmp/dose.mga"
    HOME=$tmp/home vim -Es -N -i NONE -u "$tmp/home/.vimrc" \
        -c "call writefile([&filetype, get(b:, 'current_syntax', ''), &commentstring], '$tmp/vim.out')" \
        -c 'qall!' "$tmp/dose.mga" </dev/null >/dev/null 2>&1
    [ "$(cat "$tmp/vim.out" 2>/dev/null)" = "mga
mga
# %s" ]
    result $? "after the vim-install block vim gives a .mga file: $(tr '\n' ' ' <"$tmp/vim.out" 2>/dev/null)"
fi

# lua neovim: a stand-in `vim` that records what the block asks of Neovim
cat >"$tmp/stub.lua" <<'LUA'
local started, autocmds, filetypes = {}, {}, nil
vim = {
  filetype = { add = function(t) filetypes = t end },
  api = { nvim_create_autocmd = function(ev, opts) autocmds[#autocmds + 1] = { ev = ev, opts = opts } end },
  lsp = { start = function(cfg) started[#started + 1] = cfg end },
  fs = {
    root = function(buf, markers) return "/work/project" end,
    dirname = function(p) return (p:gsub("/[^/]*$", "")) end,
  },
}
local lspconfig_server = nil
package.preload["lspconfig.configs"] = function() return {} end
package.preload["lspconfig.util"] = function()
  return { root_pattern = function(...) local m = { ... }; return function() return "/work/project" end end }
end
package.preload["lspconfig"] = function()
  local configs = require("lspconfig.configs")
  return setmetatable({}, { __index = function(_, name)
    return { setup = function(opts) lspconfig_server = { name = name, config = configs[name] } end }
  end })
end
local block = assert(loadfile(arg[1]))
block()
local function fail(msg) io.stderr:write(msg .. "\n"); os.exit(1) end
local function same(a, b) return table.concat(a, " ") == table.concat(b, " ") end
if arg[2] == "neovim" then
  if not filetypes or filetypes.extension.mga ~= "mga" or filetypes.extension.mgt ~= "mgt" then
    fail("the file types mga and mgt are not added")
  end
  if #autocmds ~= 1 or autocmds[1].ev ~= "FileType" or not same(autocmds[1].opts.pattern, { "mga", "mgt" }) then
    fail("no FileType autocommand for mga and mgt")
  end
  autocmds[1].opts.callback({ buf = 1, file = "/work/project/rules/dose.mga" })
  local cfg = started[1]
  if not cfg or cfg.name ~= "mgadvise" or not same(cfg.cmd, { "mgadvise", "lsp" }) or cfg.root_dir ~= "/work/project" then
    fail("the FileType callback does not start mgadvise lsp in the project")
  end
else
  local s = lspconfig_server
  if not s or s.name ~= "mgadvise" or not s.config then fail("no mgadvise server set up") end
  local d = s.config.default_config
  if not same(d.cmd, { "mgadvise", "lsp" }) or not same(d.filetypes, { "mga", "mgt" }) or d.root_dir() ~= "/work/project" then
    fail("the server is not mgadvise lsp for mga and mgt")
  end
end
LUA
for name in neovim lspconfig; do
    [ -s "$tmp/$name" ] || continue
    out=$(lua5.4 "$tmp/stub.lua" "$tmp/$name" "$name" 2>&1)
    result $? "the $name block: $out"
done

# vim vim-lsp: a stand-in autoload lsp#register_server that keeps what it is given
if [ -s "$tmp/vim-lsp" ]; then
    mkdir -p "$tmp/vimlsp/autoload" "$tmp/bin"
    cat >"$tmp/vimlsp/autoload/lsp.vim" <<'VIM'
let g:registered = []
function lsp#register_server(info) abort
  call add(g:registered, a:info)
endfunction
VIM
    case $BIN in /*) ;; *) BIN=$here/$BIN ;; esac
    ln -s "$BIN" "$tmp/bin/mgadvise"
    PATH=$tmp/bin:$PATH vim -Es -N -u NONE -i NONE --cmd "set rtp^=$tmp/vimlsp" -S "$tmp/vim-lsp" \
        -c 'doautocmd User lsp_setup' \
        -c "let s = g:registered[0] | call writefile([s.name, join(s.cmd({}), ' '), join(s.allowlist, ' '), len(g:registered)], '$tmp/vimlsp.out')" \
        -c 'qall!' </dev/null >/dev/null 2>&1
    [ "$(cat "$tmp/vimlsp.out" 2>/dev/null)" = "mgadvise
mgadvise lsp
mga mgt
1" ]
    result $? "the vim-lsp block registers: $(tr '\n' '|' <"$tmp/vimlsp.out" 2>/dev/null)"
fi

echo "docs-editors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
