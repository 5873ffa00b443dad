"""`POST /registry/models/{name}/datasets/{dataset}/{version}/bias` over HTTP: the analysis of generated data with
known answers is stored on the dataset version and audited, refused to another team, and bad input is a 400 in the
API's error format. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.gateway.test_registry_api_support import Api, model_in, registry_api
from tests.registry.validation.bias_synth import check, training_set

M = "/registry/models/churn"
DATASET = {"name": "loans", "version": "2024.1", "uri": "s3://data/loans/2024.1"}
CSV = training_set().to_csv(index=False).encode()


def _post(api: Api, who: str, body: bytes, version: str = "2024.1", **params: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {api.key(who)}", "content-type": "text/csv"}
    return api.http.post(f"{M}/datasets/loans/{version}/bias", content=body,
                         params={"format": "csv", "sensitive": "group", **params}, headers=headers)


BAD = [
    ("unknown column", CSV, {"sensitive": "ethnicity"}, "column 'ethnicity' is not in 'request body'"),
    ("non-binary label", training_set().assign(label=3).to_csv(index=False).encode(), {"label": "label"},
     "must hold 0 or 1: found 3"),
    ("empty body", b"", {}, "'request body' is empty"),
    ("unknown format", CSV, {"format": "xlsx"}, "invalid value for 'format': 'xlsx'"),
    ("unknown option", CSV, {"labell": "y"}, "unknown query parameter 'labell'"),
    ("no sensitive column", CSV, {"sensitive": ""}, "name at least one 'sensitive' column"),
]


def test_dataset_bias_over_http(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "POST", M + "/datasets", DATASET)

        done = _post(api, "alpha", CSV, label="label", segment="region")
        assert done.status_code == 200, done.text
        assert done.json()["overall_label_rate"] == 0.4 and done.json()["rows"] == 1000
        check(done.json()["groups"])
        stored = api.ok("alpha", "GET", M + "/datasets")["data"]
        assert stored[0]["bias"] == done.json()
        trail = api.ok("admin", "GET", "/registry/audit", subject="model:churn/dataset:loans@2024.1")
        assert "model.dataset.bias" in [e["action"] for e in trail["data"]]

        other = _post(api, "beta", CSV)
        assert other.status_code in (403, 404) and other.json()["error"]["type"] in ("permission_error",
                                                                                      "invalid_request_error")
        missing = _post(api, "alpha", CSV, version="1999")
        assert missing.status_code == 404 and "no dataset 'loans' version '1999'" in missing.json()["error"]["message"]
        for label, body, params, message in BAD:
            response = _post(api, "alpha", body, **params)
            error = response.json()["error"]
            assert response.status_code == 400, (label, response.text)
            assert error["type"] == "invalid_request_error" and message in error["message"], (label, error)


def test_bias_waiver_over_http(database_url: str, tmp_path: Path) -> None:
    waiver = {"column": "group", "value": "B", "kind": "representation", "role": "chair", "reason": "known"}
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("churn", kind="classical"))
        api.ok("alpha", "POST", M + "/datasets", DATASET)
        path = M + "/datasets/loans/2024.1/bias/waivers"
        early = api.call("admin", "POST", path, waiver)
        assert early.status_code == 403 and "does not hold the board role 'chair'" in early.json()["error"]["message"]
        api.ok("admin", "PUT", f"/registry/reviewers/{api.actor('admin')['key_id']}", {"roles": ["chair"]})
        none = api.call("admin", "POST", path, waiver)
        assert none.status_code == 409 and "has no bias analysis to waive" in none.json()["error"]["message"]
        assert _post(api, "alpha", CSV, label="label").status_code == 200
        stored = api.ok("admin", "POST", path, waiver)
        assert stored["datasets"][0]["bias_waivers"][0]["kind"] == "representation"
        bad = api.call("admin", "POST", path, {**waiver, "kind": "size"})
        assert bad.status_code == 400 and "kind" in bad.json()["error"]["message"]
        trail = api.ok("admin", "GET", "/registry/audit", subject="model:churn/dataset:loans@2024.1")
        assert "model.dataset.bias_waiver" in [e["action"] for e in trail["data"]]
