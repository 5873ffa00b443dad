-- wrk script for gateway_bench.py: POST the same chat completion body on every request.
-- BENCH_BODY_FILE holds the JSON body; BENCH_KEY the bearer key.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
