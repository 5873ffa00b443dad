"""`warden prompts ...`: list, show, diff, render, lint, promote and roll back Git-backed prompts."""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
import orjson

from gateway.cli.output import emit, format_option
from gateway.prompts.catalog import PromptCatalog
from gateway.prompts.errors import PromptError, PromptVariableError
from gateway.prompts.gates import select_gates
from gateway.prompts.lint import lint_path
from gateway.prompts.model import RenderedPrompt
from gateway.prompts.promote import LabelChange, PromotionRefused, promote, rollback
from gateway.prompts.refs import PromptRef, parse_ref
from gateway.prompts.render import render_prompt
from gateway.prompts.spec import PromptSpec


def _catalog(ctx: click.Context) -> PromptCatalog:
    try:
        return PromptCatalog(ctx.obj)
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


def _ref(text: str) -> PromptRef:
    try:
        return parse_ref(text)
    except PromptError as exc:
        raise click.BadParameter(exc.message) from None


@click.group("prompts")
@click.option(
    "--prompts-dir",
    envvar="WARDEN_PROMPTS_DIR",
    default="prompts",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The prompts folder (inside a Git repository).",
)
@click.pass_context
def prompts_group(ctx: click.Context, prompts_dir: Path) -> None:
    """Git-backed prompts: versions are commits, labels live in labels.yaml."""
    ctx.obj = prompts_dir


@prompts_group.command("list")
@format_option
@click.pass_context
def list_cmd(ctx: click.Context, fmt: str | None) -> None:
    """Prompts at HEAD with their team, model and labels."""
    try:
        head = _catalog(ctx).head()
        rows = [{"name": name, "team": prompt.spec.team, "model": prompt.spec.model,
                 "labels": ", ".join(f"{label}={sha[:7]}" for label, sha in sorted(head.labels.get(name, {}).items()))
                 or None} for name, prompt in sorted(head.prompts.items())]
        emit(rows, ("name", "team", "model", "labels"), fmt)
        for error in head.errors:
            click.echo(f"invalid at HEAD: {error}", err=True)
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


@prompts_group.command("show")
@click.argument("ref")
@click.pass_context
def show_cmd(ctx: click.Context, ref: str) -> None:
    """Print NAME[@label|@sha|@latest] as committed (default: latest)."""
    try:
        catalog = _catalog(ctx)
        prompt = catalog.resolve(_ref(ref))
        click.echo(f"# {ref} -> {prompt.commit_sha} ({prompt.path})")
        click.echo(catalog.source(prompt), nl=False)
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


@prompts_group.command("history")
@click.argument("name")
@format_option
@click.pass_context
def history_cmd(ctx: click.Context, name: str, fmt: str | None) -> None:
    """Commits that changed prompt NAME, newest first, with the labels pointing at them."""
    try:
        rows = [{"commit": e.commit, "date": e.date, "author": e.author, "subject": e.subject, "labels": list(e.labels)}
                for e in _catalog(ctx).history(name)]
        emit(rows, ("commit", "date", "author", "subject", "labels"), fmt, _history_lines)
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


def _history_lines(rows: Sequence[Mapping[str, object]]) -> str:
    return "\n".join(f"{str(r['commit'])[:7]} {r['date']} {r['author']}: {r['subject']}"
                     + (f" [{', '.join(r['labels'])}]" if r["labels"] else "") for r in rows)  # type: ignore[arg-type]


@prompts_group.command("diff")
@click.argument("name")
@click.argument("ref1")
@click.argument("ref2")
@click.pass_context
def diff_cmd(ctx: click.Context, name: str, ref1: str, ref2: str) -> None:
    """Unified diff of prompt NAME between two refs (labels, SHAs or latest)."""
    try:
        catalog = _catalog(ctx)
        texts = []
        for ref in (ref1, ref2):
            prompt = catalog.resolve(_ref(f"{name}@{ref}"))
            texts.append((f"{name}@{ref} ({prompt.commit_sha[:7]})", catalog.source(prompt)))
        (a_name, a), (b_name, b) = texts
        diff = difflib.unified_diff(a.splitlines(True), b.splitlines(True), fromfile=a_name, tofile=b_name)
        click.echo("".join(diff), nl=False)
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


def _parse_vars(spec: PromptSpec, pairs: tuple[str, ...], json_pairs: tuple[str, ...]) -> dict[str, object]:
    values: dict[str, object] = {}
    for pair, as_json in [(p, False) for p in pairs] + [(p, True) for p in json_pairs]:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE")
        declared = spec.variables.get(key)
        # --var keeps text as-is for string variables; for other types it is read as JSON (`--var n=3`).
        if not as_json and (declared is None or declared.type == "string"):
            values[key] = raw
            continue
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PromptVariableError(key, f"variable {key!r}: invalid JSON {raw!r}: {exc.msg}") from None
    return values


