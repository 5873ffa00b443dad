"""Team isolation (team beta never reads or changes team alpha's model: 404 or 403, never its data) and the
OpenAI-style errors of the registry API (400 naming the field, 404, 409, 413). One gateway per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.test_registry_api_support import CHARTER, SUBMISSION, TIER3_CRITERIA, Api, model_in, registry_api
from tests.support.services import temporary_pg_database

A = "/registry/models/team-a/secret-bot"
SECRET = "answer support tickets"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Alpha owns `team-a/secret-bot` (a name with a slash) with version 1, a charter and an open review."""
    tmp = tmp_path_factory.mktemp("registry-iso")
    if request.param == "sqlite":
        with registry_api(f"sqlite:///{tmp / 'registry.db'}", tmp) as running:
            yield _seed(running)
    else:
        with temporary_pg_database() as url, registry_api(url, tmp) as running:
            yield _seed(running)

REPORT = {"validator": "v", "validated_on": "2025-01-01", "methodology": "m", "passed": True,
          "results": [{"split": "test", "name": "accuracy", "value": 0.9}]}


def _seed(api: Api) -> Api:
    api.ok("alpha", "POST", "/registry/models", model_in("team-a/secret-bot"))
    api.ok("alpha", "POST", A + "/classification", TIER3_CRITERIA)
    api.ok("alpha", "POST", A + "/versions", {"version": "1", "spec": {"framework": "sklearn"}})
    api.ok("alpha", "PUT", A + "/charter", CHARTER)
    return api


def _review_id(api: Api) -> int:
    reviews = api.ok("alpha", "GET", A + "/reviews")["data"]
    if reviews:
        return int(reviews[0]["id"])
    api.ok("alpha", "PUT", A + "/card", {"details": {"name": "b", "version": "1", "owners": ["a"], "model_type": "x"},
                                         "intended_use": {"primary_uses": ["x"], "users": ["y"]},
                                         "out_of_scope_use": ["z"], "limitations_and_risks": ["w"]})
    api.ok("alpha", "PUT", A + "/versions/1/validation-report",
           REPORT)
    return int(api.ok("alpha", "POST", A + "/reviews", SUBMISSION)["id"])


BETA_CASES = [
    ("GET", A, None),
    ("PATCH", A, {"description": "mine now"}),
    ("GET", A + "/versions", None),
    ("GET", A + "/versions/1", None),
    ("POST", A + "/versions", {"version": "2"}),
    ("POST", A + "/versions/1/promote", {"status": "staging"}),
    ("PUT", A + "/versions/1/validation-report",
     REPORT),
    ("GET", A + "/classification", None),
    ("POST", A + "/classification", TIER3_CRITERIA),
    ("PUT", A + "/charter", CHARTER),
    ("GET", A + "/card", None),
    ("GET", A + "/card/check", None),
    ("GET", A + "/datasets", None),
    ("POST", A + "/experiments", {"name": "exp"}),
    ("GET", A + "/reviews", None),
    ("POST", A + "/reviews", SUBMISSION),
    ("PUT", A + "/aliases/champion", {"version": "1"}),
    ("GET", A + "/rollout", None),
    ("POST", A + "/phase", {"phase": "data_preparation"}),
    ("GET", A + "/audit", None),
    ("GET", A + "/decommission", None),
    ("POST", A + "/decommission/cleanup", None),
    ("POST", A + "/predictions", [{"model_version": "1", "ts": "2025-01-01T00:00:00Z"}]),
    ("POST", A + "/ground-truth", [{"request_id": "r1", "actual": 1}]),
    ("PUT", A + "/versions/1/reference", {"features": {"x": [1.0, 2.0]}}),
    ("POST", A + "/monitoring/run", None),
    ("GET", A + "/monitoring", None),
    ("GET", A + "/report", None),
    ("GET", "/registry/alerts?model=team-a/secret-bot", None),
    ("GET", "/registry/audit", None),
    ("GET", "/registry/audit/verify", None),
    ("PUT", "/registry/reviewers/key_x", {"roles": ["chair"]}),
]


@pytest.mark.parametrize(("method", "path", "body"), BETA_CASES)
def test_team_beta_gets_no_access_and_no_data(api: Api, method: str, path: str, body: object) -> None:
    response = api.call("beta", method, path, body)
    assert response.status_code in (403, 404), response.text
    assert SECRET not in response.text and "Answer tier-1" not in response.text
    assert set(response.json()) == {"error"}
    assert api.ok("alpha", "GET", A)["description"] == ""  # nothing beta sent was applied


