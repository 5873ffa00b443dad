"""A scored name candidate, and the evidence candidates of one text share: lists and repeated names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardrails.pii.names_context import LIST_PLACE_PREPOSITIONS

ACCEPT = 3.0
"""Points that make a name; the score grows with the points so a policy threshold still means something."""

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_LIST_GAP = re.compile(r"^(?:\s*,\s*|,?\s+(?:and|or|&|et|ou|und)\s+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NameSpan:
    """A scored PERSON candidate; `cued` when context words (not just the word itself) support it."""

    start: int
    end: int
    points: float
    cued: bool

    @property
    def score(self) -> float:
        if self.points >= ACCEPT:
            return round(min(0.95, 0.5 + 0.08 * (self.points - ACCEPT)), 4)
        return round(max(0.0, min(0.45, 0.15 * self.points)), 4)


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate before the text-wide evidence is added."""

    span: NameSpan
    not_person: bool  # a firm or a street by its next word or number: so is every name listed with it
    cue: float = 0.0  # what the words before it say (3 = "my name is", "founders:")
    speaker: bool = False  # a speaker label at the start of a line
    single: bool = False  # one word
    named: bool = False  # every word a listed (or surname-shaped) name that is not an English word


def spread_over_lists(text: str, scored: list[Scored]) -> list[NameSpan]:
    """Names listed together share evidence: 'Kónya, Becker and Vasquez' are people if one of them is,
    'Davis, Reynolds and Williamson Orchestra' is a firm if its last word says so, and so is a list after
    'at' or 'from' ('at Jones, Mitchell and Williams')."""
    groups: list[list[Scored]] = []
    for index, item in enumerate(scored):
        if groups and _LIST_GAP.match(text[scored[index - 1].span.end : item.span.start]):
            groups[-1].append(item)
        else:
            groups.append([item])
    out: list[NameSpan] = []
    for members in groups:
        listed = len(members) > 1
        previous = text[: members[0].span.start].rstrip().rsplit(maxsplit=1)[-1:]
        firm = listed and (
            any(m.not_person for m in members)
            or members[0].cue < 0
            or bool(previous and previous[0].casefold() in LIST_PLACE_PREPOSITIONS)
            or _firm_line(text, members)
        )
        # "Marrero and Murphy were ...": two bare surnames paired are two people more often than a firm.
        pair = len(members) == 2 and all(m.single and m.named for m in members)
        named = listed and (any(m.span.points >= ACCEPT for m in members) or members[0].cue >= ACCEPT)
        for member in members:
            span = member.span
            bonus = -3.0 if firm else (2.0 if named and span.points < ACCEPT else 0.0) + (1.0 if pair else 0.0)
            out.append(NameSpan(span.start, span.end, span.points + bonus, span.cued or bonus > 0))
    return _share_speakers(scored, out)


def _firm_line(text: str, members: list[Scored]) -> bool:
    """'Owens, Duran and Oneal' alone on a line (a letterhead, an address block), with no cue before it:
    three or more bare surnames in a row name a firm."""
    if len(members) < 3 or not all(m.single for m in members) or members[0].cue > 0:
        return False
    line_start = text.rfind("\n", 0, members[0].span.start) + 1
    line_end = text.find("\n", members[-1].span.end)
    rest = text[members[-1].span.end : len(text) if line_end < 0 else line_end]
    return not text[line_start : members[0].span.start].strip(" \t>*-") and not rest.strip(" \t.")


def _share_speakers(scored: list[Scored], spans: list[NameSpan]) -> list[NameSpan]:
    """In a dialogue ('Ubul: ...\nNicole: ...'), a speaker label is a name when another label is one."""
    labels = [i for i, item in enumerate(scored) if item.speaker]
    if len(labels) < 2 or not any(spans[i].points >= ACCEPT for i in labels):
        return spans
    out = list(spans)
    for i in labels:
        if out[i].points < ACCEPT:
            out[i] = NameSpan(out[i].start, out[i].end, out[i].points + 2.0, True)
    return out


def repeat_names(text: str, spans: list[NameSpan]) -> list[NameSpan]:
    """A single word that repeats part of an accepted full name in the same text is that person again
    ('Alvir D. Pušaver ... Alvir spent a year')."""
    known = {
        word.casefold()
        for span in spans
        if span.points >= ACCEPT and " " in text[span.start : span.end]
        for word in _WORD.findall(text[span.start : span.end])
        if len(word) > 1
    }
    out: list[NameSpan] = []
    for span in spans:
        word = text[span.start : span.end]
        if span.points < ACCEPT and " " not in word and word.casefold() in known:
            span = NameSpan(span.start, span.end, span.points + 3.0, True)
        out.append(span)
    return out
