--[[
admin.lua: the admin interface's SQL, in the MySQL Proxy admin-script style (read_query answers with
proxy.response). The global `admin` reaches into the running proxy:

  admin.tables()              names of the tables below
  admin.table(name)           a table as { fields = ..., rows = ... }, ready for proxy.response.resultset
  admin.select(sql, tables)   a SELECT over one of them (or of `tables`, name -> resultset): the resultset, or
                              nil, the reason and the error code
  admin.set_backend(id, s)    s = "online" or "offline" (offline: no new sessions, open ones drain)
  admin.kill(id)              closes client connection id; false if there is none
  admin.reload_script()       re-reads the proxy's Lua script (errors carry the reason)
  admin.reset_query_digests()

Statements:
  SELECT * FROM help | backends | listeners | connections | pools | scripts | query_digests | config
    with a column list instead of *, or COUNT(*); WHERE (=, <>, <, >, LIKE, IN, BETWEEN, IS NULL, AND, OR, NOT);
    ORDER BY columns or positions, ASC or DESC; LIMIT n [OFFSET m] or LIMIT m, n
  SET backend <id> offline | online
  KILL [CONNECTION] <id>
  RELOAD SCRIPT
  DELETE FROM query_digests          (or TRUNCATE query_digests)

It also answers what client libraries send when they connect (SELECT @@variables, SET, SHOW), so the mariadb
CLI, JDBC drivers and GUI tools can log in. Copy it, extend it, and start the proxy with --admin-lua-script.
]]

local HELP = {
  { "SELECT * FROM help", "this list" },
  { "SELECT col, ... FROM t WHERE ... ORDER BY ... LIMIT n", "any table below: columns, WHERE, ORDER BY, LIMIT" },
  { "SELECT * FROM backends", "backends: address, role, state, weight, clients, pooled connections, last health check" },
  { "SELECT * FROM listeners", "listeners: address, bound port, connections, refusals" },
  { "SELECT * FROM connections", "client connections: user, db, backend, state, running command and its duration, pinned (multiplexing)" },
  { "SELECT * FROM pools", "backend connections per backend and user: multiplexed clients, in use, idle, waiting statements" },
  { "SELECT * FROM scripts", "script versions per listener: stable and canary, checksum, state, queries, failures, verdict" },
  { "SELECT * FROM query_digests", "statistics per normalized statement: count, times (us), rows, errors" },
  { "SELECT * FROM config", "every option and its value (passwords hidden)" },
  { "SET backend <id> offline|online", "take a backend out of service (sessions drain) or back in" },
  { "KILL [CONNECTION] <id>", "close a client connection" },
  { "RELOAD SCRIPT", "re-read the proxy's Lua script now" },
  { "DELETE FROM query_digests", "reset the query digests" },
}

-- what drivers ask for when they connect; anything else is NULL
local VARIABLES = {
  version_comment = "mysqlproxy admin interface",
  version = "5.7.99-mysqlproxy-admin",
  auto_increment_increment = 1,
  character_set_client = "utf8mb4",
  character_set_connection = "utf8mb4",
  character_set_results = "utf8mb4",
  character_set_server = "utf8mb4",
  collation_server = "utf8mb4_general_ci",
  collation_connection = "utf8mb4_general_ci",
  init_connect = "",
  interactive_timeout = 28800,
  license = "Apache-2.0",
  lower_case_table_names = 0,
  max_allowed_packet = 1048576,
  net_buffer_length = 16384,
  net_write_timeout = 60,
  performance_schema = 0,
  query_cache_size = 0,
  query_cache_type = "OFF",
  sql_mode = "",
  system_time_zone = "UTC",
  time_zone = "SYSTEM",
  transaction_isolation = "REPEATABLE-READ",
  tx_isolation = "REPEATABLE-READ",
  transaction_read_only = 0,
  tx_read_only = 0,
  wait_timeout = 28800,
  autocommit = 1,
}

local function ok()
  proxy.response = { type = proxy.MYSQLD_PACKET_OK }
  return proxy.PROXY_SEND_RESULT
end

local function err(msg, code)
  proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errmsg = msg, errcode = code or 1105, sqlstate = "HY000" }
  return proxy.PROXY_SEND_RESULT
end

