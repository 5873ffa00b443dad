"""`POST /registry/models/{name}/versions/{version}/validate` over HTTP: the computed report is stored and audited,
feeds the gate, is refused to another team, and bad input is a 400 in the API's error format. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from tests.gateway.test_registry_api_support import Api, model_in, registry_api
from tests.registry.validation.validation_synth import evaluation_set

M = "/registry/models/churn"
SPEC = {"validation": {"thresholds": {"accuracy": 0.75}, "sensitive_columns": ["group"]}}


def _post(api: Api, who: str, body: bytes, **params: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {api.key(who)}", "content-type": "text/csv"}
    return api.http.post(M + "/versions/1/validate", content=body, params={"format": "csv", **params},
                         headers=headers)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


BAD = [
    ("missing label", _csv(evaluation_set().drop(columns=["label"])), {}, "label column 'label' is not in"),
    ("unknown sensitive", _csv(evaluation_set()), {"sensitive": "ethnicity"}, "['ethnicity'] not in"),
    ("empty body", b"", {}, "'request body' is empty"),
    ("non-numeric predictions", _csv(evaluation_set().assign(prediction="yes")), {}, "found 'yes'"),
    ("unknown format", b"a\n1\n", {"format": "xlsx"}, "invalid value for 'format': 'xlsx'"),
    ("unknown option", b"a\n1\n", {"labell": "y"}, "unknown query parameter 'labell'"),
    ("option out of range", b"a\n1\n", {"bootstrap": "-1"}, "invalid value for 'bootstrap'"),
    ("unsafe filter", _csv(evaluation_set()), {"filter": "__import__('os')"}, "invalid filter clause"),
]


def test_validate_over_http(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "POST", M + "/versions", {"version": "1", "spec": SPEC})

        unfair = _post(api, "alpha", _csv(evaluation_set(unfair=True)), bootstrap="20")
        assert unfair.status_code == 200, unfair.text
        assert not unfair.json()["passed"] and not unfair.json()["fairness"][0]["passed"]
        refused = api.call("alpha", "POST", M + "/versions/1/promote", {"status": "production"})
        assert "a passing validation report (the recorded one failed)" in refused.json()["error"]["missing"]

        fair = _post(api, "alpha", _csv(evaluation_set()), bootstrap="20", segment="region")
        assert fair.status_code == 200 and fair.json()["passed"], fair.text
        stored = api.ok("alpha", "GET", M + "/versions/1")["validation_report"]
        assert stored["generated_by"] and stored["data_sha256"] == fair.json()["data_sha256"]
        assert {s["source"] for s in stored["segments"]} >= {"declared", "categorical", "numeric_bin"}

        other = _post(api, "beta", _csv(evaluation_set()))
        assert other.status_code in (403, 404) and other.json()["error"]["type"] in ("permission_error",
                                                                                      "invalid_request_error")
        for label, body, params, message in BAD:
            response = _post(api, "alpha", body, **params)
            error = response.json()["error"]
            assert response.status_code == 400, (label, response.text)
            assert error["type"] == "invalid_request_error" and message in error["message"], (label, error)
