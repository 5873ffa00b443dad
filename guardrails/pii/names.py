"""The PERSON finder: runs of name-shaped words, scored on gazetteer, spaCy and context evidence.

The small spaCy model misses most names it has not seen (foreign names, names in lists, lower-case text)
and takes many capitalised words for names. Here every run of capitalised words (or, in a text without
any capital or without any lower-case letter, of words that are listed names) is a candidate, and points
are added or taken away (`names_span.ACCEPT` = 3 points make a name):

- words: a listed name that is not an English word +2 (listed: Census, hand-written European names, world
  given names; or shaped like a surname, `name_shapes`), a name that is also a word +1 ("Will"), an English
  word only -1, a function word inside -1, an unknown word +0.5 in a longer run; a frequent given name
  alone +1; "first-name surname" shape +1, an initial inside +1; a phrase of English words only -2;
- spaCy: tagged PERSON +2 (+1.5 for one word); tagged otherwise, minus the label's weight (engine.py);
- context: a title before +3, 'my name is'/'call me'/'," says'/'founders:' +3, 'with'/'contact' +1,
  "'s daughter"/'... said'/'is a kind person' +2, 'Name, can you ...' +3, a pronoun after a name that
  opens a sentence +1.5, a speaker label +2, a foreign two-word run alone on its line +1, capitalised where a
  plain word would not be +1 (+0.5 for a listed name opening a sentence);
- against (`names_context.against`): a firm or street word next to it, 'is a design agency' after it, a
  house number before, a number after, an address block, a place word first ('San', 'Porto', 'Rue'), a
  country last, a nationality first ('Japanese Border Force'), 'de'/'del' inside a run that does not start
  with a given name ('Villafranca del Cid'), 'in'/'to' before one word, 'city'/'flew to' before it;
- the whole text (`names_span`): listed next to an accepted name (or after 'founders:') +2, two bare names
  paired by 'and' +1, listed with a firm or after 'manufacturers:' -3, three bare surnames alone on a line
  -3 (a firm), another speaker label of the dialogue accepted +2, the repeat of part of an accepted full
  name +3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP
from spacy.lang.fr.stop_words import STOP_WORDS as _FR_STOP

from guardrails.pii.gazetteer import Gazetteer, Kind
from guardrails.pii.names_context import (
    LEAD_CUES,
    PARTICLES,
    TITLES,
    against,
    cue_after,
    cue_before,
    pronoun_after,
    sentence_start,
)
from guardrails.pii.names_span import NameSpan, Scored, repeat_names, spread_over_lists

_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_STOP = frozenset(_EN_STOP) | frozenset(_FR_STOP)
# Function words cut from the ends of a run; modal verbs that are also given names stay ("Will Turner").
_CLOSED_CLASS = (_STOP - {"will", "may", "can", "must", "might"}) | {"i'm", "i’m", "i'll", "i've", "i'd"}
_ROMANCE_PARTICLES = frozenset("de del da do dos das di della".split())
_PREVIOUS_WORD = re.compile(r"([^\W\d_]+) $")
_COMMON_FIRST_RANK = 1000


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the text with what the gazetteer says of it (a trailing "'s" is left out)."""

    start: int
    end: int
    text: str
    kind: Kind
    common_first: bool = False  # among the 1,000 most frequent male or female given names (or hand-listed)

    @property
    def initial(self) -> bool:
        return len(self.text) == 1  # upper-case in running text; a lower-case one only joins in flat text


