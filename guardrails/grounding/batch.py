"""Batch scoring of JSONL-style records, for `warden scan --guardrail grounding FILE.jsonl`.

A record is an object with `answer` and `context` (a string or a list of strings, one per numbered source),
and optionally `question`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from guardrails.grounding.scorer import GroundingResult, GroundingScorer


@dataclass(frozen=True, slots=True)
class GroundingInput:
    """One answer to score against its context."""

    answer: str
    contexts: tuple[str, ...]
    question: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> GroundingInput:
        answer = record.get("answer")
        context = record.get("context", record.get("contexts"))
        question = record.get("question")
        if not isinstance(answer, str):
            raise ValueError(f"grounding record needs a string 'answer', got {type(answer).__name__!r}")
        if isinstance(context, str):
            contexts: tuple[str, ...] = (context,)
        elif isinstance(context, list) and all(isinstance(c, str) for c in context):
            contexts = tuple(context)
        else:
            raise ValueError(f"grounding record needs 'context' as a string or list of strings, got {context!r:.80}")
        if question is not None and not isinstance(question, str):
            raise ValueError(f"grounding record 'question' must be a string, got {question!r:.80}")
        return cls(answer, contexts, question)


def score_records(scorer: GroundingScorer, records: Iterable[Mapping[str, object]]) -> list[GroundingResult]:
    """Score every record in order (raises ValueError naming the first malformed record)."""
    results: list[GroundingResult] = []
    for index, record in enumerate(records):
        try:
            item = GroundingInput.from_record(record)
        except ValueError as exc:
            raise ValueError(f"record {index}: {exc}") from exc
        results.append(scorer.score(item.answer, item.contexts, item.question))
    return results
