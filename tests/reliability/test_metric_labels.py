"""Clients cannot grow /metrics: unknown model names share one `other` series, over-long names are refused."""

from __future__ import annotations

import secrets

import openai
import pytest

from tests.support.gateway_server import RunningGateway

USER = [{"role": "user", "content": "hi"}]


def _series(gw: RunningGateway) -> set[str]:
    text = gw.http().get("/metrics").text
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_random_model_names_add_a_bounded_number_of_series(gw: RunningGateway) -> None:
    gw.client().chat.completions.create(model="chat-a", messages=USER)
    gw.flush()
    before = _series(gw)
    _unknown_models(gw, 1000)
    middle = _series(gw)
    _unknown_models(gw, 1000)
    after = _series(gw)
    # The first thousand open the `other` series (and the embeddings histogram); the next thousand add none.
    assert len(middle - before) <= 40, sorted(middle - before)
    assert after == middle
    assert not any("no-such-model" in s for s in after)
    assert any('model="other"' in s for s in after)


def _unknown_models(gw: RunningGateway, count: int) -> None:
    headers = {"authorization": f"Bearer {gw.keys['alpha']}"}
    with gw.http() as http:
        for i in range(count):
            model = f"no-such-model-{secrets.token_hex(8)}"
            path = "/v1/embeddings" if i % 4 == 0 else "/v1/chat/completions"
            body = {"model": model, "input": "x"} if i % 4 == 0 else {"model": model, "messages": USER}
            assert http.post(path, json=body, headers=headers).status_code == 404


@pytest.mark.parametrize("length", [257, 100_000])
def test_over_long_model_name_is_refused_before_any_work(gw: RunningGateway, length: int) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        gw.client().chat.completions.create(model="m" * length, messages=USER)
    assert raised.value.status_code == 400 and raised.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError):
        gw.client().embeddings.create(model="m" * length, input="x")
    assert "m" * 257 not in gw.http().get("/metrics").text
    assert all(len(r.requested_model or "") <= 256 for r in gw.rows())
