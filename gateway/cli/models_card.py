"""`warden models card ...`: the shared model card, and each version's card (`--version`): set, show, check, render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from registry.governance import Actor, card_render, check_card, inventory, lifecycle
from registry.governance.card import ModelCard
from registry.governance.card_evidence import evidence_sections, version_evidence
from registry.governance.cli_ops import cli_session, echo_json, load_record
from registry.governance.gates import effective_policy
from registry.governance.version_card import VersionCard, get_version_card, set_version_card


@click.group("card")
def card_group() -> None:
    """Model cards: set, show, check against the tier, render to Markdown."""


@card_group.command("set")
@click.argument("name")
@click.argument("path")
@click.option("--version", help="Set this version's own sections (a VersionCard) instead of the shared card.")
@click.pass_context
def card_set(ctx: click.Context, name: str, path: str, version: str | None) -> None:
    with cli_session(ctx) as (s, actor):
        if version is None:
            inventory.set_model_card(s, actor, name, load_record(path, ModelCard))
        else:
            set_version_card(s, actor, name, version, load_record(path, VersionCard))
    click.echo(f"model card recorded on {name}" + (f"@{version}" if version else ""))


@card_group.command("show")
@click.argument("name")
@click.option("--version", help="The card of this version: the shared sections with the version's own on top.")
@click.pass_context
def card_show(ctx: click.Context, name: str, version: str | None) -> None:
    with cli_session(ctx) as (s, actor):
        echo_json(_card(s, actor, name, version))


def _card(s: Any, actor: Actor, name: str, version: str | None) -> ModelCard | None:
    return inventory.get_model_card(s, actor, name) if version is None else get_version_card(s, actor, name, version)


@card_group.command("check")
@click.argument("name")
@click.option("--version", help="Check the card of this version (what the production gate checks).")
@click.pass_context
def card_check(ctx: click.Context, name: str, version: str | None) -> None:
    """Exit 1 and name the missing sections when the card falls short of the tier's requirement."""
    with cli_session(ctx) as (s, actor):
        row = inventory.readable_model(s, actor, name)
        result = check_card(_card(s, actor, name, version), effective_policy(row, lifecycle.DEFAULT_POLICY).model_card)
    if result.ok:
        click.echo(f"model card of {name} meets {result.requirement!r}")
        return
    raise click.ClickException(f"model card of {name} misses for {result.requirement!r}: {', '.join(result.missing)}")


@card_group.command("render")
@click.argument("name")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file instead of stdout.")
@click.option("--version", help="Render the card of this version, with its validation report and interpretability.")
@click.pass_context
def card_render_cmd(ctx: click.Context, name: str, output: str | None, version: str | None) -> None:
    with cli_session(ctx) as (s, actor):
        card = _card(s, actor, name, version)
        extra = None if version is None else evidence_sections(version_evidence(s, actor, name, version))
    if card is None:
        raise click.ClickException(f"model {name!r} has no model card")
    text = card_render.render_markdown(card, extra)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
