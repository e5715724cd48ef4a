" SPDX-License-Identifier: MIT
" Vim syntax file for mgadvise rule files (*.mga). The words are those of the scanner's
" keyword tables (engine/lexsup.c); make editors-test checks that they agree.
if exists("b:current_syntax")
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match
syn iskeyword @,48-57,_

" Anything the scanner does not take (it reports such a character as an error).
syn match mgaError /[^[:space:][:alnum:]_#"().,:=<>!+\-\[\]]/

syn keyword mgaControl ruleset disclaimer forms profile fhir test end when
syn keyword mgaControl then given
syn keyword mgaControl rule invariant nextgroup=mgaRuleName skipwhite
syn keyword mgaControl fact nextgroup=mgaFactName skipwhite
syn keyword mgaControl source nextgroup=mgaSourceName skipwhite
syn keyword mgaControl dimension nextgroup=mgaDimensionName skipwhite
syn keyword mgaControl expect nextgroup=mgaNo,mgaRuleRef skipwhite
syn keyword mgaClause dose say quote unmarked presumes file author publisher url ref
syn keyword mgaClause range from
syn keyword mgaClause severity nextgroup=mgaSeverity skipwhite
syn keyword mgaClause evidence nextgroup=mgaEvidence skipwhite
syn keyword mgaClause cite nextgroup=mgaSourceName skipwhite
syn keyword mgaClause base unit nextgroup=mgaUnit skipwhite
syn keyword mgaAction avoid prefer inform warn disagree withhold supplements start
syn keyword mgaAction target max no
syn keyword mgaAction refer nextgroup=mgaUrgency skipwhite
syn keyword mgaNo no contained nextgroup=mgaRuleRef skipwhite
syn keyword mgaLogical and or not
syn keyword mgaCondition has is any all none of one set known missing between
syn keyword mgaType text number boolean nextgroup=mgaUnit skipwhite
syn keyword mgaBoolean true false

" Names after the word that declares or uses them (never a keyword).
let s:name = '\%(\<\%(all\|and\|any\|author\|avoid\|base\|between\|boolean\|cite\|dimension\|disagree\|disclaimer\|dose\|end\|evidence\|expect\|fact\|false\|fhir\|file\|forms\|from\|given\|has\|inform\|invariant\|is\|known\|max\|missing\|no\|none\|not\|number\|of\|one\|or\|precedence\|prefer\|presumes\|profile\|publisher\|quote\|range\|ref\|refer\|rule\|ruleset\|say\|set\|severity\|source\|start\|supplements\|target\|test\|text\|then\|true\|unit\|unmarked\|url\|warn\|when\|withhold\)\>\)\@!\h\w*'
let s:nocolon = '\%(\s*:\)\@!'
exe 'syn match mgaRuleName /' . s:name . '/ contained'
exe 'syn match mgaFactName /' . s:name . '/ contained'
exe 'syn match mgaSourceName /' . s:name . '/ contained'
exe 'syn match mgaDimensionName /' . s:name . '/ contained'
exe 'syn match mgaRuleRef /' . s:name . s:nocolon . '/ contained'
exe 'syn match mgaSeverity /' . s:name . '/ contained'
exe 'syn match mgaEvidence /' . s:name . '/ contained'
exe 'syn match mgaUrgency /' . s:name . s:nocolon . '/ contained'
exe 'syn match mgaUnit /' . s:name . '\%(\/\h\w*\)\=' . s:nocolon . '/ contained'

" A field before ':' (a profile field, a test's given value, a FHIR binding).
syn match mgaField /\<\h\w*\ze\s*:/
" 'over' is a word of precedence declarations only.
syn match mgaOver /\<over\>/ contained
syn region mgaPrecedence matchgroup=mgaControl start=/\<precedence\>/ end=/$/ keepend
      \ contains=mgaOver,mgaAction,mgaComment,mgaOperator

" A number, and the unit after it.
syn match mgaNumber /\%(\w\)\@<!\d\+\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=/ nextgroup=mgaUnit skipwhite
syn match mgaOperator /\.\.\|<=\|>=\|==\|!=\|[<>=+\-]/

syn match mgaEscape /\\\%(["\\nt]\|u{\x\{1,6}}\)/ contained
syn match mgaBadEscape /\\\%(["\\nt]\|u{\x\{1,6}}\)\@!./ contained
syn region mgaString start=/"/ skip=/\\\\\|\\"/ end=/"/ end=/$/ contains=mgaEscape,mgaBadEscape,@Spell
syn match mgaComment /#.*$/ contains=@Spell

hi def link mgaError Error
hi def link mgaControl Statement
hi def link mgaClause Keyword
hi def link mgaAction Keyword
hi def link mgaNo Keyword
hi def link mgaOver Keyword
hi def link mgaLogical Operator
hi def link mgaCondition Operator
hi def link mgaOperator Operator
hi def link mgaType Type
hi def link mgaBoolean Boolean
hi def link mgaRuleName Function
hi def link mgaRuleRef Function
hi def link mgaFactName Function
hi def link mgaSourceName Identifier
hi def link mgaDimensionName Type
hi def link mgaSeverity Constant
hi def link mgaEvidence Constant
hi def link mgaUrgency Constant
hi def link mgaField Identifier
hi def link mgaNumber Number
hi def link mgaUnit Special
hi def link mgaString String
hi def link mgaEscape SpecialChar
hi def link mgaBadEscape Error
hi def link mgaComment Comment

let b:current_syntax = "mga"
let &cpo = s:cpo_save
unlet s:cpo_save
