-- SPDX-License-Identifier: MIT
-- wrk script of bench/serve.sh: POSTs the body in the file $MGA_BENCH_BODY as JSON and
-- prints one machine-readable line at the end (latencies in microseconds).
local f = assert(io.open(os.getenv("MGA_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.status + e.timeout))
end
