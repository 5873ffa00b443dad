"""The grounding eval's metrics: balanced accuracy, and the best-cut diagnostic that sits beside it."""

from __future__ import annotations

import numpy as np
import pytest

from evals.grounding_eval import balanced_accuracy, best_cut

CASES = [
    # probs, labels, balanced accuracy at 0.5, best cut's balanced accuracy
    ([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0], 1.0, 1.0),
    # Ranked perfectly but every score above 0.5: the fixed cut fails, the best cut does not.
    ([0.95, 0.9, 0.7, 0.6], [1, 1, 0, 0], 0.5, 1.0),
    # Ranked backwards: no cut helps beyond predicting one class.
    ([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0], 0.0, 0.5),
    # Imbalanced classes weigh the same: one positive missed out of one is half the score.
    ([0.4, 0.1, 0.1, 0.1], [1, 0, 0, 0], 0.5, 1.0),
]


@pytest.mark.parametrize(("probs", "labels", "at_half", "best"), CASES)
def test_balanced_accuracy_and_best_cut(probs: list[float], labels: list[int], at_half: float, best: float) -> None:
    p, y = np.array(probs), np.array(labels)
    assert balanced_accuracy((p >= 0.5).astype(int), y) == pytest.approx(at_half)
    assert best_cut(p, y) == pytest.approx(best)
    assert best_cut(p, y) >= balanced_accuracy((p >= 0.5).astype(int), y)
