"""The judge wrapper on its own: which verdicts are judged, what a ruling changes, what a failure leaves."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import ClassVar

import pytest

from guardrails.base import CheckContext, Guardrail, GuardrailOptions, Segment, Verdict
from guardrails.judge import JUDGE_USAGE_KEY, JudgedGuardrail, JudgeReply, parse_violation, usage_of


class Fixed(Guardrail):
    """Scores every text with the number it starts with."""

    name: ClassVar[str] = "fixed"

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        score = float(segments[0].text.split()[0])
        return self.verdict(score >= 0.5, score)


class Scripted:
    def __init__(self, text: str, delay: float = 0.0, fail: bool = False) -> None:
        self.text, self.delay, self.fail = text, delay, fail
        self.calls: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, detector: str, inputs: Mapping[str, str]) -> JudgeReply:
        self.calls.append((detector, dict(inputs)))
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("upstream down")
        return JudgeReply(self.text, prompt_tokens=40, completion_tokens=5, cost_usd=0.001)


def _wrap(judge: Scripted, low: float = 0.3, high: float = 0.7, timeout: float = 1.0) -> JudgedGuardrail:
    return JudgedGuardrail(Fixed(GuardrailOptions(mode="block")), judge, low, high, timeout)


async def _run(guardrail: JudgedGuardrail, score: float, context: CheckContext | None = None) -> Verdict:
    return await guardrail.check([Segment(f"{score} some text", "user")], context or CheckContext())


@pytest.mark.parametrize(
    ("score", "ruling", "judged", "action"),
    [
        (0.1, '{"violation": true}', False, "allow"),   # confident allow: never judged
        (0.9, '{"violation": false}', False, "block"),  # confident block: never judged
        (0.4, '{"violation": true}', True, "block"),    # uncertain: the judge decides
        (0.6, '{"violation": false}', True, "allow"),
        (0.3, ' {"violation":true, "why": "x"}', True, "block"),  # band edges are inclusive
    ],
)
async def test_band_routing_and_rulings(score: float, ruling: str, judged: bool, action: str) -> None:
    judge = Scripted(ruling)
    context = CheckContext()
    verdict = await _run(_wrap(judge), score, context)
    assert (len(judge.calls) == 1) is judged
    assert verdict.action == action and verdict.guardrail == "fixed"
    assert usage_of(context).prompt_tokens == (40 if judged else 0)


@pytest.mark.parametrize("judge", [Scripted("{}", delay=0.5), Scripted("x", fail=True), Scripted("maybe?")])
async def test_failures_keep_the_local_verdict(judge: Scripted) -> None:
    verdict = await _run(_wrap(judge, timeout=0.05), 0.6)
    assert verdict.action == "block"
    assert any(f.kind == "judge_error" for f in verdict.findings)


async def test_usage_sums_over_judged_verdicts() -> None:
    context = CheckContext()
    guardrail = _wrap(Scripted('{"violation": false}'))
    await _run(guardrail, 0.5, context)
    await _run(guardrail, 0.5, context)
    usage = context.state[JUDGE_USAGE_KEY]
    assert (usage.prompt_tokens, usage.completion_tokens, usage.calls) == (80, 10, 2)
    assert usage.cost_usd == pytest.approx(0.002)


@pytest.mark.parametrize(
    ("text", "expected"),
    [('{"violation": true}', True), ('{"violation": false}', False), ('Ruling: {"Violation": TRUE}', True)],
)
def test_parse_violation(text: str, expected: bool) -> None:
    assert parse_violation(text) is expected


@pytest.mark.parametrize("text", ["yes", '{"violation": "yes"}', ""])
def test_parse_violation_refuses_non_rulings(text: str) -> None:
    with pytest.raises(ValueError, match="not a ruling"):
        parse_violation(text)
