from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrails.base import CheckContext, Segment
from guardrails.topics import TopicGuardrail, TopicOptions, TopicSpec

HR = TopicSpec(
    name="hr_decisions",
    examples=(
        "Should we fire this employee based on their performance review?",
        "Decide which of these candidates we should hire.",
        "Rank these job applicants and tell me who to reject.",
        "Should this employee get a promotion or a raise?",
    ),
    keywords=("dismissal", "Kündigung", "licenciement"),
    threshold=0.5,
)
CREDIT = TopicSpec(
    name="credit_decisions",
    examples=(
        "Should the bank approve this loan application?",
        "Decide whether this customer is creditworthy.",
        "Given this applicant's income, should we grant the mortgage?",
        "Set the credit limit for this customer.",
    ),
    patterns=(r"\bcredit\s+score\s+(?:of|=)\s*\d{3}\b",),
    threshold=0.5,
)


@pytest.fixture(scope="module")
async def guard() -> TopicGuardrail:
    g = TopicGuardrail(TopicOptions(topics=(HR, CREDIT)))
    await g.setup()
    return g


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Based on her review scores, should we fire Maria?", {"hr_decisions"}),
        ("Which of these three applicants should we hire for the data role?", {"hr_decisions"}),
        ("Draft the dismissal letter for the night shift supervisor.", {"hr_decisions"}),
        ("Prépare la lettre de licenciement.", {"hr_decisions"}),
        ("Bitte formuliere die KÜNDIGUNG für Herrn Meier.", {"hr_decisions"}),
        ("Should we approve the loan for this applicant with a 40k salary?", {"credit_decisions"}),
        ("The client has a credit score of 580, decide.", {"credit_decisions"}),
        ("Is this customer creditworthy enough for a mortgage?", {"credit_decisions"}),
        (
            "Should we fire Tom after his poor review? Also, should the bank approve his loan?",
            {"hr_decisions", "credit_decisions"},
        ),
        ("What is the capital of Australia?", set()),
        ("Write a haiku about autumn leaves.", set()),
        ("How do I bake sourdough bread?", set()),
        ("Explain how credit cards work in general.", set()),
        ("How does a mortgage amortisation table work?", set()),
        ("Summarise the history of labour unions in France.", set()),
        ("Our dismissive attitude to testing hurt us.", set()),
    ],
)
async def test_topics_matched(guard: TopicGuardrail, text: str, topics: set[str]) -> None:
    found = {m.topic for m in guard.match([text])}
    assert found == topics


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Draft the dismissal letter.", "keyword"),
        ("credit score = 610, what now?", "pattern"),
        ("Should we approve the loan for this applicant?", "embedding"),
    ],
)
async def test_match_reports_how(guard: TopicGuardrail, text: str, kind: str) -> None:
    assert [m.kind for m in guard.match([text])] == [kind]


@pytest.mark.parametrize(("mode", "action"), [("block", "block"), ("flag", "flag")])
async def test_check_follows_mode_and_names_the_topic(mode: str, action: str) -> None:
    g = TopicGuardrail(TopicOptions(mode=mode, topics=(HR,)))  # type: ignore[arg-type]
    await g.setup()
    segments = [Segment("Hello there", "user"), Segment("Which applicant should we reject?", "user")]
    verdict = await g.check(segments, CheckContext())
    assert verdict.action == action
    assert [f.kind for f in verdict.findings] == ["topic.hr_decisions"]
    assert verdict.findings[0].segment == 1
    assert verdict.message == "denied topic: hr_decisions"


async def test_check_allows_unrelated_text_and_respects_roles(guard: TopicGuardrail) -> None:
    verdict = await guard.check([Segment("What is the weather in Lyon?", "user")], CheckContext())
    assert verdict.action == "allow" and verdict.findings == ()
    g = TopicGuardrail(TopicOptions(topics=(HR,), roles=("user",)))
    await g.setup()
    verdict = await g.check([Segment("Draft the dismissal letter.", "document")], CheckContext())
    assert verdict.action == "allow"


async def test_keyword_only_topic_needs_no_embedder() -> None:
    g = TopicGuardrail(TopicOptions(topics=(TopicSpec(name="weapons", keywords=("AR-15",)),)))
    await g.setup()
    verdict = await g.check([Segment("Where can I buy an ar-15?", "user")], CheckContext())
    assert verdict.action == "block" and verdict.findings[0].detail == "keyword"


def test_invalid_regex_is_rejected_with_the_pattern_quoted() -> None:
    with pytest.raises(ValidationError, match=r"invalid regex '\(unclosed'"):
        TopicSpec(name="x", patterns=("(unclosed",))


def test_options_forbid_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        TopicOptions.model_validate({"topics": [], "treshold": 0.5})
    with pytest.raises(ValidationError):
        TopicSpec.model_validate({"name": "x", "exmples": ["a"]})


def test_defaults() -> None:
    assert TopicGuardrail.name == "topics"
    assert TopicOptions().mode == "block"
    assert TopicGuardrail.default_on_error == "allow"


# --- background bank, allowed examples, sentences in context ---------------------------------------------------

PLAIN_HR = TopicSpec(name="hr_decisions", examples=HR.examples)
PLAIN_CREDIT = TopicSpec(name="credit_decisions", examples=CREDIT.examples)
ABOUT_CREDIT = "Explain what a credit score is and how lenders use it in general."


async def test_the_background_keeps_informational_text_out_that_a_plain_cut_would_deny() -> None:
    with_background = TopicGuardrail(TopicOptions(topics=(PLAIN_CREDIT,)))
    plain = TopicGuardrail(TopicOptions(topics=(PLAIN_CREDIT.model_copy(update={"margin": None}),)))
    await with_background.setup()
    await plain.setup()
    assert [m.topic for m in plain.match([ABOUT_CREDIT])] == ["credit_decisions"]
    assert with_background.match([ABOUT_CREDIT]) == []
    decision = "Should the bank grant Ana Silva the 20k loan she asked for?"
    assert [m.topic for m in with_background.match([decision])] == ["credit_decisions"]


async def test_allow_examples_settle_a_false_positive() -> None:
    text = "Rate these two employees' performance and tell me who gets the bonus."
    strict = TopicGuardrail(TopicOptions(topics=(PLAIN_HR,)))
    await strict.setup()
    assert [m.topic for m in strict.match([text])] == ["hr_decisions"]
    relaxed = TopicGuardrail(TopicOptions(topics=(PLAIN_HR,), allow_examples=(
        "Rate the performance of these two employees and say who gets the bonus.",)))
    await relaxed.setup()
    assert relaxed.match([text]) == []


@pytest.mark.parametrize("vectors", ["contextual", "separate"])
@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Please book a room for Thursday. Then decide whether we should fire Tom after his review.", "hr_decisions"),
        ("Fix the typo in this email. Should the bank grant Ana Silva the 20k loan she asked for?",
         "credit_decisions"),
    ],
)
async def test_one_off_limits_sentence_in_a_mixed_message_is_found(vectors: str, text: str, topic: str) -> None:
    g = TopicGuardrail(TopicOptions(topics=(PLAIN_HR, PLAIN_CREDIT), sentence_vectors=vectors))  # type: ignore[arg-type]
    await g.setup()
    assert [m.topic for m in g.match([text])] == [topic]
    assert g.match(["Please book a room for Thursday. Then send the agenda to the team."]) == []


def test_scoring_defaults() -> None:
    spec = TopicSpec(name="x", examples=("a",))
    assert (spec.threshold, spec.margin) == (0.35, 0.05)
    assert TopicOptions().sentence_vectors == "contextual"
    assert TopicOptions().allow_examples == ()
