"""BM25 evidence selection: the claim's evidence is chosen, kept within budget, in document order."""

from __future__ import annotations

import pytest

from guardrails.grounding.passages import Bm25, select_evidence, terms

SENTENCES = [
    "The company was founded in 1998 in Eindhoven.",
    "Its first product was a thermostat.",
    "Revenue from the SME segment rose 12% in the third quarter.",
    "The board meets four times a year.",
    "Le chiffre d'affaires du segment PME a progressé de 12 %.",
]


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("Sales to SMEs grew by 12 percent in Q3.", 2),
        ("It was set up in Eindhoven in 1998.", 0),
        ("Les ventes aux PME ont augmenté de 12 %.", 4),
        ("How often does the board meet?", 3),
    ],
)
def test_the_best_sentence_is_in_the_evidence(claim: str, expected: int) -> None:
    assert SENTENCES[expected] in select_evidence(SENTENCES, claim, budget_words=12)


def test_evidence_keeps_document_order_and_budget() -> None:
    evidence = Bm25(SENTENCES).evidence("thermostat founded 1998 Eindhoven", budget_words=20)
    assert evidence.index("founded") < evidence.index("thermostat")
    assert len(evidence.split()) <= 20


def test_terms_are_unicode_prefixes() -> None:
    assert terms("Développement annoncé, l'été") == ["dévelo", "annonc", "été"]


def test_empty_context_gives_empty_evidence() -> None:
    assert select_evidence([], "anything") == ""
