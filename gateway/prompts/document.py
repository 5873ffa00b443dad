"""Reading one prompt file: YAML front matter, then `## system` / `## user` / `## assistant` body sections.

A prompt file looks like::

    ---
    name: support-answer
    ...front matter (see `spec.PromptSpec`)...
    ---
    ## system
    You are the support assistant of {{ product }}.

    ## user
    {{ question }}

Only a line that is exactly `## system`, `## user` or `## assistant` starts a section; other Markdown headings are
ordinary template text. Leading and trailing blank lines of a section are dropped. Every problem is reported as an
`Issue` with the line of the file it comes from, so `warden prompts lint` can print `file:line: message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import yaml
from jinja2 import TemplateSyntaxError
from pydantic import ValidationError

from gateway.prompts.sandbox import CompiledTemplate, compile_template
from gateway.prompts.spec import PromptSpec, Role
from gateway.prompts.yaml_lines import key_lines, line_of

SECTION_RE = re.compile(r"^## (system|user|assistant)[ \t]*$")
FENCE = "---"


@dataclass(frozen=True, slots=True)
class Issue:
    """One lint finding, printed as `path:line: severity: message`."""

    path: str
    line: int
    severity: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """One message of the prompt: its role, template source, first file line and compiled form."""

    role: Role
    source: str
    line: int
    compiled: CompiledTemplate


@dataclass(frozen=True, slots=True)
class PromptDocument:
    """A parsed prompt file. `spec` is None when the front matter is invalid; `errors` then says why."""

    path: str
    spec: PromptSpec | None
    messages: tuple[MessageTemplate, ...]
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "error")


class _Collector:
    def __init__(self, path: str) -> None:
        self.path = path
        self.issues: list[Issue] = []

    def error(self, line: int, message: str) -> None:
        self.issues.append(Issue(self.path, line, "error", message))

    def warning(self, line: int, message: str) -> None:
        self.issues.append(Issue(self.path, line, "warning", message))


def parse_document(text: str, path: str, expected_name: str | None = None) -> PromptDocument:
    """Parse and check one prompt file; `expected_name` (the file stem) must equal the `name` field."""
    out = _Collector(path)
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != FENCE:
        out.error(1, f"a prompt file starts with a '{FENCE}' line opening the YAML front matter")
        return PromptDocument(path, None, (), tuple(out.issues))
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE)
    except StopIteration:
        out.error(1, f"the front matter is never closed by a '{FENCE}' line")
        return PromptDocument(path, None, (), tuple(out.issues))
    spec, locations = _parse_front_matter("\n".join(lines[1:close]), out)
    messages = _parse_body(lines, close + 1, out)
    if spec is not None:
        if expected_name is not None and spec.name != expected_name:
            out.error(line_of(locations, ("name",)), f"name {spec.name!r} must match the file name {expected_name!r}")
        _check_variables(spec, messages, locations, out)
    return PromptDocument(path, spec, messages, tuple(sorted(out.issues, key=lambda i: i.line)))


def _parse_front_matter(text: str, out: _Collector) -> tuple[PromptSpec | None, dict[tuple[str | int, ...], int]]:
    first_line = 2
    try:
        data = yaml.safe_load(text)
        locations = key_lines(text, first_line)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        out.error(first_line + (mark.line if mark else 0), f"invalid YAML: {getattr(exc, 'problem', exc)}")
        return None, {}
    except ValueError as exc:  # duplicate keys, reported by key_lines with their line
        line, _, message = str(exc).partition(":")
        out.error(int(line), message.strip())
        return None, {}
    if not isinstance(data, dict):
        out.error(first_line, f"the front matter must be a mapping, not {type(data).__name__}")
        return None, locations
    try:
        return PromptSpec.model_validate(data), locations
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(part) for part in loc) or "front matter"
            out.error(line_of(locations, loc), f"{where}: {err['msg']}")
        return None, locations


def _parse_body(lines: list[str], start: int, out: _Collector) -> tuple[MessageTemplate, ...]:
    sections: list[tuple[Role, int, list[str]]] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        match = SECTION_RE.match(line)
        if match:
            sections.append((match.group(1), number, []))  # type: ignore[arg-type]
        elif sections:
            sections[-1][2].append(line)
        elif line.strip():
            out.error(number, "text before the first '## system' / '## user' section")
    messages = [m for m in (_message(role, heading, body, out) for role, heading, body in sections) if m is not None]
    for role, heading, _ in sections[1:]:
        if role == "system":
            out.error(heading, "'## system' may appear once, as the first section")
    if "user" not in (role for role, _, _ in sections):
        out.error(start + 1, "a prompt needs at least one '## user' section")
    return tuple(messages)


def _message(role: Role, heading: int, body: list[str], out: _Collector) -> MessageTemplate | None:
    first = 0
    while first < len(body) and not body[first].strip():
        first += 1
    last = len(body)
    while last > first and not body[last - 1].strip():
        last -= 1
    if first == last:
        out.error(heading, f"the '## {role}' section is empty")
        return None
    source = "\n".join(body[first:last])
    line = heading + 1 + first
    try:
        return MessageTemplate(role, source, line, compile_template(source))
    except TemplateSyntaxError as exc:
        out.error(line + (exc.lineno or 1) - 1, f"template error in '## {role}': {exc.message}")
        return None


def _check_variables(
    spec: PromptSpec,
    messages: tuple[MessageTemplate, ...],
    locations: dict[tuple[str | int, ...], int],
    out: _Collector,
) -> None:
    used: set[str] = set()
    for message in messages:
        for name, rel_line in message.compiled.variables.items():
            used.add(name)
            line = message.line + rel_line - 1
            declared = spec.variables.get(name)
            if declared is None:
                out.error(line, f"variable {name!r} is used in '## {message.role}' but not declared in `variables`")
            elif declared.source == "caller" and message.role != "user":
                out.error(
                    line,
                    f"caller variable {name!r} may only fill '## user' messages, not '## {message.role}' "
                    "(declare it `source: store` or `source: gateway`)",
                )
    for name in spec.variables:
        if name not in used:
            out.warning(line_of(locations, ("variables", name)), f"variable {name!r} is declared but never used")
