--[[
query-log.lua: an audit log of queries, one line per query with the user, the client, the backend, the time the
query took and the rows it returned (or its error), written to the proxy's log (category
io.mysqlproxy.scripting.lua, level INFO).

  mysqlproxy --proxy-lua-script=lua/query-log.lua

A line looks like:
  query-log user=app client=10.0.0.7:51234 backend=10.0.0.2:3306 db=shop time_us=412 rows=3 status=ok query="SELECT ..."
]]

local function quote(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return
  end
  proxy.queries:append(1, packet)
  return proxy.PROXY_SEND_QUERY
end

function read_query_result(inj)
  local c = proxy.connection
  local res = inj.resultset
  local status = res.query_status == proxy.MYSQLD_PACKET_ERR and "error" or "ok"
  local rows = res.row_count
  if res.affected_rows then rows = res.affected_rows end
  print(string.format("query-log user=%s client=%s backend=%s db=%s time_us=%d rows=%d status=%s query=%s",
    c.client.username or "", c.client.src.name, c.server and c.server.dst.name or "-",
    c.client.default_db or "", inj.response_time, rows or 0, status, quote(inj.query:sub(2))))
end
