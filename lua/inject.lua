--[[
inject.lua: injected queries and result-set rewriting.

For every SELECT the script also runs `SELECT CONNECTION_ID(), NOW(6)` on the same backend connection, keeps it
for itself (the client never sees it), and adds two columns to the client's result: the backend connection id
and the time the query took on the backend, in microseconds.

  mysqlproxy --proxy-lua-script=lua/inject.lua
]]

local QUERY, INFO = 1, 2
local info = nil -- per connection: the last answer of the info query

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY or not packet:sub(2):upper():match("^%s*SELECT") then
    return
  end
  proxy.queries:append(INFO, string.char(proxy.COM_QUERY) .. "SELECT CONNECTION_ID(), NOW(6)",
                       { resultset_is_needed = true })
  proxy.queries:append(QUERY, packet, { resultset_is_needed = true })
  return proxy.PROXY_SEND_QUERY
end

function read_query_result(inj)
  local res = inj.resultset
  if inj.id == INFO then
    for row in res.rows do info = row end
    return proxy.PROXY_IGNORE_RESULT
  end
  if res.query_status == proxy.MYSQLD_PACKET_ERR or res.fields == nil or #res.fields == 0 then
    return -- errors and OK results go to the client unchanged
  end
  local fields = {}
  for i = 1, #res.fields do
    fields[i] = { name = res.fields[i].name, type = res.fields[i].type }
  end
  fields[#fields + 1] = { name = "backend_connection_id", type = proxy.MYSQL_TYPE_LONGLONG }
  fields[#fields + 1] = { name = "query_time_us", type = proxy.MYSQL_TYPE_LONGLONG }
  local rows = {}
  for row in res.rows do
    row[#fields - 1] = info and info[1]
    row[#fields] = inj.query_time
    rows[#rows + 1] = row
  end
  proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = { fields = fields, rows = rows } }
  return proxy.PROXY_SEND_RESULT
end
