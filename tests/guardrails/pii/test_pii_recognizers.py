from __future__ import annotations

import pytest
from pii_support import spans

from guardrails.pii.checksums import iban_valid, luhn_valid, nir_key, nir_valid, siren_valid, siret_valid
from guardrails.pii.engine import PiiEngine


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1 84 12 76 451 089 46", True),
        ("184127645108946", True),
        ("2 69 05 2A 004 023 17", True),  # Corsica 2A counts as 19
        ("1 91 11 2B 123 456 56", True),  # Corsica 2B counts as 18
        ("184127645108947", False),  # wrong key
        ("2 69 05 2A 004 023 18", False),
        ("584127645108946", False),  # sex digit 5 does not exist
        ("184007645108946", False),  # month 00
        ("18412764510894", False),  # 14 characters
    ],
)
def test_nir_key(value: str, valid: bool) -> None:
    assert nir_valid(value) is valid


def test_nir_key_helper_agrees_with_validation() -> None:
    for body in ("1841276451089", "269052A004023", "191112B123456", "2990699123456"):
        assert nir_valid(body + nir_key(body))


@pytest.mark.parametrize(
    ("value", "siren", "siret"),
    [
        ("732 829 320", True, False),
        ("552081317", True, False),
        ("732 829 321", False, False),
        ("732 829 320 00074", False, True),
        ("55208131766522", False, True),
        ("356 000 000 00048", False, True),  # La Poste: digit sum divisible by 5
        ("73282932000075", False, False),
        ("12345678", False, False),
    ],
)
def test_siren_siret(value: str, siren: bool, siret: bool) -> None:
    assert siren_valid(value) is siren
    assert siret_valid(value) is siret


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", True),
        ("DE89370400440532013000", True),
        ("BE68539007547034", True),
        ("NL91ABNA0417164300", True),
        ("ES91 2100 0418 4502 0005 1332", True),
        ("MT84MALT011000012345MTLCAST001S", True),
        ("NO9386011117947", True),
        ("gb82 west 1234 5698 7654 32", True),
        ("FR76 3000 6000 0112 3456 7890 188", False),  # checksum
        ("DE8937040044053201300", False),  # one character short for DE
        ("US12345678901234567890", False),  # not a SEPA country
    ],
)
def test_iban_checksum(value: str, valid: bool) -> None:
    assert iban_valid(value) is valid


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("12a4", False)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


DETECTED = [
    ("Mon numéro de sécu est le 1 84 12 76 451 089 46.", "FR_NIR", "1 84 12 76 451 089 46"),
    ("Numéro de sécurité sociale 2 69 05 2A 004 023 17", "FR_NIR", "2 69 05 2A 004 023 17"),
    ("NIR : 184127645108946", "FR_NIR", "184127645108946"),
    ("La société (SIREN 732 829 320) est à Paris.", "FR_SIREN", "732 829 320"),
    ("SIRET : 732 829 320 00074", "FR_SIRET", "732 829 320 00074"),
    ("Établissement SIRET 55208131766522", "FR_SIRET", "55208131766522"),
    ("SIRET de La Poste : 356 000 000 00048", "FR_SIRET", "356 000 000 00048"),
    ("Appelez-moi au +33 6 12 34 56 78 demain.", "PHONE_NUMBER", "+33 6 12 34 56 78"),
    ("Mon portable : 06.12.34.56.78", "PHONE_NUMBER", "06.12.34.56.78"),
    ("Tél. 0612345678", "PHONE_NUMBER", "0612345678"),
    ("Joignable au 06-12-34-56-78 le soir", "PHONE_NUMBER", "06-12-34-56-78"),
    ("Depuis l'étranger : 0033 1 42 68 53 00", "PHONE_NUMBER", "0033 1 42 68 53 00"),
    ("Standard : +33 (0)1 42 68 53 00", "PHONE_NUMBER", "+33 (0)1 42 68 53 00"),
    ("Call me on (0)6 12 34 56 78 tomorrow", "PHONE_NUMBER", "(0)6 12 34 56 78"),
    ("Call me at +1-984-182-0190 please", "PHONE_NUMBER", "+1-984-182-0190"),
    ("Phone: (579)888-3058", "PHONE_NUMBER", "(579)888-3058"),
    ("Virement sur FR76 3000 6000 0112 3456 7890 189 merci", "IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189"),
    ("Please pay BE68 5390 0754 7034 Bank Belfius", "IBAN_CODE", "BE68 5390 0754 7034"),
    ("Kontonummer NO93 8601 1117 947", "IBAN_CODE", "NO93 8601 1117 947"),
    ("My card 4111 1111 1111 1111 expires soon", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("Write to jane.doe@example.org today", "EMAIL_ADDRESS", "jane.doe@example.org"),
    ("The server is at 192.168.10.42", "IP_ADDRESS", "192.168.10.42"),
    ("My SSN is 460-89-9847", "US_SSN", "460-89-9847"),
]


@pytest.mark.parametrize(("text", "entity_type", "value"), DETECTED)
def test_detected_with_exact_span(engine: PiiEngine, text: str, entity_type: str, value: str) -> None:
    assert (entity_type, value) in spans(engine, text)


NOT_DETECTED = [
    ("Numéro de sécurité sociale 1 84 12 76 451 089 47", "FR_NIR"),  # bad key
    ("SIRET : 732 829 320 00075", "FR_SIRET"),  # bad Luhn
    ("SIREN 732 829 321", "FR_SIREN"),
    ("IBAN FR76 3000 6000 0112 3456 7890 188", "IBAN_CODE"),
    ("My card 4111 1111 1111 1112 expires soon", "CREDIT_CARD"),
    ("Order 123456789 has shipped", "FR_SIREN"),  # Luhn-valid? irrelevant: no company context
    ("We sold 1 250 000 units", "PHONE_NUMBER"),  # a bare number without phone context
    ("Call the release of 2024-01-15, build 3.2.1", "PHONE_NUMBER"),  # dates and versions are not phones
]


@pytest.mark.parametrize(("text", "entity_type"), NOT_DETECTED)
def test_invalid_identifiers_not_detected(engine: PiiEngine, text: str, entity_type: str) -> None:
    assert entity_type not in [kind for kind, _ in spans(engine, text)]
