"""Seeded synthetic prediction logs for the monitoring tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from registry.monitoring.ingest import GroundTruthRecord, PredictionBatch, PredictionRecord

START = datetime(2025, 3, 3, 0, 0, 0, tzinfo=UTC)
CATEGORIES = ["red", "green", "blue", "black"]


def reference_columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    y = rng.exponential(2.0, n)
    colour = rng.choice(CATEGORIES, size=n, p=[0.4, 0.3, 0.2, 0.1])
    score = 1 / (1 + np.exp(-(1.5 * x + rng.normal(0, 0.3, n))))
    label = (rng.random(n) < score).astype(int)
    return {"x": x, "y": y, "colour": colour, "score": score, "label": label}


def prediction_batch(
    n: int, start: datetime, seconds: float, seed: int, version: str = "1", x_shift: float = 0.0, flip: float = 0.0,
    error_rate: float = 0.0, id_prefix: str = "r",
) -> tuple[PredictionBatch, list[GroundTruthRecord]]:
    """`n` predictions spread over `seconds`; `x_shift` moves feature x, `flip` flips that share of true labels."""
    data = reference_columns(n, seed)
    rng = np.random.default_rng(seed + 1000)
    x = data["x"] + x_shift
    score = 1 / (1 + np.exp(-(1.5 * x)))
    truth = data["label"] if x_shift == 0 else (rng.random(n) < score).astype(int)
    flipped = rng.random(n) < flip
    truth = np.where(flipped, 1 - truth, truth)
    records, labels = [], []
    for i in range(n):
        request_id = f"{id_prefix}{seed}-{i}"
        ts = start + timedelta(seconds=seconds * i / n)
        records.append(PredictionRecord(
            model_version=version, ts=ts, request_id=request_id,
            features={"x": float(x[i]), "y": float(data["y"][i]), "colour": str(data["colour"][i])},
            prediction=int(score[i] >= 0.5), score=float(score[i]), latency_ms=float(20 + rng.exponential(5)),
            error=bool(rng.random() < error_rate),
        ))
        labels.append(GroundTruthRecord(request_id=request_id, actual=int(truth[i]), ts=ts + timedelta(hours=2)))
    return PredictionBatch(records=records), labels
