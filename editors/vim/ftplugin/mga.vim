" SPDX-License-Identifier: MIT
" mgadvise rule files (*.mga): '#' comments, two-space indent as `mgadvise fmt` writes it.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal comments=:# commentstring=#\ %s
setlocal formatoptions-=t formatoptions+=croql
setlocal expandtab shiftwidth=2 softtabstop=2 tabstop=8
setlocal iskeyword=@,48-57,_
" The blocks, for the matchit plugin's %.
let b:match_words = '\<\%(rule\|invariant\|test\|profile\|source\|dimension\|fhir\)\>:\<end\>'

let b:undo_ftplugin = "setlocal comments< commentstring< formatoptions< expandtab< shiftwidth<"
      \ . " softtabstop< tabstop< iskeyword< | unlet! b:match_words"
