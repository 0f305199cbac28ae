--[[
rw-splitting.lua: read/write splitting for mysqlproxy.

Each client connection logs into a read-write backend and, when the proxy has read-only backends, into one of
them too (the least busy that is up). Reads outside a transaction go to the read-only backend; everything else
goes to the read-write one:

  * writes, DDL, CALL, SHOW and any other statement that is not a plain SELECT;
  * every statement inside a transaction (BEGIN / START TRANSACTION until COMMIT or ROLLBACK, as the server's
    status flags report it);
  * SELECTs that lock (FOR UPDATE, LOCK IN SHARE MODE), write (INTO), read or set session state (user and system
    variables, FOUND_ROWS(), LAST_INSERT_ID(), GET_LOCK() and friends), and multi-statements (split as the server
    splits them, with the SQL of /*! ... */ comments; a text that cannot be split for certain pins);
  * the binary protocol (prepared statements live on the connection that prepared them).

SET statements of session variables (character sets, sql_mode, time_zone, ...) run on both connections, the
read-only one first, so both sessions stay alike; drivers send such SETs when they connect. A connection that
creates session state the read-only connection would not have (user variables, SET autocommit = 0, a SET that
failed on the read-only backend, temporary tables, LOCK TABLES, GET_LOCK, PREPARE, XA, HANDLER,
COM_CHANGE_USER) is pinned to its read-write backend for the rest of its life: a wrong answer is worse than a
busy primary.

The default database follows the client: after USE or COM_INIT_DB the read-only connection is switched to the
same database before its next read (if that fails, the read goes to the read-write backend).

Reads may see replication lag: a read right after a write of the same connection can miss that write unless it
runs in a transaction. With proxy.global.config.rwsplit.max_replica_lag set (seconds), a read goes to the
read-only backend only while the proxy's health check measured its lag at most that (the health-check user needs
the SLAVE MONITOR / REPLICATION CLIENT privilege); a replica whose lag is unknown (replication stopped, not yet
measured) or too high gets no reads, and new connections do not pick it. Counters of routed statements are kept in
proxy.global.rwsplit (rw, ro, pinned, lagging).

Connections a client leaves behind wait in each backend's idle pool, as in MySQL Proxy, and the next clients take
them over (the server checks their login with COM_CHANGE_USER, which also resets the session). The pool sizes
come from proxy.global.config.rwsplit: min_idle_connections (default 0) and max_idle_connections (default 8), per
backend and user.

On a multiplexing listener (--multiplexing) the same routing picks pools instead of connections: a read borrows a
connection of the client's user from the read-only backend's pool, everything else from the read-write one's, and
a client the proxy pins (proxy.connection.pinned: a transaction, session state) reads from its pinned connection.
]]

local tokenizer = require("proxy.tokenizer")

-- functions whose result depends on the session that runs them
local SESSION_FUNCTIONS = {
  GET_LOCK = true, RELEASE_LOCK = true, RELEASE_ALL_LOCKS = true, IS_FREE_LOCK = true, IS_USED_LOCK = true,
  FOUND_ROWS = true, LAST_INSERT_ID = true, ROW_COUNT = true, CONNECTION_ID = true,
  NEXTVAL = true, LASTVAL = true, SETVAL = true, LAST_VALUE = true,
  MASTER_POS_WAIT = true, MASTER_GTID_WAIT = true, SLEEP = true, BENCHMARK = true,
}

-- statements that leave state in the session, by their first word
-- functions that may give another value on the replica
local VOLATILE_FUNCTIONS = {
  RAND = true, UUID = true, UUID_SHORT = true, SYS_GUID = true, NOW = true, SYSDATE = true,
  CURRENT_TIMESTAMP = true, LOCALTIME = true, LOCALTIMESTAMP = true, UNIX_TIMESTAMP = true, CURDATE = true,
  CURTIME = true, UTC_TIMESTAMP = true,
}

local PINNING_STATEMENTS = { TK_SQL_LOCK = "LOCK TABLES" }
local PINNING_WORDS = { PREPARE = "PREPARE", XA = "XA transaction", HANDLER = "HANDLER" }

