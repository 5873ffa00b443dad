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
    "international global capital ventures media networks software airlines motors investments insurance "
    "logistics pharmaceuticals pharma analytics communications realty properties brands foods".split()
)

# A run followed by one of these is a street ("Eleftheriou Venizelou str", "Lovers Lane").
STREET_WORDS = frozenset(
    "st street str rd road ave avenue blvd boulevard lane ln drive dr way square sq place pl court ct "
    "courts terrace crescent close gardens park parks highway hwy alley row walk hill heights grove "
    "strasse straße gasse platz weg vej gade katu tie rue allée chemin impasse quai via calle plaza "
    "u utca ul bypass turnpike parkway expressway freeway causeway motorway skyway viaduct underpass overpass "
    "circle loop trail plaza mews crossing junction route estates".split()
)
# Words that open a street's name in other languages: "Rue Al Imam Al Bakri", "Via dei Fiorentini".
STREET_HEADS = frozenset(
    "rue rua via calle avenida av avenue viale piazza strada ulica utca estrada travessa largo praça camino "
    "carrer carretera paseo allée chemin impasse boulevard quai".split()
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
    r"\bcordialement|\bcher|\bchère|\bnommée?|\bappelée?|\bcall(?:s|ed)?\s+me|\bnamed\s+(?:him|her|them)|"
    r"\b(?:shouted|yelled|screamed|smiled|laughed|stared|winked|waved)\s+at|\bstarring|\bfeaturing|"
    # a quote's speaker: '"...," says Bergqvist'
    r"[,.!?]\s*[\"”]\s*(?:says|said|asks|asked|replies|replied|adds|added|writes|wrote|explains|explained)|"
    # a list of people announced by what they are: "our founders: Kónya, Becker and Vasquez"
    r"\b(?:co-?)?(?:founders|partners|members|authors|speakers|guests|attendees|participants|winners|"
    r"employees|children|kids|sons|daughters|siblings|friends|players|candidates|owners|hosts|organi[sz]ers)\s*:)"
    r"\s*[,:]?\s*$",
    re.IGNORECASE,
)
# A list of firms announced by what they are: "the car manufacturers ...: Demystdata, Reed Elsevier and ...".
_FIRM_CUE = re.compile(
    r"\b(?:companies|manufacturers|makers|firms|brands|sponsors|clients|customers|suppliers|vendors|banks|"
    r"retailers|employers|competitors|investors|carriers|airlines|insurers|labels|publishers)\b[^.!?\n]{0,40}:\s*$",
    re.IGNORECASE,
)
# Right after a run, what says it is a thing, not a person: "Berkshire Hathaway is a design agency".
_THING_AFTER = re.compile(
    r"^\s+(?:is|was)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:agency|company|firm|startup|brand|business|bank|"
    r"corporation|organi[sz]ation|charity|manufacturer|retailer|store|shop|restaurant|hotel|city|town|village|"
    r"country|region|island|river|mountain|lake|app|website|product|platform)\b",
    re.IGNORECASE,
)
# Right before a run, a place noun ("home city Assen", "the town of Coles") or a move somewhere ("flew to").
_PLACE_NOUNS = frozenset(
    "city town village capital county province region island district municipality suburb ville commune".split()
)
_TRAVEL = re.compile(
    r"\b(?:flew|fly|flying|travel(?:l)?ed|travel(?:l)?ing|moved|moving|went|drove|driving|arrived|arriving|"
    r"based|located|relocated|headed|heading)\s+(?:to|in|into|at|from)\s*$",
    re.IGNORECASE,
)
# Right after a name that opens a sentence: a comma and a request or question to that person (vocative).
_VOCATIVE = re.compile(
    r"^,\s*(?:can|could|would|will|please|do|did|are|is|have|what|how|where|why|when|who|i|you|thank|thanks|"
    r"listen|look|wait|come|let's|we|pouvez|peux|voulez|est-ce|merci|s'il)\b",
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
    r"will\s+be|has\s+been|spent|a\s+dit|habite|travaille|est\s+né|est\s+née)\b|"
    # what is said of people only: "Scott is a very sympathetic person", "Irenka is very reliable"
    r"\s+(?:is|was)\s+(?:a|an)\s+(?:\w+\s+){0,3}?(?:person|man|woman|guy|girl|boy|lady|gentleman|kid|child|"
    r"friend|colleague|student|teacher|doctor|nurse|engineer|lawyer|writer|singer|actor|actress|player)\b|"
    r"\s+(?:were|are)\s+(?:\w+\s+){0,2}?(?:people|men|women|guys|girls|boys|kids|children|friends|colleagues|"
    r"students|teachers|doctors|nurses|engineers|lawyers|writers|singers|actors|players|brothers|sisters|"
    r"twins|partners|cousins|neighbou?rs|married)\b|"
    r"\s+(?:is|was|seems|looks)\s+(?:very\s+|so\s+|really\s+|quite\s+|always\s+)?(?:reliable|kind|friendly|"
    r"nice|impulsive|sympathetic|honest|polite|rude|shy|funny|smart|clever|lazy|generous|helpful|talented|"
    r"angry|happy|sad|tired|sick|pregnant|married|single|late|upset|busy)\b)",
    re.IGNORECASE,
)
# A personal pronoun soon after a one-word name that opens a sentence refers back to it
# ("Scott had given Belle his address", "Irenka is very reliable. You can always depend on him.").
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|himself|herself|il|elle|lui)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


_ADDRESS_LINE = re.compile(r"\b(?:suite|apt|apartment|p\.?\s?o\.?\s+box|box|unit|floor)\b|\d{3,}", re.IGNORECASE)
_CORNER = re.compile(r"\bcorner\s+of\b[^\n]*$", re.IGNORECASE)


def cue_before(before: str) -> float:
    """Evidence from the words just before a run: 3 for 'my name is', 1 for 'with', -3 for a list of firms
    ('the manufacturers: ...'), 0 otherwise."""
    tail = before[-40:]
    if _STRONG_CUE.search(tail):
        return 3.0
    if _FIRM_CUE.search(tail):
        return -3.0
    return 1.0 if _WEAK_CUE.search(tail) else 0.0


def cue_after(after: str, opens: bool = False) -> float:
    """Evidence from the words just after a run ("'s daughter", '... said', '... lives at'); a run that
    `opens` a sentence and is followed by ', can you ...' is someone spoken to."""
    if opens and _VOCATIVE.match(after[:20]):
        return 3.0
    return 2.0 if _AFTER_CUE.match(after[:80]) else 0.0


def pronoun_after(after: str) -> bool:
    """Whether he/she/his/her... follows in the same sentence or the next one."""
    window = after[:160]
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if len(ends) >= 2:
        window = window[: ends[1]]
    return _PRONOUN.search(window) is not None


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
    named_thing |= bool(_THING_AFTER.match(after[:80]))
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
    if words[0].casefold() in STREET_HEADS and len(words) > 1 and not title:
        points += 4.0
    if len(words) == 1 and previous and previous[0].casefold() in PLACE_PREPOSITIONS:
        points += 1.0
    if not title and previous and before.endswith(" ") and previous[0].casefold() in _PLACE_NOUNS:
        points += 3.0  # "home city Assen"
    elif not title and _TRAVEL.search(before[-30:]):
        points += 2.0  # "flew to Coles", "based in Pelhrimov"
    return named_thing or numbered, points


def sentence_start(before: str) -> bool:
    """Whether a word after `before` opens a sentence or a line (so its capital says nothing)."""
    stripped = before.rstrip(" \t\"'“”‘’>*-(")
    return not stripped or stripped[-1] in ".!?\n"
