"""Content-safety guardrail: blocks harmful requests or answers and names the harm category."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field

from guardrails.base import CheckContext, Finding, Guardrail, GuardrailOptions, Mode, Segment, Stage, Verdict
from guardrails.embeddings import shared_embedder
from guardrails.safety.categories import Category
from guardrails.safety.classifier import SafetyModel, SafetyScore, load_model

_MAX_CHARS = 2000
"""MiniLM reads ~256 tokens; longer segments are scored in windows of this many characters."""


class ContentSafetyOptions(GuardrailOptions):
    mode: Mode = "block"
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Harm probability that triggers; None takes the threshold shipped with the weights."""
    categories: tuple[Category, ...] | None = None
    """Only enforce these categories (default: all)."""


def windows(text: str, size: int = _MAX_CHARS) -> list[tuple[int, int]]:
    """Spans covering the text, cut at whitespace where possible, with a small overlap."""
    if len(text) <= size:
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        spans.append((start, end))
        if end >= len(text):
            break
        start = max(start + 1, end - 200)
    return spans


class ContentSafetyGuardrail(Guardrail):
    """MiniLM embedding classifier for harmful content; one finding per harmful segment, kind = category."""

    name: ClassVar[str] = "content_safety"
    Options: ClassVar[type[GuardrailOptions]] = ContentSafetyOptions
    default_on_error: ClassVar[Literal["block", "allow"]] = "block"
    stages: ClassVar[tuple[Stage, ...]] = ("input", "output")
    checks_tool_calls: ClassVar[bool] = True

    def __init__(self, options: GuardrailOptions) -> None:
        super().__init__(options)
        self._model: SafetyModel | None = None

    async def setup(self) -> None:
        embedder = shared_embedder()
        embedder.load()
        self._model = load_model()

    def _score(self, texts: list[str]) -> list[SafetyScore]:
        if self._model is None:
            raise RuntimeError("content_safety used before setup()")
        return self._model.score(shared_embedder().encode(texts))

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        options: ContentSafetyOptions = self.options  # type: ignore[assignment]
        pieces: list[tuple[int, int, int]] = []
        for i, segment in enumerate(segments):
            if self.applies_to(segment) and segment.text.strip():
                pieces.extend((i, s, e) for s, e in windows(segment.text))
        if not pieces:
            return self.verdict(False, 0.0, started=started)
        scores = await asyncio.to_thread(self._score, [segments[i].text[s:e] for i, s, e in pieces])
        threshold = options.threshold if options.threshold is not None else self._model.threshold  # type: ignore[union-attr]
        findings: list[Finding] = []
        seen: set[int] = set()
        for (i, s, e), score in sorted(zip(pieces, scores, strict=True), key=lambda p: -p[1].harmful):
            if score.harmful < threshold or i in seen:
                continue
            if options.categories is not None and score.category not in options.categories:
                continue
            seen.add(i)
            findings.append(Finding(score.category, score.harmful, segment=i, start=s, end=e))
        top = max(s.harmful for s in scores)
        message = f"content flagged as {', '.join(sorted({f.kind for f in findings}))}" if findings else None
        return self.verdict(bool(findings), top, findings, started=started, message=message)
