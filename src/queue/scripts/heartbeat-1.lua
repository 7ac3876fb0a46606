--[[
  Marks a worker alive until now + ttl (Redis server time, so worker clocks may
  disagree), forgets workers whose heartbeat expired, and lists the live ones.

  KEYS[1] workers sorted set
  ARGV[1] worker (consumer name)
  ARGV[2] ttl (ms)
  Returns the live workers' names, sorted.
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(live)
return live
