from __future__ import annotations

import json

import numpy as np
import pytest

from guardrails.grounding.combiner import CONTRADICTION_CAP, Combiner, fit_logistic, support
from guardrails.grounding.features import FEATURES, NEUTRAL, build_evidence, claim_features, worst
from guardrails.grounding.overlap import index_words, longest_run, tiled
from guardrails.grounding.text import names, words

CONTEXT = "games have historically inspired seminal research in the fields of probability and economics."


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("games have historically inspired seminal research", 1.0),
        ("video games have historically inspired seminal research", 6 / 7),
        ("research inspired games", 1 / 3),
        ("nothing here matches", 0.0),
        ("", 1.0),
    ],
)
def test_longest_run(claim: str, expected: float) -> None:
    assert longest_run(words(claim), index_words(words(CONTEXT))) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("claim", "n", "expected"),
    [
        ("games have historically inspired", 2, 1.0),
        ("games have historically inspired", 3, 1.0),
        ("research inspired games", 2, 0.0),
        ("the fields of cooking", 3, 0.75),
        ("economics", 3, 1.0),  # shorter than n: share of words found at all
        ("cooking", 2, 0.0),
        ("", 2, 1.0),
    ],
)
def test_tiled(claim: str, n: int, expected: float) -> None:
    assert tiled(words(claim), index_words(words(CONTEXT)), n) == pytest.approx(expected)


def _row(claim: str, context: str = CONTEXT, question: str | None = None) -> dict[str, float]:
    row, _ = claim_features(claim, build_evidence([context], question), similarity=0.0)
    return dict(zip(FEATURES, row.tolist(), strict=True))


@pytest.mark.parametrize(
    ("claim", "feature", "expected"),
    [
        ("games inspired research in economics", "unsupported_share", 0.0),
        ("bananas grow on tall green trees", "unsupported_share", 1.0),
        ("bananas grow on tall green trees", "mean_coverage", 0.0),
        ("Is probability a field?", "question_form", 1.0),
        ("Probability is a field.", "question_form", 0.0),
        ("research inspired games", "aligned_coverage", 1.0),  # no embedder: the lexically best chunk stands in
    ],
)
def test_claim_features(claim: str, feature: str, expected: float) -> None:
    assert _row(claim)[feature] == pytest.approx(expected)


def test_aligned_coverage_uses_the_given_chunk() -> None:
    evidence = build_evidence(["Paris is in France.", "Berlin is the capital of Germany."])
    row, best = claim_features("Berlin is the capital of Germany.", evidence, similarity=0.9, aligned=0)
    values = dict(zip(FEATURES, row.tolist(), strict=True))
    assert best == 1
    assert values["best_chunk_coverage"] == pytest.approx(1.0)
    assert values["aligned_coverage"] == pytest.approx(0.0)


def test_worst_takes_the_least_supported_claim_and_averages_the_shares() -> None:
    good = _row("games inspired research in economics")
    bad = _row("bananas grow on tall green trees")
    rows = np.array([[good[f] for f in FEATURES], [bad[f] for f in FEATURES]], dtype=np.float32)
    folded = dict(zip(FEATURES, worst(rows).tolist(), strict=True))
    assert folded["coverage"] == pytest.approx(0.0)
    assert folded["unsupported_share"] == pytest.approx(0.5)
    assert folded["mean_coverage"] == pytest.approx(0.5)
    assert folded["longest_run"] == pytest.approx(min(good["longest_run"], bad["longest_run"]))
    assert worst(np.zeros((0, len(FEATURES)), dtype=np.float32)).tolist() == NEUTRAL.tolist()


def _combiner(caps: tuple[str, ...]) -> Combiner:
    one = np.ones(1, dtype=np.float32)
    return Combiner(("coverage",), np.zeros(1, dtype=np.float32), one, one * 10, 0.0, 0.5, caps)


@pytest.mark.parametrize(
    ("caps", "name_missing", "capped"),
    [
        (("name_missing",), 1.0, True),
        (("name_missing",), 0.0, False),
        (("fact_missing",), 1.0, False),
        ((), 1.0, False),
    ],
)
def test_caps(caps: tuple[str, ...], name_missing: float, capped: bool) -> None:
    row = np.zeros((1, len(FEATURES)), dtype=np.float32)
    row[0, FEATURES.index("coverage")] = 1.0
    row[0, FEATURES.index("name_missing")] = name_missing
    prob = float(support(_combiner(caps), row)[0])
    assert (prob <= CONTRADICTION_CAP + 1e-6) is capped


def test_combiner_json_round_trip_keeps_caps_and_rejects_unknown_names() -> None:
    combiner = _combiner(("name_missing", "fact_missing"))
    again = Combiner.from_json(json.loads(json.dumps(combiner.to_json())))
    assert again.caps == ("name_missing", "fact_missing")
    legacy = combiner.to_json()
    del legacy["caps"]
    assert Combiner.from_json(legacy).caps == ("fact_missing", "negation_mismatch")
    with pytest.raises(ValueError, match="no_such_feature"):
        Combiner.from_json({**combiner.to_json(), "caps": ["no_such_feature"]})


def test_sample_weights_shift_the_fit() -> None:
    x = np.array([[0.0], [1.0], [0.4], [0.6]])
    y = np.array([0, 1, 1, 0])
    plain = fit_logistic(x, y, ("coverage",))
    leaning = fit_logistic(x, y, ("coverage",), sample_weight=np.array([1.0, 1.0, 10.0, 0.1]))
    probe = np.zeros((1, len(FEATURES)), dtype=np.float32)
    probe[0, 0] = 0.4
    assert leaning.predict(probe)[0] > plain.predict(probe)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Overall, the Eiffel Tower is tall.", ["Eiffel Tower"]),
        ("Basically the Louvre holds it.", ["Louvre"]),
        ("Note: Paris is big. However, Berlin is old.", ["Paris", "Berlin"]),
        ("Italy holds the Mona Lisa.", ["Italy", "Mona Lisa"]),
        ("Mumbai, the financial capital of India.", ["Mumbai", "India"]),
        ("He met Overall Smith.", ["Overall Smith"]),  # not at a sentence start: a name
        ("The Seine flows.", ["The Seine"]),
    ],
)
def test_names_skip_sentence_openers(text: str, expected: list[str]) -> None:
    assert names(text) == expected
