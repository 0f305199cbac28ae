-- Benchmark (a): a read_query hook that looks at every command and lets it through unchanged.
function read_query(packet)
  if packet:byte() == proxy.COM_QUERY then
    return
  end
end
