#!/bin/sh
# SPDX-License-Identifier: MIT
# Golden tests of the clinician tools through the CLI (LC_ALL=C):
#   tests/golden/fmt/<case>/input.mga: `mgadvise fmt -` must print expected.mga (stderr and
#     exit status in expected.err); expected.mga must format to itself; --check on the input
#     gives expected.check; formatting a copy in place gives expected.mga (or leaves a file
#     that does not parse untouched).
#   tests/golden/graph/<case>/rules.mga: `mgadvise graph` gives expected.dot and, with
#     --format json, expected.json.
#   tests/golden/schema/<case>/rules.mga (a folder of rules without it: the shipped rules),
#     optional args: `mgadvise schema` gives expected.json (stdout, exit status, stderr).
# BLESS=1 rewrites the expected files instead of comparing.
set -u
BIN=$1
. tests/golden/lib.sh

for d in tests/golden/fmt/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    name=fmt/$(basename "$d")
    "$BIN" fmt - <"$d/input.mga" >"$tmp/out" 2>"$tmp/err"
    echo "exit $?" >>"$tmp/err"
    compare "$name" "$d/expected.mga" "$tmp/out"
    compare "$name (stderr)" "$d/expected.err" "$tmp/err"
    "$BIN" fmt --check "$d/input.mga" >"$tmp/chk" 2>&1
    echo "exit $?" >>"$tmp/chk"
    sed "s|$d/|CASE/|g" "$tmp/chk" >"$tmp/chk2"
    compare "$name (--check)" "$d/expected.check" "$tmp/chk2"
    [ "${BLESS:-0}" = 1 ] && continue
    # idempotent: the formatted text is its own layout, and --check accepts it
    "$BIN" fmt - <"$d/expected.mga" >"$tmp/again" 2>/dev/null
    cmp -s "$tmp/again" "$d/expected.mga"
    check "$name (idempotent)" $?
    if [ -s "$d/expected.mga" ]; then
        cp "$d/expected.mga" "$tmp/formatted.mga"
        "$BIN" fmt --check "$tmp/formatted.mga" >/dev/null 2>&1
        check "$name (--check of the formatted text)" $?
    fi
    # in place: the same bytes as stdout; a file that does not parse is left untouched
    cp "$d/input.mga" "$tmp/inplace.mga"
    "$BIN" fmt "$tmp/inplace.mga" >/dev/null 2>&1
    if [ -s "$d/expected.mga" ] || ! grep -q '^exit 0$' "$d/expected.err"; then
        if grep -q '^exit 0$' "$d/expected.err"; then want="$d/expected.mga"; else want="$d/input.mga"; fi
        cmp -s "$tmp/inplace.mga" "$want"
        check "$name (in place)" $?
    fi
done

for d in tests/golden/graph/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    name=graph/$(basename "$d")
    "$BIN" graph "$d/rules.mga" >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "$name (dot)" "$d/expected.dot" "$tmp/out"
    "$BIN" graph --format json "$d/rules.mga" >"$tmp/out" 2>&1
    echo "exit $?" >>"$tmp/out"
    compare "$name (json)" "$d/expected.json" "$tmp/out"
done

for d in tests/golden/schema/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    set --
    [ -f "$d/rules.mga" ] && set -- "$d/rules.mga"
    args=
    [ -f "$d/args" ] && args=$(cat "$d/args")
    # shellcheck disable=SC2086
    "$BIN" schema $args "$@" >"$tmp/out" 2>"$tmp/err"
    echo "exit $?" >>"$tmp/out"
    sed "s|$d/|CASE/|g" "$tmp/err" >>"$tmp/out"
    compare "schema/$(basename "$d")" "$d/expected.json" "$tmp/out"
done

