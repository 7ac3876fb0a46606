--[[
  Gives a shard lease up if the caller still holds it.

  KEYS[1] lease
  ARGV[1] owner (consumer name)
  Returns 1 when released, 0 when it was not the caller's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
