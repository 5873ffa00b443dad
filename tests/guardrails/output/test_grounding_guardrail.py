from __future__ import annotations

import pytest

from guardrails.base import CheckContext, Segment
from guardrails.grounding import GroundingGuardrail, GroundingOptions, GroundingScorer

DOCS = (
    "The Eiffel Tower is in Paris. It was completed in 1889 and is 330 metres tall. "
    "Gustave Eiffel's company designed and built it.",
    "The Louvre is the world's most-visited museum. It is not open on Tuesdays. The museum holds the Mona Lisa.",
    "The Seine flows through Paris and into the English Channel at Le Havre.",
)


@pytest.fixture(scope="module")
def scorer() -> GroundingScorer:
    return GroundingScorer()


@pytest.mark.parametrize(
    "answer",
    [
        "The Eiffel Tower was completed in 1889.",
        "The Louvre holds the Mona Lisa.",
        "The tower is 330 metres tall.",
        "The Louvre is not open on Tuesdays.",
        "The Seine flows into the English Channel at Le Havre.",
        "Sure! The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall.",
        "Overall, the Eiffel Tower is 330 metres tall.",
        "However, the Louvre is not open on Tuesdays.",
        "Basically the Louvre holds the Mona Lisa.",
    ],
)
def test_grounded_claims_pass(scorer: GroundingScorer, answer: str) -> None:
    result = scorer.score(answer, DOCS)
    assert result.score >= scorer.combiner.threshold, result


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("The Eiffel Tower was completed in 1901.", "number"),
        ("The tower is 450 metres tall.", "number"),
        ("The Eiffel Tower was completed in March 1889.", "number"),
        ("The Louvre is open on Tuesdays.", "negation"),
        ("The Eiffel Tower was never completed.", "negation"),
        ("The Eiffel Tower was designed by Frank Lloyd Wright.", "name"),
        ("The Seine flows into the English Channel at Marseille.", "name"),
        ("Bananas are rich in potassium and vitamin B6.", "content words"),
    ],
)
def test_contradictions_and_unsupported_claims_fail(scorer: GroundingScorer, answer: str, reason: str) -> None:
    result = scorer.score(answer, DOCS)
    assert result.score < scorer.combiner.threshold
    assert any(reason in r for c in result.claims for r in c.reasons), result


def test_only_the_unsupported_sentence_is_low(scorer: GroundingScorer) -> None:
    answer = "The Louvre holds the Mona Lisa. It also holds the Ark of the Covenant."
    result = scorer.score(answer, DOCS)
    good, bad = result.claims
    assert good.score >= scorer.combiner.threshold > bad.score
    assert answer[bad.start:bad.end] == "It also holds the Ark of the Covenant."


@pytest.mark.parametrize(
    ("answer", "sources", "bad"),
    [
        ("The Eiffel Tower was completed in 1889 [1].", [(1,)], ()),
        ("The Louvre holds the Mona Lisa [2]. The Seine flows through Paris [3].", [(2,), (3,)], ()),
        ("The Louvre holds the Mona Lisa [7].", [(2,)], (7,)),
        ("The Louvre holds the Mona Lisa (Source 4), see also [2, 9].", [(2,)], (4, 9)),
    ],
)
def test_citations(scorer: GroundingScorer, answer: str, sources: list[tuple[int, ...]], bad: tuple[int, ...]) -> None:
    result = scorer.score(answer, DOCS)
    assert [c.sources[:1] for c in result.claims] == sources
    assert result.bad_citations == bad


def test_numbered_sources_inside_one_document(scorer: GroundingScorer) -> None:
    context = ["[1] The Louvre holds the Mona Lisa.\n[2] The Seine flows through Paris."]
    result = scorer.score("The Seine flows through Paris [2]. The Louvre holds the Mona Lisa [3].", context)
    assert result.claims[0].sources == (2,)
    assert result.bad_citations == (3,)


def test_question_restatement_is_not_a_hallucination(scorer: GroundingScorer) -> None:
    context = ["The Oberoi Group is a hotel company with its head office in Delhi."]
    question = "The Oberoi family is part of a hotel company that has a head office in what city?"
    right = scorer.score("Delhi", context, question)
    wrong = scorer.score("Mumbai, the financial capital of India.", context, question)
    assert right.score > scorer.combiner.threshold > wrong.score


def test_answer_without_claims_is_grounded(scorer: GroundingScorer) -> None:
    assert scorer.score("Sure! Haha.", DOCS).score == 1.0


async def _check(options: GroundingOptions, answer: str, docs: tuple[str, ...] = DOCS):  # type: ignore[no-untyped-def]
    guardrail = GroundingGuardrail(options)
    await guardrail.setup()
    segments = [Segment("When was it built?", "user", 0), Segment(answer, "output", 1)]
    return await guardrail.check(segments, CheckContext(stage="output", documents=docs))


@pytest.mark.parametrize(
    ("options", "answer", "action", "kinds"),
    [
        (GroundingOptions(), "The Eiffel Tower was completed in 1889 [1].", "allow", {"citation"}),
        (GroundingOptions(), "The Eiffel Tower was completed in 1901.", "annotate", {"ungrounded", "citation"}),
        (GroundingOptions(mode="flag"), "The Louvre holds the Mona Lisa [5].", "flag", {"citation", "bad_citation"}),
        (GroundingOptions(flag_bad_citations=False), "The Louvre holds the Mona Lisa [5].", "allow",
         {"citation", "bad_citation"}),
        (GroundingOptions(mode="block"), "Bananas are blue.", "block", {"ungrounded"}),
        (GroundingOptions(threshold=0.0), "Bananas are blue.", "allow", set()),
    ],
)
async def test_guardrail_actions(options: GroundingOptions, answer: str, action: str, kinds: set[str]) -> None:
    verdict = await _check(options, answer)
    assert verdict.action == action
    assert {f.kind for f in verdict.findings} == kinds
    assert all(f.segment == 1 for f in verdict.findings)
    for finding in verdict.findings:
        if finding.kind == "ungrounded":
            assert answer[finding.start:finding.end] in finding.detail  # type: ignore[index, operator]


async def test_block_replace_and_append_note() -> None:
    replaced = await _check(GroundingOptions(mode="block", on_block="replace", replacement="No."), "Bananas are blue.")
    assert replaced.rewritten == ("When was it built?", "No.")
    noted = await _check(GroundingOptions(append_note=True, note=" [unverified]"), "Bananas are blue.")
    assert noted.action == "annotate"
    assert noted.rewritten == ("When was it built?", "Bananas are blue. [unverified]")
    untouched = await _check(GroundingOptions(append_note=True), "The Louvre holds the Mona Lisa.")
    assert untouched.action == "allow" and untouched.rewritten is None


async def test_no_documents_means_nothing_to_check() -> None:
    verdict = await _check(GroundingOptions(mode="block"), "Bananas are blue.", ())
    assert verdict.action == "allow"
    assert verdict.findings == ()


def test_batch_records(scorer: GroundingScorer) -> None:
    from guardrails.grounding.batch import score_records

    records = [
        {"context": list(DOCS), "answer": "The Louvre holds the Mona Lisa [2]."},
        {"context": DOCS[0], "answer": "It was completed in 1901.", "question": "When was the Eiffel Tower built?"},
    ]
    good, bad = score_records(scorer, records)
    assert good.score >= scorer.combiner.threshold > bad.score
    with pytest.raises(ValueError, match="record 1: .*'context'"):
        score_records(scorer, [records[0], {"answer": "x", "context": 3}])
