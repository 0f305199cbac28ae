--[[
firewall.lua: refuse queries by their shape.

Every COM_QUERY is normalized (comments dropped, literals replaced by ?, names quoted, keywords upper-cased, as
proxy.tokenizer.normalize does) and checked against a deny-list before it reaches a backend. A refused query gets
ERR 1148 (42000) "Query refused by the mysqlproxy firewall: <rule>", and nothing reaches the server.

Rules, in proxy.global.config.firewall (set them here, or in a module "firewall-rules" next to this script that
returns the table, so that the rules can change with a hot swap of that file):
  deny          = { normalized queries refused exactly, e.g. "DELETE FROM `users` " }
  deny_patterns = { Lua patterns matched against the normalized query in upper case, e.g. "^DROP ". Words
                    that are not SQL keywords of the tokenizer come back quoted: "^`?TRUNCATE`? " }
  without_where = { statements refused when they have no WHERE clause, by first keyword: "DELETE", "UPDATE" }
  log_only      = true to log what would be refused and let it through (to try rules out)

To see how a query normalizes, send it with the prefix "FIREWALL NORMALIZE " (answered by the proxy).
Counters: proxy.global.firewall_stats.checked and .refused.
]]

local tokenizer = require("proxy.tokenizer")

local DEFAULT_RULES = {
  deny = {},
  -- dropping schemas, emptying tables, and DELETE or UPDATE without a WHERE clause
  deny_patterns = { "^DROP DATABASE ", "^DROP SCHEMA ", "^`?TRUNCATE`? " },
  without_where = { "DELETE", "UPDATE" },
  log_only = false,
}

local ok, rules = pcall(require, "firewall-rules")
if not ok or type(rules) ~= "table" then
  rules = DEFAULT_RULES
end
proxy.global.config.firewall = rules

local stats = proxy.global.firewall_stats
if not stats then
  proxy.global.firewall_stats = { checked = 0, refused = 0 }
  stats = proxy.global.firewall_stats
end

local denied = {}
for _, q in ipairs(rules.deny or {}) do
  denied[q] = true
end

local needs_where = {}
for _, word in ipairs(rules.without_where or {}) do
  needs_where["TK_SQL_" .. word:upper()] = true
end

--- the rule that refuses a query, or nil
local function refusing_rule(tokens, normalized)
  local first = tokenizer.first_stmt_token(tokens)
  if first and needs_where[first.token_name] then
    local has_where = false
    for i = 1, #tokens do
      if tokens[i].token_name == "TK_SQL_WHERE" then
        has_where = true
        break
      end
    end
    if not has_where then
      return first.text:upper() .. " without WHERE"
    end
  end
  if denied[normalized] then
    return normalized
  end
  local upper = normalized:upper()
  for _, pattern in ipairs(rules.deny_patterns or {}) do
    if upper:find(pattern) then
      return pattern
    end
  end
  return nil
end

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return
  end
  local query = packet:sub(2)
  local probe = query:match("^FIREWALL NORMALIZE (.*)$")
  if probe then
    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
      fields = { { name = "normalized", type = proxy.MYSQL_TYPE_STRING } },
      rows = { { tokenizer.normalize(tokenizer.tokenize(probe)) } } } }
    return proxy.PROXY_SEND_RESULT
  end
  proxy.atomic_add(stats, "checked", 1)
  local tokens = tokenizer.tokenize(query)
  local normalized = tokenizer.normalize(tokens)
  local rule = refusing_rule(tokens, normalized)
  if not rule then
    return
  end
  proxy.atomic_add(stats, "refused", 1)
  print(string.format("firewall %s user=%s client=%s rule=%q query=%q", rules.log_only and "would refuse" or "refused",
    proxy.connection.client.username or "", proxy.connection.client.src.name, rule, normalized))
  if rules.log_only then
    return
  end
  proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errcode = 1148, sqlstate = "42000",
                     errmsg = "Query refused by the mysqlproxy firewall: " .. rule }
  return proxy.PROXY_SEND_RESULT
end
