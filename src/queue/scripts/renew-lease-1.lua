--[[
  Extends a shard lease if the caller still holds it.

  KEYS[1] lease
  ARGV[1] owner (consumer name)
  ARGV[2] lease time (ms)
  Returns 1 when renewed, 0 when the lease is gone or held by another worker.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
