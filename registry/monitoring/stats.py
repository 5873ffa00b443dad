"""Two-sample drift statistics on binned counts: PSI, binned Kolmogorov-Smirnov, chi-square and Cramér's V.

Every statistic here reads counts on the reference bins (see `binning`), never raw rows, so it works the
same on a fresh array and on stored sketches. Effect sizes (PSI, KS D, Cramér's V) decide whether a feature
drifted; the p-value is only a guard: on a large sample a trivial shift is "significant" but its effect size
stays small, and on a small sample a noisy effect size is rejected by the p-value.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from registry.monitoring.binning import DEFAULT_EPSILON, proportions


def psi(reference: np.ndarray, current: np.ndarray, epsilon: float = DEFAULT_EPSILON) -> float:
    """Population Stability Index: sum over bins of (cur - ref) * ln(cur / ref) on smoothed proportions."""
    p = proportions(np.asarray(reference, dtype=np.float64), epsilon)
    q = proportions(np.asarray(current, dtype=np.float64), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def binned_ks(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """KS D and its asymptotic p-value, evaluated at the bin edges (the missing bin is left out).

    D on bins is a lower bound of the exact D: the two CDFs are compared only at the reference quantiles.
    """
    ref = np.asarray(reference[:-1], dtype=np.float64)
    cur = np.asarray(current[:-1], dtype=np.float64)
    n_ref, n_cur = ref.sum(), cur.sum()
    if n_ref == 0 or n_cur == 0:
        return 0.0, 1.0
    d = float(np.max(np.abs(np.cumsum(ref) / n_ref - np.cumsum(cur) / n_cur)))
    effective_n = n_ref * n_cur / (n_ref + n_cur)
    return d, float(special.kolmogorov(math.sqrt(effective_n) * d))


def chi_square(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Pearson chi-square of homogeneity on the 2 x K table of counts; empty columns are dropped."""
    table = np.vstack([reference, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    totals = table.sum(axis=1, keepdims=True)
    if table.shape[1] < 2 or np.any(totals == 0):
        return 0.0, 1.0
    expected = totals * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return statistic, float(special.chdtrc(table.shape[1] - 1, statistic))


def cramers_v(reference: np.ndarray, current: np.ndarray) -> float:
    """Cramér's V of the 2 x K table built from the two proportion vectors weighted equally.

    Weighting the samples equally keeps V independent of how much larger the current window is than the
    reference (with raw counts V shrinks as one side grows, which would hide drift on busy models).
    """
    p = _shares(reference)
    q = _shares(current)
    both = p + q
    keep = both > 0
    if keep.sum() < 2:
        return 0.0
    return float(math.sqrt(0.5 * np.sum((p[keep] - q[keep]) ** 2 / both[keep])))


def _shares(counts: np.ndarray) -> np.ndarray:
    data = np.asarray(counts, dtype=np.float64)
    total = data.sum()
    return data / total if total > 0 else data
