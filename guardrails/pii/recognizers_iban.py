"""IBAN recognizer for the SEPA area: the country's length decides where the IBAN ends, mod-97 decides if it is one.

Free-text IBANs are written in 4-character blocks that a regex cannot tell from a following word
("BE68 5390 0754 7034 Bank"), so the match is cut to the country's length before validation.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii.checksums import SEPA_IBAN_LENGTHS, iban_valid
from guardrails.pii.result import CodeRecognizer, make_result

_CANDIDATE = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{1,4}){3,8}", re.IGNORECASE)

IBAN_CONTEXT = ["iban", "bank", "account", "compte", "banque", "rib", "virement", "transfer", "sepa"]


def _cut_to_length(text: str, start: int, end: int, length: int) -> int | None:
    """End offset after `length` alphanumeric characters from `start`, or None if the match is shorter."""
    seen = 0
    for index in range(start, end):
        if text[index].isalnum():
            seen += 1
            if seen == length:
                return index + 1
    return None


class IbanRecognizer(CodeRecognizer):
    """SEPA IBANs (all SEPA country lengths) with the ISO 13616 mod-97 check."""

    SCORE = 1.0

    entity = "IBAN_CODE"
    label = "SepaIbanRecognizer"

    def context_for(self, language: str) -> list[str]:
        return IBAN_CONTEXT

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for match in _CANDIDATE.finditer(text):
            length = SEPA_IBAN_LENGTHS.get(match.group()[:2].upper())
            end = _cut_to_length(text, match.start(), match.end(), length) if length else None
            if end is None or (end < len(text) and text[end].isalnum() and not text[end - 1].isspace()):
                continue
            if iban_valid(text[match.start() : end]):
                results.append(make_result(self, "IBAN_CODE", match.start(), end, self.SCORE))
        return results
