--[[
rewrite.lua: a documented query-rewriting example.

Rules are pairs of a Lua pattern and a replacement, applied to COM_QUERY text in order. The rewritten query is
sent instead of the original; its result goes to the client as if nothing had happened. The examples:
  * `SHOW TABLE STATUS` without a LIKE gets a LIMIT-friendly form that excludes views;
  * a legacy table name is mapped to its new name;
  * `SELECT ... FROM t LIMIT n` gets a hard cap of 10000 rows.

  mysqlproxy --proxy-lua-script=lua/rewrite.lua
]]

local rules = {
  { "^%s*[Ss][Hh][Oo][Ww]%s+[Tt][Aa][Bb][Ll][Ee]%s+[Ss][Tt][Aa][Tt][Uu][Ss]%s*$",
    "SHOW TABLE STATUS WHERE Comment <> 'VIEW'" },
  { "legacy_orders", "orders" },
  { "([Ll][Ii][Mm][Ii][Tt]%s+)(%d+)", function(kw, n)
      if tonumber(n) > 10000 then return kw .. "10000" end
    end },
}

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return
  end
  local original = packet:sub(2)
  local query = original
  for _, rule in ipairs(rules) do
    query = query:gsub(rule[1], rule[2])
  end
  if query == original then
    return -- unchanged: forwarded as it is, without a copy
  end
  proxy.queries:append(1, string.char(proxy.COM_QUERY) .. query)
  return proxy.PROXY_SEND_QUERY
end
