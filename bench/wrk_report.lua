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
-- WRK_FRESH=<this run's id>: each GET a query string of its own (an unknown `fresh` parameter,
-- which the app ignores), so that no cache between the load and the app could serve it.
local run = os.getenv("WRK_FRESH")
if run and run ~= "" then
  local threads = 0
  function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
  end
  local n = 0
  request = function()
    n = n + 1
    local sep = wrk.path:find("?", 1, true) and "&" or "?"
    return wrk.format(nil, wrk.path .. sep .. "fresh=" .. run .. "-" .. thread_id .. "-" .. n)
  end
end
-- WRK_IF_NONE_MATCH: the ETag of the answer, to time its revalidation (304).
local tag = os.getenv("WRK_IF_NONE_MATCH")
if tag and tag ~= "" then
  wrk.headers["If-None-Match"] = tag
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
