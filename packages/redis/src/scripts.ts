// The store's Lua scripts. Each runs as one step on the server, so what it compares cannot change between
// its read and its write, and every time it judges is Redis's own (PTTL), never a member's wall clock.
//
// KEYS[1] is the token's Redis key. A revoked token's tombstone is `{<key>}:revoked:<sha-256 of the token>`:
// the braces put it in the token key's hash slot (a token key has none of its own), so a Cluster runs
// these scripts too. Stored values carry the token's hash in clear as `t` (checked against the token by the
// reader), which is what the scripts compare: they never need the token or the encryption key.

const TOMBSTONE = "'{' .. KEYS[1] .. '}:revoked:'"

/** The hash `t` of a stored value, or nil when the value is not a JSON object with one. */
const HASH_OF = `
local function hash_of(value)
  local ok, decoded = pcall(cjson.decode, value)
  if ok and type(decoded) == 'table' and type(decoded.t) == 'string' then return decoded.t end
  return nil
end`

/**
 * GET and PTTL in one step: `{value, pttl}`, `{value, -3}` when the value's token has a tombstone (a
 * replayed value of a revoked token), nil when there is no value.
 *
 * @example
 * ```ts
 * const [raw, pttl] = (await client.eval(READ, 1, redisKey)) ?? []
 * ```
 */
export const READ = `${HASH_OF}
local value = redis.call('GET', KEYS[1])
if not value then return false end
local t = hash_of(value)
if t and redis.call('EXISTS', ${TOMBSTONE} .. t) == 1 then return {value, -3} end
return {value, redis.call('PTTL', KEYS[1])}`

/**
 * A fenced write. ARGV: value, ttl ms, the token's hash, the value the writer last read as unusable ('' for
 * none). Answers 1 (written), 0 (kept: the stored token expires later, so it is the newer one; a holder
 * that stalled past its lease never writes its older token over the next holder's) or -1 (refused: the
 * token was revoked; a late or re-sent write never brings it back). A value the writer read as unusable
 * (another encryption key, corrupt) is replaced whatever its TTL, but only if it is still that very value.
 *
 * @example
 * ```ts
 * await client.eval(WRITE, 1, redisKey, value, String(ttl), tokenHash, unusable ?? '')
 * ```
 */
export const WRITE = `
if redis.call('EXISTS', ${TOMBSTONE} .. ARGV[3]) == 1 then return -1 end
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[4] and redis.call('PTTL', KEYS[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

/**
 * Compare-and-delete with a tombstone. ARGV: the rejected token's hash, the tombstone's TTL in ms when the
 * token is not stored. Deletes the value if it holds that token, and always leaves a tombstone for the
 * token's remaining lifetime (its key's PTTL when stored): a write of it that is still on its way (an
 * ioredis re-send after a reconnect, a holder that stalled) is refused. Answers 1 when it deleted.
 *
 * @example
 * ```ts
 * await client.eval(REVOKE, 1, redisKey, tokenHash, String(MAX_LIFETIME_MS))
 * ```
 */
export const REVOKE = `${HASH_OF}
local left = tonumber(ARGV[2])
local deleted = 0
local value = redis.call('GET', KEYS[1])
if value and hash_of(value) == ARGV[1] then
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl > 0 then left = pttl end
  redis.call('DEL', KEYS[1])
  deleted = 1
end
redis.call('SET', ${TOMBSTONE} .. ARGV[1], '1', 'PX', left)
return deleted`

/**
 * Redis's documented single-instance lock release: compare, then delete, in one step.
 *
 * @example
 * ```ts
 * await client.eval(DELETE_IF_EQUAL, 1, leaseKey, fence)
 * ```
 */
export const DELETE_IF_EQUAL =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
