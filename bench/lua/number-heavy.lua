-- Benchmark: a read_query hook that spends several milliseconds of CPU per query on arithmetic, to measure how
-- throughput grows with Lua threads (MySQL Proxy ran every hook under one global lock). LuaJ boxes numbers
-- outside -256..1023, so this hook allocates about a gigabyte per second per thread: it measures memory as
-- much as CPU.
local ROUNDS = 40000

function read_query(packet)
  local acc = 0
  for i = 1, ROUNDS do
    acc = (acc * 31 + i) % 1000003
    if i % 400 == 0 then
      acc = acc + #string.format("%d:%s", acc, packet:sub(1, 8))
    end
  end
  proxy.global.last = nil -- touch shared state, as real scripts do
  if acc < 0 then
    return proxy.PROXY_SEND_RESULT -- never: keeps the loop from being dead code
  end
end
