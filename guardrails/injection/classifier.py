"""The learned layer: a small feed-forward net (logistic regression when it has one layer) over MiniLM embeddings.

Weights are plain arrays in an `.npz` file, read with `allow_pickle=False`, so loading them can never run code.
`evals/train_injection.py` writes them reproducibly (fixed seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "injection_mlp.npz"


class WeightsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class InjectionClassifier:
    """Dense layers with ReLU between them and a sigmoid at the end; input is a unit-normalised embedding."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    version: str = "unversioned"
    offset: float = 0.0
    """Added to the final logit: moves the operating point chosen on training folds (pooled FPR <= 3%) onto the
    shipped user threshold, so `RoleThresholds` stay meaningful when the model is retrained."""

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.biases) or not self.weights:
            raise WeightsError(
                f"need as many bias vectors as weight matrices, got {len(self.weights)}/{len(self.biases)}"
            )
        if self.weights[-1].shape[1] != 1:
            raise WeightsError(f"last layer must have one output, got shape {self.weights[-1].shape}")

    @property
    def input_dim(self) -> int:
        return int(self.weights[0].shape[0])

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """Probability of injection for each row."""
        if embeddings.ndim != 2 or embeddings.shape[1] != self.input_dim:
            raise WeightsError(f"expected embeddings of shape (n, {self.input_dim}), got {embeddings.shape}")
        h = embeddings.astype(np.float32, copy=False)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w + b
            if i < last:
                h = np.maximum(h, 0.0)
        logits = np.clip(h[:, 0] + self.offset, -40.0, 40.0)
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {"n_layers": np.array(len(self.weights)), "version": np.array(self.version)}
        arrays["offset"] = np.array(self.offset, dtype=np.float64)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"w{i}"] = w.astype(np.float32)
            arrays[f"b{i}"] = b.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> InjectionClassifier:
        """Read weights written by `save`; never unpickles."""
        with np.load(path, allow_pickle=False) as data:
            n = int(data["n_layers"])
            weights = tuple(np.asarray(data[f"w{i}"], dtype=np.float32) for i in range(n))
            biases = tuple(np.asarray(data[f"b{i}"], dtype=np.float32) for i in range(n))
            version = str(data["version"]) if "version" in data.files else "unversioned"
            offset = float(data["offset"]) if "offset" in data.files else 0.0
        return cls(weights, biases, version, offset)
