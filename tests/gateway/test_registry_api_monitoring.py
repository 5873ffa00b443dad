"""Monitoring through the API: register a reference, ingest predictions (also with `MonitoringClient`) and ground
truth, run the checks, and read results, alerts and the report. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from registry.monitoring.client import MonitoringClient
from registry.monitoring.ingest import PredictionRecord
from tests.gateway.test_registry_api_support import CONFIG, Api, model_in, registry_api
from tests.support import gateway_server

M = "/registry/models/churn"
COLOURS = ["red", "green", "blue"]


def _reference(n: int = 1000) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 1.0, n)
    score = 1 / (1 + np.exp(-2 * x))
    return {
        "features": {"x": x.round(4).tolist(), "colour": rng.choice(COLOURS, n).tolist()},
        "predictions": (score >= 0.5).astype(int).tolist(),
        "scores": score.round(4).tolist(),
        "labels": (rng.random(n) < score).astype(int).tolist(),
        "validated_metrics": {"accuracy": 0.8},
        "kinds": {"__prediction__": "categorical"},
    }


def _records(n: int, shift: float, start: datetime, prefix: str) -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    x = rng.normal(shift, 1.0, n)
    score = 1 / (1 + np.exp(-2 * x))
    return [{"model_version": "1", "ts": (start + timedelta(seconds=5 * i)).isoformat(), "request_id": f"{prefix}{i}",
             "features": {"x": float(x[i]), "colour": COLOURS[i % 3]}, "prediction": int(score[i] >= 0.5),
             "score": float(score[i]), "latency_ms": 30.0} for i in range(n)]


def _ingest(api: Api, start: datetime) -> None:
    records = _records(600, 2.0, start, "r")
    assert api.ok("alpha", "POST", M + "/predictions", {"records": records[:300]}) == {
        "stored": 300, "sketched": 300, "versions_without_reference": [], "data_quality": []}
    client = MonitoringClient(api.gw.base_url, api.key("alpha"))
    result = client.log_predictions("churn", [PredictionRecord.model_validate(r) for r in records[300:]], batch_size=200)
    assert (result.stored, result.sketched) == (300, 300)
    # Both classes present: a one-class window makes roc_auc NaN, which the monitoring store cannot keep.
    truth = [{"request_id": f"r{i}", "actual": (i // 2) % 2} for i in range(0, 600, 2)]
    assert api.ok("alpha", "POST", M + "/ground-truth", truth) == {"stored": 300}


def test_ingest_then_monitoring_run_visible_through_the_api(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "POST", M + "/versions", {"version": "1"})
        missing = api.call("alpha", "POST", M + "/monitoring/run")
        assert missing.status_code == 404 and "no monitoring reference" in missing.json()["error"]["message"]
        gini = _reference() | {"validated_metrics": {"gini": 1}}
        unknown = api.call("alpha", "PUT", M + "/versions/1/reference", gini)
        assert unknown.status_code == 400 and "['gini'] are never computed" in unknown.json()["error"]["message"]
        registered = api.ok("alpha", "PUT", M + "/versions/1/reference", _reference())
        assert registered["features"] == ["x", "colour", "__prediction__", "__score__"]

        _ingest(api, datetime.now(UTC) - timedelta(hours=1))
        runs = api.ok("alpha", "POST", M + "/monitoring/run")["data"]
        # Unclassified models are held to Tier 1 rules, as the governance gates hold them.
        assert len(runs) == 1 and runs[0]["version"] == "1" and runs[0]["tier"] == 1
        assert "x" in runs[0]["drifted"] and "colour" not in runs[0]["drifted"]
        assert runs[0]["level"] in ("critical", "emergency") and runs[0]["alerts"] >= 1

        status = api.ok("alpha", "GET", M + "/monitoring")
        assert status["references"] == ["1"] and status["runs"][0]["level"] == runs[0]["level"]
        drift = {r["subject"]: r for r in status["results"] if r["check"] == "data_drift"}
        assert drift["x"]["level"] == "critical" and drift["x"]["value"] > 0.2 > drift["colour"]["value"]
        assert "accuracy" in {r["subject"] for r in status["results"] if r["check"] == "performance"}
        assert any(a["check"] == "data_drift" and "x (PSI" in a["message"] for a in status["alerts"])

        alerts = api.ok("alpha", "GET", "/registry/alerts", level="critical")["data"]
        assert alerts and {a["model"] for a in alerts} == {"churn"}
        assert api.ok("beta", "GET", "/registry/alerts") == {"data": []}
        assert api.ok("admin", "GET", "/registry/alerts", model="churn")["data"] == api.ok(
            "alpha", "GET", "/registry/alerts", model="churn")["data"]

        _report(api)


def _report(api: Api) -> None:
    html = api.call("alpha", "GET", M + "/report")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text and "churn" in html.text and "default-src 'none'" in html.headers["content-security-policy"]
    summary = api.ok("alpha", "GET", M + "/report", format="json", version="1")
    levels = {f["feature"]: f["level"] for f in summary["features"]}
    assert summary["model_name"] == "churn" and levels["x"] == "critical" and levels["colour"] == "none"
    assert summary["validated_metrics"] == {"accuracy": 0.8} and summary["alerts"]
    assert api.call("alpha", "GET", M + "/report", format="pdf").status_code == 400
    assert api.call("alpha", "GET", M + "/report", version="9").status_code == 404
    assert api.call("beta", "GET", M + "/report").status_code == 404


def test_ingest_over_http_checks_the_monitor_configs_expectations(tmp_path: Path) -> None:
    """The gateway reads WARDEN_MONITOR_CONFIG as `warden monitor` does: its expectations apply at HTTP ingest."""
    monitor = tmp_path / "monitor.yaml"
    monitor.write_text("expectations:\n  churn:\n    x: {type: number, min: -1, max: 1}\n")
    with gateway_server.running_gateway(CONFIG, f"sqlite:///{tmp_path / 'gw.db'}", {"alpha": {}}, tmp_path,
                                        monitor_config=monitor) as gw, gw.http() as http:
        api = Api(gw, http)
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "POST", M + "/versions", {"version": "1"})
        records = _records(20, 0.0, datetime.now(UTC) - timedelta(minutes=5), "q")
        answer = api.ok("alpha", "POST", M + "/predictions", {"records": records})
    outside = sum(abs(r["features"]["x"]) > 1 for r in records)
    assert answer["stored"] == 20 and outside > 0
    assert sum(d["violations"] for d in answer["data_quality"] if d["feature"] == "x") == outside
    assert {d["feature"] for d in answer["data_quality"]} == {"x"}
