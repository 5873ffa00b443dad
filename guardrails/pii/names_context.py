"""Words around a candidate name that make it more or less likely to be a person (English and French).

Kept apart from the scoring so the lists can be read and extended on their own.
"""

from __future__ import annotations

import re

# Honorifics: the word after them is a name ("Mrs. Labrie", "M. Dupont", "Mme Martin").
TITLES = frozenset(
    "mr mrs ms miss mx dr prof sir dame lady lord madam mister rev fr "
    "m mme mmes mlle mlles me monsieur madame mademoiselle docteur professeur maître pr".split()
)

# Lower-case name particles that sit inside a name ("Willemine ten Pas", "Ludwig van Beethoven").
PARTICLES = frozenset("van von der den ten ter de del della di da das dos du la le bin ibn al el st".split())

# A run ending in (or followed by) one of these names a company, a band or a building, not a person.
ORG_WORDS = frozenset(
    "inc ltd llc llp plc corp corporation company co group gmbh sa sarl sas ag bv nv oy ab "
    "orchestra band trio quartet choir foundation university college school academy institute bank "
    "hospital clinic partners solutions technologies technology systems services consulting associates "
    "labs studio studios hotel restaurant club church museum agency holdings industries enterprises "
    "international global capital ventures media networks software airlines motors".split()
)

# A run followed by one of these is a street ("Eleftheriou Venizelou str", "Lovers Lane").
STREET_WORDS = frozenset(
    "st street str rd road ave avenue blvd boulevard lane ln drive dr way square sq place pl court ct "
    "courts terrace crescent close gardens park parks highway hwy alley row walk hill heights grove "
    "strasse straße gasse platz weg vej gade katu tie rue allée chemin impasse quai via calle plaza "
    "u utca ul".split()
)

# First words of place names that look like given names ("St Georges", "San Michele", "Porto Alegre").
PLACE_HEADS = frozenset(
    "st saint sainte san santa santo são porto port puerto mount mt lake fort new north south east west "
    "upper lower great little los las el la le villa bad southern northern eastern western central".split()
)

# Right before a run: a preposition of place lowers it, a cue raises it.
PLACE_PREPOSITIONS = frozenset("in at near from to into across visit visited visiting à au aux en vers".split())
# Before a list of names, fewer prepositions say "firm": "at Jones, Mitchell and Williams" (not "talked to").
LIST_PLACE_PREPOSITIONS = frozenset("in at from chez".split())
# Capitalised cue words that open a sentence before a name: cut from the run ("Dear Ms Kowalczyk").
LEAD_CUES = frozenset(
    "dear hi hello hey thanks thank ask call email mail contact tell cc attn regards sincerely signed "
    "bonjour salut cher chère merci contactez appelez demandez".split()
)

_STRONG_CUE = re.compile(
    r"(?:\bname\s+is|\bname's|\bnamed|\bcalled|\bi\s+am|\bi'm|\bthis\s+is|\bdear|\bsigned|\bsincerely|"
    r"\bregards|\bthanks|\bname\s*[:=?]|\bm'appelle|\bje\s+suis|\bnom\s*[:=]?|\bprénom\s*[:=]?|\bsigné|"
    r"\bcordialement|\bcher|\bchère|\bnommée?|\bappelée?)\s*[,:]?\s*$",
    re.IGNORECASE,
)
_WEAK_CUE = re.compile(
    r"(?:\bhi|\bhello|\bhey|\bbonjour|\bsalut|\bcontact|\bcontacter|\bcontactez|\bask|\bcc|\battn|\bby|"
    r"\bwith|\bavec|\bpar|\bfor|\bpour|\bmy\s+\w+|\bmon\s+\w+|\bma\s+\w+|\bunder|\bsaid|\btold|"
    r"\bsee|\bmeet|\bmet|\bthank)\s*[,:]?\s*$",
    re.IGNORECASE,
)
_AFTER_CUE = re.compile(
    r"^(?:['’]s\s+(?:kid|son|daughter|wife|husband|mother|father|brother|sister|friend|boss|family|parents|"
    r"children|baby|partner|colleague|address|phone|number|email|account)\b|"
    r"\s*(?:said|says|shouted|told|asked|wrote|replied|called|lives|works|worked|was\s+born|is\s+from|"
    r"will\s+be|has\s+been|spent|a\s+dit|habite|travaille|est\s+né|est\s+née)\b)",
    re.IGNORECASE,
)


