"""`warden scan`: run guardrails over a JSONL file offline, one result object per input line.

Lines are read and written as a stream, a batch at a time, so memory stays bounded on large files. A bad line
is reported on stderr with its number and skipped; the exit code is then 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

import click
import orjson

from gateway.cli.common import config_option, load_or_exit, settings_from
from gateway.cli.progress import Progress
from gateway.config import ConfigError
from gateway.scanners import Item, LineResult, LineScanner, scanner_for
from guardrails import registry
from guardrails.base import Guardrail, Stage

DEFAULT_SET = ("pii", "injection")
"""What `all` means without a policy: the guardrails whose defaults are useful on plain text."""


class ScanSetupError(click.ClickException):
    exit_code = 2


@dataclass(slots=True)
class ScanStats:
    lines: int = 0
    bad: int = 0
    errors: int = 0


@click.command("scan")
@click.option("--guardrail", "-g", "names", multiple=True, default=("all",), show_default=True,
              help="Guardrail to run (repeatable): pii, injection, topics, grounding, ... or all.")
@click.option("--policy", help="Take the guardrails and their options from this policy of the config.")
@config_option
@click.option("--batch-size", type=click.IntRange(1, 4096), default=64, show_default=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when it is a terminal).")
@click.argument("source", metavar="FILE.jsonl|-", type=click.Path(dir_okay=False, allow_dash=True))
def scan(names: tuple[str, ...], policy: str | None, config_path: str | None, batch_size: int,
         progress: bool | None, source: str) -> None:
    """Scan FILE.jsonl (or stdin) with guardrails; write one JSON object per line to stdout.

    Each line is an object with a `text` field (grounding: `answer` and `context`, a string or a list, and
    optionally `question`; output-stage guardrails read `answer` when there is no `text`). An optional `role`
    (user, tool, document, ...) sets the segment's role. The output line is the input plus one
    `{action, score, findings}` per guardrail. Without --policy every guardrail runs with its default options
    in `flag` mode; `all` means pii and injection then, and every guardrail of the policy with --policy.
    """
    scanners = build_scanners(names, policy, config_path)
    err = click.get_text_stream("stderr")
    show = progress if progress is not None else err.isatty()
    with _SourceFile(source) as (stream, size):
        bar = Progress(err, size) if show else None
        try:
            stats = asyncio.run(run_scan(stream, click.get_binary_stream("stdout"), scanners, batch_size, err, bar))
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            _silence_stdout()
            sys.exit(1)
    click.echo(f"scanned {stats.lines} lines; {stats.bad} bad lines skipped; {stats.errors} guardrail errors", err=True)
    if stats.bad or stats.errors:
        sys.exit(1)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit does not raise a second BrokenPipeError."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def build_scanners(names: Sequence[str], policy: str | None, config_path: str | None) -> list[LineScanner]:
    if policy is not None:
        pairs = _from_policy(names, policy, config_path)
    else:
        wanted = DEFAULT_SET if "all" in names else tuple(dict.fromkeys(names))
        pairs = [_default_guardrail(name) for name in wanted]
    scanners: list[LineScanner] = []
    used: set[str] = set()
    for guardrail, stage in pairs:
        key, n = guardrail.name, 1
        while key in used:  # the same guardrail twice in a policy (e.g. input and output)
            n += 1
            key = f"{guardrail.name}.{stage}" if n == 2 else f"{guardrail.name}.{stage}.{n}"
        used.add(key)
        scanners.append(scanner_for(key, guardrail, stage))
    return scanners


def _default_guardrail(name: str) -> tuple[Guardrail, Stage]:
    try:
        cls = registry.get(name)
    except registry.UnknownGuardrailError as exc:
        hint = " (install the grounding guardrail: no 'grounding' entry point in 'warden.guardrails')" \
            if name == "grounding" else ""
        raise ScanSetupError(f"{exc}{hint}") from None
    if name == "topics":
        raise ScanSetupError("guardrail 'topics' has no topics by default: name a policy that lists them (--policy)")
    stage: Stage = "input" if "input" in cls.stages else "output"
    return cls(cls.Options.model_validate({"mode": "flag"})), stage


def _from_policy(names: Sequence[str], policy: str, config_path: str | None) -> list[tuple[Guardrail, Stage]]:
    from gateway.guardrail_engine import GuardrailEngine

    config = load_or_exit(settings_from(config_path))
    try:
        built = GuardrailEngine(config).policies.get(policy)
    except ConfigError as exc:
        raise ScanSetupError(str(exc)) from None
    if built is None:
        raise ScanSetupError(f"unknown policy {policy!r}; policies: {', '.join(config.guardrail_policies) or 'none'}")
    pairs: list[tuple[Guardrail, Stage]] = [(g, "input") for g in built.input.guardrails]
    pairs += [(g, "output") for g in built.output.guardrails]
    if "all" in names:
        return pairs
    missing = [n for n in names if n not in {g.name for g, _ in pairs}]
    if missing:
        raise ScanSetupError(f"policy {policy!r} does not run guardrail {missing[0]!r}")
    return [(g, stage) for g, stage in pairs if g.name in names]


class _SourceFile:
    """The source as a binary stream, with its size when it is a regular file (for the progress bar)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.handle: BinaryIO | None = None

    def __enter__(self) -> tuple[BinaryIO, int | None]:
        if self.source == "-":
            return click.get_binary_stream("stdin"), None
        try:
            self.handle = open(self.source, "rb")  # closed in __exit__
        except OSError as exc:
            raise ScanSetupError(f"cannot read {self.source!r}: {exc.strerror}") from None
        size = os.fstat(self.handle.fileno()).st_size
        return self.handle, size or None

    def __exit__(self, *_: object) -> None:
        if self.handle is not None:
            self.handle.close()


