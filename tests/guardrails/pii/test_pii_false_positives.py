from __future__ import annotations

import pytest
from pii_support import spans

from guardrails.pii.engine import PiiEngine
from guardrails.pii.entities import Entity
from guardrails.pii.postprocess import Candidate, resolve_overlaps

NO_PERSON = [
    "2024-01-01 ERROR svc=auth user_id=42 msg=timeout",
    "2023-11-05T10:22:01Z WARN payment-gateway retry=3",
    "Version 3.2.1 fixes the login bug",
    "Release 2024.10 ships on 12/03/2024",
    "INFO Starting worker pid=1234 queue=default",
    "Traceback (most recent call last): File main.py, line 3",
]


@pytest.mark.parametrize("text", NO_PERSON)
def test_no_person_in_logs_dates_versions(engine: PiiEngine, text: str) -> None:
    assert "PERSON" not in [kind for kind, _ in spans(engine, text)]


@pytest.mark.parametrize(
    "text",
    [
        "Contact john.smith@example.com for access",
        "mail jean-pierre.dupont@mairie-paris.fr svp",
        "Send it to ops@sub.domain.co.uk now",
    ],
)
def test_no_url_inside_email(engine: PiiEngine, text: str) -> None:
    found = spans(engine, text)
    assert [kind for kind, _ in found].count("EMAIL_ADDRESS") == 1
    assert "URL" not in [kind for kind, _ in found]


def test_person_still_found_next_to_log_noise(engine: PiiEngine) -> None:
    assert ("PERSON", "John Smith") in spans(engine, "ERROR svc=auth: John Smith could not log in")


def test_person_span_drops_title_and_stays_on_one_line(engine: PiiEngine) -> None:
    found = [value for kind, value in spans(engine, "Please call Mr. John Smith today") if kind == "PERSON"]
    assert found and all(not value.startswith("Mr") for value in found)


def _c(kind: str, start: int, end: int, score: float, boosted: bool = False, ner: bool = False) -> Candidate:
    return Candidate(Entity(kind, start, end, score), boosted, ner)


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        # the higher score wins an overlap
        ([_c("PHONE_NUMBER", 0, 10, 0.6), _c("US_SSN", 2, 12, 0.9)], [("US_SSN", 2, 12)]),
        # a pattern match beats the NER model's guess, whatever its score
        ([_c("PERSON", 0, 8, 0.85, ner=True), _c("PHONE_NUMBER", 4, 14, 0.6)], [("PHONE_NUMBER", 4, 14)]),
        # context support breaks a near tie
        ([_c("CREDIT_CARD", 0, 14, 0.8), _c("FR_SIRET", 0, 14, 0.9, boosted=True)], [("FR_SIRET", 0, 14)]),
        # same score: the longer span
        ([_c("URL", 0, 5, 0.6), _c("EMAIL_ADDRESS", 0, 12, 0.6)], [("EMAIL_ADDRESS", 0, 12)]),
        # same score and length: the earlier span, then the type name
        ([_c("PHONE_NUMBER", 3, 8, 0.5), _c("PHONE_NUMBER", 0, 5, 0.5)], [("PHONE_NUMBER", 0, 5)]),
        ([_c("US_SSN", 0, 5, 0.5), _c("FR_SIREN", 0, 5, 0.5)], [("FR_SIREN", 0, 5)]),
        # non-overlapping entities are all kept, in position order
        (
            [_c("PERSON", 10, 14, 0.85, ner=True), _c("EMAIL_ADDRESS", 0, 5, 1.0)],
            [("EMAIL_ADDRESS", 0, 5), ("PERSON", 10, 14)],
        ),
    ],
)
def test_overlap_resolution(candidates: list[Candidate], expected: list[tuple[str, int, int]]) -> None:
    for ordering in (candidates, list(reversed(candidates))):
        assert [(e.entity_type, e.start, e.end) for e in resolve_overlaps(ordering)] == expected
