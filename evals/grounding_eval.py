"""Grounding guardrail evaluation: balanced accuracy, AUROC and latency per dataset.

Honest protocol (leave-one-dataset-out): for each file, the logistic combiner and its threshold are fitted on the
other files only, then applied to the held-out file. The shipped weights (fitted on all files by
`evals/train_grounding.py`) are also reported, marked in-sample.

    python -m evals.grounding_eval [--embeddings] [--data-dir DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.grounding_data import DATASETS, DEFAULT_DATA_DIR, Item, load
from guardrails.grounding.combiner import Combiner, fit_logistic, load_combiner, support
from guardrails.grounding.features import FEATURES, worst
from guardrails.grounding.scorer import GroundingScorer

# "length" is left out on purpose: in HaluEval the right answers are short entities and the hallucinated ones
# full sentences, so length would learn the dataset's construction rather than grounding.
LEXICAL = (
    "coverage",
    "bigram_coverage",
    "missing_words",
    "fact_missing",
    "name_missing",
    "negation_mismatch",
    "first_person",
)
EMBEDDING = (*LEXICAL, "similarity")
L2 = 0.1


@dataclass(slots=True)
class FeatureSet:
    """Answer-level features and labels of one dataset (generic rows kept apart)."""

    x: np.ndarray
    y: np.ndarray
    generic: np.ndarray
    latency_ms: np.ndarray


def auroc(scores: np.ndarray, positives: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n_pos = int(positives.sum())
    n_neg = len(positives) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[positives == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def balanced_accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float(((pred[y == 1] == 1).mean() + (pred[y == 0] == 0).mean()) / 2)


def best_threshold(combiner: Combiner, sets: Sequence[FeatureSet]) -> float:
    """The cut that maximises the mean of per-dataset balanced accuracies on the training files.

    Averaging per file (rather than pooling) keeps one large file from setting a cut that only suits it.
    """
    grid = np.round(np.linspace(0.05, 0.95, 91), 3)
    probs = [support(combiner, s.x) for s in sets]
    scored = [
        (float(np.mean([balanced_accuracy((p >= t).astype(int), s.y) for p, s in zip(probs, sets, strict=True)])), t)
        for t in grid
    ]
    return float(max(scored)[1])


def featurise(items: Sequence[Item], scorer: GroundingScorer, use_question: bool, full: bool = True) -> FeatureSet:
    """Answer-level features for fitting, and the latency of a full `score` call per answer.

    `full=False` times feature extraction only (for a variant without shipped weights, which cannot `score`).
    """
    rows, labels, generic, latency = [], [], [], []
    for item in items:
        question = item.question if use_question else None
        started = time.perf_counter()
        if full:
            scorer.score(item.answer, [item.context], question)  # the full path, as the guardrail runs it
        else:
            scorer.analyse(item.answer, [item.context], question)
        latency.append((time.perf_counter() - started) * 1000)
        analysis = scorer.analyse(item.answer, [item.context], question)
        row = worst(analysis.rows)
        if item.label == "generic":
            generic.append(row)
            continue
        rows.append(row)
        labels.append(1 if item.label == "grounded" else 0)
    empty = np.zeros((0, len(FEATURES)), dtype=np.float32)
    return FeatureSet(np.array(rows), np.array(labels), np.array(generic) if generic else empty, np.array(latency))


def fit(sets: Sequence[FeatureSet], features: tuple[str, ...]) -> Combiner:
    cols = [FEATURES.index(f) for f in features]
    x = np.concatenate([s.x for s in sets])
    y = np.concatenate([s.y for s in sets])
    combiner = fit_logistic(x[:, cols], y, features, l2=L2)
    threshold = best_threshold(combiner, sets)
    return Combiner(features, combiner.mean, combiner.scale, combiner.weights, combiner.bias, threshold)


def report(name: str, combiner: Combiner, data: FeatureSet, tag: str) -> None:
    probs = support(combiner, data.x)
    pred = (probs >= combiner.threshold).astype(int)
    generic = ""
    if len(data.generic):
        flagged = float((support(combiner, data.generic) < combiner.threshold).mean())
        generic = f" generic_flagged={flagged:.2f} (n={len(data.generic)})"
    p50, p95 = np.percentile(data.latency_ms, [50, 95])
    print(
        f"{tag:10s} {name:12s} n={len(data.y):4d} bal_acc={balanced_accuracy(pred, data.y):.3f} "
        f"auroc={auroc(probs, data.y):.3f} thr={combiner.threshold:.3f} "
        f"p50={p50:.2f}ms p95={p95:.2f}ms{generic}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--embeddings", action="store_true", help="add the MiniLM similarity feature")
    parser.add_argument("--no-question", action="store_true", help="do not give the user's turn to the scorer")
    parser.add_argument("--limit", type=int, default=0, help="items per dataset (0 = all)")
    args = parser.parse_args(argv)
    embedder = None
    if args.embeddings:
        from guardrails.embeddings import Embedder

        embedder = Embedder(cache_size=0)  # no cache: latency is measured cold, as for unseen context
        embedder.load()
    scorer = GroundingScorer(embedder=embedder)
    features = EMBEDDING if args.embeddings else LEXICAL
    sets: dict[str, FeatureSet] = {}
    for name in DATASETS:
        items = load(name, args.data_dir)
        subset = items[: args.limit] if args.limit else items
        sets[name] = featurise(subset, scorer, not args.no_question, full=not args.embeddings)
    for name in DATASETS:
        combiner = fit([s for n, s in sets.items() if n != name], features)
        report(name, combiner, sets[name], "held-out")
    try:
        shipped = load_combiner("embedding" if args.embeddings else "lexical")
    except (FileNotFoundError, ValueError):
        return
    for name in DATASETS:
        report(name, shipped, sets[name], "in-sample")


if __name__ == "__main__":
    main()
