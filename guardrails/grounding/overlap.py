"""Verbatim overlap between a claim and the context, on the surface words (stopwords kept).

Stems say whether the claim's words occur somewhere in the context; these measures say whether they occur in the
same order. A claim stitched from context words ("video games inspired research" against "games inspired
research") keeps full stem coverage but loses its runs, which is what separates paraphrase from invention.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WordIndex:
    """The context's words, their positions, and its word bigrams and trigrams."""

    tokens: tuple[str, ...]
    positions: dict[str, tuple[int, ...]]
    grams: tuple[frozenset[tuple[str, ...]], ...]
    """grams[0] holds the bigrams, grams[1] the trigrams."""


def index_words(tokens: Sequence[str]) -> WordIndex:
    where: defaultdict[str, list[int]] = defaultdict(list)
    for i, token in enumerate(tokens):
        where[token].append(i)
    bigrams = frozenset(zip(tokens, tokens[1:]))
    trigrams = frozenset(zip(tokens, tokens[1:], tokens[2:]))
    return WordIndex(tuple(tokens), {w: tuple(p) for w, p in where.items()}, (bigrams, trigrams))


def longest_run(claim: Sequence[str], index: WordIndex) -> float:
    """Share of the claim's words in its longest stretch found word for word in the context (0-1)."""
    if not claim:
        return 1.0
    best = 0
    context = index.tokens
    for i, token in enumerate(claim):
        if len(claim) - i <= best:
            break
        for start in index.positions.get(token, ()):
            length = 1
            while (
                i + length < len(claim)
                and start + length < len(context)
                and claim[i + length] == context[start + length]
            ):
                length += 1
            best = max(best, length)
    return best / len(claim)


def tiled(claim: Sequence[str], index: WordIndex, n: int) -> float:
    """Share of the claim's words that sit inside some n-gram (n = 2 or 3) also found in the context.

    A claim shorter than n falls back to the share of its words found in the context at all.
    """
    if not claim:
        return 1.0
    if len(claim) < n:
        return sum(w in index.positions for w in claim) / len(claim)
    grams = index.grams[n - 2]
    covered = [False] * len(claim)
    for i in range(len(claim) - n + 1):
        if tuple(claim[i:i + n]) in grams:
            covered[i:i + n] = [True] * n
    return sum(covered) / len(claim)
