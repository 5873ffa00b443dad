"""A phone-number recognizer for the many international writings (grouped digits, +CC, (0), (area), x123).

Presidio's own phone recognizer only knows a handful of regions' numbering plans. Here the shape finds
candidates and the evidence sets the score: an international prefix or an extension is strong on its own,
a bare group of digits is ambiguous (an amount, an order number) and needs a context word such as
"phone", "call" or "fax" next to it to pass the threshold.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii.result import CodeRecognizer, make_result

_CANDIDATE = re.compile(
    r"(?<![\w+\-./:@])"
    r"(?:(?:\+|00)\d{1,3}[ .\-]?)?"  # country code
    r"(?:\(0\)[ .\-]?)?"  # trunk prefix written out, "+46 (0)8 ..."
    r"(?:\(\d{1,4}\)[ .\-]?)?"  # area code in parentheses
    r"\d{1,12}(?:[ .\-]\d{1,8}){0,5}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,6})?"
    r"(?![\w@]|[.\-:/]\d)",
    re.IGNORECASE,
)
_INTERNATIONAL = re.compile(r"^(?:\+|00)[1-9]")
_EXTENSION = re.compile(r"(?:x|ext\.?)[ ]?\d+$", re.IGNORECASE)
_AREA_CODE = re.compile(r"\(\d{1,4}\)")
# Shapes owned by other entities or that are not phone numbers at all.
_NOT_PHONE = (
    re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$"),  # ISO date
    re.compile(r"^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$"),  # day-month-year date
    re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$"),  # IPv4 address
    re.compile(r"^\d{3}-\d{2}-\d{4}$"),  # US SSN
)

PHONE_CONTEXT_EN = [
    "phone", "phones", "telephone", "tel", "mobile", "cell", "cellphone", "call", "calls", "called", "calling",
    "fax", "desk", "office", "contact", "number", "reach", "dial", "text", "sms", "whatsapp", "landline",
    "message", "messages", "answering", "ring",
]  # fmt: skip
PHONE_CONTEXT_FR = [
    "téléphone", "telephone", "tél", "tel", "portable", "mobile", "fixe", "fax", "appeler", "appelez", "appelle",
    "joindre", "numéro", "numero", "contact", "sms", "bureau", "standard",
]  # fmt: skip

STRONG_SCORE = 0.6
WEAK_SCORE = 0.4

# "416 60 039 office", "07700 063 966-Fax": a line label right after the number.
_LABEL_AFTER = re.compile(
    r"^[ \t]*[-(/]?[ \t]*(?:office|fax|mobile|cell|home|work|tel|phone|direct|landline|portable|fixe|bureau)\b",
    re.IGNORECASE,
)
# "driver's license number is 6940579": a number that another noun claims is an identifier, not a phone.
_IDENTIFIER_BEFORE = re.compile(
    r"\b(?:licen[cs]e|passport|account|acct|order|invoice|policy|serial|tracking|reference|ref|ticket|case|"
    r"member|customer|client|employee|badge|id|ssn|permis|commande|facture|dossier)\b"
    r"(?:\s+(?:no|nr|number|num|numéro|#))?[\s:#.]*(?:is\s+|est\s+)?$",
    re.IGNORECASE,
)
_PHONE_WORD = re.compile(r"\b(?:phone|tel|mobile|cell|fax|call|téléphone|tél|portable)\b", re.IGNORECASE)
# "17031 2202 Rissik St": digits before a street name are a house number.
_STREET_AFTER = re.compile(
    r"^[ \t]+(?:[A-ZÀ-Þ][^\W\d_]*[ \t]+){0,3}(?i:st|street|rd|road|ave|avenue|blvd|boulevard|lane|ln|drive|"
    r"way|place|court|terrace|rue|via|calle|strasse|straße|allée|chemin)\b"
)


def context_score(score: float, before: str, after: str) -> float | None:
    """The shape score adjusted by the words around the number; None when they say it is not a phone."""
    if _IDENTIFIER_BEFORE.search(before) and not _PHONE_WORD.search(before):
        return None
    if _STREET_AFTER.match(after):
        return None
    return max(score, STRONG_SCORE) if _LABEL_AFTER.match(after) else score


def phone_score(candidate: str) -> float | None:
    """The score a phone-shaped string earns from its shape alone, or None if it is not a phone number."""
    digits = sum(char.isdigit() for char in _EXTENSION.sub("", candidate))
    if not 7 <= digits <= 15 or any(pattern.match(candidate) for pattern in _NOT_PHONE):
        return None
    # An international prefix, an extension or an area code in parentheses is written only for phone numbers.
    if _INTERNATIONAL.match(candidate) or _EXTENSION.search(candidate) or _AREA_CODE.search(candidate):
        return STRONG_SCORE
    return WEAK_SCORE


class PhoneNumberRecognizer(CodeRecognizer):
    """Phone numbers of any country, scored by shape, confirmed by context words."""

    entity = "PHONE_NUMBER"
    label = "PhoneNumberRecognizer"

    def context_for(self, language: str) -> list[str]:
        return PHONE_CONTEXT_FR if language == "fr" else PHONE_CONTEXT_EN

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for match in _CANDIDATE.finditer(text):
            score = phone_score(match.group())
            if score is not None:
                score = context_score(score, text[max(0, match.start() - 40) : match.start()], text[match.end() :])
            if score is None:
                continue
            results.append(make_result(self, "PHONE_NUMBER", match.start(), match.end(), score))
        return results
