"""Data drift: injected shifts flagged at the right severity, large undrifted samples never flagged."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from registry.monitoring.binning import (
    MISSING,
    OTHER,
    CategoricalBins,
    bin_counts,
    categorical_bins,
    numeric_bins,
    proportions,
)
from registry.monitoring.config import DriftThresholds
from registry.monitoring.drift import detect_drift
from registry.monitoring.levels import Level
from registry.monitoring.reference import build_profile
from registry.monitoring.stats import psi

RNG_SEED = 42


def _sample(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    return {
        "normal": lambda: rng.normal(0, 1, n),
        "lognormal": lambda: rng.lognormal(0, 1, n),
        "poisson": lambda: rng.poisson(3, n).astype(float),
        "uniform": lambda: rng.uniform(0, 1, n),
        "bimodal": lambda: np.where(rng.random(n) < 0.5, rng.normal(-2, 0.5, n), rng.normal(2, 0.5, n)),
    }[kind]()


@pytest.mark.parametrize("kind", ["normal", "lognormal", "poisson", "uniform", "bimodal"])
@pytest.mark.parametrize("n_current", [1_000, 50_000, 500_000])
def test_no_false_alarm_on_undrifted_numeric(kind: str, n_current: int) -> None:
    rng = np.random.default_rng(RNG_SEED)
    profile = build_profile({"f": _sample(kind, 100_000, rng)})
    [result] = detect_drift(profile, {"f": _sample(kind, n_current, rng)})
    assert result.severity == "none", result
    assert result.psi < 0.02


@pytest.mark.parametrize("weights", [[0.5, 0.3, 0.15, 0.05], [0.25, 0.25, 0.25, 0.25], [0.9, 0.05, 0.03, 0.02]])
def test_no_false_alarm_on_undrifted_categorical(weights: list[float]) -> None:
    rng = np.random.default_rng(RNG_SEED)
    values = np.array(["a", "b", "c", "d"])
    profile = build_profile({"c": rng.choice(values, 100_000, p=weights)})
    [result] = detect_drift(profile, {"c": rng.choice(values, 400_000, p=weights)})
    assert result.severity == "none", result


@pytest.mark.parametrize(
    ("shift", "scale", "severity", "level"),
    [
        (0.0, 1.0, "none", Level.NONE),
        (0.05, 1.0, "none", Level.NONE),  # trivial shift: p-value tiny at 500k rows, effect size small
        (0.25, 1.0, "moderate", Level.WARNING),
        (0.6, 1.0, "significant", Level.CRITICAL),
        (0.0, 1.8, "significant", Level.CRITICAL),
    ],
)
def test_numeric_shift_severity(shift: float, scale: float, severity: str, level: Level) -> None:
    rng = np.random.default_rng(RNG_SEED)
    profile = build_profile({"f": rng.normal(0, 1, 100_000)})
    [result] = detect_drift(profile, {"f": rng.normal(shift, scale, 500_000)})
    assert (result.severity, result.level) == (severity, level), result
    if severity == "none":
        assert result.psi < 0.1


def test_small_samples_are_guarded_by_the_p_value() -> None:
    rng = np.random.default_rng(RNG_SEED)
    profile = build_profile({"f": rng.normal(0, 1, 100_000)})
    flagged = sum(detect_drift(profile, {"f": rng.normal(0, 1, 150)})[0].drifted for _ in range(50))
    assert flagged <= 1


def test_categorical_shift_and_unseen_categories_are_flagged() -> None:
    rng = np.random.default_rng(RNG_SEED)
    ref = rng.choice(["a", "b", "c"], 50_000, p=[0.6, 0.3, 0.1])
    cur = rng.choice(["a", "b", "c", "zzz"], 50_000, p=[0.4, 0.3, 0.1, 0.2])
    profile = build_profile({"c": ref})
    [result] = detect_drift(profile, {"c": pa.array(cur).dictionary_encode()})
    assert result.severity == "significant"
    assert result.statistic_name == "cramers_v" and result.statistic > 0.1
    assert result.current_counts[3] == pytest.approx(10_000, rel=0.05)  # "zzz" landed in OTHER


def test_missing_values_rising_is_drift() -> None:
    rng = np.random.default_rng(RNG_SEED)
    profile = build_profile({"f": rng.normal(0, 1, 50_000)})
    cur = rng.normal(0, 1, 50_000)
    cur[: 15_000] = np.nan
    [result] = detect_drift(profile, {"f": cur})
    assert result.drifted and result.current_counts[-1] == 15_000


def test_binning_is_stable_and_documented_buckets_exist() -> None:
    bins = numeric_bins(np.arange(1000, dtype=float), 10)
    assert len(bins.edges) == 9 and bins.size == 11
    counts = bin_counts(bins, np.array([-1e9, 1e9, np.nan]))
    assert counts[0] == 1 and counts[-2] == 1 and counts[-1] == 1
    ties = numeric_bins(np.array([1.0] * 900 + [2.0] * 100), 10)
    assert ties.edges == (1.0,)
    cats = categorical_bins(["b", "a", "a", None, "c", "c", "c"], max_categories=2)
    assert cats == CategoricalBins(categories=("c", "a"))
    assert cats.labels() == ["c", "a", OTHER, MISSING]
    assert list(bin_counts(cats, ["b", "new", None, "a"])) == [0, 1, 2, 1]


def test_epsilon_smoothing_keeps_psi_finite() -> None:
    shares = proportions(np.array([0, 10, 0]), 1e-4)
    assert shares.min() > 0 and shares.sum() == pytest.approx(1.0)
    assert np.isfinite(psi(np.array([100, 0]), np.array([0, 100])))


def test_thresholds_are_configurable() -> None:
    rng = np.random.default_rng(RNG_SEED)
    profile = build_profile({"f": rng.normal(0, 1, 100_000)})
    current = {"f": rng.normal(0.25, 1, 200_000)}
    assert detect_drift(profile, current)[0].severity == "moderate"
    strict = DriftThresholds(psi_moderate=0.02, psi_significant=0.05)
    assert detect_drift(profile, current, strict)[0].severity == "significant"
    lenient = DriftThresholds(psi_moderate=0.5, psi_significant=0.9, ks_d=0.5)
    assert detect_drift(profile, current, lenient)[0].severity == "none"
