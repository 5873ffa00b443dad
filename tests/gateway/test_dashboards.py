"""The Grafana dashboard and the Prometheus alert rules only query metrics a live Warden exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest
import yaml

from guardrails import registry
from guardrails.base import CheckContext, Finding, Guardrail, Segment, Verdict
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream, running_upstream
from tests.support.gateway_server import RunningGateway, running_gateway

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "config" / "grafana" / "warden-dashboard.json"
ALERTS = ROOT / "config" / "prometheus" / "warden-alerts.yaml"
# The drift gauges are named after the monitoring results stored in the database, so a fresh gateway has none:
# their names are taken from the module that exports them.
MONITORING = ROOT / "registry" / "monitoring" / "prometheus.py"
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
                "bool", "inf", "nan"}
TARGET = {"type": "object", "required": ["refId", "expr"],
          "properties": {"refId": {"type": "string"}, "expr": {"type": "string", "minLength": 1}}}
PANEL = {"type": "object", "required": ["id", "type", "title", "gridPos"],
         "properties": {"id": {"type": "integer"}, "type": {"type": "string"}, "title": {"type": "string"},
                        "gridPos": {"type": "object", "required": ["h", "w", "x", "y"],
                                    "properties": {k: {"type": "integer", "minimum": 0} for k in "hwxy"}},
                        "targets": {"type": "array", "items": TARGET}}}
DASHBOARD_SCHEMA = {"type": "object", "required": ["title", "uid", "schemaVersion", "panels", "templating", "time"],
                    "properties": {"title": {"type": "string"}, "uid": {"type": "string", "maxLength": 40},
                                   "schemaVersion": {"type": "integer", "minimum": 36},
                                   "panels": {"type": "array", "minItems": 1, "items": PANEL}}}


class _Flag(Guardrail):
    """Flags every request, so the verdict counter has a series to scrape."""

    name = "dashboard_flag"
    stages = ("input",)

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        return self.verdict(True, 0.5, [Finding("always", 0.5, 0)])


registry.register(_Flag)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    """Every sample name of a live /metrics after chat, stream, error and guardrail traffic by a team with a budget."""
    tmp = tmp_path_factory.mktemp("dash")
    with running_upstream() as up:
        config = {"model_list": [deployment("chat-a", up)], "prompts": None,
                  "guardrail_policies": {"flag": {"input": [{"guardrail": "dashboard_flag", "mode": "flag"}]}},
                  "default_policy": "flag"}
        teams = {"alpha": {"budget_usd": 100.0}}
        with running_gateway(config, f"sqlite:///{tmp / 'gw.db'}", teams, tmp) as gw:
            yield _scrape(gw, up)


def _scrape(gw: RunningGateway, up: FakeUpstream) -> set[str]:
    client = gw.client()
    client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi"}])
    assert "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="chat-a", messages=[{"role": "user", "content": "a story"}], stream=True) if c.choices)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    gw.flush()
    text = gw.http().get("/metrics").text
    names = {re.split(r"[{ ]", line, maxsplit=1)[0] for line in text.splitlines() if line and line[0] != "#"}
    return names | set(re.findall(r'"(warden_[a-z_]+)"', MONITORING.read_text()))


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels."""
    text = re.sub(r'"[^"]*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges ($__rate_interval)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = re.findall(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text)
    return {n for n in names if n.lower() not in PROMQL_WORDS}


def _dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"]]


def _alert_rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_metric_names_are_read_from_promql() -> None:
    expr = ('histogram_quantile(0.95, sum by (le, model) (rate(warden_upstream_seconds_bucket[$__rate_interval])))'
            ' / clamp_min(sum(rate(warden_requests_total{status="ok", model=~"a|b"}[5m] offset 1h)), 1e-9) > bool 3')
    assert metric_names(expr) == {"warden_upstream_seconds_bucket", "warden_requests_total"}


def test_the_dashboard_is_a_grafana_dashboard() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    jsonschema.validate(dashboard, DASHBOARD_SCHEMA)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]
    sections = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}
    assert {"Costs", "Traffic", "Latency", "Guardrails", "Model drift"} <= sections


def test_the_dashboard_queries_only_exported_metrics(exported: set[str]) -> None:
    used = {name for expr in _dashboard_exprs(json.loads(DASHBOARD.read_text())) for name in metric_names(expr)}
    assert used and used <= exported, sorted(used - exported)
    assert {"gen_ai_client_token_usage_sum", "warden_deployment_cooldown", "warden_model_feature_psi",
            "warden_team_budget_remaining_usd"} <= used


def test_every_alert_rule_queries_exported_metrics(exported: set[str]) -> None:
    rules = _alert_rules()
    assert {r["alert"] for r in rules} >= {"WardenBudgetExhausted", "WardenHighErrorRate",
                                           "WardenDeploymentCoolingDown", "WardenModelMonitorCritical"}
    for rule in rules:
        used = metric_names(rule["expr"])
        assert used and used <= exported, (rule["alert"], sorted(used - exported))
        assert rule["labels"]["severity"] in {"info", "warning", "critical"} and rule["annotations"]["summary"]
