"""Monitoring settings: drift thresholds, decay levels, schedules per tier, webhooks and action policies."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from registry.monitoring.expectations import FeatureExpectation
from registry.monitoring.levels import Level
from registry.monitoring.source_config import SourceBinding

WebhookFormat = Literal["slack", "generic"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftThresholds(_Strict):
    """Effect-size bands decide drift; the p-value only guards against noise on small samples."""

    psi_moderate: float = 0.1
    psi_significant: float = 0.2
    ks_d: float = 0.1
    cramers_v: float = 0.1
    alpha: float = 0.01
    min_samples: int = 100
    epsilon: float = 1e-4
    n_bins: int = Field(default=10, ge=2, le=100)
    max_categories: int = Field(default=50, ge=1)
    moderate_level: Level = Level.WARNING
    significant_level: Level = Level.CRITICAL


class DecayThresholds(_Strict):
    """Relative degradation against the version's validated metric: < warning is Info, > critical is Critical."""

    warning: float = 0.05
    critical: float = 0.10
    emergency_error_rate: float = 0.5
    min_labelled: int = 50


class ConceptDriftThresholds(_Strict):
    """Window-series rules; see `registry.monitoring.concept` for the definitions of each drift type."""

    sudden_drop: float = 0.08
    trend_alpha: float = 0.01
    trend_total_drop: float = 0.05
    max_roughness: float = 0.25
    recurring_min_acf: float = 0.5
    recurring_min_amplitude: float = 0.05
    min_windows: int = 4


class TierSchedule(_Strict):
    """How often a tier's checks run, how far back they look, how often it is re-trained regardless, and what is an
    Emergency for it (the level that may trigger an automatic rollback)."""

    every_seconds: int = Field(gt=0)
    lookback_seconds: int = Field(gt=0)
    retrain_every_days: int | None = None
    expects_traffic: bool = True
    """No predictions in the window is an Emergency."""
    emergency_drop: float | None = Field(default=None, gt=0)
    """A measured validated metric this much worse (relative, 0.25 = 25%) is an Emergency; None: Critical at most."""
    emergency_error_rate: float | None = Field(default=None, gt=0, le=1)
    """Error rate that is an Emergency (None: `decay.emergency_error_rate`)."""


def _default_tiers() -> dict[int, TierSchedule]:
    minute, day = 60, 86_400
    return {
        1: TierSchedule(every_seconds=5 * minute, lookback_seconds=3600, retrain_every_days=30, emergency_drop=0.25),
        2: TierSchedule(every_seconds=day, lookback_seconds=day, retrain_every_days=90, emergency_drop=0.4),
        3: TierSchedule(every_seconds=7 * day, lookback_seconds=7 * day, retrain_every_days=180, expects_traffic=False),
        4: TierSchedule(every_seconds=30 * day, lookback_seconds=30 * day, expects_traffic=False),
    }


class WebhookTarget(_Strict):
    """One alert destination; it receives alerts at or above `min_level` (escalation by level)."""

    url: str
    format: WebhookFormat = "generic"
    min_level: Level = Level.WARNING
    timeout_seconds: float = 5.0


class ActionPolicy(_Strict):
    """What the monitor may do by itself."""

    retrain_on_level: Level = Level.CRITICAL
    rollback_on_emergency: bool = False
    rollback_tiers: tuple[int, ...] = (1, 2)
    gateway_alias: str = "production"
    dedup_window_seconds: int = 6 * 3600
    retrain_webhooks: tuple[WebhookTarget, ...] = ()
    audit_alerts: bool = False
    """Also record sent alerts (Warning and up) and re-training requests in the audit trail; rollbacks always are."""


class LlmMonitorConfig(_Strict):
    """Drift of gateway traffic: which gateway model names to watch besides governance's `llm` models, and the
    reference window (the `reference_seconds` before the current window)."""

    gateway_models: tuple[str, ...] = ()
    reference_seconds: int = Field(default=7 * 86_400, gt=0)
    min_rate_change: float = Field(default=0.05, gt=0, lt=1)
    max_rows: int = Field(default=50_000, gt=0)


class MonitorConfig(_Strict):
    """Everything `warden monitor run/serve` needs besides the database URL."""

    drift: DriftThresholds = DriftThresholds()
    decay: DecayThresholds = DecayThresholds()
    concept: ConceptDriftThresholds = ConceptDriftThresholds()
    tiers: dict[int, TierSchedule] = Field(default_factory=_default_tiers)
    default_tier: int = 2
    bucket_seconds: int = Field(default=3600, gt=0)
    webhooks: tuple[WebhookTarget, ...] = ()
    actions: ActionPolicy = ActionPolicy()
    llm: LlmMonitorConfig = LlmMonitorConfig()
    actor: str = "warden-monitor"
    sources: dict[str, SourceBinding] = Field(default_factory=dict)
    """Prediction tables monitored where they live (PostgreSQL, Parquet), by name; see `source_config`."""
    expectations: dict[str, dict[str, FeatureExpectation]] = Field(default_factory=dict)
    """Input data-quality expectations checked at ingest, by model name then feature; see `expectations`."""

    def tier_schedule(self, tier: int | None) -> TierSchedule:
        chosen = self.default_tier if tier is None else tier
        if chosen not in self.tiers:
            raise ValueError(f"no schedule for tier {chosen!r}; known tiers: {sorted(self.tiers)}")
        return self.tiers[chosen]


def load_monitor_config(path: Path | None) -> MonitorConfig:
    """The monitoring config from a YAML file (defaults without one); invalid content raises ValidationError."""
    if path is None:
        return MonitorConfig()
    return MonitorConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
