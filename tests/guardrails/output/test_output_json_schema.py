from __future__ import annotations

from typing import Any

import pytest

from guardrails.base import CheckContext, Segment
from guardrails.output_format import JsonSchemaGuardrail, JsonSchemaOptions, extract_json_text, unwrap_schema

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


async def _check(answer: str | list[str], schema: dict[str, Any] | None, **options: Any):  # type: ignore[no-untyped-def]
    guardrail = JsonSchemaGuardrail(JsonSchemaOptions(**options))
    await guardrail.setup()
    parts = [answer] if isinstance(answer, str) else answer
    segments = [Segment("give me json", "user", 0)] + [Segment(p, "output", 1, k) for k, p in enumerate(parts)]
    return await guardrail.check(segments, CheckContext(stage="output", json_schema=schema))


@pytest.mark.parametrize(
    ("answer", "schema", "options", "action", "in_message"),
    [
        ('{"name": "Ada", "age": 36}', SCHEMA, {}, "allow", None),
        ('```json\n{"name": "Ada", "age": 36}\n```', SCHEMA, {}, "allow", None),
        ('Here you go:\n```json\n{"name": "Ada", "age": 36}\n```\nAnything else?', SCHEMA, {}, "allow", None),
        ('```\n{"name": "Ada", "age": 36}\n```', SCHEMA, {}, "allow", None),
        ('```json\n{"name": "Ada", "age": 36}\n```', SCHEMA, {"allow_fences": False}, "block", "not valid JSON"),
        ('{"name": "Ada"}', SCHEMA, {}, "block", "'age' is a required property"),
        ('{"name": "Ada", "age": -1}', SCHEMA, {}, "block", "at age"),
        ('{"name": "Ada", "age": "36"}', SCHEMA, {}, "block", "is not of type 'integer'"),
        ('{"name": "Ada", "age": 36, "x": 1}', SCHEMA, {}, "block", "Additional properties"),
        ('{"name": "Ada", "age": 36', SCHEMA, {}, "block", "not valid JSON"),
        ("Sure! Ada is 36.", SCHEMA, {}, "block", "not valid JSON"),
        ('{"name": "Ada"}', SCHEMA, {"on_failure": "flag"}, "flag", "required"),
        ('{"name": "Ada"}', SCHEMA, {"mode": "flag", "on_failure": "retry"}, "block", "required"),
        ('{"name": "Ada"}', SCHEMA, {"mode": "flag"}, "flag", "required"),
        ("not json at all", None, {}, "allow", None),
        ("not json at all", {}, {}, "block", "not valid JSON"),
        ('{"any": ["json", 1]}', {}, {}, "allow", None),
        ("not json at all", {}, {"require_json": True}, "block", "not valid JSON"),
        ("not json at all", None, {"require_json": True}, "block", "not valid JSON"),
        ("[1, 2, 3]", {}, {"require_json": True}, "allow", None),
    ],
)
async def test_json_schema(
    answer: str, schema: dict[str, Any] | None, options: dict[str, Any], action: str, in_message: str | None
) -> None:
    verdict = await _check(answer, schema, **options)
    assert verdict.action == action
    if in_message is None:
        assert verdict.message is None and verdict.findings == ()
    else:
        assert in_message in (verdict.message or "")
        assert [f.kind for f in verdict.findings] == ["json_invalid"]
        assert verdict.findings[0].segment == 1


async def test_openai_wrapper_schema_is_unwrapped() -> None:
    wrapped = {"name": "person", "strict": True, "schema": SCHEMA}
    assert unwrap_schema(wrapped) == SCHEMA
    assert (await _check('{"name": "Ada", "age": 36}', wrapped)).action == "allow"
    assert (await _check('{"name": "Ada"}', wrapped)).action == "block"


async def test_answer_split_in_parts_is_joined() -> None:
    assert (await _check(['{"name": "Ada", ', '"age": 36}'], SCHEMA)).action == "allow"


async def test_invalid_schema_raises_for_on_error_handling() -> None:
    with pytest.raises(ValueError, match="invalid JSON schema"):
        await _check("{}", {"type": "no-such-type"})


def test_extract_prefers_the_fenced_block() -> None:
    assert extract_json_text('text ```json\n{"a": 1}\n``` more', True) == '{"a": 1}'
    assert extract_json_text('  {"a": 1} ', True) == '{"a": 1}'
