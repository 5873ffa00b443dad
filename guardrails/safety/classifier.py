"""Harmful-content classifier over MiniLM embeddings: a logistic harm score plus a nearest-centroid category.

Weights are written by `evals/train_safety.py`: `safety.npz` (arrays only, loaded with allow_pickle=False) and
`safety.json` (category names and the decision threshold).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.safety.categories import CATEGORIES, Category

WEIGHTS_DIR = Path(__file__).with_name("weights")


@dataclass(frozen=True, slots=True)
class SafetyScore:
    """Probability that a text is harmful, and its most likely harm category."""

    harmful: float
    category: Category
    category_similarity: float


@dataclass(frozen=True, slots=True)
class SafetyModel:
    """Linear harm head and per-category centroids (unit vectors) in MiniLM space."""

    weights: np.ndarray
    bias: float
    centroids: np.ndarray
    categories: tuple[Category, ...]
    threshold: float

    def score(self, embeddings: np.ndarray) -> list[SafetyScore]:
        logits = embeddings @ self.weights + self.bias
        probs = 1.0 / (1.0 + np.exp(-logits))
        sims = embeddings @ self.centroids.T
        best = sims.argmax(axis=1)
        return [
            SafetyScore(float(p), self.categories[int(k)], float(sims[i, k]))
            for i, (p, k) in enumerate(zip(probs, best, strict=True))
        ]

    def save(self, folder: Path = WEIGHTS_DIR) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "safety.npz", weights=self.weights, bias=np.array([self.bias]), centroids=self.centroids)
        meta = {"categories": list(self.categories), "threshold": self.threshold}
        (folder / "safety.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def load_model(folder: Path = WEIGHTS_DIR) -> SafetyModel:
    meta = json.loads((folder / "safety.json").read_text(encoding="utf-8"))
    categories = tuple(meta["categories"])
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"safety weights name unknown categories {sorted(unknown)!r}")
    with np.load(folder / "safety.npz", allow_pickle=False) as arrays:
        weights = arrays["weights"].astype(np.float32)
        bias = float(arrays["bias"][0])
        centroids = arrays["centroids"].astype(np.float32)
    if centroids.shape[0] != len(categories):
        raise ValueError(f"safety weights have {centroids.shape[0]} centroids for {len(categories)} categories")
    return SafetyModel(weights, bias, centroids, categories, float(meta["threshold"]))  # type: ignore[arg-type]
