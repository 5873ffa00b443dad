"""Isotonic calibration of classifier scores (pool-adjacent-violators), fitted on labelled reference data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Calibrator:
    """A monotone step function from raw score to probability of the positive class."""

    thresholds: tuple[float, ...]
    values: tuple[float, ...]

    @classmethod
    def fit(cls, scores: np.ndarray, labels: np.ndarray) -> Calibrator:
        keep = ~(np.isnan(scores) | np.isnan(labels))
        if keep.sum() == 0:
            raise ValueError("cannot calibrate on zero labelled scores")
        order = np.argsort(scores[keep], kind="stable")
        x, y = scores[keep][order], labels[keep][order]
        # Pool adjacent blocks while their means decrease: the result is the isotonic least-squares fit.
        means, weights, ends = [], [], []
        for i, value in enumerate(y):
            means.append(float(value))
            weights.append(1.0)
            ends.append(x[i])
            while len(means) > 1 and means[-2] > means[-1]:
                w = weights[-2] + weights[-1]
                means[-2] = (means[-2] * weights[-2] + means[-1] * weights[-1]) / w
                weights[-2] = w
                ends[-2] = ends[-1]
                del means[-1], weights[-1], ends[-1]
        return cls(thresholds=tuple(float(e) for e in ends), values=tuple(means))

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities; scores above the last block keep the last block's value."""
        if not self.thresholds:
            return np.asarray(scores, dtype=np.float64)
        idx = np.searchsorted(np.asarray(self.thresholds), scores, side="left")
        idx = np.clip(idx, 0, len(self.values) - 1)
        return np.asarray(self.values)[idx]

    def to_json(self) -> dict[str, object]:
        return {"thresholds": list(self.thresholds), "values": list(self.values)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Calibrator:
        return cls(
            thresholds=tuple(float(v) for v in data["thresholds"]),  # type: ignore[attr-defined]
            values=tuple(float(v) for v in data["values"]),  # type: ignore[attr-defined]
        )
