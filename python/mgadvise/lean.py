# SPDX-License-Identifier: MIT
"""Lean batch records joined with their catalog: the full records back (docs/OUTPUT.md).

A lean record ({"line", "id", "result": LEAN}) holds what varies per profile; the catalog
(`mgadvise catalog`, Ruleset.catalog()) holds the rest once. restore() gives back, key for
key, the record `mgadvise batch --full` writes. Standard library only: it needs neither
libmgadvise nor the rules.

    python3 -m mgadvise.lean CATALOG [LEAN.jsonl]   full records on standard output
"""
import json
import sys

__all__ = ["restore", "restore_result"]

# the summary's decision says what forms.supplements says
_SUPPLEMENTS = {"do_not_take": "avoid", "ask_doctor_first": "ask_doctor",
                "within_limits": "allowed"}
_DOSES = ("start", "target", "max")


class _Catalog:
    """What restore needs of a catalog, indexed once."""

    def __init__(self, catalog):
        if not isinstance(catalog, dict):
            raise TypeError("the catalog is the parsed JSON of `mgadvise catalog` (a dict), "
                            "not %s" % type(catalog).__name__)
        for k in ("ruleset", "rules", "sources"):
            if k not in catalog:
                raise ValueError("not a catalog of `mgadvise catalog`: no %r" % k)
        self.ruleset = catalog["ruleset"]
        self.rules = catalog["rules"]
        self.sources = {}
        for s in catalog["sources"]:
            texts = {r["ref"]: r["text"] for r in s["references"]}
            self.sources[s["source"]] = (s, texts)


def _catalog(catalog):
    return catalog if isinstance(catalog, _Catalog) else _Catalog(catalog)


def restore_result(lean, catalog, id=None):
    """The full result (what `mgadvise eval --format json` gives) of one lean result.

    catalog is the parsed catalog; id the record's "id". ValueError when the lean result's
    ruleset_hash is not the catalog's or it names a rule the catalog does not hold."""
    cat = _catalog(catalog)
    if not isinstance(lean, dict):
        raise TypeError("a lean result is a dict, not %s" % type(lean).__name__)
    if "ruleset_hash" not in lean and "ruleset" in lean:
        raise ValueError("the result is full already (batch --full): nothing to restore")
    if lean.get("ruleset_hash") != cat.ruleset["hash"]:
        raise ValueError("lean result of rule set %r, catalog of %r"
                         % (lean.get("ruleset_hash"), cat.ruleset["hash"]))
    rules = cat.rules

    def rule(rid):
        try:
            return rules[rid]
        except KeyError:
            raise ValueError("rule %r is not in the catalog" % rid) from None

    full = {"id": id, "ruleset": dict(cat.ruleset)}
    if "warnings" in lean:
        full["warnings"] = lean["warnings"]
    dose = {}
    for k in _DOSES:
        dose[k + "_mg"] = lean["dose"].get(k + "_mg")
        dose[k + "_rule"] = lean["dose"].get(k + "_rule")
    forms = lean["forms"]
    see = lean["see_doctor"]
    full["summary"] = {
        "decision": lean["decision"],
        "decided_by": lean["decided_by"],
        "prefer": forms["prefer"],
        "start_mg": dose["start_mg"],
        "target_mg": dose["target_mg"],
        "max_mg": dose["max_mg"],
        "see_doctor": None if see is None else {
            "urgency": see["urgency"],
            "reasons": [{"rule": r, "urgency": rule(r)["refer"]} for r in see["rules"]],
        },
    }
    advice = []
    for rank, (rid, kind, severity) in enumerate(lean["advice"], 1):
        item = rule(rid)
        if item["kind"] != kind or item["severity"] != severity:
            raise ValueError("rule %r: kind or severity differ from the catalog's" % rid)
        advice.append({"rank": rank, **item})
    full["advice"] = advice
    full["dose"] = dose
    full["forms"] = {"supplements": _SUPPLEMENTS[lean["decision"]],
                     "supplements_rule": forms["supplements_rule"],
                     "prefer": forms["prefer"], "avoid": forms["avoid"]}
    full["overruled"] = lean["overruled"]
    # the distinct (source, ref) pairs of the items' cites, in order of first citation
    refs, seen = [], set()
    for item in advice:
        for c in item["cite"]:
            key = (c["source"], c["ref"])
            if key in seen:
                continue
            seen.add(key)
            src, texts = cat.sources[c["source"]]
            refs.append({"n": len(refs) + 1, "source": c["source"], "ref": c["ref"],
                         "text": None if c["ref"] is None else texts.get(c["ref"]),
                         "document": src["document"], "author": src["author"],
                         "publisher": src["publisher"]})
    full["references"] = refs
    full["disclaimer"] = lean["disclaimer"]
    return full


def restore(record, catalog):
    """The full batch record of one lean record (a parsed line); an error record as it is."""
    if not isinstance(record, dict):
        raise TypeError("restore takes a batch record parsed from its JSON line (a dict), "
                        "not %s" % type(record).__name__)
    if "result" not in record and "error" not in record:
        raise ValueError("not a batch record: neither 'result' nor 'error'")
    if "result" not in record:
        return record
    return {"line": record["line"], "id": record["id"],
            "result": restore_result(record["result"], catalog, record["id"])}


def _main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: python3 -m mgadvise.lean CATALOG [LEAN.jsonl]\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        cat = _Catalog(json.load(f))
    src = open(argv[2], encoding="utf-8") if len(argv) == 3 else sys.stdin
    out = sys.stdout
    with src:
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                full = restore(json.loads(line), cat)
            except (ValueError, KeyError, TypeError) as e:
                sys.stderr.write("mgadvise.lean: line %d: %s\n" % (n, e))
                return 1
            out.write(json.dumps(full, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
