"""The console over plain HTTP: sign-in, the session cookie, CSRF on every form, and what each role may see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.console.console_support import ALPHA_MODEL, BETA_MODEL, Seeded, csrf_of, seeded_gateway, signed_in
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import running_gateway

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def seeded(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Seeded]:
    with seeded_gateway(upstream, tmp_path) as s:
        yield s


def test_pages_need_a_session_and_the_cookie_never_carries_the_key(seeded: Seeded) -> None:
    gw = seeded.gw
    with gw.http() as anonymous:
        for path in ("/console/costs", "/console/models", "/console/keys", "/console/alerts", "/console/traffic"):
            response = anonymous.get(path)
            assert (response.status_code, response.headers["location"]) == (303, "/console/login"), path
        forged = anonymous.get("/console/costs", cookies={"warden_console": "master.9999999999.00.deadbeef"})
        assert forged.status_code == 303
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        cookie = alpha.cookies["warden_console"]
        assert gw.keys["alpha"] not in cookie and cookie.split(".")[0] != ""
        header = next(v for k, v in alpha.get("/console/login").headers.multi_items() if k == "set-cookie")
        assert "httponly" in header.lower() and "samesite=strict" in header.lower()


def test_a_wrong_key_or_missing_csrf_is_refused_with_a_page(seeded: Seeded) -> None:
    gw = seeded.gw
    with gw.http() as client:
        token = csrf_of(client.get("/console/login").text)
        wrong = client.post("/console/login", data={"key": "sk-not-a-key", "csrf": token})
        assert wrong.status_code == 401 and "invalid API key" in wrong.text
        no_csrf = client.post("/console/login", data={"key": gw.keys["alpha"]})
        assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    with signed_in(gw.base_url, gw.keys["board"]) as board:
        vote = {"role": "peer", "approve": "yes"}
        refused = board.post(f"/console/reviews/{seeded.review_id}/vote", data={**vote, "csrf": "0" * 64})
        assert refused.status_code == 403 and "CSRF" in refused.text
        as_json = board.post(f"/console/reviews/{seeded.review_id}/vote", json={**vote, "csrf": "x"})
        assert as_json.status_code == 400 and "x-www-form-urlencoded" in as_json.text
        bad_window = board.get("/console/costs?since=forever")
        assert bad_window.status_code == 400 and "&#39;forever&#39;" in bad_window.text


def test_a_team_key_sees_its_own_team_only(seeded: Seeded) -> None:
    gw = seeded.gw
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        costs = alpha.get("/console/costs").text
        assert "chat-a" in costs and "chat-b" not in costs and "beta" not in costs
        assert 'id="daily-model"' in costs and 'id="daily-team"' not in costs
        models = alpha.get("/console/models").text
        assert ALPHA_MODEL in models and BETA_MODEL not in models
        other = alpha.get(f"/console/model?name={BETA_MODEL}")
        assert other.status_code in (403, 404) and BETA_MODEL in other.text
        assert alpha.get("/console/keys").status_code == 403
    with signed_in(gw.base_url, gw.admin_key) as admin:
        everything = admin.get("/console/costs").text
        assert "chat-a" in everything and "chat-b" in everything and 'id="daily-team"' in everything
        keys = admin.get("/console/keys").text
        assert all(team in keys for team in ("alpha", "beta", "board"))


def test_a_board_member_votes_from_the_queue_as_itself(seeded: Seeded) -> None:
    gw = seeded.gw
    with signed_in(gw.base_url, gw.keys["board"]) as board:
        queue = board.get("/console/models").text
        assert f'id="vote-{seeded.review_id}"' in queue and ALPHA_MODEL in queue
        assert board.get(f"/console/model?name={ALPHA_MODEL}").status_code in (403, 404)  # as GET /registry/...
        voted = board.post(f"/console/reviews/{seeded.review_id}/vote",
                           data={"role": "peer", "approve": "yes", "comment": "looks fine", "csrf": csrf_of(queue)})
        assert (voted.status_code, voted.headers["location"]) == (303, "/console/models")
        assert f'id="vote-{seeded.review_id}"' not in board.get("/console/models").text
    with gw.http() as http:
        review = http.get(f"/registry/reviews/{seeded.review_id}",
                          headers={"authorization": f"Bearer {gw.admin_key}"}).json()
    assert (review["stage"], review["decision"]) == ("decided", "approved")
    assert [v["reviewer"] for v in review["votes"]] == [f"{seeded.board_key_id}@board"]
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        page = alpha.get(f"/console/model?name={ALPHA_MODEL}").text
        assert "looks fine" in page and "approved" in page and 'class="vote-form"' not in page
        refused = alpha.post(f"/console/reviews/{seeded.review_id}/vote",
                             data={"role": "peer", "approve": "yes", "csrf": csrf_of(page)})
        assert refused.status_code in (403, 409), refused.text


def test_moving_an_alias_is_audited_as_the_key(seeded: Seeded) -> None:
    gw = seeded.gw
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        page = alpha.get(f"/console/model?name={ALPHA_MODEL}").text
        moved = alpha.post("/console/model/alias",
                           data={"name": ALPHA_MODEL, "alias": "canary", "version": "2", "csrf": csrf_of(page)})
        assert moved.status_code == 303
        bad = alpha.post("/console/model/alias",
                         data={"name": ALPHA_MODEL, "alias": "bad alias!", "version": "2", "csrf": csrf_of(page)})
        assert bad.status_code == 409 and "bad alias!" in bad.text
        after = alpha.get(moved.headers["location"]).text
    assert "canary" in after
    with gw.http() as http:
        trail = http.get(f"/registry/models/{ALPHA_MODEL}/audit",
                         headers={"authorization": f"Bearer {gw.keys['alpha']}"}).json()["data"]
    alias_entries = [e for e in trail if "alias" in e["action"]]
    assert alias_entries and alias_entries[-1]["actor"].endswith("@alpha")


def test_alerts_and_drift_follow_the_team(seeded: Seeded) -> None:
    gw = seeded.gw
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        alerts = alpha.get("/console/alerts").text
        assert "PSI of ticket_length" in alerts and "beta accuracy" not in alerts
        model = alpha.get(f"/console/model?name={ALPHA_MODEL}").text
        assert "<svg" in model and "ticket_length" in model
        assert 'id="verification"' not in model  # verifying the chains is for admin keys, as /registry/audit/verify
    with signed_in(gw.base_url, gw.admin_key) as admin:
        assert "beta accuracy" in admin.get("/console/alerts").text
        assert "Chain verified" in admin.get(f"/console/model?name={ALPHA_MODEL}").text


def test_guardrail_verdicts_and_the_masked_exchange_follow_the_team(seeded: Seeded) -> None:
    gw = seeded.gw
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        page = alpha.get("/console/guardrails").text
        assert "injection" in page and "topics" not in page and "req-beta-blocked" not in page
        assert "1 of 3 requests carried verdicts" in page
        assert 'href="/console/exchange?request_id=req-alpha-blocked"' in page
        exchange = alpha.get("/console/exchange?request_id=req-alpha-blocked")
        assert exchange.status_code == 200 and "&lt;EMAIL_ADDRESS&gt; (alpha)" in exchange.text
        other = alpha.get("/console/exchange?request_id=req-beta-blocked")
        assert other.status_code == 404 and "(beta)" not in other.text
    with signed_in(gw.base_url, gw.admin_key) as admin:
        page = admin.get("/console/guardrails").text
        assert "topics" in page and "req-beta-blocked" in page


def test_prompts_show_their_labels_history_and_evals_to_their_team(tmp_path: Path) -> None:
    from registry.eval_runs import EvalRun
    from sqlmodel import Session

    config = {"model_list": [], "prompts": {"path": str(REPO / "prompts"), "poll_interval_s": 0}}
    with running_gateway(config, f"sqlite:///{tmp_path / 'p.db'}", {"support": {}, "platform": {}}, tmp_path) as gw:
        with Session(gw.engine) as session:
            for prompt, passed in (("support-answer", True), ("summarise-thread", False)):
                session.add(EvalRun(id=f"run-{prompt}", suite=f"{prompt}-suite", suite_path="x.eval.yaml",
                                    prompt=prompt, mode="replay", passed=passed, cases=4, failed=0 if passed else 2,
                                    metrics={"accuracy": 0.75}))
            session.commit()
        with signed_in(gw.base_url, gw.keys["support"]) as support:
            listing = support.get("/console/prompts").text
            assert "support-answer" in listing and "production=" in listing and "summarise-thread" not in listing
            assert "support-answer-suite" in listing and "accuracy=0.75" in listing
            one = support.get("/console/prompts?name=support-answer").text
            assert 'id="history"' in one and "no history available" not in one
            assert support.get("/console/prompts?name=summarise-thread").status_code == 404


def test_acknowledging_an_alert_is_audited_as_the_key(seeded: Seeded) -> None:
    gw = seeded.gw
    with gw.http() as http:
        alerts = http.get("/registry/alerts", headers={"authorization": f"Bearer {gw.admin_key}"}).json()["data"]
        ids = {a["model"]: a["id"] for a in alerts}
        beta_key = {"authorization": f"Bearer {gw.keys['beta']}"}
        assert http.post(f"/registry/alerts/{ids[ALPHA_MODEL]}/acknowledge", headers=beta_key).status_code == 404
        alpha_key = {"authorization": f"Bearer {gw.keys['alpha']}"}
        for path, body, status in (("/registry/alerts/abc/acknowledge", b"", 400),
                                   ("/registry/alerts/99999999999999999999/acknowledge", b"", 400),
                                   (f"/registry/alerts/{ids[ALPHA_MODEL]}/acknowledge", b"{not json", 400),
                                   (f"/registry/alerts/{ids[ALPHA_MODEL]}/acknowledge", b'{"nope": 1}', 400),
                                   ("/registry/alerts/424242/acknowledge", b"", 404)):
            refused = http.post(path, content=body, headers=alpha_key)
            assert refused.status_code == status and refused.json()["error"]["message"], (path, refused.text)
        assert http.post(f"/registry/alerts/{ids[ALPHA_MODEL]}/acknowledge").status_code == 401
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        page = alpha.get("/console/alerts").text
        other = alpha.post(f"/console/alerts/{ids[BETA_MODEL]}/acknowledge", data={"csrf": csrf_of(page)})
        assert other.status_code == 404 and "beta accuracy" not in other.text
        done = alpha.post(f"/console/alerts/{ids[ALPHA_MODEL]}/acknowledge",
                          data={"note": "retraining scheduled", "csrf": csrf_of(page)})
        assert done.status_code == 303
        assert "retraining scheduled" in alpha.get("/console/alerts").text
        again = alpha.post(f"/console/alerts/{ids[ALPHA_MODEL]}/acknowledge", data={"csrf": csrf_of(page)})
        assert again.status_code == 409 and "already acknowledged" in again.text
    with gw.http() as http:
        trail = http.get(f"/registry/models/{ALPHA_MODEL}/audit",
                         headers={"authorization": f"Bearer {gw.keys['alpha']}"}).json()["data"]
        verified = http.get("/registry/audit/verify", headers={"authorization": f"Bearer {gw.admin_key}"}).json()
    ack = [e for e in trail if e["action"] == "alert.acknowledge"]
    assert len(ack) == 1 and ack[0]["actor"].endswith("@alpha") and ack[0]["after"]["note"] == "retraining scheduled"
    assert verified["ok"] is True


def test_a_revoked_key_loses_its_session_at_once(seeded: Seeded) -> None:
    gw = seeded.gw
    with signed_in(gw.base_url, gw.keys["beta"]) as beta:
        assert beta.get("/console/costs").status_code == 200
        with gw.http() as http:
            admin = {"authorization": f"Bearer {gw.admin_key}"}
            key_id = next(k["id"] for k in http.get("/admin/keys", params={"team": "beta"}, headers=admin).json()["data"])
            assert http.delete(f"/admin/keys/{key_id}", headers=admin).status_code == 200
        after = beta.get("/console/costs")
        assert (after.status_code, after.headers["location"]) == (303, "/console/login")


def test_answer_reviews_are_decided_from_the_console_by_an_admin_and_audited(seeded: Seeded) -> None:
    from registry import review_queue
    from registry.review_queue import ReviewItem

    gw = seeded.gw
    item = ReviewItem(request_id="req-review-1", team="alpha", key_id=None, use_case="support-drafts",
                      model="chat-a", exchange={"request": {"messages": [{"role": "user", "content": "<PERSON> asks"}]}})
    review_queue.enqueue(gw.engine, item)
    with signed_in(gw.base_url, gw.keys["alpha"]) as alpha:
        refused = alpha.get("/console/reviews")
        assert refused.status_code == 403 and "admin key" in refused.text and "req-review-1" not in refused.text
        assert "/console/reviews" not in alpha.get("/console/costs").text  # not in a team key's navigation
    with signed_in(gw.base_url, gw.admin_key) as admin:
        page = admin.get("/console/reviews").text
        assert "req-review-1" in page and "PERSON\\u003e asks" in page and "support-drafts" in page
        assert "<PERSON>" not in page  # the masked exchange is shown escaped
        forged = admin.post(f"/console/reviews/{item.id}/approve", data={"csrf": "0" * 32})
        assert forged.status_code == 403
        done = admin.post(f"/console/reviews/{item.id}/approve", data={"note": "fine to send", "csrf": csrf_of(page)})
        assert done.status_code == 303
        assert "fine to send" in admin.get("/console/reviews?status=approved").text
        again = admin.post(f"/console/reviews/{item.id}/reject", data={"csrf": csrf_of(page)})
        assert again.status_code == 409 and "already approved" in again.text
        missing = admin.post(f"/console/reviews/{'f' * 32}/reject", data={"csrf": csrf_of(page)})
        assert missing.status_code == 404
    with gw.http() as http:
        admin_header = {"authorization": f"Bearer {gw.admin_key}"}
        shown = http.get(f"/registry/answer-reviews/{item.id}", headers=admin_header).json()
        verified = http.get("/registry/audit/verify", headers=admin_header).json()
    assert (shown["status"], shown["note"]) == ("approved", "fine to send") and shown["reviewer"]
    assert verified["ok"] is True
