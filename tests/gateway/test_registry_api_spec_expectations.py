"""Over HTTP (SQLite and PostgreSQL): expectations declared on the version spec are checked on
`POST /registry/models/{name}/predictions` though the gateway's monitor config declares none for the model."""

from __future__ import annotations

from pathlib import Path

from tests.gateway.test_registry_api_support import model_in, registry_api

M = "/registry/models/churn"
SPEC = {"expectations": {"age": {"type": "number", "min": 18, "max": 65, "level": "critical"}}}


def test_spec_expectations_checked_at_ingest_over_http(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "POST", M + "/versions", {"version": "1", "spec": SPEC})
        records = [{"model_version": "1", "ts": f"2030-01-01T10:0{i}:00Z", "prediction": 1,
                    "features": {"age": age}} for i, age in enumerate([30, 70, "old"])]
        answer = api.ok("alpha", "POST", M + "/predictions", {"records": records})
        [quality] = answer["data_quality"]
        assert (quality["feature"], quality["violations"], quality["out_of_range"], quality["wrong_type"],
                quality["level"]) == ("age", 2, 1, 1, "critical")
        alerts = api.ok("alpha", "GET", "/registry/alerts", model="churn")["data"]
        assert [(a["check"], a["level"]) for a in alerts] == [("data_quality", "critical")]

        bad = api.call("alpha", "POST", M + "/versions", {"version": "2", "spec": {
            "expectations": {"age": {"min": 9, "max": 1}}}})
        assert bad.status_code == 400 and "min 9.0 is above max 1.0" in bad.json()["error"]["message"]
