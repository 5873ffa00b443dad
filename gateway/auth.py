"""API keys to principals, with a short cache so a request costs no database read.

A revocation reaches every replica within `server.key_cache_ttl_s` seconds (5 by default); the replica
that revokes drops its cache at once.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gateway.config import GatewayConfig
from gateway.errors import AuthenticationFailed
from gateway.limits.base import BudgetRule, RateRule
from gateway.pipeline.context import Principal
from gateway.providers.deployments import resolve_secret
from registry.keys import find_key, hash_key
from registry.tables import ApiKey, Team, utcnow


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal | None
    refusal: str
    expires_at: object
    until: float


class KeyCache:
    def __init__(self, engine: Engine, config: GatewayConfig) -> None:
        self._engine = engine
        self._ttl = config.server.key_cache_ttl_s
        master, _ = resolve_secret(config.general_settings.master_key, "general_settings.master_key")
        self._master = hash_key(master) if master else None
        self._cache: dict[str, _Entry] = {}

    async def principal(self, token: str) -> Principal:
        digest = hash_key(token)
        if self._master is not None and hmac.compare_digest(digest, self._master):
            return Principal(key_id="master", role="admin", team=None, models=None)
        now = time.monotonic()
        entry = self._cache.get(digest)
        if entry is None or entry.until <= now:
            entry = await asyncio.to_thread(self._load, digest, now)
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[digest] = entry
        if entry.principal is None:
            raise AuthenticationFailed(entry.refusal)
        if entry.expires_at is not None and entry.expires_at <= utcnow():
            raise AuthenticationFailed("this API key has expired", code="expired_api_key")
        return entry.principal

    def invalidate(self) -> None:
        self._cache.clear()

    def _load(self, digest: str, now: float) -> _Entry:
        until = now + self._ttl
        found = find_key(self._engine, digest)
        if found is None:
            return _Entry(None, "invalid API key", None, until)
        key, team = found
        if key.revoked_at is not None:
            return _Entry(None, "this API key has been revoked", None, until)
        return _Entry(principal_of(key, team), "", key.expires_at, until)


def principal_of(key: ApiKey, team: Team | None) -> Principal:
    models = _intersect(key.models, team.models if team else None)
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
                     tuple(budgets), policy)


def _intersect(a: list[str] | None, b: list[str] | None) -> frozenset[str] | None:
    if a is None and b is None:
        return None
    if a is None:
        return frozenset(b or ())
    if b is None:
        return frozenset(a)
    return frozenset(a) & frozenset(b)
