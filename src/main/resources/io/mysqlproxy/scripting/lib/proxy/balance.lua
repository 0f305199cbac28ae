--[[
proxy.balance: pick a backend the way MySQL Proxy's balancing scripts did, from the backends' state and their
idle-connection pools (proxy.global.backends[i].pool).

  idle_failsafe_rw()  the first read-write backend that is not down and holds an idle pooled connection of this
                      connection's user, else 0
  idle_ro()           of the read-only backends that are not down and hold such a connection, the one with the
                      fewest connected clients, else 0
]]

module("proxy.balance", package.seeall)

local function idle_for_user(b)
  local user = proxy.connection.client.username or ""
  local queue = b.pool.users[user]
  return queue and queue.cur_idle_connections or 0
end

function idle_failsafe_rw()
  for i = 1, #proxy.global.backends do
    local b = proxy.global.backends[i]
    if b.type == proxy.BACKEND_TYPE_RW and b.state ~= proxy.BACKEND_STATE_DOWN and idle_for_user(b) > 0 then
      return i
    end
  end
  return 0
end

function idle_ro()
  local best, clients = 0, nil
  for i = 1, #proxy.global.backends do
    local b = proxy.global.backends[i]
    if b.type == proxy.BACKEND_TYPE_RO and b.state ~= proxy.BACKEND_STATE_DOWN and idle_for_user(b) > 0
        and (clients == nil or b.connected_clients < clients) then
      best, clients = i, b.connected_clients
    end
  end
  return best
end
