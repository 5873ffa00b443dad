"""The name gazetteer: first names and surnames (Census, hand-listed, world given names), and the English words
they collide with.

Built once by `data/build_names.py` and `data/build_world_names.py` (sources and licences there and in
`data/SOURCES.md`: US Census 1990, public domain; hand-written European names; Jörg Michael's `nam_dict.txt`,
GFDL 1.2+; SCOWL), plus the hand-written `countries.txt`; loaded once per process by `load()`.
Look-ups are dict/frozenset hits on case-folded tokens, cheap enough for the hot path.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from guardrails.pii.name_shapes import fold_accents, surname_shaped

DATA = Path(__file__).resolve().parent / "data"


_UNLISTED = 1_000_000


class Kind(Enum):
    """What the gazetteer says of one word."""

    NAME = "name"  # a listed name that is not an English word: strong evidence
    NAME_WORD = "name_word"  # a listed name that is also a word ("Will", "May", "Rose"): weak evidence
    WORD = "word"  # an English word only ("Discipline"): evidence against
    UNKNOWN = "unknown"  # in neither list: a rare name, a foreign word or a brand


@dataclass(frozen=True)
class Gazetteer:
    """First names (with their best frequency rank), surnames, lower-case English words, countries."""

    first: dict[str, int]
    last: frozenset[str]
    words: frozenset[str]
    places: frozenset[str] = frozenset()
    demonyms: frozenset[str] = frozenset()

    def kind(self, word: str) -> Kind:
        key = word.casefold()
        english = key in self.words
        if key in self.first or key in self.last:
            return Kind.NAME_WORD if english else Kind.NAME
        if english:
            return Kind.WORD
        if not key.isascii():
            folded = fold_accents(key)
            if folded in self.first or folded in self.last:
                return Kind.NAME  # "Pérez", "Kónya": listed without the accent
        if surname_shaped(word):
            return Kind.NAME
        return Kind.WORD if self._compound(key) else Kind.UNKNOWN

    def _compound(self, key: str) -> bool:
        """Two English words run together, the way firms and apps are named: "Flightstats", "Simpletuition"."""
        if len(key) < 7 or not key.isalpha():
            return False
        return any(key[:i] in self.words and key[i:] in self.words for i in range(3, len(key) - 2))

    def is_first(self, word: str) -> bool:
        key = word.casefold()
        return key in self.first or (not key.isascii() and fold_accents(key) in self.first)

    def first_rank(self, word: str) -> int:
        """Best frequency rank as a given name (1 = most frequent); a large number when not listed."""
        key = word.casefold()
        rank = self.first.get(key)
        if rank is None and not key.isascii():
            rank = self.first.get(fold_accents(key))
        return rank if rank is not None else _UNLISTED

    def is_last(self, word: str) -> bool:
        """Listed as a surname, or (not being an English word) shaped like one: "Yefremova", "Šušulić"."""
        key = word.casefold()
        if key in self.last or (not key.isascii() and fold_accents(key) in self.last):
            return True
        return key not in self.words and key not in self.first and surname_shaped(word)

    def is_place(self, word: str) -> bool:
        return word.casefold() in self.places

    def is_demonym(self, word: str) -> bool:
        return word.casefold() in self.demonyms


def _read(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8")


def _build(data: Path) -> Gazetteer:
    first: dict[str, int] = {}
    last: set[str] = set()
    for line in _read(data / "names.tsv.gz").splitlines():
        name, first_rank, last_rank = line.split("\t")
        if first_rank != "0":
            first[name] = int(first_rank)
        if last_rank != "0":
            last.add(name)
    # Given names of ~50 countries (no English words among them): the rank only counts when it is better.
    for line in _read(data / "world_first_names.tsv.gz").splitlines():
        name, rank = line.split("\t")
        first[name] = min(int(rank), first.get(name, int(rank)))
    words = frozenset(_read(data / "english_words.txt.gz").split())
    return Gazetteer(first, frozenset(last), words, _lines(data / "countries.txt"), _lines(data / "demonyms.txt"))


def _lines(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


_loaded: Gazetteer | None = None
_lock = threading.Lock()


def load(data: Path = DATA) -> Gazetteer:
    """The process-wide gazetteer, read from the shipped files on first call."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _build(data)
        return _loaded
