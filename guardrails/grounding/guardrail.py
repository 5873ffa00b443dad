"""Grounding guardrail: flags answers (and their sentences) that the retrieved context does not support."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from guardrails.base import Action, CheckContext, Finding, Guardrail, GuardrailOptions, Mode, Segment, Stage, Verdict
from guardrails.grounding.citation_policy import CITED_KEY, CitationPolicy, check_citations
from guardrails.grounding.cascade import DEFAULT_BAND, CascadeScorer
from guardrails.grounding.citations import parse_sources
from guardrails.grounding.entail import EntailmentScorer
from guardrails.grounding.headscore import HeadScorer, load_head_scorer
from guardrails.grounding.scorer import GroundingResult, GroundingScorer


class GroundingOptions(GuardrailOptions):
    mode: Mode = "annotate"
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Grounded score below which the answer triggers; None takes the threshold shipped with the weights."""
    on_block: Literal["error", "replace"] = "error"
    """In block mode: fail the request, or replace the answer by `replacement` (carried in `rewritten`)."""
    replacement: str = "I could not verify this answer against the provided sources."
    append_note: bool = False
    """In flag/annotate mode: append `note` to the answer (carried in `rewritten`)."""
    note: str = "\n\n[Note: parts of this answer could not be verified against the provided sources.]"
    use_question: bool = True
    """Treat the last user segment as the question: restating it is not a hallucination."""
    flag_bad_citations: bool = True
    """Trigger when the answer cites a source number that does not exist."""
    citations: CitationPolicy = "off"
    """Answers must cite their sources: a missing or invalid citation flags the answer, or blocks it."""
    engine: Literal["cascade", "entailment", "head", "lexical"] = "lexical"
    """`cascade` (opt-in): `lexical` for every claim whose lexical support lies outside `band`, the entailment blend
    for the claims inside it (weights/MODEL_CARD.md, "Cascade": a little better than `lexical` on the dev splits,
    QA and dialogue within 0.01, the model run for 9-57% of claims);
    `entailment` (opt-in): the shipped cross-encoder over BM25-chosen evidence, blended with the lexical support
    (weights/MODEL_CARD.md: better on summaries and paraphrases, worse than `lexical` on QA and dialogue);
    `head`: the pair head over the shared MiniLM embeddings and the lexical features (weights/HEAD_CARD.md);
    `lexical`: the word-overlap features alone (no model, well under a millisecond, flags paraphrases)."""
    lexical_weight: float | None = Field(default=None, ge=0.0, le=1.0)
    """`entailment` only: share of the lexical support in a claim's score (0 = the model alone); None takes the
    blend shipped in weights/nli.json. Set `threshold` with it: the card gives the dev-chosen one for each."""
    band: tuple[float, float] = DEFAULT_BAND
    """`cascade` only: the lexical claim supports (inclusive) that are sent to the entailment model."""

    @field_validator("band")
    @classmethod
    def _ordered_band(cls, band: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 <= band[0] <= band[1] <= 1.0:
            raise ValueError(f"band must satisfy 0 <= lo <= hi <= 1, got {list(band)}")
        return band


def findings_for(result: GroundingResult, segment: int, threshold: float, n_sources: int) -> list[Finding]:
    """Ungrounded sentences, per-sentence supporting sources, and citations of missing sources."""
    out: list[Finding] = []
    for claim in result.claims:
        if claim.score < threshold:
            reasons = f" ({'; '.join(claim.reasons)})" if claim.reasons else ""
            out.append(Finding("ungrounded", 1.0 - claim.score, segment, claim.start, claim.end,
                               detail=f"{claim.text}{reasons}"))
        if claim.sources:
            out.append(Finding("citation", claim.score, segment, claim.start, claim.end,
                               detail="sources: " + ", ".join(str(n) for n in claim.sources)))
    for number in result.bad_citations:
        out.append(Finding("bad_citation", 1.0, segment, detail=f"cites [{number}] but there are {n_sources} sources"))
    return out


def _cite_policy(verdict: Verdict, findings: list[Finding], message: str, policy: CitationPolicy) -> Verdict:
    """The citation policy's action wins over the grounding mode's, unless that one blocks."""
    action: Action = "block" if "block" in (policy, verdict.action) else "flag"
    return Verdict(verdict.guardrail, action, verdict.score, (*verdict.findings, *findings), verdict.latency_ms, None,
                   f"{verdict.message}; {message}")


class GroundingGuardrail(Guardrail):
    """Scores the answer's sentences against `context.documents`; verdict score = 1 - grounded score."""

    name: ClassVar[str] = "grounding"
    Options: ClassVar[type[GuardrailOptions]] = GroundingOptions
    default_on_error: ClassVar[Literal["block", "allow"]] = "allow"
    stages: ClassVar[tuple[Stage, ...]] = ("output",)

    def __init__(self, options: GuardrailOptions) -> None:
        super().__init__(options)
        self._scorer: GroundingScorer | EntailmentScorer | CascadeScorer | HeadScorer | None = None
        self._threshold = 0.5

    async def setup(self) -> None:
        options: GroundingOptions = self.options  # type: ignore[assignment]
        if options.engine == "entailment":
            from guardrails.grounding.nli import NliModel

            scorer = EntailmentScorer(await asyncio.to_thread(NliModel), lexical_weight=options.lexical_weight)
            self._scorer, self._threshold = scorer, scorer.threshold
        elif options.engine == "cascade":
            from guardrails.grounding.nli import NliModel

            cascade = CascadeScorer(await asyncio.to_thread(NliModel), band=options.band)
            self._scorer, self._threshold = cascade, cascade.threshold
        elif options.engine == "head":
            head = await asyncio.to_thread(load_head_scorer)
            self._scorer, self._threshold = head, head.threshold
        else:
            lexical = GroundingScorer()
            self._scorer, self._threshold = lexical, lexical.combiner.threshold  # weights loaded now, not later

    def _score_all(self, texts: list[str], documents: Sequence[str], question: str | None) -> list[GroundingResult]:
        if self._scorer is None:
            raise RuntimeError("grounding used before setup()")
        return [self._scorer.score(text, documents, question) for text in texts]

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        started = time.perf_counter()
        options: GroundingOptions = self.options  # type: ignore[assignment]
        outputs = [i for i, s in enumerate(segments) if s.role == "output" and self.applies_to(s) and s.text.strip()]
        if not outputs or not any(d.strip() for d in context.documents):
            return self.verdict(False, 0.0, started=started)
        users = [s.text for s in segments if s.role == "user"]
        question = users[-1] if users and options.use_question else None
        results = await asyncio.to_thread(self._score_all, [segments[i].text for i in outputs], context.documents, question)
        threshold = options.threshold if options.threshold is not None else self._threshold
        n_sources = len(parse_sources(context.documents))
        findings = [f for i, r in zip(outputs, results, strict=True) for f in findings_for(r, i, threshold, n_sources)]
        grounded = min(r.score for r in results)
        bad = options.flag_bad_citations and any(r.bad_citations for r in results)
        triggered = grounded < threshold or bad
        message = f"grounded score {grounded:.2f} (threshold {threshold:.2f})" + ("; cites missing sources" if bad else "")
        verdict = self.verdict(triggered, 1.0 - grounded, findings, started=started, message=message)
        cites = check_citations([segments[i].text for i in outputs], n_sources)
        context.state[CITED_KEY] = cites.cited
        if options.citations != "off" and cites.violated:
            verdict = _cite_policy(verdict, cites.findings(outputs[-1], n_sources), cites.message(), options.citations)
        rewritten = self._rewrite(segments, outputs, verdict)
        if rewritten is None:
            return verdict
        return Verdict(verdict.guardrail, verdict.action, verdict.score, verdict.findings, verdict.latency_ms,
                       rewritten, verdict.message)

    def _rewrite(self, segments: Sequence[Segment], outputs: list[int], verdict: Verdict) -> tuple[str, ...] | None:
        """New segment texts for `replace` (block mode) or `append_note` (flag/annotate); None leaves them."""
        options: GroundingOptions = self.options  # type: ignore[assignment]
        texts = [s.text for s in segments]
        if verdict.action == "block" and options.on_block == "replace":
            for n, i in enumerate(outputs):
                texts[i] = options.replacement if n == 0 else ""
            return tuple(texts)
        if verdict.action in ("flag", "annotate") and options.append_note:
            texts[outputs[-1]] += options.note
            return tuple(texts)
        return None
