#!/bin/sh
# SPDX-License-Identifier: MIT
# Terminal safety (docs/HARDENING.md): every command, run over hostile inputs (a profile
# whose id is an OSC 52 clipboard write, ESC, CR, C1 and bidi characters in keys and
# values; rule and test files with ESC in strings and names; a CSV with an ESC in a header;
# a file name with ESC in it), must not print any raw control byte: 0x00-0x08, 0x0b-0x1f,
# 0x7f, a C1 control (C2 80-C2 9F) or a bidi control (U+061C, U+200E, U+200F, U+2028,
# U+2029, U+202A-U+202E, U+2066-U+2069), on stdout or stderr. JSON output may keep bidi
# characters (it is data for programs), never the controls. Also checks that the escapes
# are there (the data is shown, not dropped).
# The one output not checked is what `fmt` writes as the formatted rule file itself: it is
# the user's file, byte for byte in its strings and comments.
set -u
BIN=$1
. tests/golden/lib.sh

ESC=$(printf '\033')
BEL=$(printf '\007')
CR=$(printf '\r')
RLO=$(printf '\342\200\256')   # U+202E right-to-left override
LRI=$(printf '\342\201\246')   # U+2066 left-to-right isolate
RLM=$(printf '\342\200\217')   # U+200F right-to-left mark
ALM=$(printf '\330\234')       # U+061C Arabic letter mark
NEL=$(printf '\302\205')       # U+0085, a C1 control
CSI8=$(printf '\302\233')      # U+009B, the 8-bit CSI

# The offset and bytes of the first forbidden byte of file $1, or nothing. $2 = json: bidi
# characters are allowed.
forbidden() {
    od -An -v -tx1 "$1" | awk -v json="${2:-}" '
        function hv(h) { return index("0123456789abcdef", substr(h, 1, 1)) * 16 - 16 + \
                                index("0123456789abcdef", substr(h, 2, 1)) - 1 }
        { for (i = 1; i <= NF; i++) b[n++] = hv($i) }
        END {
            for (i = 0; i < n; i++) {
                c = b[i]; c1 = (i + 1 < n) ? b[i + 1] : -1; c2 = (i + 2 < n) ? b[i + 2] : -1
                bad = ""
                if ((c < 32 && c != 9 && c != 10) || c == 127) bad = "control"
                else if (c == 194 && c1 >= 128 && c1 < 160) bad = "C1 control"
                else if (json != "json" && c == 216 && c1 == 156) bad = "bidi U+061C"
                else if (json != "json" && c == 226 && c1 == 128 && \
                         (c2 == 142 || c2 == 143 || (c2 >= 168 && c2 <= 174))) bad = "bidi"
                else if (json != "json" && c == 226 && c1 == 129 && c2 >= 166 && c2 <= 169)
                    bad = "bidi isolate"
                if (bad != "") { printf "%s at byte %d (0x%02x)\n", bad, i, c; exit }
            }
        }'
}

