-- The exact sliding window of store: redis: one sorted set per key, the times (microseconds on this
-- server's clock) of the requests allowed within the last window. A request exactly one window old
-- no longer counts; rejected requests are not recorded.
--   KEYS[1]  the key's set
--   ARGV[1]  max_requests
--   ARGV[2]  the window in microseconds
--   ARGV[3]  requests to count (0: only read the state)
--   ARGV[4]  '1': a batch the proxy already admitted (sync_interval): record as many as fit;
--            '0': count them only if they all fit
--   ARGV[5]  a prefix unique to this call, for the set's members
-- Returns {allowed (1|0), requests left, us until the whole limit is back, us until this request would pass}.
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local batch = ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', KEYS[1])
local fits = count + n <= max
local take = n
if not fits then
  take = batch and math.max(0, max - count) or 0
end
local stamp = string.format('%.0f', now)
for i = 1, take do
  redis.call('ZADD', KEYS[1], stamp, ARGV[5] .. ':' .. i)
end
count = count + take
if take > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
end
if fits or batch then
  return {1, max - count, window, 0}
end
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, tonumber(newest[2]) + window - now, tonumber(oldest[2]) + window - now}
