--[[
mock-server.lua: a MySQL server made of Lua, with no backend at all. Useful for demos, for tests of clients, and
for the original MySQL Proxy test style (a mock proxy behind the proxy under test).

  mysqlproxy --proxy-lua-script=lua/mock-server.lua

Every login is accepted, and the mock answers what the common clients send as they connect and as they run:
  * SELECT of a list of expressions without FROM: one row, one column per expression (named by its alias or its
    text). DATABASE(), USER() and friends, VERSION(), CONNECTION_ID(), NOW(), the system variables clients read
    (@@version_comment, @@max_allowed_packet, @@character_set_*, @@sql_mode, ...) and literals get their values;
    another expression comes back as its own text. This is what the mariadb CLI's status command, JDBC drivers,
    PyMySQL and others ask;
  * SHOW VARIABLES [LIKE '...'], SHOW DATABASES, SHOW TABLES, SHOW WARNINGS;
  * USE and COM_INIT_DB (the current database follows), COM_PING, COM_STATISTICS;
  * any other SELECT: one row echoing the statement; anything else: OK.
Canned results for exact statements go in `answers`.
]]
local proto = require("mysql.proto")
local tokenizer = require("proxy.tokenizer")

local VERSION = "5.7.44-mysqlproxy-mock"

-- canned results: statement text -> { fields = {...}, rows = {...} }
local answers = {}

-- the system variables clients read as they connect
local variables = {
  version = VERSION, version_comment = "mysqlproxy mock", max_allowed_packet = 16777216,
  auto_increment_increment = 1, autocommit = 1, character_set_client = "utf8mb4",
  character_set_connection = "utf8mb4", character_set_results = "utf8mb4", character_set_server = "utf8mb4",
  character_set_database = "utf8mb4", collation_connection = "utf8mb4_general_ci",
  collation_server = "utf8mb4_general_ci", collation_database = "utf8mb4_general_ci", init_connect = "",
  interactive_timeout = 28800, wait_timeout = 28800, net_write_timeout = 60, net_read_timeout = 30,
  license = "GPL", lower_case_table_names = 0, performance_schema = 0, query_cache_size = 0,
  query_cache_type = "OFF", sql_mode = "", system_time_zone = "UTC", time_zone = "SYSTEM",
  transaction_isolation = "REPEATABLE-READ", tx_isolation = "REPEATABLE-READ", tx_read_only = 0,
  transaction_read_only = 0, session_track_schema = "ON", hostname = "mysqlproxy-mock", port = 3306,
  socket = "", read_only = 0, have_ssl = "DISABLED", server_id = 1,
}

local database = nil -- the connection's current database

function connect_server()
  proxy.response = {
    type = proxy.MYSQLD_PACKET_RAW,
    -- CLIENT_LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB (so that drivers send the database with the
    -- login), PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, MULTI_RESULTS, PLUGIN_AUTH
    packets = { proto.to_challenge_packet({ server_version = 50744, capabilities = 696847 }) },
  }
  return proxy.PROXY_SEND_RESULT
end

local function user()
  local c = proxy.connection.client
  return (c.username or "") .. "@" .. (c.src.address or "localhost")
end

