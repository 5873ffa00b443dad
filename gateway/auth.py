"""API keys to principals, with a short cache so a request costs no database read.

A revocation reaches every replica within `server.key_cache_ttl_s` seconds (5 by default); the replica
that revokes drops its cache at once. Once half an entry's time has passed, the next request starts a lookup in
the background and is served from the entry meanwhile: requests on a busy key never all wait for the database
together (a worker thread that has to win the interpreter lock against a busy event loop can take hundreds of
milliseconds), and a lookup normally lands well before the entry expires.

While the database is unreachable, a key this replica checked in the last `server.key_cache_stale_s` seconds
(300 by default) is still served from the cache, so an outage does not fail known keys; a key it cannot vouch
for gets 503 with Retry-After, never a 500.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.engine import Engine

from gateway.access_groups import AccessGroups, access_groups, expand
from gateway.config import GatewayConfig
from gateway.errors import AuthenticationFailed, ServiceUnavailable
from gateway.limits.base import BudgetRule, RateRule
from gateway.pipeline.context import Principal
from gateway.providers.deployments import resolve_secret
from registry.keys import find_key, hash_key
from registry.tables import ApiKey, Team, utcnow

log = logging.getLogger("warden.auth")
RETRY_AFTER_S = 2
"""While the database is away: how long a stale entry is served before the next lookup, and Retry-After."""


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal | None
    refusal: str
    expires_at: object
    until: float
    loaded: float
    """When the database last confirmed this entry (monotonic seconds)."""
    refresh_at: float
    """From when a request starts a background lookup (the entry still serves until `until`)."""


class KeyCache:
    def __init__(self, engine: Engine, config: GatewayConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._clock = clock
        self._groups = access_groups(config)
        self._ttl = config.server.key_cache_ttl_s
        self._stale = config.server.key_cache_stale_s
        master, _ = resolve_secret(config.general_settings.master_key, "general_settings.master_key")
        self._master = hash_key(master) if master else None
        self._cache: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Future[_Entry]] = {}
        self._generation = 0
        """Bumped by `invalidate`: a lookup started before it must not put its answer back in the cache."""

    async def principal(self, token: str) -> Principal:
        digest = hash_key(token)
        if self._master is not None and hmac.compare_digest(digest, self._master):
            return Principal(key_id="master", role="admin", team=None, models=None)
        entry = self._cache.get(digest)
        now = self._clock()
        if entry is None or entry.until <= now:
            entry = await self._refresh(digest, entry)
        elif entry.refresh_at <= now and digest not in self._loading:
            self._lookup(digest)
        if entry.principal is None:
            raise AuthenticationFailed(entry.refusal)
        if entry.expires_at is not None and entry.expires_at <= utcnow():
            raise AuthenticationFailed("this API key has expired", code="expired_api_key")
        return entry.principal

    def invalidate(self) -> None:
        self._generation += 1
        self._cache.clear()
        self._loading.clear()  # a lookup in flight may predate the change: the next request starts its own

    async def _refresh(self, digest: str, old: _Entry | None) -> _Entry:
        # One lookup per key at a time: during an outage, a burst on one key waits for one failure, not many.
        pending = self._loading.get(digest) or self._lookup(digest)
        generation = self._generation
        try:
            entry = await asyncio.shield(pending)
        except Exception as exc:  # whatever the database said, the caller is owed an answer, not a 500
            entry = self._stale_entry(old, exc)
        if generation == self._generation:
            self._store(digest, entry)
        return entry

    def _lookup(self, digest: str) -> asyncio.Future[_Entry]:
        pending = asyncio.ensure_future(asyncio.to_thread(self._load, digest, self._clock()))
        self._loading[digest] = pending
        generation = self._generation
        pending.add_done_callback(lambda done: self._loaded(digest, done, generation))
        return pending

    def _loaded(self, digest: str, done: asyncio.Future[_Entry], generation: int) -> None:
        if self._loading.get(digest) is done:
            del self._loading[digest]
        if done.cancelled():
            return
        # Retrieved here, so a lookup whose callers went away is not reported as lost. A failed background
        # lookup leaves the entry as it is: once it expires, a request looks up again and meets the failure.
        if done.exception() is None and generation == self._generation:
            self._store(digest, done.result())

    def _store(self, digest: str, entry: _Entry) -> None:
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[digest] = entry

    def _stale_entry(self, old: _Entry | None, exc: Exception) -> _Entry:
        now = self._clock()
        if old is None or now - old.loaded > self._ttl + self._stale:
            log.warning("key lookup failed and no recent cache entry (%s): 503", type(exc).__name__)
            raise ServiceUnavailable(
                "the key registry is unreachable and this key was not checked recently; retry shortly",
                code="key_registry_unavailable", headers={"retry-after": str(RETRY_AFTER_S)},
            ) from None
        log.warning("key lookup failed (%s): serving the entry checked %.0f s ago", type(exc).__name__,
                    now - old.loaded)
        return replace(old, until=now + RETRY_AFTER_S, refresh_at=now + RETRY_AFTER_S)

    def _load(self, digest: str, now: float) -> _Entry:
        until, refresh_at = now + self._ttl, now + self._ttl / 2
        found = find_key(self._engine, digest)
        if found is None:
            return _Entry(None, "invalid API key", None, until, now, refresh_at)
        key, team = found
        if key.revoked_at is not None:
            return _Entry(None, "this API key has been revoked", None, until, now, refresh_at)
        return _Entry(principal_of(key, team, self._groups), "", key.expires_at, until, now, refresh_at)


def principal_of(key: ApiKey, team: Team | None, groups: AccessGroups | None = None) -> Principal:
    groups = groups or {}
    models = _intersect(expand(key.models, groups), expand(team.models if team else None, groups))
    rates, budgets = [], []
    if key.rpm or key.tpm:
        rates.append(RateRule("key", key.id, key.rpm, key.tpm))
    if key.budget_usd is not None:
        budgets.append(BudgetRule("key", key.id, key.budget_usd, key.budget_period))  # type: ignore[arg-type]
    if team is not None:
        if team.rpm or team.tpm:
            rates.append(RateRule("team", team.name, team.rpm, team.tpm))
        if team.budget_usd is not None:
            budgets.append(BudgetRule("team", team.name, team.budget_usd, team.budget_period))  # type: ignore[arg-type]
    policy = key.guardrail_policy or (team.guardrail_policy if team else None)
    return Principal(key.id, "admin" if key.role == "admin" else "team", key.team, models, tuple(rates),
                     tuple(budgets), policy, key.person)


def _intersect(a: list[str] | None, b: list[str] | None) -> frozenset[str] | None:
    if a is None and b is None:
        return None
    if a is None:
        return frozenset(b or ())
    if b is None:
        return frozenset(a)
    return frozenset(a) & frozenset(b)
