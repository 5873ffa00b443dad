"""Stored Responses with the real openai SDK: retrieve, delete, `previous_response_id`, team isolation, PII masking,
retention, and `input_tokens`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import openai
import pytest
from sqlmodel import Session

from registry.stored_responses import StoredResponse, purge_expired_responses
from registry.tables import utcnow
from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

EMAIL = "jean.dupont@example.com"


@pytest.fixture()
def any_db_gw(make_gateway: GatewayFactory, upstream: FakeUpstream, database_url: str) -> Iterator[RunningGateway]:
    """On SQLite and on the machine's PostgreSQL (production's database)."""
    with make_gateway({"model_list": [deployment("chat-a", upstream)], "prompts": None}, {"alpha": {}, "beta": {}},
                      database_url=database_url) as running:
        yield running


def test_store_retrieve_and_delete(any_db_gw: RunningGateway) -> None:
    gw = any_db_gw
    client = gw.client()
    created = client.responses.create(model="chat-a", input="remember the blue door")
    got = client.responses.retrieve(created.id)
    assert (got.id, got.output_text, got.status) == (created.id, "remember the blue door", "completed")
    assert got.usage.total_tokens == created.usage.total_tokens
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)
    kept = client.responses.create(model="chat-a", input="a second one")
    with pytest.raises(openai.NotFoundError):
        gw.client("beta").responses.retrieve(kept.id)
    follow_up = client.responses.create(model="chat-a", input="and?", previous_response_id=kept.id)
    assert follow_up.usage.input_tokens > kept.usage.input_tokens


def test_input_items_list_the_conversation(gw: RunningGateway) -> None:
    client = gw.client()
    first = client.responses.create(model="chat-a", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "look"},
                                     {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]}])
    second = client.responses.create(model="chat-a", input="and this", previous_response_id=first.id)
    items = list(client.responses.input_items.list(second.id, order="asc"))
    assert [(i.type, i.role) for i in items] == [("message", "user"), ("message", "assistant"), ("message", "user")]
    assert items[0].content[1].type == "input_image" and items[2].content[0].text == "and this"
    assert items[1].content[0].type == "output_text"
    newest = client.responses.input_items.list(second.id, limit=1)
    assert [i.id for i in newest.data] == [items[2].id] and newest.has_more
    assert [i.id for i in client.responses.input_items.list(second.id, limit=2, after=items[2].id)] == \
        [items[1].id, items[0].id]
    with pytest.raises(openai.NotFoundError):
        gw.client("beta").responses.input_items.list(second.id)
    with pytest.raises(openai.BadRequestError):
        client.responses.input_items.list(second.id, limit=0)


def test_a_tool_result_follows_a_stored_function_call(gw: RunningGateway, upstream: FakeUpstream) -> None:
    """The agents' loop: the next turn sends only the tool's output and the previous response's id."""
    tools = [{"type": "function", "name": "weather", "parameters": {"type": "object"}}]
    client = gw.client()
    first = client.responses.create(model="chat-a", input=f"weather for {EMAIL}", tools=tools)
    call = first.output[0]
    second = client.responses.create(model="chat-a", tools=tools, previous_response_id=first.id, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}])
    assert second.output_text == "sunny"
    messages = upstream.requests_to("/chat/completions")[-1].json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["id"] == call.call_id == messages[2]["tool_call_id"]


def test_store_false_keeps_nothing(gw: RunningGateway) -> None:
    created = gw.client().responses.create(model="chat-a", input="forget me", store=False)
    with pytest.raises(openai.NotFoundError):
        gw.client().responses.retrieve(created.id)


def test_another_team_sees_nothing(gw: RunningGateway) -> None:
    created = gw.client("alpha").responses.create(model="chat-b", input="alpha's secret plan")
    other = gw.client("beta")
    for call in (lambda: other.responses.retrieve(created.id), lambda: other.responses.delete(created.id),
                 lambda: other.responses.create(model="chat-b", input="and?", previous_response_id=created.id)):
        with pytest.raises(openai.NotFoundError) as raised:
            call()
        assert "secret" not in raised.value.response.text
    assert gw.client("alpha").responses.retrieve(created.id).output_text == "alpha's secret plan"


