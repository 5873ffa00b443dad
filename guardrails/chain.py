"""Runs a list of guardrails over one request's segments and collects their verdicts.

Masking guardrails run in order, each on the text the previous one produced. The detectors run concurrently
with them and with each other, on the original text: masking protects what leaves the process, and a detector judging
`<PERSON_1>` placeholders instead of the words a user wrote would judge a text nobody wrote. A guardrail that raises follows its `on_error`: `block`
(fail closed) turns the error into a blocking verdict, `allow` records it and lets the request pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from guardrails.base import CheckContext, Guardrail, Segment, Verdict


@dataclass(frozen=True, slots=True)
class ChainResult:
    verdicts: tuple[Verdict, ...]
    segments: tuple[Segment, ...]
    """The segments after masking (unchanged when nothing was masked)."""

    @property
    def blocked(self) -> Verdict | None:
        return next((v for v in self.verdicts if v.action == "block"), None)

    @property
    def masked(self) -> bool:
        return any(v.action == "mask" for v in self.verdicts)


class Chain:
    def __init__(self, guardrails: Sequence[Guardrail]) -> None:
        self.guardrails = [g for g in guardrails if g.options.mode != "off"]

    def __bool__(self) -> bool:
        return bool(self.guardrails)

    async def run(self, segments: Sequence[Segment], context: CheckContext) -> ChainResult:
        original = tuple(segments)
        maskers = [g for g in self.guardrails if g.options.mode == "mask"]
        others = [g for g in self.guardrails if g.options.mode != "mask"]
        # Detectors read the original text, so they need not wait for the maskers: both run at once, and the
        # request pays the slower of the two instead of their sum (each does its CPU work in a worker thread).
        detecting = asyncio.gather(*(_safe_check(g, original, context) for g in others)) if others else None
        if detecting is not None and maskers:
            # Let the detectors hand their work to their threads before the maskers start theirs: the embedding
            # pass they wait on is the longest piece of work, and a masker thread busy in Python first would hold
            # the interpreter lock while the detectors' threads wait to start.
            await asyncio.sleep(0)
        try:
            current, verdicts = await _mask(maskers, original, context)
        except BaseException:
            await _abandon(detecting)
            raise
        if any(v.action == "block" for v in verdicts):
            await _abandon(detecting)
            return ChainResult(tuple(verdicts), current)
        if detecting is not None:
            verdicts.extend(await detecting)
        return ChainResult(tuple(verdicts), current)


async def _mask(maskers: list[Guardrail], segments: tuple[Segment, ...],
                context: CheckContext) -> tuple[tuple[Segment, ...], list[Verdict]]:
    current, verdicts = segments, []
    for guardrail in maskers:
        verdict = await _safe_check(guardrail, current, context)
        verdicts.append(verdict)
        if verdict.action == "block":
            break
        if verdict.rewritten is not None:
            current = _apply(current, verdict.rewritten)
    return current, verdicts


async def _abandon(detecting: asyncio.Future[list[Verdict]] | None) -> None:
    """Cancel detectors whose verdicts no longer matter, and wait so none is left running unobserved."""
    if detecting is None:
        return
    detecting.cancel()
    await asyncio.gather(detecting, return_exceptions=True)


async def _safe_check(guardrail: Guardrail, segments: tuple[Segment, ...], context: CheckContext) -> Verdict:
    selected = [s for s in segments if guardrail.applies_to(s)]
    if not selected:
        return Verdict(guardrail=guardrail.name, action="allow", score=0.0)
    started = time.perf_counter()
    try:
        verdict = await guardrail.check(selected, context)
    except Exception as exc:  # a failing guardrail must follow its policy, never crash the request
        latency = (time.perf_counter() - started) * 1000
        action = "block" if guardrail.on_error == "block" else "error"
        return Verdict(guardrail=guardrail.name, action=action, score=1.0 if action == "block" else 0.0,
                       latency_ms=latency, error=type(exc).__name__,
                       message=f"guardrail {guardrail.name!r} failed and its policy fails closed")
    if verdict.rewritten is not None and len(selected) != len(segments):
        verdict = replace(verdict, rewritten=_spread(segments, selected, verdict.rewritten, guardrail))
    return verdict


def _spread(all_segments: tuple[Segment, ...], selected: list[Segment], rewritten: tuple[str, ...],
            guardrail: Guardrail) -> tuple[str, ...]:
    """Map rewritten texts of the selected segments back onto the full list."""
    texts = iter(rewritten)
    return tuple(next(texts) if guardrail.applies_to(s) else s.text for s in all_segments)


def _apply(segments: tuple[Segment, ...], rewritten: tuple[str, ...]) -> tuple[Segment, ...]:
    return tuple(replace(segment, text=text) for segment, text in zip(segments, rewritten, strict=True))
