#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The request of the service benchmarks (bench/serve.sh, bench/serve_handler.c): a
# patient-view hook call whose prefetch holds Patient p1 and 29 more resources of
# examples/fhir, made the patient's, in searchset Bundles per prefetch key (about 12 KB).
#   usage: serve_body.py OUT.json   (run from the repository's root)
import glob, json, sys
res = []
for f in sorted(glob.glob("examples/fhir/*.json")):
    if f.endswith(".profile.json"):
        continue
    doc = json.load(open(f))
    entries = doc if isinstance(doc, list) else [e.get("resource", {}) for e in doc.get("entry", [])]
    for r in entries:
        if r.get("resourceType") in ("Condition", "MedicationRequest", "MedicationStatement",
                                     "Observation"):
            res.append(r)
patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1961-07-02"}
picked = [dict(res[i % len(res)]) for i in range(29)]
for i, r in enumerate(picked):
    r["id"] = "r%d" % i
    r["subject"] = {"reference": "Patient/p1"}
def bundle(t):
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in picked if r["resourceType"] == t]}
pre = {"patient": patient, "conditions": bundle("Condition"),
       "medicationRequests": bundle("MedicationRequest"),
       "medicationStatements": bundle("MedicationStatement"), "observations": bundle("Observation")}
body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "p1"}, "prefetch": pre}
assert 1 + sum(len(b["entry"]) for k, b in pre.items() if k != "patient") == 30
json.dump(body, open(sys.argv[1], "w"))
