"""Payment card numbers: 12 to 19 digits, Luhn-valid, contiguous or in the usual groups.

Presidio's recognizer misses 12-digit Maestro, 19-digit Visa and 2-series Mastercard numbers, and gives any
Luhn-valid match a full score. Here a known issuer prefix makes a Luhn-valid number likely on its own; any
other Luhn-valid number (one random number in ten passes) needs a context word such as "card".
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii.checksums import luhn_valid
from guardrails.pii.result import CodeRecognizer, make_result

_CANDIDATE = re.compile(
    r"(?<![\w\-.+])(?:\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,3})?|\d{4}[ \-]\d{6}[ \-]\d{4,5}|\d{12,19})(?![\w]|[\-.]\d)"
)
# Visa, Mastercard (51-55, 2221-2720), Amex, Diners, JCB, Discover, UnionPay.
_KNOWN_ISSUER = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[689])|35|6011|64[4-9]|65|62)")

KNOWN_SCORE = 0.8
OTHER_SCORE = 0.4
CARD_CONTEXT = [
    "card", "cards", "credit", "debit", "visa", "mastercard", "amex", "maestro", "cc", "payment", "pay",
    "carte", "cartes", "bancaire", "cb", "crédit", "paiement",
]  # fmt: skip


class CreditCardNumberRecognizer(CodeRecognizer):
    """Payment card numbers of every length the ISO/IEC 7812 scheme allows, checked with Luhn."""

    entity = "CREDIT_CARD"
    label = "CreditCardNumberRecognizer"

    def context_for(self, language: str) -> list[str]:
        return CARD_CONTEXT

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for match in _CANDIDATE.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if not 12 <= len(digits) <= 19 or not luhn_valid(digits):
                continue
            score = KNOWN_SCORE if _KNOWN_ISSUER.match(digits) else OTHER_SCORE
            results.append(make_result(self, "CREDIT_CARD", match.start(), match.end(), score))
        return results
