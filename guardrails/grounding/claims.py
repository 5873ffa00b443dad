"""Split an answer into claims: sentences and list items, with their offsets in the answer.

A regex splitter rather than spaCy: it runs in microseconds, and the cases that matter for claims (abbreviations,
decimals such as "3.5", initials, list bullets) are few and known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Never end a sentence: titles and Latin/reference abbreviations are always followed by more of it.
_NEVER_FINAL = frozenset("mr mrs ms dr prof sr jr st mt vs e.g i.e cf al fig no vol approx dept est ph.d".split())
# May end a sentence: split after them only when a capitalised word follows.
_MAYBE_FINAL = frozenset("etc inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k a.m p.m".split())
# A sentence ends at . ! ? (optionally followed by quotes/brackets) and whitespace; lines and bullets also end one.
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)")
_LINE = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_MIN_CHARS = 2


@dataclass(frozen=True, slots=True)
class Claim:
    """One checkable unit of the answer, with its character span in the answer."""

    text: str
    start: int
    end: int


def _is_abbreviation(text: str, dot: int, after: str) -> bool:
    """True when the '.' at `dot` closes an abbreviation or an initial rather than a sentence."""
    match = re.search(r"(?:^|[^A-Za-z.])([A-Za-z][A-Za-z.]*)$", text[:dot])
    if match is None:
        return False
    word = match.group(1).lower()
    if word in _NEVER_FINAL or (len(word) == 1 and match.group(1).isupper()):
        return True  # initials such as "J. R. R. Tolkien"
    if word in _MAYBE_FINAL or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
        return not after[:1].isupper()
    return False


def _split_block(text: str, offset: int) -> list[Claim]:
    claims: list[Claim] = []
    begin = 0
    for match in _BOUNDARY.finditer(text):
        dot = match.start()
        after = text[match.end():].lstrip()
        if text[dot] == "." and match.end() - dot == 1 and after and _is_abbreviation(text, dot, after):
            continue
        claims.extend(_make(text, begin, match.end(), offset))
        begin = match.end()
    claims.extend(_make(text, begin, len(text), offset))
    return claims


def _make(text: str, begin: int, end: int, offset: int) -> list[Claim]:
    piece = text[begin:end]
    bullet = _BULLET.match(piece)
    lead = bullet.end() if bullet else len(piece) - len(piece.lstrip())
    body = piece[lead:].rstrip()
    if len(body.strip(" .!?:;-")) < _MIN_CHARS:
        return []
    start = offset + begin + lead
    return [Claim(text=body, start=start, end=start + len(body))]


def split_claims(answer: str) -> list[Claim]:
    """Sentences and list items of `answer`, each with exact offsets (answer[start:end] == text)."""
    claims: list[Claim] = []
    begin = 0
    for match in _LINE.finditer(answer):
        claims.extend(_split_block(answer[begin:match.start()], begin))
        begin = match.end()
    claims.extend(_split_block(answer[begin:], begin))
    return claims
