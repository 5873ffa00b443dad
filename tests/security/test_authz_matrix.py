"""Every route of the app x {no key, bad, revoked, expired, team A, team B, admin}, plus path and Host mutations:
no unexpected 2xx, and team B's answers never carry team A's data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.security.authz_support import (
    IDENTITIES,
    UNAUTHENTICATED,
    VALID_BODIES,
    Operation,
    World,
    authz_world,
    operations,
)
from tests.support.fake_upstream import FakeUpstream

HOSTS = ["evil.example", "localhost:1", "127.0.0.1:1", "admin.internal", "x" * 300]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests.support.fake_upstream import running_upstream

    with running_upstream() as upstream, authz_world(upstream, tmp_path_factory.mktemp("authz")) as built:
        yield built


def _unexpected(op: Operation, who: str, response: httpx.Response, world: World) -> str | None:
    """Why this answer should not have been a success (None when it may be)."""
    if not response.is_success or op.public:
        return None
    if who in UNAUTHENTICATED:
        return "success without a valid key"
    if op.admin_only and who != "admin":
        return "admin route served to a team key"
    if who == "team_b":
        if op.team_a_resource:
            return "team B acted on team A's resource"
        leaked = [m for m in world.team_a_markers() if m in response.text]
        if leaked:
            return f"team B read team A's data: {leaked}"
    return None


def _call(http: httpx.Client, world: World, op: Operation, who: str, path: str | None = None,
          **headers: str) -> httpx.Response:
    body = VALID_BODIES.get((op.method, op.template), {}) if op.method in ("POST", "PUT", "PATCH") else None
    return http.request(op.method, path or world.path(op.template), json=body,
                        headers=world.headers(who, **headers))


def _mutations(path: str) -> list[str]:
    head, _, rest = path[1:].partition("/")
    out = ["/" + path, path.replace("/", "//"), path.upper(), path + "/", f"/{head}/./{rest}" if rest else path + "/."]
    if rest:
        out.append(f"/{head}%2F{rest.replace('/', '%2F')}")
    return out


def test_every_route_and_identity(world: World) -> None:
    ops = operations(world.gw.server.config.app)  # type: ignore[union-attr]
    assert len(ops) >= 60 and any(op.admin_only for op in ops)
    found, tried = [], 0
    with httpx.Client(base_url=world.gw.base_url, timeout=30) as http:
        for who in IDENTITIES:  # team A and admin last: their writes must not change what others see first
            for op in ops:
                response = _call(http, world, op, who)
                tried += 1
                assert response.status_code < 500, (op, who, response.status_code, response.text[:300])
                if (why := _unexpected(op, who, response, world)) is not None:
                    found.append((op.method, op.template, who, response.status_code, why))
    print(f"authz matrix: {len(ops)} operations x {len(IDENTITIES)} identities = {tried} requests, "
          f"{len(found)} unexpected 2xx")
    assert found == []


@pytest.mark.parametrize("who", ["none", "bad", "team_b"])
def test_path_and_host_mutations(world: World, who: str) -> None:
    ops = [op for op in operations(world.gw.server.config.app) if not op.public]  # type: ignore[union-attr]
    found, tried = [], 0
    with httpx.Client(base_url=world.gw.base_url, timeout=30) as http:
        for op in ops:
            for path in _mutations(world.path(op.template)):
                response = _call(http, world, op, who, path=httpx.URL(world.gw.base_url + path).raw_path.decode())
                tried += 1
                assert response.status_code < 500, (op, who, path, response.status_code, response.text[:300])
                if (why := _unexpected(op, who, response, world)) is not None:
                    found.append((op.method, path, who, response.status_code, why))
            for host in HOSTS:
                response = _call(http, world, op, who, host=host)
                tried += 1
                assert response.status_code < 500, (op, who, host, response.status_code)
                assert host not in response.headers.get("location", "")
                if (why := _unexpected(op, who, response, world)) is not None:
                    found.append((op.method, op.template, f"{who}@{host}", response.status_code, why))
    print(f"authz mutations ({who}): {len(ops)} operations, {tried} requests, {len(found)} unexpected 2xx")
    assert found == []


def test_team_a_reaches_its_own_data(world: World) -> None:
    """The matrix proves refusals only if the same requests succeed for the owner."""
    with httpx.Client(base_url=world.gw.base_url, timeout=30) as http:
        for path in (world.path("/registry/models/{name}"), world.path("/registry/models/{name}/versions")):
            assert http.get(path, headers=world.headers("team_a")).status_code == 200, path
            assert http.get(path, headers=world.headers("admin")).status_code == 200, path
        assert http.get("/team/costs", headers=world.headers("team_a")).status_code == 200
        assert http.get("/admin/teams", headers=world.headers("admin")).status_code == 200
        assert http.get("/metrics", headers=world.headers("admin")).status_code == 200
        for (method, template), body in VALID_BODIES.items():  # model calls, under both prefixes
            if template.startswith(("/v1/", "/chat/", "/messages", "/moderations", "/completions", "/responses",
                                    "/images/", "/audio/")):
                answer = http.request(method, template, json=body, headers=world.headers("team_a"))
                assert answer.status_code == 200, (template, answer.text[:300])
        for path in ("/v1/models/chat-a", "/models/chat-a"):
            assert http.get(path, headers=world.headers("team_b")).status_code == 200, path
        # The matrix deleted team A's stored Response (team A runs last): a new one, read by its owner only.
        created = http.post("/v1/responses", headers=world.headers("team_a"), json={"model": "chat-a", "input": "x"})
        path = f"/v1/responses/{created.json()['id']}"
        assert http.get(path, headers=world.headers("team_a")).status_code == 200
        assert http.get(path, headers=world.headers("team_b")).status_code == 404
