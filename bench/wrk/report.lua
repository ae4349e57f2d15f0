-- wrk: print the run's figures as one JSON line (the runner parses it).
-- With POSTS set (a table of {path, cookie, content_type, body}), each request takes the
-- next entry, so every POST acts on fresh data; when they run out the thread stops.

local index = 0
local answered = 0
local exhausted = false
statuses = {}
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

if POSTS ~= nil then
  request = function()
    index = index + 1
    local entry = POSTS[index]
    if entry == nil then
      exhausted = true
      return wrk.format("GET", "/healthz")
    end
    return wrk.format("POST", entry[1], {
      ["Host"] = wrk.headers["Host"],
      ["User-Agent"] = wrk.headers["User-Agent"],
      ["Cookie"] = "session=" .. entry[2],
      ["Content-Type"] = entry[3],
    }, entry[4])
  end
end

response = function(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status ~= 200 then  -- a POST's answer (the /healthz filler answers 200)
    answered = answered + 1
  end
  if exhausted and answered >= #POSTS then  -- every prepared POST is answered
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "mean_us": %.1f, ' ..
    '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
