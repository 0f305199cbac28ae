--[[
query-timing.lua: latency per query shape.

Each COM_QUERY is timed from the moment the proxy sends it to the last packet of its result, and accounted under
its normalized form (literals replaced by ?). Results stream to the client as usual; the script only reads the
timings. Statistics are shared by all connections (proxy.global.query_timing) and readable as a result set:

  SELECT * FROM query_timing.queries     -- one row per query shape, slowest total first
  DELETE FROM query_timing.queries       -- reset

Columns: query, count, total_us, min_us, max_us, avg_us, and a histogram of counts by latency: le_1ms, le_10ms,
le_100ms, le_1s, gt_1s. Errors are counted per shape too.
]]

local tokenizer = require("proxy.tokenizer")

local BUCKETS = { { "le_1ms", 1000 }, { "le_10ms", 10000 }, { "le_100ms", 100000 }, { "le_1s", 1000000 } }

if not proxy.global.query_timing then
  proxy.global.query_timing = {}
end

local function report()
  local rows = {}
  for query, s in pairs(proxy.global.query_timing) do
    rows[#rows + 1] = { query, s.count, s.total_us, s.min_us, s.max_us, math.floor(s.total_us / s.count),
      s.le_1ms, s.le_10ms, s.le_100ms, s.le_1s, s.gt_1s, s.errors }
  end
  table.sort(rows, function(a, b) return a[3] > b[3] end)
  local fields = {}
  for _, name in ipairs({ "query", "count", "total_us", "min_us", "max_us", "avg_us", "le_1ms", "le_10ms",
      "le_100ms", "le_1s", "gt_1s", "errors" }) do
    fields[#fields + 1] = { name = name, type = name == "query" and proxy.MYSQL_TYPE_STRING or proxy.MYSQL_TYPE_LONGLONG }
  end
  proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = { fields = fields, rows = rows } }
  return proxy.PROXY_SEND_RESULT
end

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return
  end
  local query = packet:sub(2)
  local upper = query:upper():gsub("%s+", " "):gsub("^ ", ""):gsub("[ ;]+$", "")
  if upper == "SELECT * FROM QUERY_TIMING.QUERIES" then
    return report()
  elseif upper == "DELETE FROM QUERY_TIMING.QUERIES" then
    proxy.global.query_timing = {}
    proxy.response = { type = proxy.MYSQLD_PACKET_OK }
    return proxy.PROXY_SEND_RESULT
  end
  proxy.queries:append(1, packet)
  return proxy.PROXY_SEND_QUERY
end

function read_query_result(inj)
  local key = tokenizer.normalize(tokenizer.tokenize(inj.query:sub(2)))
  local all = proxy.global.query_timing
  local s = all[key]
  if not s then
    all[key] = { count = 0, total_us = 0, min_us = inj.response_time, max_us = 0, errors = 0,
                 le_1ms = 0, le_10ms = 0, le_100ms = 0, le_1s = 0, gt_1s = 0 }
    s = all[key]
  end
  local t = inj.response_time
  proxy.atomic_add(s, "count", 1)
  proxy.atomic_add(s, "total_us", t)
  if t < s.min_us then s.min_us = t end
  if t > s.max_us then s.max_us = t end
  if inj.resultset.query_status == proxy.MYSQLD_PACKET_ERR then
    proxy.atomic_add(s, "errors", 1)
  end
  for _, b in ipairs(BUCKETS) do
    if t <= b[2] then
      proxy.atomic_add(s, b[1], 1)
      return
    end
  end
  proxy.atomic_add(s, "gt_1s", 1)
end
