" SPDX-License-Identifier: MIT
" mgadvise rule files and rule tests.
autocmd BufRead,BufNewFile *.mga setfiletype mga
autocmd BufRead,BufNewFile *.mgt setfiletype mgt
