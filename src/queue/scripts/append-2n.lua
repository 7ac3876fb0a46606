--[[
  Appends one encoded batch to each shard stream an export touches, all or
  nothing: if any of those shards already holds maxBacklog unacknowledged
  records, nothing is appended (a retried export must not duplicate the part
  that went in). A shard's stream and its consumer group are created together,
  so no entry ever exists that the group does not track.

  KEYS[2i-1] shard stream, KEYS[2i] shard backlog counter (i = 1..n)
  ARGV[1] consumer group
  ARGV[2] max backlog per shard (records)
  ARGV[2i+1] encoded batch for shard i, ARGV[2i+2] its record count
  Returns {'ok', id1, ..., idn}, or {'full', i, backlog} naming the first full shard.
]]
local group = ARGV[1]
local max = tonumber(ARGV[2])
local n = #KEYS / 2
for i = 1, n do
  local backlog = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if backlog >= max then
    return {'full', i, backlog}
  end
end
local result = {'ok'}
for i = 1, n do
  local stream = KEYS[2 * i - 1]
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  end
  result[i + 1] = redis.call('XADD', stream, '*', 'd', ARGV[2 * i + 1], 'n', ARGV[2 * i + 2])
  redis.call('INCRBY', KEYS[2 * i], ARGV[2 * i + 2])
end
return result
