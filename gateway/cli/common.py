"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine

from gateway.config import ConfigError, GatewayConfig, load_config
from gateway.settings import Settings
from registry.db import make_engine
from registry.migrate import upgrade

F = TypeVar("F", bound=Callable[..., Any])


def database_option(func: F) -> F:
    return click.option("--database-url", envvar="DATABASE_URL", default=None,
                        help="Registry database URL (default: sqlite:///warden.db; env DATABASE_URL).")(func)


def config_option(func: F) -> F:
    return click.option("--config", "config_path", envvar="WARDEN_CONFIG", default=None,
                        type=click.Path(dir_okay=False), help="Config file (default: config/gateway.yaml; env WARDEN_CONFIG).")(func)


def settings_from(config_path: str | None = None, database_url: str | None = None, **extra: object) -> Settings:
    from pathlib import Path

    return Settings.from_env(config_path=Path(config_path) if config_path else None, database_url=database_url, **extra)


def load_or_exit(settings: Settings) -> GatewayConfig:
    try:
        return load_config(settings.config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def open_registry(settings: Settings) -> Engine:
    """The registry engine, schema migrated to the latest version."""
    upgrade(settings.database_url)
    return make_engine(settings.database_url)
