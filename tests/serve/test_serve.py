#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The CDS Hooks service (mgadvise serve) started on a loopback port: discovery, patient-view
and order-select with prefetch built from examples/fhir, every card checked against the CDS
Hooks 2.0 response rules, bad requests, oversized bodies, a slow client, and a clean stop on
SIGTERM, and the prefetch a request lacks fetched from a FHIR server on loopback (one that
answers, one that is down, slow, refuses the token, fails, or answers too much). Usage:
test_serve.py build/mgadvise"""
import http.client
import http.server
import base64
import hashlib
import hmac
import json
import os
import tempfile
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

MG = sys.argv[1] if len(sys.argv) > 1 else "build/mgadvise"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAILS = []
CHECKS = [0]


def check(ok, what):
    CHECKS[0] += 1
    if not ok:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr)


def start(*extra):
    p = subprocess.Popen([MG, "serve", "--port", "0", "--bind", "127.0.0.1", *extra],
                         stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    lines = []
    while time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", line)
        if m:
            return p, int(m.group(1)), lines
    p.kill()
    raise SystemExit("mgadvise serve did not start: " + "".join(lines))


def request(port, method, path, body=None, ctype="application/json", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    h = dict(headers or {})
    if body is not None and ctype:
        h["Content-Type"] = ctype
    if isinstance(body, str):
        body = body.encode()
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    return r.status, r.getheader("Content-Type"), doc


def raw(port, head, body):
    """Sends head and as much of body as the server takes; returns what it answers."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        s.sendall(head.encode())
        try:
            s.sendall(body)
        except OSError:
            pass  # the server answered and closed before reading it all
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            data += b
        return data
    finally:
        s.close()


