"""Tool-call arguments as the guardrails read them: each value on its own, masked values written back as JSON."""

from __future__ import annotations

import json

import pytest

from gateway.pipeline.tool_arguments import json_escape, split, text_calls
from guardrails.pii.stream import StreamRestorer
from guardrails.pii.vault import PlaceholderVault

ARGS = json.dumps({"to": "jane@example.com", "cc": ["a@example.com", ""], "meta": {"phone": 33612345678,
                                                                                  "urgent": True, "note": None}})


def test_each_string_and_number_value_is_a_segment_of_its_own() -> None:
    call = split(ARGS, 2, 1, "send_mail")
    assert [s.text for s in call.segments] == ["jane@example.com", "a@example.com", "33612345678"]
    assert call.paths == (("to",), ("cc", 0), ("meta", "phone"))
    assert {(s.role, s.message_index, s.part_index, s.source) for s in call.segments} == {
        ("tool_call", 2, 1, "send_mail")}


def test_rebuild_writes_changed_values_back_as_valid_json() -> None:
    call = split(ARGS, 0, 0, None)
    rebuilt = json.loads(call.rebuild(["<EMAIL_ADDRESS_1>", "a@example.com", "<PHONE_NUMBER_1>"]))
    assert rebuilt == {"to": "<EMAIL_ADDRESS_1>", "cc": ["a@example.com", ""],
                       "meta": {"phone": "<PHONE_NUMBER_1>", "urgent": True, "note": None}}
    assert call.rebuild([s.text for s in call.segments]) is ARGS  # nothing masked: the model's text untouched


@pytest.mark.parametrize("arguments", ["not json {", '"a bare string"', "42", ""])
def test_arguments_that_are_not_an_object_or_array_are_one_raw_segment(arguments: str) -> None:
    call = split(arguments, 0, 0, None)
    assert [s.text for s in call.segments] == [arguments] and call.paths is None
    assert call.rebuild(["masked"]) == "masked"


def test_empty_arguments_have_nothing_to_check() -> None:
    call = split('{"flag": true}', 0, 0, None)
    assert call.segments == () and call.rebuild([]) == '{"flag": true}'


def test_text_calls_skip_calls_without_text_arguments() -> None:
    calls = [{"function": {"name": "a", "arguments": "{}"}}, {"function": {"name": "b"}}, "junk",
             {"function": {"name": "c", "arguments": "[]"}}]
    assert [(n, f["name"]) for n, f in text_calls(calls)] == [(0, "a"), (3, "c")]
    assert text_calls(None) == [] and text_calls("x") == []


def _vault_with(value: str) -> tuple[PlaceholderVault, str]:
    vault = PlaceholderVault()
    return vault, vault.placeholder_for("PERSON", value)


def test_values_restored_into_json_are_escaped() -> None:
    vault, placeholder = _vault_with('Jean "JD" Dupont\\Paris')
    arguments = json.dumps({"to": f"Dear {placeholder}"})
    restored = vault.restore(arguments, json_escape)
    assert json.loads(restored) == {"to": 'Dear Jean "JD" Dupont\\Paris'}
    assert vault.restore(f"Dear {placeholder}") == 'Dear Jean "JD" Dupont\\Paris'  # plain text: as is


@pytest.mark.parametrize("size", [1, 2, 5, 100])
def test_streamed_arguments_restore_escaped_whatever_the_split(size: int) -> None:
    vault, placeholder = _vault_with('Ana "Zé" Silva')
    arguments = json.dumps({"to": placeholder, "body": f"Hello {placeholder}!"})
    restorer = StreamRestorer(vault, json_escape)
    out = "".join(restorer.feed(arguments[i : i + size]) for i in range(0, len(arguments), size)) + restorer.flush()
    assert json.loads(out) == {"to": 'Ana "Zé" Silva', "body": 'Hello Ana "Zé" Silva!'}
