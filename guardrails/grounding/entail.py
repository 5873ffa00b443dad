"""Entailment scoring: each claim of the answer against the context sentences BM25 picks for it.

The claim splitter, the numbered sources, citations and the lexical checks stay those of `GroundingScorer`; what
changes is the support of a claim. It is P(entailed) from the cross-encoder, capped when the claim holds a number
or date the context lacks (the one lexical check that stays decisive: the model reads digits poorly after int8
quantisation and a changed figure is the commonest invented detail). Names missing from the context no longer
count against a claim on their own: that check is what flagged paraphrases ("SMEs" for "the SME segment").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from guardrails.grounding.citations import find_citations, parse_sources, strip_citations
from guardrails.grounding.claims import split_claims
from guardrails.grounding.combiner import CONTRADICTION_CAP, support
from guardrails.grounding.features import FEATURES
from guardrails.grounding.nli import NliModel
from guardrails.grounding.passages import Bm25
from guardrails.grounding.scorer import ClaimScore, GroundingResult, GroundingScorer, _is_claim

_SHORT_CLAIM_WORDS = 8
_FACT = FEATURES.index("fact_missing")


class EntailmentScorer:
    """Scores answers against context with the entailment model; same result shape as `GroundingScorer`."""

    def __init__(self, model: NliModel, lexical_weight: float | None = None, threshold: float | None = None) -> None:
        self.model = model
        self._lexical = GroundingScorer()
        meta = model.meta
        self.lexical_weight = meta.lexical_weight if lexical_weight is None else lexical_weight
        self.threshold = meta.threshold if threshold is None else threshold

    def pairs(self, answer: str, contexts: Sequence[str], question: str | None) -> list[tuple[str, str]]:
        """The (evidence, claim) pairs the model reads for this answer (what the latency bench batches)."""
        sentences = [c.text for s in parse_sources(contexts) for c in split_claims(s.text)]
        bm25 = Bm25(sentences)
        claims = [c.text for c in split_claims(strip_citations(answer)) if _is_claim(c.text)]
        hyps = [self._hypothesis(c, question) for c in claims]
        return [(bm25.evidence(h), h) for h in hyps]

    @staticmethod
    def _hypothesis(claim: str, question: str | None) -> str:
        # "Arthur's Magazine" answers nothing on its own: with the question it reads as the claim it makes.
        if question and len(claim.split()) < _SHORT_CLAIM_WORDS:
            return f"{question.strip()} {claim}"
        return claim

    def score(self, answer: str, contexts: Sequence[str], question: str | None = None) -> GroundingResult:
        sources = parse_sources(contexts)
        chunks, owners = self._lexical._chunks(sources)  # noqa: SLF001 - same package, shared splitting
        analysis = self._lexical._analyse(answer, chunks, question)  # noqa: SLF001
        citations = find_citations(answer)
        known = {s.number for s in sources}
        bad = tuple(sorted({n for c in citations for n in c.numbers if n not in known}))
        if not analysis.claims:
            return GroundingResult(1.0, (), bad)
        bm25 = Bm25(chunks)
        hyps = [self._hypothesis(c.text, question) for c in analysis.claims]
        probs = self.model.entailment([(bm25.evidence(h), h) for h in hyps])
        if self.lexical_weight:
            lexical = support(self._lexical.combiner, analysis.rows)
            probs = (1 - self.lexical_weight) * probs + self.lexical_weight * lexical
        probs = _cap(probs, analysis.rows)
        scored = tuple(
            self._claim(answer, claim, float(p), analysis, i, owners, citations)
            for i, (claim, p) in enumerate(zip(analysis.claims, probs, strict=True))
        )
        return GroundingResult(min(c.score for c in scored), scored, bad)

    def _claim(self, answer: str, claim, prob: float, analysis, i: int, owners, citations) -> ClaimScore:  # noqa: ANN001
        base = self._lexical._claim_score(  # noqa: SLF001
            answer, claim, prob, analysis.rows[i], analysis.best_chunks[i], owners, citations, analysis
        )
        reasons = [r for r in base.reasons if not r.startswith(("name not found", "only "))]
        if prob < self.threshold and not reasons:
            reasons.append("not entailed by the closest context sentences")
        return replace(base, reasons=tuple(reasons))



def _cap(probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A claim whose number or date the context lacks keeps at most CONTRADICTION_CAP."""
    missing = rows[:, _FACT] > 0
    return np.where(missing, np.minimum(probs, CONTRADICTION_CAP), probs)
