"""Process settings: where the config file and the registry are. Only these (and secrets) come from the
environment; everything else is in the config file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from registry.db import DEFAULT_URL

DEFAULT_CONFIG = "config/gateway.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path = Path(DEFAULT_CONFIG)
    database_url: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    migrate: bool = True
    """Apply schema migrations at start-up (SQLite default; set WARDEN_MIGRATE=0 where a job runs them)."""
    extra_env: dict[str, str] = field(default_factory=dict)
    monitor_config_path: Path | None = None
    """The monitoring config (`WARDEN_MONITOR_CONFIG`, as `warden monitor` reads it): the registry API's ingest
    checks its data-quality expectations, its runs use its thresholds."""
    freeze_heap: bool = True
    """Collect and freeze the start-up heap once open (`freeze_startup_heap`): a serving process's p99 optimisation.
    Tests that start hundreds of short-lived gateways in one process turn it off, the collection costing them 0.2 s
    a start over a heap of test modules; one test keeps it on."""

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        settings = cls(
            config_path=Path(os.environ.get("WARDEN_CONFIG", DEFAULT_CONFIG)),
            database_url=os.environ.get("DATABASE_URL", DEFAULT_URL),
            migrate=os.environ.get("WARDEN_MIGRATE", "1") != "0",
            monitor_config_path=Path(os.environ["WARDEN_MONITOR_CONFIG"]) if os.environ.get("WARDEN_MONITOR_CONFIG")
            else None,
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
