" SPDX-License-Identifier: MIT
" mgadvise rule tests: indented as rule files.
runtime! indent/mga.vim