async def run_scan(source: BinaryIO, sink: BinaryIO, scanners: Sequence[LineScanner], batch_size: int,
                   err: TextIO, bar: Progress | None = None) -> ScanStats:
    """Scan `source` into `sink`; bad lines go to `err`. Returns the counts."""
    await asyncio.gather(*(s.guardrail.setup() for s in {id(s.guardrail): s for s in scanners}.values()))
    stats = ScanStats()
    read = 0
    batch: list[tuple[dict[str, object], list[Item]]] = []
    for number, line in enumerate(source, start=1):
        read += len(line)
        parsed = _parse(line, scanners)
        if isinstance(parsed, str):
            if bar is not None:
                bar.clear()
            err.write(f"line {number}: {parsed}; skipped\n")
            stats.bad += 1
        elif parsed[0]:
            batch.append(parsed)
        if len(batch) >= batch_size:
            await _flush(batch, scanners, sink, stats)
            batch = []
        if bar is not None:
            bar.update(read, stats.lines)
    if batch:
        await _flush(batch, scanners, sink, stats)
    if bar is not None:
        bar.finish(read, stats.lines)
    return stats


def _parse(line: bytes, scanners: Sequence[LineScanner]) -> tuple[dict[str, object], list[Item]] | str:
    """The record and each scanner's input; `({}, [])` for a blank line; the reason for a bad one."""
    if not line.strip():
        return {}, []
    try:
        record = orjson.loads(line)
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, got {type(record).__name__}")
        return record, [scanner.parse(record) for scanner in scanners]
    except (orjson.JSONDecodeError, ValueError) as exc:
        return f"invalid JSON ({exc.msg})" if isinstance(exc, orjson.JSONDecodeError) else str(exc)


async def _flush(batch: list[tuple[dict[str, object], list[Item]]], scanners: Sequence[LineScanner],
                 sink: BinaryIO, stats: ScanStats) -> None:
    per_scanner: list[list[LineResult]] = await asyncio.gather(
        *(scanner.scan_safely([items[i] for _, items in batch]) for i, scanner in enumerate(scanners))
    )
    for row, (record, _) in enumerate(batch):
        out = dict(record)
        for scanner, results in zip(scanners, per_scanner, strict=True):
            result = results[row]
            stats.errors += result.action == "error"
            out[scanner.key] = result.to_json()
        sink.write(orjson.dumps(out) + b"\n")
    sink.flush()
    stats.lines += len(batch)
