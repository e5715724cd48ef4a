#!/bin/sh
# SPDX-License-Identifier: MIT
# make install-check: installs into scratch prefixes (PREFIX, then PREFIX=/usr with DESTDIR
# and a multiarch LIBDIR), builds the example of libmgadvise(3) against the install with
# pkg-config (shared, then static), runs it where no rule files are, checks the SONAME, the
# pkg-config data, the manual pages and the bash completion, then uninstalls: the trees
# must be left without a file. Also checks that CPPFLAGS reaches every compile.
# usage: install.sh BUILD SAN OPT SANFLAGS   (run from the top of the tree)
set -eu
build=$1 san=$2 opt=$3 sanflags=$4
root=$(pwd)
: "${MAKE:=make}"
: "${CC:=cc}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "install: $*" >&2
    exit 1
}
# The same build as the caller's, without its jobserver or command-line variables.
mk() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
        $MAKE -s --no-print-directory -C "$root" CC="$CC" BUILD="$build" SAN="$san" OPT="$opt" "$@"
}
version=$(sed -n 's/^#define MGA_VERSION "\(.*\)"$/\1/p' include/mgadvise.h)
major=${version%%.*}

pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# What an install holds, relative to the prefix (LIBDIR and the Python folder given
# relative to it).
expected() {
    lib=$1 py=$2
    for f in python/mgadvise/*.py; do
        [ "$f" = python/mgadvise/_installed.py ] || echo "$py/mgadvise/${f##*/}"
    done
    echo "$py/mgadvise/_installed.py"
    printf '%s\n' bin/mgadvise include/mgadvise.h include/mgadvise_analysis.h \
        "$lib/libmgadvise.a" "$lib/libmgadvise.so" \
        "$lib/libmgadvise.so.$major" "$lib/libmgadvise.so.$version" \
        "$lib/libmgadvise-analysis.so" "$lib/libmgadvise-analysis.so.$major" \
        "$lib/libmgadvise-analysis.so.$version" "$lib/mgadvise/mgadvise-serve.so" \
        "$lib/pkgconfig/mgadvise.pc" share/bash-completion/completions/mgadvise \
        share/man/man1/mgadvise.1 share/man/man3/libmgadvise.3 \
        share/man/man5/mgadvise-rules.5
}
listing() {
    (cd "$1" && find . ! -type d | sed 's|^\./||' | sort)
}

# ---- 1. make install PREFIX=$prefix ----
prefix=$tmp/prefix
mk install PREFIX="$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install failed"; }
expected lib "lib/python$pyver/dist-packages" | sort >"$tmp/want"
listing "$prefix" >"$tmp/have"
cmp -s "$tmp/want" "$tmp/have" || { diff "$tmp/want" "$tmp/have"; fail "the installed files differ from the layout"; }
lib=$prefix/lib
[ -f "$lib/libmgadvise.so.$version" ] && [ ! -L "$lib/libmgadvise.so.$version" ] ||
    fail "libmgadvise.so.$version is not a regular file"
[ "$(readlink "$lib/libmgadvise.so.$major")" = "libmgadvise.so.$version" ] ||
    fail "libmgadvise.so.$major does not point to libmgadvise.so.$version"
[ "$(readlink "$lib/libmgadvise.so")" = "libmgadvise.so.$major" ] ||
    fail "libmgadvise.so does not point to libmgadvise.so.$major"
readelf -d "$lib/libmgadvise.so.$version" | grep -q "Library soname: \[libmgadvise.so.$major\]" ||
    fail "no SONAME libmgadvise.so.$major in the shared library"
[ -x "$prefix/bin/mgadvise" ] || fail "bin/mgadvise is not executable"
readelf -d "$lib/libmgadvise-analysis.so.$version" |
    grep -q "Library soname: \[libmgadvise-analysis.so.$major\]" ||
    fail "no SONAME libmgadvise-analysis.so.$major in the analysis library"
