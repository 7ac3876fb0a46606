--[[
  Appends one encoded batch to each shard stream an export touches, all or
  nothing: if any of those shards already holds maxBacklog unacknowledged
  records, nothing is appended (a retried export must not duplicate the part
  that went in). A shard's stream and its consumer group are created together,
  so no entry ever exists that the group does not track.

  Each export of the call has a mark, named after a digest of its bytes, set
  for the retry window once it is stored. An export found marked is already in
  the streams: its reply was lost (Redis went down between storing and
  answering), and the exporter, or the client's resend, is trying it again.
  Nothing is appended then; the reply names those exports and the caller
  calls again without them.

  KEYS[2i-1] shard stream, KEYS[2i] shard backlog counter (i = 1..n)
  KEYS[2n+j] the mark of export j (j = 1..m), none when the window is 0
  ARGV[1] consumer group
  ARGV[2] max backlog per shard (records)
  ARGV[3] n, the shards touched
  ARGV[4] retry window (seconds)
  ARGV[3+2i] encoded batch for shard i, ARGV[4+2i] its record count
  Returns {'ok', id1, ..., idn}, {'full', i, backlog} naming the first full
  shard, or {'seen', j1, j2, ...} naming the exports already stored.
]]
local group = ARGV[1]
local max = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local window = ARGV[4]
local seen = {'seen'}
for j = 2 * n + 1, #KEYS do
  if redis.call('EXISTS', KEYS[j]) == 1 then
    seen[#seen + 1] = j - 2 * n
  end
end
if #seen > 1 then
  return seen
end
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
  result[i + 1] = redis.call('XADD', stream, '*', 'd', ARGV[3 + 2 * i], 'n', ARGV[4 + 2 * i])
  redis.call('INCRBY', KEYS[2 * i], ARGV[4 + 2 * i])
end
for j = 2 * n + 1, #KEYS do
  redis.call('SET', KEYS[j], '1', 'EX', window)
end
return result
