"""/metrics: the monitoring collector on a prometheus_client registry, read back through the text exposition format."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from monitor_synth import START, prediction_batch, reference_columns
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from test_monitor_integration_llm import _store, usage

from registry.db import make_engine
from registry.monitoring.config import LlmMonitorConfig, MonitorConfig
from registry.monitoring.ingest import ingest_predictions
from registry.monitoring.prometheus import monitor_collector
from registry.monitoring.runner import MonitorContext
from registry.monitoring.schedule import run_due
from registry.monitoring.store import register_reference

Samples = dict[str, list[tuple[dict[str, str], float]]]


def _scrape(engine: Engine) -> Samples:
    registry = CollectorRegistry()
    registry.register(monitor_collector(engine))
    found: Samples = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def _one(samples: Samples, name: str, **labels: str) -> float:
    [value] = [v for found, v in samples[name] if labels.items() <= found.items()]
    return value


def test_collector_exposes_latest_results(engine: Engine) -> None:
    ref = reference_columns(5000, seed=1)
    register_reference(
        engine, "churn", "1", {"x": ref["x"], "y": ref["y"]}, scores=ref["score"], validated_metrics={"accuracy": 0.8}
    )
    batch, _ = prediction_batch(1500, START, 1800, seed=3, x_shift=1.0)
    ingest_predictions(engine, "churn", batch)
    current = START - timedelta(hours=23)  # the tier-2 day window ends at the run, an hour after START
    _store(
        engine,
        usage(1500, current - timedelta(days=7), 7 * 86_400, seed=1),
        usage(800, current, 86_399, seed=2, latency=500.0),
    )
    config = MonitorConfig(default_tier=2, llm=LlmMonitorConfig(gateway_models=("gpt-x",)))
    run_due(MonitorContext(engine=engine, config=config), now=START + timedelta(hours=1))

    samples = _scrape(engine)
    assert _one(samples, "warden_model_monitor_up") == 1.0
    assert _one(samples, "warden_model_feature_psi", model="churn", feature="x", kind="data_drift") > 0.2
    assert _one(samples, "warden_model_feature_psi", model="churn", feature="y", kind="data_drift") < 0.1
    assert _one(samples, "warden_model_feature_drift_level", model="churn", feature="x") == 3.0  # critical
    assert _one(samples, "warden_model_feature_drift_level", model="churn", feature="y") == 0.0
    assert _one(samples, "warden_model_metric_validated", model="churn", metric="accuracy") == pytest.approx(0.8)
    assert _one(samples, "warden_model_metric", model="churn", metric="accuracy", estimated="true") > 0
    assert _one(samples, "warden_model_alerts", model="churn", level="critical") >= 1
    assert _one(samples, "warden_model_monitor_level", model="gpt-x", version="gateway") == 3.0
    latency = "search/gpt-x/support@abc1234def56:latency_ms"
    assert _one(samples, "warden_llm_usage_psi", model="gpt-x", subject=latency) > 0.2
    assert _one(samples, "warden_llm_usage_drift_level", model="gpt-x", subject=latency) == 3.0
    assert _one(samples, "warden_llm_usage", subject="search/gpt-x/support@abc1234def56:requests") == 800
    assert _one(samples, "warden_llm_rate", subject="search/gpt-x/support@abc1234def56:pii:block") == pytest.approx(
        0.02
    )


def test_unreadable_database_reports_down_without_failing(tmp_path: Path) -> None:
    samples = _scrape(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))  # no tables: every query fails
    assert samples == {"warden_model_monitor_up": [({}, 0.0)]}
