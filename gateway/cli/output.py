"""How listings print: an aligned table for people at a terminal, JSON for scripts (`--format json`), and, when the
output is piped and no format is asked for, the plain lines each command has always printed (scripts rely on them)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
Format = Literal["table", "json", "plain"]
Row = Mapping[str, object]
MAX_CELL = 60


def format_option(func: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(["table", "json", "plain"]), default=None,
                        help="table (the default on a terminal), json, or plain (the default when piped).")(func)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def chosen(fmt: str | None, piped: Format = "plain") -> Format:
    if fmt is not None:
        return fmt  # type: ignore[return-value]
    return "table" if is_terminal() else piped


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    text = str(value).replace("\t", " ").replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def table(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """Columns padded to their widest cell, a header and a rule; an empty listing says so."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def tab_lines(columns: Sequence[str]) -> Callable[[Sequence[Row]], str]:
    return lambda rows: "\n".join("\t".join(_cell(row.get(c)) for c in columns) for row in rows)


def emit(rows: Sequence[Row], columns: Sequence[str], fmt: str | None,
         plain: Callable[[Sequence[Row]], str] | None = None, piped: Format = "plain") -> None:
    """Print `rows` in the chosen format; `plain` renders them as the command printed them before tables (what a
    pipe gets unless a format is asked for; tab-separated columns by default)."""
    out = chosen(fmt, piped)
    if out == "json":
        click.echo(json.dumps(list(rows), indent=2, sort_keys=True, default=str))
    elif out == "table":
        click.echo(table(rows, columns))
    else:
        text = (plain or tab_lines(columns))(rows)
        if text:
            click.echo(text)
