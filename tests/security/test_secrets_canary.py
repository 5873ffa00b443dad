"""Canary secrets: a provider key, the virtual keys and PII values, pushed through successes, upstream
failures, refusals and malformed requests on both transports, must not appear (raw, base64 or hex) in the
process's log output, any registry table (usage rows, exchange log...), /metrics, or an error body; the
virtual key never reaches an upstream, and PII reaches it only masked."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select

from tests.security.conftest import PROVIDER_KEY, attack_config
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway, running_gateway

EMAIL = "zelda.quartzwood@example.org"
PHONE = "06 12 34 56 78"
IBAN = "FR1420041010050500013M02606"
PII = (EMAIL, PHONE, IBAN)
ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE"]
POLICY = {"logging": "full", "input": [{"guardrail": "pii", "mode": "mask", "entities": ENTITIES}]}


def encodings(secret: str) -> list[bytes]:
    """The secret as bytes, and its base64 (standard and URL-safe, at each of the 3 alignments) and hex."""
    raw = secret.encode()
    forms = [raw, raw.hex().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        core = encoded[(shift * 4 + 2) // 3 + 1: -3]  # drop the characters that mix in neighbouring bytes
        forms += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return [f for f in forms if len(f) >= 12]


def leaks(blob: bytes, secrets: dict[str, str]) -> list[str]:
    return [name for name, secret in secrets.items() if any(form in blob for form in encodings(secret))]


@pytest.fixture(scope="module")
def secret_gw(tmp_path_factory: pytest.TempPathFactory, good_upstream: FakeUpstream,
              broken_upstream: FakeUpstream) -> Iterator[RunningGateway]:
    from guardrails.pii.engine import shared_engine

    shared_engine().load()  # the process-wide PII engine, loaded before the gateway's start-up clock runs
    tmp: Path = tmp_path_factory.mktemp("secrets")
    config = attack_config(good_upstream, broken_upstream)
    config["guardrail_policies"] = {"audited": POLICY}
    with running_gateway(config, f"sqlite:///{tmp / 'gw.db'}", {"alpha": {"guardrail_policy": "audited"},
                                                                "beta": {}}, tmp) as running:
        yield running


def _traffic(gw: RunningGateway) -> list[httpx.Response]:
    key = gw.keys["alpha"]
    text = f"Write to {EMAIL} or call {PHONE}; my IBAN is {IBAN}."
    bodies: list[tuple[str, dict[str, Any], str]] = []
    for model in ("native-chat", "lit-chat", "native-broken", "lit-broken"):
        for directive in ("", "[[fake:status=401]]", "[[fake:status=429]]"):
            content = f"{directive} {text}"
            bodies.append(("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": content}],
                                                    "stream": not directive}, key))
    for model in ("native-embed", "lit-embed"):
        bodies.append(("/v1/embeddings", {"model": model, "input": [text]}, key))
    malformed: list[dict[str, Any]] = [
        {"model": "native-chat", "messages": [{"role": "wizard", "content": text}]},
        {"model": "native-chat", "messages": [{"role": "user", "content": text}], "temperature": IBAN},
        {"model": "native-chat", "messages": [{"role": "user", "content": text}], "api_key": PROVIDER_KEY},
        {"model": "native-chat", "messages": [{"role": "user", "content": text}], "user": "u" * 300},
        {"model": "native-chat", "messages": [{"role": "user", "content": f"[[fake:status=400]] {text}"}]},
        {"model": "native-chat", "messages": [{"role": "user", "content": f"[[fake:malformed_json]] {text}"}]},
        {"model": "lit-chat", "messages": [{"role": "user", "content": [{"type": "image_url",
                                                                         "image_url": {"url": f"http://{IBAN}/"}}]}]},
    ]
    bodies += [("/v1/chat/completions", body, key) for body in malformed]
    responses = []
    with httpx.Client(base_url=gw.base_url, timeout=30) as http:
        for path, body, bearer in bodies:
            responses.append(http.post(path, json=body, headers={"authorization": f"Bearer {bearer}"}))
        for header in (f"Bearer {key}x", f"Basic {key}", f"Bearer {gw.keys['beta'][:-2]}", key, f"Bearer  {key} {key}"):
            responses.append(http.post("/v1/chat/completions", headers={"authorization": header},
                                       json={"model": "native-chat", "messages": [{"role": "user", "content": text}]}))
        responses.append(http.get("/team/costs", headers={"authorization": f"Bearer {key}"}))
        responses.append(http.get("/admin/costs", headers={"authorization": f"Bearer {key}"}))
    return responses


def _database(gw: RunningGateway) -> bytes:
    gw.flush()
    asyncio.run_coroutine_threadsafe(gw.gateway.exchanges.flush(), gw.loop).result(timeout=60)
    metadata = MetaData()
    metadata.reflect(gw.engine)
    dump = []
    with gw.engine.connect() as conn:
        for table in metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in conn.execute(select(table))]
    return "\n".join(dump).encode()


@pytest.mark.timeout(360)  # the set-up loads the PII models, slow on a busy machine
def test_no_secret_or_pii_is_written_shown_or_forwarded(
        secret_gw: RunningGateway, good_upstream: FakeUpstream, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    good_upstream.reset()
    caplog.set_level(logging.DEBUG, logger="warden")
    caplog.set_level(logging.INFO)
    responses = _traffic(secret_gw)
    statuses = sorted({r.status_code for r in responses})
    assert {200, 400, 401, 403, 429, 502} <= set(statuses), statuses
    assert {r.headers.get("content-type", "").split(";")[0] for r in responses} <= {"application/json",
                                                                                    "text/event-stream"}
    keys = {"provider key": PROVIDER_KEY, "admin key": secret_gw.admin_key,
            **{f"virtual key {team}": key for team, key in secret_gw.keys.items()}}
    pii = {f"pii {value}": value for value in PII}
    errors = b"\n".join(r.content for r in responses if r.status_code >= 400)
    with httpx.Client(base_url=secret_gw.base_url, timeout=30) as http:
        metrics = http.get("/metrics").content
    database = _database(secret_gw)
    captured = capfd.readouterr()
    logs = "\n".join([caplog.text, captured.out, captured.err]).encode()
    assert len(logs) > 0 and b"team" in database
    found = {
        "logs": leaks(logs, {**keys, **pii}),
        "database": leaks(database, {**keys, **pii}),
        "metrics": leaks(metrics, {**keys, **pii}),
        "error bodies": leaks(errors, {"provider key": PROVIDER_KEY, "admin key": secret_gw.admin_key, **pii}),
    }
    assert found == {"logs": [], "database": [], "metrics": [], "error bodies": []}
    upstream = b"\n".join(repr(r).encode() for r in good_upstream.requests)
    assert len(good_upstream.requests) >= 10
    assert leaks(upstream, {**{k: v for k, v in keys.items() if k != "provider key"}, **pii}) == []


def test_the_encodings_find_what_they_should() -> None:
    secret = "sk-canary-provider-7f3c9a1e5b2d4680"
    for prefix in (b"", b"x", b"xy", b"Authorization: Bearer "):
        blob = base64.b64encode(prefix + secret.encode() + b"\n")
        assert leaks(blob, {"s": secret}) == ["s"], prefix
    assert leaks(b"nothing here", {"s": secret}) == []
