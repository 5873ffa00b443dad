"""Check digits of the identifiers the recognizers look for: Luhn, IBAN mod-97, French NIR key.

Pure functions on the separator-free value, so the recognizers and the tests share one definition.
"""

from __future__ import annotations

import re

# IBAN length per country of the SEPA area (EU/EEA, the UK, Switzerland and the micro-states).
SEPA_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip

_SEPARATORS = re.compile(r"[\s.\-]")

# La Poste's establishments share one SIREN and use a digit-sum rule instead of Luhn for the SIRET.
LA_POSTE_SIREN = "356000000"


def compact(value: str) -> str:
    """The value without spaces, dots or dashes, upper-cased."""
    return _SEPARATORS.sub("", value).upper()


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(value: str) -> bool:
    """True for a SEPA-country IBAN of the right length whose mod-97 check holds."""
    iban = compact(value)
    expected = SEPA_IBAN_LENGTHS.get(iban[:2])
    if expected is None or len(iban) != expected or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def nir_valid(value: str) -> bool:
    """French social security number (NIR): 13 characters + a 2-digit key = 97 - (number mod 97).

    Corsican departments 2A/2B count as 19/18 in the key computation.
    """
    nir = compact(value)
    if len(nir) != 15 or nir[0] not in "123478":
        return False
    body, key = nir[:13], nir[13:]
    month = body[3:5]
    if not (key.isdigit() and month.isdigit()) or not (1 <= int(month) <= 12 or 20 <= int(month) <= 99):
        return False
    body = _corsica_as_digits(body)
    if not body.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def _corsica_as_digits(body: str) -> str:
    dept = body[5:7]
    return body[:5] + {"2A": "19", "2B": "18"}.get(dept, dept) + body[7:]


def nir_key(body: str) -> str:
    """The key of a 13-character NIR body (used to build test cases)."""
    return f"{97 - int(_corsica_as_digits(body.upper())) % 97:02d}"


def siren_valid(value: str) -> bool:
    digits = compact(value)
    return len(digits) == 9 and luhn_valid(digits)


def siret_valid(value: str) -> bool:
    digits = compact(value)
    if len(digits) != 14 or not digits.isdigit():
        return False
    if digits.startswith(LA_POSTE_SIREN):
        return luhn_valid(digits) or sum(int(char) for char in digits) % 5 == 0
    return luhn_valid(digits) and luhn_valid(digits[:9])
