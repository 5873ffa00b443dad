"""Variable checking, gateway/store sources, and parsing prompt references from requests."""

from __future__ import annotations

import pytest

from gateway.prompts import (
    PromptRef,
    PromptRequestError,
    PromptVariableError,
    parse_model_ref,
    parse_prompt_body,
    parse_ref,
    render_prompt,
)
from gateway.prompts.document import parse_document
from gateway.prompts.model import ResolvedPrompt

TEXT = """---
name: typed
description: d
owner: o
team: t
model: m
variables:
  s: {type: string, max_length: 5}
  i: {type: integer, required: false}
  n: {type: number, required: false}
  b: {type: boolean, required: false}
  a: {type: array, items: integer, required: false}
  o: {type: object, required: false}
  e: {type: string, enum: [x, y], default: x}
  fixed: {type: string, source: store, default: F}
  today: {type: string, source: gateway}
---
## system
{{ fixed }} {{ today }}
## user
{{ s }}|{{ i }}|{{ n }}|{{ b }}|{{ a }}|{{ o }}|{{ e }}|{{ fixed }}
"""


@pytest.fixture(scope="module")
def prompt() -> ResolvedPrompt:
    doc = parse_document(TEXT, "typed.md", "typed")
    assert doc.spec is not None and not doc.errors, [str(i) for i in doc.errors]
    return ResolvedPrompt("typed", doc.spec, doc.messages, "b" * 40, "typed.md", "h", "production")


GATEWAY = {"today": "2025-01-02"}
BAD = [
    ({}, "s", "required"),
    ({"s": 3}, "s", "type string, got integer"),
    ({"s": "toolong"}, "s", "longer than 5"),
    ({"s": "ok", "i": True}, "i", "type integer, got boolean"),
    ({"s": "ok", "i": 1.5}, "i", "type integer, got number"),
    ({"s": "ok", "n": "1"}, "n", "type number, got string"),
    ({"s": "ok", "n": float("nan")}, "n", "type number"),
    ({"s": "ok", "b": 1}, "b", "type boolean, got integer"),
    ({"s": "ok", "a": [1, "2"]}, "a", "item 1 must be of type integer"),
    ({"s": "ok", "a": (1, 2)}, "a", "type array, got tuple"),
    ({"s": "ok", "o": [1]}, "o", "type object, got array"),
    ({"s": "ok", "o": {"k": object()}}, "o", "only JSON values"),
    ({"s": "ok", "o": {1: "x"}}, "o", "only JSON values"),
    ({"s": "ok", "e": "z"}, "e", "must be one of"),
    ({"s": "ok", "zzz": 1}, "zzz", "not declared"),
    ({"s": "ok", "fixed": "mine"}, "fixed", "set by the store"),
    ({"s": "ok", "today": "forged"}, "today", "set by the gateway"),
]


@pytest.mark.parametrize(("variables", "name", "fragment"), BAD)
def test_bad_variables_are_named(
    prompt: ResolvedPrompt, variables: dict[str, object], name: str, fragment: str
) -> None:
    with pytest.raises(PromptVariableError, match=fragment) as info:
        render_prompt(prompt, variables, GATEWAY)
    assert info.value.variable == name
    assert info.value.http_status == 400


def test_missing_gateway_variable_is_reported(prompt: ResolvedPrompt) -> None:
    with pytest.raises(PromptVariableError, match="required") as info:
        render_prompt(prompt, {"s": "ok"})
    assert info.value.variable == "today"


def test_good_variables_render_with_defaults_and_metadata(prompt: ResolvedPrompt) -> None:
    out = render_prompt(prompt, {"s": "hi", "i": 3, "n": 2, "b": False, "a": [1], "o": {"k": 1}}, GATEWAY)
    assert [m.role for m in out.messages] == ["system", "user"]
    assert out.messages[0].content == "F 2025-01-02"
    assert out.messages[1].content == "hi|3|2|False|[1]|{'k': 1}|x|F"
    assert (out.prompt_name, out.label, out.commit_sha, out.model) == ("typed", "production", "b" * 40, "m")
    again = render_prompt(prompt, {"s": "hi", "i": 3, "n": 2, "b": False, "a": [1], "o": {"k": 1}}, GATEWAY)
    other = render_prompt(prompt, {"s": "ho"}, GATEWAY)
    assert len(out.template_hash) == 64 and out.template_hash == again.template_hash != other.template_hash


REFS = [
    ("support-answer", PromptRef("support-answer")),
    ("support-answer@production", PromptRef("support-answer", label="production")),
    ("support-answer@latest", PromptRef("support-answer", label="latest")),
    ("support-answer@abc1234", PromptRef("support-answer", version="abc1234")),
    ("x@" + "f" * 40, PromptRef("x", version="f" * 40)),
    ("x@cafe", PromptRef("x", label="cafe")),
]


@pytest.mark.parametrize(("text", "expected"), REFS)
def test_parse_ref(text: str, expected: PromptRef) -> None:
    assert parse_ref(text) == expected
    assert parse_model_ref(f"prompt:{text}") == expected


@pytest.mark.parametrize("text", ["", "Bad", "x@", "x@UP", "x@a b", "../etc@production", "x@latest@y", "-x"])
def test_bad_refs_are_400(text: str) -> None:
    with pytest.raises(PromptRequestError):
        parse_ref(text)


def test_model_without_prefix_is_not_a_prompt() -> None:
    assert parse_model_ref("gpt-4o-mini") is None


def test_parse_prompt_body() -> None:
    req = parse_prompt_body({"name": "a", "label": "staging", "variables": {"q": "hi", "n": [1]}})
    assert req.ref == PromptRef("a", label="staging") and req.variables == {"q": "hi", "n": [1]}
    assert parse_prompt_body({"name": "a", "version": "abcdef1"}).ref.version == "abcdef1"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a", "label": "x", "version": "abcdef1"},
        {"name": "a", "extra": 1},
        {"label": "x"},
        {"name": 3},
        {"name": "a", "variables": []},
        "prompt:a",
        None,
    ],
)
def test_bad_prompt_body_is_400(body: object) -> None:
    with pytest.raises(PromptRequestError):
        parse_prompt_body(body)
