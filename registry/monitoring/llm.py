"""Drift of the gateway's LLM traffic: usage metrics and verdict rates per (team, model, prompt version).

Numeric usage metrics (latency, tokens, cost) use the same reference-quantile binning and PSI/KS rule as
classical features; rates (errors, guardrail blocks) use a two-proportion z-test guarded by an absolute
change (`min_rate_change`), so a busy gateway does not alert on a 0.1 point wobble.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import special

from registry.monitoring.binning import bin_counts, numeric_bins
from registry.monitoring.config import DriftThresholds
from registry.monitoring.drift import FeatureDrift, compare_feature
from registry.monitoring.levels import Level
from registry.monitoring.reference import FeatureReference

NUMERIC_METRICS = ("latency_ms", "prompt_tokens", "completion_tokens", "cost_usd")


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One gateway request as the usage log records it; `verdicts` maps guardrail name to its action."""

    ts: datetime
    team: str
    model: str
    prompt_version: str | None
    latency_ms: float
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    error: bool = False
    verdicts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RateDrift:
    """A rate (error or a guardrail action) that moved between reference and current traffic."""

    name: str
    reference_rate: float
    current_rate: float
    p_value: float
    level: Level


@dataclass(frozen=True, slots=True)
class GroupDrift:
    """Usage drift of one (team, model, prompt version) group."""

    team: str
    model: str
    prompt_version: str | None
    metrics: list[FeatureDrift]
    rates: list[RateDrift]

    @property
    def level(self) -> Level:
        return max([m.level for m in self.metrics] + [r.level for r in self.rates], key=lambda l: l.rank, default=Level.NONE)


def usage_drift(
    reference: Sequence[UsageRow],
    current: Sequence[UsageRow],
    thresholds: DriftThresholds | None = None,
    min_rate_change: float = 0.05,
) -> list[GroupDrift]:
    """Compare current traffic with reference traffic, group by group (groups absent from either side are skipped)."""
    chosen = thresholds or DriftThresholds()
    ref_groups, cur_groups = _group(reference), _group(current)
    results = []
    for key in sorted(set(ref_groups) & set(cur_groups), key=str):
        ref, cur = ref_groups[key], cur_groups[key]
        metrics = [_metric_drift(name, ref, cur, chosen) for name in NUMERIC_METRICS]
        rates = [_rate_drift(name, ref, cur, chosen, min_rate_change) for name in _rate_names(ref, cur)]
        results.append(GroupDrift(key[0], key[1], key[2], metrics, [r for r in rates if r.level != Level.NONE]))
    return results


def _group(rows: Sequence[UsageRow]) -> dict[tuple[str, str, str | None], list[UsageRow]]:
    groups: dict[tuple[str, str, str | None], list[UsageRow]] = defaultdict(list)
    for row in rows:
        groups[(row.team, row.model, row.prompt_version)].append(row)
    return groups


def _metric_drift(name: str, ref: list[UsageRow], cur: list[UsageRow], t: DriftThresholds) -> FeatureDrift:
    ref_values = np.array([getattr(r, name) for r in ref], dtype=np.float64)
    bins = numeric_bins(ref_values, t.n_bins)
    feature = FeatureReference(name, "numeric", bins, tuple(int(c) for c in bin_counts(bins, ref_values)))
    return compare_feature(feature, bin_counts(bins, np.array([getattr(r, name) for r in cur], dtype=np.float64)), t)


def _rate_names(ref: list[UsageRow], cur: list[UsageRow]) -> list[str]:
    names = {"error"}
    for row in [*ref, *cur]:
        names.update(f"{guardrail}:{action}" for guardrail, action in row.verdicts.items())
    return sorted(names)


def _hits(rows: list[UsageRow], name: str) -> int:
    if name == "error":
        return sum(r.error for r in rows)
    guardrail, action = name.split(":", 1)
    return sum(r.verdicts.get(guardrail) == action for r in rows)


def _rate_drift(name: str, ref: list[UsageRow], cur: list[UsageRow], t: DriftThresholds, min_change: float) -> RateDrift:
    x1, n1, x2, n2 = _hits(ref, name), len(ref), _hits(cur, name), len(cur)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = float(2 * special.ndtr(-abs(p2 - p1) / se)) if se > 0 else (1.0 if p1 == p2 else 0.0)
    change = abs(p2 - p1)
    level = Level.NONE
    if p_value < t.alpha and change >= min_change:
        level = t.significant_level if change >= 2 * min_change else t.moderate_level
    return RateDrift(name, p1, p2, p_value, level)
