#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes docs/DIAGNOSTICS.md to standard output from engine/diag_codes.def (make
# codes-table); make docs-check fails when the file in the tree differs.
set -eu
def=${1:-engine/diag_codes.def}
total=$(grep -c '^X(' "$def")
rows=$(sed -n 's/^X([A-Z_0-9]*, \([0-9]*\), \([A-Z]*\), "\(.*\)")$/\1 \2 \3/p' "$def")
if [ "$(printf '%s\n' "$rows" | grep -c .)" -ne "$total" ]; then
    echo "diagnostics.sh: every X(...) in $def must be one line: X(NAME, CODE, KIND, \"format\")" >&2
    exit 1
fi
cat <<'HEAD'
# Diagnostics

<!-- Generated from engine/diag_codes.def by `make codes-table`; do not edit. -->

Every problem in a rule file, a test file or a profile is reported with a stable code, the
file, line and column (columns count characters), the line itself and a caret under the
spot, and a `note:` with a suggestion where one is close. A rule file `mine.mga` checked
with the shipped rules:

```sh
cat >mine.mga <<'END'
rule sleep_prefer_glycinate
  when goals has sleep
  then prefer glycinte
  say "Glycinate may help with sleep."
  cite sleep
end
END
mgadvise check --no-analysis rules/ mine.mga
```

```output
mine.mga:3:15: error[E3022]: unknown form 'glycinte'
    3 |   then prefer glycinte
      |               ^~~~~~~~
  note: did you mean 'glycinate'?
mgadvise: 1 error
[exit 1]
```

A profile error names the JSON path of the bad value (`$.age: expected a number ...`).
In `mgadvise batch` output the code is the `code` of a record's `error` object. Codes are
never renumbered or reused. `E` codes are errors (the command fails), `W` codes warnings
(`check` fails on them; a profile with only warnings is still evaluated) and `N` codes
notes. `%s`, `%g`, `%u` and the like stand for the names and numbers filled in.
HEAD
printf '%s\n' "$rows" | awk '
function heading(c) {
    if (c ~ /^1/) return 1
    if (c ~ /^2/) return 2
    if (c ~ /^305/) return 4
    if (c ~ /^3/) return 3
    if (c ~ /^4/) return 5
    if (c ~ /^5/) return 6
    return 7
}
BEGIN {
    title[1] = "E1xxx: characters and tokens of a rule file"
    title[2] = "E2xxx: syntax"
    title[3] = "E3xxx: names, types, units, citations (rule files)"
    title[4] = "E305x: rule test files (*.mgt)"
    title[5] = "E4xxx: profiles"
    title[6] = "W5xxx and N5xxx: warnings and notes (check, unknown profile fields)"
    title[7] = "E9xxx: limits, files and internal errors"
}
{ code = $1; sev = $2; $1 = ""; $2 = ""; sub(/^  /, ""); msg = $0
  p = sev == "WARNING" ? "W" : sev == "NOTE" ? "N" : "E"
  gsub(/\|/, "\\|", msg); gsub(/\\"/, "\"", msg)
  h = heading(code)
  rowsof[h] = rowsof[h] sprintf("| %s%s | %s | %s |\n", p, code, tolower(sev), msg) }
END { for (i = 1; i <= 7; i++) if (i in rowsof)
        printf "\n## %s\n\n| code | severity | message |\n|---|---|---|\n%s", title[i], rowsof[i] }'
