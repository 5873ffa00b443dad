"""Shared pieces of the `/registry` API tests (no tests here): a running gateway with teams alpha, beta and board,
a small HTTP helper, and the JSON deliverables of a tier 3 LLM."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support import gateway_server
from tests.support.gateway_server import RunningGateway

CONFIG: dict[str, Any] = {"model_list": [], "prompts": None}
TEAMS = ("alpha", "beta", "board")


@dataclass
class Api:
    """Calls the registry over HTTP with one of the gateway's keys."""

    gw: RunningGateway
    http: httpx.Client

    def key(self, who: str) -> str:
        return self.gw.admin_key if who == "admin" else self.gw.keys[who]

    def call(self, who: str, method: str, path: str, body: object = None, **params: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.key(who)}"}
        return self.http.request(method, path, json=body, params=params or None, headers=headers)

    def ok(self, who: str, method: str, path: str, body: object = None, **params: Any) -> Any:
        response = self.call(who, method, path, body, **params)
        assert response.is_success, f"{method} {path} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None

    def actor(self, who: str) -> dict[str, Any]:
        return self.ok(who, "GET", "/registry/whoami")


@contextmanager
def registry_api(database_url: str, tmp: Path) -> Iterator[Api]:
    with gateway_server.running_gateway(CONFIG, database_url, {t: {} for t in TEAMS}, tmp) as gw, gw.http() as http:
        yield Api(gw, http)


def model_in(name: str, team: str = "alpha", owner: str = "alice", kind: str = "llm") -> dict[str, Any]:
    return {"name": name, "kind": kind, "owner": owner, "team": team, "use_case": "answer support tickets"}


TIER3_CRITERIA = {
    "impact": {"financial": "medium", "operational": "low", "reputational": "medium", "human": "low"},
    "automation": "assistive",
    "eu_ai_act": "minimal",
}
CHARTER = {"problem": "Answer tier-1 support tickets", "kpis": [{"name": "deflection", "target": ">= 30%"}],
           "data_sources": ["ticket archive"], "risks": ["wrong answers"], "data_classification": "internal"}
CARD = {
    "details": {"name": "support-bot", "version": "1", "owners": ["alice"], "model_type": "LLM + prompt"},
    "intended_use": {"primary_uses": ["draft answers"], "users": ["support agents"]},
    "out_of_scope_use": ["legal advice"],
    "limitations_and_risks": ["hallucinations"],
}
VALIDATION = {"validator": "vera", "validated_on": "2025-01-15", "methodology": "graded answer set",
              "results": [{"split": "test", "name": "accuracy", "value": 0.9}], "passed": True}
MONITORING_PLAN = {"metrics": ["psi", "accuracy"], "frequency": "weekly",
                   "alerts": [{"metric": "psi", "operator": ">", "threshold": 0.2, "severity": "warning"}],
                   "retraining": {"cadence": "quarterly", "triggers": []}}
DEPLOYMENT = {"endpoints": ["https://gw.internal/v1"], "infrastructure": "warden", "sla":
              {"availability_pct": 99.5, "p95_latency_ms": 2000}, "strategy": "canary"}
LLM_SPEC = {"framework": "openai-compatible", "architecture": "gpt-4o-mini + RAG",
            "llm": {"gateway_deployments": ["support-bot-prod"],
                    "prompt_versions": [{"name": "support", "commit": "a1b2c3d"}]}}
SUBMISSION = {"version": "1", "code_review_url": "https://git.example/pr/7"}
