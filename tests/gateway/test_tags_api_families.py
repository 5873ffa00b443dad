"""Tag-based routing on `/v1/responses` and `/v1/messages`, in LiteLLM's shapes (a top-level `tags` list, or
`metadata.tags`), through the real openai and anthropic SDKs: the tagged deployment serves, the tags never go
upstream, and tags no deployment carries are a 400 in each API's own error shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway


@pytest.fixture()
def tagged(make_gateway: GatewayFactory, upstream: FakeUpstream,
           second_upstream: FakeUpstream) -> Iterator[RunningGateway]:
    config = {"model_list": [deployment("chat-a", upstream, tags=["fast", "eu"]),
                             deployment("chat-a", second_upstream, tags=["default"])], "prompts": None}
    with make_gateway(config) as gw:
        yield gw


def _claude(gw: RunningGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.base_url, api_key=gw.keys["alpha"], max_retries=0)


def _responses(gw: RunningGateway, **tags: Any) -> None:
    gw.client().responses.create(model="chat-a", input="hello", **tags)


def _messages(gw: RunningGateway, **tags: Any) -> None:
    _claude(gw).messages.create(model="chat-a", max_tokens=20, messages=[{"role": "user", "content": "hello"}],
                                **tags)


CALLS = {"responses": _responses, "messages": _messages}
SHAPES = [
    {"extra_body": {"tags": ["fast"]}},
    {"metadata": {"tags": ["eu", "fast"]}},
    {"extra_body": {"metadata": {"tags": "fast"}}},  # a string is LiteLLM's flat spelling of the list
]


@pytest.mark.parametrize("family", sorted(CALLS))
def test_tags_pick_the_tagged_deployment(tagged: RunningGateway, upstream: FakeUpstream,
                                         second_upstream: FakeUpstream, family: str) -> None:
    for shape in SHAPES:
        CALLS[family](tagged, **shape)
    CALLS[family](tagged)  # untagged: the `default` deployment
    assert (len(upstream.requests), len(second_upstream.requests)) == (len(SHAPES), 1)
    for request in upstream.requests:
        assert "tags" not in request.json and "tags" not in (request.json.get("metadata") or {})
    rows = tagged.rows()
    assert [r.deployment for r in rows] == ["chat-a#0"] * len(SHAPES) + ["chat-a#1"]


def test_responses_unknown_tags_are_a_400(tagged: RunningGateway) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _responses(tagged, extra_body={"tags": ["gpu"]})
    assert caught.value.code == "no_deployment_for_tags" and "gpu" in caught.value.message


def test_messages_unknown_tags_are_a_400(tagged: RunningGateway) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _messages(tagged, metadata={"tags": ["gpu"]})
    assert caught.value.status_code == 400 and "gpu" in str(caught.value.message)
    assert caught.value.body["type"] == "error"  # type: ignore[index]


def test_responses_echo_the_metadata_they_were_given(tagged: RunningGateway) -> None:
    answer = tagged.client().responses.create(model="chat-a", input="hello",
                                              metadata={"app": "x", "tags": ["fast"]})  # type: ignore[dict-item]
    assert answer.metadata == {"app": "x", "tags": ["fast"]}
