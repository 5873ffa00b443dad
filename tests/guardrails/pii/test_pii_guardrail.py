from __future__ import annotations

import pytest

from guardrails.base import CheckContext, Segment
from guardrails.pii import VAULT_KEY, PiiGuardrail, PiiOptions, PlaceholderVault
from guardrails.pii.engine import PiiEngine


def _guard(**options: object) -> PiiGuardrail:
    return PiiGuardrail(PiiOptions(**options))


SEGMENTS = (
    Segment("You are a helpful assistant.", "system", 0),
    Segment("Hi, I am John Smith, reach me at john.smith@example.com or 06 12 34 56 78.", "user", 1),
    Segment("Thanks John Smith, I will email john.smith@example.com.", "assistant", 2),
)


async def test_mask_mode_rewrites_every_segment_consistently(engine: PiiEngine) -> None:
    context = CheckContext()
    verdict = await _guard().check(SEGMENTS, context)
    assert verdict.action == "mask" and verdict.rewritten is not None
    system, user, assistant = verdict.rewritten
    assert system == SEGMENTS[0].text
    assert user == "Hi, I am <PERSON_1>, reach me at <EMAIL_ADDRESS_1> or <PHONE_NUMBER_1>."
    assert assistant == "Thanks <PERSON_1>, I will email <EMAIL_ADDRESS_1>."
    vault = context.state[VAULT_KEY]
    assert isinstance(vault, PlaceholderVault)
    assert vault.restore(user) == SEGMENTS[1].text


async def test_vault_is_shared_by_later_checks_of_the_request(engine: PiiEngine) -> None:
    context = CheckContext()
    guard = _guard()
    await guard.check(SEGMENTS[1:2], context)
    verdict = await guard.check((Segment("Is John Smith there?", "user", 3),), context)
    assert verdict.rewritten == ("Is <PERSON_1> there?",)


@pytest.mark.parametrize("mode", ["block", "flag"])
async def test_block_and_flag_report_findings_without_values(engine: PiiEngine, mode: str) -> None:
    verdict = await _guard(mode=mode).check(SEGMENTS, CheckContext())
    assert verdict.action == mode and verdict.rewritten is None
    kinds = {(f.kind, f.segment) for f in verdict.findings}
    assert {("PERSON", 1), ("EMAIL_ADDRESS", 1), ("PHONE_NUMBER", 1), ("EMAIL_ADDRESS", 2)} <= kinds
    text = SEGMENTS[1].text
    email = next(f for f in verdict.findings if f.kind == "EMAIL_ADDRESS" and f.segment == 1)
    assert text[email.start : email.end] == "john.smith@example.com"
    assert all(f.detail is None for f in verdict.findings)
    assert "john" not in str(verdict.summary()).lower() and "john" not in (verdict.message or "").lower()


async def test_clean_text_is_allowed(engine: PiiEngine) -> None:
    verdict = await _guard().check((Segment("What is the capital of France?", "user", 0),), CheckContext())
    assert verdict.action == "allow" and not verdict.findings and verdict.rewritten is None


async def test_entities_option_limits_what_is_reported(engine: PiiEngine) -> None:
    verdict = await _guard(mode="flag", entities=["EMAIL_ADDRESS"]).check(SEGMENTS, CheckContext())
    assert {f.kind for f in verdict.findings} == {"EMAIL_ADDRESS"}


async def test_roles_option_skips_other_segments(engine: PiiEngine) -> None:
    verdict = await _guard(mode="flag", roles=("assistant",)).check(SEGMENTS, CheckContext())
    assert {f.segment for f in verdict.findings} == {2}


async def test_output_stage_restores_request_values_and_masks_new_ones(engine: PiiEngine) -> None:
    context = CheckContext()
    guard = _guard()
    await guard.check(SEGMENTS[1:2], context)
    answer = Segment("Sure <PERSON_1>, I also told Albert Einstein at albert@example.org.", "output")
    verdict = await guard.check((answer,), CheckContext(stage="output", state=context.state))
    assert verdict.action == "mask" and verdict.rewritten is not None
    (text,) = verdict.rewritten
    assert text.startswith("Sure John Smith, I also told <PERSON_2> at <EMAIL_ADDRESS_2>")
    assert {f.kind for f in verdict.findings} == {"PERSON", "EMAIL_ADDRESS"}


async def test_output_stage_without_restore_keeps_placeholders(engine: PiiEngine) -> None:
    context = CheckContext()
    guard = _guard(restore_output=False)
    await guard.check(SEGMENTS[1:2], context)
    answer = Segment("Mail albert@example.org, <PERSON_1>.", "output")
    verdict = await guard.check((answer,), CheckContext(stage="output", state=context.state))
    assert verdict.rewritten == ("Mail <EMAIL_ADDRESS_2>, <PERSON_1>.",)
    assert context.state[VAULT_KEY].restore_output is False


async def test_french_message_with_configured_language(engine: PiiEngine) -> None:
    segment = Segment("Bonjour, je suis Marie Dupont, SIRET 732 829 320 00074.", "user", 0)
    verdict = await _guard(language="fr").check((segment,), CheckContext())
    assert verdict.rewritten == ("Bonjour, je suis <PERSON_1>, SIRET <FR_SIRET_1>.",)


def test_options_are_strict() -> None:
    with pytest.raises(ValueError):
        PiiOptions(entities=["SHOE_SIZE"])
    with pytest.raises(ValueError):
        PiiOptions(threshold=1.5)
    with pytest.raises(ValueError):
        PiiOptions(language="de")
    assert PiiGuardrail.default_on_error == "block" and PiiOptions().mode == "mask"


def test_repeated_texts_come_from_the_cache_with_the_same_entities(engine: PiiEngine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cached = PiiEngine(cache_size=8)
    cached._analyzer, cached._names = engine._analyzer, engine._names  # the loaded models, shared
    history = ["Hello, I am Jean Dupont, write to jean.dupont@example.com.", "Call me on 06 12 34 56 78."]
    first = cached.analyze_batch(history)
    analysed: list[list[str]] = []
    real = cached._analyze_language

    def spy(texts: list[str], language: str, threshold: float, wanted: frozenset[str]):  # type: ignore[no-untyped-def]
        analysed.append(texts)
        return real(texts, language, threshold, wanted)

    monkeypatch.setattr(cached, "_analyze_language", spy)
    again = cached.analyze_batch([*history, "And my IBAN is FR76 3000 6000 0112 3456 7890 189."])
    assert again[:2] == first and analysed == [["And my IBAN is FR76 3000 6000 0112 3456 7890 189."]]
    assert [e.entity_type for e in again[2]] == ["IBAN_CODE"]
    cached.analyze_batch(history, threshold=0.99)
    assert analysed[-1] == history  # the threshold is part of the key: analysed again
    assert engine.analyze_batch(history) == first  # the same entities as an engine that analyses afresh
