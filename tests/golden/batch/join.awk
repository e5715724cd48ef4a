# SPDX-License-Identifier: MIT
# Joins `mgadvise batch --catalog CAT` output with CAT: every brief advice item
# {"rank":N,"group":G,"rule":ID,"kind":K,"severity":S} becomes {"rank":N, followed by the
# members of the catalog's full item rules[ID] (which has no rank); every other
# byte is kept. The result must equal the full output with "references" left out.
#   usage: awk -f join.awk CAT BRIEF_OUTPUT
# Fails (exit 1) when an item's rule is not in the catalog or its kind or severity differ.

# The end (index of the closing brace) of the JSON object starting at s[i] == "{".
function obj_end(s, i,    depth, c, instr) {
    depth = 0
    instr = 0
    for (; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (instr) {
            if (c == "\\") i++
            else if (c == "\"") instr = 0
        } else if (c == "\"") instr = 1
        else if (c == "{") depth++
        else if (c == "}" && --depth == 0) return i
    }
    return 0
}

FNR == NR {
    start = index($0, "\"rules\":{")
    if (!start) { print "join: no rules in the catalog" > "/dev/stderr"; bad = 1; exit 1 }
    i = start + length("\"rules\":{")
    while (substr($0, i, 1) == "\"") {
        j = index(substr($0, i + 1), "\"")
        id = substr($0, i + 1, j - 1)
        i += j + 2 # past the closing quote and the colon
        e = obj_end($0, i)
        if (!e) { print "join: unterminated item " id > "/dev/stderr"; bad = 1; exit 1 }
        item[id] = substr($0, i, e - i + 1)
        nitems++
        i = e + 1
        if (substr($0, i, 1) == ",") i++
    }
    next
}

{
    out = ""
    rest = $0
    re = "\\{\"rank\":[0-9]+,\"group\":\"[a-z]*\",\"rule\":\"[^\"]*\",\"kind\":\"[a-z]*\",\"severity\":\"[a-z]*\"\\}"
    while (match(rest, re)) {
        b = substr(rest, RSTART, RLENGTH)
        rank = b
        sub(/^\{"rank":/, "", rank)
        sub(/,.*/, "", rank)
        id = b
        sub(/^.*"rule":"/, "", id)
        sub(/".*/, "", id)
        # the catalog item starts with the brief one's group, rule, kind and severity
        head = substr(b, index(b, "\"group\""))
        head = substr(head, 1, length(head) - 1) ","
        if (!(id in item) || index(item[id], head) != 2) {
            print "join: line " FNR ": no catalog item for " b > "/dev/stderr"
            bad = 1
        }
        out = out substr(rest, 1, RSTART - 1) "{\"rank\":" rank "," substr(item[id], 2)
        rest = substr(rest, RSTART + RLENGTH)
        joined++
    }
    print out rest
}

END {
    if (!bad && nitems == 0) { print "join: the catalog has no rules" > "/dev/stderr"; bad = 1 }
    exit bad
}
