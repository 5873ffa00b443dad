"""Concurrent writes over HTTP all succeed, on SQLite as on PostgreSQL: keys created and models registered from
many clients at once get 201s, never a 503 `database_unavailable` (what a deferred SQLite BEGIN gave when a
transaction that had read met another writer's commit), and the registry's audit chain stays whole."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.gateway.test_registry_api_support import Api, model_in, registry_api

CLIENTS, ROUNDS = 6, 4


def _client(api: Api, client: int) -> list[int]:
    statuses = []
    with httpx.Client(base_url=str(api.http.base_url), timeout=60) as http:
        headers = {"authorization": f"Bearer {api.key('admin')}"}
        for round_ in range(ROUNDS):
            key = http.post("/admin/keys", json={"team": "alpha", "name": f"k-{client}-{round_}"}, headers=headers)
            model = http.post("/registry/models", json=model_in(f"m-{client}-{round_}"), headers=headers)
            statuses += [key.status_code, model.status_code]
    return statuses


def test_concurrent_key_and_model_writes_all_succeed(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            statuses = [s for found in pool.map(lambda c: _client(api, c), range(CLIENTS)) for s in found]
        assert statuses == [201] * (2 * CLIENTS * ROUNDS)
        keys = api.ok("admin", "GET", "/admin/keys")
        names = {k["name"] for k in (keys["data"] if isinstance(keys, dict) else keys)}
        assert {f"k-{c}-{r}" for c in range(CLIENTS) for r in range(ROUNDS)} <= names
        assert api.ok("admin", "GET", "/registry/audit/verify")["ok"] is True
