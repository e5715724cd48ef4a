" SPDX-License-Identifier: MIT
" Indent for mgadvise rule files: a block's lines two spaces in from its opening word,
" its end back at that word.
if exists("b:did_indent")
  finish
endif
let b:did_indent = 1

setlocal indentexpr=GetMgaIndent(v:lnum) indentkeys=0{,0},!^F,o,O,=end autoindent
let b:undo_indent = "setlocal indentexpr< indentkeys< autoindent<"

if exists("*GetMgaIndent")
  finish
endif

let s:opens = '^\s*\%(rule\|invariant\|test\|profile\|source\|dimension\|fhir\)\>'

function GetMgaIndent(lnum) abort
  let prev = prevnonblank(a:lnum - 1)
  while prev > 0 && getline(prev) =~# '^\s*#'
    let prev = prevnonblank(prev - 1)
  endwhile
  if prev == 0
    return 0
  endif
  if getline(a:lnum) =~# '^\s*end\>'
    " back to the line that opened the block
    let depth = 0
    let l = a:lnum - 1
    while l > 0
      let text = getline(l)
      if text =~# '^\s*end\>'
        let depth += 1
      elseif text =~# s:opens
        if depth == 0
          return indent(l)
        endif
        let depth -= 1
      endif
      let l -= 1
    endwhile
    return 0
  endif
  if getline(prev) =~# s:opens && getline(prev) !~# '\<end\s*\%(#.*\)\=$'
    return indent(prev) + shiftwidth()
  endif
  return indent(prev)
endfunction