if readelf -d "$prefix/bin/mgadvise" | grep NEEDED | grep -qi z3; then fail "bin/mgadvise needs Z3"; fi
# The installed CLI finds the analysis in LIBDIR (not next to it): moved elsewhere, check
# still analyses.
mkdir "$tmp/elsewhere"
cp "$prefix/bin/mgadvise" "$tmp/elsewhere/mgadvise"
"$tmp/elsewhere/mgadvise" check "$root/rules" >"$tmp/check.out" 2>"$tmp/check.err" ||
    { cat "$tmp/check.err"; fail "the installed mgadvise check failed"; }
grep -q '^mgadvise: analysis: ' "$tmp/check.out" || fail "the installed mgadvise check did not analyse"
# ... and serve loads its plugin from LIBDIR/mgadvise; eval loads no library of serve's
"$tmp/elsewhere/mgadvise" serve --help >"$tmp/serve.out" 2>"$tmp/serve.err" ||
    { cat "$tmp/serve.err"; fail "the installed mgadvise serve --help failed"; }
grep -q '^usage: mgadvise serve ' "$tmp/serve.out" || fail "the installed mgadvise serve --help printed no usage"
for l in microhttpd jwt curl gnutls; do
    if readelf -d "$prefix/bin/mgadvise" | grep NEEDED | grep -qi $l; then fail "bin/mgadvise needs $l"; fi
done
rm -r "$tmp/elsewhere"
echo "install: PREFIX layout, SONAMEs libmgadvise.so.$major, libmgadvise-analysis.so.$major and links; check loads the analysis and serve its plugin from LIBDIR"

# ---- 2. pkg-config ----
export PKG_CONFIG_PATH="$lib/pkgconfig"
pc() { pkg-config "$@" mgadvise; }
[ "$(pc --modversion)" = "$version" ] || fail "pkg-config --modversion is not $version"
[ "$(pc --variable=prefix)" = "$prefix" ] || fail "mgadvise.pc: prefix is not $prefix"
[ "$(pc --variable=libdir)" = "$lib" ] || fail "mgadvise.pc: libdir is not $lib"
[ "$(pc --variable=includedir)" = "$prefix/include" ] || fail "mgadvise.pc: includedir is wrong"
cflags=$(pc --cflags) libs=$(pc --libs) slibs=$(pc --static --libs)
case " $libs " in *" -L$lib "*"-lmgadvise "*) ;; *) fail "pkg-config --libs: '$libs'" ;; esac
case " $slibs " in *" -lyajl "*) ;; *) fail "pkg-config --static --libs lacks -lyajl: '$slibs'" ;; esac
echo "install: pkg-config: $cflags $libs (static: $slibs)"

# ---- 3. the example of libmgadvise(3), built against the install ----
# Taken from the page (its first example), roff escapes undone: the page shows a program
# that compiles.
sed -n '/^\.SH EXAMPLES/,/^\.SH SEE ALSO/p' "$prefix/share/man/man3/libmgadvise.3" |
    sed -n '/^\.EX/,/^\.EE/{/^\.EE/q;/^\.EX/d;p;}' |
    sed -e 's/\\e/\\/g' -e 's/\\-/-/g' >"$tmp/example.c"
grep -q 'mga_compile_builtin' "$tmp/example.c" || fail "the example of libmgadvise(3) does not use mga_compile_builtin"
# shellcheck disable=SC2086 # the flags are lists
$CC -std=c11 -Wall -Wextra -Werror $sanflags $cflags -o "$tmp/example" "$tmp/example.c" $libs ||
    fail "the example does not build with pkg-config --cflags --libs"
readelf -d "$tmp/example" | grep -q "Shared library: \[libmgadvise.so.$major\]" ||
    fail "the example is not linked to libmgadvise.so.$major"
# The CLI's answer for the same profile, from the built-in rules.
json=$(sed -n 's/.*const char \*json = "\(.*\)";/\1/p' "$tmp/example.c" | sed 's/\\"/"/g')
[ -n "$json" ] || fail "no profile in the example"
printf '%s\n' "$json" | "$prefix/bin/mgadvise" eval -f json - >"$tmp/want.json" 2>/dev/null ||
    fail "mgadvise eval failed on the example's profile"
