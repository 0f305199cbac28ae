-- Benchmark (b): every query is injected and its timing read in read_query_result, as query-timing scripts do.
function read_query(packet)
  if packet:byte() == proxy.COM_QUERY then
    proxy.queries:append(1, packet)
    return proxy.PROXY_SEND_QUERY
  end
end

function read_query_result(inj)
  local t = inj.query_time
end
