--[[
rewrite.lua: a documented query-rewriting example.

Rules rewrite tokens, not text (proxy.tokenizer.rewrite): a name inside a string literal or a comment is left
alone, and everything the rules do not touch (blanks, comments, the quoting of strings) reaches the server as the
client sent it. The rewritten query is sent instead of the original; its result goes to the client as if nothing had
happened. The examples:
  * `SHOW TABLE STATUS` without a LIKE or WHERE gets a form that leaves out views;
  * a legacy table name is mapped to its new name wherever it is a name (`legacy_orders`, `legacy_orders`.`id`,
    backticked or not), but not in `select 'legacy_orders is renamed'`;
  * a `LIMIT n` (or `LIMIT offset, n`) above 10000 rows is capped at 10000.

  mysqlproxy --proxy-lua-script=lua/rewrite.lua
]]

local tokenizer = require("proxy.tokenizer")

local RENAMED = { legacy_orders = "orders" } -- old name (lower case) -> new name
local MAX_ROWS = 10000

--- the statement's tokens without its comments, as tokenizer.rewrite goes through them
local function tokens_of(query)
  local out = {}
  local tokens = tokenizer.tokenize(query)
  for i = 1, #tokens do
    if tokens[i].token_name ~= "TK_COMMENT" then
      out[#out + 1] = tokens[i]
    end
  end
  return out
end

--- which tokens (by position) are LIMIT row counts above MAX_ROWS: LIMIT n, LIMIT offset, n, LIMIT n OFFSET m
local function large_row_counts(t)
  local out = {}
  for i = 1, #t - 1 do
    if t[i].token_name == "TK_SQL_LIMIT" and t[i + 1].token_name == "TK_INTEGER" then
      local count = i + 1
      if t[i + 3] and t[i + 2].token_name == "TK_COMMA" and t[i + 3].token_name == "TK_INTEGER" then
        count = i + 3
      end
      if tonumber(t[count].text) > MAX_ROWS then
        out[count] = true
      end
    end
  end
  return out
end

local function rewrite(query)
  local t = tokens_of(query)
  if #t == 3 and t[1].text:upper() == "SHOW" and t[2].text:upper() == "TABLE" and t[3].text:upper() == "STATUS" then
    return "SHOW TABLE STATUS WHERE Comment <> 'VIEW'"
  end
  local capped = large_row_counts(t)
  local position = 0
  return tokenizer.rewrite(query, function(token)
    position = position + 1
    if capped[position] then
      return tostring(MAX_ROWS)
    end
    local new = token.token_name == "TK_LITERAL" and RENAMED[token.text:lower()]
    if new then
      return "`" .. new .. "`"
    end
    return nil
  end)
end

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return
  end
  local original = packet:sub(2)
  local query = rewrite(original)
  if query == original then
    return -- unchanged: forwarded as it is, without a copy
  end
  proxy.queries:append(1, string.char(proxy.COM_QUERY) .. query)
  return proxy.PROXY_SEND_QUERY
end
