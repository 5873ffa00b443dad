"""Surname endings of European naming systems, for surnames no list holds ("Yefremova", "Šušulić", "Ryhänen").

Patronymic and family-name suffixes are facts of each language's grammar (hand-written here, no data copied):
Slavic -ov/-ova/-ev/-eva/-in-a, -ski/-ska/-cki/-cka, Czech/Slovak -ová/-ská/-ný/-ná, South Slavic -ić/-vić,
East Slavic -ovich/-enko/-chuk, Nordic -sson/-sen/-dóttir/-ström/-qvist, Finnish -nen, Greek -poulos/-akis/-idis,
Romanian -escu/-eanu, Georgian -shvili/-dze, Armenian -yan, Turkish -oğlu, Lithuanian -aitis/-auskas/-ienė,
Frisian -stra/-sma, Scottish/Irish Mc-. Only a capitalised word that is neither listed nor an English word is
looked at, so "Casino" or "Telephone" never match.
"""

from __future__ import annotations

import re
import unicodedata

_SURNAME_END = re.compile(
    r"(?:[^aeou](?:ov|ova|ev|eva)|ovich|evich|ovna|evna|ovič|evič|[^aeiou]ić|[^aeiou]ič|"
    r"ová|ská|cká|ský|cký|ný|ná|"
    r"[wn]ski|[wn]ska|[wn]sky|cki|cka|dzki|dzka|ńska|ński|ńki|enko|chuk|czuk|yuk|"
    r"sson|ssen|[dnr]sen|dóttir|dottir|ström|strom|qvist|kvist|"
    r"[aäi]nen|"
    r"poulos|opoulou|akis|idis|iadis|escu|eanu|shvili|dze|[aeiou]yan|oğlu|oglu|"
    r"aitis|aitė|auskas|ienė|ytė|ūnas|"
    r"stra|sma)$"
)
_MC = re.compile(r"^Mc[A-Z][a-z]{2,}$")


def surname_shaped(word: str) -> bool:
    """Whether a word (as written) ends like a surname of one of the naming systems above."""
    return len(word) >= 5 and (_SURNAME_END.search(word.casefold()) is not None or _MC.match(word) is not None)


def fold_accents(word: str) -> str:
    """'Pérez' -> 'perez', 'Sörös' -> 'soros': the Census lists spell names without diacritics."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l").replace("ø", "o")