# Run where there are no rule files: the rules come from the library.
mkdir "$tmp/empty"
(cd "$tmp/empty" && LD_LIBRARY_PATH="$lib" "$tmp/example") >"$tmp/shared.json" ||
    fail "the example (shared) failed"
cmp -s "$tmp/want.json" "$tmp/shared.json" || { diff "$tmp/want.json" "$tmp/shared.json" | head; fail "the example's advice differs from mgadvise eval"; }
grep -q '"rule":"s1_kidney_disease_avoid_supplements","kind":"avoid","severity":"critical"' "$tmp/shared.json" ||
    fail "the example's advice lacks the kidney disease rule"
echo "install: the libmgadvise(3) example (shared) gives mgadvise eval's advice, without rules/"

# Static: only the archive can be found for -lmgadvise; pkg-config --static must bring yajl.
mkdir "$tmp/static"
ln -s "$lib/libmgadvise.a" "$tmp/static/libmgadvise.a"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror $sanflags $cflags -o "$tmp/example-static" "$tmp/example.c" \
    -L"$tmp/static" $slibs || fail "the example does not link statically with pkg-config --static --libs"
if readelf -d "$tmp/example-static" | grep -q 'libmgadvise'; then fail "the static example needs libmgadvise.so"; fi
(cd "$tmp/empty" && "$tmp/example-static") >"$tmp/static.json" || fail "the example (static) failed"
cmp -s "$tmp/want.json" "$tmp/static.json" || fail "the static example's advice differs"
echo "install: the example links statically with pkg-config --static and gives the same advice"

# The commands, as mgadvise --help lists them.
commands=$("$prefix/bin/mgadvise" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' | tr '\n' ' ')
[ -n "$commands" ] || fail "no commands in mgadvise --help"

# ---- 4. manual pages: found under MANDIR, rendered without a warning ----
for page in 1:mgadvise 3:libmgadvise 5:mgadvise-rules; do
    sec=${page%%:*} name=${page#*:}
    f=$prefix/share/man/man$sec/$name.$sec
    if command -v man >/dev/null; then
        [ "$(man -M "$prefix/share/man" -w "$sec" "$name" 2>/dev/null)" = "$f" ] ||
            fail "man -M PREFIX/share/man does not find $name($sec)"
        MANWIDTH=80 man -l "$f" >"$tmp/page" 2>"$tmp/page.err" || fail "man -l $f failed"
    else
        mandoc -T ascii "$f" >"$tmp/page" 2>"$tmp/page.err" || fail "mandoc $f failed"
    fi
    [ ! -s "$tmp/page.err" ] || { cat "$tmp/page.err"; fail "$name($sec) renders with warnings"; }
    grep -q '^NAME' "$tmp/page" || grep -q 'N.*A.*M.*E' "$tmp/page" || fail "$name($sec) has no NAME section"
    # every command and every option of its --help is in the manual page
    if [ "$sec" = 1 ]; then
        # the tag lines of COMMANDS: the line after each .TP, its first word
        entries=$(awk '/^\.SH/ { in_c = ($2 == "COMMANDS") } in_c && tp { gsub(/"/, "", $2); print $2 }
                       { tp = in_c && /^\.TP/ }' "$f" | tr '\n' ' ')
        for c in $commands; do
            case " $entries " in *" $c "*) ;; *) fail "mgadvise(1) COMMANDS has no entry for $c" ;; esac
        done
        for c in $commands; do
            "$prefix/bin/mgadvise" "$c" --help | sed -n 's/^  \(-[^ ,]*\)\(, \(--[^ ]*\)\)\{0,1\}.*/\1 \3/p'
        done | tr ' ' '\n' | sort -u | while read -r o; do
            [ -z "$o" ] || sed 's/\\-/-/g' "$f" | grep -q -e "$o" || fail "mgadvise(1) does not document $o"
        done
    fi
done
# The rule test shown in mgadvise-rules(5) passes on the built-in rules.
sed -n '/^\.SH RULE TESTS/,/^\.SH SEE ALSO/p' "$prefix/share/man/man5/mgadvise-rules.5" |
    sed -n '/^\.EX/,/^\.EE/{/^\.EE/q;/^\.EX/d;p;}' | sed -e 's/\\e/\\/g' -e 's/\\-/-/g' >"$tmp/empty/page.mgt"
(cd "$tmp/empty" && "$prefix/bin/mgadvise" test page.mgt) >"$tmp/page.test" 2>&1 ||
    { cat "$tmp/page.test"; fail "the rule test in mgadvise-rules(5) fails"; }
rm "$tmp/empty/page.mgt"
# Its declaration and rule examples together are a rule set that compiles and advises.
sed -n '/^\.SH DECLARATIONS/,/^\.SH CONDITIONS/p' "$prefix/share/man/man5/mgadvise-rules.5" |
    sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;p;}' | sed -e 's/\\e/\\/g' -e 's/\\-/-/g' >"$tmp/page.mga"
