#!/bin/sh
# SPDX-License-Identifier: MIT
# `mgadvise serve` under load (make bench-serve): wrk with 32 connections for SECS seconds
# POSTs a patient-view request with a 30-resource prefetch (built from examples/fhir) to
# the service (its default threads, one per CPU; no JWT), then the same to the floor,
# bench/serve_floor (the same libmicrohttpd configuration answering a fixed 2 KB body).
# Reported against the targets:
# requests/s at least 0.5x the floor's, p99 latency under 5 ms, no error (a socket error or
# a status other than 200), and the service's peak RSS (VmHWM) growing less than 5% from
# the 2nd second to the end (VmRSS sampled every 0.1 s: VmHWM is updated lazily). Each
# target is printed "ok" or "MISSED" (as bench/run.sh does); only errors fail the script. The load average is printed: the machine may be shared.
#   usage: sh bench/serve.sh BUILD_DIR [SECS]
set -eu
B=$1
secs=${2:-10}
export LC_ALL=C
command -v wrk >/dev/null || { echo "serve: wrk is missing (apt-get install wrk)" >&2; exit 1; }
T=$(mktemp -d)
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

# the request: Patient p1 and 29 more resources of the examples, made the patient's
/usr/bin/python3 bench/serve_body.py "$T/body.json"
export MGA_BENCH_BODY="$T/body.json"

# starts "$@" with its standard error in $T/err; sets spid and port
start() {
    "$@" 2>"$T/err" &
    spid=$!
    i=0
    port=
    while [ $i -lt 300 ] && [ -z "$port" ]; do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/err")
        [ -n "$port" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$port" ] || { echo "serve: $1 did not start:" >&2; cat "$T/err" >&2; exit 1; }
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# runs wrk against $port; sets req, p50, p99, errs, hwm2, hwm_end
load() {
    wrk -t 2 -c 32 -d "${secs}s" -s bench/serve.lua \
        "http://127.0.0.1:$port/cds-services/mgadvise-patient-view" >"$T/wrk" 2>&1 &
    wpid=$!
    # the peak of VmRSS over the first 2 s and over the whole run
    n=0
    peak=0
    hwm2=
    while kill -0 "$wpid" 2>/dev/null; do
        r=$(rss "$spid")
        [ "$r" -gt "$peak" ] && peak=$r
        n=$((n + 1))
        [ $n -eq 20 ] && hwm2=$peak
        sleep 0.1
    done
    wait "$wpid" || { cat "$T/wrk" >&2; exit 1; }
    hwm_end=$peak
    [ -n "$hwm2" ] || hwm2=$peak
    line=$(grep '^RESULT' "$T/wrk")
    eval "$(echo "$line" | sed 's/^RESULT //')"
    req=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
    p50=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }')
    p99=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
    errs=$errors
}

echo "serve: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start "$B/mgadvise" serve --insecure-no-auth --port 0
# the request must get cards before it is timed
/usr/bin/python3 - "$port" "$T/body.json" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request("POST", "/cds-services/mgadvise-patient-view", body=open(sys.argv[2], "rb").read(),
          headers={"Content-Type": "application/json"})
r = c.getresponse()
doc = json.loads(r.read())
if r.status != 200 or not doc.get("cards"):
    sys.exit("serve: the bench request gets %d: %r" % (r.status, doc))
PY
load
s_req=$req s_p50=$p50 s_p99=$p99 s_errs=$errs s_hwm2=$hwm2 s_hwm=$hwm_end
kill "$spid"
wait "$spid" || true
start "$B/bench/serve_floor"
load
f_req=$req f_p99=$p99 f_errs=$errs
kill "$spid"
wait "$spid" || true
spid=
bytes=$(wc -c <"$T/body.json")
echo "serve: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'serve: mgadvise serve, patient-view, 30 resources (%s bytes), 32 connections, %s s:\n' "$bytes" "$secs"
printf '  %s requests/s, p50 %s ms, p99 %s ms, %s errors; peak RSS %s KB at 2 s, %s KB at the end\n' \
    "$s_req" "$s_p50" "$s_p99" "$s_errs" "$s_hwm2" "$s_hwm"
printf 'serve: floor (libmicrohttpd, fixed 2 KB body): %s requests/s, p99 %s ms, %s errors\n' \
    "$f_req" "$f_p99" "$f_errs"
awk -v s="$s_req" -v f="$f_req" -v p="$s_p99" -v e="$s_errs" -v h2="$s_hwm2" -v h="$s_hwm" '
function v(ok) { return ok ? "ok" : "MISSED" }
BEGIN {
    r = f > 0 ? s / f : 0
    g = h2 > 0 ? (h - h2) * 100 / h2 : 0
    printf "serve: requests/s %.2fx the floor (target >= 0.5x): %s\n", r, v(r >= 0.5)
    printf "serve: p99 %.2f ms (target < 5 ms): %s\n", p, v(p < 5)
    printf "serve: errors %d (target 0): %s\n", e, v(e == 0)
    printf "serve: peak RSS growth from 2 s to the end %+.1f%% (target < 5%%): %s\n", g, v(g < 5)
    exit e != 0
}'
