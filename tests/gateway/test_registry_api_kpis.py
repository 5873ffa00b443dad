"""Business KPIs over HTTP (SQLite and PostgreSQL): values pushed to `POST /registry/models/{name}/kpis` come back
with their level, show in the version's monitoring report, and bad pushes are 400s naming the value."""

from __future__ import annotations

from pathlib import Path

from tests.gateway.test_registry_api_monitoring import _reference
from tests.gateway.test_registry_api_support import model_in, registry_api

M = "/registry/models/churn"
CHARTER = {"problem": "keep customers", "data_sources": ["crm"], "risks": ["wasted offers"],
           "data_classification": "internal",
           "kpis": [{"name": "retention", "target": ">= 0.9", "alert_levels": {"warning": 0.85, "critical": 0.8}},
                    {"name": "offer cost", "target": "<= 10", "unit": "EUR", "direction": "lower_is_better",
                     "alert_levels": {"warning": 12}}]}


def test_kpis_over_http(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "PUT", M + "/charter", CHARTER)
        api.ok("alpha", "POST", M + "/versions", {"version": "1"})
        api.ok("alpha", "PUT", M + "/versions/1/reference", _reference())

        pushed = api.ok("alpha", "POST", M + "/kpis", {"version": "1", "values": [
            {"name": "retention", "value": 0.91, "at": "2030-01-01T00:00:00Z"},
            {"name": "retention", "value": 0.79, "at": "2030-01-02T00:00:00Z"},
            {"name": "offer cost", "value": 13.5, "at": "2030-01-02T00:00:00Z"}]})["data"]
        assert [(p["name"], p["level"]) for p in pushed] == [("retention", "none"), ("retention", "critical"),
                                                           ("offer cost", "warning")]
        alerts = api.ok("alpha", "GET", "/registry/alerts", model="churn")["data"]
        assert sorted((a["check"], a["level"]) for a in alerts) == [("kpi:offer cost", "warning"),
                                                                    ("kpi:retention", "critical")]

        page = api.call("alpha", "GET", M + "/report", version="1")
        assert page.status_code == 200 and "<h2>Business KPIs</h2>" in page.text
        assert "offer cost (EUR) &mdash; target &lt;= 10" in page.text and "latest 13.5" in page.text
        summary = api.ok("alpha", "GET", M + "/report", version="1", format="json")
        assert [p["value"] for p in summary["kpis"][0]["points"]] == [0.91, 0.79]

        for body, message in [
            ({"version": "1", "values": [{"name": "nps", "value": 3}]}, "unknown KPI 'nps' for model 'churn'"),
            ({"values": [{"name": "retention", "value": 0.9}]}, "name the 'version'"),
            ({"version": "1", "values": []}, "values"),
            ({"version": "1", "values": [{"name": "retention", "value": 1}], "when": 3}, "when"),
        ]:
            bad = api.call("alpha", "POST", M + "/kpis", body)
            assert bad.status_code == 400 and message in bad.json()["error"]["message"], bad.text
        missing = api.call("alpha", "POST", M + "/kpis", {"version": "9", "values": [{"name": "retention",
                                                                                      "value": 1}]})
        assert missing.status_code == 404 and "'9'" in missing.json()["error"]["message"]
        assert api.call("beta", "POST", M + "/kpis", {"version": "1", "values": [
            {"name": "retention", "value": 1}]}).status_code == 404
