"""/metrics names every team, model and their spend: `server.metrics_auth` closes it to an admin key or a token."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.gateway_server import running_gateway

TOKEN = "metrics-token-0123456789abcdef"


def _statuses(tmp: Path, server: dict[str, object]) -> dict[str, int]:
    config = {"model_list": [], "prompts": None, "server": server}
    with running_gateway(config, f"sqlite:///{tmp / 'gw.db'}", {"alpha": {}}, tmp) as gw, gw.http() as http:
        tries = {"none": None, "bad": "wk-not-a-key", "team": gw.keys["alpha"], "admin": gw.admin_key,
                 "token": TOKEN}
        out = {}
        for who, key in tries.items():
            response = http.get("/metrics", headers={"authorization": f"Bearer {key}"} if key else {})
            if response.status_code == 200:
                assert "warden_requests_total" in response.text or "# HELP" in response.text
            else:
                assert response.json()["error"]["message"]
            out[who] = response.status_code
        return out


def test_metrics_open_by_default(tmp_path: Path) -> None:
    assert set(_statuses(tmp_path, {}).values()) == {200}


def test_metrics_for_admin_keys_only(tmp_path: Path) -> None:
    assert _statuses(tmp_path, {"metrics_auth": "admin"}) == {"none": 401, "bad": 401, "team": 403, "admin": 200,
                                                              "token": 401}


def test_metrics_for_the_scraper_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_TEST_METRICS_TOKEN", TOKEN)
    server = {"metrics_auth": "token", "metrics_token": "os.environ/WARDEN_TEST_METRICS_TOKEN"}
    assert _statuses(tmp_path, server) == {"none": 401, "bad": 401, "team": 403, "admin": 200, "token": 200}


def test_token_mode_without_a_token_refuses_to_start() -> None:
    from gateway.config import parse_config

    with pytest.raises(Exception, match="metrics_token"):
        parse_config({"model_list": [], "server": {"metrics_auth": "token"}}, "test")


def test_token_mode_with_an_unset_variable_stays_closed(tmp_path: Path) -> None:
    config = {"model_list": [], "prompts": None,
              "server": {"metrics_auth": "token", "metrics_token": "os.environ/WARDEN_TEST_UNSET_METRICS_TOKEN"}}
    with running_gateway(config, f"sqlite:///{tmp_path / 'gw.db'}", {"alpha": {}}, tmp_path) as gw:
        with httpx.Client(base_url=gw.base_url) as http:
            assert http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 503
