"""`warden serve`: validate the config, migrate, bootstrap the first keys, start the server."""

from __future__ import annotations

import logging
import os

import click
import uvicorn
from sqlalchemy.engine import Engine

from gateway.cli.common import config_option, database_option, load_or_exit, open_registry, settings_from
from registry.keys import count_keys, create_key, create_team

BOOTSTRAP_TEAM = "demo"


@click.command()
@config_option
@database_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--access-log/--no-access-log", default=False, show_default=True)
def serve(config_path: str | None, database_url: str | None, host: str, port: int, workers: int, access_log: bool) -> None:
    """Run the gateway."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(config_path, database_url, host=host, port=port, workers=workers)
    config = load_or_exit(settings)
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
