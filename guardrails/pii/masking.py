"""Replace detected entities by vault placeholders, through Presidio's anonymizer with a custom operator."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache, partial

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from guardrails.pii.entities import Entity
from guardrails.pii.vault import PlaceholderVault


@lru_cache(maxsize=1)
def _anonymizer() -> AnonymizerEngine:
    return AnonymizerEngine()


def mask_text(text: str, entities: Sequence[Entity], vault: PlaceholderVault, *, restorable: bool = True) -> str:
    """`text` with every entity replaced by its placeholder (entities must not overlap)."""
    if not entities:
        return text
    operators = {
        entity_type: OperatorConfig("custom", {"lambda": partial(_placeholder, vault, entity_type, restorable)})
        for entity_type in {entity.entity_type for entity in entities}
    }
    results = [RecognizerResult(e.entity_type, e.start, e.end, e.score) for e in entities]
    # Spans were already resolved; merging neighbours would fuse two numbers separated by a space.
    return _anonymizer().anonymize(text, results, operators, merge_entities_with_spaces=False).text


def _placeholder(vault: PlaceholderVault, entity_type: str, restorable: bool, value: str) -> str:
    return vault.placeholder_for(entity_type, value, restorable=restorable)
