"""Per-claim evidence features against the context: lexical coverage, word order, facts, names, negation, embeddings.

Each feature is oriented so that the logistic combiner can read it directly; `worst` folds the features of
several claims into the answer-level vector (the least supported value of most features, plus a few averages).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from guardrails.grounding.overlap import WordIndex, index_words, longest_run, tiled
from guardrails.grounding.text import Analysed, analyse, content_stems, first_person, names, words

FEATURES = (
    "coverage",
    "bigram_coverage",
    "best_chunk_coverage",
    "missing_words",
    "fact_missing",
    "name_missing",
    "negation_mismatch",
    "first_person",
    "length",
    "similarity",
    "longest_run",
    "tiled_bigrams",
    "tiled_trigrams",
    "question_form",
    "unsupported_share",
    "mean_coverage",
    "mean_missing",
    "aligned_coverage",
)
# +1: higher means better supported (folded with min); -1: higher means less supported (folded with max).
_ORIENTATION = np.array([1, 1, 1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, 1, -1, 1], dtype=np.float32)
NEUTRAL = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1], dtype=np.float32)
"""The features of an answer that makes no claim (only questions or reactions): nothing unsupported."""
_MEANS = tuple(FEATURES.index(f) for f in ("unsupported_share", "mean_coverage", "mean_missing"))
"""Columns folded by their mean over claims rather than the worst claim: how much of the answer is unsupported."""
UNSUPPORTED_COVERAGE = 0.6
"""A claim with less of its content words in the context than this counts towards `unsupported_share`."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The context, analysed once per request and shared by every claim."""

    chunks: tuple[Analysed, ...]
    stems: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    facts: frozenset[str]
    given: frozenset[str]
    """Stems of the question: restating what the user said is not a hallucination."""
    given_facts: frozenset[str]
    index: WordIndex


def build_evidence(chunks: Sequence[str], question: str | None = None) -> Evidence:
    analysed = tuple(analyse(c) for c in chunks)
    stems: set[str] = set()
    bigrams: set[tuple[str, str]] = set()
    facts: set[str] = set()
    tokens: list[str] = []
    for chunk, text in zip(analysed, chunks, strict=True):
        stems.update(chunk.stems)
        bigrams.update(chunk.bigrams)
        facts.update(chunk.facts)
        tokens.extend(words(text))
    asked = analyse(question or "")
    return Evidence(analysed, frozenset(stems), frozenset(bigrams), frozenset(facts), frozenset(asked.stems),
                    asked.facts, index_words(tokens))


_NEGATION_COVERAGE = 0.3


def _fraction(hits: int, total: int, empty: float) -> float:
    return hits / total if total else empty


def _chunk_coverage(stems: Sequence[str], chunk: Analysed) -> float:
    inside = set(chunk.stems)
    return _fraction(sum(s in inside for s in stems), len(stems), 0.0)


def claim_features(claim: str, evidence: Evidence, similarity: float, aligned: int = -1) -> tuple[np.ndarray, int]:
    """The feature vector of one claim and the index of its best-matching chunk (-1 when there is none).

    `aligned` is the chunk closest to the claim by embedding; without one the lexically best chunk stands in.
    """
    info = analyse(claim)
    tokens = words(claim)
    known = evidence.stems
    # Words that only restate the question are left out: they neither support nor contradict the claim.
    stems = tuple(s for s in info.stems if s not in evidence.given or s in evidence.stems) or info.stems
    coverage = _fraction(sum(s in known for s in stems), len(stems), 1.0)
    bigrams = info.bigrams
    bigram_cov = _fraction(sum(b in evidence.bigrams for b in bigrams), len(bigrams), coverage)
    best, best_cov, negation = -1, 0.0, 0.0
    for i, chunk in enumerate(evidence.chunks):
        cov = _chunk_coverage(stems, chunk)
        if cov > best_cov:
            best, best_cov = i, cov
        # A shared word negated on one side only: "is open on Tuesdays" against "is not open on Tuesdays".
        if cov >= _NEGATION_COVERAGE and (info.negated ^ chunk.negated) & set(chunk.stems) & set(stems):
            negation = 1.0
    best_cov = best_cov if stems else 1.0
    aligned_cov = _chunk_coverage(stems, evidence.chunks[aligned]) if stems and aligned >= 0 else best_cov
    missing = math.log1p(sum(s not in known for s in set(stems)))
    fact_missing = float(bool(info.facts - evidence.facts - evidence.given_facts))
    spans = names(claim)
    unsupported = sum(any(s not in known for s in content_stems(words(span))) for span in spans)
    row = np.array(
        [
            coverage,
            bigram_cov,
            best_cov,
            missing,
            fact_missing,
            _fraction(unsupported, len(spans), 0.0),
            negation,
            float(first_person(tokens)),
            math.log1p(len(stems)),
            similarity,
            longest_run(tokens, evidence.index),
            tiled(tokens, evidence.index, 2),
            tiled(tokens, evidence.index, 3),
            float(claim.rstrip().endswith("?")),
            float(coverage < UNSUPPORTED_COVERAGE),
            coverage,
            missing,
            aligned_cov,
        ],
        dtype=np.float32,
    )
    return row, best


def worst(rows: np.ndarray) -> np.ndarray:
    """Answer-level features: for each feature, the value of the least supported claim (averages for `_MEANS`)."""
    if rows.shape[0] == 0:
        return NEUTRAL.copy()
    oriented = rows * _ORIENTATION
    out = oriented.min(axis=0) * _ORIENTATION
    out[FEATURES.index("length")] = math.log1p(float(np.expm1(rows[:, FEATURES.index("length")]).sum()))
    for column in _MEANS:
        out[column] = rows[:, column].mean()
    return out.astype(np.float32)
