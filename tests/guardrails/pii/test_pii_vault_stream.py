from __future__ import annotations

import pytest

from guardrails.pii.stream import StreamRestorer
from guardrails.pii.vault import PlaceholderVault


def test_same_value_same_placeholder_across_messages() -> None:
    vault = PlaceholderVault()
    first = vault.placeholder_for("PERSON", "Marie Curie")
    assert vault.placeholder_for("PERSON", "marie  curie") == first
    assert vault.placeholder_for("PERSON", "Pierre Curie") == "<PERSON_2>"
    assert vault.placeholder_for("PHONE_NUMBER", "06 12 34 56 78") == "<PHONE_NUMBER_1>"
    assert vault.placeholder_for("PHONE_NUMBER", "06.12.34.56.78") == "<PHONE_NUMBER_1>"
    assert first == "<PERSON_1>"


def test_restore_puts_values_back_and_leaves_unknown_placeholders() -> None:
    vault = PlaceholderVault()
    vault.placeholder_for("PERSON", "Marie Curie")
    vault.placeholder_for("EMAIL_ADDRESS", "marie@example.org")
    text = "Dear <PERSON_1>, we wrote to <EMAIL_ADDRESS_1> and <PERSON_7>."
    assert vault.restore(text) == "Dear Marie Curie, we wrote to marie@example.org and <PERSON_7>."


def test_output_only_values_are_not_restored() -> None:
    vault = PlaceholderVault()
    vault.placeholder_for("PERSON", "Marie Curie")
    leaked = vault.placeholder_for("PERSON", "Albert Einstein", restorable=False)
    assert vault.restore(f"<PERSON_1> met {leaked}") == f"Marie Curie met {leaked}"
    # a value the caller sent is restorable even if the answer repeats it
    assert vault.placeholder_for("PERSON", "Marie Curie", restorable=False) == "<PERSON_1>"
    assert vault.value_of("<PERSON_1>") == "Marie Curie"


def test_vault_repr_hides_values() -> None:
    vault = PlaceholderVault()
    vault.placeholder_for("PERSON", "Marie Curie")
    assert "Marie" not in repr(vault)


ANSWER = "Bonjour <PERSON_1>, votre numéro <PHONE_NUMBER_12> est noté. a<b <c> <PERSON_9> fin <"


def _vault() -> PlaceholderVault:
    vault = PlaceholderVault()
    vault.placeholder_for("PERSON", "Marie Curie")
    for i in range(1, 13):
        vault.placeholder_for("PHONE_NUMBER", f"06 12 34 56 {i:02d}")
    return vault


def test_stream_restorer_every_split_position() -> None:
    vault = _vault()
    expected = vault.restore(ANSWER)
    assert "Marie Curie" in expected and "06 12 34 56 12" in expected
    for cut in range(len(ANSWER) + 1):
        restorer = StreamRestorer(vault)
        emitted = [restorer.feed(ANSWER[:cut]), restorer.feed(ANSWER[cut:])]
        emitted.append(restorer.flush())
        assert "".join(emitted) == expected, cut
        for chunk in emitted[:2]:
            assert "<PERSON_1" not in chunk and "<PHONE_NUMBER_1" not in chunk


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_stream_restorer_small_deltas_never_emit_partial_placeholder(size: int) -> None:
    vault = _vault()
    restorer = StreamRestorer(vault)
    out = ""
    for start in range(0, len(ANSWER), size):
        chunk = restorer.feed(ANSWER[start : start + size])
        out += chunk
        assert not any(p in out for p in ("<PERSON_1>", "<PHONE_NUMBER_12>"))
    out += restorer.flush()
    assert out == vault.restore(ANSWER)


def test_stream_restorer_holds_back_only_possible_placeholders() -> None:
    restorer = StreamRestorer(_vault())
    assert restorer.feed("a < b") == "a < b"
    assert restorer.feed(" and <PER") == " and "
    assert restorer.feed("SON_1> done") == "Marie Curie done"
    assert restorer.flush() == ""
