"""The fake upstream, driven through the real openai SDK pointed straight at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tests.support.fake_behaviour import Behaviour, parse_cli_behaviour, parse_directives, strip_directives
from tests.support.fake_upstream import FakeUpstream, running_upstream

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}
TIME_TOOL: Any = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeUpstream]:
    up = FakeUpstream()
    await up.start()
    yield up
    await up.stop()


@pytest.fixture
def client(upstream: FakeUpstream) -> AsyncOpenAI:
    upstream.reset()
    return AsyncOpenAI(base_url=upstream.base_url, api_key="sk-test-key", max_retries=0, timeout=10)


def user(text: str) -> Any:
    """A one-message conversation (typed Any: the SDK's message TypedDicts add nothing here)."""
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize(
    ("text", "kwargs", "content", "finish", "completion_tokens"),
    [
        ("hello there world", {}, "hello there world", "stop", 3),
        ("one two three four", {"max_tokens": 2}, "one two", "length", 2),
        ("one two three four", {"max_completion_tokens": 3}, "one two three", "length", 3),
        ("one two", {"max_tokens": 5}, "one two", "stop", 2),
        ("hi [[fake:reply=Exact  answer!]]", {}, "Exact  answer!", "stop", 2),
        ("[[fake:slow=1]]", {}, "ok", "stop", 1),
    ],
)
async def test_non_stream_echo(
    client: AsyncOpenAI, text: str, kwargs: dict[str, int], content: str, finish: str, completion_tokens: int
) -> None:
    result = await client.chat.completions.create(model="bench-model", messages=user(text), **kwargs)
    assert result.object == "chat.completion"
    assert result.choices[0].message.content == content
    assert result.choices[0].finish_reason == finish
    assert result.usage is not None
    assert result.usage.prompt_tokens == len(text.split())
    assert result.usage.completion_tokens == completion_tokens


async def test_n_choices_and_usage_sum(client: AsyncOpenAI) -> None:
    result = await client.chat.completions.create(model="m", messages=user("a b c"), n=3)
    assert [c.index for c in result.choices] == [0, 1, 2]
    assert {c.message.content for c in result.choices} == {"a b c"}
    assert result.usage is not None and result.usage.completion_tokens == 9


@pytest.mark.parametrize(
    ("text", "expected", "min_content_chunks"),
    [
        ("the quick brown fox", "the quick brown fox", 4),
        ("abc def [[fake:chunk_size=1]]", "abc def", 7),
        ("x [[fake:reply=Hello, World]] [[fake:chunk_size=2]]", "Hello, World", 6),
    ],
)
async def test_stream_with_usage(client: AsyncOpenAI, text: str, expected: str, min_content_chunks: int) -> None:
    stream = await client.chat.completions.create(
        model="bench-model", messages=user(text), stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks[1:] if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == expected
    assert len(pieces) >= min_content_chunks
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(expected.split())
    assert all(c.usage is None for c in chunks[:-1])


async def test_stream_without_usage_has_no_usage_chunk(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="m", messages=user("a b"), stream=True)
    chunks = [chunk async for chunk in stream]
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_stream_wire_format(upstream: FakeUpstream) -> None:
    body = {"model": "m", "messages": user("a b"), "stream": True}
    async with httpx.AsyncClient() as http:
        raw = (await http.post(f"{upstream.base_url}/chat/completions", json=body)).text
    events = raw.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: {") for e in events[:-2])


@pytest.mark.parametrize(
    ("tool_choice", "tools", "name"),
    [
        ("auto", [WEATHER_TOOL, TIME_TOOL], "get_weather"),
        ("required", [TIME_TOOL, WEATHER_TOOL], "get_time"),
        ({"type": "function", "function": {"name": "get_time"}}, [WEATHER_TOOL, TIME_TOOL], "get_time"),
    ],
)
async def test_tool_calls(client: AsyncOpenAI, tool_choice: Any, tools: Any, name: str) -> None:
    result = await client.chat.completions.create(
        model="m",
        messages=user("weather in Paris"),
        tools=tools,
        tool_choice=tool_choice,
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == name and call.id.startswith("call_")
    args = json.loads(call.function.arguments)
    if name == "get_weather":
        assert args == {"city": "weather in Paris", "days": 3, "unit": "c"}
    else:
        assert args == {}


async def test_tool_choice_none_and_tool_result_answer_text(client: AsyncOpenAI) -> None:
    none = await client.chat.completions.create(
        model="m", messages=user("hi"), tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert none.choices[0].message.content == "hi"
    follow_up: Any = [
        *user("weather?"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny 21C"},
    ]
    answer = await client.chat.completions.create(model="m", messages=follow_up, tools=[WEATHER_TOOL])
    assert answer.choices[0].message.content == "sunny 21C"
    assert answer.choices[0].finish_reason == "stop"


async def test_unknown_named_tool_is_a_400(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="nope"):
        await client.chat.completions.create(
            model="m",
            messages=user("x"),
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "nope"}},
        )


async def test_stream_tool_call_deltas(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="m", messages=user("Rome"), tools=[WEATHER_TOOL], stream=True)
    chunks = [chunk async for chunk in stream]
    head = chunks[0].choices[0].delta.tool_calls[0]
    assert head.function is not None and head.function.name == "get_weather" and head.id
    arguments = "".join(
        tc.function.arguments or ""
        for c in chunks
        for tc in (c.choices[0].delta.tool_calls or [])
        if tc.function is not None
    )
    assert json.loads(arguments) == {"city": "Rome", "days": 1, "unit": "c"}
    assert len(chunks) > 3
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "json_object"}, {"echo": "give json"}),
        (
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "s",
                    "schema": {
                        "type": "object",
                        "properties": {
                            "title": {"type": "string"},
                            "n": {"type": "number"},
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "ok": {"type": ["boolean", "null"]},
                        },
                    },
                },
            },
            {"title": "give json", "n": 2.0, "tags": ["give json"], "ok": True},
        ),
        ({"type": "text"}, None),
    ],
)
async def test_response_format(client: AsyncOpenAI, response_format: Any, expected: object) -> None:
    result = await client.chat.completions.create(
        model="m", messages=user("give json"), response_format=response_format
    )
    content = result.choices[0].message.content
    assert (json.loads(content or "") if expected is not None else content) == (expected or "give json")


