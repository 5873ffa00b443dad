"""One team's bad requests never cool a model shared with other teams (over HTTP, openai SDK, fake upstream)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

OK = [{"role": "user", "content": "hello"}]
TEAMS = {"team-a": {}, "team-b": {}}


def _config(up: FakeUpstream, **router: Any) -> dict[str, Any]:
    return {"model_list": [deployment("shared", up)],
            "router_settings": {"num_retries": 2, "allowed_fails": 3, "cooldown_time": 60,
                                "retry_backoff_s": 0.01, "max_backoff_s": 0.02, **router}}


@pytest.mark.parametrize("status", [400, 413, 422])
def test_client_errors_from_one_team_never_cool_the_shared_model(make_gateway: Any, upstream: FakeUpstream,
                                                                 status: int) -> None:
    bad = [{"role": "user", "content": f"bad body [[fake:status={status}]]"}]
    with make_gateway(_config(upstream), dict(TEAMS)) as gw:
        for _ in range(3):
            with pytest.raises(openai.BadRequestError):
                gw.client("team-a").chat.completions.create(model="shared", messages=bad)
        raw = gw.client("team-b").chat.completions.with_raw_response.create(model="shared", messages=OK)
        assert raw.http_response.status_code == 200
        assert gw.gateway.router.health("shared#0") == (0, 0.0)
        # Client errors are not retried either: one upstream call per bad request.
        assert len(upstream.requests_to("/chat/completions")) == 4


def test_one_requests_retries_do_not_cool_a_deployment(make_gateway: Any, upstream: FakeUpstream) -> None:
    flaky = [{"role": "user", "content": "flaky [[fake:fail_first=3]]"}]
    with make_gateway(_config(upstream), dict(TEAMS)) as gw:
        with pytest.raises(openai.APIStatusError):
            gw.client("team-a").chat.completions.create(model="shared", messages=flaky)
        assert len(upstream.requests_to("/chat/completions")) == 3  # three attempts, counted once
        assert gw.client("team-b").chat.completions.create(model="shared", messages=OK).choices


def test_a_bad_deployment_key_still_cools_the_deployment(make_gateway: Any, upstream: FakeUpstream) -> None:
    """401/403/404 blame the deployment's configuration, not the request: they count."""
    upstream.set_behaviour(status=401)
    with make_gateway(_config(upstream, num_retries=0), dict(TEAMS)) as gw:
        for _ in range(3):
            with pytest.raises(openai.APIStatusError) as raised:
                gw.client("team-a").chat.completions.create(model="shared", messages=OK)
            assert raised.value.status_code == 502
        upstream.set_behaviour()
        with pytest.raises(openai.InternalServerError) as cooled:
            gw.client("team-b").chat.completions.create(model="shared", messages=OK)
        assert cooled.value.status_code == 503 and int(cooled.value.response.headers["retry-after"]) >= 1
