"""Retrieval metrics for one labelled query: precision@k, recall@k, reciprocal rank and nDCG@k.

Relevance is graded (a chunk's grade, 1 when the labels give a plain list); precision, recall and the reciprocal rank
count any grade above 0 as relevant; nDCG's gain is the grade itself, discounted by log2(rank + 1)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def precision_at(retrieved: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    return sum(1 for ref in retrieved[:k] if relevant.get(ref, 0) > 0) / k


def recall_at(retrieved: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    wanted = {ref for ref, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(retrieved[:k])) / len(wanted)


def reciprocal_rank(retrieved: Sequence[str], relevant: Mapping[str, float]) -> float:
    for rank, ref in enumerate(retrieved, start=1):
        if relevant.get(ref, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at(retrieved: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    dcg = sum(relevant.get(ref, 0) / math.log2(rank + 1) for rank, ref in enumerate(retrieved[:k], start=1))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def query_metrics(retrieved: Sequence[str], relevant: Mapping[str, float], ks: Sequence[int]) -> dict[str, float]:
    """Every metric of one query, named `precision@k`, `recall@k`, `mrr` and `ndcg@k`."""
    out = {"mrr": reciprocal_rank(retrieved, relevant)}
    for k in ks:
        out[f"precision@{k}"] = precision_at(retrieved, relevant, k)
        out[f"recall@{k}"] = recall_at(retrieved, relevant, k)
        out[f"ndcg@{k}"] = ndcg_at(retrieved, relevant, k)
    return out