# option values attached (-fjson, --format=json, -rPATH, --rules=PATH, --rule=ID,
# --min-coverage=P, --sources=DIR) read the same as separate ones
P=examples/profiles/01-kidney-disease.json
same() { # name command-a -- command-b
    name=$1
    shift
    a=
    while [ "$1" != -- ]; do a="$a $1"; shift; done
    shift
    # shellcheck disable=SC2086
    "$BIN" $a >"$tmp/a" 2>&1
    ra=$?
    "$BIN" "$@" >"$tmp/b" 2>&1
    rb=$?
    [ $ra -eq $rb ] && [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
    check "attached option values: $name" $?
}
same eval eval -fjson -rrules $P -- eval --format json -r rules $P
same eval-long eval --format=pretty --rules=rules $P -- eval -f pretty --rules rules $P
same explain explain --rule=d6_sleep_start_145mg -fjson $P -- explain --rule d6_sleep_start_145mg -f json $P
same graph graph -fjson tests/golden/batch/rules.mga -- graph --format json tests/golden/batch/rules.mga
same test test --min-coverage=50 -rrules tests/rules -- test --min-coverage 50 -r rules tests/rules
same check check --no-analysis --sources=sources rules -- check --no-analysis --sources sources rules
same check-format check --no-analysis -fjson rules -- check --no-analysis --format json rules
same schema schema -rrules -- schema --rules=rules
same catalog catalog -rrules -- catalog --rules=rules
# the catalog of the shipped rules: the built-in rules' and rules/'s, one line
"$BIN" catalog >"$tmp/a" 2>&1
ra=$?
"$BIN" catalog rules >"$tmp/b" 2>&1
[ $ra -eq 0 ] && cmp -s "$tmp/a" "$tmp/b" && [ "$(wc -l <"$tmp/a")" -eq 1 ] &&
    grep -q '^{"ruleset":{"name":"mgadvise magnesium guidance","hash":"[0-9a-f]*"},"disclaimer":"' "$tmp/a"
check "catalog: built-in rules and rules/ give one line, the same" $?
"$BIN" eval --format= $P >/dev/null 2>"$tmp/e"
check "eval --format= is a usage error" $(($? != 2))

# usage errors: the exact message (which option or operand, and why) and exit status 2
usage() { # name expected-stderr -- command...
    name=$1 want=$2
    shift 3
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    printf '%s\n' "$want" >"$tmp/want"
    if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/want" "$tmp/err"; then
        ok
    else
        bad "usage: $name (exit $rc)"
        diff "$tmp/want" "$tmp/err" | head -10
    fi
}
T=$(printf "Try 'mgadvise eval --help'.")
usage "no command" "mgadvise: no command given: eval, check, batch, explain, test, fmt, graph, schema, catalog, lsp or serve
Try 'mgadvise --help'." --
usage "unknown command" "mgadvise: unknown command 'frob'
Try 'mgadvise --help'." -- frob
usage "option before the command" "mgadvise: unknown option '-r': give a command first
Try 'mgadvise --help'." -- -r rules eval $P
usage "eval of a folder" "mgadvise eval: 'examples/' is a folder: give a profile file or '-'
$T" -- eval examples/
usage "explain of a folder" "mgadvise explain: 'examples' is a folder: give a profile file or '-'
Try 'mgadvise explain --help'." -- explain examples
usage "batch of a folder" "mgadvise batch: 'examples/' is a folder: give a JSON-lines or CSV file, or '-'
Try 'mgadvise batch --help'." -- batch examples/
usage "eval without a profile" "mgadvise eval: a profile file is needed (or '-' for standard input)
$T" -- eval -r rules
usage "eval: two profiles" "mgadvise eval: one profile at a time; 'x.json' is one too many
$T" -- eval $P x.json
usage "missing value at the end" "mgadvise eval: option '-r' needs a path
$T" -- eval $P -r
usage "missing long value" "mgadvise eval: option '--format' needs text, json or pretty
$T" -- eval $P --format
usage "empty attached value" "mgadvise eval: option '--rules' needs a path
$T" -- eval --rules= $P
usage "empty separate value of a long-only option" "mgadvise batch: option '--stats' needs a file
Try 'mgadvise batch --help'." -- batch --stats "" -
usage "empty separate value" "mgadvise eval: option '--rules' needs a path
$T" -- eval --rules "" $P
usage "bad format" "mgadvise eval: unknown format 'xml' for -f/--format: expected text, json or pretty
$T" -- eval -f xml $P
usage "value to a flag" "mgadvise eval: option '--all' takes no value
$T" -- eval --all=yes $P
usage "check: time limit not a number" "mgadvise check: 'soon' for --time-limit is not a number of seconds from 1 to 86400
Try 'mgadvise check --help'." -- check --time-limit soon
usage "check: time limit out of range" "mgadvise check: '0.5' for --time-limit is not a number of seconds from 1 to 86400
Try 'mgadvise check --help'." -- check --time-limit=0.5
usage "unknown short option" "mgadvise eval: unknown option '-x'
$T" -- eval -x $P
usage "unknown long option" "mgadvise eval: unknown option '--frob'
$T" -- eval --frob $P
usage "ambiguous long option" "mgadvise explain: option '--ru' is ambiguous: it could be --rule, --rules
Try 'mgadvise explain --help'." -- explain --ru x $P
usage "-j past 64" "mgadvise batch: -j/--jobs 1000 is out of range: expected 1 to 64 threads
Try 'mgadvise batch --help'." -- batch -j 1000 -
usage "-j 65" "mgadvise batch: -j/--jobs 65 is out of range: expected 1 to 64 threads
Try 'mgadvise batch --help'." -- batch -j65 -
usage "-j 0" "mgadvise batch: -j/--jobs 0 is out of range: expected 1 to 64 threads
Try 'mgadvise batch --help'." -- batch --jobs=0 -
usage "-j not a number" "mgadvise batch: '2x' for -j/--jobs is not a number of threads: expected 1 to 64
Try 'mgadvise batch --help'." -- batch -j 2x -
usage "check -r without a path" "mgadvise check: option '-r' needs a path
Try 'mgadvise check --help'." -- check -r
usage "graph: unknown format" "mgadvise graph: unknown format 'svg' for -f/--format: expected dot or json
Try 'mgadvise graph --help'." -- graph -f svg
usage "check: unknown format" "mgadvise check: unknown format 'xml' for -f/--format: expected text, json or sarif
Try 'mgadvise check --help'." -- check -f xml
usage "schema: unknown option" "mgadvise schema: unknown option '--format'
Try 'mgadvise schema --help'." -- schema --format json
usage "catalog: unknown option" "mgadvise catalog: unknown option '--allow-unknown-fields'
Try 'mgadvise catalog --help'." -- catalog --allow-unknown-fields
usage "test: bad percentage" "mgadvise test: '101' for --min-coverage is not a percentage from 0 to 100
Try 'mgadvise test --help'." -- test --min-coverage=101
usage "fmt without a path" "mgadvise fmt: a rule file, a folder or '-' is needed
Try 'mgadvise fmt --help'." -- fmt --check

# -j at the limit runs; options after operands and '--' before an operand that starts
# with '-'
printf '{"id":"a"}\n' | "$BIN" batch -q -j 64 >/dev/null 2>&1
check "batch -j 64 runs" $?
cp $P "$tmp/-dash.json"
(cd "$tmp" && "$OLDPWD/$BIN" eval -f json -- -dash.json) >"$tmp/a" 2>&1
"$BIN" eval "$P" -f json >"$tmp/b" 2>&1
cmp -s "$tmp/a" "$tmp/b"
check "'--' ends the options; options after the operand" $?
"$BIN" eval --allow -f json $P >/dev/null 2>&1
check "an unambiguous prefix of a long option" $?
# check and graph: -r PATH is the same as PATH
same check-r check --no-analysis -r rules -- check --no-analysis rules
same graph-r graph -r tests/golden/batch/rules.mga -- graph tests/golden/batch/rules.mga

# check without the analysis library (a copy of the binary elsewhere: not next to it), as
# long as it is not installed: the compile checks only, a message naming what was tried,
# exit 3
mkdir "$tmp/alone"
cp "$BIN" "$tmp/alone/mgadvise"
"$tmp/alone/mgadvise" check rules >"$tmp/out" 2>"$tmp/err"
rc=$?
if grep -q '^mgadvise: analysis: ' "$tmp/out"; then
    echo "tools: (the analysis library is installed: its absence is not tested)"
else
    "$BIN" check --no-analysis rules >"$tmp/want" 2>/dev/null
    [ $rc -eq 3 ] && cmp -s "$tmp/want" "$tmp/out" &&
        grep -q "^mgadvise check: the analysis is not available: cannot load the analysis library ($tmp/alone/libmgadvise-analysis.so.0: .*); running the compile checks only, as with --no-analysis\$" "$tmp/err"
    check "check without the analysis library" $?
fi

# serve without its plugin (the same copy, alone), as long as it is not installed: a
# message naming what was tried, exit 3; with it, next to the program, serve runs
"$tmp/alone/mgadvise" serve --help >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then
    echo "tools: (the serve plugin is installed: its absence is not tested)"
else
    [ $rc -eq 3 ] && [ ! -s "$tmp/out" ] &&
        grep -q "^mgadvise serve: cannot load the service ($tmp/alone/mgadvise-serve.so: .*)\$" "$tmp/err"
    check "serve without its plugin" $?
fi
"$BIN" serve --help >"$tmp/out" 2>&1 && grep -q '^usage: mgadvise serve ' "$tmp/out"
check "serve loads its plugin from beside the program" $?

golden_done tools
