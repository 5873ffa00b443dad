"""The arguments of a tool call in an answer, as the output guardrails read them.

Arguments are JSON text. Each string and number value is checked as a segment of its own, so a detector judges
`Jane Doe, 12 rue des Lilas` rather than `{"to": "Jane Doe", "address": "12 rue des Lilas"}`, and a masked value
goes back into the JSON as a JSON string: masking never breaks the arguments. Keys are left alone (they name
the tool's parameters). Arguments that are not a JSON object or array are checked as one raw text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from guardrails.base import Segment

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ToolArguments:
    """The segments of one call's arguments and where each one sits in the JSON (None: the raw text)."""

    raw: str
    segments: tuple[Segment, ...]
    paths: tuple[Path, ...] | None

    def rebuild(self, texts: list[str]) -> str:
        """The arguments with the checked texts of the segments put back (unchanged text when none changed)."""
        if self.paths is None:
            return texts[0] if texts else self.raw
        if all(text == segment.text for text, segment in zip(texts, self.segments, strict=True)):
            return self.raw
        data = json.loads(self.raw)
        for path, text, segment in zip(self.paths, texts, self.segments, strict=True):
            if text != segment.text:
                _set(data, path, text)
        return json.dumps(data, ensure_ascii=False)


def split(arguments: str, message_index: int, call_index: int, name: str | None) -> ToolArguments:
    try:
        data = json.loads(arguments)
    except ValueError:
        data = None
    if not isinstance(data, dict | list):
        return ToolArguments(arguments, (Segment(arguments, "tool_call", message_index, call_index, name),), None)
    leaves: list[tuple[Path, str]] = []
    _walk(data, (), leaves)
    segments = tuple(Segment(text, "tool_call", message_index, call_index, name) for _, text in leaves)
    return ToolArguments(arguments, segments, tuple(path for path, _ in leaves))


def text_calls(tool_calls: object) -> list[tuple[int, dict[str, Any]]]:
    """(index, function) of each tool call of a message whose arguments are text."""
    out = []
    for number, call in enumerate(tool_calls if isinstance(tool_calls, list) else ()):
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            out.append((number, function))
    return out


def json_escape(value: str) -> str:
    """`value` written inside a JSON string (for restoring placeholders in arguments, which are JSON text)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _walk(node: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _walk(value, (*path, key), out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, (*path, index), out)
    elif isinstance(node, str):
        if node.strip():
            out.append((path, node))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        out.append((path, json.dumps(node)))  # a phone or card number sent as a JSON number


def _set(data: Any, path: Path, value: str) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value
