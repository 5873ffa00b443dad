"""A request's data class: the highest of what the caller declares, what its team or prompt is bound to, and
what the guardrails and marker detectors find."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from gateway.errors import BadRequest
from gateway.usage_policy.config import UsagePolicyConfig
from guardrails.base import Verdict

DATA_CLASS_HEADER = "x-warden-data-class"


def classify(config: UsagePolicyConfig, *, declared: str | None, team: str | None, prompt: str | None,
             verdicts: Sequence[Verdict], texts: Iterable[str]) -> dict[str, str]:
    """Every source that sets a class, and the class it sets (the request's class is the highest)."""
    sources: dict[str, str] = {}
    if declared is not None:
        if declared not in config.data_classes:
            raise BadRequest(f"unknown data class {declared!r}: expected one of {config.data_classes}",
                             param="metadata.data_class", code="unknown_data_class")
        sources["declared"] = declared
    if team is not None and team in config.teams:
        sources["team"] = config.teams[team]
    if prompt is not None and prompt in config.prompts:
        sources["prompt"] = config.prompts[prompt]
    if personal_findings(config, verdicts):
        sources["pii"] = config.personal
    if config.markers:
        joined = "\n".join(texts)
        for marker in config.markers:
            if _compiled(marker.pattern).search(joined):
                sources[f"marker:{marker.name}"] = marker.data_class
    return sources


def highest(config: UsagePolicyConfig, sources: dict[str, str], without: str | None = None) -> str:
    ranks = [config.rank(c) for source, c in sources.items() if source != without]
    return config.data_classes[max(ranks, default=config.rank(config.lowest))]


def personal_findings(config: UsagePolicyConfig, verdicts: Sequence[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.guardrail in config.personal_guardrails and v.findings]


def payload_texts(payload: dict[str, Any], documents: Sequence[str] = ()) -> Iterator[str]:
    """The text a request sends: message contents (strings and text parts), embedding input, documents."""
    for message in payload.get("messages") or ():
        if isinstance(message, dict):
            yield from _strings(message.get("content"))
    yield from _strings(payload.get("input"))
    yield from documents


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for part in value:
            if isinstance(part, str):
                yield part
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                yield part["text"]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
