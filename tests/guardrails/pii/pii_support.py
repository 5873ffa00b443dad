"""Helpers shared by the PII tests."""

from __future__ import annotations

from guardrails.pii.engine import PiiEngine


def spans(engine: PiiEngine, text: str, language: str | None = None) -> list[tuple[str, str]]:
    """(entity type, matched text) of everything the engine finds in `text`."""
    return [(e.entity_type, text[e.start : e.end]) for e in engine.analyze_batch([text], language)[0]]
