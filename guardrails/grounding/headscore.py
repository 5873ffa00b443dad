"""Grounding with the pair head: each claim against its closest context sentence, same result as `GroundingScorer`.

The claim splitter, numbered sources, citations and lexical checks are those of `GroundingScorer` (with the
embedder, so its similarity features are filled); what changes is how a claim's support is computed: the pair head
reads both embeddings and the lexical features together, so a missing name or a differently written number lowers
the support only as much as training showed it should ("SMEs" for "the SME segment" is not an invented name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from guardrails.embeddings import DIMENSIONS, Embedder, shared_embedder
from guardrails.grounding.citations import find_citations, parse_sources, strip_citations
from guardrails.grounding.claims import split_claims
from guardrails.grounding.combiner import CONTRADICTION_CAP
from guardrails.grounding.features import FEATURES
from guardrails.grounding.pairhead import SIMILARITIES, WIDTH, PairHead, load_head, pair_inputs
from guardrails.grounding.scorer import (
    _MAX_CHUNKS,
    _SHORT_CLAIM_WORDS,
    Analysis,
    ClaimScore,
    GroundingResult,
    GroundingScorer,
    _is_claim,
)

_NEGATION = FEATURES.index("negation_mismatch")


class _Known:
    """Vectors already computed for this request, served to the lexical scorer's similarity feature."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self._by_text = dict(zip(texts, vectors, strict=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._by_text[t] for t in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)


@dataclass(frozen=True, slots=True)
class HeadInputs:
    """Everything the head and the verdict need about one answer."""

    analysis: Analysis
    rows: np.ndarray
    owners: tuple[int, ...]


def hypotheses(claims: Sequence[str], question: str | None) -> list[str]:
    """A short claim ("Arthur's Magazine") reads with the question as the statement it makes."""
    if not question:
        return list(claims)
    # Exactly the texts `GroundingScorer._similarities` embeds, so its similarity feature reads the same vectors.
    return [f"{question} {c}" if len(c.split()) < _SHORT_CLAIM_WORDS else c for c in claims]


class HeadScorer:
    """Scores answers against context with the pair head."""

    def __init__(self, embedder: Embedder, head: PairHead | None, threshold: float | None = None) -> None:
        """`head` None builds inputs only (what the trainer does before a head exists)."""
        self.embedder = embedder
        self._head = head
        self.threshold = threshold if threshold is not None else head.threshold if head is not None else 0.5
        self._lexical = GroundingScorer()  # splitting, citations and reasons; its similarity comes from `inputs`

    def inputs(self, answer: str, contexts: Sequence[str], question: str | None = None) -> HeadInputs:
        """The head's input row for every checkable claim (what the trainer fits on)."""
        sources = parse_sources(contexts)
        chunks, owners = self._lexical._chunks(sources)  # noqa: SLF001 - same package, shared splitting
        claims = [c.text for c in split_claims(strip_citations(answer)) if _is_claim(c.text)]
        queries, embedded = hypotheses(claims, question), chunks[:_MAX_CHUNKS]
        texts = [*queries, *embedded]
        vectors = self.embedder.encode(texts) if texts else np.zeros((0, DIMENSIONS), np.float32)
        # One encoder pass per request: the lexical similarity features read the same vectors.
        lexical = GroundingScorer(embedder=_Known(texts, vectors))  # type: ignore[arg-type]
        analysis = lexical._analyse(answer, chunks, question)  # noqa: SLF001
        n = len(analysis.claims)
        if not n:
            return HeadInputs(analysis, np.zeros((0, WIDTH), np.float32), tuple(owners))
        u, context = vectors[:n], vectors[n:]
        v = np.zeros((n, DIMENSIONS), np.float32)
        sims = np.zeros((n, SIMILARITIES), np.float32)
        if len(embedded):
            cosine = u @ context.T
            order = np.argsort(-cosine, axis=1)
            v = context[order[:, 0]]
            top = np.take_along_axis(cosine, order[:, :SIMILARITIES], axis=1)
            sims[:, : top.shape[1]] = top
        return HeadInputs(analysis, pair_inputs(u, v, analysis.rows, sims), tuple(owners))

    def score(self, answer: str, contexts: Sequence[str], question: str | None = None) -> GroundingResult:
        sources = parse_sources(contexts)
        citations = find_citations(answer)
        known = {s.number for s in sources}
        bad = tuple(sorted({n for c in citations for n in c.numbers if n not in known}))
        found = self.inputs(answer, contexts, question)
        analysis = found.analysis
        if not analysis.claims:
            return GroundingResult(1.0, (), bad)
        if self._head is None:
            raise RuntimeError("HeadScorer.score() needs a trained head")
        probs = self._head.predict(found.rows)
        # A negation flipped against the closest sentence stays decisive: embeddings barely see "not".
        probs = np.where(analysis.rows[:, _NEGATION] > 0, np.minimum(probs, CONTRADICTION_CAP), probs)
        scored = tuple(
            self._claim(answer, i, float(p), found, citations) for i, p in enumerate(probs)
        )
        return GroundingResult(min(c.score for c in scored), scored, bad)

    def _claim(self, answer: str, i: int, prob: float, found: HeadInputs, citations) -> ClaimScore:  # noqa: ANN001
        analysis = found.analysis
        base = self._lexical._claim_score(  # noqa: SLF001
            answer, analysis.claims[i], prob, analysis.rows[i], analysis.best_chunks[i], list(found.owners),
            citations, analysis,
        )
        if prob >= self.threshold:
            return replace(base, reasons=tuple(r for r in base.reasons if r.startswith("cites ")))
        reasons = list(base.reasons) or ["not supported by the closest context sentences"]
        return replace(base, reasons=tuple(reasons))


def load_head_scorer() -> HeadScorer:
    """The shipped head over the process-wide embedder, both loaded (blocking: call it off the event loop)."""
    embedder = shared_embedder()
    embedder.load()
    return HeadScorer(embedder, load_head())
