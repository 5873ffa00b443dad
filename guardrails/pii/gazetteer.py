"""The name gazetteer: first names and surnames (Census, hand-listed), and the English words they collide with.

Built once by `data/build_names.py` (sources and licences there), plus the hand-written `countries.txt`;
loaded once per process by `load()`.
Look-ups are dict/frozenset hits on case-folded tokens, cheap enough for the hot path.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


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

    def kind(self, word: str) -> Kind:
        key = word.casefold()
        listed = key in self.first or key in self.last
        english = key in self.words
        if listed:
            return Kind.NAME_WORD if english else Kind.NAME
        return Kind.WORD if english else Kind.UNKNOWN

    def is_first(self, word: str) -> bool:
        return word.casefold() in self.first

    def is_place(self, word: str) -> bool:
        return word.casefold() in self.places


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
    words = frozenset(_read(data / "english_words.txt.gz").split())
    countries = (data / "countries.txt").read_text(encoding="utf-8").splitlines()
    places = frozenset(line.casefold() for line in countries if line and not line.startswith("#"))
    return Gazetteer(first, frozenset(last), words, places)


_loaded: Gazetteer | None = None
_lock = threading.Lock()


def load(data: Path = DATA) -> Gazetteer:
    """The process-wide gazetteer, read from the shipped files on first call."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _build(data)
        return _loaded
