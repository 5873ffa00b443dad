"""The name finder's rules on a tiny hand-made gazetteer (no spaCy), the shipped gazetteer, the titles cut from a
tagged name, and the phone recognizer's context rules."""

from __future__ import annotations

import pytest

from guardrails.pii.entities import Entity
from guardrails.pii.gazetteer import Gazetteer, Kind, load
from guardrails.pii.name_shapes import fold_accents, surname_shaped
from guardrails.pii.names import NameFinder
from guardrails.pii.names_context import against, cue_after, cue_before, in_address
from guardrails.pii.names_span import ACCEPT, NameSpan
from guardrails.pii.phone import STRONG_SCORE, WEAK_SCORE, context_score
from guardrails.pii.postprocess import _trim_ner

TINY = Gazetteer(
    first={"anna": 10, "john": 5, "will": 100, "may": 50, "paris": 200, "jordan": 40, "olga": 900},
    last=frozenset({"smith", "kowalski", "turner", "hall", "park", "nowak"}),
    words=frozenset(
        "will may hall park the discipline orchestra street tales cautionary please ask about it called my name "
        "is lives here you come see in we flew to said hi plays tonight on at met and he works came later left "
        "yesterday arrived".split()
    ),
    places=frozenset({"jordan", "cyprus"}),
)


def accepted(text: str, persons: tuple[tuple[int, int], ...] = (), others: tuple = ()) -> list[str]:
    found = NameFinder(TINY).find(text, list(persons), list(others))
    return [text[s.start : s.end] for s in found if s.points >= ACCEPT]


@pytest.mark.parametrize(
    ("word", "kind"),
    [("Anna", Kind.NAME), ("WILL", Kind.NAME_WORD), ("Discipline", Kind.WORD), ("Zyxq", Kind.UNKNOWN)],
)
def test_gazetteer_kinds(word: str, kind: Kind) -> None:
    assert TINY.kind(word) is kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please ask Anna Kowalski about it", ["Anna Kowalski"]),
        ("Mr. Zyxq called", ["Zyxq"]),  # a title makes an unknown word a name
        ("my name is Zyxq", ["Zyxq"]),
        ("anna kowalski lives here", ["anna kowalski"]),  # no capitals at all: listed pairs only
        ("i saw anna", []),  # ... and not a lone word without a cue
        ("ANNA KOWALSKI", ["ANNA KOWALSKI"]),
        ("Will Turner is here", ["Will Turner"]),
        ("Will you come?", []),
        ("See you in May", []),
        ("We flew to Jordan", []),  # a country
        ("Jordan Smith said hi", ["Jordan Smith"]),
        ("The Hall Orchestra plays tonight", []),
        ("It is on John Street", []),
        ("It is at 12 Anna Kowalski", []),  # a house number before it
        ("We met John, Anna and Zyxq", ["John", "Anna", "Zyxq"]),  # a list shares evidence
        ("Smith, Nowak and Hall Orchestra", []),  # a firm's name shares it too
        ("He works at Smith, Nowak and Kowalski", []),
        ("Anna Kowalski came. Later Kowalski left.", ["Anna Kowalski", "Kowalski"]),
        ("Cautionary Tales", []),
        ("A B", []),  # initials alone
        ("", []),
    ],
)
def test_finder_rules(text: str, expected: list[str]) -> None:
    assert accepted(text) == expected


def test_spacy_evidence_moves_the_score() -> None:
    def points(text: str, persons: list[tuple[int, int]], others: list[tuple[int, int, float]]) -> float:
        return NameFinder(TINY).find(text, persons, others)[0].points

    text = "Yesterday Zyxq arrived"
    plain = points(text, [], [])
    assert points(text, [(10, 14)], []) == plain + 1.5  # one word tagged PERSON
    assert points(text, [], [(10, 14, 3.0)]) == plain - 3.0  # tagged as a nationality
    assert accepted("Yesterday Anna Kowalski arrived") == ["Anna Kowalski"]
    assert accepted("Yesterday Anna Kowalski arrived", others=((10, 23, 3.0),)) == ["Anna Kowalski"]
    assert accepted("Yesterday Olga Zyxq arrived", others=((10, 19, 3.0),)) == []


