-- Benchmark: a read_query hook that spends about two milliseconds of CPU per query matching patterns against
-- query text, as firewall and rewriting scripts do, to measure how throughput grows with Lua threads (MySQL
-- Proxy ran every hook under one global lock).
local ROUNDS = 6000
local text = string.rep("select c from sbtest1 where id = 4711 and k between 10 and 20 ", 4)

function read_query(packet)
  local hits = 0
  for i = 1, ROUNDS do
    if text:find("between%s+%d+%s+and", 1 + i % 7) then
      hits = hits + 1
    end
  end
  if hits < 0 then
    return proxy.PROXY_SEND_RESULT -- never: keeps the loop from being dead code
  end
end
