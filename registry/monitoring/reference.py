"""The reference profile of a model version: per feature, its frozen bins and the reference counts on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from registry.monitoring.binning import (
    Bins,
    CategoricalBins,
    ColumnData,
    FeatureKind,
    NumericBins,
    bin_counts,
    categorical_bins,
    numeric_bins,
)

PREDICTION_FEATURE = "__prediction__"
SCORE_FEATURE = "__score__"


@dataclass(frozen=True, slots=True)
class FeatureReference:
    """One feature's bins and its reference counts on them (same length)."""

    name: str
    kind: FeatureKind
    bins: Bins
    counts: tuple[int, ...]

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"name": self.name, "kind": self.kind, "counts": list(self.counts)}
        if isinstance(self.bins, NumericBins):
            data["edges"] = list(self.bins.edges)
        else:
            data["categories"] = list(self.bins.categories)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> FeatureReference:
        kind = str(data["kind"])
        if kind == "numeric":
            bins: Bins = NumericBins(edges=tuple(float(e) for e in data["edges"]))  # type: ignore[attr-defined]
        elif kind == "categorical":
            bins = CategoricalBins(categories=tuple(str(c) for c in data["categories"]))  # type: ignore[attr-defined]
        else:
            raise ValueError(f"unknown feature kind {kind!r}")
        counts = tuple(int(c) for c in data["counts"])  # type: ignore[attr-defined]
        if len(counts) != bins.size:
            raise ValueError(f"feature {data['name']!r}: {len(counts)} counts for {bins.size} bins")
        return cls(name=str(data["name"]), kind=kind, bins=bins, counts=counts)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ReferenceProfile:
    """All profiled features of one model version, in a stable order."""

    features: tuple[FeatureReference, ...]

    def feature(self, name: str) -> FeatureReference:
        for item in self.features:
            if item.name == name:
                return item
        raise KeyError(f"feature {name!r} is not in the reference profile")

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def to_json(self) -> dict[str, object]:
        return {"features": [f.to_json() for f in self.features]}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ReferenceProfile:
        return cls(features=tuple(FeatureReference.from_json(f) for f in data["features"]))  # type: ignore[attr-defined]


def infer_kind(values: ColumnData) -> FeatureKind:
    """Numbers and booleans are numeric; strings, dictionaries and anything else are categorical."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        kind = values.type
        return "numeric" if pa.types.is_integer(kind) or pa.types.is_floating(kind) else "categorical"
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        dtype = np.asarray(values).dtype
    return "numeric" if getattr(dtype, "kind", "O") in "iuf" else "categorical"


def build_profile(
    columns: Mapping[str, ColumnData],
    kinds: Mapping[str, FeatureKind] | None = None,
    n_bins: int = 10,
    max_categories: int = 50,
    names: Sequence[str] | None = None,
) -> ReferenceProfile:
    """Profile reference data: quantile bins for numeric features, top categories for categorical ones."""
    features = []
    for name in names or list(columns):
        values = columns[name]
        kind = (kinds or {}).get(name) or infer_kind(values)
        bins: Bins = numeric_bins(values, n_bins) if kind == "numeric" else categorical_bins(values, max_categories)
        counts = tuple(int(c) for c in bin_counts(bins, values))
        features.append(FeatureReference(name=name, kind=kind, bins=bins, counts=counts))
    return ReferenceProfile(features=tuple(features))
