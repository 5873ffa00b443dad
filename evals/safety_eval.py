"""Content-safety evaluation with held-out splits, reported per dataset.

- XSTest: leave-one-type-out (a safe type and its unsafe contrast are held out together; trained on the rest).
- HarmBench: recall on each held-out fifth (5-fold), and cross-dataset recall when no HarmBench row is trained on.
- Benign text (HaluEval questions, BEGIN replies, deepset benign prompts): false-positive rate on held-out fifths.
- Own cases (evals/data/safety/cases.jsonl): 5-fold balanced accuracy, and leave-one-out category accuracy.
- Latency: one text per call through the shipped guardrail path (embedding + linear head), p50/p95.

    python -m evals.safety_eval [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.grounding_eval import auroc
from evals.train_safety import (
    DEFAULT_DATA_DIR,
    THRESHOLD,
    Example,
    balanced_accuracy,
    embed,
    fit_logistic,
    load_examples,
    predict,
)


def _held_out(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
    """Scores on `test` from a model fitted on `train` only, with the shipped (untuned) threshold."""
    w, b = fit_logistic(x[train], y[train])
    return predict(w, b, x[test]), THRESHOLD


def xstest(x: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> None:
    idx = np.array([i for i, e in enumerate(examples) if e.source == "xstest"])
    preds = np.zeros(len(y))
    for group in sorted({examples[i].group for i in idx}):
        test = np.array([i for i in idx if examples[i].group == group])
        probs, threshold = _held_out(x, y, np.setdiff1d(np.arange(len(y)), test), test)
        preds[test] = (probs >= threshold).astype(int)
        print(f"  xstest {group:22s} n={len(test):3d} acc={(preds[test] == y[test]).mean():.3f}")
    print(f"xstest (leave-one-type-out) n={len(idx)} bal_acc={balanced_accuracy(preds[idx], y[idx]):.3f} "
          f"unsafe_recall={preds[idx][y[idx] == 1].mean():.3f} safe_pass={1 - preds[idx][y[idx] == 0].mean():.3f}")


def harmbench(x: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> None:
    hb = np.array([i for i, e in enumerate(examples) if e.source == "harmbench"])
    hits = []
    for fold in range(5):
        test = np.array([i for i in hb if examples[i].group == f"hb{fold}"])
        probs, threshold = _held_out(x, y, np.setdiff1d(np.arange(len(y)), test), test)
        hits.extend(probs >= threshold)
    print(f"harmbench (5-fold held-out) n={len(hb)} recall={np.mean(hits):.3f}")
    probs, threshold = _held_out(x, y, np.setdiff1d(np.arange(len(y)), hb), hb)
    print(f"harmbench (never trained on) n={len(hb)} recall={(probs >= threshold).mean():.3f}")


def cases(x: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> None:
    idx = np.array([i for i, e in enumerate(examples) if e.source == "cases"])
    scores = np.zeros(len(y))
    preds = np.zeros(len(y))
    for fold in range(5):
        test = np.array([i for i in idx if examples[i].group == f"case{fold}"])
        probs, threshold = _held_out(x, y, np.setdiff1d(np.arange(len(y)), test), test)
        scores[test], preds[test] = probs, probs >= threshold
    print(f"own cases (5-fold) n={len(idx)} bal_acc={balanced_accuracy(preds[idx], y[idx]):.3f} "
          f"auroc={auroc(scores[idx], y[idx]):.3f}")
    labelled = [i for i in idx if examples[i].category]
    correct = 0
    for i in labelled:
        others = [j for j in labelled if j != i]
        cats = sorted({examples[j].category for j in others})  # type: ignore[type-var]
        cents = np.array([x[[j for j in others if examples[j].category == c]].mean(axis=0) for c in cats])
        correct += cats[int((cents @ x[i]).argmax())] == examples[i].category
    print(f"own cases category accuracy (leave-one-out) n={len(labelled)} acc={correct / len(labelled):.3f}")


def benign(x: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> None:
    for source in ("halueval_questions", "begin_responses", "deepset_benign"):
        idx = np.array([i for i, e in enumerate(examples) if e.source == source])
        flagged = []
        for group in sorted({examples[i].group for i in idx}):
            test = np.array([i for i in idx if examples[i].group == group])
            probs, threshold = _held_out(x, y, np.setdiff1d(np.arange(len(y)), test), test)
            flagged.extend(probs >= threshold)
        print(f"{source} (5-fold held-out, all benign) n={len(idx)} false_positive_rate={np.mean(flagged):.3f}")


def latency(texts: Sequence[str]) -> None:
    from guardrails.embeddings import Embedder
    from guardrails.safety.classifier import load_model

    embedder = Embedder(cache_size=0)
    embedder.load()
    model = load_model()
    times = []
    for text in texts:
        started = time.perf_counter()
        model.score(embedder.encode([text]))
        times.append((time.perf_counter() - started) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    print(f"latency per text (cold, n={len(texts)}) p50={p50:.1f}ms p95={p95:.1f}ms")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    examples = load_examples(args.data_dir)
    x = embed([e.text for e in examples]).astype(np.float64)
    y = np.array([e.harmful for e in examples], dtype=np.float64)
    xstest(x, y, examples)
    harmbench(x, y, examples)
    cases(x, y, examples)
    benign(x, y, examples)
    latency([e.text for e in examples[::10]])


if __name__ == "__main__":
    main()
