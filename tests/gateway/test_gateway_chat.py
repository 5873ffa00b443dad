"""Chat completions through Warden with the real openai SDK, against a fake upstream on a real socket."""

from __future__ import annotations

import json

import pytest

from tests.gateway.conftest import PRICE_IN, PRICE_OUT
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello warden gateway"}]


def test_non_stream_answer_headers_and_usage_row(gw: RunningGateway, upstream: FakeUpstream) -> None:
    raw = gw.client().chat.completions.with_raw_response.create(model="chat-a", messages=MESSAGES, max_tokens=50)
    answer = raw.parse()
    assert "hello warden gateway" in answer.choices[0].message.content
    request_id = raw.headers["x-request-id"]
    assert float(raw.headers["x-warden-overhead-ms"]) >= 0
    sent = upstream.requests_to("/chat/completions")[-1]
    assert sent.json["model"] == "chat-a-upstream"
    assert sent.headers["authorization"] == "Bearer sk-upstream-secret"
    row = gw.row(request_id)
    assert (row.status, row.status_code, row.team, row.stream) == ("ok", 200, "alpha", False)
    assert row.prompt_tokens == answer.usage.prompt_tokens and row.completion_tokens == answer.usage.completion_tokens
    assert row.cost_usd == pytest.approx(row.prompt_tokens * PRICE_IN + row.completion_tokens * PRICE_OUT)
    assert (row.deployment, row.provider, row.served_model) == ("chat-a#0", "openai", "chat-a")
    assert row.latency_ms >= row.upstream_ms > 0
    assert row.prompt_commit is None and row.guardrails is None


def test_parameters_reach_the_upstream(gw: RunningGateway, upstream: FakeUpstream) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    answer = gw.client().chat.completions.create(
        model="chat-a", messages=MESSAGES, n=2, seed=7, user="end-user-1", metadata={"ticket": "42"},
        max_completion_tokens=20, tools=tools, tool_choice="auto", temperature=0.2,
    )
    sent = upstream.requests_to("/chat/completions")[-1].json
    assert (sent["n"], sent["seed"], sent["user"], sent["metadata"]) == (2, 7, "end-user-1", {"ticket": "42"})
    assert sent["tools"] == tools and sent["tool_choice"] == "auto" and sent["max_completion_tokens"] == 20
    assert answer.choices[0].message.tool_calls[0].function.name == "lookup"
    assert gw.rows()[-1].end_user == "end-user-1"


def test_response_format_json(gw: RunningGateway) -> None:
    answer = gw.client().chat.completions.create(model="chat-a", messages=MESSAGES,
                                                 response_format={"type": "json_object"})
    assert isinstance(json.loads(answer.choices[0].message.content), dict)


def test_stream_with_usage(gw: RunningGateway) -> None:
    stream = gw.client().chat.completions.create(model="chat-a", messages=MESSAGES, stream=True,
                                                 stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "hello warden gateway" in text
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    row = gw.rows(stream=True)[-1]
    assert row.completion_tokens == chunks[-1].usage.completion_tokens and row.status == "ok"


def test_stream_without_usage_hides_it_but_records_it(gw: RunningGateway, upstream: FakeUpstream) -> None:
    chunks = list(gw.client().chat.completions.create(model="chat-a", messages=MESSAGES, stream=True))
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)
    assert upstream.requests_to("/chat/completions")[-1].json["stream_options"] == {"include_usage": True}
    row = gw.rows(stream=True)[-1]
    assert row.completion_tokens > 0 and row.cost_usd > 0


def test_stream_tool_calls(gw: RunningGateway) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    chunks = list(gw.client().chat.completions.create(model="chat-a", messages=MESSAGES, tools=tools,
                                                      tool_choice="required", stream=True))
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls and calls[0].function.name == "lookup"


def test_embeddings_and_models(gw: RunningGateway) -> None:
    result = gw.client().embeddings.create(model="embed-a", input=["one", "two"])
    assert len(result.data) == 2 and result.usage.prompt_tokens > 0
    assert {m.id for m in gw.client().models.list().data} == {"chat-a", "chat-b", "embed-a"}
    assert [m.id for m in gw.client("beta").models.list().data] == ["chat-b"]
    assert gw.rows(endpoint="embeddings")[-1].status == "ok"


def test_stream_cut_mid_way_raises_and_is_recorded(gw: RunningGateway) -> None:
    messages = [{"role": "user", "content": "tell me a long story please [[fake:cut_stream_after=3]] [[fake:chunk_delay=20]]"}]
    with pytest.raises(Exception) as raised:
        for _ in gw.client().chat.completions.create(model="chat-a", messages=messages, stream=True):
            pass
    assert "stream" in str(raised.value).lower()
    row = gw.rows(stream=True)[-1]
    assert row.status == "error" and row.error_type == "upstream_error" and row.completion_tokens > 0


def test_client_disconnect_mid_stream_records_row(gw: RunningGateway) -> None:
    messages = [{"role": "user", "content": "one two three four five six [[fake:chunk_delay=150]]"}]
    with gw.http() as http, http.stream("POST", "/v1/chat/completions", json={"model": "chat-a", "messages": messages,
                                        "stream": True}, headers={"authorization": f"Bearer {gw.keys['alpha']}"}) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                break
    import time

    for _ in range(100):
        rows = gw.rows(stream=True)
        if rows and rows[-1].status == "cancelled":
            break
        time.sleep(0.05)
    assert rows[-1].status == "cancelled" and rows[-1].status_code == 499


def test_client_gone_before_the_stream_starts_still_leaves_a_row(gw: RunningGateway) -> None:
    """The connection is gone when the response starts (an ASGI 2.4 server raises OSError from `send`), so the
    stream body is never pulled; the request is still accounted for and its upstream stream closed."""
    import asyncio

    body = json.dumps({"model": "chat-a", "stream": True,
                       "messages": [{"role": "user", "content": "hello there [[fake:chunk_delay=50]]"}]}).encode()
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
             "headers": [(b"host", b"warden"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()),
                         (b"authorization", f"Bearer {gw.keys['alpha']}".encode())]}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        raise OSError("connection reset by peer")

    before = len(gw.rows(stream=True))
    app = gw.server.config.app  # type: ignore[union-attr]
    with pytest.raises(Exception) as raised:
        asyncio.run_coroutine_threadsafe(app(scope, receive, send), gw.loop).result(timeout=30)
    assert type(raised.value).__name__ == "ClientDisconnect"
    assert [m["type"] for m in sent] == ["http.response.start"]  # not one byte of the answer went out
    rows = gw.rows(stream=True)
    assert len(rows) == before + 1
    assert rows[-1].status == "cancelled" and rows[-1].status_code == 499 and rows[-1].prompt_tokens > 0
