"""`warden serve`: validate the config, migrate, bootstrap the first keys, start the server."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import click
import uvicorn
from sqlalchemy.engine import Engine

from gateway.cli.quiet_logs import quiet_per_request_loggers
from gateway.cli.workers import check_shared_limits
from gateway.cli.common import config_option, database_option, load_or_exit, open_registry, settings_from
from gateway.metrics_multiprocess import ENV, prepare
from registry.keys import count_keys, create_key, create_team

BOOTSTRAP_TEAM = "demo"


@click.command()
@config_option
@database_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.option("--per-worker-limits", is_flag=True,
              help="With --workers > 1 and limits.backend: memory, let each worker keep its own limits "
                   "(every rate and budget is then N times what is configured).")
@click.option("--metrics-dir", type=click.Path(file_okay=False),
              help="With --workers > 1: where workers share their metrics (emptied at start). "
                   "Default: $PROMETHEUS_MULTIPROC_DIR, else a new temporary folder.")
def serve(config_path: str | None, database_url: str | None, host: str, port: int, workers: int, access_log: bool,
          per_worker_limits: bool, metrics_dir: str | None) -> None:
    """Run the gateway."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_per_request_loggers()
    settings = settings_from(config_path, database_url, host=host, port=port, workers=workers)
    config = load_or_exit(settings)
    if workers > 1:
        check_shared_limits(config.limits.backend, workers, per_worker_limits)
    engine = open_registry(settings)
    try:
        _bootstrap(engine)
    finally:
        engine.dispose()
    click.echo(f"Warden on http://{host}:{port}/v1 (config {settings.config_path}, "
               f"{len(config.model_list)} deployments, {workers} worker(s))")
    options = dict(host=host, port=port, access_log=access_log, loop="uvloop", http="httptools",
                   log_level="info", timeout_graceful_shutdown=config.server.shutdown_grace_s)
    if workers == 1:
        from gateway.app import create_app

        uvicorn.run(create_app(settings, config), **options)  # type: ignore[arg-type]
        return
    shared = prepare(Path(metrics_dir or os.environ.get(ENV) or tempfile.mkdtemp(prefix="warden-metrics-")))
    click.echo(f"metrics of the {workers} workers are summed through {shared}")
    os.environ["WARDEN_CONFIG"] = str(settings.config_path)
    os.environ["DATABASE_URL"] = settings.database_url
    os.environ["WARDEN_MIGRATE"] = "0"
    uvicorn.run("gateway.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def _bootstrap(engine: Engine) -> None:
    """On an empty registry, create an admin key and a demo-team key, and print them this once."""
    if count_keys(engine) > 0:
        return
    create_team(engine, BOOTSTRAP_TEAM, exist_ok=True)
    _, admin = create_key(engine, team=None, role="admin", name="bootstrap admin")
    _, demo = create_key(engine, team=BOOTSTRAP_TEAM, name="bootstrap demo")
    click.echo("\nFirst start: two API keys were created. They are shown this once; store them now.")
    click.echo(f"  admin key (admin routes, all teams): {admin}")
    click.echo(f"  demo team key (models of team 'demo'): {demo}\n")
