"""A tier 3 LLM through its whole lifecycle over HTTP, gates refusing with their missing lists, and the audit trail
(recorded per key, verified, and caught when tampered with). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.gateway.test_registry_api_support import (
    CARD,
    CHARTER,
    DEPLOYMENT,
    LLM_SPEC,
    MONITORING_PLAN,
    SUBMISSION,
    TIER3_CRITERIA,
    VALIDATION,
    Api,
    model_in,
    registry_api,
)

M = "/registry/models/support-bot"


def _refused(api: Api, who: str, method: str, path: str, body: object = None) -> list[str]:
    response = api.call(who, method, path, body)
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "gate_refused", response.text
    assert all(item in error["message"] for item in error["missing"])
    return error["missing"]


def _document(api: Api) -> None:
    for path, body in (("/charter", CHARTER), ("/card", CARD), ("/monitoring-plan", MONITORING_PLAN),
                       ("/deployment", DEPLOYMENT), ("/versions/1/validation-report", VALIDATION)):
        api.ok("alpha", "PUT", M + path, body)
    api.ok("alpha", "POST", M + "/datasets", {"name": "tickets", "version": "2025.1", "uri": "s3://d/tickets"})
    api.ok("alpha", "POST", M + "/datasets", {"name": "typo", "version": "1", "uri": "s3://d/typo"})
    moved = api.call("alpha", "PUT", M + "/datasets/typo/1", {"name": "typo", "version": "2", "uri": "s3://d/typo"})
    assert moved.status_code == 400 and "'typo' '1'" in moved.json()["error"]["message"]
    amended = api.ok("alpha", "PUT", M + "/datasets/typo/1", {"name": "typo", "version": "1", "uri": "s3://d/t2"})
    assert [d["uri"] for d in amended["datasets"] if d["name"] == "typo"] == ["s3://d/t2"]
    retired = api.ok("alpha", "DELETE", M + "/datasets/typo/1")
    assert [d["retired"] for d in retired["datasets"]] == [False, True]
    assert api.call("alpha", "DELETE", M + "/datasets/typo/9").status_code == 404


def _approve(api: Api) -> int:
    assert _refused(api, "alpha", "POST", M + "/reviews", {"version": "1"}) == ["code review link"]
    review = api.ok("alpha", "POST", M + "/reviews", SUBMISSION)
    assert (review["stage"], review["tier"], review["decision"]) == ("technical_review", 3, None)
    board = api.actor("board")
    denied = api.call("board", "POST", f"/registry/reviews/{review['id']}/votes", {"role": "peer", "approve": True})
    assert denied.status_code == 403 and denied.json()["error"]["type"] == "permission_error"
    grant = api.ok("admin", "PUT", f"/registry/reviewers/{board['key_id']}", {"roles": ["peer"]})
    assert grant == {"key_id": board["key_id"], "actor": board["actor"], "roles": ["peer"]}
    voted = api.ok("board", "POST", f"/registry/reviews/{review['id']}/votes",
                   {"role": "peer", "approve": True, "comment": "answers graded"})
    assert (voted["stage"], voted["decision"]) == ("decided", "approved")
    assert [v["reviewer"] for v in voted["votes"]] == [board["actor"]]
    return int(review["id"])


def test_tier3_llm_lifecycle_over_http(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        alpha = api.actor("alpha")
        assert alpha["actor"].endswith("@alpha") and alpha["actor"].startswith(alpha["key_id"])
        created = api.call("alpha", "POST", "/registry/models", model_in("support-bot"))
        assert created.status_code == 201 and created.json()["created_by"] == alpha["actor"]
        assert api.ok("alpha", "POST", M + "/classification", TIER3_CRITERIA)["result"]["tier"] == 3
        version = api.call("alpha", "POST", M + "/versions", {"version": "1", "spec": LLM_SPEC})
        assert version.status_code == 201 and version.json()["status"] == "development"

        missing = _refused(api, "alpha", "POST", M + "/versions/1/promote", {"status": "production"})
        for item in ("AI project charter", "model card section 'details' (simplified)", "validation report",
                     "deployment record", "approval by peer review for version '1' at tier 3"):
            assert item in missing
        assert any(item.startswith("monitoring plan") for item in missing)

        _document(api)
        review_id = _approve(api)
        promoted = api.ok("alpha", "POST", M + "/versions/1/promote", {"status": "production"})
        assert promoted["status"] == "production"
        api.ok("alpha", "PUT", M + "/aliases/champion", {"version": "1"})
        assert api.ok("alpha", "GET", M + "/versions/champion")["version"] == "1"
        assert api.ok("alpha", "POST", M + "/phase", {"phase": "monitoring"})["phase"] == "monitoring"

        api.ok("alpha", "POST", M + "/versions", {"version": "2", "spec": LLM_SPEC})
        api.ok("alpha", "POST", M + "/versions/2/promote", {"status": "staging"})
        plan = {"strategy": "blue_green", "stable": "1", "candidate": "2", "alias": "live"}
        assert api.ok("alpha", "PUT", M + "/rollout", plan)["seed"] == "support-bot"
        switched = api.call("alpha", "POST", M + "/rollout/switch")
        assert switched.status_code == 409 and "'staging', not 'production'" in switched.json()["error"]["message"]
        assert api.ok("alpha", "GET", M + "/rollout")["stable"] == "1"
        assert api.call("alpha", "POST", M + "/rollback", {}).status_code == 400  # a rollback needs its reason
        alone = api.call("alpha", "POST", M + "/rollback", {"reason": "errors"})  # 2 is only staging: nowhere to go
        assert alone.status_code == 409 and "nothing to roll back: version '1'" in alone.json()["error"]["message"]

        card = api.ok("alpha", "GET", M + "/card")
        assert card["risk_classification"]["tier"] == 3
        assert api.ok("alpha", "GET", M + "/card/check") == {"requirement": "simplified", "missing": [], "ok": True}
        assert api.ok("alpha", "GET", f"/registry/reviews/{review_id}")["decision"] == "approved"

        entries = api.ok("alpha", "GET", M + "/audit")["data"]
        actions = [e["action"] for e in entries]
        for action in ("model.create", "model.classify", "version.create", "review.submit", "review.vote",
                       "version.promote", "alias.set", "rollout.set", "model.phase"):
            assert action in actions
        assert {e["actor"] for e in entries} == {alpha["actor"], api.actor("board")["actor"]}
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))

        _decommission(api)
        report = api.ok("admin", "GET", "/registry/audit/verify")
        assert report["ok"] is True and report["problems"] == [] and report["entries"] >= len(entries)


def _decommission(api: Api) -> None:
    start = {"criteria": ["replaced"], "justification": "replaced by support-bot-2",
             "effective_on": (date.today() + timedelta(days=31)).isoformat(), "stakeholders": ["support"]}
    state = api.ok("alpha", "POST", M + "/decommission/start", start)
    assert state["start"]["criteria"] == ["replaced"] and state["notified_at"]
    routed = api.ok("alpha", "POST", M + "/decommission/migration-check")
    assert routed["ok"] is False and routed["routing"][0] == "rollout plan: blue_green stable '1' (100% of traffic)"
    api.ok("alpha", "DELETE", M + "/rollout")
    check = api.ok("alpha", "POST", M + "/decommission/migration-check")
    assert check["requests_last_n_days"] == 0 and check["ok"] is True
    assert "deployment:support-bot-prod -> 1" in check["dependents"]
    missing = _refused(api, "alpha", "POST", M + "/decommission/cleanup")
    assert len(missing) == 2 and missing[0].startswith("the effective date") and missing[1] == "an archive record"
    assert api.ok("alpha", "GET", M + "/decommission")["state"]["migration"]["ok"] is True


def test_audit_verify_is_admin_only_and_catches_tampering(database_url: str, tmp_path: Path) -> None:
    with registry_api(database_url, tmp_path) as api:
        api.ok("alpha", "POST", "/registry/models", model_in("tampered"))
        api.ok("alpha", "POST", "/registry/models/tampered/classification", TIER3_CRITERIA)
        api.ok("alpha", "PUT", "/registry/models/tampered/charter", CHARTER)
        denied = api.call("alpha", "GET", "/registry/audit/verify")
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "admin_required"
        assert api.ok("admin", "GET", "/registry/audit/verify", chain="tampered")["ok"] is True
        with api.gw.engine.begin() as connection:
            connection.execute(text("UPDATE gov_audit_entries SET actor = :who WHERE chain = :chain AND seq = 2"),
                               {"who": "mallory", "chain": "tampered"})
        report = api.ok("admin", "GET", "/registry/audit/verify")
        assert report["ok"] is False
        assert (report["first_bad"]["chain"], report["first_bad"]["seq"]) == ("tampered", 2)
        assert "edited" in report["first_bad"]["reason"]
