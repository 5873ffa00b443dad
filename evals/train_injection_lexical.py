"""Fit the cascade's stage one (`guardrails/injection/lexical.py`) on the user-role training cases.

Logistic regression over hashed n-grams and style flags (L-BFGS, classes balanced, fixed order, no sampling).
Its only job is to spare the cross-encoder the user messages that are clearly benign: `low` is set from
3-fold out-of-fold scores so that at most `BAND_MISS` of the training attacks of any file would score under it.
Stage one never blocks on its own (`high` = 1).

    .venv/bin/python -m evals.train_injection_lexical [--out guardrails/injection/weights/injection_lexical.npz]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.injection_data import SEED, Case, build
from guardrails.injection.detector import InjectionDetector
from guardrails.injection.lexical import LEXICAL_PATH, N_BUCKETS, LexicalModel, dense_features, hashed_counts
from guardrails.injection.options import Layers

L2 = 3e-4
BAND_MISS = 0.01
FOLDS = 3
USER_ROLES = ("user", "assistant")


def lexical_text(detector: InjectionDetector, case: Case) -> str:
    """What stage one reads in production: the clean text and its decoded payloads."""
    return "\n".join(detector.prepare(case.text, case.role).texts)


def matrix(texts: Sequence[str]) -> object:
    from scipy import sparse

    rows, cols, vals, dense = [], [], [], []
    for i, text in enumerate(texts):
        buckets, values = hashed_counts(text)
        rows.extend([i] * len(buckets))
        cols.extend(buckets.tolist())
        vals.extend(values.tolist())
        dense.append(dense_features(text))
    grams = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), N_BUCKETS), dtype=np.float64)
    return sparse.hstack([grams, sparse.csr_matrix(np.array(dense, dtype=np.float64))]).tocsr()


def fit(x: object, y: np.ndarray) -> LexicalModel:
    from scipy.optimize import minimize

    w = np.where(y == 1, 1.0 / max(y.sum(), 1), 1.0 / max((1 - y).sum(), 1))
    w /= w.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]  # type: ignore[operator]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        grad_z = w * (p - y)
        grad = np.append(x.T @ grad_z + L2 * theta[:-1], grad_z.sum())  # type: ignore[attr-defined]
        return float(w @ (np.logaddexp(0.0, z) - y * z) + 0.5 * L2 * theta[:-1] @ theta[:-1]), grad

    theta = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 300}).x  # type: ignore[attr-defined]
    return LexicalModel(theta[:N_BUCKETS].astype(np.float32), theta[N_BUCKETS:-1].astype(np.float32),
                        float(theta[-1]), version=f"lexical-l2{L2}")


def scores(model: LexicalModel, x: object) -> np.ndarray:
    z = x @ np.append(model.ngram_weights, model.dense_weights) + model.bias  # type: ignore[operator]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_cascade(cases: Sequence[Case]) -> LexicalModel:
    detector = InjectionDetector(layers=Layers(classifier=False))
    x = matrix([lexical_text(detector, c) for c in cases])
    y = np.array([c.label for c in cases], dtype=np.float64)
    fold = np.random.default_rng(SEED).permutation(len(cases)) % FOLDS
    oof = np.zeros(len(cases))
    for f in range(FOLDS):
        oof[fold == f] = scores(fit(x[fold != f], y[fold != f]), x[fold == f])  # type: ignore[index]
    low = 1.0
    for source in sorted({c.source for c in cases}):
        pos = oof[(y == 1) & np.array([c.source == source for c in cases])]
        if pos.size:
            low = min(low, float(np.quantile(pos, BAND_MISS, method="lower")))
    skipped = float((oof[y == 0] < low).mean())
    print(f"stage one: low {low:.5f}; out of fold it spares the model {skipped:.1%} of benign user texts")
    return fit(x, y).with_band(low, 1.0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=LEXICAL_PATH)
    args = parser.parse_args(argv)
    cases = [c for c in build() if c.split == "train" and c.role in USER_ROLES]
    model = fit_cascade(cases)
    model.save(args.out)
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
