"""Local scores that need no judge: MiniLM cosine similarity and Warden's grounding scorer (offline faithfulness).

Both load packaged models on first use (the guardrails' shared embedder), never from a hub.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_grounding = None


def encode(texts: Sequence[str]) -> np.ndarray:
    from guardrails.embeddings import shared_embedder

    return shared_embedder().encode(list(texts))


def cosine(a: str, b: str) -> float:
    """Cosine similarity of two texts' unit-normalised MiniLM vectors (1.0: same meaning)."""
    vectors = encode([a, b])
    return float(np.dot(vectors[0], vectors[1]))


def grounding_score(answer: str, contexts: Sequence[str], question: str | None) -> float:
    """The grounding guardrail's answer-level score: how much of the answer the contexts support (0-1)."""
    global _grounding
    if _grounding is None:
        from guardrails.grounding import GroundingScorer

        _grounding = GroundingScorer()
    return float(_grounding.score(answer, list(contexts), question).score)
