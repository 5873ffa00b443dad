"""The recognizer set per language: Presidio's built-ins we keep, plus our French/EU ones.

Presidio's default registry loads dozens of country recognizers we do not want (and pay for on every call);
this builds exactly the set the guardrail reports on.
"""

from __future__ import annotations

from functools import lru_cache

import tldextract
from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import (
    DateRecognizer,
    EmailRecognizer,
    IpRecognizer,
    SpacyRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from guardrails.pii.credit_card import CreditCardNumberRecognizer
from guardrails.pii.phone import PhoneNumberRecognizer
from guardrails.pii.recognizers_fr import FrNirRecognizer, FrPhoneRecognizer, FrSirenRecognizer, FrSiretRecognizer
from guardrails.pii.recognizers_iban import IbanRecognizer

# Context words per language for Presidio's built-ins (their defaults are English only).
_FR_CONTEXT: dict[str, list[str]] = {
    "EMAIL_ADDRESS": ["email", "e-mail", "courriel", "mail", "adresse"],
    "IP_ADDRESS": ["ip", "adresse", "serveur", "hôte"],
    "US_SSN": ["ssn", "social", "sécurité"],
    "URL": ["url", "site", "lien", "web"],
}


@lru_cache(maxsize=1)
def _offline_tld() -> tldextract.TLDExtract:
    # The bundled public-suffix snapshot only: nothing is fetched at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating the domain against the bundled suffix list only."""

    def validate_result(self, pattern_text: str) -> bool:
        domain = pattern_text.rsplit("@", 1)[-1]
        return _offline_tld()(domain).fqdn != ""


def build_recognizers(language: str) -> list[EntityRecognizer]:
    """Every recognizer the engine runs for one language."""
    fr = language == "fr"

    def ctx(entity: str) -> list[str] | None:
        return _FR_CONTEXT.get(entity) if fr else None

    return [
        SpacyRecognizer(supported_language=language, supported_entities=["PERSON", "LOCATION", "DATE_TIME"]),
        OfflineEmailRecognizer(supported_language=language, context=ctx("EMAIL_ADDRESS")),
        CreditCardNumberRecognizer(supported_language=language),
        IpRecognizer(supported_language=language, context=ctx("IP_ADDRESS")),
        UsSsnRecognizer(supported_language=language, context=ctx("US_SSN")),
        UrlRecognizer(supported_language=language, context=ctx("URL")),
        DateRecognizer(supported_language=language),
        PhoneNumberRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language),
        FrPhoneRecognizer(supported_language=language),
        FrNirRecognizer(supported_language=language),
        FrSirenRecognizer(supported_language=language),
        FrSiretRecognizer(supported_language=language),
    ]
