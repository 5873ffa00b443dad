"""The key cache on a real registry database: a busy key is looked up again in the background before its entry
expires (requests are served from the entry meanwhile), and a revocation still lands within the TTL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import Engine

from gateway.auth import KeyCache
from gateway.config import GatewayConfig
from gateway.errors import AuthenticationFailed
from registry.keys import create_key, create_team, revoke_key

TTL_S = 10.0
CONFIG = GatewayConfig.model_validate({"server": {"key_cache_ttl_s": TTL_S}})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _refused_eventually(cache: KeyCache, key: str) -> str:
    """Ask until the cache refuses the key (a background lookup has landed); at most 200 tries of 25 ms."""
    for _ in range(200):
        try:
            await cache.principal(key)
        except AuthenticationFailed as exc:
            return exc.message
        await asyncio.sleep(0.025)
    pytest.fail("the key was still accepted after 200 tries")


Keyed = tuple[str, str, Clock, KeyCache]


@pytest.fixture()
def keyed(engine: Engine) -> Keyed:
    """(key id, plain key, the cache's clock, the cache) for a new team key."""
    create_team(engine, "alpha")
    row, key = create_key(engine, team="alpha")
    clock = Clock()
    return row.id, key, clock, KeyCache(engine, CONFIG, clock=clock)


@pytest.mark.parametrize("migrated_url", ["sqlite"], indirect=True)
def test_past_half_its_ttl_an_entry_is_refreshed_in_the_background(engine: Engine, keyed: Keyed) -> None:
    key_id, key, clock, cache = keyed

    async def scenario() -> None:
        assert (await cache.principal(key)).key_id == key_id
        revoke_key(engine, key_id)
        clock.now += TTL_S * 0.4  # before half the TTL: the entry answers, nothing is looked up
        assert (await cache.principal(key)).key_id == key_id
        await asyncio.sleep(0.2)
        assert (await cache.principal(key)).key_id == key_id
        clock.now += TTL_S * 0.2  # past half: still served at once, and a lookup starts behind it
        assert (await cache.principal(key)).key_id == key_id
        # The clock stays before the entry's expiry: only the background lookup can bring the revocation in.
        assert await _refused_eventually(cache, key) == "this API key has been revoked"

    asyncio.run(scenario())


@pytest.mark.parametrize("migrated_url", ["sqlite"], indirect=True)
def test_a_lookup_started_before_invalidate_does_not_restore_the_old_entry(engine: Engine, keyed: Keyed) -> None:
    key_id, key, clock, cache = keyed

    async def scenario() -> None:
        await cache.principal(key)
        clock.now += TTL_S * 0.6
        await cache.principal(key)  # starts a background lookup of the still-valid key
        revoke_key(engine, key_id)
        cache.invalidate()  # what the replica that revokes does
        assert await _refused_eventually(cache, key) == "this API key has been revoked"
        await asyncio.sleep(0.2)  # whatever the earlier lookup answered has landed by now
        with pytest.raises(AuthenticationFailed):
            await cache.principal(key)

    asyncio.run(scenario())