def prefetch_of(example):
    """The prefetch an EHR sends for the discovery templates, from an example Bundle."""
    with open(os.path.join(ROOT, "examples", "fhir", example)) as f:
        bundle = json.load(f)
    res = [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
    def search(t):
        return {"resourceType": "Bundle", "type": "searchset",
                "entry": [{"resource": r} for r in res if r["resourceType"] == t]}
    pre = {"patient": next(r for r in res if r["resourceType"] == "Patient"),
           "conditions": search("Condition"), "medicationRequests": search("MedicationRequest"),
           "medicationStatements": search("MedicationStatement"),
           "observations": search("Observation")}
    return pre, pre["patient"].get("id", "p1")


def hook_request(hook, pid, prefetch, **ctx):
    context = {"userId": "Practitioner/example", "patientId": pid}
    context.update(ctx)
    body = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return json.dumps(body)


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def valid_cards(doc, what):
    """Every card against the CDS Hooks 2.0 response rules."""
    check(isinstance(doc, dict) and isinstance(doc.get("cards"), list), what + ": cards array")
    if not isinstance(doc, dict) or not isinstance(doc.get("cards"), list):
        return []
    seen = set()
    for i, c in enumerate(doc["cards"]):
        w = "%s: card %d" % (what, i)
        check(isinstance(c.get("uuid"), str) and UUID.match(c["uuid"]), w + ": uuid")
        check(c.get("uuid") not in seen, w + ": uuid unique")
        seen.add(c.get("uuid"))
        s = c.get("summary")
        check(isinstance(s, str) and 0 < len(s) < 140, w + ": summary under 140 characters")
        check(c.get("indicator") in ("info", "warning", "critical"), w + ": indicator")
        check(c.get("detail") is None or isinstance(c["detail"], str), w + ": detail markdown")
        src = c.get("source")
        check(isinstance(src, dict) and isinstance(src.get("label"), str) and src["label"],
              w + ": source.label")
        if isinstance(src, dict) and "url" in src:
            check(isinstance(src["url"], str) and src["url"].startswith("http"), w + ": source.url")
        if isinstance(src, dict) and "topic" in src:
            check(isinstance(src["topic"].get("code"), str), w + ": source.topic.code")
        for ln in c.get("links", []):
            check(isinstance(ln.get("label"), str) and isinstance(ln.get("url"), str) and
                  ln.get("type") in ("absolute", "smart"), w + ": link")
    return doc["cards"]


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_to_raw(der, n=48):
    """An ECDSA signature from openssl (DER SEQUENCE of two INTEGERs) as JWS wants it: r||s."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        ln = der[i + 1]
        v = der[i + 2:i + 2 + ln].lstrip(b"\0")
        out += v.rjust(n, b"\0")
        i += 2 + ln
    return out


def make_jwt(alg, key, claims, secret=None):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signing = (head + "." + body).encode()
    if alg.startswith("HS"):
        sig = hmac.new(secret, signing, hashlib.sha384).digest()
    else:
        sig = subprocess.run(["openssl", "dgst", "-sha384", "-sign", key], input=signing,
                             capture_output=True, check=True).stdout
        if alg.startswith("ES"):
            sig = der_to_raw(sig)
    return head + "." + body + "." + b64(sig)


def jwt_cases():
    """--auth: tokens accepted and refused (401), keys made with openssl."""
    tmp = tempfile.mkdtemp()
    def run(*a):
        subprocess.run(["openssl", *a], capture_output=True, check=True)
    rsa, ec, other = (os.path.join(tmp, n) for n in ("rsa.pem", "ec.pem", "other.pem"))
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa)
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other)
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", ec)
    run("pkey", "-in", rsa, "-pubout", "-out", os.path.join(tmp, "rsa.pub"))
    run("pkey", "-in", ec, "-pubout", "-out", os.path.join(tmp, "ec.pub"))
    base = "http://127.0.0.1/cds-services"  # the discovery URL: each service's is under it
    aud = base + "/mgadvise-patient-view"
    conf = os.path.join(tmp, "auth.json")
    with open(conf, "w") as f:
        json.dump({"audience": base, "issuers": [
            {"iss": "https://ehr.example", "public_key": "rsa.pub"},
            {"iss": "https://ec.example", "public_key": "ec.pub"}]}, f)
    p = subprocess.run([MG, "serve", "--auth", os.path.join(tmp, "none.json")],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 3 and "none.json" in p.stderr, "--auth: a missing file is named")
    empty = os.path.join(tmp, "empty-aud.json")
    with open(empty, "w") as f:
        json.dump({"audience": "", "issuers": [{"iss": "https://ehr.example",
                                               "public_key": "rsa.pub"}]}, f)
    p = subprocess.run([MG, "serve", "--auth", empty], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode != 0 and "\"audience\" (the discovery URL) is missing or empty" in p.stderr,
          "--auth: an empty audience is refused (%d %r)" % (p.returncode, p.stderr))
    proc, port, lines = start("--auth", conf)
    check(not any("WARNING" in l for l in lines), "no warning with --auth")
    now = int(time.time())
    def claims(**kw):
        c = {"iss": "https://ehr.example", "aud": aud, "exp": now + 300, "iat": now,
             "jti": os.urandom(8).hex(), "sub": "client"}
        c.update(kw)
        return {k: v for k, v in c.items() if v is not None}
    pre, pid = prefetch_of("healthy-sleep.json")
    body = hook_request("patient-view", pid, pre)
    svc = "/cds-services/mgadvise-patient-view"
    def call(token):
        h = {"Authorization": "Bearer " + token} if token is not None else {}
        return request(port, "POST", svc, body, headers=h)
    try:
        good = make_jwt("RS384", rsa, claims())
        st, ct, doc = call(good)
        check(st == 200 and "cards" in doc, "RS384 token accepted (%d %r)" % (st, doc))
        st, ct, doc = call(good)
        check(st == 401 and "jti" in doc["message"], "replayed jti refused")
        st, ct, doc = call(make_jwt("ES384", ec, claims(iss="https://ec.example")))
        check(st == 200, "ES384 token accepted (%d %r)" % (st, doc))
        st, ct, doc = call(make_jwt("ES384", ec, claims(aud=[aud, "other"], iss="https://ec.example")))
        check(st == 200, "aud as an array accepted")
        st, ct, doc = call(make_jwt("RS384", rsa, claims(aud=base)))
        check(st == 200, "aud the discovery URL accepted (%d %r)" % (st, doc))
        # each service is called with a token for its own URL (CDS Hooks: aud is the
        # service's endpoint as discovery lists it), feedback with the service's too
        order = json.dumps(json.loads(hook_request("order-select", pid, pre, selections=[],
                                                   draftOrders={"resourceType": "Bundle",
                                                                "type": "collection",
                                                                "entry": []})))
        st, ct, doc = request(port, "POST", "/cds-services/mgadvise-order-select", order,
                              headers={"Authorization": "Bearer " + make_jwt(
                                  "RS384", rsa, claims(aud=base + "/mgadvise-order-select"))})
        check(st == 200, "order-select with its own URL as aud (%d %r)" % (st, doc))
        fb = json.dumps({"feedback": [{"card": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                                       "outcome": "accepted",
                                       "outcomeTimestamp": "2026-06-01T10:00:00Z"}]})
        for a in (aud, aud + "/feedback"):
            st, ct, doc = request(port, "POST", svc + "/feedback", fb, headers={
                "Authorization": "Bearer " + make_jwt("RS384", rsa, claims(aud=a))})
            check(st == 200, "feedback with aud %s (%d %r)" % (a, st, doc))
        refused = [
            (make_jwt("RS384", rsa, claims(aud=base + "/mgadvise-order-select")), "aud"),
            (make_jwt("RS384", rsa, claims(aud=aud + "-x")), "aud"),
            (make_jwt("RS384", rsa, claims(aud=aud + "/feedback")), "aud"),
            (make_jwt("RS384", rsa, claims(aud="http://127.0.0.1/cds-servicesx/mgadvise-patient-view")),
             "aud"),
            (None, "missing"),
            ("not.a.jwt", "not a JWT"),
            (make_jwt("RS384", rsa, claims(aud="https://elsewhere")), "aud"),
            (make_jwt("RS384", rsa, claims(exp=now - 600)), "expired"),
            (make_jwt("RS384", rsa, claims(exp=now + 7200)), "more than 3600 s ahead"),
            (make_jwt("RS384", rsa, claims(exp=None)), "exp"),
            (make_jwt("RS384", rsa, claims(iat=now + 3600)), "iat"),
            (make_jwt("RS384", rsa, claims(jti=None)), "jti"),
            (make_jwt("RS384", rsa, claims(iss="https://evil.example")), "not trusted"),
            (make_jwt("RS384", other, claims()), "signature"),
            (make_jwt("HS384", None, claims(), secret=open(os.path.join(tmp, "rsa.pub"), "rb").read()),
             ""),
        ]
        for token, word in refused:
            st, ct, doc = call(token)
            check(st == 401 and isinstance(doc, dict) and word in doc.get("message", ""),
                  "token refused: %r -> %d %r" % (word, st, doc))
        st, ct, doc = request(port, "GET", "/cds-services")
        check(st == 200, "discovery needs no token")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=20)
        rest = proc.stderr.read()
    check(rc == 0, "--auth server: clean exit")
    check("401 for mgadvise-patient-view: the JWT's \"jti\" was used before" in rest,
          "401s logged with the reason")
    check("Sanitizer" not in rest, "--auth server: no sanitizer report: " + rest[-2000:])


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -1
    return rc, proc.stderr.read()


def read_log(path):
    """The decision log's lines, each parsed (a line that does not parse fails)."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except ValueError:
                check(False, "%s:%d: not JSON: %r" % (path, n, line[:200]))
    return out


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def decision_log_cases(tmp):
    """--decision-log: a line per hook and feedback call, parsed and checked; patient ids
    as HMAC-SHA-256 under --log-id-key (recomputed here), never plain; rotation."""
    log = os.path.join(tmp, "decisions.jsonl")
    key = os.path.join(tmp, "id.key")
    with open(key, "wb") as f:
        f.write(b"0123456789abcdef-a-test-key")
    proc, port, lines = start("--insecure-no-auth", "--decision-log", log, "--log-id-key", key)
    check(not any("random key" in l for l in lines), "no random-key note with --log-id-key")
    pre, pid = prefetch_of("ckd-diuretics.json")
    svc = "/cds-services/mgadvise-patient-view"
    try:
        st, _, doc = request(port, "POST", svc, hook_request("patient-view", pid, pre))
        st2, _, _ = request(port, "POST", svc, "{}")
        st3, _, _ = request(port, "POST", svc + "/feedback", json.dumps({"feedback": [
            {"card": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "outcome": "overridden",
             "outcomeTimestamp": "2026-06-01T10:00:00Z"},
            {"card": "5b7146de-492d-4bc9-9369-cf575391b38d", "outcome": "overridden",
             "outcomeTimestamp": "2026-06-01T10:00:05Z", "overrideReason": {
                 "reason": {"system": "http://example.org/override", "code": "no-supplement",
                            "display": "Patient takes no supplement"},
                 "userComment": "asked today"}}]}))
        st4, _, _ = request(port, "POST", svc, "{}", ctype="text/plain")
        # feedback nested far deeper than any request: refused, logged, no crash
        st5, _, deep = request(port, "POST", svc + "/feedback",
                               '{"feedback":' + "[" * 300000 + "]" * 300000 + "}")
        _, _, health = request(port, "GET", "/healthz")
    finally:
        rc, rest = stop(proc)
    check(rc == 0, "decision log server: clean exit: " + rest[-2000:])
    check(st3 == 200 and st5 == 400 and "deeper than 64 levels" in deep.get("message", ""),
          "deep feedback: 400 (%r %r)" % (st5, deep))
    recs = read_log(log)
    check(len(recs) == 5, "decision log: one line per call (%d)" % len(recs))
    if len(recs) != 5:
        return
    hook, bad, fb, early, deep_fb = recs
    check(deep_fb.get("event") == "feedback" and deep_fb.get("status") == 400 and
          deep_fb.get("feedback") == [], "log: refused feedback, no entries")
    for r in recs:
        check(RFC3339.match(r.get("time", "")) is not None, "log time RFC 3339: %r" % r.get("time"))
        check(isinstance(r.get("latency_ms"), (int, float)) and r["latency_ms"] >= 0, "log latency")
        check(r.get("service") == "mgadvise-patient-view", "log service")
    check(hook.get("event") == "hook" and hook.get("hook") == "patient-view", "log hook")
    check(hook.get("hookInstance") == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "log hookInstance")
    check(hook.get("status") == 200 and bad.get("status") == 400 and early.get("status") == 415,
          "log statuses")
    check(hook.get("ruleset", {}).get("hash") == health.get("hash") and
          hook["ruleset"].get("name") == "mgadvise magnesium guidance", "log rule set name and hash")
    check("s1_kidney_disease_avoid_supplements" in hook.get("rules", []), "log: the rules fired")
    want = [{"uuid": c["uuid"], "indicator": c["indicator"], "summary": c["summary"]}
            for c in doc["cards"]]
    check(hook.get("cards") == want, "log: the cards returned (uuid, indicator, summary)")
    mac = hmac.new(open(key, "rb").read(), pid.encode(), hashlib.sha256).hexdigest()
    check(hook.get("patient") == "hmac-sha256:" + mac, "log: patient id as HMAC-SHA-256")
    check(fb.get("event") == "feedback" and fb.get("feedback") == [
        {"card": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "outcome": "overridden",
         "outcomeTimestamp": "2026-06-01T10:00:00Z"},
        {"card": "5b7146de-492d-4bc9-9369-cf575391b38d", "outcome": "overridden",
         "outcomeTimestamp": "2026-06-01T10:00:05Z", "overrideReason": {
             "reason": {"system": "http://example.org/override", "code": "no-supplement",
                        "display": "Patient takes no supplement"},
             "userComment": "asked today"}}] and fb.get("status") == 200,
          "log feedback, with the override reason (%r)" % fb.get("feedback"))
    check(pid not in open(log).read(), "log: no plain patient id")

    # without a key: a random one, said on stderr; --log-plain-ids writes the id itself
    log2 = os.path.join(tmp, "plain.jsonl")
    proc, port, lines = start("--insecure-no-auth", "--decision-log", log2, "--log-plain-ids")
    try:
        request(port, "POST", svc, hook_request("patient-view", pid, pre))
    finally:
        stop(proc)
    recs = read_log(log2)
    check(len(recs) == 1 and recs[0].get("patient") == pid, "log: --log-plain-ids")
    log3 = os.path.join(tmp, "random.jsonl")
    proc, port, lines = start("--insecure-no-auth", "--decision-log", log3)
    check(any("random key" in l for l in lines), "log: the random key is said")
    try:
        request(port, "POST", svc, hook_request("patient-view", pid, pre))
    finally:
        stop(proc)
    recs = read_log(log3)
    check(len(recs) == 1 and recs[0].get("patient", "").startswith("hmac-sha256:") and
          recs[0]["patient"] != "hmac-sha256:" + mac and pid not in open(log3).read(),
          "log: a random key per run")

    # rotation: files never pass --log-max-bytes (a line is shorter), FILE.1 .. FILE.K kept
    log4 = os.path.join(tmp, "rot.jsonl")
    proc, port, _ = start("--insecure-no-auth", "--decision-log", log4, "--log-max-bytes", "4000",
                          "--log-keep", "2")
    try:
        for _ in range(12):
            request(port, "POST", svc, hook_request("patient-view", pid, pre))
    finally:
        stop(proc)
    files = sorted(f for f in os.listdir(tmp) if f.startswith("rot.jsonl"))
    check(files == ["rot.jsonl", "rot.jsonl.1", "rot.jsonl.2"], "rotation keeps 2: %r" % files)
    for f in files:
        check(os.path.getsize(os.path.join(tmp, f)) <= 4000, "rotated file within the limit")
        check(all(r.get("event") == "hook" for r in read_log(os.path.join(tmp, f))), "rotated lines")

    # a log that cannot be written (a full disk): the requests are answered, the error is
    # said once on stderr
    if os.path.exists("/dev/full"):
        proc, port, _ = start("--insecure-no-auth", "--decision-log", "/dev/full")
        try:
            sts = [request(port, "POST", svc, hook_request("patient-view", pid, pre))[0]
                   for _ in range(3)]
        finally:
            rc, rest = stop(proc)
        check(sts == [200, 200, 200], "a failing decision log fails no request: %r" % sts)
        check(rest.count("cannot write") == 1 and "/dev/full" in rest,
              "a failing decision log is said once: " + rest[-1000:])

    # a FIFO as the log: with no reader, an error at start (never a service held before
    # it listens); with one, its lines go through and it is never rotated (renamed)
    fifo = os.path.join(tmp, "log.fifo")
    os.mkfifo(fifo)
    p = subprocess.run([MG, "serve", "--insecure-no-auth", "--port", "0", "--decision-log", fifo],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 3 and "a FIFO with no reader" in p.stderr,
          "a FIFO log without a reader: exit %d %s" % (p.returncode, p.stderr))
    got = []
    rd = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    rd.start()
    proc, port, _ = start("--insecure-no-auth", "--decision-log", fifo, "--log-max-bytes", "10")
    try:
        sts = [request(port, "POST", svc, hook_request("patient-view", pid, pre))[0]
               for _ in range(3)]
    finally:
        stop(proc)
    rd.join(30)
    check(sts == [200, 200, 200] and not os.path.exists(fifo + ".1") and
          os.path.exists(fifo) and not os.path.isfile(fifo) and
          got and got[0].count(b'"event":"hook"') == 3,
          "a FIFO log is written, never rotated: %r %r" % (sts, os.listdir(tmp)))

    # option errors
    for args, word in ((["--log-plain-ids"], "--decision-log"),
                       (["--log-max-bytes", "10"], "--decision-log"),
                       (["--log-keep", "2"], "--decision-log"),
                       (["--decision-log", log, "--log-id-key", os.path.join(tmp, "none")], "none"),
                       (["--decision-log", os.path.join(tmp, "no", "dir.jsonl")], "dir.jsonl"),
                       (["--decision-log", log, "--log-keep", "x"], "--log-keep")):
        p = subprocess.run([MG, "serve", "--insecure-no-auth", "--port", "0", *args],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode in (2, 3) and word in p.stderr, "log option error %r: %s" % (args, p.stderr))


def wait_for(what, cond, seconds=30):
    """Polls cond until it holds (bounded): a reload is asynchronous."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    check(False, "timed out waiting for " + what)
    return False


def reload_cases(tmp):
    """SIGHUP under concurrent requests: a changed rule file is served (new hash); a broken
    one is refused (old hash kept, diagnostics in the decision log) and the service answers
    on; no request fails meanwhile."""
    rules = os.path.join(tmp, "rules.mga")
    log = os.path.join(tmp, "reload.jsonl")
    text = open(os.path.join(ROOT, "tests/serve/linked.mga")).read()
    with open(rules, "w") as f:
        f.write(text)
    proc, port, _ = start("--insecure-no-auth", "-r", rules, "--decision-log", log, "-j", "4")
    pre, pid = prefetch_of("ckd-diuretics.json")
    body = hook_request("patient-view", pid, pre)
    stop_flag = threading.Event()
    results = []

    def client():
        # bounded: at most 2000 requests each, ended by the flag
        for _ in range(2000):
            if stop_flag.is_set():
                return
            try:
                st, _, doc = request(port, "POST", "/cds-services/mgadvise-patient-view", body)
                results.append((st, len(doc.get("cards", [])) if doc else -1))
            except OSError as e:
                results.append((str(e), -1))

    threads = [threading.Thread(target=client) for _ in range(4)]
    try:
        _, _, h0 = request(port, "GET", "/healthz")
        for t in threads:
            t.start()
        with open(rules, "a") as f:
            f.write("# a change\n")
        proc.send_signal(signal.SIGHUP)
        h1 = {}
        def changed():
            nonlocal h1
            _, _, h1 = request(port, "GET", "/healthz")
            return h1.get("hash") != h0.get("hash")
        wait_for("the new hash", changed)
        with open(rules, "w") as f:
            f.write(text + "\nrule broken\n  when nonsense\n")
        proc.send_signal(signal.SIGHUP)
        def refused():
            try:
                return any(r.get("event") == "reload" and not r.get("ok")
                           for r in read_log(log))
            except OSError:
                return False
        wait_for("the refused reload", refused)
        _, _, h2 = request(port, "GET", "/healthz")
        st, _, doc = request(port, "POST", "/cds-services/mgadvise-patient-view", body)
        stop_flag.set()
        for t in threads:
            t.join()
    finally:
        stop_flag.set()
        rc, rest = stop(proc)
    check(h1.get("hash") and h1["hash"] != h0.get("hash"), "reload: a new hash is served")
    check(h2.get("hash") == h1.get("hash"), "reload with errors: the old hash kept")
    check(st == 200 and len(doc.get("cards", [])) == 2, "reload with errors: still answering")
    check(results and all(r == (200, 2) for r in results),
          "no request failed during the reloads (%d, %r)" %
          (len(results), [r for r in results if r != (200, 2)][:3]))
    check("reloaded: serving rules %s" % h1.get("hash") in rest, "reload said on stderr")
    check("reload failed" in rest and "error" in rest, "the reload's diagnostics on stderr")
    recs = [r for r in read_log(log) if r.get("event") == "reload"]
    check(len(recs) == 2 and recs[0].get("ok") is True and
          recs[0].get("ruleset", {}).get("hash") == h1.get("hash"), "log: the reload")
    bad = recs[1] if len(recs) == 2 else {}
    check(bad.get("ok") is False and bad.get("ruleset", {}).get("hash") == h1.get("hash") and
          any(d.get("severity") == "error" and d.get("file", "").endswith("rules.mga") and
              d.get("line") for d in bad.get("diagnostics", [])),
          "log: the failed reload and its diagnostics: %r" % bad)
    hashes = {r["ruleset"]["hash"] for r in read_log(log) if r.get("event") == "hook"}
    check(hashes == {h0.get("hash"), h1.get("hash")} or hashes == {h1.get("hash")},
          "log: hook lines name the rule set that answered: %r" % hashes)
    check(rc == 0 and "Sanitizer" not in rest, "reload server: clean exit: " + rest[-2000:])


def header_cases():
    """--max-header: a head past the limit gets a 431 JSON error; one far past it (more than
    the connection's memory) libmicrohttpd's own 431; the service answers on."""
    proc, port, _ = start("--insecure-no-auth", "--max-header", "4096")
    try:
        ok = raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n" % ("a" * 3000), b"")
        check(ok.startswith(b"HTTP/1.1 200"), "a head within --max-header")
        big = raw(port, "POST /cds-services/mgadvise-patient-view HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/json\r\nX-Pad: %s\r\n\r\n" % ("a" * 5000), b"")
        head, _, body = big.partition(b"\r\n\r\n")
        check(head.startswith(b"HTTP/1.1 431") and b"application/json" in head and
              json.loads(body or b"{}").get("error") == "header_too_large" and
              b"at most 4096" in body, "a head past --max-header: 431 JSON: %r" % big[:300])
        huge = raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n" % ("a" * 100000), b"")
        check(huge.startswith(b"HTTP/1.1 431"), "a head far past --max-header: 431")
        st, _, doc = request(port, "GET", "/healthz")
        check(st == 200, "answers after oversized heads")
    finally:
        rc, rest = stop(proc)
    check(rc == 0 and "Sanitizer" not in rest, "max-header server: clean exit: " + rest[-2000:])
    p = subprocess.run([MG, "serve", "--insecure-no-auth", "--max-header", "12"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "--max-header '12'" in p.stderr, "--max-header out of range")


def tls_cases(tmp):
    """--tls-cert/--tls-key: HTTPS with a self-signed certificate made here, the client
    verifying it (and refusing it without the certificate as trust anchor)."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    mk = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                         "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                        capture_output=True, text=True, timeout=60)
    check(mk.returncode == 0, "openssl made a certificate: " + mk.stderr)
    if mk.returncode:
        return
    proc, port, lines = start("--insecure-no-auth", "--tls-cert", cert, "--tls-key", key)
    check(any("listening on https://" in l for l in lines), "TLS: https in the address")
    try:
        ctx = ssl.create_default_context(cafile=cert)
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=ctx)
        pre, pid = prefetch_of("ckd-diuretics.json")
        c.request("POST", "/cds-services/mgadvise-patient-view",
                  body=hook_request("patient-view", pid, pre),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        doc = json.loads(r.read())
        check(r.status == 200 and valid_cards(doc, "tls"), "TLS: cards over HTTPS, verified")
        check(c.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS version %s" % c.sock.version())
        c.close()
        refused = False
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=20,
                                            context=ssl.create_default_context())
            c.request("GET", "/healthz")
            c.getresponse().read()
        except ssl.SSLCertVerificationError:
            refused = True
        check(refused, "TLS: an unknown certificate is refused by a verifying client")
        plain = raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"")
        check(not plain.startswith(b"HTTP/1.1 200"), "TLS: plain HTTP is not answered")
    finally:
        rc, rest = stop(proc)
    check(rc == 0 and "Sanitizer" not in rest, "TLS server: clean exit: " + rest[-2000:])
    enc = os.path.join(tmp, "enc.pem")
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", key, "-out", enc, "-passout", "pass:x"],
                   capture_output=True, timeout=60)
    for args, word in ((["--tls-cert", cert], "go together"),
                       (["--tls-cert", cert, "--tls-key", enc], "the private key is encrypted"),
                       (["--tls-cert", cert, "--tls-key", os.path.join(tmp, "none.pem")], "none.pem"),
                       (["--tls-cert", os.path.join(ROOT, "README.md"), "--tls-key", key], "not a PEM"),
                       (["--tls-cert", key, "--tls-key", key], "no certificate in it"),
                       (["--tls-cert", cert, "--tls-key", cert], "no private key in it"),
                       (["--tls-cert", tmp, "--tls-key", key], "Is a directory")):
        p = subprocess.run([MG, "serve", "--insecure-no-auth", "--port", "0", *args],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode in (2, 3) and word in p.stderr, "TLS option error %r: %s" % (args, p.stderr))