printf '{"conditions": ["kidney_disease"]}\n' |
    "$prefix/bin/mgadvise" eval -f json -r "$tmp/page.mga" - >"$tmp/page.json" 2>"$tmp/page.err" ||
    { cat "$tmp/page.err"; fail "the rule examples of mgadvise-rules(5) do not compile"; }
grep -q '"rule":"kidney_disease_avoid","kind":"avoid","severity":"critical"' "$tmp/page.json" ||
    fail "the rule example of mgadvise-rules(5) does not fire"
echo "install: man pages found under MANDIR and rendered without warnings; the examples of mgadvise-rules(5) work"

# ---- 5. bash completion (bash-completion's helpers stubbed: the logic is what is tested) ----
if command -v bash >/dev/null; then
    cat >"$tmp/comp.bash" <<'EOF'
_init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; cur=${words[cword]}; prev=${words[cword-1]}; }
_filedir() { COMPREPLY=("<files:${1-}>"); }
complete() { :; }
. "$1"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _mgadvise; echo "${COMPREPLY[*]}"; }
[ "$(comp mgadvise e)" = "eval explain" ] || { echo "commands: $(comp mgadvise e)"; exit 1; }
# every command of --help is offered
[ "$(comp mgadvise '')" = "$3" ] || { echo "commands: '$(comp mgadvise '')', --help: '$3'"; exit 1; }
[ "$(comp mgadvise eval -f '')" = "text json pretty" ] || { echo "eval -f"; exit 1; }
[ "$(comp mgadvise graph --format '')" = "dot json" ] || { echo "graph -f"; exit 1; }
[ "$(comp mgadvise check -f '')" = "text json sarif" ] || { echo "check -f"; exit 1; }
[ "$(comp mgadvise batch --input-format '')" = "jsonl csv fhir" ] || { echo "batch --input-format"; exit 1; }
[ "$(comp mgadvise eval -r '')" = "<files:mga>" ] || { echo "-r"; exit 1; }
[ "$(comp mgadvise test '')" = "<files:mgt>" ] || { echo "test files"; exit 1; }
# every option of every command's --help is offered
for c in $3; do
    got=" $(comp mgadvise "$c" -) "
    for o in $("$2" "$c" --help | sed -n 's/^  \(-[^ ,]*\)\(, \(--[^ ]*\)\)\{0,1\}.*/\1 \3/p'); do
        case $got in *" $o "*) ;; *) echo "'mgadvise $c' does not complete $o"; exit 1 ;; esac
    done
done
EOF
    bash "$tmp/comp.bash" "$prefix/share/bash-completion/completions/mgadvise" "$prefix/bin/mgadvise" \
        "${commands% }" ||
        fail "the bash completion is wrong (above)"
    echo "install: bash completion offers every command and every option of each --help"
fi

