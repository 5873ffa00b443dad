"""SSRF and denial of service through a client's JSON schema (`response_format` with the json_schema
guardrail): no `$ref` is ever fetched or read from disk, a bad one is a 400 that says the same whatever the
file system holds, and a schema asking for exponential work cannot hold the gateway."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from guardrails.base import CheckContext, Segment
from guardrails.output_format import JsonSchemaGuardrail, JsonSchemaOptions
from guardrails.schema_validation import (
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
    SchemaRefused,
    ValidationExpired,
    schema_errors,
    schema_problem,
)
from tests.security.canary import Canary
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway


def _format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": schema}}


def _refs(canary: Canary) -> dict[str, dict[str, Any]]:
    return {
        "http": {"type": "object", "properties": {"a": {"$ref": canary.url + "/a.json"}}},
        "http-root": {"$ref": canary.url + "/root.json#/x"},
        "file": {"properties": {"a": {"$ref": "file:///etc/hostname"}}},
        "file-missing": {"properties": {"a": {"$ref": "file:///nonexistent/warden-canary"}}},
        "relative-to-remote-id": {"$id": canary.url + "/base/", "properties": {"a": {"$ref": "other.json"}}},
        "dynamic": {"$dynamicRef": canary.url + "/d.json#meta"},
        "nested-defs": {"$defs": {"x": {"items": {"$ref": canary.url + "/deep.json"}}}, "$ref": "#/$defs/x"},
    }


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels // 2):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def _post(gw: RunningGateway, team: str, body: dict[str, Any], timeout: float = 30) -> httpx.Response:
    with httpx.Client(base_url=gw.base_url, timeout=timeout) as http:
        return http.post("/v1/chat/completions", json=body, headers={"authorization": f"Bearer {gw.keys[team]}"})


@pytest.mark.parametrize("model", ["native-chat", "lit-chat"])
@pytest.mark.parametrize("stream", [False, True])
def test_remote_and_file_refs_are_refused_before_anything_is_fetched(
        target: RunningGateway, canary: Canary, good_upstream: FakeUpstream, model: str, stream: bool) -> None:
    errors = {}
    for name, schema in _refs(canary).items():
        good_upstream.enqueue(reply='{"a": {"b": 1}}')
        response = _post(target, "schema", {"model": model, "stream": stream, "response_format": _format(schema),
                                            "messages": [{"role": "user", "content": "json please"}]})
        assert response.status_code == 400, (name, response.text)
        error = response.json()["error"]
        assert error["param"] == "response_format.json_schema" and "'#'" in error["message"], error
        errors[name] = error["message"].replace("/etc/hostname", "X").replace("/nonexistent/warden-canary", "X")
    good_upstream.reset()
    assert canary.connections == 0, canary.received[:2]
    # The answer is the same whether the file exists or not: no oracle on the gateway's disk.
    assert errors["file"] == errors["file-missing"]


async def test_the_guardrail_refuses_refs_it_is_given_directly(canary: Canary) -> None:
    """Schemas that do not come through the API (a stored prompt's) meet the same registry: nothing is fetched;
    the check is a guardrail error (it follows `on_error`), the same for a file that exists and one that doesn't."""
    guardrail = JsonSchemaGuardrail(JsonSchemaOptions())
    await guardrail.setup()
    segments = [Segment("json", "user", 0), Segment('{"a": {"b": 1}}', "output", 1)]
    messages = []
    for schema in _refs(canary).values():
        with pytest.raises(ValueError) as raised:
            await guardrail.check(segments, CheckContext(stage="output", json_schema=schema))
        messages.append(str(raised.value))
    assert canary.connections == 0
    assert all("refused" in m for m in messages), messages


def _exponential_schema(levels: int = 30) -> dict[str, Any]:
    """Small, in-document, valid, and 2**levels evaluations: a validator without a budget runs for hours."""
    defs: dict[str, Any] = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
                            for i in range(levels)}
    defs[f"d{levels}"] = {"type": "object"}
    return {"$defs": defs, "$ref": "#/$defs/d0"}


def test_a_hostile_schema_does_not_hold_the_gateway(target: RunningGateway, good_upstream: FakeUpstream) -> None:
    good_upstream.reset()
    good_upstream.enqueue(reply='{"a": 1}')
    outcome: dict[str, httpx.Response] = {}
    body = {"model": "native-chat", "response_format": _format(_exponential_schema()),
            "messages": [{"role": "user", "content": "json please"}]}
    hostile = threading.Thread(target=lambda: outcome.setdefault("r", _post(target, "slow", body, timeout=60)))
    hostile.start()
    while not good_upstream.requests and hostile.is_alive():
        hostile.join(0.01)
    # The answer is back and being validated (for up to the policy's 10 s budget): the gateway still serves.
    with httpx.Client(base_url=target.base_url, timeout=8) as http:
        assert http.get("/healthz").status_code == 200
        answered = _post(target, "alpha", {"model": "native-chat", "messages": [{"role": "user", "content": "hi"}]})
        assert answered.status_code == 200
    assert hostile.is_alive(), "the hostile validation ended before the gateway was probed"
    hostile.join(60)
    response = outcome["r"]
    assert response.status_code < 500, response.text
    verdicts = target.row(response.headers["x-request-id"]).guardrails or []
    assert [(v["guardrail"], v["action"]) for v in verdicts] == [("json_schema", "error")], verdicts


@pytest.mark.parametrize(("schema", "problem"), [
    ({"$defs": {"a": {"type": "integer"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}, None),
    ({"$defs": {"a": {"$anchor": "here", "type": "string"}}, "$ref": "#here"}, None),
    ({"$ref": "https://json-schema.org/draft/2020-12/schema"}, "is not in the document"),
    ({"items": {"$recursiveRef": "other.json"}}, "is not in the document"),
    ({"properties": {"a": {"$ref": 7}}}, "is not in the document"),
    ({"description": "x" * (MAX_SCHEMA_BYTES + 1)}, "bytes; the limit is"),
    (_nested(MAX_SCHEMA_DEPTH + 1), "nests deeper than"),
    (_nested(MAX_SCHEMA_DEPTH - 2), None),
])
def test_schema_bounds(schema: dict[str, Any], problem: str | None) -> None:
    found = schema_problem(schema)
    assert (found is None) if problem is None else (problem in (found or "")), found


def test_validation_stops_at_its_budget_and_loops_are_refused() -> None:
    with pytest.raises(ValidationExpired):
        schema_errors(_exponential_schema(), {}, 0.2)
    with pytest.raises(SchemaRefused):
        schema_errors({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}, {}, 1.0)
    assert [e.message for e in schema_errors({"pattern": "^(a+)+$"}, "a" * 64 + "!", 1.0)] != []
