" SPDX-License-Identifier: MIT
" Run by vim.sh: vim -Es -N -u NONE -i NONE -S vimcheck.vim. Reads the keyword list from
" $MGA_KEYWORDS and the files from $MGA_FILES (one a line), writes one line per failure
" and a summary to $MGA_OUT.
set nomore
let s:out = []
let s:passed = 0
function s:Check(ok, what) abort
  if a:ok
    let s:passed += 1
  else
    call add(s:out, 'FAIL: ' . a:what)
  endif
endfunction

function s:Group(lnum, col) abort
  return synIDattr(synID(a:lnum, a:col, 1), 'name')
endfunction

" The group of the first occurrence of word on the first line matching pat.
function s:GroupOf(pat, word) abort
  let l = search(a:pat, 'nw')
  if l == 0
    return 'no line ' . a:pat
  endif
  let c = match(getline(l), '\V' . a:word)
  return c < 0 ? 'no ' . a:word : s:Group(l, c + 1)
endfunction

let s:kwgroups = ['mgaControl', 'mgaClause', 'mgaAction', 'mgaLogical', 'mgaCondition',
      \ 'mgaType', 'mgaBoolean']

" Each keyword of the scanner alone on a line, in a rule file and in a test file.
for s:ft in ['mga', 'mgt']
  enew!
  execute 'setfiletype ' . s:ft
  call s:Check(get(b:, 'current_syntax', '') ==# s:ft, s:ft . ': the syntax does not load')
  call setline(1, readfile($MGA_KEYWORDS))
  for s:l in range(1, line('$'))
    let s:g = s:Group(s:l, 1)
    call s:Check(index(s:kwgroups, s:g) >= 0,
          \ s:ft . ": keyword '" . getline(s:l) . "' is highlighted as '" . s:g . "'")
  endfor
endfor

" Every shipped file: the file type, the syntax and the plugin load without an error; the
" shipped rules and rule tests have no character the syntax marks as an error.
let s:files = readfile($MGA_FILES)
for s:f in s:files
  let v:errmsg = ''
  execute 'edit! ' . fnameescape(s:f)
  let s:want = s:f =~# '\.mgt$' ? 'mgt' : 'mga'
  call s:Check(&filetype ==# s:want && get(b:, 'current_syntax', '') ==# s:want,
        \ s:f . ': filetype ' . &filetype . ', syntax ' . get(b:, 'current_syntax', 'none'))
  call s:Check(v:errmsg ==# '', s:f . ': ' . v:errmsg)
  if s:f =~# '^\%(rules\|tests/rules\)/'
    let s:bad = ''
    for s:l in range(1, line('$'))
      let s:text = getline(s:l)
      for s:c in range(1, strlen(s:text))
        if s:text[s:c - 1] !~# '\s' && s:Group(s:l, s:c) =~# 'Error$'
          let s:bad = s:f . ':' . s:l . ':' . s:c . ': highlighted as an error'
          break
        endif
      endfor
      if s:bad !=# ''
        break
      endif
    endfor
    call s:Check(s:bad ==# '', s:bad)
  endif
  bwipeout!
endfor
call s:Check(len(s:files) >= 100, 'only ' . len(s:files) . ' files')

" Known lines.
edit! rules/dose.mga
call s:Check(s:GroupOf('^rule d1_nhs_daily_amount_men$', 'rule') ==# 'mgaControl', 'rule: ' . s:GroupOf('^rule d1_nhs_daily_amount_men$', 'rule'))
call s:Check(s:GroupOf('^rule d1_nhs_daily_amount_men$', 'd1_nhs') ==# 'mgaRuleName', 'rule name: ' . s:GroupOf('^rule d1_nhs_daily_amount_men$', 'd1_nhs'))
call s:Check(s:GroupOf('^# Dose (GUIDANCE', '#') ==# 'mgaComment', 'comment')
call s:Check(s:GroupOf('^  when age > 64 years$', '64') ==# 'mgaNumber', 'number')
call s:Check(s:GroupOf('^  when age > 64 years$', 'years') ==# 'mgaUnit', 'unit: ' . s:GroupOf('^  when age > 64 years$', 'years'))
call s:Check(s:GroupOf('^  say "', 'Magnesium') ==# 'mgaString', 'string')
call s:Check(s:GroupOf('^  severity info$', 'info') ==# 'mgaSeverity', 'severity value')
call s:Check(s:GroupOf('^  when age between 19 and 64 years', 'and') ==# 'mgaLogical' ||
      \ search('^  when age between 19 and 64 years', 'nw') == 0, 'and after a number is no unit')
edit! rules/profile.mga
call s:Check(s:GroupOf('^  age: number years range 0\.\.130$', 'age') ==# 'mgaField', 'field')
call s:Check(s:GroupOf('^  age: number years range 0\.\.130$', 'number') ==# 'mgaType', 'type')
call s:Check(s:GroupOf('^  age: number years range 0\.\.130$', 'years') ==# 'mgaUnit', 'type unit')
call s:Check(s:GroupOf('^  age: number years range 0\.\.130$', '130') ==# 'mgaNumber', 'range end')
edit! rules/invariants.mga
call s:Check(s:GroupOf('^precedence avoid over prefer', 'over') ==# 'mgaOver', 'over: ' . s:GroupOf('^precedence avoid over prefer', 'over'))
call s:Check(s:GroupOf('^precedence avoid over prefer', 'precedence') ==# 'mgaControl', 'precedence')
edit! tests/rules/dose.mgt
call s:Check(s:GroupOf('^  expect no d1_nhs_daily_amount_women$', 'd1_nhs') ==# 'mgaRuleRef', 'expect no RULE')
call s:Check(s:GroupOf('^  given age: 40 years$', 'given') ==# 'mgaControl', 'given')

" The file-type plugin and the indent.
call s:Check(&commentstring ==# '# %s' && &comments ==# ':#', 'comments: ' . &comments . ' / ' . &commentstring)
call s:Check(&shiftwidth == 2 && &expandtab, 'two-space indent')
enew!
setfiletype mga
call setline(1, ['rule r1', 'when age > 64 years', '# a comment', 'then inform', 'end', 'fact f when age > 1 years', 'profile', 'x: boolean', 'end'])
normal! gg=G
call s:Check(map(range(1, 9), 'indent(v:val)') == [0, 2, 2, 2, 0, 0, 0, 2, 0],
      \ 'indent: ' . string(map(range(1, 9), 'indent(v:val)')))

call add(s:out, 'editors-vim: ' . s:passed . ' passed, ' . (len(s:out)) . ' failed')
call writefile(s:out, $MGA_OUT)
qall!
