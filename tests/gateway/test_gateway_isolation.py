"""A team key never sees, uses or reports on another team's models or costs; admin routes need admin keys."""

from __future__ import annotations

import openai
import pytest

from tests.support.gateway_server import RunningGateway

USER = [{"role": "user", "content": "hi"}]


def _spend(gw: RunningGateway) -> None:
    gw.client("alpha").chat.completions.create(model="chat-a", messages=USER)
    gw.client("alpha").chat.completions.create(model="chat-b", messages=USER)
    gw.client("beta").chat.completions.create(model="chat-b", messages=USER)
    gw.flush()


@pytest.mark.parametrize(("method", "path"), [("GET", "/admin/costs"), ("GET", "/admin/keys"), ("GET", "/admin/teams"),
                                              ("POST", "/admin/teams"), ("POST", "/admin/keys"),
                                              ("DELETE", "/admin/keys/key_x")])
def test_admin_routes_refuse_team_keys(gw: RunningGateway, method: str, path: str) -> None:
    with gw.http() as http:
        response = http.request(method, path, headers={"authorization": f"Bearer {gw.keys['alpha']}"}, json={})
    assert response.status_code == 403 and response.json()["error"]["code"] == "admin_required"


def test_team_sees_only_its_models_and_costs(gw: RunningGateway) -> None:
    _spend(gw)
    assert [m.id for m in gw.client("beta").models.list().data] == ["chat-b"]
    with pytest.raises(openai.PermissionDeniedError):
        gw.client("beta").chat.completions.create(model="chat-a", messages=USER)
    gw.flush()
    with gw.http() as http:
        beta = http.get("/team/costs", params={"by": "team"}, headers={"authorization": f"Bearer {gw.keys['beta']}"}).json()
        sneaky = http.get("/team/costs", params={"by": "team", "team": "alpha"},
                          headers={"authorization": f"Bearer {gw.keys['beta']}"}).json()
    assert [r["team"] for r in beta["rows"]] == ["beta"] and beta["total"]["requests"] == 2
    assert sneaky == beta


def test_admin_cost_report_equals_sum_of_rows(gw: RunningGateway) -> None:
    _spend(gw)
    with gw.http() as http:
        report = http.get("/admin/costs", params={"by": "team"}, headers={"authorization": f"Bearer {gw.admin_key}"}).json()
    rows = gw.rows()
    assert report["total"]["requests"] == len(rows)
    assert report["total"]["cost_usd"] == pytest.approx(sum(r.cost_usd for r in rows))
    by_team = {r["team"]: r for r in report["rows"]}
    assert by_team["alpha"]["requests"] == len([r for r in rows if r.team == "alpha"])
    alpha_models = {m["model"]: m for m in by_team["alpha"]["models"]}
    assert alpha_models["chat-a"]["cost_usd"] == pytest.approx(
        sum(r.cost_usd for r in rows if r.team == "alpha" and r.requested_model == "chat-a"))
    assert sum(m["requests"] for m in by_team["alpha"]["models"]) == by_team["alpha"]["requests"]


def test_admin_manages_teams_and_keys_over_http(gw: RunningGateway) -> None:
    admin = {"authorization": f"Bearer {gw.admin_key}"}
    with gw.http() as http:
        assert http.post("/admin/teams", json={"name": "gamma", "models": ["chat-b"]}, headers=admin).status_code == 201
        created = http.post("/admin/keys", json={"team": "gamma", "rpm": 10, "expires": "7d"}, headers=admin).json()
        listed = http.get("/admin/keys", params={"team": "gamma"}, headers=admin).json()["data"]
        assert [k["id"] for k in listed] == [created["id"]] and "key_hash" not in listed[0]
        assert gw.client(key=created["key"]).chat.completions.create(model="chat-b", messages=USER)
        assert http.delete(f"/admin/keys/{created['id']}", headers=admin).status_code == 200
        bad = http.post("/admin/keys", json={"team": "gamma", "rpm": "ten"}, headers=admin)
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "rpm"
    with pytest.raises(openai.AuthenticationError):
        gw.client(key=created["key"]).chat.completions.create(model="chat-b", messages=USER)


def test_health_ready_metrics(gw: RunningGateway) -> None:
    gw.client().chat.completions.create(model="chat-a", messages=USER)
    with gw.http() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz").json()
        metrics = http.get("/metrics").text
    assert ready["status"] == "ready" and ready["checks"] == {"database": "ok", "limiter": "ok"}
    assert 'warden_requests_total{model="chat-a",status="ok",team="alpha"} 1.0' in metrics
    assert "warden_overhead_seconds_bucket" in metrics and "warden_cost_usd_total" in metrics
    assert "warden_model_monitor_up 1.0" in metrics
    assert 'warden_tokens_total{kind="prompt",model="chat-a",team="alpha"}' in metrics
