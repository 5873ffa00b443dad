"""Masks the PII in JSON bodies for the exchange log: every string, every detected entity, `<TYPE>` placeholders.

Unlike the guardrail's reversible vault, nothing here can be undone: the raw value is gone before the row is
built. All strings of a batch of bodies go through the PII engine in one call, each distinct string once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from guardrails.pii.entities import DEFAULT_ENTITIES, Entity

if TYPE_CHECKING:
    from guardrails.pii.engine import PiiEngine

JsonValue = object
"""A decoded JSON value: dict, list, str, number, bool or None."""

STRUCTURAL_KEYS = frozenset({"role", "model", "type", "finish_reason", "object", "id", "tool_call_id", "call_id"})
"""Keys whose string values are protocol vocabulary or opaque ids, not free text: not worth a pass of the model."""

OMITTED = "<OMITTED: {n} characters>"


class PayloadMasker:
    """Replaces every entity the PII engine finds in the strings of JSON values by `<ENTITY_TYPE>`.

    Strings longer than `max_chars` are replaced whole by a note of their length: splitting them could cut an
    entity in two and let its halves through, and analysing megabytes would stall the log.
    """

    def __init__(self, engine: PiiEngine | None = None, entities: Iterable[str] = DEFAULT_ENTITIES,
                 threshold: float = 0.5, max_chars: int = 100_000) -> None:
        self._engine = engine
        self.entities = tuple(entities)
        self.threshold = threshold
        self.max_chars = max_chars

    def load(self) -> None:
        """Load the PII models (slow: call from a worker thread)."""
        if self._engine is None:
            from guardrails.pii.engine import shared_engine

            self._engine = shared_engine()
        self._engine.load()

    def mask_texts(self, texts: Sequence[str]) -> list[str]:
        """Every text masked, in order."""
        self.load()
        assert self._engine is not None
        unique = list(dict.fromkeys(t for t in texts if t.strip() and len(t) <= self.max_chars))
        found = self._engine.analyze_batch(unique, None, self.entities, self.threshold) if unique else []
        masked = {text: replace_entities(text, entities) for text, entities in zip(unique, found, strict=True)}
        return [masked.get(t, t) if len(t) <= self.max_chars else OMITTED.format(n=len(t)) for t in texts]

    def mask_values(self, values: Sequence[JsonValue]) -> list[JsonValue]:
        """Every JSON value with its strings masked (dict keys and structural values are kept)."""
        strings: list[str] = []
        for value in values:
            map_strings(value, _collector(strings))
        masked = iter(self.mask_texts(strings))
        return [map_strings(value, lambda _: next(masked)) for value in values]


def replace_entities(text: str, entities: Sequence[Entity]) -> str:
    """`text` with each entity span replaced by `<TYPE>`; overlapping spans are merged (the first type names
    the union) so no character of either survives."""
    pieces: list[str] = []
    cursor = 0
    for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
        if entity.end <= cursor:
            continue
        if entity.start < cursor:  # overlaps the previous span: extend it
            cursor = entity.end
            continue
        pieces.append(text[cursor : entity.start])
        pieces.append(f"<{entity.entity_type}>")
        cursor = entity.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def map_strings(value: JsonValue, fn: Callable[[str], str]) -> JsonValue:
    """A copy of `value` with `fn` applied to every string, depth first, in a fixed order."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [map_strings(item, fn) for item in value]
    if isinstance(value, dict):
        return {key: item if key in STRUCTURAL_KEYS and isinstance(item, str) else map_strings(item, fn)
                for key, item in value.items()}
    return value


def _collector(out: list[str]) -> Callable[[str], str]:
    def collect(text: str) -> str:
        out.append(text)
        return text

    return collect
