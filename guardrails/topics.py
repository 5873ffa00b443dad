"""`topics`: deny-listed topics per policy ("no HR or credit decisions"), matched by meaning and by keywords.

Each topic is described by a few example sentences; a segment (or one of its sentence windows) whose embedding
is close enough to any example matches the topic. Exact keywords and regular expressions catch what embeddings
miss (product names, legal terms). The verdict names the topics matched.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from guardrails.base import CheckContext, Finding, Guardrail, GuardrailOptions, Mode, Segment, Verdict
from guardrails.embeddings import Embedder, shared_embedder
from guardrails.normalize import clean, fold, sentences, windows

MatchKind = Literal["embedding", "keyword", "pattern"]


class TopicSpec(BaseModel):
    """One denied topic: example sentences for similarity, plus exact keywords and regexes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    """Matched as whole words, case- and accent-insensitively."""
    patterns: tuple[str, ...] = ()
    """Python regexes, matched case-insensitively against the cleaned text."""
    threshold: float = Field(0.55, ge=0.0, le=1.0)
    """Cosine similarity to the closest example at or above which the topic matches."""

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
        return patterns


class TopicOptions(GuardrailOptions):
    """Options of `TopicGuardrail`: the topics this policy denies."""

    mode: Mode = "block"
    topics: tuple[TopicSpec, ...] = ()
    max_windows: int = Field(32, ge=1, le=512)


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """A topic found in one segment, how, and how strongly."""

    topic: str
    segment: int
    kind: MatchKind
    score: float


@dataclass(frozen=True, slots=True)
class _Compiled:
    spec: TopicSpec
    keywords: re.Pattern[str] | None
    patterns: tuple[re.Pattern[str], ...]


def _compile(spec: TopicSpec) -> _Compiled:
    words = [re.escape(fold(k.strip())) for k in spec.keywords if k.strip()]
    keywords = re.compile(r"\b(?:" + "|".join(words) + r")\b") if words else None
    return _Compiled(spec, keywords, tuple(re.compile(p, re.I) for p in spec.patterns))


def _pieces(text: str, max_windows: int) -> list[str]:
    """The whole (short) text and each of its sentences, so one off-limits sentence in a mixed message still
    stands out; long texts are cut into sentence windows."""
    if not text:
        return []
    if len(text) > 400:
        return windows(text, max_windows=max_windows)
    parts = sentences(text)
    return [text, *parts] if len(parts) > 1 else [text]


class TopicGuardrail(Guardrail):
    """Denies conversations about the topics a policy lists, and reports which topic matched."""

    name: ClassVar[str] = "topics"
    Options: ClassVar[type[GuardrailOptions]] = TopicOptions
    # A topic filter enforces business policy, not safety: failing open keeps the gateway usable.
    default_on_error: ClassVar[Literal["block", "allow"]] = "allow"

    def __init__(self, options: GuardrailOptions, embedder: Embedder | None = None) -> None:
        super().__init__(options)
        self.opts: TopicOptions = options  # type: ignore[assignment]
        self._compiled = tuple(_compile(spec) for spec in self.opts.topics)
        self._embedder = embedder
        self._examples: list[np.ndarray] = []

    async def setup(self) -> None:
        await asyncio.to_thread(self._load)

    def _load(self) -> None:
        if not any(spec.examples for spec in self.opts.topics):
            return
        self._embedder = self._embedder or shared_embedder()
        self._examples = [self._embedder.encode([clean(e) for e in spec.examples]) for spec in self.opts.topics]

    def match(self, texts: Sequence[str]) -> list[TopicMatch]:
        """All topic matches in `texts` (synchronous; at most one match per topic and text, strongest kind)."""
        cleaned = [clean(t) for t in texts]
        found: dict[tuple[int, str], TopicMatch] = {}
        for i, text in enumerate(cleaned):
            folded = fold(text)
            for comp in self._compiled:
                if comp.keywords is not None and comp.keywords.search(folded):
                    found[(i, comp.spec.name)] = TopicMatch(comp.spec.name, i, "keyword", 1.0)
                elif any(p.search(text) for p in comp.patterns):
                    found[(i, comp.spec.name)] = TopicMatch(comp.spec.name, i, "pattern", 1.0)
        for match in self._similar(cleaned):
            found.setdefault((match.segment, match.topic), match)
        return sorted(found.values(), key=lambda m: (m.segment, m.topic))

    def _similar(self, texts: Sequence[str]) -> list[TopicMatch]:
        if not self._examples or self._embedder is None:
            return []
        owners: list[int] = []
        chunks: list[str] = []
        for i, text in enumerate(texts):
            for chunk in _pieces(text, self.opts.max_windows):
                owners.append(i)
                chunks.append(chunk)
        if not chunks:
            return []
        vectors = self._embedder.encode(chunks)
        out: list[TopicMatch] = []
        for spec, examples in zip(self.opts.topics, self._examples, strict=True):
            if not len(examples):
                continue
            best = (vectors @ examples.T).max(axis=1)
            per_text: dict[int, float] = {}
            for owner, sim in zip(owners, best.tolist(), strict=True):
                per_text[owner] = max(per_text.get(owner, -1.0), sim)
            out.extend(TopicMatch(spec.name, i, "embedding", s) for i, s in per_text.items() if s >= spec.threshold)
        return out

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        picked = [i for i, seg in enumerate(segments) if self.applies_to(seg)]
        if not picked or not self._compiled:
            return self.verdict(False, 0.0, started=started)
        matches = await asyncio.to_thread(self.match, [segments[i].text for i in picked])
        findings = [
            Finding(kind=f"topic.{m.topic}", score=m.score, segment=picked[m.segment], detail=m.kind) for m in matches
        ]
        topics = sorted({m.topic for m in matches})
        message = f"denied topic: {', '.join(topics)}" if topics else None
        score = max((m.score for m in matches), default=0.0)
        return self.verdict(bool(findings), score, findings, started=started, message=message)
