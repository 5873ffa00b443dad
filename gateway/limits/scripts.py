"""The Lua scripts of the Redis limiter: one call checks every rule and charges all of them, or none.

They live in Python strings (not .lua files) so that an installed wheel carries them without package-data rules.
Redis runs a script atomically, so no other replica can slip a request between the check and the charge.
The estimate `prev * (1 - f) + cur + cost <= limit + eps` is the one of `gateway.limits.window.fits`, on the same
`f` computed by the caller: both limiters agree to the last bit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

ACQUIRE_LUA = """
-- KEYS: per rate rule: previous bucket, current bucket (hashes n=requests t=tokens);
--       then per budget: spent (string), held in the previous slot, held in the current slot (strings).
-- ARGV: fraction, tokens, cost, nrates, nbudgets, rate_ttl, hold_ttl, admitted, then per rate: rpm, tpm (-1 =
--       none), then per budget: limit. Amounts are integer micro-dollars. admitted = 0: check, then charge one
--       request; admitted = k > 0: charge k requests (and `tokens` and `cost` in all) that a process already
--       admitted on its recent view of the counts, without checking (gateway/limits/local_admission.py).
-- Returns {0, then per rate its counts once charged: previous n, current n, previous t, current t, then per
-- budget: spent, held once charged} when charged,
-- else a flat list of refusals {kind, rule index, a, b}:
--   kind 1 = rpm, 2 = tpm (a, b = previous and current bucket counts), 3 = budget (a = spent, b = held).
local fraction = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local nrates = tonumber(ARGV[4])
local nbudgets = tonumber(ARGV[5])
local rate_ttl = tonumber(ARGV[6])
local hold_ttl = tonumber(ARGV[7])
local admitted = tonumber(ARGV[8])
local requests = math.max(admitted, 1)
local eps = 1e-9
local refused = {}
local charged = {0}

local function refuse(kind, index, a, b)
  refused[#refused + 1] = kind
  refused[#refused + 1] = index
  refused[#refused + 1] = a
  refused[#refused + 1] = b
end

for i = 0, nrates - 1 do
  local rpm = tonumber(ARGV[9 + 2 * i])
  local tpm = tonumber(ARGV[10 + 2 * i])
  local prev = redis.call('HMGET', KEYS[1 + 2 * i], 'n', 't')
  local cur = redis.call('HMGET', KEYS[2 + 2 * i], 'n', 't')
  local pn, pt = tonumber(prev[1]) or 0, tonumber(prev[2]) or 0
  local cn, ct = tonumber(cur[1]) or 0, tonumber(cur[2]) or 0
  if rpm >= 0 and pn * (1 - fraction) + cn + 1 > rpm + eps then refuse(1, i, pn, cn) end
  if tpm >= 0 and pt * (1 - fraction) + ct + tokens > tpm + eps then refuse(2, i, pt, ct) end
  charged[#charged + 1] = pn
  charged[#charged + 1] = cn + requests
  charged[#charged + 1] = pt
  charged[#charged + 1] = ct + tokens
end

local base = 2 * nrates
local limit_at = 9 + 2 * nrates
for j = 0, nbudgets - 1 do
  local spent = tonumber(redis.call('GET', KEYS[base + 1 + 3 * j])) or 0
  local held = (tonumber(redis.call('GET', KEYS[base + 2 + 3 * j])) or 0)
    + (tonumber(redis.call('GET', KEYS[base + 3 + 3 * j])) or 0)
  if spent + held + cost > tonumber(ARGV[limit_at + j]) then refuse(3, j, spent, held) end
  charged[#charged + 1] = spent
  charged[#charged + 1] = held + cost
end

if #refused > 0 and admitted == 0 then return refused end

for i = 0, nrates - 1 do
  local key = KEYS[2 + 2 * i]
  redis.call('HINCRBY', key, 'n', requests)
  if tokens > 0 then redis.call('HINCRBY', key, 't', tokens) end
  redis.call('EXPIRE', key, rate_ttl)
end
if cost > 0 then
  for j = 0, nbudgets - 1 do
    local key = KEYS[base + 3 + 3 * j]
    redis.call('INCRBY', key, cost)
    redis.call('EXPIRE', key, hold_ttl)
  end
end
return charged
"""

SETTLE_LUA = """
-- KEYS: per token-limited rate: its bucket at settle time; then per budget: spent, the slot its hold was put in.
-- ARGV: token delta, nrates, nbudgets, rate_ttl, reserved, cost, then per budget: spent_ttl.
local delta = tonumber(ARGV[1])
local nrates = tonumber(ARGV[2])
local nbudgets = tonumber(ARGV[3])
local rate_ttl = tonumber(ARGV[4])
local reserved = tonumber(ARGV[5])
local cost = tonumber(ARGV[6])

if delta ~= 0 then
  for i = 1, nrates do
    if redis.call('HINCRBY', KEYS[i], 't', delta) < 0 then redis.call('HSET', KEYS[i], 't', 0) end
    redis.call('EXPIRE', KEYS[i], rate_ttl)
  end
end

for j = 0, nbudgets - 1 do
  local spent_key = KEYS[nrates + 1 + 2 * j]
  local held_key = KEYS[nrates + 2 + 2 * j]
  if cost > 0 or redis.call('EXISTS', spent_key) == 1 then
    redis.call('INCRBY', spent_key, cost)
    redis.call('EXPIRE', spent_key, tonumber(ARGV[7 + j]))
  end
  -- A hold that has aged out (its request ran longer than the hold time) is already gone: nothing to release.
  if reserved > 0 and redis.call('EXISTS', held_key) == 1 then
    if redis.call('DECRBY', held_key, reserved) < 0 then redis.call('SET', held_key, 0, 'KEEPTTL') end
  end
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Script:
    """A Lua script and its SHA1, for EVALSHA."""

    source: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode()).hexdigest())


ACQUIRE = Script(ACQUIRE_LUA)
SETTLE = Script(SETTLE_LUA)
