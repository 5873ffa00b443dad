"""What plain Presidio gets wrong, fixed after analysis: NER false positives, URLs inside e-mail addresses,
spans that swallow a line break, placeholders re-detected, and overlapping entities.

Overlaps are resolved greedily on a total order, so the same input always yields the same spans: pattern
matches (validated or shaped) before the small NER model's guesses, then score with a bonus for context
support, then length, position and type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from guardrails.pii.entities import Entity

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")

# Text a name never contains: digits, code/log punctuation, or a log level / technical keyword.
_NOT_A_NAME = re.compile(r"[\d=_/\\@<>{}\[\]|#:;$%^*+~`]")
_TECHNICAL = frozenset(
    "error warn warning info debug trace fatal critical exception traceback null none true false "
    "version release build api http https json yaml sql uuid id ok".split()
)
# A "name" ending in a street type is an address the small model mislabels ("Crown St", "Villacher Strasse").
_STREET = re.compile(
    r"\b(?:st|street|rd|road|ave|avenue|blvd|boulevard|lane|ln|drive|dr|way|square|squares|pass|place|pl|"
    r"strasse|straße|str|rue|via|calle|plaza|platz|gade|vej|katu|tie)\.?$",
    re.IGNORECASE,
)
# English, French, German, Spanish and Italian titles: the public sets leave them out of the name.
_TITLE = re.compile(
    r"^(?:mr|mrs|ms|miss|dr|prof|sir|madam|mme|mlle|mm|m|me|maître|monsieur|madame|mademoiselle|herr|frau|"
    r"sr|sra|srta|señor|señora|dña|doña|sig|sig\.ra|signor|signora|dott|dott\.ssa|dr\.ssa|avv|ing)\.?\s+",
    re.IGNORECASE,
)
_CONTEXT_BONUS = 0.15


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entity before resolution, with whether context words raised its score."""

    entity: Entity
    boosted: bool = False
    from_ner: bool = False


def _trim_ner(text: str, entity: Entity) -> Entity | None:
    """Cut a NER span to one line, without a leading title or trailing punctuation; None if nothing is left."""
    start, end = entity.start, entity.end
    span = text[start:end]
    if "\n" in span:
        first_line = span.split("\n", 1)[0]
        end = start + len(first_line)
        span = first_line
    title = _TITLE.match(span) if entity.entity_type == "PERSON" else None
    if title and title.end() < len(span):
        start += title.end()
        span = span[title.end() :]
    stripped = span.rstrip(" \t.,;:!?'\"")
    end = start + len(stripped)
    lead = len(stripped) - len(stripped.lstrip(" \t'\"(-"))
    start += lead
    if end <= start:
        return None
    return Entity(entity.entity_type, start, end, entity.score)


def _plausible_ner(text: str, entity: Entity) -> bool:
    span = text[entity.start : entity.end]
    if entity.entity_type == "DATE_TIME":
        # The small model tags bare digit runs (phone groups, card numbers) as dates; numeric dates are
        # the date recognizer's job, a NER date must have a word in it ("5 May", "last Monday").
        return any(char.isalpha() for char in span)
    if _NOT_A_NAME.search(span) or not any(char.isalpha() for char in span):
        return False
    words = [word.strip(".,'-").lower() for word in span.split()]
    if entity.entity_type == "PERSON" and len(words) > 1 and _STREET.search(span):
        return False
    return not any(word in _TECHNICAL for word in words)


def clean(text: str, candidates: Iterable[Candidate]) -> list[Candidate]:
    """Drop false positives and re-shape NER spans; the rest pass unchanged."""
    placeholders = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
    kept: list[Candidate] = []
    for candidate in candidates:
        entity = candidate.entity
        if candidate.from_ner:
            trimmed = _trim_ner(text, entity)
            if trimmed is None or not _plausible_ner(text, trimmed):
                continue
            entity = trimmed
        if any(entity.start < end and start < entity.end for start, end in placeholders):
            continue
        kept.append(Candidate(entity, candidate.boosted, candidate.from_ner))
    return _drop_urls_in_emails(kept)


def _drop_urls_in_emails(candidates: list[Candidate]) -> list[Candidate]:
    emails = [c.entity for c in candidates if c.entity.entity_type == "EMAIL_ADDRESS"]
    return [
        c
        for c in candidates
        if c.entity.entity_type != "URL" or not any(_overlaps(c.entity, email) for email in emails)
    ]


def _overlaps(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end


def _rank(candidate: Candidate) -> tuple[float, int, int, int, str]:
    entity = candidate.entity
    priority = entity.score + (_CONTEXT_BONUS if candidate.boosted else 0.0)
    return (candidate.from_ner, -priority, -entity.length, entity.start, entity.entity_type)


def resolve_overlaps(candidates: Iterable[Candidate]) -> list[Entity]:
    """Keep the best entity of every group of overlapping ones; result sorted by position."""
    chosen: list[Entity] = []
    for candidate in sorted(candidates, key=_rank):
        if not any(_overlaps(candidate.entity, kept) for kept in chosen):
            chosen.append(candidate.entity)
    return sorted(chosen, key=lambda entity: (entity.start, entity.end))
