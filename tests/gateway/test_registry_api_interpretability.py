"""A version's interpretability record over HTTP (SQLite and PostgreSQL): recorded, read back, audited, shown in
the version's Markdown card; another team is refused and a bad record is a 400 naming the field."""

from __future__ import annotations

from pathlib import Path

from tests.gateway.test_registry_api_support import CARD, model_in, registry_api

M = "/registry/models/scorer"
RECORD = {"method": "shap", "author": "Vera", "recorded_on": "2030-01-02", "summary": "TreeSHAP on 5,000 rows",
          "artifact_uri": "s3://ml/scorer/1/shap.parquet", "artifact_sha256": "b" * 64,
          "importances": [{"feature": "tenure", "importance": 0.05}, {"feature": "income", "importance": 0.31}]}


def test_interpretability_record_over_http(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("scorer", kind="classical"))
        api.ok("alpha", "POST", M + "/versions", {"version": "1"})
        assert api.call("alpha", "GET", M + "/versions/1/interpretability").status_code == 404

        assert api.ok("alpha", "PUT", M + "/versions/1/interpretability", RECORD)["method"] == "shap"
        read = api.ok("alpha", "GET", M + "/versions/1/interpretability")["importances"]
        assert read == [{**i, "std": None} for i in RECORD["importances"]]
        assert api.ok("alpha", "GET", M + "/versions/1")["interpretability"]["artifact_sha256"] == "b" * 64

        api.ok("alpha", "PUT", M + "/card", CARD)
        page = api.call("alpha", "GET", M + "/versions/1/card", format="markdown").text
        # Ranked by importance whatever order the record lists them in.
        assert "| 1 | income | 0.31 |" in page and "| 2 | tenure | 0.05 |" in page
        assert "s3://ml/scorer/1/shap.parquet (sha256 `" + "b" * 64 + "`)" in page

        bad = api.call("alpha", "PUT", M + "/versions/1/interpretability", {**RECORD, "method": "magic"})
        assert bad.status_code == 400 and "method" in bad.json()["error"]["message"]
        twice = {**RECORD, "importances": [{"feature": "a", "importance": 1}, {"feature": "a", "importance": 2}]}
        dup = api.call("alpha", "PUT", M + "/versions/1/interpretability", twice)
        assert dup.status_code == 400 and "feature 'a' is listed more than once" in dup.json()["error"]["message"]
        assert api.call("beta", "PUT", M + "/versions/1/interpretability", RECORD).status_code == 404
        assert api.call("alpha", "GET", M + "/versions/9/interpretability").status_code == 404

        trail = api.ok("alpha", "GET", M + "/audit")
        entries = trail["data"] if isinstance(trail, dict) else trail
        [entry] = [e for e in entries if e["action"] == "version.interpretability"]
        assert entry["subject"] == "model:scorer@1" and entry["after"]["method"] == "shap"
