" SPDX-License-Identifier: MIT
" Vim syntax file for mgadvise rule tests (*.mgt): the rule language, whose words test,
" given, expect and no are reserved in both kinds of file.
if exists("b:current_syntax")
  finish
endif
runtime! syntax/mga.vim
let b:current_syntax = "mgt"
