"""Numbered sources in the context and the citation markers an answer uses to point at them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# "[1] text", "[Source 2] text", "Source 3: text" or "Document 4 - text" at the start of a line opens source N.
_SOURCE_HEAD = re.compile(
    r"^[ \t]*(?:\[(?:source|doc(?:ument)?)?\s*(\d{1,3})\]|(?:source|doc(?:ument)?)\s*#?(\d{1,3})\s*[:.)-])[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
# "[1]", "[1, 3]", "[2-4]", "[source 2]", "(Source 2)", "Source 2 says".
_CITE = re.compile(
    r"\[(?:source|doc(?:ument)?)?\s*(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]"
    r"|\(?\b(?:source|document|doc)\s*#?(\d{1,3})\)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered piece of context: its number as the answer would cite it, and its text."""

    number: int
    text: str


def parse_sources(documents: Sequence[str]) -> list[Source]:
    """Numbered sources: explicit markers inside the documents win, else documents are numbered 1..n in order."""
    explicit: list[Source] = []
    for document in documents:
        heads = list(_SOURCE_HEAD.finditer(document))
        for i, head in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(document)
            number = int(head.group(1) or head.group(2))
            explicit.append(Source(number, document[head.end():end].strip()))
    if explicit:
        return explicit
    return [Source(i + 1, text) for i, text in enumerate(documents) if text.strip()]


def _expand(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", group.strip()):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            numbers.extend(range(low, min(high, low + 50) + 1))
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


@dataclass(frozen=True, slots=True)
class Citation:
    """A marker in the answer, its span, and the source numbers it names."""

    start: int
    end: int
    numbers: tuple[int, ...]


def find_citations(text: str) -> list[Citation]:
    return [
        Citation(m.start(), m.end(), tuple(_expand(m.group(1) or m.group(2))))
        for m in _CITE.finditer(text)
    ]


def strip_citations(text: str) -> str:
    """The text with citation markers blanked (same length) so their digits are not read as facts."""
    return _CITE.sub(lambda m: " " * (m.end() - m.start()), text)
