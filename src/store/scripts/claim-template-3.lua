--[[
  Maps a template key to a pattern, creating the pattern if asked, atomically:
  of two processes claiming one key at once, the first wins and both get its id.

  KEYS[1] templates hash of the service (template key -> pattern id)
  KEYS[2] pattern hash (the new pattern, or the one to join)
  KEYS[3] set of the service's pattern ids
  ARGV[1] template key
  ARGV[2] pattern id
  ARGV[3] 'create' or 'join'
  ARGV[4] events channel
  ARGV[5] service
  ARGV[6] centroid (base64) for 'join'; empty to keep it
  ARGV[7] TTL (seconds) of the service's keys: a service idle that long is forgotten
  ARGV[8..] field, value pairs of the new pattern for 'create'
  Returns { pattern id, 1 if created else 0 }; an error when joining a missing pattern.
  A 'create' of a pattern that exists (the service's overflow pattern) maps the key to it.
]]
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return { existing, 0 }
end
local created = 0
if ARGV[3] == 'create' then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local fields = {}
    for i = 8, #ARGV do
      fields[#fields + 1] = ARGV[i]
    end
    redis.call('HSET', KEYS[2], unpack(fields))
    redis.call('SADD', KEYS[3], ARGV[2])
    created = 1
  else
    redis.call('HINCRBY', KEYS[2], 'templates', 1)
  end
else
  if redis.call('EXISTS', KEYS[2]) == 0 then
    return redis.error_reply('ANOMALOG_NO_PATTERN ' .. ARGV[2])
  end
  if ARGV[6] ~= '' then
    redis.call('HSET', KEYS[2], 'centroid', ARGV[6])
  end
  redis.call('HINCRBY', KEYS[2], 'templates', 1)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 1, 3 do
  redis.call('EXPIRE', KEYS[i], ARGV[7])
end
redis.call('PUBLISH', ARGV[4], cjson.encode({ service = ARGV[5], id = ARGV[2], templateKey = ARGV[1], created = created == 1 }))
return { ARGV[2], created }