def _rendered_json(rendered: RenderedPrompt) -> bytes:
    return orjson.dumps(
        {
            "prompt": rendered.prompt_name,
            "label": rendered.label,
            "commit": rendered.commit_sha,
            "template_hash": rendered.template_hash,
            "model": rendered.model,
            "parameters": rendered.parameters.model_dump(exclude_none=True),
            "response_format": rendered.response_format.to_openai() if rendered.response_format else None,
            "guardrail_policy": rendered.guardrail_policy,
            "allow_overrides": list(rendered.allow_overrides),
            "messages": [m.to_openai() for m in rendered.messages],
        },
        option=orjson.OPT_INDENT_2,
    )


@prompts_group.command("render")
@click.argument("ref")
@click.option("--var", "pairs", multiple=True, metavar="KEY=VALUE", help="A caller variable (repeatable).")
@click.option("--var-json", "json_pairs", multiple=True, metavar="KEY=JSON", help="A caller variable given as JSON.")
@click.option("--gateway-var", "gateway_pairs", multiple=True, metavar="KEY=VALUE", help="A `source: gateway` value.")
@click.pass_context
def render_cmd(
    ctx: click.Context, ref: str, pairs: tuple[str, ...], json_pairs: tuple[str, ...], gateway_pairs: tuple[str, ...]
) -> None:
    """Render NAME@ref with variables and print the request it would send, as JSON."""
    try:
        parsed = _ref(ref)
        prompt = _catalog(ctx).resolve(parsed)
        label = parsed.label or (None if parsed.version else "latest")
        rendered = render_prompt(
            dataclasses.replace(prompt, label=label),
            _parse_vars(prompt.spec, pairs, json_pairs),
            _parse_vars(prompt.spec, gateway_pairs, ()),
        )
        click.echo(_rendered_json(rendered).decode())
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


def _report(change: LabelChange) -> None:
    if change.commit is None:
        click.echo(change.message)
    else:
        click.echo(f"{change.message}\ncommitted {change.commit[:7]}")


@prompts_group.command("promote")
@click.argument("name")
@click.argument("ref")
@click.option("--label", required=True, help="The label to move, e.g. production.")
@click.option("--gate", "gate_names", multiple=True, help="Run only these promotion gates (default: all installed).")
@click.option("--skip-gates", is_flag=True, help="Do not run promotion gates.")
@click.option("--override", is_flag=True, help="Promote although a gate refuses (needs --reason; audited).")
@click.option("--reason", help="Why the gates are overridden (kept in the governance audit trail).")
@click.option("--actor", envvar="WARDEN_ACTOR", help="Who overrides (default: git user.email, then $USER).")
@click.pass_context
def promote_cmd(
    ctx: click.Context, name: str, ref: str, label: str, gate_names: tuple[str, ...], skip_gates: bool,
    override: bool, reason: str | None, actor: str | None,
) -> None:
    """Point LABEL of prompt NAME at REF (label, SHA or latest), as a commit to the labels file."""
    if override and not (reason or "").strip():
        raise click.UsageError("--override needs --reason \"why\"")
    try:
        gates = [] if skip_gates else select_gates(gate_names)
        catalog = _catalog(ctx)
        try:
            _report(promote(catalog, name, _ref(f"{name}@{ref}"), label, gates))
        except PromotionRefused as exc:
            if not override or not exc.reasons:
                raise
            import os

            from registry.db import DEFAULT_URL, make_engine
            from registry.eval_runs import record_gate_override
            from registry.migrate import upgrade

            commit = catalog.resolve(_ref(f"{name}@{ref}")).commit_sha
            url = os.environ.get("DATABASE_URL", DEFAULT_URL)
            if os.environ.get("WARDEN_MIGRATE", "1") != "0":
                upgrade(url)
            engine = make_engine(url)
            try:
                entry = record_gate_override(engine, prompt=name, label=label, commit=commit, reasons=exc.reasons,
                                             reason=str(reason), actor=actor or _actor(catalog))
            finally:
                engine.dispose()
            click.echo(f"gates refused; overridden by {entry} (audit):\n  " + "\n  ".join(exc.reasons), err=True)
            _report(promote(catalog, name, _ref(f"{name}@{ref}"), label, ()))
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    except PromotionRefused as exc:
        raise click.ClickException("\n  ".join([exc.message, *exc.reasons])) from None
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


def _actor(catalog: PromptCatalog) -> str:
    import os

    try:
        email = catalog.repo.git("config", "user.email").decode().strip()
    except PromptError:
        email = ""
    return email or os.environ.get("USER", "unknown")


@prompts_group.command("rollback")
@click.argument("name")
@click.option("--label", required=True, help="The label to move back, e.g. production.")
@click.pass_context
def rollback_cmd(ctx: click.Context, name: str, label: str) -> None:
    """Move LABEL of prompt NAME back to its previous value (from the labels file's history)."""
    try:
        _report(rollback(_catalog(ctx), name, label))
    except PromptError as exc:
        raise click.ClickException(exc.message) from None


@prompts_group.command("lint")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_context
def lint_cmd(ctx: click.Context, path: Path | None, strict: bool) -> None:
    """Check prompt files (default: the prompts folder); exit 1 on any error."""
    issues = lint_path(path or ctx.obj)
    for issue in issues:
        click.echo(str(issue), err=issue.severity == "error")
    errors = sum(issue.severity == "error" for issue in issues)
    warnings = len(issues) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        ctx.exit(1)
