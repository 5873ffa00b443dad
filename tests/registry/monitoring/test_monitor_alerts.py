"""Alerts to a real local webhook server, de-duplication, escalation, re-training requests, audited rollback, schedules."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from monitor_synth import START, prediction_batch, reference_columns
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.db import session_scope
from registry.monitoring.alerts import Alert, AlertDispatcher
from registry.monitoring.config import ActionPolicy, MonitorConfig, TierSchedule, WebhookTarget
from registry.monitoring.ingest import ingest_predictions
from registry.monitoring.levels import Level
from registry.monitoring.runner import MonitorContext
from registry.monitoring.schedule import due_references, run_due
from registry.monitoring.store import register_reference
from registry.monitoring.tables import AlertRecord, RetrainRequest


class _Hook:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, object]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.received]


@pytest.fixture
def hook() -> Iterator[_Hook]:
    server = _Hook()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _alert(level: Level, check: str = "data_drift") -> Alert:
    return Alert("churn", "3", check, level, "drift in x (PSI 0.31)", {"x": 0.31})


def _targets(hook: _Hook) -> list[WebhookTarget]:
    return [
        WebhookTarget(url=f"{hook.url}/slack", format="slack", min_level=Level.WARNING),
        WebhookTarget(url=f"{hook.url}/pager", format="generic", min_level=Level.CRITICAL),
    ]


@pytest.mark.parametrize(
    ("level", "paths"),
    [(Level.INFO, []), (Level.WARNING, ["/slack"]), (Level.CRITICAL, ["/pager", "/slack"]), (Level.EMERGENCY, ["/pager", "/slack"])],
)
def test_escalation_by_level_and_payloads(sqlite_engine: Engine, hook: _Hook, level: Level, paths: list[str]) -> None:
    dispatcher = AlertDispatcher(_targets(hook), dedup_window_seconds=3600)
    with session_scope(sqlite_engine) as session:
        delivery = dispatcher.dispatch(session, _alert(level), START)
    assert sorted(hook.paths()) == paths and delivery.delivered == len(paths)
    for path, body in hook.received:
        if path == "/slack":
            assert "churn" in str(body["text"]) and level.value.upper() in str(body["text"])
            assert [b["type"] for b in body["blocks"]][:2] == ["header", "section"]  # type: ignore[index]
        else:
            assert body["level"] == level.value and body["model_version"] == "3" and body["alert_id"] == delivery.alert_id


def test_deduplication_window(engine: Engine, hook: _Hook) -> None:
    dispatcher = AlertDispatcher(_targets(hook), dedup_window_seconds=3600)
    moments = [START, START + timedelta(minutes=10), START + timedelta(minutes=59), START + timedelta(minutes=61)]
    with session_scope(engine) as session:
        outcomes = [dispatcher.dispatch(session, _alert(Level.WARNING), m).suppressed for m in moments]
        escalated = dispatcher.dispatch(session, _alert(Level.CRITICAL), START + timedelta(minutes=62)).suppressed
        other_check = dispatcher.dispatch(session, _alert(Level.WARNING, "decay:f1"), START + timedelta(minutes=62)).suppressed
    assert outcomes == [False, True, True, False]
    assert (escalated, other_check) == (False, False)
    assert hook.paths().count("/slack") == 4 and hook.paths().count("/pager") == 1
    with session_scope(engine) as session:
        stored = session.exec(select(AlertRecord)).all()
    assert len(stored) == 6 and sum(a.suppressed for a in stored) == 2  # every alert stored, duplicates flagged


def test_dead_webhook_is_counted_not_raised(sqlite_engine: Engine) -> None:
    dispatcher = AlertDispatcher([WebhookTarget(url="http://127.0.0.1:9/none", timeout_seconds=0.5)], 60)
    with session_scope(sqlite_engine) as session:
        delivery = dispatcher.dispatch(session, _alert(Level.CRITICAL), START)
    assert (delivery.delivered, delivery.failed) == (0, 1)


class _Switcher:
    def __init__(self) -> None:
        self.aliases = {("churn", "production"): "2"}
        self.history = {("churn", "production"): "1"}

    def serving_alias(self, model_name: str, alias: str) -> str:
        return alias

    def current_version(self, model_name: str, alias: str) -> str | None:
        return self.aliases.get((model_name, alias))

    def previous_version(self, model_name: str, alias: str) -> str | None:
        return self.history.get((model_name, alias))

    def set_alias(self, model_name: str, alias: str, version: str) -> None:
        self.aliases[(model_name, alias)] = version

    def withdraw(self, model_name: str, version: str) -> str | None:
        return None


class _Audit:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, Mapping[str, object] | None, Mapping[str, object] | None]] = []

    def record(self, actor: str, action: str, subject: str, before: Mapping[str, object] | None, after: Mapping[str, object] | None) -> None:
        self.entries.append((actor, action, subject, before, after))


def _register(engine: Engine, version: str) -> None:
    ref = reference_columns(5000, seed=1)
    register_reference(engine, "churn", version, {"x": ref["x"], "y": ref["y"], "colour": ref["colour"]},
                       predictions=(ref["score"] >= 0.5).astype(int), scores=ref["score"], validated_metrics={"accuracy": 0.8})


@pytest.mark.parametrize("allowed", [True, False])
def test_emergency_rolls_back_through_the_protocol_and_is_audited(engine: Engine, hook: _Hook, allowed: bool) -> None:
    for version in ("1", "2"):
        _register(engine, version)
    batch, _ = prediction_batch(300, START, 600, seed=4, version="2", error_rate=0.9)
    ingest_predictions(engine, "churn", batch)
    switcher, audit = _Switcher(), _Audit()
    config = MonitorConfig(
        webhooks=(WebhookTarget(url=f"{hook.url}/pager", min_level=Level.EMERGENCY),),
        actions=ActionPolicy(rollback_on_emergency=allowed, rollback_tiers=(1,)),
    )
    ctx = MonitorContext(engine=engine, config=config, tier_lookup=lambda name: 1, audit=audit, switcher=switcher)
    [report] = run_due(ctx, now=START + timedelta(minutes=30))
    assert report.model_version == "2" and report.level == Level.EMERGENCY
    assert "error rate" in (report.emergency or "")
    assert [b["check"] for _, b in hook.received] == ["emergency"]
    if allowed:
        assert switcher.aliases[("churn", "production")] == "1"
        assert audit.entries == [("warden-monitor", "model.alias.rollback", "churn@production", {"version": "2"},
                                  {"version": "1", "reason": report.emergency})]
    else:
        assert switcher.aliases[("churn", "production")] == "2" and audit.entries == []


def test_drift_triggers_one_retrain_request_with_webhook(engine: Engine, hook: _Hook) -> None:
    _register(engine, "1")
    batch, _ = prediction_batch(2000, START, 3000, seed=8, x_shift=1.0)
    ingest_predictions(engine, "churn", batch)
    config = MonitorConfig(actions=ActionPolicy(retrain_webhooks=(WebhookTarget(url=f"{hook.url}/retrain"),)))
    ctx = MonitorContext(engine=engine, config=config, tier_lookup=lambda name: 1)
    first = run_due(ctx, now=START + timedelta(minutes=55))
    second = run_due(ctx, now=START + timedelta(minutes=56), force=True)
    assert first[0].retrain_request_id is not None and second[0].retrain_request_id is None  # one open request
    retrain = [b for p, b in hook.received if p == "/retrain"]
    assert len(retrain) == 1 and retrain[0]["reason"] == "drift" and retrain[0]["level"] == "critical"
    with session_scope(engine) as session:
        assert len(session.exec(select(RetrainRequest)).all()) == 1


def test_schedule_per_tier(sqlite_engine: Engine) -> None:
    for model in ("fraud", "churn"):
        ref = reference_columns(500, seed=2)
        register_reference(sqlite_engine, model, "1", {"x": ref["x"]})
    tiers = {"fraud": 1, "churn": 3}
    config = MonitorConfig(tiers={
        1: TierSchedule(every_seconds=300, lookback_seconds=3600, expects_traffic=False),
        3: TierSchedule(every_seconds=7 * 86400, lookback_seconds=86400, expects_traffic=False),
    })
    ctx = MonitorContext(engine=sqlite_engine, config=config, tier_lookup=tiers.get)
    assert sorted(r.model_name for r in run_due(ctx, now=START)) == ["churn", "fraud"]
    with session_scope(sqlite_engine) as session:
        due = {m: sorted(r.model_name for r in due_references(ctx, session, START + timedelta(seconds=m)))
               for m in (60, 300, 86400, 7 * 86400)}
    assert due == {60: [], 300: ["fraud"], 86400: ["fraud"], 7 * 86400: ["churn", "fraud"]}
