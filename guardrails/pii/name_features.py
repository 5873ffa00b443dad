"""Words and the per-word evidence the name tagger reads besides the word pieces: shape and gazetteer.

The packaged MiniLM is uncased (its tokenizer lower-cases), and capitals are most of what tells a name from a
word in running text, so every word piece also gets its word's shape (lower, Capitalised, ALL CAPS, an initial,
no letter; opening a sentence or not) and what the shipped gazetteer says of it (a listed name, an English word,
a given name, a country). Training (`evals/train_names.py`) and inference (`name_model.py`) both call this
module, so the model sees at run time exactly the features it learnt from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardrails.pii.gazetteer import Gazetteer, Kind

# French elisions ("d'", "l'", "qu'") are words of their own, so "d'Artagnan" leaves "Artagnan" to the tagger.
WORD = re.compile(r"(?:[^\W\d_]{1,2}['’](?=[^\W\d_]))|\w+(?:-\w+)*(?:['’]\w+)?|[^\w\s]")
_OPENERS = frozenset(".!?:;\"«»“”(")
_KINDS = (Kind.NAME, Kind.NAME_WORD, Kind.WORD, Kind.UNKNOWN)
SHAPES = 12
GAZ = 20


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: its span, shape id and gazetteer id."""

    start: int
    end: int
    shape: int
    gaz: int


def words(text: str, gazetteer: Gazetteer) -> list[Word]:
    """The words of `text` with their features, in order."""
    out: list[Word] = []
    previous = ""
    for match in WORD.finditer(text):
        token = match.group()
        opens = not out or previous in _OPENERS or "\n" in text[out[-1].end : match.start()]
        out.append(Word(match.start(), match.end(), _shape(token) + (6 if opens else 0), _gaz(token, gazetteer)))
        previous = token
    return out


def _shape(token: str) -> int:
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return 0
    if len(letters) == 1 and letters[0].isupper():
        return 4
    if not letters[0].isupper():
        return 1
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return 3
    return 2


_GAZ_CACHE: dict[tuple[int, str], int] = {}
_GAZ_CACHE_SIZE = 50_000


def _gaz(token: str, gazetteer: Gazetteer) -> int:
    # A lookup runs the surname-shape and compound-word checks: 40 us a word, where a dict hit costs 0.1.
    key = (id(gazetteer), token)
    code = _GAZ_CACHE.get(key)
    if code is None:
        code = _gaz_code(token, gazetteer)
        if len(_GAZ_CACHE) >= _GAZ_CACHE_SIZE:
            _GAZ_CACHE.clear()
        _GAZ_CACHE[key] = code
    return code


def _gaz_code(token: str, gazetteer: Gazetteer) -> int:
    if not any(c.isalpha() for c in token) or len(token) > 40:
        return 0
    kind = _KINDS.index(gazetteer.kind(token)) + 1
    code = kind * 2 + (1 if gazetteer.is_first(token) else 0)
    return code + (10 if gazetteer.is_place(token) else 0)


# Capitalised words that are never names in any of the five languages: days, months, greetings, "I".
_NEVER = frozenset(
    "i monday tuesday wednesday thursday friday saturday sunday january february march april june july august "
    "september october november december lundi mardi mercredi jeudi vendredi samedi dimanche janvier février "
    "mars avril mai juin juillet août septembre octobre novembre décembre montag dienstag mittwoch donnerstag "
    "freitag samstag sonntag januar februar märz juni juli oktober dezember lunes martes miércoles jueves "
    "viernes sábado domingo enero febrero marzo abril mayo junio julio agosto lunedì martedì mercoledì giovedì "
    "venerdì sabato gennaio febbraio aprile maggio giugno luglio agosto settembre ottobre dicembre hello hi "
    "dear thanks bonjour merci hola gracias ciao grazie hallo danke ok".split()
)


def may_hold_names(text: str, gazetteer: Gazetteer) -> bool:
    """False when no word of `text` could be part of a name, so the tagger need not run.

    A candidate is a capitalised word inside a sentence (German nouns included: the tagger tells them apart), or
    one opening a sentence that the gazetteer lists as a name; in a text without capitals, a listed name that is
    not an English word ("my name is vitoria")."""
    flat = not any(c.isupper() for c in text)
    previous, last_end = "", -1
    for match in WORD.finditer(text):
        token = match.group()
        opens = last_end < 0 or previous in _OPENERS or "\n" in text[last_end : match.start()]
        previous, last_end = token, match.end()
        if flat:
            if len(token) > 2 and (_listed(token, gazetteer) or _gaz(token, gazetteer) % 2):
                return True
            continue
        if not token[0].isupper() or token.casefold() in _NEVER or _code(token, gazetteer):
            continue
        if not opens or _gaz(token, gazetteer) % 2 or _listed(token, gazetteer) or _listed_word(token, gazetteer):
            return True
    return False


def _code(token: str, gazetteer: Gazetteer) -> bool:
    """An identifier or an acronym, not a name: a word with a digit (INV-2041, A4), or two to four capitals the
    gazetteer does not list as a name (VAT, SQL, PDF; a listed "LI" or "JANE" stays a candidate). Technical
    prompts are full of them, and each alone sent a message through the tagger."""
    if any(c.isdigit() for c in token):
        return True
    return 2 <= len(token) <= 4 and token.isupper() and token.isalpha() and not (
        _gaz(token, gazetteer) % 2 or _listed(token, gazetteer))


def _kind(token: str, gazetteer: Gazetteer) -> Kind | None:
    code = _gaz(token, gazetteer) % 10
    return _KINDS[code // 2 - 1] if code >= 2 else None


def _listed(token: str, gazetteer: Gazetteer) -> bool:
    return _kind(token, gazetteer) is Kind.NAME


def _listed_word(token: str, gazetteer: Gazetteer) -> bool:
    return _kind(token, gazetteer) is Kind.NAME_WORD
