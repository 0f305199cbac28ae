-- Argo CD health check for mysqlproxy.io/MySQLProxy. Install it in argocd-cm:
--
--   data:
--     resource.customizations.health.mysqlproxy.io_MySQLProxy: |
--       <this file>
--
-- Healthy when the proxy reports the current generation Ready; Degraded when it reports it not Ready with the
-- reason (a refused script, no backend up); Progressing until it has looked at the current generation.
local hs = {}
if obj.status == nil or obj.status.observedGeneration == nil
    or obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "waiting for the proxy to apply generation " .. tostring(obj.metadata.generation)
  return hs
end
local ready = nil
local notReady = {}
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  elseif c.status == "False" then
    table.insert(notReady, c.type .. ": " .. (c.message or c.reason or ""))
  end
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
elseif ready ~= nil then
  hs.status = "Degraded"
  if #notReady > 0 then
    hs.message = table.concat(notReady, "; ")
  else
    hs.message = ready.message
  end
else
  hs.status = "Progressing"
  hs.message = "no Ready condition yet"
end
return hs
