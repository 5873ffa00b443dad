"""The cascade replay: what stays lexical, what the band sends, and the cache round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evals.grounding_cascade import Cached, cascade, read, save

# Two answers: answer 0 has a sure claim (0.9) and a doubtful one (0.3); answer 1 one doubtful claim (0.35).
DATA = Cached(answer=np.array([0, 0, 1]), prob=np.array([0.1, 0.95, 0.05]), lexical=np.array([0.9, 0.3, 0.35]),
              capped=np.array([False, False, False]), answer_term=np.array([0.3, 0.35]), label=np.array([1, 0]))


def test_without_a_band_the_answer_is_its_least_supported_lexical_claim() -> None:
    scores, sent = cascade(DATA, None, 0.5, 0.5)
    assert sent == 0.0 and scores.tolist() == [0.3, 0.35]


def test_only_in_band_claims_take_the_blend() -> None:
    scores, sent = cascade(DATA, (0.2, 0.4), 0.5, 0.5)
    assert sent == 2 / 3
    # claim 1 blends to 0.625 (above the blend threshold: grounded), claim 2 to 0.2; claim 0 keeps 0.9.
    assert scores[0] > 0.5 > scores[1]


def test_a_capped_claim_stays_below_the_threshold() -> None:
    capped = Cached(DATA.answer, DATA.prob, DATA.lexical, np.array([False, True, False]), DATA.answer_term, DATA.label)
    scores, _ = cascade(capped, (0.2, 0.4), 0.5, 0.5)
    assert scores[0] < 0.5


def test_the_cache_round_trips_without_pickle(tmp_path: Path) -> None:
    save(tmp_path / "c.npz", {"a": DATA})
    back = read(tmp_path / "c.npz")["a"]
    for field in Cached.__slots__:
        assert np.array_equal(getattr(back, field), getattr(DATA, field))
