"""System-prompt leak guardrail: flags answers that reproduce the system prompt verbatim or nearly so.

Two lexical signals over normalised words: the share of the prompt's word trigrams found in the answer (robust to
small edits, each edit only breaks a few trigrams), and the longest run of consecutive prompt words copied. Short
generic overlaps ("you are a helpful assistant") stay below `min_words` and never trigger.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import ClassVar, Literal

from pydantic import Field

from guardrails.base import CheckContext, Finding, Guardrail, GuardrailOptions, Mode, Segment, Stage, Verdict

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_N = 3


class LeakOptions(GuardrailOptions):
    mode: Mode = "block"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    """Share of the system prompt's word trigrams found in the answer that counts as a leak."""
    max_run_words: int = Field(default=20, ge=3)
    """A run of this many consecutive prompt words copied is a leak even from a long prompt."""
    min_words: int = Field(default=8, ge=1)
    """Overlaps smaller than this many words never trigger (generic phrases)."""


@dataclass(frozen=True, slots=True)
class LeakScore:
    """How much of the prompt the answer reproduces."""

    containment: float
    longest_run: int
    matched_words: int


def normalise(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _ngrams(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + _N]) for i in range(len(tokens) - _N + 1)}


def leak_score(prompt: str, answer: str) -> LeakScore:
    p, a = normalise(prompt), normalise(answer)
    if not p or not a:
        return LeakScore(0.0, 0, 0)
    grams = _ngrams(p)
    if grams:
        hit = grams & _ngrams(a)
        containment = len(hit) / len(grams)
        matched = len({i + k for i in range(len(p) - _N + 1) if tuple(p[i:i + _N]) in hit for k in range(_N)})
    else:  # prompts of one or two words: only an exact reproduction counts
        containment = float(" ".join(p) in " ".join(a))
        matched = len(p) if containment else 0
    match = SequenceMatcher(None, p, a, autojunk=False).find_longest_match(0, len(p), 0, len(a))
    return LeakScore(containment, match.size, matched)


class SystemPromptLeakGuardrail(Guardrail):
    """Flags answers that reproduce the resolved system prompt."""

    name: ClassVar[str] = "system_prompt_leak"
    Options: ClassVar[type[GuardrailOptions]] = LeakOptions
    default_on_error: ClassVar[Literal["block", "allow"]] = "allow"
    stages: ClassVar[tuple[Stage, ...]] = ("output",)
    checks_tool_calls: ClassVar[bool] = True

    def triggered_by(self, score: LeakScore) -> bool:
        options: LeakOptions = self.options  # type: ignore[assignment]
        if score.matched_words < options.min_words and score.longest_run < options.min_words:
            return False
        return score.containment >= options.threshold or score.longest_run >= options.max_run_words

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        prompt = context.system_prompt or ""
        findings: list[Finding] = []
        top = 0.0
        if prompt.strip():
            for i, segment in enumerate(segments):
                if segment.role not in ("output", "tool_call") or not self.applies_to(segment):
                    continue
                score = leak_score(prompt, segment.text)
                top = max(top, score.containment)
                if self.triggered_by(score):
                    detail = f"{score.containment:.0%} of the system prompt; longest copied run {score.longest_run} words"
                    findings.append(Finding("system_prompt_leak", score.containment, segment=i, detail=detail))
        message = "the answer reproduces the system prompt" if findings else None
        return self.verdict(bool(findings), top, findings, started=started, message=message)