class NameFinder:
    """Finds PERSON spans in one text given the spaCy entities found in it."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gaz = gazetteer

    def find(
        self, text: str, persons: Sequence[tuple[int, int]], others: Sequence[tuple[int, int, float]]
    ) -> list[NameSpan]:
        """Scored candidates; `others` are spaCy's non-person entities with the points each one takes away."""
        flat = not any(c.isupper() for c in text) or not any(c.islower() for c in text)
        runs = [r for r in self._runs(text, flat) if r]
        scored = [self._score(text, run, persons, others, flat) for run in runs]
        return repeat_names(text, spread_over_lists(text, scored))

    def _tokens(self, text: str) -> list[Token]:
        tokens: list[Token] = []
        for match in _TOKEN.finditer(text):
            word, end = match.group(), match.end()
            if word[-2:] in ("'s", "’s") and len(word) > 3:
                word, end = word[:-2], end - 2
            rank = self._gaz.first_rank(word)
            tokens.append(Token(match.start(), end, word, self._gaz.kind(word), rank <= _COMMON_FIRST_RANK))
        return tokens

    def _runs(self, text: str, flat: bool) -> list[list[Token]]:
        runs: list[list[Token]] = []
        current: list[Token] = []
        for token in self._tokens(text):
            shaped = _shaped(token, flat)
            if current and shaped and _joins(text, current[-1], token):
                current.append(token)
                continue
            runs.append(_trim(current))
            current = [token] if shaped and token.text not in PARTICLES else []
        runs.append(_trim(current))
        return runs

    def _score(
        self,
        text: str,
        run: list[Token],
        persons: Sequence[tuple[int, int]],
        others: Sequence[tuple[int, int, float]],
        flat: bool,
    ) -> Scored:
        title = len(run) > 1 and run[0].text.casefold() in TITLES
        body = run[1:] if title else run
        start, end = body[0].start, body[-1].end
        words = [t for t in body if t.text not in PARTICLES and not t.initial]
        if not words:
            return Scored(NameSpan(start, end, 0.0, False), not_person=False)
        points = sum(_word_points(t, len(words), flat) for t in words)
        if len(words) == 1 and words[0].kind is Kind.NAME and not self._gaz.is_first(words[0].text):
            points -= 0.5  # a lone surname is also the name of a tool, a brand or a place
        points += self._shape_points(words, body, flat)
        if len(words) > 1 and all(t.kind in (Kind.WORD, Kind.NAME_WORD) for t in words):
            points -= 2.0  # "Labor Day", "Princess Royal": a phrase of English words
        ner_penalty = 0.0
        if _covered(start, end, persons):
            points += 2.0 if len(words) > 1 else 1.5
        else:
            penalty = max((w for a, b, w in others if _covered(start, end, [(a, b)])), default=0.0)
            if len(words) == 1 and self._common_first(words[0]) and penalty < 3.0:
                penalty = min(penalty, 0.5)  # a frequent given name outweighs the small model's ORG/GPE guess
            ner_penalty = penalty
            points -= penalty
        before_cue = cue_before(text[:start])
        support = 3.0 if title else before_cue
        if flat and before_cue >= 3.0 and len(words) == 1 and words[0].kind is not Kind.WORD:
            points += 2.0  # "my name is vitoria": the cue says what capitals would have said
        opens = sentence_start(text[:start])
        foreign = all(t.kind in (Kind.NAME, Kind.UNKNOWN) for t in words)  # no English word in it
        support += cue_after(text[end:], opens=opens and foreign and len(body) == 1)
        if len(body) == 1 and opens and pronoun_after(text[end:]):
            support += 1.0 if support else 1.5  # "Irenka is very reliable. You can always depend on him."
        if support >= 2.0 and 0.5 < ner_penalty < 3.0:
            points += ner_penalty - 0.5  # words that say "person" outweigh the small model's ORG/GPE guess
        if not title and not support and len(words) == 1 and self._after_phrase_word(text, start):
            points -= 1.0  # "Cautionary Tales", "Princess Royal": a capitalised phrase, not a name
        if not flat and (len(words) > 1 or not opens):
            support += 1.0  # capitalised where a plain word would not be
        elif not flat and words[0].kind is Kind.NAME and words[0].text[1:].islower():
            support += 0.5  # opening a sentence, but a listed name and no English word: "Kadiev and Adams were"
        if len(words) > 1 and foreign and _own_line(text, start, end):
            support += 1.0  # a header or signature line: "Gyala Antall", "Einojuhani Pyysalo"
        speaker = _speaker_label(text, start, end) and all(t.kind is not Kind.WORD for t in words)
        if speaker:
            support += 2.0  # a speaker label: "Ubul: What a wife."
        not_person, minus = against(text, start, end, [t.text for t in body], title)
        if self._gaz.is_place(body[-1].text):
            minus += 3.0  # "Cyprus", "Southern Austria", "Moosleerau Switzerland"; not "Jordan Peterson"
        if any(t.text in _ROMANCE_PARTICLES for t in body[1:-1]) and not self._gaz.is_first(body[0].text):
            minus += 3.0  # "Villafranca del Cid", "Chiclana de la Frontera"; not "Ricardo de la Fuente"
        if len(body) > 1 and self._gaz.is_demonym(body[0].text):
            minus += 3.0  # "Japanese Border Force", "European Union"
        span = NameSpan(start, end, points + support - minus, support > 0)
        named = all(t.kind is Kind.NAME for t in words)
        return Scored(span, not_person, cue=before_cue, speaker=speaker, single=len(body) == 1, named=named)

    def _shape_points(self, words: list[Token], body: list[Token], flat: bool) -> float:
        first = words[0]
        if len(words) == 1:
            return (1.0 if self._common_first(first) else 0.0) - (2.0 if flat else 0.0)
        if flat and not self._gaz.is_first(first.text):
            return -2.0  # without capitals, only "first-name surname" pairs are shaped like a name
        shaped = first.kind is Kind.NAME or self._gaz.is_first(first.text) or self._gaz.is_last(words[-1].text)
        return (1.0 if shaped else 0.0) + (1.0 if any(t.initial for t in body) else 0.0)

    def _common_first(self, token: Token) -> bool:
        return token.kind is Kind.NAME and token.common_first

    def _after_phrase_word(self, text: str, start: int) -> bool:
        previous = _PREVIOUS_WORD.search(text, 0, start)
        if previous is None:
            return False
        word = previous.group(1)
        return word[0].isupper() and self._gaz.kind(word) is Kind.WORD and word.casefold() not in _STOP