@pytest.mark.parametrize(
    ("directive", "error", "status"),
    [
        ("[[fake:status=429]]", openai.RateLimitError, 429),
        ("[[fake:status=500]]", openai.InternalServerError, 500),
        ("[[fake:status=400]]", openai.BadRequestError, 400),
        ("[[fake:status=401]]", openai.AuthenticationError, 401),
        ("[[fake:status=503]]", openai.InternalServerError, 503),
        ("[[fake:retry_after=7]]", openai.RateLimitError, 429),
    ],
)
async def test_error_statuses(client: AsyncOpenAI, directive: str, error: type[Exception], status: int) -> None:
    with pytest.raises(error) as caught:
        await client.chat.completions.create(model="m", messages=user(f"hi {directive}"))
    assert caught.value.status_code == status
    if "retry_after" in directive:
        assert caught.value.response.headers["retry-after"] == "7"


async def test_fail_first_is_counted_per_message(upstream: FakeUpstream) -> None:
    upstream.reset()
    retrying = AsyncOpenAI(base_url=upstream.base_url, api_key="k", max_retries=2)
    result = await retrying.chat.completions.create(model="m", messages=user("try [[fake:fail_first=2]]"))
    assert result.choices[0].message.content == "try"
    assert len(upstream.requests) == 3
    other = AsyncOpenAI(base_url=upstream.base_url, api_key="k", max_retries=0)
    with pytest.raises(openai.InternalServerError):
        await other.chat.completions.create(model="m", messages=user("again [[fake:fail_first=2]]"))


