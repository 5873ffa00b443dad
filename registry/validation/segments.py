"""Slices of the evaluation set: each declared segment column, every categorical feature (up to a number of
distinct values) and every numeric feature cut into quantile bins; missing values form their own slice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from registry.governance.measured import SliceSource


@dataclass(frozen=True, slots=True)
class Slice:
    column: str
    label: str
    source: SliceSource
    index: np.ndarray


def _groups(column: str, codes: np.ndarray, labels: list[str], source: SliceSource) -> list[Slice]:
    """One slice per code (-1 is missing), built with one sort rather than a scan per value."""
    order = np.argsort(codes, kind="stable")
    values, starts = np.unique(codes[order], return_index=True)
    parts = np.split(order, starts[1:])
    return [Slice(column, "missing" if code < 0 else labels[code], source, part) for code, part in zip(values, parts)]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def numeric_slices(column: str, values: np.ndarray, bins: int, source: SliceSource) -> list[Slice]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return _groups(column, np.full(values.size, -1), [], source)
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        return _groups(column, np.where(np.isfinite(values), 0, -1), [f"= {_fmt(edges[0])}"], source)
    inner = edges[1:-1]
    codes = np.where(np.isfinite(values), np.searchsorted(inner, values, side="right"), -1)
    labels = [f"[{_fmt(lo)}, {_fmt(hi)}{']' if i == edges.size - 2 else ')'}"
              for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
    return _groups(column, codes, labels, source)


def categorical_slices(column: str, values: pd.Series, source: SliceSource) -> list[Slice]:
    codes, uniques = pd.factorize(values, sort=True)
    return _groups(column, np.asarray(codes), [str(u) for u in uniques], source)


def is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def slices(features: pd.DataFrame, declared: list[str], bins: int,
           max_categories: int) -> tuple[list[Slice], list[str]]:
    """Every slice, and the categorical columns skipped for having too many distinct values."""
    result: list[Slice] = []
    skipped: list[str] = []
    for column in features.columns:
        values = features[column]
        source: SliceSource = "declared" if column in declared else "numeric_bin"
        if is_numeric(values) and values.nunique() > max_categories:
            result += numeric_slices(column, values.to_numpy(dtype=np.float64, na_value=np.nan), bins, source)
        elif column in declared or values.nunique() <= max_categories:
            result += categorical_slices(column, values, "declared" if column in declared else "categorical")
        else:
            skipped.append(column)
    return result, skipped
