/**
 * The Lua scripts of the Redis locker. Each runs atomically in Redis, so the lock, the waiting line and
 * the counter always change together: no grant can slip between a release and its hand-over.
 *
 * Keys of one id (KEYS[1..3]): the lock, a hash `{ token, fence }` with the lease as its expiry; the
 * line, a sorted set of waiting tokens scored by arrival; the waiters, a hash token -> `<expires>:<r|p>`
 * (each waiter renews its entry while it waits; an entry past its time belongs to a gateway that died
 * and is dropped). Shared keys (KEYS[4..5]): the counter that numbers fences and arrivals, and the time
 * this Redis started serving locks.
 */

// Helpers every script starts with. Times come from Redis's own clock (TIME), the one clock all gateways share.
const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Fences and arrival numbers. A counter lost with Redis's data restarts from the clock in microseconds,
-- above every number handed out before (a grant per microsecond, sustained, would be needed to overtake it).
local function next_number(counter)
  if redis.call('EXISTS', counter) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', counter, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  return redis.call('INCR', counter)
end

-- The live waiters of the line in arrival order, as { token, flag } pairs; entries past their time are dropped.
local function live_line(line, waiters, now)
  local live = {}
  for _, token in ipairs(redis.call('ZRANGE', line, 0, -1)) do
    local entry = redis.call('HGET', waiters, token)
    local colon = entry and string.find(entry, ':', 1, true)
    if colon and tonumber(string.sub(entry, 1, colon - 1)) >= now then
      live[#live + 1] = { token, string.sub(entry, colon + 1) }
    else
      redis.call('ZREM', line, token)
      redis.call('HDEL', waiters, token)
    end
  end
  return live
end

-- Grants the free lock to the first live waiter; returns { token, fence, asked } or nil when nobody waits.
-- asked = 1 when someone behind it wants the lock too: its holder is asked to release at once.
local function hand_over(lock, line, waiters, counter, lease, now)
  local live = live_line(line, waiters, now)
  local head = live[1]
  if not head then return nil end
  redis.call('ZREM', line, head[1])
  redis.call('HDEL', waiters, head[1])
  local fence = next_number(counter)
  redis.call('HSET', lock, 'token', head[1], 'fence', fence)
  redis.call('PEXPIRE', lock, lease)
  local asked = 0
  for i = 2, #live do
    if live[i][2] == 'r' then asked = 1 end
  end
  return { head[1], fence, asked }
end

-- { handed token, fence, asked } for a reply, empty values when nothing was handed over.
local function handed_reply(handed)
  if handed then return handed[1], handed[2], handed[3] end
  return '', 0, 0
end
`

/**
 * ACQUIRE: KEYS lock, line, waiters, counter, started; ARGV token, leaseMs, wait (1|0), flag (r|p),
 * maxWaiters (-1: none), waiterLeaseMs.
 * Replies `{ status, a, b, handedToken, handedFence, handedAsked }`:
 * - `granted, fence`: the lock was free and nobody waited;
 * - `warming, msLeft`: this Redis started (losing its data, perhaps) less than a lease ago: no grant yet,
 *   so that holders of leases it forgot have declared their loss first;
 * - `busy, waiting`: held (or freshly handed to the first in line), and `wait` is 0 or the line is full;
 * - `queued, holderToken, pttl`: in line.
 * A free lock with live waiters is handed to the first of them on the way (reported in `handed*`).
 */
export const ACQUIRE = `${COMMON}
local lock, line, waiters, counter, started = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local token, lease, wait, flag = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local max_waiters, waiter_lease = tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()
local since = tonumber(redis.call('GET', started) or '')
if not since then
  -- Missing: a fresh Redis, or one that lost its data when it restarted. Leases it forgot end no later
  -- than a lease after it started. Uptime is the difference of two whole-second clocks, the start's rounded
  -- down, so it may say 1 when 0.1 s have passed: the start is taken a second later than it says.
  local uptime = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)')) or 0
  since = now - math.max(0, uptime - 1) * 1000
  redis.call('SET', started, string.format('%d', since))
end
if now - since < lease then return { 'warming', lease - (now - since), 0, '', 0, 0 } end
local handed = nil
if redis.call('EXISTS', lock) == 0 then
  if #live_line(line, waiters, now) == 0 then
    local fence = next_number(counter)
    redis.call('HSET', lock, 'token', token, 'fence', fence)
    redis.call('PEXPIRE', lock, lease)
    return { 'granted', fence, 0, '', 0, 0 }
  end
  handed = hand_over(lock, line, waiters, counter, lease, now)
