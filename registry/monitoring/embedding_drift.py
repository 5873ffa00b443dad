"""Shift in what users ask: prompt embeddings of current traffic against a reference sketch.

The sketch keeps the reference centroid and, for the top principal directions of the reference embeddings,
quantile bins and counts of the projections. Drift = the mean PSI over those projection histograms (the
same bands as data drift), with the cosine distance between centroids reported alongside. Vectors can come
from `guardrails.embeddings.shared_embedder()` (MiniLM) or be precomputed by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from registry.monitoring.binning import NumericBins, bin_counts, numeric_bins
from registry.monitoring.config import DriftThresholds
from registry.monitoring.levels import Level
from registry.monitoring.stats import psi


@dataclass(frozen=True, slots=True)
class EmbeddingSketch:
    """Centroid, principal directions and projection histograms of reference embeddings."""

    centroid: np.ndarray
    directions: np.ndarray
    bins: tuple[NumericBins, ...]
    counts: tuple[np.ndarray, ...]

    @classmethod
    def fit(cls, vectors: np.ndarray, components: int = 8, n_bins: int = 10) -> EmbeddingSketch:
        data = np.asarray(vectors, dtype=np.float64)
        if data.ndim != 2 or data.shape[0] < 2 * n_bins:
            raise ValueError(f"need a 2-D array of at least {2 * n_bins} embeddings, got shape {data.shape!r}")
        centroid = data.mean(axis=0)
        _, _, vt = np.linalg.svd(data - centroid, full_matrices=False)
        directions = vt[: min(components, vt.shape[0])]
        projected = (data - centroid) @ directions.T
        bins = tuple(numeric_bins(projected[:, i], n_bins) for i in range(directions.shape[0]))
        counts = tuple(bin_counts(b, projected[:, i]) for i, b in enumerate(bins))
        return cls(centroid, directions, bins, counts)


@dataclass(frozen=True, slots=True)
class EmbeddingDrift:
    """Mean and per-direction PSI of the projections, centroid cosine distance, and the level."""

    mean_psi: float
    psi_per_direction: tuple[float, ...]
    centroid_distance: float
    level: Level


def embedding_drift(sketch: EmbeddingSketch, vectors: np.ndarray, thresholds: DriftThresholds | None = None) -> EmbeddingDrift:
    t = thresholds or DriftThresholds()
    data = np.asarray(vectors, dtype=np.float64)
    projected = (data - sketch.centroid) @ sketch.directions.T
    values = tuple(
        psi(sketch.counts[i], bin_counts(sketch.bins[i], projected[:, i]), t.epsilon) for i in range(len(sketch.bins))
    )
    mean_psi = float(np.mean(values))
    current = data.mean(axis=0)
    denominator = float(np.linalg.norm(current) * np.linalg.norm(sketch.centroid)) or 1.0
    distance = 1.0 - float(np.dot(current, sketch.centroid)) / denominator
    level = Level.NONE
    if data.shape[0] >= t.min_samples:
        if mean_psi >= t.psi_significant:
            level = t.significant_level
        elif mean_psi >= t.psi_moderate:
            level = t.moderate_level
    return EmbeddingDrift(mean_psi, values, distance, level)


def embed_prompts(prompts: Sequence[str]) -> np.ndarray:
    """MiniLM embeddings of prompts via the shared embedder (loads the model on first use)."""
    from guardrails.embeddings import shared_embedder

    return shared_embedder().encode(list(prompts))