def test_previous_response_id_rebuilds_the_conversation(gw: RunningGateway, upstream: FakeUpstream) -> None:
    client = gw.client()
    first = client.responses.create(model="chat-a", instructions="Be brief.", input="the door is blue")
    second = client.responses.create(model="chat-a", input="what colour is the door", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    messages = upstream.requests_to("/chat/completions")[-1].json["messages"]
    # OpenAI does not carry instructions over to the next turn; the items and the answer are.
    assert messages == [{"role": "user", "content": "the door is blue"},
                        {"role": "assistant", "content": "the door is blue"},
                        {"role": "user", "content": "what colour is the door"}]
    third = client.responses.create(model="chat-a", input="and now", previous_response_id=second.id, store=False)
    assert len(upstream.requests_to("/chat/completions")[-1].json["messages"]) == 5 and third.output_text
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="chat-a", input="hi", previous_response_id="resp_missing")


def test_stored_text_is_masked_like_the_exchange_log(gw: RunningGateway, upstream: FakeUpstream) -> None:
    created = gw.client().responses.create(model="chat-a", input=f"write to {EMAIL} please")
    assert EMAIL in created.output_text  # the caller gets the answer as it is
    with Session(gw.engine) as session:
        row = session.get(StoredResponse, created.id)
        assert row is not None and row.team == "alpha"
        stored = str(row.input_items) + str(row.response)
    assert EMAIL not in stored and "<EMAIL_ADDRESS>" in stored
    assert EMAIL not in gw.client().responses.retrieve(created.id).output_text
    gw.client().responses.create(model="chat-a", input="and then?", previous_response_id=created.id)
    replayed = str(upstream.requests_to("/chat/completions")[-1].json["messages"])
    assert EMAIL not in replayed and "<EMAIL_ADDRESS>" in replayed  # a follow-up replays the masked history


def test_streamed_responses_are_stored(gw: RunningGateway) -> None:
    events = list(gw.client().responses.create(model="chat-a", input="streamed and kept", stream=True))
    final = events[-1].response
    assert gw.client().responses.retrieve(final.id).output_text == "streamed and kept"


def test_expired_responses_are_purged(gw: RunningGateway) -> None:
    created = gw.client().responses.create(model="chat-a", input="short lived")
    assert gw.gateway.guardrails.policy(None) is None  # no policy: the default retention, 30 days
    with Session(gw.engine) as session:
        row = session.get(StoredResponse, created.id)
        assert row is not None and row.retention_until > utcnow() + timedelta(days=29)
    assert purge_expired_responses(gw.engine, utcnow() + timedelta(days=31)) == 1
    with pytest.raises(openai.NotFoundError):
        gw.client().responses.retrieve(created.id)


def test_an_answer_that_cannot_be_stored_still_reaches_the_caller(gw: RunningGateway) -> None:
    with gw.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE stored_responses")
    created = gw.client().responses.create(model="chat-a", input="kept nowhere")
    assert created.output_text == "kept nowhere" and created.store is False
    streamed = list(gw.client().responses.create(model="chat-a", input="nor here", stream=True))
    assert streamed[-1].type == "response.completed" and streamed[-1].response.store is False


def test_input_tokens_estimate(gw: RunningGateway, upstream: FakeUpstream) -> None:
    client = gw.client()
    short = client.responses.input_tokens.count(model="chat-a", input="hi")
    long = client.responses.input_tokens.count(model="chat-a", input="hi " * 400, instructions="Be brief.")
    assert 0 < short.input_tokens < long.input_tokens and short.object == "response.input_tokens"
    assert not upstream.requests_to("/chat/completions")
    with pytest.raises(openai.PermissionDeniedError):
        gw.client("beta").responses.input_tokens.count(model="chat-a", input="hi")