async def test_slow_upstream_trips_client_timeout(upstream: FakeUpstream) -> None:
    impatient = AsyncOpenAI(base_url=upstream.base_url, api_key="k", max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        await impatient.chat.completions.create(model="m", messages=user("wait [[fake:slow=2000]]"))


async def test_cut_stream_raises_mid_stream(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="m", messages=user("a b c d e [[fake:cut_stream_after=3]]"), stream=True
    )
    received = []
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 3


async def test_cut_non_stream_raises(client: AsyncOpenAI) -> None:
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        await client.chat.completions.create(model="m", messages=user("a [[fake:cut_stream_after=1]]"))


@pytest.mark.parametrize("stream", [False, True])
async def test_malformed_json(upstream: FakeUpstream, stream: bool) -> None:
    body = {"model": "m", "messages": user("x [[fake:malformed_json]]"), "stream": stream}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{upstream.base_url}/chat/completions", json=body)
    events = response.text.split("\n\n") if stream else [response.text]
    payload = events[1].removeprefix("data: ") if stream else events[0]
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(payload)


async def test_records_requests_with_auth_and_body(client: AsyncOpenAI, upstream: FakeUpstream) -> None:
    await client.chat.completions.create(model="bench-model", messages=user("secret-free text"), seed=7, user="u-1")
    (recorded,) = upstream.requests_to("/chat/completions")
    path, headers, body = recorded
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer sk-test-key"
    assert body["seed"] == 7 and body["user"] == "u-1" and body["messages"] == user("secret-free text")


async def test_programmatic_behaviours(client: AsyncOpenAI, upstream: FakeUpstream) -> None:
    upstream.enqueue(status=429)
    upstream.enqueue(reply="second")
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="m", messages=user("first"))
    second = await client.chat.completions.create(model="m", messages=user("x"))
    third = await client.chat.completions.create(model="m", messages=user("third"))
    assert (second.choices[0].message.content, third.choices[0].message.content) == ("second", "third")
    upstream.set_behaviour(status=500)
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="m", messages=user("x"))
    with pytest.raises(openai.BadRequestError):  # a request directive wins over the default behaviour
        await client.chat.completions.create(model="m", messages=user("x [[fake:status=400]]"))
    upstream.set_behaviour()
    assert (await client.chat.completions.create(model="m", messages=user("back"))).choices[0].message.content == "back"


def test_set_behaviour_rejects_unknown_names(upstream: FakeUpstream) -> None:
    with pytest.raises(ValueError, match="'statsu'"):
        upstream.set_behaviour(statsu=500)


async def test_embeddings_and_models(client: AsyncOpenAI) -> None:
    first = await client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"])
    again = await client.embeddings.create(model="text-embedding-3-small", input="a b", encoding_format="float")
    assert [len(d.embedding) for d in first.data] == [16, 16]
    assert first.data[0].embedding == pytest.approx(again.data[0].embedding, abs=1e-6)
    assert first.data[0].embedding != first.data[1].embedding
    assert sum(v * v for v in first.data[1].embedding) == pytest.approx(1.0, abs=1e-5)
    assert first.usage.prompt_tokens == 3
    sized = await client.embeddings.create(model="e", input="a", dimensions=4)
    assert len(sized.data[0].embedding) == 4
    models = [m.id async for m in client.models.list()]
    assert "bench-model" in models


def test_sync_runner_and_two_upstreams_on_distinct_ports() -> None:
    with running_upstream() as healthy, running_upstream(behaviour=Behaviour(status=503)) as broken:
        assert healthy.port != broken.port
        ok = OpenAI(base_url=healthy.base_url, api_key="a", max_retries=0).chat.completions.create(
            model="m", messages=user("yo")
        )
        assert ok.choices[0].message.content == "yo"
        with pytest.raises(openai.InternalServerError):
            OpenAI(base_url=broken.base_url, api_key="b", max_retries=0).chat.completions.create(
                model="m", messages=user("yo")
            )
        assert len(healthy.requests) == 1 and len(broken.requests) == 1


@pytest.mark.parametrize(
    ("text", "expected", "stripped"),
    [
        ("plain", Behaviour(), "plain"),
        ("a [[fake:slow=2000]] b", Behaviour(slow=2000), "a b"),
        ("[[fake:status=429]][[fake:retry_after=1]]", Behaviour(status=429, retry_after=1), ""),
        ("[[fake:malformed_json]]", Behaviour(malformed_json=True), ""),
        ("[[fake:malformed_json=false]]", Behaviour(malformed_json=False), ""),
        ("[[fake:reply=with spaces, punctuation!]]", Behaviour(reply="with spaces, punctuation!"), ""),
        ("[[fake:status=500]] then [[fake:status=400]]", Behaviour(status=400), "then"),
        ("[[fake:fail_first=2]][[fake:chunk_size=1]]", Behaviour(fail_first=2, chunk_size=1), ""),
    ],
)
def test_parse_directives(text: str, expected: Behaviour, stripped: str) -> None:
    assert parse_directives(text) == expected
    assert strip_directives(text) == stripped


@pytest.mark.parametrize("text", ["[[fake:status=abc]]", "[[fake:nonsense=1]]", "[[fake:slow]]"])
def test_bad_directives_raise_with_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="'"):
        parse_directives(text)


def test_merge_and_cli_spec() -> None:
    merged = Behaviour(status=500).merged_over(Behaviour(status=400, slow=3))
    assert merged == Behaviour(status=500, slow=3)
    assert parse_cli_behaviour("status=500, slow=100") == Behaviour(status=500, slow=100)
    assert Behaviour(retry_after=2).error_status == 429 and Behaviour().error_status is None
