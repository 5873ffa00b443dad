"""The judge tier: a detector's uncertain verdicts go to a configured LLM, for any guardrail.

`JudgedGuardrail` wraps a guardrail. When the wrapped verdict's score falls inside the policy's band
[`low`, `high`], it asks the `Judge` (a callable the host supplies: the gateway passes one that calls its own
router, so guardrails/ never imports the gateway) to rule on the same inputs with the detector's rubric. The
judge's ruling replaces the local decision; when the judge fails, times out or answers something unparseable,
the local verdict stands and a `judge_error` finding says why. Scores outside the band never reach the judge:
the detector is trusted where it is confident, which is what keeps the tier's cost bounded.

The judge's token use is added to `context.state[JUDGE_USAGE_KEY]`, which the host puts on the request's usage
row. Caching (keyed by the exact rendered prompt) belongs to the host's judge, which sees the model name too.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from guardrails.base import CheckContext, Finding, Guardrail, Segment, Verdict

JUDGE_USAGE_KEY = "judge_usage"
_VIOLATION = re.compile(r'"violation"\s*:\s*(true|false)', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class JudgeReply:
    """What the judge model answered, and what it cost (zeros for a cache hit)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: bool = False


class Judge(Protocol):
    """Rules on one detector's inputs with that detector's rubric. Raises on failure."""

    async def __call__(self, detector: str, inputs: Mapping[str, str]) -> JudgeReply: ...


@dataclass(slots=True)
class JudgeUsage:
    """Judge tokens and cost of one request, summed over every judged verdict."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0

    def add(self, reply: JudgeReply) -> None:
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens
        self.cost_usd += reply.cost_usd
        self.calls += 0 if reply.cached else 1


def usage_of(context: CheckContext) -> JudgeUsage:
    usage = context.state.get(JUDGE_USAGE_KEY)
    return usage if isinstance(usage, JudgeUsage) else JudgeUsage()


def parse_violation(text: str) -> bool:
    """The rubric asks for `{"violation": true|false, ...}`; anything else is a failed ruling (ValueError)."""
    match = _VIOLATION.search(text)
    if match is None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("violation"), bool):
            raise ValueError(f"judge reply is not a ruling: {text[:80]!r}")
        return bool(data["violation"])
    return match.group(1).lower() == "true"


def judge_inputs(segments: Sequence[Segment], context: CheckContext) -> dict[str, str]:
    """What the rubric sees: the checked text, the user's last turn, and the documents (grounding)."""
    # At the output stage the answer is judged; at the input stage every checked segment (user, documents, tools).
    checked = [s.text for s in segments if context.stage != "output" or s.role == "output"]
    users = [s.text for s in segments if s.role == "user"]
    return {
        "text": "\n".join(t for t in checked if t.strip()),
        "question": users[-1] if users else "",
        "context": "\n\n".join(context.documents),
    }


class JudgedGuardrail(Guardrail):
    """A guardrail whose scores in [`low`, `high`] are settled by a judge model."""

    name: ClassVar[str] = "judged"

    def __init__(self, inner: Guardrail, judge: Judge, low: float, high: float, timeout_s: float) -> None:
        super().__init__(inner.options)
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]  # verdicts and metrics keep the detector's own name
        self.stages = inner.stages  # type: ignore[misc]
        self.needs_full_text = inner.needs_full_text  # type: ignore[misc]
        self.checks_tool_calls = inner.checks_tool_calls  # type: ignore[misc]
        self.default_on_error = inner.default_on_error  # type: ignore[misc]
        self._judge, self.low, self.high, self.timeout_s = judge, low, high, timeout_s

    async def setup(self) -> None:
        await self.inner.setup()

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        local = await self.inner.check(segments, context)
        if local.error or not self.low <= local.score <= self.high or local.action == "mask":
            return local
        started = time.perf_counter()
        try:
            reply = await asyncio.wait_for(self._judge(self.inner.name, judge_inputs(segments, context)),
                                           self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - any judge failure leaves the local verdict in force
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            return replace(local, findings=(*local.findings, Finding("judge_error", local.score, detail=reason)))
        usage = context.state.setdefault(JUDGE_USAGE_KEY, JudgeUsage())
        usage.add(reply)
        try:
            violation = parse_violation(reply.text)
        except ValueError:
            return replace(local, findings=(*local.findings, Finding("judge_error", local.score, detail="unparseable")))
        ruled = self.inner.verdict(violation, local.score, local.findings, message=local.message)
        finding = Finding("judge", 1.0 if violation else 0.0,
                          detail=("violation" if violation else "no violation") + (" (cached)" if reply.cached else ""))
        latency = local.latency_ms + (time.perf_counter() - started) * 1000
        rewritten = local.rewritten if violation else None
        return replace(ruled, findings=(*ruled.findings, finding), latency_ms=latency, rewritten=rewritten)