def _shaped(token: Token, flat: bool) -> bool:
    word = token.text
    if flat:
        listed = token.kind in (Kind.NAME, Kind.UNKNOWN) or token.initial or token.common_first
        return listed or word.casefold() in TITLES or word in PARTICLES
    if (token.initial and word.isupper()) or word in PARTICLES:
        return True
    if word.isupper():
        return len(word) >= 4 and token.kind is Kind.NAME
    return word[0].isupper()


def _speaker_label(text: str, start: int, end: int) -> bool:
    """A run alone at the start of a line and followed by a colon: 'Ubul: What a wife.'"""
    line_start = not text[:start].strip() or text[:start].rstrip(" \t>").endswith("\n")
    return line_start and text[end:].startswith(":")


def _own_line(text: str, start: int, end: int) -> bool:
    """A run that is the whole of its line (quote markers and bullets aside)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    rest = text[end : len(text) if line_end < 0 else line_end]
    return not text[line_start:start].strip(" \t>*-•") and not rest.strip(" \t.,")


def _joins(text: str, previous: Token, token: Token) -> bool:
    gap = text[previous.end : token.start]
    if gap == " " or gap == "-":
        return True
    dotted = previous.initial or previous.text.casefold() in TITLES
    return dotted and gap in (". ", ".")


def _trim(run: list[Token]) -> list[Token]:
    """Drop the ends that are not part of a name: function words, plain English words, particles."""
    while run and (_droppable(run[0]) or run[0].text in PARTICLES):
        if run[0].text.casefold() in TITLES and len(run) > 1:
            break
        run = run[1:]
    while run and (
        _droppable(run[-1])
        or run[-1].text in PARTICLES
        or run[-1].text.casefold() in TITLES
        or run[-1].text.islower()
        and run[-1].initial
    ):
        if len(run) > 2 and (run[-2].text in PARTICLES or run[-2].initial) and run[-1].text[0].isupper():
            break  # "Willemine ten Pas", "Daniela C Capon": the word after a particle or initial is a surname
        run = run[:-1]
    return run


def _droppable(token: Token) -> bool:
    if token.initial and token.text.isupper():
        return False  # "K. Tanaka"
    key = token.text.casefold()
    return token.kind is Kind.WORD or key in _CLOSED_CLASS or key in LEAD_CUES


def _word_points(token: Token, words: int, flat: bool) -> float:
    if token.text.casefold() in _EN_STOP and token.text.casefold() in _CLOSED_CLASS and token.text not in PARTICLES:
        return -1.0  # "Carry Me Back To Canada": names do not have function words inside
    if token.kind is Kind.NAME:
        return 1.0 if token.text.isupper() and not flat else 2.0
    if token.kind is Kind.NAME_WORD:
        return 1.0
    if token.kind is Kind.WORD:
        return -1.0
    return 0.5 if words >= 2 else 0.0


def _covered(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(min(end, b) - max(start, a) >= (end - start) / 2 for a, b in spans)
