"""Recognizers for French identifiers Presidio lacks: NIR, SIREN, SIRET and phone numbers in every common writing.

Each is data (patterns, score, context words) plus a check-digit validation, like Presidio's own recognizers.
Scores encode how much the shape alone proves: a NIR with a valid key is near-certain, a 9-digit Luhn number
is only a SIREN when context words say so.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

from guardrails.pii.checksums import nir_valid, siren_valid, siret_valid

_SEP = r"[ .\u00a0]?"

NIR_REGEX = (
    rf"(?<![\w.])[1-478](?:{_SEP}\d){{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d{{2}}|2[AB])"
    rf"(?:{_SEP}\d){{6}}{_SEP}\d{{2}}(?![\w]|[ .]\d)"
)
SIREN_REGEX = r"(?<![\w.])\d{3}[ .\u00a0]?\d{3}[ .\u00a0]?\d{3}(?![\w]|[ .]\d)"
SIRET_REGEX = r"(?<![\w.])\d{3}[ .\u00a0]?\d{3}[ .\u00a0]?\d{3}[ .\u00a0]?\d{5}(?![\w]|[ .]\d)"

# +33 6 12 34 56 78 | 0033 6... | +33 (0)6... | (0)6... | 06.12.34.56.78 | 06-12-34-56-78 | 0612345678
_PHONE_END = r"(?![\w]|[.\-]\d)"
_SP = r"[ \u00a0]?"
FR_PHONE_INTERNATIONAL = (
    rf"(?<![\w+])(?:\+|00){_SP}33{_SP}(?:\(0\){_SP})?[1-9](?:[ \u00a0.\-]?\d{{2}}){{4}}{_PHONE_END}"
)
FR_PHONE_GROUPED = rf"(?<![\w+])(?:\(0\){_SP}|0)[1-9](?:(?:{_SP}[.\-]{_SP}|[ \u00a0])\d{{2}}){{4}}{_PHONE_END}"
FR_PHONE_PLAIN = r"(?<![\w+])0[1-9]\d{8}(?!\w)"

FR_CONTEXT_ID = ["sécurité", "securite", "sociale", "nir", "insee", "vitale", "ss", "social", "security"]
FR_CONTEXT_COMPANY = ["siren", "siret", "rcs", "société", "societe", "entreprise", "company", "établissement", "kbis"]
FR_CONTEXT_PHONE = [
    "téléphone", "telephone", "tél", "tel", "portable", "mobile", "appeler", "appelez", "joindre",
    "numéro", "numero", "phone", "call", "fixe",
]  # fmt: skip


class FrNirRecognizer(PatternRecognizer):
    """French social security number (NIR), accepted only when its 2-digit key checks out."""

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="FR_NIR",
            patterns=[Pattern("FR NIR", NIR_REGEX, 0.85)],
            context=FR_CONTEXT_ID,
            supported_language=supported_language,
            name=f"FrNirRecognizer_{supported_language}",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if nir_valid(pattern_text) else False


class FrSirenRecognizer(PatternRecognizer):
    """SIREN company number (9 digits, Luhn). Weak alone: one 9-digit number in ten passes Luhn."""

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="FR_SIREN",
            patterns=[Pattern("FR SIREN", SIREN_REGEX, 0.3)],
            context=FR_CONTEXT_COMPANY,
            supported_language=supported_language,
            name=f"FrSirenRecognizer_{supported_language}",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if siren_valid(pattern_text) else False


class FrSiretRecognizer(PatternRecognizer):
    """SIRET establishment number (14 digits: SIREN + NIC, Luhn; La Poste uses a digit-sum rule)."""

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="FR_SIRET",
            patterns=[Pattern("FR SIRET", SIRET_REGEX, 0.55)],
            context=FR_CONTEXT_COMPANY,
            supported_language=supported_language,
            name=f"FrSiretRecognizer_{supported_language}",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if siret_valid(pattern_text) else False


class FrPhoneRecognizer(PatternRecognizer):
    """French phone numbers: national (0X) and international (+33 / 0033) forms, grouped or not."""

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=[
                Pattern("FR phone (international)", FR_PHONE_INTERNATIONAL, 0.7),
                Pattern("FR phone (grouped)", FR_PHONE_GROUPED, 0.7),
                Pattern("FR phone (10 digits)", FR_PHONE_PLAIN, 0.5),
            ],
            context=FR_CONTEXT_PHONE,
            supported_language=supported_language,
            name=f"FrPhoneRecognizer_{supported_language}",
        )
