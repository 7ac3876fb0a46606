--[[
  Admits one export's services under ANOMALOG_MAX_SERVICES, atomically: a known
  service is admitted and its last-seen time refreshed; a new one takes a slot
  while fewer than the cap are held. At the cap, slots of idle services are
  freed first.

  KEYS[1] sorted set: service -> last admitted (ms)
  ARGV[1] now (ms)
  ARGV[2] the cap
  ARGV[3] idle cutoff (ms): services last admitted before it give their slot back
  ARGV[4..] distinct service names
  Returns { services holding a slot, { refused names... } }.
]]
local cap = tonumber(ARGV[2])
local size = redis.call('ZCARD', KEYS[1])
local swept = false
local refused = {}
for i = 4, #ARGV do
  local service = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], service) then
    redis.call('ZADD', KEYS[1], ARGV[1], service)
  else
    if size >= cap and not swept then
      swept = true
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
      size = redis.call('ZCARD', KEYS[1])
    end
    if size < cap then
      redis.call('ZADD', KEYS[1], ARGV[1], service)
      size = size + 1
    else
      refused[#refused + 1] = service
    end
  end
end
return { size, refused }
