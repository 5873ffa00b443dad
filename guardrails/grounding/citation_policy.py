"""The citation policy of the grounding guardrail: an answer over retrieved sources must cite them, and only sources
that exist. Its findings are `missing_citation` and `invalid_citation`; the numbers cited are kept in the request's
check state (`CITED_KEY`) for the usage row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from guardrails.base import Finding
from guardrails.grounding.citations import find_citations

CitationPolicy = Literal["off", "flag", "block"]
CITED_KEY = "grounding.cited"


@dataclass(frozen=True, slots=True)
class CitationCheck:
    cited: frozenset[int]
    invalid: tuple[int, ...]
    missing: bool

    @property
    def violated(self) -> bool:
        return self.missing or bool(self.invalid)

    def findings(self, segment: int, n_sources: int) -> list[Finding]:
        out = [Finding("invalid_citation", 1.0, segment, detail=f"cites [{n}] but there are {n_sources} sources")
               for n in self.invalid]
        if self.missing:
            out.append(Finding("missing_citation", 1.0, segment, detail=f"cites none of the {n_sources} sources"))
        return out

    def message(self) -> str:
        parts = ["the answer cites none of its sources"] if self.missing else []
        if self.invalid:
            parts.append("the answer cites missing sources " + ", ".join(f"[{n}]" for n in self.invalid))
        return "; ".join(parts)


def check_citations(answers: Sequence[str], n_sources: int) -> CitationCheck:
    numbers = {n for text in answers for c in find_citations(text) for n in c.numbers}
    valid = frozenset(n for n in numbers if 1 <= n <= n_sources)
    invalid = tuple(sorted(numbers - valid))
    return CitationCheck(valid, invalid, missing=n_sources > 0 and not numbers)
