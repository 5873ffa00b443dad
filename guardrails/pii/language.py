"""A cheap English/French detector: count each language's most frequent function words.

Good enough to choose a spaCy model per message; ties and texts without any cue fall back to a default.
"""

from __future__ import annotations

import re

from guardrails.pii.entities import Language

_WORD = re.compile(r"[a-zàâçéèêëîïôûùüÿœ']+")

_EN = frozenset(
    "the a an and or of to in is are was were be been it this that with for on at by from as i you he she we "
    "they my your his her our their not do does did have has had will would can could please what which who "
    "how when where there here me him them".split()
)
_FR = frozenset(
    "le la les un une des et ou de du au aux en est sont était être il elle nous vous ils elles je tu mon ma "
    "mes ton ta votre vos notre nos leur leurs ce cet cette ces qui que quoi dans pour par sur avec pas ne "
    "plus mais où bonjour merci s'il c'est j'ai".split()
)


def detect_language(text: str, default: Language = "en") -> Language:
    """`fr` when French function words outnumber English ones, else `en` (or `default` if no cue at all)."""
    en = fr = 0
    for word in _WORD.findall(text.lower()):
        if word in _FR:
            fr += 1
        elif word in _EN:
            en += 1
        elif word[1:2] == "'" and word[0] in "cdjlmnst":
            fr += 1  # elisions (l'adresse, j'ai, d'un) are a strong French cue
    if en == fr == 0:
        return default
    return "fr" if fr > en else "en"