# run NAME [json|text] EXPECT_GREP -- COMMAND...: runs the command, checks its stdout and
# stderr for forbidden bytes (stdout as JSON when asked) and that the combined output
# holds EXPECT_GREP (a fixed string; empty: no check).
run() {
    name=$1 kind=$2 want=$3
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"
    ok=0
    for f in out err; do
        k=text
        [ "$f" = out ] && [ "$kind" = json ] && k=json
        bad=$(forbidden "$tmp/$f" $k)
        if [ -n "$bad" ]; then
            echo "FAIL: hostile $name: raw $bad on std$f"
            od -c "$tmp/$f" | head -8
            ok=1
        fi
    done
    if [ -n "$want" ] && ! cat "$tmp/out" "$tmp/err" | grep -qF -- "$want"; then
        echo "FAIL: hostile $name: no '$want' in the output"
        head -20 "$tmp/out" "$tmp/err"
        ok=1
    fi
    if [ $ok -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

# ---- inputs ----

cat >"$tmp/rules.mga" <<EOF
ruleset "evil${ESC}]52;c;aGk=${BEL} rules"
disclaimer "Not advice${ESC}[2J${RLO}."
source doc "A doc${ESC}[31m"
  author "Au${CR}thor${NEL}"
  ref 1 "First${ESC}[0m ref${LRI}."
end
dimension mass base mg
  unit g = 1000 mg
end
forms glycinate, citrate
profile
  id: text
  note: text
  age: number range 0..130
  diet_mg: number mg range 0..10000
  goals: set of sleep, bones
end
rule sleep_glycinate
  when goals has sleep
  then prefer glycinate
  severity info
  say "Take glycinate${ESC}]0;pwned${BEL} ${RLO}evil\u{1b}[1m \u{9b}2J${RLM}."
  cite doc[1] quote "quoted${ESC}[5m text${CSI8}"
end
rule never
  when goals has bones
  then inform
  say "Never${ESC}[8m."
  cite doc[1]
end
EOF
# a rule file with ESC in a name: a lexical error that echoes the line
printf 'forms glyc\033]52;c;aGk=\007inate\nrule r\342\200\256x\n' >"$tmp/badname.mga"
# a hostile file name
hostile_name="$tmp/ru${ESC}[2Jles${RLO}.mga"
cp "$tmp/rules.mga" "$hostile_name"

# the profile: OSC 52 id, ESC/CR/bidi/C1 in keys and values
printf '{"id": "a\\u001b]52;c;Zm9v\\u0007\\r%sb%s", "goals": ["sleep"], "age": 40, "note": "n\\u001b[2J%s"}\n' \
    "$RLO" "$NEL" "$ALM" >"$tmp/profile.json"
# profile errors: unknown symbol, unknown key, wrong type, unknown unit, all hostile
printf '{"id": "x\\u001b[2J", "goals": ["sl\\u001b]52;c;Zm9v\\u0007eep%s"], "we\\u001bird%skey": 1, "age": "4\\u001b0", "note": 5}\n' \
    "$RLO" "$RLM" >"$tmp/bad-profile.json"
printf '{"diet_mg": {"value": 4, "unit": "y\\u001b[31mrs%s"}}\n' "$CSI8" >"$tmp/bad-unit.json"
# invalid JSON: raw ESC and BEL in the text, echoed as the source line
printf '{"id": "a\033]52;c;Zm9v\007", "age": 4\033[2J0}\n' >"$tmp/raw-json.json"
# invalid UTF-8 and a bare CR
printf '{"id": "a\377\376\033\rb", "age": 40}\n' >"$tmp/bad-utf8.json"

# batch: JSON lines, good and bad records
{
    cat "$tmp/profile.json"
    cat "$tmp/bad-profile.json"
    cat "$tmp/raw-json.json"
    cat "$tmp/bad-utf8.json"
    printf '{"id": "c1%s%s", "age": 1}\n' "$CSI8" "$NEL"
} >"$tmp/batch.jsonl"
# CSV: an ESC in a header name; and good headers with hostile cells
printf 'id,ag\033]52;c;Zm9v\007e%s\n1,40\n' "$RLO" >"$tmp/bad-header.csv"
printf 'id,goals,age,note\r\n"a\033]52;c;Zm9v\007%s",sleep,40,"x\033[2J"\r\nb,"sl\033eep",4\033[31m0,\r\n' \
    "$RLO" >"$tmp/cells.csv"

# rule tests: ESC in a test name, an expectation that fails
cat >"$tmp/t.mgt" <<EOF
test "evil${ESC}]52;c;aGk=${BEL} test${RLO}"
  given goals: sleep
    note: "n${ESC}[2J"
  expect never
end
EOF

# ---- every command ----

P=$tmp/profile.json
R=$tmp/rules.mga
run "eval text" text 'Advice for profile '\''a\x1b]52;c;Zm9v\x07\r\u202eb\u0085'\''' -- \
    "$BIN" eval -r "$R" "$P"
run "eval text (rule strings)" text 'Take glycinate\x1b]0;pwned\x07 \u202eevil\x1b[1m \u009b2J\u200f.' -- \
    "$BIN" eval -r "$R" "$P"
run "eval json" json '"id":"a\u001B]52;c;Zm9v\u0007\r' -- "$BIN" eval -r "$R" -f json "$P"
run "eval json (C1 escaped)" json 'b\u0085' -- "$BIN" eval -r "$R" -f json "$P"
run "eval pretty" json '\u009B' -- "$BIN" eval -r "$R" -f pretty "$P"
run "eval shipped rules" text '\u202eb\u0085' -- "$BIN" eval "$P"
run "eval profile errors" text "\$.we\\x1bird\\u200fkey: unknown field" -- \
    "$BIN" eval -r "$R" "$tmp/bad-profile.json"
run "eval unknown symbol" text "unknown value 'sl\\x1b]52;c;Zm9v\\x07eep\\u202e'" -- \
    "$BIN" eval -r "$R" "$tmp/bad-profile.json"
run "eval unknown unit" text 'y\x1b[31mrs\u009b' -- "$BIN" eval -r "$R" "$tmp/bad-unit.json"
run "eval invalid JSON" text '    1 | {"id": "a\x1b]52;c;Zm9v\x07", "age": 4\x1b[2J0}' -- \
    "$BIN" eval -r "$R" "$tmp/raw-json.json"
run "eval invalid UTF-8" text 'a\xff\xfe\x1b\rb' -- "$BIN" eval -r "$R" "$tmp/bad-utf8.json"
run "eval hostile path" text "cannot read '$tmp/no\\x1b[2Jne\\u202e'" -- \
    "$BIN" eval -r "$R" "$tmp/no${ESC}[2Jne${RLO}"
run "explain text" text "explain: profile 'a\\x1b]52;c;Zm9v\\x07\\r\\u202eb\\u0085'" -- \
    "$BIN" explain -r "$R" "$P"
run "explain json" json '"id":"a\u001B]52;c;Zm9v\u0007' -- "$BIN" explain -r "$R" -f json "$P"
run "explain --rule" text "no rule 'x\\x1b[2J' in the rule set" -- \
    "$BIN" explain -r "$R" --rule "x${ESC}[2J" "$P"
run "explain profile errors" text 'unknown field' -- "$BIN" explain -r "$R" "$tmp/bad-profile.json"
run "batch jsonl" json 'mgadvise batch: 5 records' -- \
    "$BIN" batch -q -r "$R" --stats "$tmp/stats.json" "$tmp/batch.jsonl"
run "batch stats" json '' -- cat "$tmp/stats.json"
run "batch catalog" json '' -- "$BIN" batch -q -r "$R" --catalog "$tmp/cat.json" "$tmp/batch.jsonl"
run "batch catalog file" json '"disclaimer":"Not advice\u001B[2J' -- cat "$tmp/cat.json"
run "batch csv header" text "unknown column 'ag\\x1b]52;c;Zm9v\\x07e\\u202e'" -- \
    "$BIN" batch -q -r "$R" "$tmp/bad-header.csv"
run "batch csv cells" json 'mgadvise batch: 2 records' -- "$BIN" batch -q -r "$R" "$tmp/cells.csv"
run "batch hostile path" text "cannot read '$tmp/no\\x1b[2Jne\\u202e'" -- \
    "$BIN" batch -q -r "$R" "$tmp/no${ESC}[2Jne${RLO}"
run "check" text 'mgadvise: ok' -- "$BIN" check "$R"
run "check name with ESC" text 'forms glyc\x1b]52;c;aGk=\x07inate' -- "$BIN" check "$tmp/badname.mga"
run "check hostile file name" text 'ru\x1b[2Jles\u202e.mga' -- "$BIN" check "$hostile_name"
run "check no quote source" text "" -- "$BIN" check --sources "$tmp" "$R"
run "fmt --check" text ':1: not formatted' -- sh -c 'printf "ruleset   \"x\033[2J\"\n" >"$1"; "$2" fmt --check "$1"' \
    sh "$hostile_name" "$BIN"
run "fmt --check line" text '-ruleset   "x\x1b[2J"' -- "$BIN" fmt --check "$hostile_name"
run "fmt name with ESC" text 'glyc\x1b]52;c;aGk=\x07inate' -- "$BIN" fmt "$tmp/badname.mga"
run "fmt - diagnostics" text 'glyc\x1b]52' -- sh -c '"$1" fmt - <"$2" >/dev/null' sh "$BIN" "$tmp/badname.mga"
run "fmt hostile path" text "cannot read '$tmp/no\\x1b[2Jne\\u202e'" -- \
    "$BIN" fmt "$tmp/no${ESC}[2Jne${RLO}"
run "graph dot" text 'label="evil\\x1b]52;c;aGk=\\x07 rules' -- "$BIN" graph "$R"
run "graph dot tooltip" text 'quoted\\x1b[5m text\\u009b' -- "$BIN" graph "$R"
run "graph json" json '' -- "$BIN" graph -f json "$R"
run "test" text 'test "evil\x1b]52;c;aGk=\x07 test\u202e" failed' -- \
    "$BIN" test -r "$R" "$tmp/t.mgt"
run "test --coverage" text 'coverage:' -- "$BIN" test -r "$R" --coverage "$tmp/t.mgt"
run "usage error" text "unknown option '--x\\x1b[2J'" -- "$BIN" eval "--x${ESC}[2J"
run "unknown command" text "unknown command 'e\\x1b[2Jval'" -- "$BIN" "e${ESC}[2Jval"

golden_done hostile
