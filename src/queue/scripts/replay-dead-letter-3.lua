--[[
  Queues a dead-lettered entry again: appends its data, as stored, to its
  shard stream as a new entry (counted in the backlog) that names the batch it
  replays (field o), and removes the dead letter, in one step.

  KEYS[1] dead-letter stream
  KEYS[2] shard stream
  KEYS[3] shard backlog counter
  ARGV[1] dead-letter id
  ARGV[2] consumer group
  ARGV[3] shard number: the dead letter's own (the caller read it first)
  Returns the new stream entry id, or false when there is no such dead letter.
]]
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then
  return false
end
local letter = {}
local fields = found[1][2]
for i = 1, #fields, 2 do
  letter[fields[i]] = fields[i + 1]
end
if letter['shard'] ~= ARGV[3] then
  return redis.error_reply('dead letter ' .. ARGV[1] .. ' is of shard ' .. tostring(letter['shard']) .. ', not ' .. ARGV[3])
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[2], ARGV[2], '0', 'MKSTREAM')
end
local origin = letter['origin'] or (ARGV[3] .. '/' .. letter['entry'])
local id = redis.call('XADD', KEYS[2], '*', 'd', letter['d'], 'n', letter['n'], 'o', origin)
redis.call('INCRBY', KEYS[3], letter['n'])
redis.call('XDEL', KEYS[1], ARGV[1])
return id
