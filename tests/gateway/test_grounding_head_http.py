"""The grounding pair head through the gateway: the real SDK, a fake upstream, plain and streamed answers."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

POLICIES = {"head": {"output": [{"guardrail": "grounding", "engine": "head", "mode": "block"}]}}
CONTEXT = ["[1] The Eiffel Tower is 330 metres tall and was completed in 1889 in Paris."]
QUESTION = [{"role": "user", "content": "How tall is the Eiffel Tower?"}]
INVENTED = "The Eiffel Tower is 512 metres tall and was designed by a committee in Rome in 1920 [1]."


@pytest.fixture()
def head_gw(make_gateway: Any, upstream: FakeUpstream):  # type: ignore[no-untyped-def]
    config = {"model_list": [deployment("chat-a", upstream)], "guardrail_policies": POLICIES, "prompts": None}
    with make_gateway(config, {"head": {"guardrail_policy": "head"}}) as gw:
        yield gw


def test_a_supported_answer_passes_and_an_invented_one_is_blocked(head_gw: RunningGateway,
                                                                  upstream: FakeUpstream) -> None:
    client = head_gw.client("head")
    upstream.enqueue(reply="The Eiffel Tower, completed in 1889 in Paris, is 330 metres tall [1].")
    good = client.chat.completions.with_raw_response.create(model="chat-a", extra_body={"documents": CONTEXT},
                                                            messages=QUESTION)
    assert "grounding=allow" in good.headers["x-warden-guardrails"]
    upstream.enqueue(reply=INVENTED)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="chat-a", extra_body={"documents": CONTEXT}, messages=QUESTION)
    assert raised.value.response.json()["error"]["param"] == "grounding"


def test_a_streamed_invented_answer_ends_with_content_filter(head_gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.enqueue(reply=INVENTED, chunk_size=7)
    chunks: list[Any] = []
    with pytest.raises(openai.APIError):
        for chunk in head_gw.client("head").chat.completions.create(
                model="chat-a", extra_body={"documents": CONTEXT}, messages=QUESTION, stream=True):
            chunks.append(chunk)
    assert chunks and chunks[-1].choices[0].finish_reason == "content_filter"
