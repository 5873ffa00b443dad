"""Routing follows the model registry: canary and shadow rollouts between registered versions, observed with
the openai SDK; versions that may not serve are refused or never routed to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from registry.governance import Actor, ModelIn, RolloutPlan, VersionIn, register_model, register_version, set_rollout
from registry.governance.tables import GovModel, GovModelVersion
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

ADMIN = Actor(name="risk-office", admin=True)
USER = [{"role": "user", "content": "hi"}]


def _register(engine: Any, statuses: dict[str, str], plan: RolloutPlan | None = None) -> None:
    with Session(engine) as session:
        register_model(session, ADMIN, ModelIn(name="support-llm", kind="llm", owner="alice", team="alpha",
                                               use_case="customer support answers"))
        for version in statuses:
            register_version(session, ADMIN, "support-llm", VersionIn(version=version))
        session.commit()
        model = session.exec(select(GovModel).where(GovModel.name == "support-llm")).one()
        # The promotion workflow is tested with the registry; here only the resulting statuses matter.
        for row in session.exec(select(GovModelVersion).where(GovModelVersion.model_id == model.id)):
            row.status = statuses[row.version]
            session.add(row)
        session.commit()
        if plan is not None:
            set_rollout(session, ADMIN, "support-llm", plan)
            session.commit()


def _config(up1: FakeUpstream, up2: FakeUpstream, **registry: Any) -> dict[str, Any]:
    return {"model_list": [
        deployment("support", up1, model_info={"registry_model": "support-llm", "registry_version": "1"}),
        deployment("support", up2, model_info={"registry_model": "support-llm", "registry_version": "2"}),
    ], "registry": {"refresh_s": 0.2, **registry}, "prompts": None}


@contextmanager
def _gateway_with(make_gateway: Any, config: dict[str, Any], statuses: dict[str, str],
                  plan: RolloutPlan | None = None) -> Iterator[Any]:
    with make_gateway(config) as gw:
        _register(gw.engine, statuses, plan)
        asyncio.run_coroutine_threadsafe(gw.gateway.registry.refresh(), gw.loop).result(timeout=10)
        yield gw


def test_canary_split_is_observed(make_gateway: Any, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    plan = RolloutPlan(strategy="canary", stable="1", candidate="2", percent=30)
    with _gateway_with(make_gateway, _config(upstream, second_upstream), {"1": "production", "2": "production"},
                       plan) as gw:
        client = gw.client()
        for i in range(200):
            client.chat.completions.create(model="support", messages=USER, user=f"user-{i}")
        versions = [r.registry_version for r in gw.rows()]
        assert 40 <= versions.count("2") <= 80 and versions.count("1") + versions.count("2") == 200
        assert len(second_upstream.requests) == versions.count("2")
        # Sticky per end user: the same user always lands on the same version.
        again = {client.chat.completions.with_raw_response.create(model="support", messages=USER, user="user-7")
                 .headers["x-warden-deployment"] for _ in range(5)}
        assert len(again) == 1


def test_shadow_traffic_is_mirrored_never_returned(make_gateway: Any, upstream: FakeUpstream,
                                                   second_upstream: FakeUpstream) -> None:
    plan = RolloutPlan(strategy="shadow", stable="1", candidate="2", percent=50)
    with _gateway_with(make_gateway, _config(upstream, second_upstream), {"1": "production", "2": "staging"}, plan) as gw:
        client = gw.client()
        served = {client.chat.completions.with_raw_response.create(model="support", messages=USER)
                  .headers["x-warden-deployment"] for _ in range(60)}
        assert served == {"support#0"}
        import time

        time.sleep(0.5)
        rows = gw.rows()
        shadows = [r for r in rows if r.endpoint == "shadow"]
        assert 15 <= len(shadows) <= 45 and len(second_upstream.requests) == len(shadows)
        assert all(r.registry_version == "2" and r.request_id.endswith(":shadow") and r.cost_usd > 0 for r in shadows)
        assert all(r.registry_version == "1" for r in rows if r.endpoint == "chat")


def test_enforcement_refuses_versions_not_ready(make_gateway: Any, upstream: FakeUpstream,
                                               second_upstream: FakeUpstream) -> None:
    config = _config(upstream, second_upstream, enforce=True, required_statuses=["production"])
    with _gateway_with(make_gateway, config, {"1": "development", "2": "staging"}) as gw:
        with pytest.raises(openai.PermissionDeniedError) as raised:
            gw.client().chat.completions.create(model="support", messages=USER)
        assert "not production" in raised.value.message and not upstream.requests and not second_upstream.requests


def test_decommissioned_versions_are_never_routed(make_gateway: Any, upstream: FakeUpstream,
                                                  second_upstream: FakeUpstream) -> None:
    with _gateway_with(make_gateway, _config(upstream, second_upstream), {"1": "decommissioned", "2": "production"}) as gw:
        for _ in range(10):
            gw.client().chat.completions.create(model="support", messages=USER)
        assert not upstream.requests and len(second_upstream.requests) == 10


def test_decommission_migration_check_reads_usage_rows(make_gateway: Any, upstream: FakeUpstream,
                                                       second_upstream: FakeUpstream) -> None:
    from registry.usage_stats import usage_lookup

    with _gateway_with(make_gateway, _config(upstream, second_upstream), {"1": "production", "2": "production"}) as gw:
        lookup = usage_lookup(gw.engine, days=30)
        assert lookup("support-llm").requests_last_n_days == 0
        for _ in range(3):
            gw.client().chat.completions.create(model="support", messages=USER)
        gw.flush()
        stats = lookup("support-llm")
        assert stats.requests_last_n_days == 3 and stats.last_request_at is not None


def _series(text: str, name: str, source: str) -> float | None:
    prefix = f'{name}{{source="{source}"}} '
    values = [float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else None


def test_snapshot_freshness_on_metrics_shows_a_failing_refresh(
        make_gateway: Any, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    """A replica whose registry refresh fails keeps its last snapshot; /metrics shows it: the age grows past the
    refresh interval and the failure count rises, until a refresh succeeds again."""
    with _gateway_with(make_gateway, _config(upstream, second_upstream), {"1": "production", "2": "production"}) as gw:
        before = gw.http().get("/metrics").text
        assert _series(before, "warden_snapshot_age_seconds", "registry") is not None
        assert _series(before, "warden_snapshot_age_seconds", "registry") < 5
        assert _series(before, "warden_snapshot_refresh_failures_total", "registry") == 0
        with gw.engine.begin() as conn:  # a real fault: the table the refresh reads is gone
            conn.execute(text("ALTER TABLE gov_models RENAME TO gov_models_away"))
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                during = gw.http().get("/metrics").text
                failures = _series(during, "warden_snapshot_refresh_failures_total", "registry") or 0
                if failures >= 2 and (_series(during, "warden_snapshot_age_seconds", "registry") or 0) > 1.5:
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the failing refreshes never showed on /metrics")
            gw.client().chat.completions.create(model="support", messages=USER)  # still routed on the last snapshot
        finally:
            with gw.engine.begin() as conn:
                conn.execute(text("ALTER TABLE gov_models_away RENAME TO gov_models"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            after = gw.http().get("/metrics").text
            if (_series(after, "warden_snapshot_age_seconds", "registry") or 99) < 1.0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the age never fell back after the refresh recovered")
        assert _series(after, "warden_snapshot_age_seconds", "prompts") is None  # no prompt store in this config
