"""A gateway with every kind of caller (no key, bad, revoked, expired, team A, team B, admin) and team A's data,
and the app's routes enumerated from `app.routes`, so that a new route is in the matrix without a test edit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Route

from gateway.api.deps import admin_of
from registry.keys import create_key, revoke_key
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway, running_gateway

IDENTITIES = ("none", "bad", "revoked", "expired", "team_b", "team_a", "admin")
UNAUTHENTICATED = ("none", "bad", "revoked", "expired")
PUBLIC = {"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/openapi.json",
          "/console/login", "/console/static/console.css"}  # the sign-in form and its stylesheet: no data in them
MODEL = "alpha-private-model"
"""Team A's registry model: its name must never appear in team B's answers."""
STORED_TEXT = "alpha-private-conversation"
"""What team A's stored Response says: never in team B's answers either."""


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    admin_only: bool

    @property
    def public(self) -> bool:
        return self.template in PUBLIC

    @property
    def team_a_resource(self) -> bool:
        return any(f"{{{name}" in self.template for name in ("name", "key_id", "review_id", "response_id", "alert_id"))


@dataclass
class World:
    gw: RunningGateway
    bearer: dict[str, str | None]
    spare_key_id: str
    team_a_key_id: str
    team_a_response_id: str = ""

    def path(self, template: str) -> str:
        values = {"name": MODEL, "version": "1", "alias": "prod", "review_id": "1", "key_id": self.spare_key_id,
                  "dataset": "loans", "dataset_version": "1", "model_id": "chat-a",
                  "response_id": self.team_a_response_id, "alert_id": "1",
                  "item_id": "0" * 32, "outcome": "approve", "source_id": "kb", "task_id": "1"}
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], template)

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        token = self.bearer[who]
        return {**({"authorization": f"Bearer {token}"} if token else {}), **extra}

    def team_a_markers(self) -> list[str]:
        return [MODEL, self.team_a_key_id, self.spare_key_id, '"alpha"', "team=\"alpha\"", STORED_TEXT]


def _needs_admin(route: APIRoute, path: str) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is admin_of:
            return True
        pending.extend(dependency.dependencies)
    return path.startswith("/admin/")


def _flat_routes(app: Any) -> Iterator[tuple[str, Route]]:
    """(path, route) of every route; FastAPI >= 0.16x keeps included routers as `_IncludedRouter` entries."""
    for entry in app.routes:
        if isinstance(entry, Route):
            yield entry.path, entry
        elif hasattr(entry, "effective_route_contexts"):
            for context in entry.effective_route_contexts():
                if isinstance(context.original_route, Route):
                    yield context.path, context.original_route
        else:
            raise AssertionError(f"a route of an unknown kind: {entry!r}: teach the matrix to walk it")


def operations(app: Any) -> list[Operation]:
    """Every (method, path) the app serves, with whether it is meant for admin keys only."""
    out = []
    for path, route in _flat_routes(app):
        admin = _needs_admin(route, path) if isinstance(route, APIRoute) else False
        if path == "/metrics":
            admin = True  # the matrix runs with `server.metrics_auth: admin`
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append(Operation(method, path, admin))
    return out


@contextmanager
def authz_world(upstream: FakeUpstream, tmp: Path) -> Iterator[World]:
    upstream_params = {"api_base": upstream.base_url, "api_key": "sk-upstream-secret"}
    config = {"model_list": [{"model_name": "chat-a", "litellm_params": {"model": "openai/chat-a-upstream",
                                                                         **upstream_params}},
                             {"model_name": "img-a", "model_info": {"mode": "image_generation"},
                              "litellm_params": {"model": "openai/img-a-upstream", **upstream_params}},
                             {"model_name": "tts-a", "model_info": {"mode": "audio_speech"},
                              "litellm_params": {"model": "openai/tts-a-upstream", **upstream_params}}],
              "prompts": None, "server": {"metrics_auth": "admin"}}
    with running_gateway(config, f"sqlite:///{tmp / 'gw.db'}", {"alpha": {}, "beta": {}}, tmp) as gw:
        revoked_row, revoked = create_key(gw.engine, team="alpha")
        revoke_key(gw.engine, revoked_row.id)
        _, expired = create_key(gw.engine, team="alpha", expires_in=timedelta(seconds=-1))
        spare, _ = create_key(gw.engine, team="alpha", name="spare")
        team_a_row = next(r for r in _keys(gw) if r.team == "alpha" and r.name is None and r.revoked_at is None
                          and r.expires_at is None)
        world = World(gw, {"none": None, "bad": "wk-" + "x" * 40, "revoked": revoked, "expired": expired,
                           "team_b": gw.keys["beta"], "team_a": gw.keys["alpha"], "admin": gw.admin_key},
                      spare.id, team_a_row.id)
        _team_a_data(world)
        yield world


def _keys(gw: RunningGateway) -> list[Any]:
    from registry.keys import list_keys

    return list_keys(gw.engine)


def _team_a_data(world: World) -> None:
    """Team A's model, a version and a monitoring reference, created over HTTP with team A's key."""
    with world.gw.http() as http:
        for method, path, body in (
            ("POST", "/registry/models", {"name": MODEL, "kind": "classical", "owner": "alice", "team": "alpha",
                                          "use_case": "private scoring"}),
            ("POST", f"/registry/models/{MODEL}/versions", {"version": "1"}),
            ("PUT", f"/registry/models/{MODEL}/versions/1/reference",
             {"features": {"x": [0.1, 0.2, 0.3] * 20}, "predictions": [0, 1, 1] * 20}),
        ):
            response = http.request(method, path, json=body, headers=world.headers("team_a"))
            assert response.status_code in (200, 201), response.text
        chat = http.post("/v1/chat/completions", headers=world.headers("team_a"),
                         json={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]})
        assert chat.status_code == 200, chat.text
        stored = http.post("/v1/responses", headers=world.headers("team_a"),
                           json={"model": "chat-a", "input": STORED_TEXT})
        assert stored.status_code == 200, stored.text
        world.team_a_response_id = stored.json()["id"]


# Valid bodies for writes on team A's data: with `{}` a 400 could hide a missing permission check.
VALID_BODIES: dict[tuple[str, str], object] = {
    ("POST", "/registry/models"): {"name": "b-sneaks-in", "kind": "classical", "owner": "eve", "team": "alpha",
                                   "use_case": "x"},
    ("POST", "/registry/models/{name}/versions"): {"version": "9"},
    ("PUT", "/registry/models/{name}/versions/{version}/reference"): {"features": {"x": [1.0, 2.0]},
                                                                      "predictions": [0, 1]},
    ("POST", "/registry/models/{name}/predictions"): [{"model_version": "1", "ts": "2026-01-01T00:00:00Z",
                                                       "request_id": "b1", "features": {"x": 1.0}, "prediction": 1}],
    ("POST", "/registry/models/{name}/ground-truth"): [{"request_id": "b1", "actual": 1}],
    ("PUT", "/registry/models/{name}/aliases/{alias}"): {"version": "1"},
    ("POST", "/registry/models/{name}/phase"): {"phase": "retired"},
    ("PATCH", "/registry/models/{name:path}"): {"description": "owned"},
    ("POST", "/admin/keys"): {"team": "alpha"},
    ("POST", "/admin/teams"): {"name": "b-team"},
    ("PUT", "/registry/reviewers/{key_id}"): {"roles": ["chair"]},
    ("POST", "/registry/models/{name:path}/rollback"): {"reason": "b rolls back a's model"},
    ("PUT", "/registry/models/{name:path}/datasets/{dataset}/{dataset_version}"): {"name": "loans", "version": "1",
                                                                                   "uri": "s3://b"},
}
# Model calls with a valid body, under both prefixes: with `{}` a 400 could hide a missing key check.
_HI = [{"role": "user", "content": "hi"}]
_MODEL_CALLS: dict[str, object] = {
    "/v1/chat/completions": {"model": "chat-a", "messages": _HI, "max_tokens": 5},
    "/v1/messages": {"model": "chat-a", "messages": _HI, "max_tokens": 5},
    "/v1/messages/count_tokens": {"model": "chat-a", "messages": _HI},
    "/v1/moderations": {"input": "hi"},
    "/v1/completions": {"model": "chat-a", "prompt": "hi", "max_tokens": 5},
    "/v1/responses": {"model": "chat-a", "input": "hi", "store": False},
    "/v1/responses/input_tokens": {"model": "chat-a", "input": "hi"},
    "/v1/images/generations": {"model": "img-a", "prompt": "hi"},
    "/v1/audio/speech": {"model": "tts-a", "input": "hi", "voice": "alloy"},
}
VALID_BODIES.update({("POST", path): body for v1, body in _MODEL_CALLS.items()
                     for path in (v1, v1.removeprefix("/v1"))})
