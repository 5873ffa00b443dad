"""Figures checked against values computed by hand on tiny data; slices, filters and fairness on known inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from registry.governance.policy import DEFAULT_POLICY
from registry.validation import filters
from registry.validation.fairness import fairness
from registry.validation.metrics import Units, estimate
from registry.validation.options import ValidationInputError
from registry.validation.segments import slices

Y = np.array([1, 0, 1, 1, 0, 0], dtype=float)
PRED = np.array([1, 0, 0, 1, 1, 0], dtype=float)
SCORE = np.array([0.9, 0.1, 0.4, 0.8, 0.6, 0.2])


def _figures(units: Units, resamples: int = 0) -> dict[str, float | None]:
    return {m.name: m.value for m in estimate(units, {}, resamples, 10_000, np.random.default_rng(0))}


def test_binary_classification_by_hand() -> None:
    got = _figures(Units("classification", Y, PRED, SCORE, np.array([0.0, 1.0])))
    # 4 of 6 right; tp=2 fp=1 fn=1; 8 of 9 positive/negative pairs ordered; brier = 0.82/6;
    # ECE: every score alone in its bin, |0.1|+|0.1|+|0.6|+|0.2|+|0.6|+|0.2| over 6.
    expected = {"accuracy": 4 / 6, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "roc_auc": 8 / 9,
                "brier": 0.82 / 6, "ece": 1.8 / 6}
    assert got == pytest.approx(expected)


def test_regression_by_hand() -> None:
    got = _figures(Units("regression", np.array([1.0, 2.0, 4.0, 0.0]), np.array([2.0, 2.0, 2.0, 1.0]), None,
                         np.empty(0)))
    # errors 1, 0, -2, 1: rmse sqrt(6/4), mae 1; mape over non-zero actuals (1/1 + 0 + 2/4) / 3
    assert got == pytest.approx({"rmse": np.sqrt(1.5), "mae": 1.0, "mape": 0.5})


def test_ranking_by_hand() -> None:
    from registry.validation.data import EvalData
    from registry.validation.metrics import units_of

    data = EvalData("q", "0" * 64, labels=np.array([0.0, 1.0, 1.0, 0.0]), predictions=None,
                    scores=np.array([0.9, 0.8, 0.7, 0.1]), queries=np.array(["q1", "q1", "q2", "q2"]),
                    features=pd.DataFrame(index=range(4)))
    got = _figures(units_of(data, "ranking", 0.5))
    # q1 ranks [0, 1]: RR 1/2, AP 1/2, NDCG 1/log2(3); q2 ranks [1, 0]: every figure 1.
    assert got == pytest.approx({"ndcg": (1 / np.log2(3) + 1) / 2, "map": 0.75, "mrr": 0.75})


def test_bootstrap_interval_holds_the_figure_and_is_reproducible() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 5000).astype(float)
    units = Units("classification", y, np.where(rng.random(5000) < 0.8, y, 1 - y), None, np.array([0.0, 1.0]))
    first = estimate(units, {"accuracy": 0.9}, 200, 1000, np.random.default_rng(0))
    again = estimate(units, {"accuracy": 0.9}, 200, 1000, np.random.default_rng(0))
    accuracy = first[0]
    assert accuracy.ci_low < accuracy.value < accuracy.ci_high and accuracy.ci_high - accuracy.ci_low < 0.05
    assert accuracy.passed is False and first == again


def test_slices_cover_categories_numeric_bins_and_missing() -> None:
    frame = pd.DataFrame({"region": ["n", "s", None, "n"] * 25, "income": [float(i) for i in range(99)] + [np.nan],
                          "id": [f"id{i}" for i in range(100)]})
    found, skipped = slices(frame, ["region"], bins=4, max_categories=20)
    labels = {(s.column, s.label, s.source): s.index.size for s in found}
    assert labels[("region", "n", "declared")] == 50 and labels[("region", "missing", "declared")] == 25
    assert sum(n for (c, _, _), n in labels.items() if c == "income") == 100
    assert ("income", "missing", "numeric_bin") in labels and skipped == ["id"]


@pytest.mark.parametrize(("expression", "rows"), [
    ("income > 50", 49), ("region == 'n' and income <= 10", 5), ('region != "n"', 25), ("region == s", 25),
])
def test_filter_expressions(expression: str, rows: int) -> None:
    frame = pd.DataFrame({"region": ["n", "s", None, "n"] * 25, "income": [float(i) for i in range(100)]})
    assert int(filters.mask(frame, expression).sum()) == rows


@pytest.mark.parametrize(("expression", "message"), [
    ("__import__('os').system('id')", "invalid filter clause"),
    ("income > 1 or income < 0", "invalid filter clause"),
    ("salary > 3", "filter column 'salary' is not in the data"),
    ("", "invalid filter"),
])
def test_filter_refuses_anything_but_the_grammar(expression: str, message: str) -> None:
    frame = pd.DataFrame({"income": [1.0, 2.0]})
    with pytest.raises(ValidationInputError, match=message.replace("(", r"\(")):
        filters.mask(frame, expression)


def test_fairness_figures_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=float)
    pred = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=float)
    groups = pd.Series(["a"] * 4 + ["b"] * 4)
    result = fairness("group", y, pred, groups, DEFAULT_POLICY.for_tier(3).fairness)
    # selection a 3/4, b 1/4; TPR a 1, b 1/2; FPR a 1/2, b 0
    assert result.demographic_parity_difference == pytest.approx(0.5)
    assert result.demographic_parity_ratio == pytest.approx(1 / 3)
    assert result.equal_opportunity_difference == pytest.approx(0.5)
    assert result.equalized_odds_difference == pytest.approx(0.5)
    assert [(g.group, g.rows, g.selection_rate) for g in result.groups] == [("a", 4, 0.75), ("b", 4, 0.25)]
    assert not result.passed and len(result.issues) == 4


def test_tier1_fairness_limits_are_stricter() -> None:
    strict, lax = DEFAULT_POLICY.for_tier(1).fairness, DEFAULT_POLICY.for_tier(3).fairness
    assert strict.max_demographic_parity_difference < lax.max_demographic_parity_difference
    assert strict.min_demographic_parity_ratio > lax.min_demographic_parity_ratio


def test_regression_report_flags_the_segment_with_large_errors() -> None:
    from datetime import date

    from registry.governance.specs import ValidationSpec
    from registry.validation.options import DataFile, ValidationOptions
    from registry.validation.service import VersionContext, compute

    actual = np.arange(1.0, 201.0)
    frame = pd.DataFrame({"label": actual, "prediction": actual + np.where(np.arange(200) % 2, 0.5, -0.5),
                          "site": ["a", "b", "c", "d"] * 50})
    frame.loc[frame["site"] == "d", "prediction"] += 10
    spec = ValidationSpec(task="regression", thresholds={"mae": 2.0})
    context = VersionContext("1", spec, DEFAULT_POLICY.for_tier(2).fairness, 2, [])
    report = compute(context, DataFile(frame.to_csv(index=False).encode(), "csv", "r.csv"),
                     ValidationOptions(bootstrap=0), "vera", date(2030, 1, 1))
    mae = {s.segment: s.metrics[1].value for s in report.segments}
    assert mae == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.5, "d": 10.5})
    assert [s.segment for s in report.segments if s.flagged] == ["d"] and not report.passed
    assert report.metrics[1].value == pytest.approx((0.5 * 150 + 10.5 * 50) / 200) and report.fairness == []


def test_ranking_report_with_a_filter_recomputes_per_query() -> None:
    from datetime import date

    from registry.governance.specs import ValidationSpec
    from registry.validation.options import DataFile, ValidationOptions
    from registry.validation.service import VersionContext, compute

    # Every query ranks its one relevant result first, except where `hard` is set: there it comes last.
    frame = pd.DataFrame({"query_id": np.repeat(np.arange(40), 3), "label": [1, 0, 0] * 40,
                          "score": [0.9, 0.5, 0.1] * 20 + [0.1, 0.5, 0.9] * 20, "hard": np.repeat([0, 1], 60)})
    context = VersionContext("1", ValidationSpec(task="ranking", thresholds={"mrr": 0.9}),
                             DEFAULT_POLICY.for_tier(3).fairness, 3, [])
    report = compute(context, DataFile(frame.to_csv(index=False).encode(), "csv", "q.csv"),
                     ValidationOptions(filter="hard == 1", bootstrap=20), "vera", date(2030, 1, 1))
    overall = {m.name: m.value for m in report.metrics}
    assert overall["mrr"] == pytest.approx((1 + 1 / 3) / 2) and not report.passed
    hard = report.robustness[0]
    assert hard.rows == 20 and {m.name: m.value for m in hard.metrics}["mrr"] == pytest.approx(1 / 3)
