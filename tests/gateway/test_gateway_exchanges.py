"""Full exchange logging through the gateway: bodies kept with PII masked, shown by `warden logs show`."""

from __future__ import annotations

import json
import time
from typing import Any

from click.testing import CliRunner

from gateway.cli import cli
from registry.exchanges import get_exchange
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

EMAIL = "marie.curie@example.org"


def test_full_logging_keeps_masked_bodies(make_gateway: Any, upstream: FakeUpstream, tmp_path: Any,
                                          monkeypatch: Any) -> None:
    policies = {"audited": {"logging": "full", "retention_days": 7}, "quiet": {}}
    config = {"model_list": [deployment("chat-a", upstream)], "guardrail_policies": policies, "prompts": None}
    database = f"sqlite:///{tmp_path / 'gw.db'}"
    teams = {"alpha": {"guardrail_policy": "audited"}, "beta": {"guardrail_policy": "quiet"}}
    with make_gateway(config, teams, database_url=database) as gw:
        raw = gw.client().chat.completions.with_raw_response.create(
            model="chat-a", messages=[{"role": "user", "content": f"My address is {EMAIL}, please confirm."}])
        streamed = gw.client().chat.completions.with_raw_response.create(
            model="chat-a", messages=[{"role": "user", "content": f"Stream to {EMAIL}"}], stream=True)
        list(streamed.parse())
        quiet = gw.client("beta").chat.completions.with_raw_response.create(
            model="chat-a", messages=[{"role": "user", "content": EMAIL}])
        gw.flush()
        deadline = time.monotonic() + 20
        found = None
        while time.monotonic() < deadline:
            import asyncio

            asyncio.run_coroutine_threadsafe(gw.gateway.exchanges.flush(), gw.loop).result(timeout=30)
            found = get_exchange(gw.engine, raw.headers["x-request-id"])
            if found is not None and get_exchange(gw.engine, streamed.headers["x-request-id"]) is not None:
                break
            time.sleep(0.2)
        assert found is not None
        stored = json.dumps(found.model_dump(mode="json"))
        assert EMAIL not in stored and "<EMAIL_ADDRESS>" in stored and "please confirm" in stored
        assert "Stream to" in json.dumps(get_exchange(gw.engine, streamed.headers["x-request-id"]).model_dump(mode="json"))
        assert get_exchange(gw.engine, quiet.headers["x-request-id"]) is None
    monkeypatch.setenv("DATABASE_URL", database)
    shown = CliRunner().invoke(cli, ["logs", "show", raw.headers["x-request-id"]])
    assert shown.exit_code == 0 and "<EMAIL_ADDRESS>" in shown.output and EMAIL not in shown.output
