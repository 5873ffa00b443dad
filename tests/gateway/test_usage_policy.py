"""The usage policy end to end: the openai SDK over HTTP against a running gateway in front of two fake upstreams
(a public API and a private deployment of the same model group), on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlmodel import Session, select

from registry.governance.tables import GovAuditEntry
from registry.tables import ApiKey
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream, running_upstream
from tests.support.gateway_server import RunningGateway, running_gateway
from tests.support.services import temporary_pg_database
from tests.support.word_guardrail import BannedWord

assert BannedWord  # registered on import: the conditional use case requires it

EMAIL_TEXT = "Please write to jane.doe@example.com about her contract."
POLICY = {
    "deployments": {"chat-public": "public", "chat-private": "personal", "open-public": "public"},
    "markers": [{"name": "internal-label", "pattern": "(?i)\\binternal only\\b", "data_class": "internal"}],
    "unknown_use_case": "refuse",
    "attribution": {"notice": True},
}


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[FakeUpstream, FakeUpstream]]:
    with running_upstream() as public, running_upstream() as private:
        yield public, private


@pytest.fixture(scope="module")
def gw(upstreams: tuple[FakeUpstream, FakeUpstream], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    public, private = upstreams
    config = {
        "model_list": [deployment("chat", public, model_info={"id": "chat-public"}),
                       deployment("chat", private, model_info={"id": "chat-private"}),
                       deployment("open", public, model_info={"id": "open-public"})],
        "router_settings": {"num_retries": 0, "timeout": 5},
        "guardrail_policies": {"checked": {"input": [{"guardrail": "test_banned_word", "mode": "block"},
                                                      {"guardrail": "pii", "mode": "flag"}]},
                               "plain": {"input": [{"guardrail": "pii", "mode": "flag"}]}},
        "usage_policy": POLICY,
    }
    teams = {"alpha": {"guardrail_policy": "checked"}, "beta": {"guardrail_policy": "plain"},
             "hr": {"guardrail_policy": "checked"}}
    with temporary_pg_database() as url, running_gateway(config, url, teams, tmp_path_factory.mktemp("gw")) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    for up in upstreams:
        up.reset()


def admin(gw: RunningGateway) -> httpx.Client:
    return httpx.Client(base_url=gw.base_url, timeout=30, headers={"authorization": f"Bearer {gw.admin_key}"})


def create_use_case(gw: RunningGateway, **body: Any) -> None:
    with admin(gw) as http:
        response = http.post("/registry/use-cases", json=body)
    assert response.status_code == 201, response.text


def key_id(gw: RunningGateway, team: str) -> str:
    with Session(gw.engine) as session:
        return session.exec(select(ApiKey.id).where(ApiKey.team == team)).one()


def audit_actions(gw: RunningGateway) -> list[tuple[str, str]]:
    with Session(gw.engine) as session:
        entries = session.exec(select(GovAuditEntry).where(GovAuditEntry.chain == "usage-policy")
                               .order_by(GovAuditEntry.seq))  # type: ignore[arg-type]
        return [(e.action, e.subject) for e in entries]


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_personal_data_is_rerouted_from_the_public_deployment_to_the_private_one(
        gw: RunningGateway, upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    public, private = upstreams
    for _ in range(4):  # the group balances across both deployments: every one must go private
        raw = gw.client("beta").chat.completions.with_raw_response.create(
            model="chat", messages=[{"role": "user", "content": EMAIL_TEXT}])
        assert raw.headers["x-warden-deployment"] == "chat-private"
        assert raw.headers["x-warden-data-class"] == "personal"
    assert len(private.requests_to("/chat/completions")) == 4
    assert public.requests_to("/chat/completions") == []
    row = gw.row(raw.headers["x-request-id"])
    assert row.policy == {"data_class": "personal", "action": "reroute", "sources": {"pii": "personal"}}
    # Audit entries are written behind the responses: wait for this request's, not for the first one to land.
    entry = ("policy.reroute", raw.headers["x-request-id"])
    assert wait_for(lambda: entry in audit_actions(gw))


def test_plain_requests_still_use_the_public_deployment(gw: RunningGateway,
                                                        upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    public, _ = upstreams
    # The group balances at random: up to 40 requests (each goes public half the time), so a run of private
    # picks is no failure, and one public pick proves public data may go there.
    for _ in range(40):
        gw.client("beta").chat.completions.create(model="chat", messages=[{"role": "user", "content": "hello"}])
        if public.requests_to("/chat/completions"):
            break
    assert public.requests_to("/chat/completions"), "public data may go to the public deployment"


def test_personal_data_is_refused_where_only_a_public_deployment_serves(
        gw: RunningGateway, upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    public, _ = upstreams
    with pytest.raises(openai.PermissionDeniedError) as caught:
        gw.client("beta").chat.completions.create(model="open", messages=[{"role": "user", "content": EMAIL_TEXT}])
    error = caught.value.body
    assert caught.value.status_code == 403 and error["code"] == "data_class_not_allowed"  # type: ignore[index]
    assert "'personal'" in error["message"] and "'open-public'" in error["message"]  # type: ignore[index]
    assert public.requests == []


@pytest.mark.parametrize(("how", "expected"), [
    ({"extra_headers": {"x-warden-data-class": "confidential"}}, "confidential"),
    ({"metadata": {"data_class": "internal"}}, "internal"),
    ({"messages": [{"role": "user", "content": "Q3 numbers, INTERNAL ONLY"}]}, "internal"),
])
def test_declared_and_detected_classes_are_refused_by_a_public_deployment(
        gw: RunningGateway, how: dict[str, Any], expected: str) -> None:
    request = {"model": "open", "messages": [{"role": "user", "content": "hello"}], **how}
    with pytest.raises(openai.PermissionDeniedError, match=f"data class '{expected}'"):
        gw.client("beta").chat.completions.create(**request)
    served = gw.client("beta").chat.completions.with_raw_response.create(**{**request, "model": "chat"})
    assert served.headers["x-warden-deployment"] == "chat-private"


def test_an_unknown_declared_class_is_a_400(gw: RunningGateway) -> None:
    with pytest.raises(openai.BadRequestError, match="unknown data class 'secret'"):
        gw.client("beta").chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}],
                                                  metadata={"data_class": "secret"})


def test_forbidden_and_unknown_use_cases_are_refused_in_every_api_family(
        gw: RunningGateway, upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    create_use_case(gw, name="credit-scoring", owner="risk", status="forbidden")
    client = gw.client("beta")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "score this"}],
                                       metadata={"use_case": "credit-scoring"})
    assert caught.value.body == {"message": "use case 'credit-scoring' is forbidden", "type": "permission_error",  # type: ignore[comparison-overlap]
                                 "param": "metadata.use_case", "code": "use_case_forbidden"}
    with pytest.raises(openai.PermissionDeniedError, match="forbidden"):
        client.responses.create(model="chat", input="score this", metadata={"use_case": "credit-scoring"})
    with pytest.raises(openai.PermissionDeniedError, match="not in the registry"):
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}],
                                       metadata={"use_case": "never-registered"})
    assert all(up.requests == [] for up in upstreams)


def test_a_conditional_use_case_runs_only_with_its_guardrails_on(gw: RunningGateway) -> None:
    create_use_case(gw, name="support-drafts", owner="support", status="conditional",
                    conditions={"required_guardrails": ["test_banned_word"], "allowed_models": ["chat"]})
    request = {"model": "chat", "messages": [{"role": "user", "content": "draft a reply"}],
               "metadata": {"use_case": "support-drafts"}}
    with pytest.raises(openai.PermissionDeniedError, match="test_banned_word"):
        gw.client("beta").chat.completions.create(**request)  # team beta's policy does not run it
    answer = gw.client("alpha").chat.completions.create(**request)  # team alpha's does
    assert answer.choices[0].message.content.startswith("draft a reply")  # type: ignore[union-attr]
    with pytest.raises(openai.PermissionDeniedError, match="may not use model 'open'"):
        gw.client("alpha").chat.completions.create(**{**request, "model": "open"})


def test_a_review_is_queued_approved_and_audited(gw: RunningGateway) -> None:
    create_use_case(gw, name="hr-letters", owner="hr", status="approved", conditions={"human_review": True},
                    keys=[key_id(gw, "hr")])
    raw = gw.client("hr").chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "A letter for Jane Doe, jane.doe@example.com"}])
    answer = raw.parse()
    assert raw.headers["x-warden-review"] == "required"
    review_id = raw.headers["x-warden-review-id"]
    assert answer.metadata == {"review": "required", "review_id": review_id, "ai_generated": "true"}
    with admin(gw) as http:
        queued = wait_for(lambda: http.get(f"/registry/answer-reviews/{review_id}").status_code == 200)
        assert queued
        item = http.get(f"/registry/answer-reviews/{review_id}").json()
        assert item["status"] == "pending" and item["use_case"] == "hr-letters"
        assert "jane.doe@example.com" not in str(item["exchange"])  # the queue keeps the masked exchange only
        metrics = http.get("/metrics").text
        assert "warden_review_backlog 1.0" in metrics
        decided = http.post(f"/registry/answer-reviews/{review_id}/approve", json={"note": "fine"})
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "approved" and decided.json()["delay_s"] >= 0
        assert decided.json()["reviewer"].startswith(gw_admin_id(gw))
        again = http.post(f"/registry/answer-reviews/{review_id}/reject")
        assert again.status_code == 409
        assert "warden_review_backlog 0.0" in http.get("/metrics").text
    actions = audit_actions(gw)
    assert ("review.queued", review_id) in actions and ("review.approve", review_id) in actions
    assert gw.row(raw.headers["x-request-id"]).policy["use_case"] == "hr-letters"  # type: ignore[index]
    streamed = gw.client("hr").chat.completions.with_raw_response.create(
        model="chat", stream=True, messages=[{"role": "user", "content": "Here is the letter for the team"}])
    assert streamed.headers["x-warden-review"] == "required"
    text = "".join(c.choices[0].delta.content or "" for c in streamed.parse() if c.choices)
    with admin(gw) as http:
        stream_id = streamed.headers["x-warden-review-id"]
        wait_for(lambda: http.get(f"/registry/answer-reviews/{stream_id}").status_code == 200)
        assert http.get(f"/registry/answer-reviews/{stream_id}").json()["exchange"]["answer"] == [text]


def gw_admin_id(gw: RunningGateway) -> str:
    with Session(gw.engine) as session:
        return session.exec(select(ApiKey.id).where(ApiKey.role == "admin")).one()


def test_a_stream_carries_the_attribution_notice_in_the_answers_language(gw: RunningGateway) -> None:
    stream = gw.client("beta").chat.completions.create(
        model="chat", stream=True, messages=[{"role": "user", "content": "Voici la réponse pour vous et votre équipe"}])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text.endswith("(Cette réponse a été générée par un système d'IA.)")
    raw = gw.client("beta").chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "Here is the answer for you and the team"}])
    assert raw.headers["x-warden-ai-generated"] == "true"
    assert raw.parse().choices[0].message.content.endswith("(This answer was generated by an AI system.)")  # type: ignore[union-attr]


def test_use_case_changes_are_audited_and_applied_at_once(gw: RunningGateway) -> None:
    create_use_case(gw, name="summaries", owner="ops", status="approved")
    request = {"model": "chat", "messages": [{"role": "user", "content": "sum up"}], "metadata": {"use_case": "summaries"}}
    gw.client("beta").chat.completions.create(**request)
    with admin(gw) as http:
        changed = http.post("/registry/use-cases/summaries/status", json={"status": "forbidden", "reason": "retired"})
        assert changed.status_code == 200
        assert http.post("/registry/use-cases", json={"name": "summaries", "owner": "x", "status": "approved"}
                         ).status_code == 409
        assert http.post("/registry/use-cases", json={"name": "Bad Name!", "owner": "x", "status": "approved"}
                         ).status_code == 400
    with pytest.raises(openai.PermissionDeniedError):
        gw.client("beta").chat.completions.create(**request)
    assert ("use_case.status", "summaries") in audit_actions(gw)
    with gw.http() as http:  # team keys neither read nor change the policy's registry
        team = {"authorization": f"Bearer {gw.keys['beta']}"}
        assert http.get("/registry/use-cases", headers=team).status_code == 403
        assert http.post("/registry/use-cases/summaries/status", headers=team, json={"status": "approved"}
                         ).status_code == 403
        assert http.get("/registry/answer-reviews", headers=team).status_code == 403


def test_every_api_family_goes_through_the_policy(gw: RunningGateway, upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    public, _ = upstreams
    with pytest.raises(openai.PermissionDeniedError, match="data class 'personal'"):
        gw.client("beta").completions.create(model="open", prompt=EMAIL_TEXT)
    with gw.http() as http:
        refused = http.post("/v1/messages", headers={"x-api-key": gw.keys["beta"], "x-warden-data-class": "personal"},
                            json={"model": "open", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]})
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_error" and "'open-public'" in refused.json()["error"]["message"]
    assert public.requests == []


@pytest.fixture(scope="module")
def masking_gw(upstreams: tuple[FakeUpstream, FakeUpstream],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    public, private = upstreams
    config = {
        "model_list": [deployment("open", public, model_info={"id": "open-public"}),
                       deployment("vault", private, model_info={"id": "vault-private"})],
        "router_settings": {"num_retries": 0, "timeout": 5, "fallbacks": [{"vault": ["open"]}]},
        "guardrail_policies": {"plain": {"input": [{"guardrail": "pii", "mode": "flag"}]}},
        "usage_policy": {"deployments": {"open-public": "internal", "vault-private": "personal"},
                         "on_disallowed": "mask"},
    }
    with temporary_pg_database() as url, running_gateway(config, url, {"beta": {"guardrail_policy": "plain"}},
                                                         tmp_path_factory.mktemp("masking")) as running:
        yield running


def test_personal_data_is_masked_when_no_deployment_may_take_it_and_the_policy_masks(
        masking_gw: RunningGateway, upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    public, _ = upstreams
    raw = masking_gw.client("beta").chat.completions.with_raw_response.create(
        model="open", messages=[{"role": "user", "content": EMAIL_TEXT}])
    [received] = public.requests_to("/chat/completions")
    sent = received.json["messages"][0]["content"]
    assert "jane.doe@example.com" not in sent and "<EMAIL_ADDRESS>" in sent
    assert raw.headers["x-warden-data-class"] == "public"
    row = masking_gw.row(raw.headers["x-request-id"])
    assert row.policy["action"] == "mask" and row.policy["flags"] == ["personal_data_masked"]  # type: ignore[index]
    with pytest.raises(openai.PermissionDeniedError, match="data class 'confidential'"):
        masking_gw.client("beta").chat.completions.create(  # only personal data can be masked away
            model="open", messages=[{"role": "user", "content": "hi"}], metadata={"data_class": "confidential"})


def test_a_fallback_never_takes_a_class_its_deployments_may_not(
        masking_gw: RunningGateway, upstreams: tuple[FakeUpstream, FakeUpstream]) -> None:
    public, private = upstreams
    with pytest.raises(openai.APIStatusError) as caught:  # the private deployment fails; `open` may not take it
        masking_gw.client("beta").chat.completions.create(
            model="vault", messages=[{"role": "user", "content": f"[[fake:status=500]] {EMAIL_TEXT}"}])
    assert caught.value.status_code >= 500
    assert len(private.requests_to("/chat/completions")) == 1 and public.requests == []
    private.enqueue(status=500)  # public data still falls back
    masking_gw.client("beta").chat.completions.create(model="vault", messages=[{"role": "user", "content": "hello"}])
    assert len(public.requests_to("/chat/completions")) == 1