# ---- 6. the Python package, where Debian's python3 finds it, on the installed library ----
# (under the sanitizers the interpreter loads their runtimes first, as make python-test)
preload=
case $san in *address*) preload="$($CC -print-file-name=libasan.so)" ;; esac
case $san in *undefined*) preload="$preload $($CC -print-file-name=libubsan.so)" ;; esac
cat >"$tmp/py.py" <<'EOF'
import json, sys
import mgadvise
lib, head, profile, want, home = sys.argv[1:6]
assert mgadvise.__file__.startswith(home), mgadvise.__file__
assert mgadvise.library_path() == lib, mgadvise.library_path()
assert mgadvise.header_path() == head, mgadvise.header_path()
with open(want) as f:
    cli = json.load(f)
got = mgadvise.Ruleset.builtin().evaluate(profile)
assert got == cli, (got, cli)
EOF
py_home=$prefix/lib/python$pyver/dist-packages
(cd "$tmp/empty" && env -u MGADVISE_LIB -u MGADVISE_BUILD -u MGADVISE_HEADER \
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$py_home" LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 \
    /usr/bin/python3 "$tmp/py.py" "$lib/libmgadvise.so.$major" "$prefix/include/mgadvise.h" \
    "$json" "$tmp/want.json" "$py_home/mgadvise/") >"$tmp/py.out" 2>&1 ||
    { cat "$tmp/py.out"; fail "the installed Python package does not work"; }
echo "install: the Python package in PYTHONDIR runs on the installed library and header, and advises as mgadvise eval"

# ---- 7. make uninstall leaves no file ----
mk uninstall PREFIX="$prefix" >"$tmp/uninstall.log" 2>&1 || { cat "$tmp/uninstall.log"; fail "make uninstall failed"; }
[ -z "$(listing "$prefix")" ] || { listing "$prefix"; fail "make uninstall left files"; }
echo "install: make uninstall removed every file"

# ---- 8. DESTDIR, PREFIX=/usr and a multiarch LIBDIR, as a Debian package installs ----
dest=$tmp/dest
multi=lib/x86_64-linux-gnu
mk install PREFIX=/usr LIBDIR=/usr/$multi DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "make install DESTDIR=... failed"; }
expected "$multi" lib/python3/dist-packages | sed 's|^|usr/|' | sort >"$tmp/want"
listing "$dest" >"$tmp/have"
cmp -s "$tmp/want" "$tmp/have" || { diff "$tmp/want" "$tmp/have"; fail "the DESTDIR layout is wrong"; }
pcf=$dest/usr/$multi/pkgconfig/mgadvise.pc
grep -qx 'prefix=/usr' "$pcf" && grep -qx "libdir=\${prefix}/$multi" "$pcf" &&
    grep -qx 'includedir=${prefix}/include' "$pcf" || { cat "$pcf"; fail "mgadvise.pc does not name /usr"; }
if grep -rqF "$dest" "$dest"; then fail "an installed file names DESTDIR"; fi
mk uninstall PREFIX=/usr LIBDIR=/usr/$multi DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1 ||
    { cat "$tmp/uninstall.log"; fail "make uninstall DESTDIR=... failed"; }
[ -z "$(listing "$dest")" ] || { listing "$dest"; fail "make uninstall DESTDIR=... left files"; }
echo "install: DESTDIR with PREFIX=/usr LIBDIR=/usr/$multi installs and uninstalls"

# ---- 9. CPPFLAGS reaches every compile (dry run of a fresh build) ----
mk -n BUILD="$tmp/probe" CPPFLAGS=-DMGA_CPPFLAGS_PROBE all bench-tools unit fuzz-regress examples-run \
    >"$tmp/dry" 2>&1 || { tail "$tmp/dry"; fail "make -n failed"; }
sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$tmp/dry" |
    grep -E "^$CC .*\.c( |\$)" >"$tmp/compiles" || true
[ -s "$tmp/compiles" ] || fail "no compile in the dry run"
if grep -v -- '-DMGA_CPPFLAGS_PROBE' "$tmp/compiles"; then fail "the compiles above ignore CPPFLAGS"; fi
echo "install: CPPFLAGS reaches all $(wc -l <"$tmp/compiles") compiles"
