"""`injection`: blocks prompt-injection and jailbreak attempts, direct (user) and indirect (tools, documents)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import ClassVar, Literal

from guardrails.base import CheckContext, Finding, Guardrail, GuardrailOptions, Segment, Stage, Verdict
from guardrails.injection.detector import InjectionDetector, InjectionResult
from guardrails.injection.options import InjectionOptions

REQUEST_CHARS = 300


class InjectionGuardrail(Guardrail):
    """Layered injection detector (normalisation, rules, a trained MiniLM cross-encoder) with a threshold per role."""

    name: ClassVar[str] = "injection"
    Options: ClassVar[type[GuardrailOptions]] = InjectionOptions
    # Fail open by default: see `InjectionOptions`; a policy can set `on_error: block`.
    default_on_error: ClassVar[Literal["block", "allow"]] = "allow"
    stages: ClassVar[tuple[Stage, ...]] = ("input",)

    def __init__(self, options: GuardrailOptions) -> None:
        super().__init__(options)
        self.opts: InjectionOptions = options  # type: ignore[assignment]
        self.detector = InjectionDetector(
            layers=self.opts.layers, max_windows=self.opts.max_windows, indirect_roles=self.opts.indirect_roles,
            thresholds=self.opts.thresholds,
        )

    async def setup(self) -> None:
        await asyncio.to_thread(self.detector.load)

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        # An assistant turn is checked because a client can forge one; a turn the gateway itself returned (the
        # pipeline marks it when the policy trusts returned answers) is the model's own words, not a forgery.
        picked = [
            (i, seg, threshold)
            for i, seg in enumerate(segments)
            if self.applies_to(seg) and not (seg.returned and seg.role == "assistant")
            and (threshold := self.opts.thresholds.for_role(seg.role)) is not None
        ]
        if not picked:
            return self.verdict(False, 0.0, started=started)
        texts = [seg.text for _, seg, _ in picked]
        roles = [seg.role for _, seg, _ in picked]
        # A document or tool result is judged against what the user asked (the last user message).
        asked = next((seg.text for seg in reversed(segments) if seg.role == "user"), "")
        requests = [asked[:REQUEST_CHARS] if seg.role in self.detector.indirect_roles else "" for _, seg, _ in picked]
        results = await asyncio.to_thread(self.detector.score_batch, texts, roles, requests)
        findings: list[Finding] = []
        flagged_roles: list[str] = []
        for (index, seg, threshold), result in zip(picked, results, strict=True):
            if result.score >= threshold:
                findings.extend(_findings(index, result, threshold))
                flagged_roles.append(seg.role)
        score = max(r.score for r in results)
        message = None
        if findings:
            message = f"possible prompt injection in {', '.join(sorted(set(flagged_roles)))} content"
        return self.verdict(bool(findings), score, findings, started=started, message=message)


def _findings(index: int, result: InjectionResult, threshold: float) -> list[Finding]:
    """One finding per rule that fired, one for the model if it passed the threshold, one per hidden payload;
    details name the rule family or encoding, never the text."""
    out = [
        Finding(kind=f"injection.{h.rule.id}", score=h.score, segment=index, detail=h.rule.family) for h in result.hits
    ]
    if result.encoded and result.classifier_score >= threshold:
        out.append(Finding(kind="injection.model", score=result.classifier_score, segment=index))
    out.extend(
        Finding(kind="injection.decoded", score=result.score, segment=index, detail=d.encoding) for d in result.decoded
    )
    return out