-- runs an admin action; its refusal (a Lua error raised by the proxy) goes to the client as an ERR
local function attempt(action, ...)
  local done, msg = pcall(action, ...)
  if not done then
    return err((tostring(msg):gsub("^admin%.lua:%d+: ", "")))
  end
  return ok()
end

local function resultset(rs)
  proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = rs }
  return proxy.PROXY_SEND_RESULT
end

local function text_table(columns, rows)
  local fields = {}
  for i, name in ipairs(columns) do
    fields[i] = { name = name, type = proxy.MYSQL_TYPE_STRING }
  end
  return resultset({ fields = fields, rows = rows })
end

-- SELECT @@a, @@session.b AS c, ... : one row, a column per item
local function select_variables(list)
  local fields, row = {}, {}
  local n = 0
  for item in (list .. ","):gmatch("([^,]+),") do
    item = item:match("^%s*(.-)%s*$")
    local expr, alias = item:match("^(.-)%s+[Aa][Ss]%s+[`'\"]?([%w_@.]+)[`'\"]?$")
    expr = expr or item
    local name = expr:lower():match("^@@([%w_.]+)$")
    if not name then
      return nil
    end
    name = name:gsub("^session%.", ""):gsub("^global%.", ""):gsub("^local%.", "")
    n = n + 1
    fields[n] = { name = alias or expr, type = proxy.MYSQL_TYPE_STRING }
    local v = VARIABLES[name]
    row[n] = v ~= nil and tostring(v) or nil
  end
  return resultset({ fields = fields, rows = { row } })
end

local HELP_TABLE = {
  fields = { { name = "statement", type = proxy.MYSQL_TYPE_STRING }, { name = "description", type = proxy.MYSQL_TYPE_STRING } },
  rows = HELP,
}

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return err("the admin interface takes only queries", 1047)
  end
  -- comments drivers prepend, blanks and a trailing semicolon do not matter
  local sql = packet:sub(2):gsub("/%*.-%*/", " "):match("^%s*(.-)[%s;]*$")
  local lower = sql:lower()

  if lower:match("^select%s") and lower:match("%sfrom%s") then
    local rs, reason, code = admin.select(sql, { help = HELP_TABLE })
    if not rs then
      return err(reason, code)
    end
    return resultset(rs)
  end

  local id, state = lower:match("^set%s+backend%s+(%d+)%s+(%a+)$")
  if id then
    return attempt(admin.set_backend, tonumber(id), state)
  end

  local victim = lower:match("^kill%s+(%d+)$") or lower:match("^kill%s+connection%s+(%d+)$")
  if victim then
    if admin.kill(tonumber(victim)) then
      return ok()
    end
    return err("Unknown thread id: " .. victim, 1094)
  end

  if lower:match("^reload%s+script$") then
    return attempt(admin.reload_script)
  end

  if lower:match("^delete%s+from%s+query_digests$") or lower:match("^truncate%s+table%s+query_digests$")
      or lower:match("^truncate%s+query_digests$") then
    return attempt(admin.reset_query_digests)
  end

  -- what client libraries send on connect
  local list = sql:match("^[Ss][Ee][Ll][Ee][Cc][Tt]%s+(@@.-)%s*$")
  if list then
    list = list:gsub("%s+[Ll][Ii][Mm][Ii][Tt]%s+%d+$", "")
    local answered = select_variables(list)
    if answered then
      return answered
    end
  end
  if lower:match("^set%s") or lower:match("^use%s") or lower:match("^start%s+transaction") or lower == "commit"
      or lower == "rollback" or lower == "begin" then
    return ok()
  end
  if lower:match("^show%s+tables") then
    local rows = { { "help" } }
    for _, name in ipairs(admin.tables()) do
      rows[#rows + 1] = { name }
    end
    return text_table({ "Tables_in_admin" }, rows)
  end
  if lower:match("^show%s+databases") or lower == "select database()" then
    return text_table({ "Database" }, { { "admin" } })
  end
  if lower:match("^show%s+") and lower:match("variables") then
    local rows = {}
    for k, v in pairs(VARIABLES) do
      rows[#rows + 1] = { k, tostring(v) }
    end
    table.sort(rows, function(a, b) return a[1] < b[1] end)
    return text_table({ "Variable_name", "Value" }, rows)
  end
  return err("the admin interface does not understand: " .. sql .. " (SELECT * FROM help lists what it does)", 1064)
end
