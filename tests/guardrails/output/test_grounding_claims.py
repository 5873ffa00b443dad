from __future__ import annotations

import pytest

from guardrails.grounding.citations import find_citations, parse_sources, strip_citations
from guardrails.grounding.claims import split_claims


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Paris is big. Berlin is old.", ["Paris is big.", "Berlin is old."]),
        ("It costs 3.5 dollars. Version 2.0 shipped.", ["It costs 3.5 dollars.", "Version 2.0 shipped."]),
        ("Dr. Smith met Mr. Jones. They talked.", ["Dr. Smith met Mr. Jones.", "They talked."]),
        ("J. R. R. Tolkien wrote it. It sold well.", ["J. R. R. Tolkien wrote it.", "It sold well."]),
        ("Use tools, e.g. a hammer. Then stop.", ["Use tools, e.g. a hammer.", "Then stop."]),
        ("He moved to the U.S. The move was hard.", ["He moved to the U.S.", "The move was hard."]),
        ("He lives in the U.S. since 1990.", ["He lives in the U.S. since 1990."]),
        ("Really? Yes! Done.", ["Really?", "Yes!", "Done."]),
        ("Steps:\n1. Open the box\n2. Take the item", ["Steps:", "Open the box", "Take the item"]),
        ("- first point\n- second point.", ["first point", "second point."]),
        ("Para one.\n\nPara two", ["Para one.", "Para two"]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("Delhi", ["Delhi"]),
        ("", []),
    ],
)
def test_split_claims(answer: str, expected: list[str]) -> None:
    claims = split_claims(answer)
    assert [c.text for c in claims] == expected
    assert all(answer[c.start:c.end] == c.text for c in claims)


@pytest.mark.parametrize(
    ("documents", "numbers"),
    [
        (["[1] Alpha.\n[2] Beta.", "[3] Gamma."], [1, 2, 3]),
        (["Source 1: Alpha.\nSource 2: Beta."], [1, 2]),
        (["Alpha.", "Beta.", "  ", "Gamma."], [1, 2, 4]),
        (["Document 5 - Alpha."], [5]),
    ],
)
def test_parse_sources(documents: list[str], numbers: list[int]) -> None:
    assert [s.number for s in parse_sources(documents)] == numbers


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Paris [1].", [(1,)]),
        ("Paris [1, 3] and Rome [2-4].", [(1, 3), (2, 3, 4)]),
        ("According to Source 2, it is.", [(2,)]),
        ("See (source 7).", [(7,)]),
        ("An array a[i] and 3.5 [x].", []),
    ],
)
def test_find_citations(text: str, numbers: list[tuple[int, ...]]) -> None:
    assert [c.numbers for c in find_citations(text)] == numbers
    stripped = strip_citations(text)
    assert len(stripped) == len(text)
    assert not find_citations(stripped)