def test_scores_grow_with_points_and_split_at_accept() -> None:
    scores = [NameSpan(0, 1, points, False).score for points in (-2.0, 0.0, 2.9, 3.0, 5.0, 20.0)]
    assert scores == sorted(scores)
    assert scores[2] < 0.5 <= scores[3]
    assert scores[-1] == 0.95


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("Hi, my name is ", 3.0),
        ("Dear ", 3.0),
        ("Nom : ", 3.0),
        ("je m'appelle ", 3.0),
        ("meet with ", 1.0),
        ("The ", 0.0),
        ("sometimes people call me ", 3.0),
        ('"I agree," says ', 3.0),
        ("the brainchild of our 3 founders: ", 3.0),
        ("the car manufacturers that dominate the city: ", -3.0),
    ],
)
def test_cue_before(before: str, expected: float) -> None:
    assert cue_before(before) == expected


@pytest.mark.parametrize(("after", "expected"), [("'s daughter", 2.0), (" said so", 2.0), (" version", 0.0)])
def test_cue_after(after: str, expected: float) -> None:
    assert cue_after(after) == expected


@pytest.mark.parametrize(
    ("before", "expected"),
    [("12 Main St\n Suite 4\n", True), ("the corner of Elm and ", True), ("Hello\n", False), ("Call ", False)],
)
def test_in_address(before: str, expected: bool) -> None:
    assert in_address(before) is expected


def test_against_firm_and_street_words() -> None:
    text = "Rue Gafsa 12 and Hall Orchestra"
    assert against(text, 4, 9, ["Gafsa"], title=False)[1] >= 5.0  # a street word before, a number after
    firm, points = against(text, 17, 31, ["Hall", "Orchestra"], title=False)
    assert firm and points >= 6.0


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Kateřina", Kind.NAME),  # hand-written European list
        ("Lakeisha", Kind.NAME),  # US Census list
        ("Will", Kind.NAME_WORD),
        ("May", Kind.NAME_WORD),
        ("Discipline", Kind.WORD),
        ("Salesperson", Kind.WORD),
    ],
)
def test_shipped_gazetteer(word: str, kind: Kind) -> None:
    assert load().kind(word) is kind


def test_shipped_places() -> None:
    gazetteer = load()
    assert gazetteer.is_place("Jordan") and gazetteer.is_place("Suisse") and not gazetteer.is_place("Anna")


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("my driver's license number is ", "", None),  # an identifier, not a phone
        ("Account no. ", " please", None),
        ("phone / account number ", "", WEAK_SCORE),  # a phone word keeps it
        ("at ", " Rissik St Apt. 050", None),  # a house number
        ("", " office", STRONG_SCORE),  # a line label
        ("", "-Fax", STRONG_SCORE),
        ("call me at ", " to get the place", WEAK_SCORE),  # lower-case words before "place" are not a street
    ],
)
def test_phone_context(before: str, after: str, expected: float | None) -> None:
    assert context_score(WEAK_SCORE, before, after) == expected


# --- evidence added for foreign names, dialogue, lists and things that are not people ---------------------

RICH = Gazetteer(
    first=dict(TINY.first),
    last=TINY.last,
    words=TINY.words
    | frozenset(
        "cool what's the address can you back i agree says our founders car manufacturers were engineers "
        "hello hi very reliable depend him border force design agency home city of a good friend".split()
    ),
    places=TINY.places,
    demonyms=frozenset({"japanese", "european"}),
)