TOKEN = "fhir-token-123"


class FhirServer(http.server.ThreadingHTTPServer):
    """A tiny FHIR server on loopback: /fhir serves the resources of an example bundle
    (Patient reads; Condition, MedicationRequest, MedicationStatement and Observation
    searches by patient, the conditions in pages of one through link next) to the Bearer
    TOKEN only; /slow answers after 7 s, /fail with 500, /big with 20 MiB, /redirect with
    a 302."""
    daemon_threads = True

    def __init__(self, resources):
        self.resources = resources
        self.seen = []
        super().__init__(("127.0.0.1", 0), FhirHandler)

    def base(self, mode="fhir"):
        return "http://127.0.0.1:%d/%s" % (self.server_address[1], mode)


class FhirHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, status, doc=None, body=None, headers=None):
        data = body if body is not None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass  # the service hung up: its limit was reached

    def do_GET(self):
        srv = self.server
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        q = urllib.parse.parse_qs(u.query)
        srv.seen.append(self.path)
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.send(401, {"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "login"}]})
        mode = parts[0]
        if mode == "slow":
            time.sleep(7)
        elif mode == "fail":
            return self.send(500, {"resourceType": "OperationOutcome"})
        elif mode == "big":
            return self.send(200, body=b'{"resourceType":"Bundle","entry":[' + b" " * (20 << 20) + b"]}")
        elif mode == "redirect":
            return self.send(302, {}, headers={"Location": "http://127.0.0.1:9/fhir/x"})
        res, rtype = srv.resources, parts[1] if len(parts) > 1 else ""
        if len(parts) == 3 and rtype == "Patient":
            pat = next((r for r in res if r["resourceType"] == "Patient" and r.get("id") == parts[2]), None)
            return self.send(200, pat) if pat else self.send(404, {"resourceType": "OperationOutcome"})
        pid = q.get("patient", [""])[0]
        hits = [r for r in res if r["resourceType"] == rtype and pid]
        if rtype == "Observation":
            codes = q.get("code", [""])[0].split(",")
            hits = [r for r in hits if any("%s|%s" % (c.get("system"), c.get("code")) in codes
                                           for c in r["code"]["coding"])]
        page = int(q.get("page", ["0"])[0])
        size = 1 if rtype == "Condition" else 100
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(hits),
                  "entry": [{"resource": r} for r in hits[page * size:(page + 1) * size]]}
        if (page + 1) * size < len(hits):
            nq = dict((k, v[0]) for k, v in q.items())
            nq["page"] = str(page + 1)
            bundle["link"] = [{"relation": "next", "url": srv.base(mode) + "/" + rtype + "?" +
                               urllib.parse.urlencode(nq)}]
        self.send(200, bundle)


def fetch_cases():
    """Hooks without prefetch, fetched from the FHIR server, get the cards the same hooks
    with prefetch get; a FHIR server that cannot give them gets 412 naming why, quickly."""
    with open(os.path.join(ROOT, "examples", "fhir", "ckd-diuretics.json")) as f:
        bundle = json.load(f)
    fhir = FhirServer([e["resource"] for e in bundle["entry"]])
    threading.Thread(target=fhir.serve_forever, daemon=True).start()
    proc, port, lines = start("--insecure-no-auth", "--fhir-allow-http", "--fhir-timeout", "4")
    check(any("WARNING" in l and "--fhir-allow-http" in l for l in lines), "fetch: loud warning")
    svc = "/cds-services/mgadvise-patient-view"
    auth = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
            "scope": "patient/*.read", "subject": "mgadvise"}

    def cards_of(doc):
        return [(c["summary"], c["indicator"], c["detail"]) for c in doc.get("cards", [])]

    def hook(pre, server=None, authz=auth, **ctx):
        body = json.loads(hook_request("patient-view", pid, pre, **ctx))
        if server:
            body["fhirServer"] = server
        if authz is not None:
            body["fhirAuthorization"] = authz
        return json.dumps(body)

    try:
        pre, pid = prefetch_of("ckd-diuretics.json")
        st, _, want = request(port, "POST", svc, hook_request("patient-view", pid, pre))
        check(st == 200 and len(want["cards"]) >= 2, "fetch: the cards with prefetch")
        st, _, got = request(port, "POST", svc, hook(None, fhir.base()))
        check(st == 200 and cards_of(got) == cards_of(want),
              "fetch: no prefetch, fetched: the same cards (%d %r)" % (st, got if st != 200 else ""))
        check(any("page=1" in s for s in fhir.seen), "fetch: the conditions' next page was fetched")
        check(any(s.startswith("/fhir/Observation?patient=") and "1989-3" in urllib.parse.unquote(s)
                  for s in fhir.seen), "fetch: the observation query from the template")
        # a part of the prefetch given: only the rest is fetched
        fhir.seen.clear()
        part = {"patient": pre["patient"], "medicationRequests": pre["medicationRequests"]}
        st, _, got = request(port, "POST", svc, hook(part, fhir.base() + "/"))
        check(st == 200 and cards_of(got) == cards_of(want), "fetch: part given, the rest fetched")
        check(not any("/Patient/" in s or "MedicationRequest" in s for s in fhir.seen),
              "fetch: what was given is not fetched (%r)" % fhir.seen)
        # order-select without prefetch: the safety cards
        draft = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
            "resourceType": "MedicationRequest", "id": "draft1", "status": "draft",
            "intent": "proposal", "subject": {"reference": "Patient/" + pid},
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                      "code": "A12CC02"}]}}}]}
        body = json.loads(hook_request("order-select", pid, None, draftOrders=draft,
                                       selections=["MedicationRequest/draft1"]))
        body.update(fhirServer=fhir.base(), fhirAuthorization=auth)
        st, _, doc = request(port, "POST", "/cds-services/mgadvise-order-select", json.dumps(body))
        check(st == 200 and any(c["indicator"] == "critical" for c in doc.get("cards", [])),
              "fetch: order-select without prefetch gets the safety cards")

        def refused(what, body, status, word, within=15):
            t0 = time.time()
            st, _, doc = request(port, "POST", svc, body)
            took = time.time() - t0
            ok = st == status and isinstance(doc, dict) and word in doc.get("message", "")
            if os.environ.get("SERVE_VERBOSE"):
                print("%s: %d %.2f s %s" % (what, st, took, doc.get("message")))
            check(ok, "fetch: %s -> %d (want %d) %r" % (what, st, status, doc))
            check(took < within, "fetch: %s answered in %.1f s" % (what, took))
            check(TOKEN not in json.dumps(doc), "fetch: %s: the token is not echoed" % what)

        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        down = "http://127.0.0.1:%d/fhir" % free.getsockname()[1]
        free.close()
        refused("server down", hook(None, down), 412, "'patient'")
        refused("wrong token", hook(None, fhir.base(), dict(auth, access_token="nope")), 412,
                "HTTP 401")
        refused("server error", hook(None, fhir.base("fail")), 412, "HTTP 500")
        refused("too much", hook(None, fhir.base("big")), 412, "larger than 16777216 bytes")
        refused("redirect", hook(None, fhir.base("redirect")), 412, "redirect (not followed)")
        refused("unknown patient", hook(None, fhir.base(), patientId="nobody"), 412, "HTTP 404")
        refused("not bearer", hook(None, fhir.base(), dict(auth, token_type="MAC")), 412, "Bearer")
        refused("no authorization", hook(None, fhir.base(), None), 412, "fhirAuthorization")
        refused("a token that would end the header", hook(None, fhir.base(),
                dict(auth, access_token="a\r\nX-Evil: 1")), 412, "bearer token")
        refused("a patient id that is no FHIR id", hook(None, fhir.base(), patientId="p1&x=1"),
                400, "context.patientId")
        for pid_bad in ("../metadata", "./p1", "p1/..", "Patient//p1", "/p1"):
            refused("a patient id that leaves its path: " + pid_bad,
                    hook(None, fhir.base(), patientId=pid_bad), 400, "context.patientId")
        refused("not a URL", hook(None, "no url"), 412, "fhirServer")
        # a slow FHIR server holds its request up to --fhir-timeout, not the service
        slow = {}
        t = threading.Thread(target=lambda: slow.update(r=request(port, "POST", svc,
                                                                  hook(None, fhir.base("slow")))))
        t.start()
        time.sleep(0.3)
        st, _, doc = request(port, "GET", "/healthz")
        check(st == 200, "fetch: answers while a FHIR server is slow")
        st, _, got = request(port, "POST", svc, hook(None, fhir.base()))
        check(st == 200 and cards_of(got) == cards_of(want), "fetch: other hooks answered meanwhile")
        t.join(30)
        st, _, doc = slow.get("r", (0, None, None))
        check(st == 412 and "within the 4 s limit" in (doc or {}).get("message", ""),
              "fetch: slow FHIR server -> 412 (%r)" % (doc,))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -1
        rest = proc.stderr.read()
        fhir.shutdown()
    check(rc == 0, "fetch: clean exit (%d): %s" % (rc, rest[-2000:]))
    check("Sanitizer" not in rest, "fetch: no sanitizer report: " + rest[-2000:])
    # without --fhir-allow-http, http FHIR servers are refused
    proc, port, _ = start("--insecure-no-auth")
    try:
        st, _, doc = request(port, "POST", svc, hook(None, fhir.base()))
        check(st == 412 and "only https" in doc.get("message", "") and
              "--fhir-allow-http" in doc.get("message", ""), "fetch: https only by default %r" % doc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def one_thread_cases():
    """With one request thread (-j 1), a request held up by a slow FHIR server holds that
    thread only: the HTTP thread still answers; SIGTERM lets the held request finish (its
    412) before the service stops, cleanly."""
    with open(os.path.join(ROOT, "examples", "fhir", "ckd-diuretics.json")) as f:
        bundle = json.load(f)
    fhir = FhirServer([e["resource"] for e in bundle["entry"]])
    threading.Thread(target=fhir.serve_forever, daemon=True).start()
    proc, port, _ = start("--insecure-no-auth", "--fhir-allow-http", "--fhir-timeout", "3",
                          "-j", "1")
    try:
        body = json.loads(hook_request("patient-view", "p1", None))
        body["fhirServer"] = fhir.base("slow")
        body["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer",
                                     "expires_in": 300, "scope": "patient/*.read",
                                     "subject": "mgadvise"}
        slow = {}
        t = threading.Thread(target=lambda: slow.update(r=request(
            port, "POST", "/cds-services/mgadvise-patient-view", json.dumps(body))))
        t.start()
        time.sleep(0.5)
        t0 = time.time()
        st, _, doc = request(port, "GET", "/healthz")
        check(st == 200 and time.time() - t0 < 1.5,
              "-j 1: healthz answered while the request thread waits on FHIR (%.1f s)"
              % (time.time() - t0))
        proc.send_signal(signal.SIGTERM)
        t.join(30)
        st, _, doc = slow.get("r", (0, None, None))
        check(st == 412 and "within the 3 s limit" in (doc or {}).get("message", ""),
              "-j 1: the request in flight at SIGTERM is answered (%r)" % (doc,))
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        rest = proc.stderr.read()
        fhir.shutdown()
    check(rc == 0, "-j 1: clean exit (%d): %s" % (rc, rest[-2000:]))
    check("Sanitizer" not in rest, "-j 1: no sanitizer report: " + rest[-2000:])


def main():
    # without --insecure-no-auth the service refuses to start, saying why
    p = subprocess.run([MG, "serve", "--port", "0"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "--insecure-no-auth" in p.stderr, "refuses to run without auth")

    proc, port, lines = start("--insecure-no-auth", "--timeout", "2", "--body-timeout", "3",
                              "--max-connections", "8")
    check(any("WARNING" in l and "NOT authenticated" in l for l in lines), "loud warning")
    try:
        st, ct, doc = request(port, "GET", "/healthz")
        check(st == 200 and doc.get("status") == "ok", "healthz")

        st, ct, doc = request(port, "GET", "/cds-services")
        check(st == 200 and ct.startswith("application/json"), "discovery status")
        svcs = {s["id"]: s for s in doc["services"]}
        pv = svcs.get("mgadvise-patient-view", {})
        check(pv.get("hook") == "patient-view", "patient-view service")
        check(svcs.get("mgadvise-order-select", {}).get("hook") == "order-select", "order-select")
        for s in doc["services"]:
            check(isinstance(s.get("description"), str) and s.get("id"), "service fields")
        pf = pv.get("prefetch", {})
        check(pf.get("patient") == "Patient/{{context.patientId}}", "prefetch patient")
        check(pf.get("conditions") == "Condition?patient={{context.patientId}}", "prefetch conditions")
        check(pf.get("medicationRequests", "").startswith("MedicationRequest?patient="), "prefetch meds")
        check("http://loinc.org|1989-3" in pf.get("observations", ""), "prefetch observation codes")

        # CKD stage 3 and a diuretic: a critical card, the summary card first
        pre, pid = prefetch_of("ckd-diuretics.json")
        st, ct, doc = request(port, "POST", "/cds-services/mgadvise-patient-view",
                              hook_request("patient-view", pid, pre))
        check(st == 200, "ckd patient-view status %d" % st)
        cards = valid_cards(doc, "ckd")
        check(any(c["indicator"] == "critical" for c in cards), "ckd: a critical card")
        check(cards and cards[0]["summary"].startswith("Magnesium supplements"), "ckd: summary first")
        check(cards and cards[0]["indicator"] == "critical", "ckd: summary card critical")
        check(2 <= len(cards) <= 10, "ckd: one card per act item, not every item (%d)" % len(cards))
        check(any(">" in (c.get("detail") or "") for c in cards[1:]), "ckd: quoted passages")
        check(all("links" not in c for c in cards), "ckd: no link without a document URL")
        # the same request again: the same cards, each with a uuid of its own
        st, ct, again = request(port, "POST", "/cds-services/mgadvise-patient-view",
                                hook_request("patient-view", pid, pre))
        cards2 = valid_cards(again, "ckd again")
        no_uuid = lambda cs: [{k: v for k, v in c.items() if k != "uuid"} for c in cs]
        check(st == 200 and no_uuid(cards2) == no_uuid(cards), "ckd again: the same cards")
        check(not {c["uuid"] for c in cards} & {c["uuid"] for c in cards2},
              "ckd again: no uuid of the first response again")

        # a healthy adult: no critical card
        pre, pid = prefetch_of("healthy-sleep.json")
        st, ct, doc = request(port, "POST", "/cds-services/mgadvise-patient-view",
                              hook_request("patient-view", pid, pre))
        check(st == 200, "healthy status %d" % st)
        cards = valid_cards(doc, "healthy")
        check(cards and all(c["indicator"] != "critical" for c in cards), "healthy: no critical card")

        # what the rules did not use of the prefetch (here an observation entered in error,
        # and resources of a type no rule reads): listed in the summary card, escaped, at most
        # 5 and a count; the advice is the advice without those resources
        st0, _, base = request(port, "POST", "/cds-services/mgadvise-patient-view",
                               hook_request("patient-view", pid, pre))
        check(st0 == 200 and "\n- Observation '62292\\-8' not used for this advice: its status is "
              "'entered\\-in\\-error', not final" in base["cards"][0]["detail"],
              "data notes: an observation entered in error (%r)" % base["cards"][0]["detail"][-300:])
        extra = dict(pre)
        extra["allergies"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": {"resourceType": "AllergyIntolerance", "id": "a%d" % i,
                          "code": {"text": "*old* [gout] %d" % i}}} for i in range(8)]}
        st, _, doc = request(port, "POST", "/cds-services/mgadvise-patient-view",
                             hook_request("patient-view", pid, extra))
        cards = valid_cards(doc, "data notes")
        detail = cards[0]["detail"] if cards else ""
        notes = detail.split("### About the data (not used for this advice)\n\n")[-1].split("\n\n")[0]
        check(st == 200 and "### About the data (not used for this advice)" in detail,
              "data notes: the heading")
        check(notes.count("- ") == 6 and notes.endswith("\n- and 4 more"),
              "data notes: 5 and a count (%r)" % notes)
        check("AllergyIntolerance '\\*old\\* \\[gout\\] 0' not used for this advice: no rule reads "
              "AllergyIntolerance resources" in notes, "data notes: markdown escaped (%r)" % notes)
        notes_re = re.compile(r"\n\n### About the data \(not used for this advice\)\n(\n- [^\n]*)*")
        strip = lambda d: [(c["summary"], c["indicator"], notes_re.sub("", c["detail"]))
                           for c in d["cards"]]
        check(strip(doc) == strip(base), "data notes: the same advice (%r %r)" % (strip(doc), strip(base)))

        # order-select: a draft magnesium order gets the safety cards; another order none
        pre, pid = prefetch_of("ckd-diuretics.json")
        def draft(system, code):
            return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
                "resourceType": "MedicationRequest", "id": "draft1", "status": "draft",
                "intent": "proposal", "subject": {"reference": "Patient/" + pid},
                "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]}}}]}
        st, ct, doc = request(port, "POST", "/cds-services/mgadvise-order-select",
                              hook_request("order-select", pid, pre, selections=["MedicationRequest/draft1"],
                                           draftOrders=draft("http://www.whocc.no/atc", "A12CC02")))
        cards = valid_cards(doc, "order magnesium")
        check(st == 200 and any(c["indicator"] == "critical" for c in cards), "order: critical card")
        check(all(c["indicator"] != "info" for c in cards[1:]), "order: safety cards only")
        # order-sign: the same safety cards when the order is signed (its context has no
        # selections)
        st, ct, sign = request(port, "POST", "/cds-services/mgadvise-order-sign",
                               hook_request("order-sign", pid, pre,
                                            draftOrders=draft("http://www.whocc.no/atc", "A12CC02")))
        signed = valid_cards(sign, "order-sign magnesium")
        no_uuid = lambda cs: [{k: v for k, v in c.items() if k != "uuid"} for c in cs]
        check(st == 200 and no_uuid(signed) == no_uuid(cards),
              "order-sign: the safety cards of order-select (%d %r)" % (st, sign))
        st, ct, doc = request(port, "POST", "/cds-services/mgadvise-order-select",
                              hook_request("order-select", pid, pre, selections=["MedicationRequest/draft1"],
                                           draftOrders=draft("http://www.whocc.no/atc", "C03CA01")))
        check(st == 200 and doc == {"cards": []}, "order of no magnesium: no cards")
        # a clinical drug sent with its ATC code: a magnesium laxative (A06AD19 magnesium
        # citrate) or antacid (A02AA04 magnesium hydroxide) is a magnesium product too
        def order(draft_orders):
            return request(port, "POST", "/cds-services/mgadvise-order-select",
                           hook_request("order-select", pid, pre, selections=["MedicationRequest/draft1"],
                                        draftOrders=draft_orders))
        def two(code):
            d = draft("http://www.nlm.nih.gov/research/umls/rxnorm", "0")
            d["entry"][0]["resource"]["medicationCodeableConcept"]["coding"].append(
                {"system": "http://www.whocc.no/atc", "code": code})
            return d
        for code in ("A06AD19", "A02AA04", "A06AD02", "A02AD02", "A02AD04"):
            st, ct, doc = order(two(code))
            cards = valid_cards(doc, "order " + code)
            check(st == 200 and any(c["indicator"] == "critical" for c in cards),
                  "order of a magnesium product by ATC %s beside RxNorm: safety cards" % code)
        # a laxative that is not magnesium (A06AD11 lactulose): no cards
        st, ct, doc = order(two("A06AD11"))
        check(st == 200 and doc == {"cards": []}, "order of lactulose: no cards")
        # the product in a contained Medication that medicationReference names
        mr = draft("x", "y")["entry"][0]["resource"]
        del mr["medicationCodeableConcept"]
        mr["medicationReference"] = {"reference": "#med1"}
        mr["contained"] = [{"resourceType": "Medication", "id": "med1", "code": {"coding": [
            {"system": "http://www.whocc.no/atc", "code": "A12CC04"}]}}]
        st, ct, doc = order({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": mr}]})
        check(st == 200 and any(c["indicator"] == "critical" for c in valid_cards(doc, "contained")),
              "order of a contained magnesium Medication: safety cards")
        mr["medicationReference"] = {"reference": "#other"}
        st, ct, doc = order({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": mr}]})
        check(st == 200 and doc == {"cards": []}, "a reference to another Medication: no cards")

        # bad requests: a 4xx and a JSON error naming what was wrong
        def bad(method, path, body, want, word, ctype="application/json"):
            st, ct, doc = request(port, method, path, body, ctype)
            ok = st == want and isinstance(doc, dict) and word in doc.get("message", "")
            check(ok, "%s %s -> %d (want %d), %r" % (method, path, st, want, doc))
        svc = "/cds-services/mgadvise-patient-view"
        bad("POST", svc, "{not json", 400, "not JSON")
        bad("POST", svc, "", 400, "empty")
        bad("POST", svc, "[1]", 400, "not a JSON object")
        bad("POST", svc, "{}", 400, "'hook'")
        bad("POST", svc, json.dumps({"hook": "patient-view"}), 400, "'hookInstance'")
        bad("POST", svc, json.dumps({"hook": "patient-view", "hookInstance": "x"}), 400, "'context'")
        for pre_bad, word in (("x", "'prefetch' is not an object"), ([], "'prefetch' is not"),
                              ({"patient": []}, "'prefetch.patient' is not a Patient")):
            bad("POST", svc, json.dumps({"hook": "patient-view", "hookInstance": "x",
                                         "context": {"patientId": "p"}, "prefetch": pre_bad}),
                400, word)
        bad("POST", svc, json.dumps({"hook": "order-sign", "hookInstance": "x", "context": {}}),
            400, "answers 'patient-view'")
        bad("POST", svc, hook_request("patient-view", "p1", None), 412, "'prefetch'")
        bad("POST", svc, hook_request("patient-view", "p1", {"conditions": None}), 412,
            "prefetch.patient")
        # a null Patient with a FHIR server: said as it is (the client had none to send)
        nullpat = json.loads(hook_request("patient-view", "p1", {k: None for k in pf}))
        nullpat["fhirServer"] = "https://fhir.example.org"
        bad("POST", svc, json.dumps(nullpat), 412, "is null: the client had no Patient to send")
        bad("POST", svc, hook_request("patient-view", "p1", {"patient": {"resourceType": "Patient",
            "birthDate": "not a date"}}), 422, "$.prefetch.patient.birthDate: 'not a date'")
        # a value out of its field's range is named at its place in the request
        oor, _ = prefetch_of("healthy-sleep.json")
        oor["observations"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": {"resourceType": "Observation", "status": "final", "code": {"coding": [
                {"system": "http://loinc.org", "code": "1989-3"}]},
                "effectiveDateTime": "2026-02-03", "valueQuantity": {
                    "value": 9000, "unit": "nmol/L", "system": "http://unitsofmeasure.org",
                    "code": "nmol/L"}}}]}
        bad("POST", svc, hook_request("patient-view", "p1", oor), 422,
            "$.prefetch.observations.entry[0].resource.valueQuantity.value: 9000 nmol/L is "
            "outside the range")
        bad("POST", svc, "[" * 200000 + "]" * 200000, 400, "deeper than 64")
        bad("POST", "/cds-services/%ff%01x", "{}", 404, "\\xff\\x01x")
        bad("POST", svc, "{}", 415, "application/json", ctype="text/plain")
        bad("GET", svc, None, 405, "use POST")
        bad("POST", "/cds-services", "{}", 405, "use GET")
        bad("POST", "/cds-services/nope", "{}", 404, "'nope'")
        bad("GET", "/nothing", None, 404, "/nothing")
        # oversized: refused by its Content-Length before the body is read, and a chunked
        # body without one as soon as it passes the limit
        check(raw(port, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: %d\r\n\r\n" % (svc, 2 << 20), b"{" * 65536).startswith(
                      b"HTTP/1.1 413"), "oversized body: 413")
        chunk = b"1000\r\n" + b" " * 4096 + b"\r\n"
        check(raw(port, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n" % svc, chunk * 300 + b"0\r\n\r\n").startswith(
                      b"HTTP/1.1 413"), "oversized chunked body: 413")

        # a browser's CORS preflight
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("OPTIONS", svc, headers={"Origin": "http://sandbox.example",
                                           "Access-Control-Request-Method": "POST"})
        r = c.getresponse()
        r.read()
        c.close()
        check(r.status == 204 and r.getheader("Access-Control-Allow-Origin") == "*" and
              "POST" in r.getheader("Access-Control-Allow-Methods", ""), "CORS preflight")

        # feedback is accepted
        st, ct, doc = request(port, "POST", svc + "/feedback", json.dumps({"feedback": [
            {"card": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "outcome": "accepted",
             "outcomeTimestamp": "2026-06-01T10:00:00Z"}]}))
        check(st == 200, "feedback accepted")
        # feedback that is not CDS Hooks feedback: 400 naming the entry and what is wrong
        for body, word in ((json.dumps({"feedback": 5}), "'feedback' array"),
                           ('"feedback"', "'feedback' array"),
                           (json.dumps({"feedback": []}), "one or more"),
                           (json.dumps({"feedback": [{"card": "x", "outcome": "ignored",
                                                      "outcomeTimestamp": "t"}]}),
                            "$.feedback[0] has no 'outcome' 'accepted' or 'overridden'"),
                           (json.dumps({"feedback": [{"card": "x", "outcome": "accepted",
                                                      "outcomeTimestamp": "t"}, 7]}),
                            "$.feedback[1] is not an object"),
                           (json.dumps({"feedback": [{"card": "x", "outcome": "overridden",
                                                      "outcomeTimestamp": "t",
                                                      "overrideReason": "no"}]}),
                            "'overrideReason' that is not an object"),
                           ("{\"feedback\": [", "not JSON")):
            st, ct, doc = request(port, "POST", svc + "/feedback", body)
            check(st == 400 and word in (doc or {}).get("message", ""),
                  "feedback refused: %s -> %d %r" % (body[:60], st, doc))

        # a slow client: connections that send nothing hold one connection each, and the
        # service keeps answering; the idle ones are closed after the timeout
        slow = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST " + svc.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        st, ct, doc = request(port, "GET", "/healthz")
        check(st == 200, "answers while slow clients wait")
        slow[0].settimeout(10)
        t0 = time.time()
        try:
            got = slow[0].recv(100)
        except OSError:
            got = b""
        check(got == b"" and time.time() - t0 < 9, "idle connection closed by the timeout")
        for s in slow:
            s.close()
        # a client trickling its body, never idle for --timeout (2 s): its connection is
        # closed --body-timeout (3 s) after its head
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST " + svc.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        t0 = time.time()
        closed = False
        s.settimeout(0.5)
        while not closed and time.time() - t0 < 15:
            try:
                s.sendall(b" ")
                closed = s.recv(100) == b""
            except socket.timeout:
                pass
            except OSError:
                closed = True
        took = time.time() - t0
        s.close()
        check(closed and 2.5 < took < 10, "body trickled: closed after --body-timeout (%.1f s)"
              % took)
        st, ct, doc = request(port, "GET", "/healthz")
        check(st == 200, "answers after the trickling client")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -1
        rest = proc.stderr.read()
    # a rule set whose source has a URL: source.url, links, a summary cut under 140
    proc2, port2, _ = start("--insecure-no-auth", "-r", os.path.join(ROOT, "tests/serve/linked.mga"))
    try:
        st, ct, doc = request(port2, "GET", "/cds-services")
        pf = doc["services"][0]["prefetch"]
        check(pf == {"patient": "Patient/{{context.patientId}}",
                     "conditions": "Condition?patient={{context.patientId}}"},
              "prefetch from the bindings only: %r" % pf)
        pre, pid = prefetch_of("ckd-diuretics.json")
        st, ct, doc = request(port2, "POST", "/cds-services/mgadvise-patient-view",
                              hook_request("patient-view", pid, pre))
        cards = valid_cards(doc, "linked")
        check(st == 200 and len(cards) == 2, "linked: summary and one act card")
        c = cards[1] if len(cards) == 2 else {}
        check(c.get("indicator") == "critical", "linked: critical")
        check(c.get("summary", "").endswith("..."), "linked: long summary cut")
        check(c.get("source", {}).get("url") == "https://example.org/a-document", "source.url")
        check(c.get("source", {}).get("label") == "A document", "source.label")
        check(c.get("source", {}).get("topic", {}).get("code") == "kidney_avoid", "source.topic")
        check(c.get("links") == [{"label": "A document", "url": "https://example.org/a-document",
                                  "type": "absolute"}], "links")
        check("> clear magnesium" in c.get("detail", ""), "quote in detail")
        check("Adults: a background note." in cards[0].get("detail", ""),
              "background folded into the summary card")
    finally:
        proc2.send_signal(signal.SIGTERM)
        rc2 = proc2.wait(timeout=20)
        rest2 = proc2.stderr.read()
    check(rc2 == 0, "second server: clean exit")
    check("Sanitizer" not in rest2, "second server: no sanitizer report: " + rest2[-2000:])
    jwt_cases()
    with tempfile.TemporaryDirectory() as tmp:
        decision_log_cases(tmp)
    with tempfile.TemporaryDirectory() as tmp:
        reload_cases(tmp)
    header_cases()
    with tempfile.TemporaryDirectory() as tmp:
        tls_cases(tmp)
    fetch_cases()
    one_thread_cases()
    check(rc == 0, "clean exit on SIGTERM (%d): %s" % (rc, rest[-2000:]))
    check("feedback for mgadvise-patient-view" in rest, "feedback logged")
    check("ERROR" not in rest and "Sanitizer" not in rest, "no sanitizer report")
    if FAILS:
        print("serve: %d of %d checks failed" % (len(FAILS), CHECKS[0]), file=sys.stderr)
        return 1
    print("serve: %d checks passed" % CHECKS[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
