"""LLM traffic drift: usage metrics and verdict rates per group, and prompt-embedding shift."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from registry.monitoring.embedding_drift import EmbeddingSketch, embedding_drift
from registry.monitoring.levels import Level
from registry.monitoring.llm import UsageRow, usage_drift

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _rows(n: int, seed: int, team: str = "search", latency: float = 300.0, block_rate: float = 0.02, error_rate: float = 0.01) -> list[UsageRow]:
    rng = np.random.default_rng(seed)
    return [
        UsageRow(T0, team, "gpt-x", "v3", float(rng.lognormal(np.log(latency), 0.3)), int(rng.poisson(400)),
                 int(rng.poisson(150)), float(rng.gamma(2, 0.001)), bool(rng.random() < error_rate),
                 {"pii": "block" if rng.random() < block_rate else "allow"})
        for _ in range(n)
    ]


def test_usage_without_change_is_quiet() -> None:
    [group] = usage_drift(_rows(4000, 1), _rows(4000, 2))
    assert group.level == Level.NONE and group.rates == []


@pytest.mark.parametrize(
    ("changes", "flagged_metric", "flagged_rate"),
    [({"latency": 450.0}, "latency_ms", None), ({"block_rate": 0.15}, None, "pii:block"), ({"error_rate": 0.2}, None, "error")],
)
def test_usage_shift_is_flagged(changes: dict[str, float], flagged_metric: str | None, flagged_rate: str | None) -> None:
    [group] = usage_drift(_rows(4000, 1), _rows(4000, 2, **changes))  # type: ignore[arg-type]
    drifted = {m.feature for m in group.metrics if m.drifted}
    assert drifted == ({flagged_metric} if flagged_metric else set())
    names = {r.name for r in group.rates}
    assert (flagged_rate in names) if flagged_rate else names == set()
    assert "error" not in names or flagged_rate == "error"
    assert group.level >= Level.WARNING


def test_groups_are_compared_separately() -> None:
    reference = _rows(3000, 1, team="a") + _rows(3000, 2, team="b")
    current = _rows(3000, 3, team="a") + _rows(3000, 4, team="b", latency=600.0)
    levels = {g.team: g.level for g in usage_drift(reference, current)}
    assert levels == {"a": Level.NONE, "b": Level.CRITICAL}


def _topics(n: int, weights: list[float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).normal(0, 1, (4, 64))
    topic = rng.choice(4, n, p=weights)
    vectors = centres[topic] + rng.normal(0, 0.8, (n, 64))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_prompt_embedding_shift() -> None:
    sketch = EmbeddingSketch.fit(_topics(5000, [0.4, 0.3, 0.2, 0.1], 1))
    same = embedding_drift(sketch, _topics(3000, [0.4, 0.3, 0.2, 0.1], 2))
    shifted = embedding_drift(sketch, _topics(3000, [0.1, 0.1, 0.2, 0.6], 3))
    assert same.level == Level.NONE and same.mean_psi < 0.05
    assert shifted.level >= Level.WARNING and shifted.centroid_distance > same.centroid_distance
