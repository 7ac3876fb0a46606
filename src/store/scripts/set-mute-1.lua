--[[
  Mutes or unmutes a pattern if it exists.

  KEYS[1] pattern hash
  ARGV[1] '1' to mute, '0' to unmute
  ARGV[2] muted until (ms), or empty for "until unmuted"
  ARGV[3] events channel, ARGV[4] service, ARGV[5] pattern id: every process refreshes its copy
  Returns 1 when the pattern exists, else 0.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'muted', ARGV[1], 'mutedUntil', ARGV[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({ service = ARGV[4], id = ARGV[5], templateKey = '', created = false }))
return 1
