-- wrk script for bench/run.py: request shape from the environment, one JSON line of results.
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
-- WRK_BODIES: one body per line, sent in turn (e.g. log-ins spread over many accounts).
local bodies = {}
for line in (os.getenv("WRK_BODIES") or ""):gmatch("[^\n]+") do
  table.insert(bodies, line)
end
if #bodies > 0 then
  local i = 0
  wrk.headers["Content-Type"] = "application/json"
  request = function()
    i = i % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[i])
  end
end
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"p50_us": %d, "p95_us": %d, "p99_us": %d, "requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d}\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.requests,
    summary.duration, e.connect + e.read + e.write + e.timeout, e.status))
end