local INIT_DB_ID = 1
local QUERY_ID = 2
local SET_ID = 3

if not proxy.global.config.rwsplit then
  proxy.global.config.rwsplit = { min_idle_connections = 0, max_idle_connections = 8 }
end
local config = proxy.global.config.rwsplit

local stats = proxy.global.rwsplit
if not stats then
  proxy.global.rwsplit = { rw = 0, ro = 0, pinned = 0, lagging = 0 }
  stats = proxy.global.rwsplit
end

-- per connection (the script body runs once per client connection)
local home = nil      -- the read-write backend this connection logged into
local pinned = nil    -- why this connection stays on its read-write backend, or nil
local db = nil        -- the default database the client asked for last
local ro_db = nil     -- the default database of the read-only connection

--- false when max_replica_lag is set and backend i is further behind, or its lag is not known
local function fresh_enough(i)
  local max = config.max_replica_lag
  if not max then
    return true
  end
  local lag = proxy.global.backends[i].replication_lag
  return lag ~= nil and lag <= max
end

--- the least busy backend of a type that can take connections
local function least_busy(kind)
  local best, clients
  for i = 1, #proxy.global.backends do
    local b = proxy.global.backends[i]
    if b.type == kind and (b.state == proxy.BACKEND_STATE_UP or b.state == proxy.BACKEND_STATE_UNKNOWN)
        and (kind == proxy.BACKEND_TYPE_RW or fresh_enough(i))
        and (not best or b.connected_clients < clients) then
      best, clients = i, b.connected_clients
    end
  end
  return best
end

function connect_server()
  for i = 1, #proxy.global.backends do
    local pool = proxy.global.backends[i].pool
    pool.min_idle_connections = config.min_idle_connections or 0
    pool.max_idle_connections = config.max_idle_connections or 8
  end
  local rw = least_busy(proxy.BACKEND_TYPE_RW)
  if rw then
    proxy.connection.backend_ndx = rw
  end
  local ro = least_busy(proxy.BACKEND_TYPE_RO)
  if ro then
    proxy.connection.extra_backend_ndx = ro
  end
end

--- the reason the proxy keeps this client on one backend connection while multiplexing, or nil
local function kept()
  local why = proxy.connection.pinned
  if why ~= "not_multiplexed" then
    return why
  end
end

local function pin(reason)
  if not pinned then
    pinned = reason
    proxy.atomic_add(stats, "pinned", 1)
  end
end

--- true when a SELECT can run on a replica without changing its answer
local function is_plain_read(tokens, first)
  if first.token_name ~= "TK_SQL_SELECT" then
    return false
  end
  for i = 1, #tokens do
    local t = tokens[i]
    local name = t.token_name
    if name == "TK_SQL_INTO" or name == "TK_SQL_FOR" or name == "TK_SQL_LOCK" or name == "TK_SEMICOLON"
        or name == "TK_ASSIGN" or name == "TK_SQL_SQL_CALC_FOUND_ROWS" then
      return false
    elseif name == "TK_FUNCTION" and SESSION_FUNCTIONS[t.text:upper()] then
      return false
    elseif name == "TK_LITERAL" and t.text:sub(1, 1) == "@" then
      return false
    end
  end
  return true
end

--- for a SET statement: true when it only sets session variables to constants, which both connections can run
local function is_shared_set(tokens)
  for i = 1, #tokens do
    local t = tokens[i]
    local name = t.token_name
    if name == "TK_SQL_SELECT" or name == "TK_SEMICOLON"
        or (name == "TK_FUNCTION" and (VOLATILE_FUNCTIONS[t.text:upper()] or SESSION_FUNCTIONS[t.text:upper()]))
        or (name == "TK_LITERAL" and t.text:sub(1, 1) == "@" and t.text:sub(2, 2) ~= "@") then
      return false -- user variables, subqueries and volatile values may differ on the replica
    end
    if name == "TK_LITERAL" and t.text:lower() == "autocommit" then
      local value = tokens[i + 2] and tokens[i + 2].text:upper()
      if value ~= "1" and value ~= "ON" and value ~= "TRUE" then
        return false -- autocommit off opens transactions: those belong on the primary
      end
    end
  end
  return true
