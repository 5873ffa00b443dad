"""The grounding cascade: lexical decides the claims it is sure of, the entailment blend only the uncertain band.

Every claim gets its lexical support first (well under a millisecond). A claim whose support lies inside `band`
goes to the cross-encoder and is scored by the entailment blend instead; the others keep lexical's verdict and
never reach the model, so an answer lexical is sure of costs what `lexical` costs. The blend's score is rescaled
so that its own threshold falls on the lexical threshold: one threshold then judges every claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from guardrails.grounding.citations import find_citations, parse_sources
from guardrails.grounding.combiner import support
from guardrails.grounding.entail import EntailmentScorer, _cap
from guardrails.grounding.features import worst
from guardrails.grounding.nli import NliModel
from guardrails.grounding.passages import Bm25
from guardrails.grounding.scorer import ClaimScore, GroundingResult

DEFAULT_BAND = (0.2, 0.4)
"""Lexical supports sent to the model, and the blend (lexical weight) and its threshold that judge them: all three
chosen by evals/grounding_cascade.py on the dev splits, QA and dialogue held within 0.01 of lexical."""
DEFAULT_MODEL_THRESHOLD = 0.525
DEFAULT_LEXICAL_WEIGHT = 0.5


def rescale(blend: np.ndarray, threshold: float, target: float) -> np.ndarray:
    """Piecewise-linear map of [0, 1] onto itself that moves `threshold` to `target` (keeps every verdict)."""
    low = blend / threshold * target
    high = target + (blend - threshold) / (1 - threshold) * (1 - target)
    return np.where(blend < threshold, low, high)


class CascadeScorer:
    """Lexical first, the entailment blend for in-band claims; same result shape as `GroundingScorer`.

    `claims_sent` counts the claims that reached the model since construction (what the cascade saves).
    """

    def __init__(self, model: NliModel, band: tuple[float, float] = DEFAULT_BAND,
                 lexical_weight: float = DEFAULT_LEXICAL_WEIGHT, model_threshold: float = DEFAULT_MODEL_THRESHOLD) -> None:
        if not 0.0 <= band[0] <= band[1] <= 1.0:
            raise ValueError(f"cascade band must satisfy 0 <= lo <= hi <= 1, got {band!r}")
        self._entail = EntailmentScorer(model, lexical_weight, model_threshold)
        self._lexical = self._entail._lexical  # noqa: SLF001 - same package, one lexical half
        self.band = band
        self.threshold = self._lexical.combiner.threshold
        self.claims_sent = 0

    def _inside(self, values: np.ndarray) -> np.ndarray:
        return (values >= self.band[0]) & (values <= self.band[1])

    def score(self, answer: str, contexts: Sequence[str], question: str | None = None) -> GroundingResult:
        lexical = self._lexical
        sources = parse_sources(contexts)
        chunks, owners = lexical._chunks(sources)  # noqa: SLF001
        analysis = lexical._analyse(answer, chunks, question)  # noqa: SLF001
        citations = find_citations(answer)
        known = {s.number for s in sources}
        bad = tuple(sorted({n for c in citations for n in c.numbers if n not in known}))
        if not analysis.claims:
            return GroundingResult(1.0, (), bad)
        scores = support(lexical.combiner, analysis.rows)
        sent = np.flatnonzero(self._inside(scores))
        if sent.size:
            scores = scores.copy()
            scores[sent] = self._model_scores(analysis, sent, scores[sent], chunks, question)
            self.claims_sent += int(sent.size)
        scored = tuple(
            self._claim(answer, claim, float(s), analysis, i, owners, citations, i in sent)
            for i, (claim, s) in enumerate(zip(analysis.claims, scores, strict=True))
        )
        grounded = min(c.score for c in scored)
        term = float(support(lexical.combiner, worst(analysis.rows)[None, :])[0])
        if not self._inside(np.array([term]))[0]:
            grounded = min(grounded, term)
        return GroundingResult(grounded, scored, bad)

    def _model_scores(self, analysis, sent: np.ndarray, lexical: np.ndarray, chunks: list[str],  # noqa: ANN001
                      question: str | None) -> np.ndarray:
        entail = self._entail
        bm25 = Bm25(chunks)
        hyps = [entail._hypothesis(analysis.claims[i].text, question) for i in sent]  # noqa: SLF001
        probs = entail.model.entailment([(bm25.evidence(h), h) for h in hyps])
        blend = _cap((1 - entail.lexical_weight) * probs + entail.lexical_weight * lexical, analysis.rows[sent])
        return rescale(blend, entail.threshold, self.threshold)

    def _claim(self, answer: str, claim, score: float, analysis, i: int, owners, citations, modelled: bool) -> ClaimScore:  # noqa: ANN001
        base = self._lexical._claim_score(  # noqa: SLF001
            answer, claim, score, analysis.rows[i], analysis.best_chunks[i], owners, citations, analysis
        )
        if not modelled:
            return base
        # As in `EntailmentScorer`: a missing name or low word overlap is what the model was asked to look past.
        reasons = [r for r in base.reasons if not r.startswith(("name not found", "only "))]
        if score < self.threshold and not reasons:
            reasons.append("not entailed by the closest context sentences")
        return replace(base, reasons=tuple(reasons))