end
local waiting = #live_line(line, waiters, now)
if wait == '0' or (max_waiters >= 0 and waiting >= max_waiters) then
  return { 'busy', waiting, 0, handed_reply(handed) }
end
redis.call('ZADD', line, next_number(counter), token)
redis.call('HSET', waiters, token, string.format('%d', now + waiter_lease) .. ':' .. flag)
redis.call('PEXPIRE', line, 2 * waiter_lease)
redis.call('PEXPIRE', waiters, 2 * waiter_lease)
return { 'queued', redis.call('HGET', lock, 'token') or '', redis.call('PTTL', lock), handed_reply(handed) }
`

/**
 * CHECK, a waiter's heartbeat and fallback look: KEYS lock, line, waiters, counter; ARGV token, leaseMs,
 * flag, waiterLeaseMs. Replies `{ status, a, b, handedToken, handedFence, handedAsked }`:
 * - `granted, fence, asked`: the lock is this waiter's (handed over; the message may not have arrived);
 * - `gone`: the waiter is not in line any more (its entry expired, or Redis lost its data): join again;
 * - `waiting, holderToken, pttl`: still in line, its entry renewed. A free lock (a lease that ran out) is
 *   handed to the first in line on the way.
 */
export const CHECK = `${COMMON}
local lock, line, waiters, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, lease, flag, waiter_lease = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local now = now_ms()
local holder = redis.call('HGET', lock, 'token')
if holder == token then return { 'granted', tonumber(redis.call('HGET', lock, 'fence')), 0, '', 0, 0 } end
if not redis.call('HGET', waiters, token) then return { 'gone', 0, 0, '', 0, 0 } end
redis.call('HSET', waiters, token, string.format('%d', now + waiter_lease) .. ':' .. flag)
redis.call('PEXPIRE', line, 2 * waiter_lease)
redis.call('PEXPIRE', waiters, 2 * waiter_lease)
if not holder then
  local handed = hand_over(lock, line, waiters, counter, lease, now)
  if handed and handed[1] == token then return { 'granted', handed[2], handed[3], '', 0, 0 } end
  return { 'waiting', handed and handed[1] or '', lease, handed_reply(handed) }
end
return { 'waiting', holder, redis.call('PTTL', lock), '', 0, 0 }
`

/**
 * RELEASE: KEYS lock, line, waiters, counter; ARGV token, leaseMs. Compare-and-delete: only the grant
 * with this token is let go (a lost lock, or a second release, frees nothing); the lock then goes to
 * the first live waiter. Replies `{ status, handedToken, handedFence, handedAsked }`, status `handed`,
 * `freed` or `not-held`.
 */
export const RELEASE = `${COMMON}
local lock, line, waiters, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, lease = ARGV[1], tonumber(ARGV[2])
if redis.call('HGET', lock, 'token') ~= token then return { 'not-held', '', 0, 0 } end
redis.call('DEL', lock)
local handed = hand_over(lock, line, waiters, counter, lease, now_ms())
if handed then return { 'handed', handed_reply(handed) } end
return { 'freed', '', 0, 0 }
`

/**
 * LEAVE, a waiter that gives up: KEYS lock, line, waiters, counter; ARGV token, leaseMs. Out of line; if
 * the lock was handed to it meanwhile, it is passed on at once. Replies as RELEASE, status `left` when
 * it held nothing.
 */
export const LEAVE = `${COMMON}
local lock, line, waiters, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, lease = ARGV[1], tonumber(ARGV[2])
redis.call('ZREM', line, token)
redis.call('HDEL', waiters, token)
if redis.call('HGET', lock, 'token') ~= token then return { 'left', '', 0, 0 } end
redis.call('DEL', lock)
local handed = hand_over(lock, line, waiters, counter, lease, now_ms())
if handed then return { 'handed', handed_reply(handed) } end
return { 'freed', '', 0, 0 }
`

/** RENEW: KEYS lock; ARGV token, leaseMs. Compare-and-expire: 1 when the lease of this grant was extended, 0 when it is not held any more. */
export const RENEW = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`

/** REMEMBER: KEYS expired; ARGV id, capacity. Adds `id` as the most recent, keeping the `capacity` most recent ones. */
export const REMEMBER = `
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
return 1
`
