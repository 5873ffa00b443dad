"""A gateway with teams alpha, beta and board, real traffic through it, and a tier 3 model of alpha's waiting for a
peer vote (no tests here)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.gateway.conftest import deployment
from tests.gateway.test_registry_api_support import (CARD, CHARTER, DEPLOYMENT, LLM_SPEC, MONITORING_PLAN, SUBMISSION,
                                                     TIER3_CRITERIA, VALIDATION, model_in)
from registry.exchanges import Exchange
from registry.monitoring.tables import AlertRecord, CheckResult
from registry.tables import UsageRecord
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway, running_gateway

ALPHA_MODEL, BETA_MODEL = "support-bot", "beta-scorer"


@dataclass
class Seeded:
    gw: RunningGateway
    review_id: int
    board_key_id: str


def _ok(http: httpx.Client, key: str, method: str, path: str, body: object = None) -> Any:
    response = http.request(method, path, json=body, headers={"authorization": f"Bearer {key}"})
    assert response.is_success, f"{method} {path} -> {response.status_code}: {response.text}"
    return response.json()


def _tier3_model(http: httpx.Client, key: str) -> int:
    m = f"/registry/models/{ALPHA_MODEL}"
    _ok(http, key, "POST", "/registry/models", model_in(ALPHA_MODEL))
    _ok(http, key, "POST", m + "/classification", TIER3_CRITERIA)
    _ok(http, key, "POST", m + "/versions", {"version": "1", "spec": LLM_SPEC})
    _ok(http, key, "POST", m + "/versions", {"version": "2", "spec": LLM_SPEC})
    for path, body in (("/charter", CHARTER), ("/card", CARD), ("/monitoring-plan", MONITORING_PLAN),
                       ("/deployment", DEPLOYMENT), ("/versions/1/validation-report", VALIDATION)):
        _ok(http, key, "PUT", m + path, body)
    _ok(http, key, "POST", m + "/datasets", {"name": "tickets", "version": "2025.1", "uri": "s3://d/tickets"})
    return int(_ok(http, key, "POST", m + "/reviews", SUBMISSION)["id"])


def _monitoring(engine: Engine) -> None:
    """Drift results and alerts as the monitor would have written them (alpha's model and beta's)."""
    now = datetime.now(timezone.utc)
    window = {"window_start": now - timedelta(days=7), "window_end": now}
    with Session(engine) as session:
        for subject, value, level in (("ticket_length", 0.31, "warning"), ("language", 0.04, "ok"),
                                      ("channel", 0.12, "ok")):
            session.add(CheckResult(model_name=ALPHA_MODEL, model_version="1", check="psi", subject=subject,
                                    value=value, level=level, **window))
        session.add(AlertRecord(model_name=ALPHA_MODEL, model_version="1", check="psi", level="warning",
                                message="PSI of ticket_length is 0.31 (over 0.2)"))
        session.add(AlertRecord(model_name=BETA_MODEL, model_version="1", check="accuracy", level="critical",
                                message="beta accuracy fell to 0.61"))
        for team, request_id, verdicts in (
            ("alpha", "req-alpha-blocked", [{"guardrail": "injection", "action": "block", "score": 0.97},
                                            {"guardrail": "pii", "action": "mask", "score": 1.0}]),
            ("beta", "req-beta-blocked", [{"guardrail": "topics", "action": "block", "score": 0.9}]),
        ):
            session.add(UsageRecord(request_id=request_id, team=team, requested_model="chat-a", status="blocked",
                                    status_code=400, guardrails=verdicts))
            session.add(Exchange(request_id=request_id, team=team, policy="strict", retention_until=now + timedelta(days=30),
                                 request_json={"messages": [{"role": "user", "content": f"mail <EMAIL_ADDRESS> ({team})"}]}))
        session.commit()


@contextmanager
def seeded_gateway(upstream: FakeUpstream, tmp: Path, database_url: str | None = None) -> Iterator[Seeded]:
    config = {"model_list": [deployment("chat-a", upstream), deployment("chat-b", upstream)], "prompts": None}
    teams: dict[str, dict[str, Any]] = {"alpha": {"budget_usd": 5.0}, "beta": {"models": ["chat-b"]}, "board": {}}
    with running_gateway(config, database_url or f"sqlite:///{tmp / 'console.db'}", teams, tmp) as gw, \
            gw.http() as http:
        for team, model, times in (("alpha", "chat-a", 2), ("beta", "chat-b", 1)):
            for _ in range(times):
                gw.client(team).chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        gw.flush()
        review_id = _tier3_model(http, gw.keys["alpha"])
        _ok(http, gw.keys["beta"], "POST", "/registry/models", model_in(BETA_MODEL, team="beta"))
        _monitoring(gw.engine)
        board = _ok(http, gw.keys["board"], "GET", "/registry/whoami")
        _ok(http, gw.admin_key, "PUT", f"/registry/reviewers/{board['key_id']}", {"roles": ["peer"]})
        yield Seeded(gw, review_id, board["key_id"])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@contextmanager
def signed_in(base_url: str, key: str) -> Iterator[httpx.Client]:
    """An httpx client holding a console session for `key` (signed in through the login form)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = csrf_of(client.get("/console/login").text)
        response = client.post("/console/login", data={"key": key, "csrf": token})
        assert response.status_code == 303 and response.headers["location"] == "/console/costs", response.text
        yield client
