--[[
firewall.lua: refuse queries by their shape.

Every statement of every COM_QUERY and COM_STMT_PREPARE is judged before anything reaches a backend. The text is
split into the statements the server would run (proxy.tokenizer.statements: quotes, comments and executable comments
such as /*!40101 ... */ are read as the server reads them, so "SELECT 1; DELETE FROM t" is two statements and
"/*!40101 DELETE FROM t */" is a DELETE). Each statement is normalized (comments dropped, literals replaced by ?,
names quoted, keywords upper-cased, as proxy.tokenizer.normalize does) and checked against the rules. One refused
statement refuses the whole packet with ERR 1148 (42000) "Query refused by the mysqlproxy firewall: <rule>", and
nothing reaches the server.

What the firewall cannot judge is refused:
  * a text the proxy cannot split for certain (an unterminated string or comment, or a backslash inside quotes
    that would split it differently under NO_BACKSLASH_ESCAPES or ANSI_QUOTES);
  * SQL run from a variable: PREPARE ... FROM @v and EXECUTE IMMEDIATE @v (from a string literal, the literal's
    statements are judged like any other);
  * compound statements, whose inner statements run at once (BEGIN NOT ATOMIC, IF, CASE, LOOP, WHILE, REPEAT, FOR,
    DECLARE, labelled blocks), and stored-program definitions (CREATE PROCEDURE, FUNCTION, TRIGGER, EVENT,
    PACKAGE; ALTER EVENT), unless the rules say allow_stored_programs = true.
A statement that runs another is judged by the one it runs: SET STATEMENT ... FOR <statement>, WITH ... <statement>,
and EXPLAIN or ANALYZE <statement> (MariaDB's ANALYZE runs it).

Rules, in proxy.global.config.firewall (set them here, or in a module "firewall-rules" next to this script that
returns the table, so that the rules can change with a hot swap of that file):
  deny          = { normalized statements refused exactly, e.g. "DELETE FROM `users` " }
  deny_patterns = { Lua patterns matched against the normalized statement in upper case, e.g. "^DROP ". Words
                    that are not SQL keywords of the tokenizer come back quoted: "^`?TRUNCATE`? " }
  without_where = { statements refused when they have no WHERE clause, by their verb: "DELETE", "UPDATE" }
  allow_stored_programs = true to let compound statements and stored-program definitions through
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
  allow_stored_programs = false,
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
  needs_where[word:upper()] = true
end

local COMPOUND = { IF = true, CASE = true, LOOP = true, WHILE = true, REPEAT = true, FOR = true, DECLARE = true }
local STORED_PROGRAM = { PROCEDURE = true, FUNCTION = true, TRIGGER = true, EVENT = true, PACKAGE = true }
local NOT_A_PROGRAM = { TABLE = true, VIEW = true, INDEX = true, DATABASE = true, SCHEMA = true, USER = true,
                        ROLE = true, SEQUENCE = true, SERVER = true, TABLESPACE = true }
local DML = { SELECT = true, INSERT = true, UPDATE = true, DELETE = true, REPLACE = true, TABLE = true,
              VALUES = true }
local EXPLAIN_OPTIONS = { FORMAT = true, ["="] = true, JSON = true, TRADITIONAL = true, TREE = true,
                          EXTENDED = true, PARTITIONS = true, ANALYZE = true }

--- the tokens of a statement without its comments, and their upper-cased texts
local function words_of(tokens)
  local t, w = {}, {}
  for i = 1, #tokens do
    local token = tokens[i]
    if token.token_name ~= "TK_COMMENT" then
      t[#t + 1] = token
      w[#w + 1] = token.text:upper()
    end
  end
  return t, w
end

--- tokens from..#t as a list of their own
local function slice(t, from)
  local out = {}
  for i = from, #t do
    out[#out + 1] = t[i]
  end
  return out
end

local judge_text

--- the index of the statement a WITH clause introduces: its first DML verb outside parentheses
local function after_with(t, w)
  local depth = 0
  for i = 2, #w do
    if w[i] == "(" then
      depth = depth + 1
    elseif w[i] == ")" then
      depth = depth - 1
    elseif depth == 0 and DML[w[i]] then
      return i
    end
  end
  return nil
end

--- why a statement is refused, or nil
local function judge_statement(t, w, depth)
  if #t == 0 then
    return nil
  end
  local first = w[1]
  -- statements that run another: judge the one they run
  if first == "SET" and w[2] == "STATEMENT" then
    for i = 3, #w do
      if w[i] == "FOR" then
        return judge_statement(slice(t, i + 1), slice(w, i + 1), depth)
      end
    end
    return "SET STATEMENT without FOR"
  end
  if first == "WITH" then
    local at = after_with(t, w)
    if at then
      return judge_statement(slice(t, at), slice(w, at), depth)
    end
  end
  if first == "EXPLAIN" or first == "ANALYZE" or first == "DESCRIBE" or first == "DESC" then
    local i = 2
    while w[i] and EXPLAIN_OPTIONS[w[i]] do
      i = i + 1
    end
    if w[i] and DML[w[i]] then
      return judge_statement(slice(t, i), slice(w, i), depth)
    end
  end
  -- SQL the firewall cannot see
  if (first == "PREPARE" and w[3] == "FROM") or (first == "EXECUTE" and w[2] == "IMMEDIATE") then
    local source = first == "PREPARE" and t[4] or t[3]
    if source and source.token_name == "TK_STRING" and #t == (first == "PREPARE" and 4 or 3) and depth < 4 then
      return judge_text(source.text, depth + 1)
    end
    return first .. " from anything but a string literal"
  end
  if not rules.allow_stored_programs then
    if (first == "BEGIN" and w[2] == "NOT") or COMPOUND[first] or w[2] == ":" then
      return "compound statement (" .. first .. " ...)"
    end
    if first == "CREATE" or (first == "ALTER" and w[2] == "EVENT") then
      for i = 2, math.min(#w, 12) do
        if NOT_A_PROGRAM[w[i]] then
          break
        end
        if STORED_PROGRAM[w[i]] then
          return "stored-program definition (" .. first .. " " .. w[i] .. ")"
        end
      end
    end
  end
  -- the rules
  if needs_where[first] then
    local has_where = false
    for i = 2, #t do
      if t[i].token_name == "TK_SQL_WHERE" then
        has_where = true
        break
      end
    end
    if not has_where then
      return first .. " without WHERE"
    end
  end
  local normalized = tokenizer.normalize(t)
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

--- why a text (one or more statements) is refused, or nil
judge_text = function(text, depth)
  local statements, problem = tokenizer.statements(text)
  if not statements then
    return "the text cannot be split into statements for certain (" .. problem .. ")"
  end
  for _, statement in ipairs(statements) do
    local t, w = words_of(tokenizer.tokenize(statement))
    local rule = judge_statement(t, w, depth)
    if rule then
      return rule
    end
  end
  return nil
end

local function normalized_statements(text)
  local statements, problem = tokenizer.statements(text)
  if not statements then
    return "(" .. problem .. ")"
  end
  local out = {}
  for _, statement in ipairs(statements) do
    out[#out + 1] = tokenizer.normalize(tokenizer.tokenize(statement))
  end
  return table.concat(out, "; ")
end

function read_query(packet)
  local command = packet:byte()
  if command ~= proxy.COM_QUERY and command ~= proxy.COM_STMT_PREPARE then
    return
  end
  local query = packet:sub(2)
  local probe = command == proxy.COM_QUERY and query:match("^FIREWALL NORMALIZE (.*)$")
  if probe then
    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
      fields = { { name = "normalized", type = proxy.MYSQL_TYPE_STRING } },
      rows = { { normalized_statements(probe) } } } }
    return proxy.PROXY_SEND_RESULT
  end
  proxy.atomic_add(stats, "checked", 1)
  local rule = judge_text(query, 0)
  if not rule then
    return
  end
  proxy.atomic_add(stats, "refused", 1)
  print(string.format("firewall %s user=%s client=%s rule=%q query=%q", rules.log_only and "would refuse" or "refused",
    proxy.connection.client.username or "", proxy.connection.client.src.name, rule, normalized_statements(query)))
  if rules.log_only then
    return
  end
  proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errcode = 1148, sqlstate = "42000",
                     errmsg = "Query refused by the mysqlproxy firewall: " .. rule }
  return proxy.PROXY_SEND_RESULT
end
