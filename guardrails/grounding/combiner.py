"""The logistic-regression combiner that turns claim features into a support probability.

Weights are plain JSON written by `evals/train_grounding.py`; two variants exist because the embedding feature
is optional (the lexical variant needs no model and runs in well under a millisecond).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from guardrails.grounding.features import FEATURES

Variant = Literal["lexical", "embedding"]
WEIGHTS_PATH = Path(__file__).with_name("weights.json")
DEFAULT_CAPS = ("fact_missing", "negation_mismatch")
CONTRADICTION_CAP = 0.2
"""Highest support a claim keeps when it contradicts the context (a number, name or negation that differs).

The data has few such contradictions, so the fitted weights under-rate them; an explicit cap makes them decisive.
"""


@dataclass(frozen=True, slots=True)
class Combiner:
    """Standardise, dot, sigmoid. `threshold` is the support probability below which an answer is ungrounded."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float
    caps: tuple[str, ...] = DEFAULT_CAPS
    """Features that cap the support at CONTRADICTION_CAP when positive, whatever the fitted weights say."""

    def columns(self) -> list[int]:
        return [FEATURES.index(name) for name in self.features]

    def predict(self, rows: np.ndarray) -> np.ndarray:
        x = (rows[:, self.columns()] - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias)))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "threshold": self.threshold,
            "caps": list(self.caps),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Combiner:
        features = tuple(str(f) for f in data["features"])  # type: ignore[union-attr]
        caps = tuple(str(f) for f in data.get("caps", DEFAULT_CAPS))  # type: ignore[union-attr]
        unknown = (set(features) | set(caps)) - set(FEATURES)
        if unknown:
            raise ValueError(f"grounding weights name unknown features {sorted(unknown)!r}")
        return cls(
            features=features,
            mean=np.asarray(data["mean"], dtype=np.float32),
            scale=np.asarray(data["scale"], dtype=np.float32),
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),  # type: ignore[arg-type]
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
            caps=caps,
        )


def support(combiner: Combiner, rows: np.ndarray) -> np.ndarray:
    """Support probability of each feature row: the fitted combiner, capped on contradictions."""
    probs = combiner.predict(rows)
    if not combiner.caps:
        return probs
    contradicted = (rows[:, [FEATURES.index(f) for f in combiner.caps]] > 0).any(axis=1)
    return np.where(contradicted, np.minimum(probs, CONTRADICTION_CAP), probs)


def load_combiner(variant: Variant, path: Path = WEIGHTS_PATH) -> Combiner:
    data = json.loads(path.read_text(encoding="utf-8"))
    if variant not in data:
        raise ValueError(f"grounding weights file {str(path)!r} has no variant {variant!r}")
    return Combiner.from_json(data[variant])


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    features: tuple[str, ...],
    l2: float = 1e-2,
    steps: int = 3000,
    lr: float = 0.5,
    sample_weight: np.ndarray | None = None,
) -> Combiner:
    """Weighted L2 logistic regression by gradient descent (numpy only; small data).

    Without `sample_weight` the two classes weigh the same; with it, the given weights are used (normalised).
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    if sample_weight is None:
        pos = max(1.0, float(y.sum()))
        neg = max(1.0, float(len(y) - y.sum()))
        sample_w = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    else:
        sample_w = sample_weight * len(y) / float(sample_weight.sum())
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = (p - y) * sample_w
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * float(g.mean())
    return Combiner(features, mean.astype(np.float32), scale.astype(np.float32), w.astype(np.float32), b, 0.5)