def rich(text: str) -> list[str]:
    found = NameFinder(RICH).find(text, [], [])
    return [text[s.start : s.end] for s in found if s.points >= ACCEPT]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zyxq, can you call me back?", ["Zyxq"]),  # spoken to
        ("Cool, what's the address?", []),  # ... but not an English word
        ('"I agree," says Zyxq.', ["Zyxq"]),  # a quote's speaker
        ("Our founders: Zyxq, Smith and Nowak.", ["Zyxq", "Smith", "Nowak"]),  # people announced
        ("The car manufacturers: Smith, Nowak and Kowalski.", []),  # firms announced
        ("Smith, Nowak and Kowalski\n12 Qwerty Road", []),  # three surnames alone on a line: a firm
        ("Anna: hello\nZyxq: hi", ["Anna", "Zyxq"]),  # a dialogue's speaker labels
        ("Zyxq is very reliable. You can depend on him.", ["Zyxq"]),  # a pronoun refers back
        ("He met Zyxq Qwop, a good friend.", ["Zyxq Qwop"]),
        ("Zyxq Qwop is a design agency.", []),  # what it is said to be
        ("They moved to the home city Zyxq.", []),
        ("The Japanese Border Force said", []),  # a nationality opens it
        ("my name is zyxq", ["zyxq"]),  # no capitals, but the cue
        ("It is at Rue Zyxq Qwop.", []),  # a street's first word
        ("Then Yefremova and Kowalski were engineers.", ["Yefremova", "Kowalski"]),  # a pair, a surname shape
    ],
)
def test_context_rules(text: str, expected: list[str]) -> None:
    assert rich(text) == expected


@pytest.mark.parametrize(
    ("word", "shaped"),
    [
        ("Yefremova", True),
        ("Šušulić", True),
        ("Ryhänen", True),
        ("Hartvigsson", True),
        ("Navrátilová", True),
        ("Szczepańska", True),
        ("Guðmundsdóttir", True),
        ("McPherson", True),
        ("Ivov", False),  # too short to tell
        ("Microbilt", False),
        ("Quionia", False),
    ],
)
def test_surname_shapes(word: str, shaped: bool) -> None:
    assert surname_shaped(word) is shaped


def test_fold_accents() -> None:
    assert [fold_accents(w) for w in ("Pérez", "Sörös", "Łukasz", "Bjørn")] == ["perez", "soros", "lukasz", "bjorn"]


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Katrine", Kind.NAME),  # world given names (nam_dict)
        ("Akifumi", Kind.NAME),
        ("Núñez", Kind.NAME),  # the Census spells it without accents
        ("Yefremova", Kind.NAME),  # no list: the surname's shape
        ("Flightstats", Kind.WORD),  # two English words run together: a brand
    ],
)
def test_shipped_gazetteer_world_names(word: str, kind: Kind) -> None:
    assert load().kind(word) is kind


def test_shipped_demonyms() -> None:
    gazetteer = load()
    assert gazetteer.is_demonym("Japanese") and gazetteer.is_demonym("Française") and not gazetteer.is_demonym("Anna")


@pytest.mark.parametrize(
    ("after", "opens", "expected"),
    [(", can I speak to you?", True, 3.0), (", can I speak to you?", False, 0.0), (" is a kind person", False, 2.0)],
)
def test_cue_after_vocative_and_person_words(after: str, opens: bool, expected: float) -> None:
    assert cue_after(after, opens=opens) == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Sig.ra Rossi", "Rossi"),
        ("Dott.ssa Bianchi", "Bianchi"),
        ("Herr Müller", "Müller"),
        ("Dña. Pilar Alonso", "Pilar Alonso"),
        ("Maître Dupont", "Dupont"),
        ("Marco Rossi", "Marco Rossi"),
        ("Herr", "Herr"),  # a title alone is left to the other checks
    ],
)
def test_titles_are_cut_from_a_tagged_name(text: str, name: str) -> None:
    trimmed = _trim_ner(text, Entity("PERSON", 0, len(text), 0.9))
    assert trimmed is not None and text[trimmed.start : trimmed.end] == name
