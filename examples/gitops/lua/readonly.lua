local M = {}

-- the first read-only backend that is up, or nil
function M.backend()
  for i = 1, #proxy.global.backends do
    local b = proxy.global.backends[i]
    if b.type == proxy.BACKEND_TYPE_RO and b.state == proxy.BACKEND_STATE_UP then
      return i
    end
  end
  return nil
end

function M.is_plain_select(sql)
  local first = sql:match("^%s*(%a+)")
  return first ~= nil and first:upper() == "SELECT" and not sql:upper():find("FOR%s+UPDATE")
end

return M
