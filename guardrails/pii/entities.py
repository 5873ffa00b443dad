"""The entity types this guardrail knows, and the `Entity` it reports (type, span, score; never the value)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EntityType = Literal[
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "URL",
    "LOCATION",
    "DATE_TIME",
    "FR_NIR",
    "FR_SIREN",
    "FR_SIRET",
]

# URLs, places and dates are left out by default: masking them breaks too many ordinary prompts.
DEFAULT_ENTITIES: tuple[EntityType, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "FR_NIR",
    "FR_SIREN",
    "FR_SIRET",
)

ALL_ENTITIES: tuple[EntityType, ...] = EntityType.__args__  # type: ignore[attr-defined]

NER_ENTITIES: frozenset[str] = frozenset({"PERSON", "LOCATION", "DATE_TIME"})
"""Entities that come from the spaCy model rather than from a pattern."""

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")


@dataclass(frozen=True, slots=True)
class Entity:
    """One detected entity: its type and character span in the analysed text."""

    entity_type: str
    start: int
    end: int
    score: float

    @property
    def length(self) -> int:
        return self.end - self.start
