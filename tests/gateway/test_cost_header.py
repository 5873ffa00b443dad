"""`x-warden-cost-usd`: the cost the request's usage row records, on every answer whose cost is known."""

from __future__ import annotations

import anthropic

from tests.support.gateway_server import RunningGateway

HI = [{"role": "user", "content": "one two three"}]


def test_cost_header_matches_the_usage_row(gw: RunningGateway) -> None:
    chat = gw.client().chat.completions.with_raw_response.create(model="chat-a", messages=HI)
    messages = anthropic.Anthropic(base_url=gw.base_url, api_key=gw.keys["alpha"], max_retries=0) \
        .messages.with_raw_response.create(model="chat-a", max_tokens=10, messages=HI)
    for raw in (chat, messages):
        row = gw.row(raw.headers["x-request-id"])
        assert row.cost_usd > 0 and float(raw.headers["x-warden-cost-usd"]) == round(row.cost_usd, 10)
    moderation = gw.client().moderations.with_raw_response.create(input="hello")
    assert float(moderation.headers["x-warden-cost-usd"]) == 0


def test_no_cost_header_before_a_stream_is_done(gw: RunningGateway) -> None:
    with gw.client().chat.completions.with_streaming_response.create(model="chat-a", messages=HI,
                                                                     stream=True) as stream:
        assert "x-warden-cost-usd" not in stream.headers
        assert "x-request-id" in stream.headers