def test_lists_are_team_scoped(api: Api) -> None:
    assert api.ok("beta", "GET", "/registry/models") == {"data": []}
    assert api.ok("beta", "GET", "/registry/alerts") == {"data": []}
    assert api.ok("beta", "GET", "/registry/classification/overdue") == {"data": []}
    assert [m["name"] for m in api.ok("alpha", "GET", "/registry/models")["data"]] == ["team-a/secret-bot"]
    assert [m["name"] for m in api.ok("admin", "GET", "/registry/models", team="alpha")["data"]] == ["team-a/secret-bot"]
    assert api.ok("admin", "GET", "/registry/models", team="beta") == {"data": []}


def test_a_team_cannot_register_for_another_team(api: Api) -> None:
    response = api.call("beta", "POST", "/registry/models", model_in("beta/fake", team="alpha"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert api.call("admin", "GET", "/registry/models/beta/fake").status_code == 404


def test_a_reviewer_without_the_role_is_refused(api: Api) -> None:
    review_id = _review_id(api)
    response = api.call("beta", "POST", f"/registry/reviews/{review_id}/votes", {"role": "peer", "approve": True})
    assert response.status_code == 403 and SECRET not in response.text
    assert api.call("beta", "GET", f"/registry/reviews/{review_id}").status_code == 404


ERROR_CASES = [
    ("POST", "/registry/models", {**model_in("x"), "kind": "robot"}, 400, "kind"),
    ("POST", "/registry/models", {"name": "x"}, 400, "kind"),
    ("POST", "/registry/models", {**model_in("x"), "colour": "red"}, 400, "colour"),
    ("POST", "/registry/models", {**model_in("bad name!")}, 400, "name"),
    ("POST", A + "/classification", {**TIER3_CRITERIA, "automation": "total"}, 400, "automation"),
    ("POST", A + "/versions/1/promote", {"status": "gone"}, 400, "status"),
    ("PUT", A + "/charter", {**CHARTER, "kpis": []}, 400, "kpis"),
    ("POST", A + "/predictions", [{"model_version": "1", "ts": "yesterday"}], 400, "records.0.ts"),
    ("POST", A + "/predictions", {"records": [{"model_version": "1"}]}, 400, "records.0.ts"),
    ("POST", A + "/predictions", {"rows": []}, 400, "records"),
    ("POST", A + "/ground-truth", [{"request_id": "r"}], 400, "records.0.actual"),
    ("PUT", A + "/versions/1/reference", {"features": {"x": [1.0], "y": [1.0, 2.0]}}, 400, None),
    ("GET", "/registry/reviews/abc", None, 400, "path.review_id"),
    ("GET", "/registry/models?tier=9", None, 400, "query.tier"),
    ("GET", "/registry/models/nope", None, 404, None),
    ("GET", A + "/versions/9", None, 404, None),
    ("GET", "/registry/reviews/999999", None, 404, None),
    ("POST", "/registry/models", model_in("team-a/secret-bot"), 409, None),
    ("POST", A + "/versions", {"version": "1"}, 409, None),
    ("POST", A + "/versions/1/promote", {"status": "archived"}, 200, None),
    ("POST", A + "/versions/1/promote", {"status": "development"}, 409, None),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "param"), ERROR_CASES)
def test_errors_are_openai_shaped(api: Api, method: str, path: str, body: object, status: int,
                                  param: str | None) -> None:
    response = api.call("alpha", method, path, body)
    assert response.status_code == status, response.text
    if status == 200:
        return
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"} and error["message"]
    if status == 400:
        assert error["type"] == "invalid_request_error" and (param or "") in (error["param"] or "")
        assert param is None or repr(error["param"]) in error["message"]


def test_invalid_json_and_oversized_batches(api: Api) -> None:
    headers = {"authorization": f"Bearer {api.key('alpha')}", "content-type": "application/json"}
    broken = api.http.post(A + "/predictions", content=b"{not json", headers=headers)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    record = {"model_version": "1", "ts": "2025-01-01T00:00:00Z"}
    too_many = api.call("alpha", "POST", A + "/predictions", {"records": [record] * 10_001})
    assert too_many.status_code == 413 and "10001 records" in too_many.json()["error"]["message"]
    stored = api.ok("alpha", "POST", A + "/predictions", [record] * 3)
    assert stored == {"stored": 3, "sketched": 0, "versions_without_reference": ["1"], "data_quality": []}
