--[[
  Counts one failed handling of a pending stream entry (a failure of the entry
  itself, not an outage). At maxDeliveries failures the entry moves to the
  dead-letter stream with its data as stored and is acknowledged on its shard,
  its records taken off the backlog, in the same step: the shard goes on. The
  dead-letter stream keeps about maxLength entries, dropping the oldest. The
  shard stream is trimmed by its next acknowledgement. A dead letter keeps the
  batch's origin: the entry it replays, if it is a replay, else itself.

  KEYS[1] shard stream
  KEYS[2] shard backlog counter
  KEYS[3] shard failure counts (hash)
  KEYS[4] dead-letter stream
  ARGV[1] consumer group
  ARGV[2] entry id
  ARGV[3] shard number (recorded in the dead letter)
  ARGV[4] max deliveries
  ARGV[5] error message
  ARGV[6] dead-letter stream max length (approximate)
  Returns {failures, dead-letter id or '', dead letters dropped by the trim};
  failures is 0 when the entry is no longer pending (another worker finished it).
]]
local group, id = ARGV[1], ARGV[2]
if #redis.call('XPENDING', KEYS[1], group, id, id, 1) == 0 then
  return {0, '', 0}
end
local failures = redis.call('HINCRBY', KEYS[3], id, 1)
if failures < tonumber(ARGV[4]) then
  return {failures, '', 0}
end

local data, records, origin = '', 0, ARGV[3] .. '/' .. id
local found = redis.call('XRANGE', KEYS[1], id, id)
if #found == 1 then
  local fields = found[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'd' then data = fields[i + 1] end
    if fields[i] == 'n' then records = tonumber(fields[i + 1]) end
    if fields[i] == 'o' then origin = fields[i + 1] end
  end
end
if redis.call('XACK', KEYS[1], group, id) == 1 and records > 0 then
  redis.call('DECRBY', KEYS[2], records)
end
redis.call('HDEL', KEYS[3], id)

local before = redis.call('XLEN', KEYS[4])
local dead = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*',
  'shard', ARGV[3], 'entry', id, 'origin', origin, 'n', records, 'd', data, 'error', ARGV[5], 'deliveries', failures)
local dropped = before + 1 - redis.call('XLEN', KEYS[4])
return {failures, dead, dropped}
