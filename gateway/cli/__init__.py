"""The `warden` command. Each command is thin: it parses options and calls the registry, the gateway or
the guardrails. Every command reads WARDEN_CONFIG and DATABASE_URL."""

from __future__ import annotations

import click

from gateway.cli.admin import costs, db, keys, teams
from gateway.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option("0.1.0", prog_name="warden")
def cli() -> None:
    """Warden: a governed LLM gateway."""


for command in (serve, keys, teams, costs, db):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="warden")
