-- Logs every client in on the read-write backend and, when there is one up, a read-only backend too; then sends
-- plain SELECTs outside transactions to the read-only one and everything else to the read-write one.
local readonly = require("readonly")
local home

function connect_server()
  proxy.connection.extra_backend_ndx = readonly.backend()
end

function read_query(packet)
  if packet:byte() ~= proxy.COM_QUERY then
    return
  end
  home = home or proxy.connection.backend_ndx
  local ro = proxy.connection.extra_backend_ndx
  if ro and ro > 0 and not proxy.connection.server.in_trans and readonly.is_plain_select(packet:sub(2)) then
    proxy.connection.backend_ndx = ro
  else
    proxy.connection.backend_ndx = home
  end
end
