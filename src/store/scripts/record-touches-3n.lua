--[[
  Adds one export's records of one service's patterns, each in its window,
  shared by all processes, once per stored ingest batch: a batch redelivered
  after a worker crash finds its stream id already applied and only reads the
  totals. One call per service and batch (every key carries the service's hash tag).

  For touch i (from 0), KEYS[3i+1] pattern hash, KEYS[3i+2] window counter,
  KEYS[3i+3] window's applied mark (the newest stream id counted in this window).
  ARGV[1] window counter TTL (seconds)
  ARGV[2] stream id ('<ms>-<seq>') of the batch, or empty when there is none
  Then per touch, ARGV[3+9i ..]: records, newest record time (ms), highest level
  rank (0 trace .. 5 fatal), that level's name, baseline mean, variance, windows,
  generalised template text or empty, records to add to the window counter (0 when learning).
  Returns { window total, pattern count (0 if the pattern is missing) } per touch, flat.
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

local ttl = ARGV[1]
local source = ARGV[2]
local out = {}

local function touch(pattern, window, applied, a)
  if source ~= '' then
    local mark = redis.call('GET', applied)
    if mark and not after(source, mark) then
      return tonumber(redis.call('GET', window) or '0'), tonumber(redis.call('HGET', pattern, 'count') or '0')
    end
    redis.call('SET', applied, source, 'EX', ttl)
  end
  local total
  if tonumber(ARGV[a + 8]) > 0 then
    total = redis.call('INCRBY', window, ARGV[a + 8])
    redis.call('EXPIRE', window, ttl)
  else
    total = tonumber(redis.call('GET', window) or '0')
  end
  if redis.call('EXISTS', pattern) == 0 then
    return total, 0
  end
  local count = redis.call('HINCRBY', pattern, 'count', ARGV[a])
  local last = tonumber(redis.call('HGET', pattern, 'lastSeen') or '0')
  if tonumber(ARGV[a + 1]) > last then
    redis.call('HSET', pattern, 'lastSeen', ARGV[a + 1])
  end
  local rank = tonumber(redis.call('HGET', pattern, 'levelRank') or '-1')
  if tonumber(ARGV[a + 2]) > rank then
    redis.call('HSET', pattern, 'levelRank', ARGV[a + 2], 'level', ARGV[a + 3])
  end
  redis.call('HSET', pattern, 'mean', ARGV[a + 4], 'variance', ARGV[a + 5], 'windows', ARGV[a + 6])
  if ARGV[a + 7] ~= '' then
    redis.call('HSET', pattern, 'template', ARGV[a + 7])
  end
  return total, count
end

for i = 0, #KEYS / 3 - 1 do
  local total, count = touch(KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3], 3 + 9 * i)
  out[2 * i + 1] = total
  out[2 * i + 2] = count
end
return out
