"""The cached-layer trainer's bookkeeping (no model is trained here)."""

from __future__ import annotations

import random

import numpy as np

from evals.train_nli import Pair
from evals.train_nli_cached import _batches, dev_report, is_dev


def test_batches_cover_every_row_once_and_group_by_length() -> None:
    rows = np.arange(10, 110)
    lengths = np.zeros(200, dtype=np.int64)
    lengths[rows] = np.random.default_rng(0).integers(5, 128, size=len(rows))
    batches = _batches(rows, lengths, 16, random.Random(1))
    assert sorted(int(r) for b in batches for r in b) == rows.tolist()
    assert all(len(b) <= 16 for b in batches)
    spans = [int(lengths[b].max() - lengths[b].min()) for b in batches]
    assert np.median(spans) < 40  # sorted by length: a batch is a narrow band, not a random draw over 5-128


def test_a_written_negative_stays_on_the_side_of_its_premise() -> None:
    premises = [f"premise number {i}" for i in range(200)]
    sides = [is_dev(Pair("nli_wice", p, "c", 1)) for p in premises]
    assert 0 < sum(sides) < len(sides)
    assert sides == [is_dev(Pair("nli_wice+number", p, "other claim", 0)) for p in premises]


def test_dev_report_skips_one_class_files_and_averages_the_rest() -> None:
    probs = np.array([0.9, 0.1, 0.8, 0.2, 0.1, 0.1])
    labels = np.array([1, 0, 0, 1, 0, 0])
    sources = np.array(["a", "a", "b", "b", "c+number", "c+number"])
    mean, lines = dev_report(probs, labels, sources, 0.5)
    assert mean == 0.5 and "c+number" not in lines
