-- wrk script: count degraded answers and print one JSON line of results at the end.
-- A BFF answer can be a 200 that is partial (an optional section failed: a pool timeout, a
-- downstream error); the benchmark counts those as errors too, so each thread tallies them.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  partial = 0
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  elseif body and string.find(body, '"partial":true', 1, true) then
    partial = partial + 1
  end
end

function done(summary, latency, requests)
  local partial_total = 0
  local non_2xx_total = 0
  for _, thread in ipairs(threads) do
    partial_total = partial_total + thread:get("partial")
    non_2xx_total = non_2xx_total + thread:get("non_2xx")
  end
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"non_2xx": %d, "partial": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, non_2xx_total, partial_total))
end