_ADDRESS_LINE = re.compile(r"\b(?:suite|apt|apartment|p\.?\s?o\.?\s+box|box|unit|floor)\b|\d{3,}", re.IGNORECASE)
_CORNER = re.compile(r"\bcorner\s+of\b[^\n]*$", re.IGNORECASE)


def cue_before(before: str) -> float:
    """Evidence from the words just before a run: 3 for 'my name is', 1 for 'with', 0 otherwise."""
    tail = before[-40:]
    if _STRONG_CUE.search(tail):
        return 3.0
    return 1.0 if _WEAK_CUE.search(tail) else 0.0


def cue_after(after: str) -> float:
    """Evidence from the words just after a run ("'s daughter", '... said', '... lives at')."""
    return 2.0 if _AFTER_CUE.match(after[:30]) else 0.0


def in_address(before: str) -> bool:
    """Whether a run is part of an address: after 'the corner of' on its line, or starting a line just
    below a street number or a 'Suite'/'Apt' line."""
    if _CORNER.search(before[-80:]):
        return True
    line_start = before.rstrip(" \t>")
    if line_start and not line_start.endswith("\n"):
        return False
    above = line_start.rstrip().rsplit("\n", 2)[-2:]
    return any(_ADDRESS_LINE.search(line) for line in above)


_HOUSE_NUMBER = re.compile(r"\d[\w/-]*,?\s+$")
_NUMBER_AFTER = re.compile(r"^(?:[ \t]*\d|[ \t]*\(|\s*,\s*[A-Z]{2}\b)")


def against(text: str, start: int, end: int, words: list[str], title: bool) -> tuple[bool, float]:
    """(names a firm or a street, points against) for the run `words` at text[start:end]."""
    before, after = text[:start], text[end:]
    following = [word.strip(".,") for word in after.split("\n", 1)[0].split(maxsplit=2)[:2]]
    # "UPTON SCUDAMORE Country Club": a capitalised phrase goes on to say what it names.
    named_thing = bool(following and following[0][:1].isupper() and {w.casefold() for w in following} & ORG_WORDS)
    # A run's own last word counts only in a longer run: "Park" alone is a surname, "Hall Orchestra" a band.
    ends = {words[-1].casefold()} if len(words) > 1 else set()
    named_thing |= bool((ends | {w.casefold() for w in following[:1]}) & (ORG_WORDS | STREET_WORDS))
    numbered = bool(_NUMBER_AFTER.match(after))  # "Cyprus 36903", "Porto Alegre\n, RS", "Hersnapvej 75"
    points = (6.0 if named_thing else 0.0) + (2.0 if numbered else 0.0)
    previous = before.rstrip(" .").rsplit(maxsplit=1)[-1:]
    if previous and previous[0].casefold() in STREET_WORDS and not title:
        points += 3.0  # "Rue Gafsa", "Via Franscini", "ul. Stefana"
    if _HOUSE_NUMBER.search(before):
        points += 4.0
    if in_address(before):
        points += 2.0
    if words[0].casefold() in PLACE_HEADS and len(words) > 1:
        points += 2.0
    if len(words) == 1 and previous and previous[0].casefold() in PLACE_PREPOSITIONS:
        points += 1.0
    return named_thing or numbered, points


def sentence_start(before: str) -> bool:
    """Whether a word after `before` opens a sentence or a line (so its capital says nothing)."""
    stripped = before.rstrip(" \t\"'“”‘’>*-(")
    return not stripped or stripped[-1] in ".!?\n"
