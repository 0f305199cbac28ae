--[[
proxy.commands: decode a client command packet (the argument of read_query) into a table.

  local commands = require("proxy.commands")
  local cmd = commands.parse(packet)
  -- cmd.type (the command byte), cmd.type_name ("COM_QUERY"), and by command:
  --   query            COM_QUERY, COM_STMT_PREPARE
  --   schema           COM_INIT_DB, COM_CREATE_DB, COM_DROP_DB
  --   table, wildcard  COM_FIELD_LIST
  --   option           COM_SET_OPTION (0 multi-statements on, 1 off)
  --   stmt_handler_id  COM_STMT_EXECUTE, _CLOSE, _RESET, _FETCH, _SEND_LONG_DATA
  --   id               COM_PROCESS_KILL
  print(commands.pretty_print(cmd))
]]

module("proxy.commands", package.seeall)

local names = {}
for name, value in pairs(proxy) do
  if type(name) == "string" and name:sub(1, 4) == "COM_" and type(value) == "number" then
    names[value] = name
  end
end

local function u32(s, at)
  local b1, b2, b3, b4 = s:byte(at, at + 3)
  return (b1 or 0) + (b2 or 0) * 256 + (b3 or 0) * 65536 + (b4 or 0) * 16777216
end

function parse(packet)
  local t = packet:byte(1)
  if not t then
    return nil
  end
  local cmd = { type = t, type_name = names[t] or string.format("COM_(0x%02x)", t) }
  local body = packet:sub(2)
  if t == proxy.COM_QUERY or t == proxy.COM_STMT_PREPARE then
    cmd.query = body
  elseif t == proxy.COM_INIT_DB or t == proxy.COM_CREATE_DB or t == proxy.COM_DROP_DB then
    cmd.schema = body
  elseif t == proxy.COM_FIELD_LIST then
    local nul = body:find("\0", 1, true)
    cmd.table = nul and body:sub(1, nul - 1) or body
    cmd.wildcard = nul and body:sub(nul + 1) or ""
  elseif t == proxy.COM_SET_OPTION then
    cmd.option = (body:byte(1) or 0) + (body:byte(2) or 0) * 256
  elseif t == proxy.COM_STMT_EXECUTE or t == proxy.COM_STMT_CLOSE or t == proxy.COM_STMT_RESET
      or t == proxy.COM_STMT_FETCH or t == proxy.COM_STMT_SEND_LONG_DATA then
    cmd.stmt_handler_id = u32(body, 1)
  elseif t == proxy.COM_PROCESS_KILL then
    cmd.id = u32(body, 1)
  end
  return cmd
end

function pretty_print(cmd)
  local detail = cmd.query or cmd.schema or cmd.table or cmd.option or cmd.stmt_handler_id or cmd.id
  if detail == nil then
    return "[" .. cmd.type_name .. "]"
  end
  return "[" .. cmd.type_name .. "] " .. tostring(detail)
end
