--[[
  Mutes or unmutes a pattern if it exists.

  KEYS[1] pattern hash
  ARGV[1] '1' to mute, '0' to unmute
  ARGV[2] muted until (ms), or empty for "until unmuted"
  Returns 1 when the pattern exists, else 0.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'muted', ARGV[1], 'mutedUntil', ARGV[2])
return 1
