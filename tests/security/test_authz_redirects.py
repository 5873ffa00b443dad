"""No answer builds an absolute URL from the Host header a client sends (no trailing-slash redirects)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.gateway_server import running_gateway

PATHS = ["/admin/teams/", "/admin/keys/", "/team/costs/", "/registry/models/", "/registry/audit/", "/v1/models/",
         "/v1/chat/completions/", "/healthz/", "/metrics/", "/docs/", "//admin/teams", "/admin//teams"]


def test_no_host_derived_location(tmp_path: Path) -> None:
    config = {"model_list": [], "prompts": None}
    with running_gateway(config, f"sqlite:///{tmp_path / 'gw.db'}", {"alpha": {}}, tmp_path) as gw:
        with httpx.Client(base_url=gw.base_url, follow_redirects=False) as http:
            for path in PATHS:
                for method in ("GET", "POST"):
                    response = http.request(method, path, headers={"host": "evil.example",
                                                                   "authorization": f"Bearer {gw.admin_key}"})
                    assert "evil.example" not in response.headers.get("location", ""), (method, path)
                    assert not response.is_redirect, (method, path, response.headers.get("location"))
                    assert "evil.example" not in response.text, (method, path)
