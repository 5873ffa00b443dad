"""The synchronous grounding engine: answer + contexts in, per-claim support and an answer score out.

Used by the guardrail (in a worker thread), by `warden scan --guardrail grounding` and by the evals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from guardrails.embeddings import Embedder
from guardrails.grounding.citations import Citation, Source, find_citations, parse_sources, strip_citations
from guardrails.grounding.claims import Claim, split_claims
from guardrails.grounding.combiner import Combiner, Variant, load_combiner, support
from guardrails.grounding.features import FEATURES, build_evidence, claim_features, worst
from guardrails.grounding.text import analyse

_MAX_CHUNKS = 96
_SHORT_CLAIM_WORDS = 8
_SUPPORT_COVERAGE = 0.5


@dataclass(frozen=True, slots=True)
class ClaimScore:
    """How well one sentence of the answer is supported, and by which numbered sources."""

    text: str
    start: int
    end: int
    score: float
    sources: tuple[int, ...] = ()
    cited: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroundingResult:
    """Answer-level grounded score (0-1), its claims, and cited source numbers that do not exist."""

    score: float
    claims: tuple[ClaimScore, ...]
    bad_citations: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Analysis:
    """Raw features of every checkable claim (what the trainer fits on)."""

    claims: tuple[Claim, ...]
    rows: np.ndarray
    best_chunks: tuple[int, ...]
    chunk_stems: tuple[frozenset[str], ...] = ()


def _is_claim(text: str) -> bool:
    """Pure reactions ("Sure!", "haha") assert nothing. Questions are kept: "Did you know X?" asserts X, and a
    question about something absent from the context brings in unsupported content."""
    return bool(analyse(text).stems)


class GroundingScorer:
    """Scores answers against context. Pass an `Embedder` to add the MiniLM similarity feature."""

    def __init__(self, embedder: Embedder | None = None, combiner: Combiner | None = None) -> None:
        self.embedder = embedder
        self._combiner = combiner

    @property
    def combiner(self) -> Combiner:
        if self._combiner is None:
            variant: Variant = "embedding" if self.embedder is not None else "lexical"
            self._combiner = load_combiner(variant)
        return self._combiner

    def _chunks(self, sources: Sequence[Source]) -> tuple[list[str], list[int]]:
        chunks: list[str] = []
        owners: list[int] = []
        for source in sources:
            for claim in split_claims(source.text):
                chunks.append(claim.text)
                owners.append(source.number)
        return chunks, owners

    def _similarities(self, claims: Sequence[str], chunks: Sequence[str], question: str | None) -> np.ndarray:
        if self.embedder is None or not claims or not chunks:
            return np.zeros((len(claims), max(1, len(chunks))), dtype=np.float32)
        queries = [
            f"{question} {c}" if question and len(c.split()) < _SHORT_CLAIM_WORDS else c for c in claims
        ]
        embedded = list(chunks[:_MAX_CHUNKS])  # bounds the model's cost; the lexical checks still see every chunk
        vectors = self.embedder.encode([*queries, *embedded])  # one batch: claims and context together
        sims = np.zeros((len(claims), len(chunks)), dtype=np.float32)
        sims[:, : len(embedded)] = vectors[: len(claims)] @ vectors[len(claims):].T
        return sims

    def analyse(self, answer: str, contexts: Sequence[str], question: str | None = None) -> Analysis:
        sources = parse_sources(contexts)
        chunks, _ = self._chunks(sources)
        return self._analyse(answer, chunks, question)

    def _analyse(self, answer: str, chunks: list[str], question: str | None) -> Analysis:
        cleaned = strip_citations(answer)
        claims = tuple(c for c in split_claims(cleaned) if _is_claim(c.text))
        texts = [c.text for c in claims]
        sims = self._similarities(texts, chunks, question)
        evidence = build_evidence(chunks, question)
        rows = np.zeros((len(claims), len(FEATURES)), dtype=np.float32)
        best: list[int] = []
        embedded = self.embedder is not None and bool(chunks)
        for i, text in enumerate(texts):
            similarity = float(sims[i].max()) if chunks else 0.0
            aligned = int(sims[i].argmax()) if embedded else -1
            rows[i], index = claim_features(text, evidence, similarity, aligned)
            best.append(index)
        return Analysis(claims, rows, tuple(best), tuple(frozenset(c.stems) for c in evidence.chunks))

    def score(self, answer: str, contexts: Sequence[str], question: str | None = None) -> GroundingResult:
        sources = parse_sources(contexts)
        chunks, owners = self._chunks(sources)
        analysis = self._analyse(answer, chunks, question)
        known = {s.number for s in sources}
        citations = find_citations(answer)
        bad = tuple(sorted({n for c in citations for n in c.numbers if n not in known}))
        if not analysis.claims:
            return GroundingResult(1.0, (), bad)
        claim_probs = support(self.combiner, analysis.rows)
        answer_prob = float(support(self.combiner, worst(analysis.rows)[None, :])[0])
        scored = tuple(
            self._claim_score(answer, claim, float(p), row, analysis.best_chunks[i], owners, citations, analysis)
            for i, (claim, p, row) in enumerate(zip(analysis.claims, claim_probs, analysis.rows, strict=True))
        )
        return GroundingResult(min(answer_prob, *(c.score for c in scored)), scored, bad)

    def _claim_score(
        self,
        answer: str,
        claim: Claim,
        prob: float,
        row: np.ndarray,
        best: int,
        owners: list[int],
        citations: Sequence[Citation],
        analysis: Analysis,
    ) -> ClaimScore:
        # A marker belongs to the sentence it sits in or right after ("... in 1889. [1]").
        cited = tuple(n for c in citations if claim.start <= c.start <= claim.end + 8 for n in c.numbers)
        supporting = _supporting_sources(set(analyse(claim.text).stems), analysis.chunk_stems, owners, best, row)
        return ClaimScore(
            text=answer[claim.start:claim.end],
            start=claim.start,
            end=claim.end,
            score=prob,
            sources=supporting,
            cited=cited,
            reasons=_reasons(row, cited, supporting),
        )


def _supporting_sources(
    stems: set[str], chunk_stems: Sequence[frozenset[str]], owners: list[int], best: int, row: np.ndarray
) -> tuple[int, ...]:
    """Sources holding a sentence that covers at least half the claim's content words, best match first."""
    if best < 0 or row[FEATURES.index("best_chunk_coverage")] < _SUPPORT_COVERAGE:
        return ()
    found: list[int] = [owners[best]]
    for chunk, owner in zip(chunk_stems, owners, strict=True):
        if owner not in found and len(stems & chunk) / max(1, len(stems)) >= _SUPPORT_COVERAGE:
            found.append(owner)
    return tuple(found)


def _reasons(row: np.ndarray, cited: tuple[int, ...], supporting: tuple[int, ...]) -> tuple[str, ...]:
    value = dict(zip(FEATURES, row.tolist(), strict=True))
    reasons: list[str] = []
    if value["fact_missing"] > 0:
        reasons.append("number or date not found in the context")
    if value["name_missing"] > 0:
        reasons.append("name not found in the context")
    if value["negation_mismatch"] > 0:
        reasons.append("negation differs from the closest context sentence")
    if value["coverage"] < 0.5:
        reasons.append(f"only {value['coverage']:.0%} of content words found in the context")
    if cited and supporting and not set(cited) & set(supporting):
        reasons.append(f"cites {list(cited)} but is supported by {list(supporting)}")
    return tuple(reasons)
