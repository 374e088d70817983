-- The token bucket of store: redis, as the generic cell rate algorithm: one string per key, the time
-- (in microseconds on this server's clock, so every proxy of a fleet reads the same clock) at which
-- the bucket is full again. Integer microseconds throughout: exact in a Lua number (below 2^53).
--   KEYS[1]  the key's bucket
--   ARGV[1]  microseconds per token (the refill interval)
--   ARGV[2]  the bucket's capacity in microseconds (burst x interval)
--   ARGV[3]  tokens to take (0: only read the state)
--   ARGV[4]  '1': a batch the proxy already admitted (sync_interval): record it, emptying the bucket
--            at most; '0': take the tokens only if they are all there
-- Returns {allowed (1|0), tokens left, us until full again, us until this request would pass}.
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local batch = ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local full = tonumber(redis.call('GET', KEYS[1])) or now
local base = math.max(full, now)
local nxt = base + n * interval
if batch and nxt - now > capacity then
  nxt = now + capacity
end
if nxt - now <= capacity then
  if n > 0 then
    redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.max(1, math.ceil((nxt - now) / 1000)))
  end
  return {1, math.floor((capacity - (nxt - now)) / interval), nxt - now, 0}
end
return {0, 0, base - now, nxt - capacity - now}