--- the value of one select-list expression, given its tokens (comments left out)
local function value_of(t, text)
  local first = t[1]
  local upper = first.text:upper()
  if #t == 1 and (first.token_name == "TK_INTEGER" or first.token_name == "TK_FLOAT") then
    return first.text
  elseif #t == 1 and first.token_name == "TK_STRING" then
    return first.text
  elseif #t == 1 and upper == "NULL" then
    return nil
  elseif first.text:sub(1, 2) == "@@" then
    -- @@name, @@session.name, @@global.name
    local name = t[#t].text:lower()
    if name:sub(1, 2) == "@@" then
      name = name:sub(3)
    end
    return variables[name] and tostring(variables[name]) or nil
  elseif first.token_name == "TK_FUNCTION" and t[2] and t[2].text == "(" and t[#t].text == ")" then
    if upper == "DATABASE" or upper == "SCHEMA" then
      return database
    elseif upper == "USER" or upper == "CURRENT_USER" or upper == "SESSION_USER" or upper == "SYSTEM_USER" then
      return user()
    elseif upper == "VERSION" then
      return VERSION
    elseif upper == "CONNECTION_ID" then
      return tostring(proxy.connection.client.thread_id or 1)
    elseif upper == "NOW" or upper == "CURRENT_TIMESTAMP" or upper == "SYSDATE" then
      return os.date("!%Y-%m-%d %H:%M:%S")
    end
  end
  return text
end

--- the items of a select list, split at the commas outside parentheses and quotes, as written
local function split_items(list)
  local items, depth, quote, start = {}, 0, nil, 1
  for i = 1, #list do
    local c = list:sub(i, i)
    if quote then
      if c == quote then
        quote = nil
      end
    elseif c == "'" or c == '"' or c == "`" then
      quote = c
    elseif c == "(" then
      depth = depth + 1
    elseif c == ")" then
      depth = depth - 1
    elseif c == "," and depth == 0 then
      items[#items + 1] = list:sub(start, i - 1)
      start = i + 1
    end
  end
  items[#items + 1] = list:sub(start)
  return items
end

--- answers a SELECT without FROM: one column per expression, named as MySQL names it; nil when it has a FROM
local function select_list(query)
  for _, t in ipairs({ tokenizer.tokenize(query) }) do
    for i = 1, #t do
      local name = t[i].token_name
      if name == "TK_SQL_FROM" or name == "TK_SQL_WHERE" or name == "TK_SQL_INTO" then
        return nil
      end
    end
  end
  local list = query:gsub("^%a+%s*", ""):gsub("%s+[Ll][Ii][Mm][Ii][Tt]%s+%d+$", "")
  local fields, row = {}, {}
  for i, item in ipairs(split_items(list)) do
    local expression = item:gsub("^%s+", ""):gsub("%s+$", "")
    local before, alias = expression:match("^(.-)%s+[Aa][Ss]%s+`?([%w_$]+)`?$")
    expression = before or expression
    local tokens = {}
    local all = tokenizer.tokenize(expression)
    for k = 1, #all do
      if all[k].token_name ~= "TK_COMMENT" then
        tokens[#tokens + 1] = all[k]
      end
    end
    if #tokens == 0 then
      return nil
    end
    local value = value_of(tokens, expression)
    -- MySQL names a column by its expression as written; a string literal's by its text
    fields[i] = { name = alias or (#tokens == 1 and tokens[1].token_name == "TK_STRING" and value) or expression }
    row[i] = value
  end
  return { fields = fields, rows = { row } }
end

local function show(query)
  local words = {}
  for w in query:gmatch("%S+") do
    words[#words + 1] = w:upper()
  end
  if words[2] == "VARIABLES" or (words[3] == "VARIABLES" and (words[2] == "SESSION" or words[2] == "GLOBAL")) then
    local like = query:match("[Ll][Ii][Kk][Ee]%s+'([^']*)'")
    local pattern
    if like then -- SQL's % and _ as a Lua pattern, every other character as itself
      local parts = { "^" }
      for c in like:lower():gmatch(".") do
        parts[#parts + 1] = c == "%" and ".*" or c == "_" and "." or c:match("%W") and "%" .. c or c
      end
      pattern = table.concat(parts) .. "$"
    end
    local names = {}
    for name in pairs(variables) do
      if not pattern or name:find(pattern) then
        names[#names + 1] = name
      end
    end
    table.sort(names)
    local rows = {}
    for _, name in ipairs(names) do
      rows[#rows + 1] = { name, tostring(variables[name]) }
    end
    return { fields = { { name = "Variable_name" }, { name = "Value" } }, rows = rows }
  elseif words[2] == "DATABASES" or words[2] == "SCHEMAS" then
    return { fields = { { name = "Database" } }, rows = { { "information_schema" }, { "mock" } } }
  elseif words[2] == "TABLES" then
    return { fields = { { name = "Tables_in_" .. (database or "mock") } }, rows = {} }
  elseif words[2] == "WARNINGS" or words[2] == "ERRORS" then
    return { fields = { { name = "Level" }, { name = "Code" }, { name = "Message" } }, rows = {} }
  end
  return nil
end

function read_query(packet)
  local command = packet:byte()
  local text = packet:sub(2)
  database = database or proxy.connection.client.default_db
  if database == "" then
    database = nil
  end
  if command == proxy.COM_QUIT then
    return -- the proxy closes the connection
  elseif command == proxy.COM_STATISTICS then
    proxy.response = { type = proxy.MYSQLD_PACKET_RAW, packets = {
      "Uptime: " .. math.floor(os.clock()) .. "  Threads: 1  Questions: 1  Slow queries: 0  Opens: 0  " ..
      "Open tables: 0  Queries per second avg: 0.000" } }
    return proxy.PROXY_SEND_RESULT
  elseif command == proxy.COM_INIT_DB then
    database = text
  elseif command == proxy.COM_QUERY then
    local query = text:gsub("^%s+", ""):gsub("[%s;]+$", "")
    local first = query:match("^(%a+)")
    first = first and first:upper()
    local result = answers[query]
    if not result and first == "SELECT" then
      result = select_list(query) or { fields = { { name = "statement" } }, rows = { { text } } }
    elseif not result and first == "SHOW" then
      result = show(query)
    elseif first == "USE" then
      database = query:match("^%a+%s+`?([^`%s]+)`?")
    end
    if result then
      proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = result }
      return proxy.PROXY_SEND_RESULT
    end
  end
  proxy.response = { type = proxy.MYSQLD_PACKET_OK, affected_rows = 0 }
  return proxy.PROXY_SEND_RESULT
end
