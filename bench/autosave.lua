-- wrk script for bench/autosave.py: answer saves, each request another shopper's answer.
--
-- wrk -s bench/autosave.lua URL -- ITEMS_FILE THREADS [RATE [MODE]]
--
-- MODE "api" (the default): PUT /api/v1/shops/{shop}/answers/{uuid} with a bearer token;
-- ITEMS_FILE has one save a line, "token shop_id question_id answer_uuid value_json".
-- MODE "page": the fill page's save, POST /shops/{shop}/answers with the login session's
-- cookie and its CSRF token (bench/autosave.py logs each shopper in first); a line is
-- "cookie csrf_token shop_id question_id answer_uuid value_json". Thread t
-- (of THREADS) sends the lines t, t+THREADS, t+2*THREADS... in turn and starts again at the
-- end (the second round upserts under the same ids, as a phone's replay does). Lines follow
-- each other shopper by shopper, so the saves in flight at once are to different answers.
-- RATE (saves/s for all threads together, optional): pace the requests (see delay below).
-- At the end one line "AUTOSAVE {json}" carries the figures for bench/autosave.py.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } timespec_t;
int clock_gettime(int clk_id, timespec_t *tp);
]]
local ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local items = {}
local position = 0
local interval = 0 -- ms between this thread's requests when paced
local next_at = nil
non200 = 0 -- global: done() reads it from every thread

function init(args)
  local path, nthreads, rate = args[1], tonumber(args[2]), tonumber(args[3] or "0")
  local mode = args[4] or "api"
  -- the page's origin, as a browser sends it with a POST: scheme://host:port of the URL
  local origin = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == index then
      if mode == "page" then
        local cookie, csrf, shop, question, id, value =
          line:match("^(%S+) (%S+) (%S+) (%S+) (%S+) (.+)$")
        table.insert(items, {
          method = "POST",
          path = "/shops/" .. shop .. "/answers",
          -- what touchstone.js sends from the fill page
          headers = {
            ["Cookie"] = cookie,
            ["X-CSRF-Token"] = csrf,
            ["Origin"] = origin,
            ["Content-Type"] = "application/json",
          },
          body = '{"id": "' .. id .. '", "question_id": ' .. question .. ', "value": '
            .. value .. ', "not_applicable": false, "comment": ""}',
        })
      else
        local token, shop, question, id, value = line:match("^(%S+) (%S+) (%S+) (%S+) (.+)$")
        table.insert(items, {
          method = "PUT",
          path = "/api/v1/shops/" .. shop .. "/answers/" .. id,
          headers = {
            ["Authorization"] = "Bearer " .. token,
            ["Content-Type"] = "application/json",
          },
          body = '{"question_id": ' .. question .. ', "value": ' .. value
            .. ', "not_applicable": false, "comment": ""}',
        })
      end
    end
    n = n + 1
  end
  if rate > 0 then
    interval = 1000 * nthreads / rate
  end
end

function request()
  position = position % #items + 1
  local item = items[position]
  return wrk.format(item.method, item.path, item.headers, item.body)
end

-- Paced mode: every request of this thread is due `interval` ms after the one before,
-- whenever the answers come back. wrk calls delay() before each request a connection sends
-- after its first, so with enough connections the offered rate holds while the server
-- keeps up; once it falls behind, the achieved rate drops below the offered one (a
-- connection cannot send while it waits), and the bench says so.
function delay()
  if interval == 0 then
    return 0
  end
  local t = now_ms()
  if next_at == nil or next_at < t - 1000 then
    next_at = t -- fallen a second behind: start again from now, not a burst
  end
  next_at = next_at + interval
  return math.max(0, next_at - t)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if non200 <= 3 then
      io.stderr:write("HTTP " .. status .. ": " .. string.sub(body, 1, 160) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non200") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'AUTOSAVE {"requests": %d, "seconds": %.3f, "p50": %.3f, "p95": %.3f, "p99": %.3f, '
      .. '"max": %.3f, "non200": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    bad, e.connect, e.read, e.write, e.timeout))
end
