"""The HTML report: a single window still draws its metric, bin labels never overlap, stale alerts are set apart."""

from __future__ import annotations

import re
from datetime import timedelta

from monitor_synth import START, prediction_batch, reference_columns
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.monitoring import svg
from registry.monitoring.config import MonitorConfig
from registry.monitoring.ingest import PredictionBatch, ingest_ground_truth, ingest_predictions
from registry.monitoring.report import build_summary, render_html
from registry.monitoring.runner import MonitorContext, run_check
from registry.monitoring.store import register_reference


def _section(html: str, title: str) -> str:
    found = re.search(f"<h2>{re.escape(title)}</h2>(.*?)(<h2>|</body>)", html)
    assert found is not None, title
    return found.group(1)


def test_report_after_predictions_arrive(engine: Engine) -> None:
    ref = reference_columns(5000, seed=1)
    reference = register_reference(
        engine, "churn", "1", {"x": ref["x"]}, predictions=(ref["score"] >= 0.5).astype(int), scores=ref["score"],
        labels=ref["label"], validated_metrics={"accuracy": 0.8},
    )
    config = MonitorConfig()
    ctx = MonitorContext(engine=engine, config=config)
    with session_scope(engine) as session:  # nothing logged yet: an Emergency "no predictions"
        assert run_check(ctx, session, reference, now=START).emergency == "no predictions in the window"
    batch, labels = prediction_batch(600, START, 3000, seed=5)
    ingest_predictions(engine, "churn", PredictionBatch(records=batch.records))
    ingest_ground_truth(engine, "churn", labels)
    with session_scope(engine) as session:
        assert run_check(ctx, session, reference, now=START + timedelta(hours=1)).emergency is None
        html = render_html(build_summary(session, reference, config), config)
    assert "no predictions" not in _section(html, "Alerts raised by the latest check")
    assert "no predictions" in _section(html, "Earlier alerts (no longer raised)")
    charts = _section(html, "Metrics over time").split("<h3>")[1:]
    assert len(charts) == 5 and all(chart.count("<circle") == 1 for chart in charts)  # one window, one visible point


def test_bin_labels_slant_only_when_they_would_overlap() -> None:
    long_labels = [f"[{i * 1000.123:.3f}, {(i + 1) * 1000.123:.3f})" for i in range(10)]
    crowded = svg.grouped_bars(long_labels, [0.1] * 10, [0.1] * 10)
    roomy = svg.grouped_bars(["red", "green", "blue"], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3])
    assert crowded.count("rotate(-40") == 10 and 'height="210"' in crowded
    assert "rotate(" not in roomy and 'height="180"' in roomy
    assert f"<title>{long_labels[0]}</title>" in crowded  # the full label survives truncation