end

--- notes what a statement does to the session
local function track(tokens, first)
  local reason = PINNING_STATEMENTS[first.token_name]
      or (first.token_name == "TK_LITERAL" and PINNING_WORDS[first.text:upper()])
  if reason then
    pin(reason)
  elseif first.token_name == "TK_SQL_CREATE" then
    for i = 2, math.min(#tokens, 4) do
      if tokens[i].text:upper() == "TEMPORARY" then
        pin("temporary table")
      end
    end
  elseif first.token_name == "TK_SQL_USE" and tokens[2] then
    db = tokens[2].text
  end
  for i = 1, #tokens do
    local t = tokens[i]
    if t.token_name == "TK_FUNCTION" and t.text:upper() == "GET_LOCK" then
      pin("GET_LOCK")
    elseif t.token_name == "TK_ASSIGN" then
      pin("user variable")
    end
  end
end

function read_query(packet)
  home = home or proxy.connection.backend_ndx
  if db == nil then
    db = proxy.connection.client.default_db or ""
    ro_db = db
  end
  local ro = proxy.connection.extra_backend_ndx
  local command = packet:byte()
  if command == proxy.COM_INIT_DB then
    db = packet:sub(2)
  elseif command == proxy.COM_CHANGE_USER then
    pin("COM_CHANGE_USER")
  end
  local read = false
  local statements
  if command == proxy.COM_QUERY and ro > 0 and not pinned then
    statements = tokenizer.statements(packet:sub(2))
    if not statements then
      pin("a text the proxy cannot split into statements")
    elseif #statements > 1 then
      -- several statements go to the primary together; what they leave in the session still counts
      for _, statement in ipairs(statements) do
        local tokens = tokenizer.tokenize(statement)
        local first = tokenizer.first_stmt_token(tokens)
        if first then
          track(tokens, first)
        end
      end
      statements = nil
    end
  end
  if statements and statements[1] then
    local tokens = tokenizer.tokenize(statements[1])
    local first = tokenizer.first_stmt_token(tokens)
    if first and first.token_name == "TK_SQL_SET" then
      if is_shared_set(tokens) then
        -- the replica's session first (its answer is dropped), then the primary's, which answers the client
        proxy.atomic_add(stats, "rw", 1)
        proxy.connection.backend_ndx = ro
        proxy.queries:append(SET_ID, packet, { resultset_is_needed = true })
        proxy.queries:append(QUERY_ID, packet)
        return proxy.PROXY_SEND_QUERY
      end
      pin("SET")
    end
    if first then
      track(tokens, first)
      read = not pinned and not kept() and not proxy.connection.server.in_trans and is_plain_read(tokens, first)
      if read and (proxy.global.backends[ro].state == proxy.BACKEND_STATE_DOWN or not fresh_enough(ro)) then
        proxy.atomic_add(stats, "lagging", 1)
        read = false -- the replica is down or too far behind: the primary answers
      end
    end
  end
  if not read then
    proxy.atomic_add(stats, "rw", 1)
    proxy.connection.backend_ndx = home
    return
  end
  proxy.atomic_add(stats, "ro", 1)
  proxy.connection.backend_ndx = ro
  if ro_db == db then
    return
  end
  -- the replica connection has another default database: switch it first
  proxy.queries:append(INIT_DB_ID, string.char(proxy.COM_INIT_DB) .. db, { resultset_is_needed = true })
  proxy.queries:append(QUERY_ID, packet)
  return proxy.PROXY_SEND_QUERY
end

function read_query_result(inj)
  if inj.id == SET_ID then
    proxy.connection.backend_ndx = home
    if inj.resultset.query_status ~= proxy.MYSQLD_PACKET_OK then
      pin("a SET the replica refused")
    end
    return proxy.PROXY_IGNORE_RESULT
  end
  if inj.id ~= INIT_DB_ID then
    return
  end
  if inj.resultset.query_status == proxy.MYSQLD_PACKET_OK then
    ro_db = db
  else
    proxy.connection.backend_ndx = home -- the replica lacks that database: read from the primary
  end
  return proxy.PROXY_IGNORE_RESULT
end
