--[[
  Adds one export's records of a pattern in one window, shared by all processes,
  once per stored ingest batch: a batch redelivered after a worker crash finds
  its stream id already applied and only reads the totals.

  KEYS[1] pattern hash
  KEYS[2] window counter
  KEYS[3] window's applied mark (the newest stream id counted in this window)
  ARGV[1] records
  ARGV[2] newest record time (ms)
  ARGV[3] highest level rank (0 trace .. 5 fatal)
  ARGV[4] that level's name
  ARGV[5] window counter TTL (seconds)
  ARGV[6] baseline mean, ARGV[7] variance, ARGV[8] windows
  ARGV[9] generalised template text, or empty
  ARGV[10] records to add to the window counter (0 when learning)
  ARGV[11] stream id ('<ms>-<seq>') of the batch, or empty when there is none
  Returns { window total, pattern count (0 if the pattern is missing) }.
]]
local function after(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then
    return true
  end
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end

local source = ARGV[11]
if source ~= '' then
  local mark = redis.call('GET', KEYS[3])
  if mark and not after(source, mark) then
    local total = tonumber(redis.call('GET', KEYS[2]) or '0')
    return { total, tonumber(redis.call('HGET', KEYS[1], 'count') or '0') }
  end
  redis.call('SET', KEYS[3], source, 'EX', ARGV[5])
end

local total
if tonumber(ARGV[10]) > 0 then
  total = redis.call('INCRBY', KEYS[2], ARGV[10])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
else
  total = tonumber(redis.call('GET', KEYS[2]) or '0')
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { total, 0 }
end
local count = redis.call('HINCRBY', KEYS[1], 'count', ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'lastSeen') or '0')
if tonumber(ARGV[2]) > last then
  redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
end
local rank = tonumber(redis.call('HGET', KEYS[1], 'levelRank') or '-1')
if tonumber(ARGV[3]) > rank then
  redis.call('HSET', KEYS[1], 'levelRank', ARGV[3], 'level', ARGV[4])
end
redis.call('HSET', KEYS[1], 'mean', ARGV[6], 'variance', ARGV[7], 'windows', ARGV[8])
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'template', ARGV[9])
end
return { total, count }
