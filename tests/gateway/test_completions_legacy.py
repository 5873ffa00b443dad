"""`/v1/completions` (legacy) with the real `openai` SDK: the prompt runs through the chat pipeline."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway


def test_completion_is_answered_from_the_chat_model(gw: RunningGateway, upstream: FakeUpstream) -> None:
    raw = gw.client().completions.with_raw_response.create(model="chat-a", prompt="the quick brown fox", n=2,
                                                           stop=["\n"], user="u-1", extra_body={"top_k": 5})
    answer = raw.parse()
    assert answer.object == "text_completion" and [c.text for c in answer.choices] == ["the quick brown fox"] * 2
    assert answer.choices[0].finish_reason == "stop" and answer.usage.completion_tokens == 8
    sent = upstream.requests_to("/chat/completions")[-1].json
    assert sent["messages"] == [{"role": "user", "content": "the quick brown fox"}] and sent["max_tokens"] == 16
    assert sent["n"] == 2 and sent["stop"] == ["\n"] and "top_k" not in sent
    row = gw.row(raw.headers["x-request-id"])
    assert (row.status, row.end_user, row.prompt_tokens) == ("ok", "u-1", 4)


def test_streamed_completion(gw: RunningGateway) -> None:
    stream = gw.client().completions.create(model="chat-a", prompt="one two three", stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "one two three"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert [r.status for r in gw.rows(stream=True)] == ["ok"]


@pytest.mark.parametrize(("extra", "param"), [({"echo": True}, "echo"), ({"suffix": "x"}, "suffix"),
                                              ({"best_of": 3}, "best_of"), ({"prompt": ["a", "b"]}, "prompt"),
                                              ({"max_tokens": 0}, "max_tokens")])
def test_what_chat_models_cannot_do_is_refused(gw: RunningGateway, extra: dict[str, object], param: str) -> None:
    arguments: dict[str, Any] = {"model": "chat-a", "prompt": "hi", **extra}
    with pytest.raises(openai.BadRequestError, match=param):
        gw.client().completions.create(**arguments)
    with pytest.raises(openai.AuthenticationError):  # the key is checked first, whatever the body
        gw.client(key="wk-bad").completions.create(**arguments)
