--[[
  Acknowledges processed stream entries, takes their records off the shard's
  backlog (once per entry, however often it is acknowledged), forgets their
  failure counts, then trims what the group has acknowledged: everything
  before its oldest pending entry, or, with nothing pending, everything up to
  its last delivered entry. Entries not yet delivered or not yet acknowledged
  are never trimmed.

  KEYS[1] shard stream
  KEYS[2] shard backlog counter
  KEYS[3] shard failure counts (hash)
  ARGV[1] consumer group
  ARGV[2i], ARGV[2i+1] entry id and its record count (i = 1..n)
  Returns the number of entries this call acknowledged.
]]
local group = ARGV[1]
local acked, records = 0, 0
for i = 2, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], group, ARGV[i]) == 1 then
    acked = acked + 1
    records = records + tonumber(ARGV[i + 1])
  end
  redis.call('HDEL', KEYS[3], ARGV[i])
end
if records > 0 then
  redis.call('DECRBY', KEYS[2], records)
end

local threshold
local pending = redis.call('XPENDING', KEYS[1], group)
if pending[1] > 0 then
  threshold = pending[2]
else
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for j = 1, #info, 2 do fields[info[j]] = info[j + 1] end
    if fields['name'] == group then
      local ms, seq = string.match(fields['last-delivered-id'], '^(%d+)-(%d+)$')
      threshold = ms .. '-' .. (tonumber(seq) + 1)
    end
  end
end
if threshold then
  redis.call('XTRIM', KEYS[1], 'MINID', threshold)
end
return acked
