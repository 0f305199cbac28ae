--[[
mock-server.lua: a MySQL server made of Lua, with no backend at all. Useful for demos, for tests of clients, and
for the original MySQL Proxy test style (a mock proxy behind the proxy under test).

  mysqlproxy --proxy-lua-script=lua/mock-server.lua

Every login is accepted. SELECT answers with one row echoing the statement; statements listed in `answers`
get their canned result; everything else gets an OK.
]]
local proto = require("mysql.proto")

-- canned results: statement text -> { fields = {...}, rows = {...} }
local answers = {
  ["SELECT @@version_comment LIMIT 1"] = { fields = { { name = "@@version_comment" } }, rows = { { "mysqlproxy mock" } } },
  ["SELECT DATABASE()"] = { fields = { { name = "DATABASE()" } }, rows = { { nil } } },
}

function connect_server()
  proxy.response = {
    type = proxy.MYSQLD_PACKET_RAW,
    packets = { proto.to_challenge_packet({ server_version = 50744 }) },
  }
  return proxy.PROXY_SEND_RESULT
end

function read_query(packet)
  local command = packet:byte()
  local text = packet:sub(2)
  if command == proxy.COM_QUERY and answers[text] then
    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = answers[text] }
  elseif command == proxy.COM_QUERY and text:upper():match("^%s*SELECT") then
    proxy.response = {
      type = proxy.MYSQLD_PACKET_OK,
      resultset = { fields = { { name = "statement" } }, rows = { { text } } },
    }
  elseif command == proxy.COM_QUIT then
    return -- the proxy closes the connection
  else
    proxy.response = { type = proxy.MYSQLD_PACKET_OK, affected_rows = 0 }
  end
  return proxy.PROXY_SEND_RESULT
end
