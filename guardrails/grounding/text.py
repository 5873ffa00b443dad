"""Text normalisation shared by the grounding checks: content-word stems, numbers, names, negations."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just let me more most my myself of off on once
    only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon very was we were what when where
    which while who whom why will with would you your yours yourself yourselves i'm i've i'd i'll it's that's there's
    he's she's they're we're you're let's one ones thing things lot lots get got make made say said yes yeah oh ok okay
    well really actually quite much many also even still being via per""".split()
) | frozenset(
    # Conversational filler and reactions: they make no claim about the context.
    """sure haha hah lol wow hmm hm uh um ah cool great nice thanks thank hi hello hey indeed absolutely definitely
    agree exactly right true totally awesome interesting fun glad sorry please maybe probably guess think know""".split()
)
_NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor without cannot can't don't doesn't didn't isn't aren't wasn't "
    "weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't n't".split()
)
_FIRST_PERSON = frozenset("i me my mine myself i'm i've i'd i'll we us our ours".split())
_MONTHS = (
    "january february march april may june july august september october november december".split()
)
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of|the|de|da|van|von|del|and|&)\s+[A-Z][\w'’-]*|\s+[A-Z][\w'’-]*)*")
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ied", "ies", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match 'founded'/'founding'/'founds' without a lemmatiser."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ied", "ies") else "")
    return word


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def content_stems(tokens: list[str]) -> list[str]:
    return [stem(w) for w in tokens if w not in _STOPWORDS and w not in _NEGATIONS and len(w) > 1 or w.isdigit()]


def _norm_number(raw: str) -> str:
    value = raw.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def facts(text: str, tokens: list[str]) -> set[str]:
    """Numbers (normalised, number words included) and month names: values that must match exactly."""
    found = {_norm_number(m.group(0)) for m in _NUMBER.finditer(text)}
    found.update(_NUMBER_WORDS[w] for w in tokens if w in _NUMBER_WORDS)
    found.update(w for w in tokens if w in _MONTHS)
    return found


# Words that open a sentence capitalised without naming anything ("Overall, ...", "Note: ...").
_OPENERS = frozenset(
    """overall however additionally also note finally first second third next then moreover furthermore therefore
    thus hence instead otherwise meanwhile today currently recently yesterday tomorrow nowadays summary answer
    conclusion example instance yes no sure certainly unfortunately fortunately basically generally typically usually
    actually clearly recently importantly interestingly notably ultimately essentially specifically similarly
    alternatively consequently accordingly briefly historically originally traditionally""".split()
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\"'(\[]\s*)$")


def _without_opener(text: str, start: int, span: str) -> str:
    """The span minus a leading discourse word at a sentence start ("Overall", "Basically the Louvre" -> "Louvre")."""
    first, _, rest = span.partition(" ")
    if first.lower() not in _OPENERS or not _SENTENCE_START.search(text[:start]):
        return span
    return re.sub(r"^(?:(?:of|the|de|da|van|von|del|and|&)\s+)", "", rest)


def names(text: str) -> list[str]:
    """Capitalised spans, minus a lone sentence-initial function word ('The', 'He') or opener ('Overall')."""
    out: list[str] = []
    for match in _NAME.finditer(text):
        span = _without_opener(text, match.start(), match.group(0))
        if not span or " " not in span and span.lower() in _STOPWORDS | _NEGATIONS:
            continue
        out.append(span)
    return out


def first_person(tokens: list[str]) -> bool:
    return any(w in _FIRST_PERSON for w in tokens)


_SCOPE = 3
"""Content words after a negation that it applies to ("is not open on Tuesdays" negates open, tuesday)."""


def negated(tokens: list[str]) -> frozenset[str]:
    """Stems of the content words in the scope of a negation."""
    out: set[str] = set()
    left = 0
    for w in tokens:
        if w in _NEGATIONS or w.endswith("n't"):
            left = _SCOPE
        elif left and w not in _STOPWORDS:
            out.add(stem(w))
            left -= 1
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Analysed:
    """A text broken into what the checks compare."""

    text: str
    stems: tuple[str, ...]
    facts: frozenset[str]
    negated: frozenset[str]

    @property
    def bigrams(self) -> set[tuple[str, str]]:
        return set(zip(self.stems, self.stems[1:]))


def analyse(text: str) -> Analysed:
    tokens = words(text)
    return Analysed(text, tuple(content_stems(tokens)), frozenset(facts(text, tokens)), negated(tokens))
