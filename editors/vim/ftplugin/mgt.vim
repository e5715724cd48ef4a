" SPDX-License-Identifier: MIT
" mgadvise rule tests (*.mgt): as rule files.
runtime! ftplugin/mga.vim
