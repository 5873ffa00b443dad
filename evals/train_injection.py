"""Train the injection classifier and write `guardrails/injection/weights/injection_mlp.npz`.

Data: the public files in ../shared/datasets (deepset train split, in-the-wild jailbreaks, the PINT example, and
XSTest, every row of which is a negative for injection) plus the cases in evals/data/injection/*.jsonl (never the
holdout/ folder). Training is reproducible: fixed seed, single-threaded torch, full-batch optimisation. After the
fit, a 3-fold inner CV on the same training data picks the score where negatives reach 2.5% FPR, and a logit
offset maps it onto the shipped user threshold. It also fits the cascade's stage one (`lexical.py`: logistic
regression over hashed n-grams) and its uncertain band, chosen per file by inner CV, into injection_lexical.npz.

    .venv/bin/python -m evals.train_injection [--data-dir ../shared/datasets] [--out PATH] [--lexical-out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.injection.classifier import WEIGHTS_PATH, InjectionClassifier
from guardrails.injection.detector import InjectionDetector
from guardrails.injection.features import style_features
from guardrails.injection.lexical import LEXICAL_PATH, N_BUCKETS, LexicalModel, dense_features, hashed_counts
from guardrails.injection.options import Layers, RoleThresholds

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / ".." / "shared" / "datasets"
OWN_DATA = ROOT / "evals" / "data" / "injection"
SEED = 20240611
HIDDEN = 64
# Own cases are few but each targets a known weakness; they weigh more than a random public row.
INNER_FOLDS = 3
USER_THRESHOLD = RoleThresholds().user or 0.85
# A little under the 3% target: the threshold is picked on training folds and has to hold on unseen data.
CALIBRATION_FPR = 0.025
# Cascade band: at most this share of any file's training positives may skip the encoder as "clearly benign",
# and of its negatives as "clearly injection"; the high edge never sits under the highest default threshold.
BAND_MISS = 0.02
BAND_FALSE = 0.005
BAND_MIN_HIGH = 0.9
LEXICAL_L2 = 3e-4
SOURCE_WEIGHT = {"hard_negatives": 10.0, "attacks": 4.0, "pint": 2.0}


def source_weight(source: str) -> float:
    """Weight of one example of `source`; numbered files ("hard_negatives_2") weigh like their first file."""
    return SOURCE_WEIGHT.get(re.sub(r"_\d+$", "", source), 1.0)


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text and where it came from."""

    source: str
    text: str
    label: int
    role: str = "user"


def load_corpus(data_dir: Path = DATA_DIR, own_dir: Path = OWN_DATA) -> list[Example]:
    import pandas as pd
    import yaml

    inj = data_dir / "injection"
    out = [
        Example("deepset", str(t), int(y))
        for t, y in pd.read_parquet(inj / "deepset_train.parquet")[["text", "label"]].itertuples(index=False)
    ]
    out += [Example("inthewild", str(t), 1) for t in json.loads((inj / "inthewild_jailbreaks.json").read_text())]
    out += [
        Example("pint", str(r["text"]), int(bool(r["label"])))
        for r in yaml.safe_load((inj / "pint_example.yaml").read_text())
    ]
    out += [Example("xstest", str(t), 0) for t in pd.read_csv(data_dir / "safety" / "xstest_prompts.csv")["prompt"]]
    return out + load_own(own_dir)


def load_own(own_dir: Path = OWN_DATA) -> list[Example]:
    """The cases written for this project (evals/data/injection/*.jsonl; never the holdout/ folder)."""
    out = []
    for path in sorted(own_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(Example(path.stem, row["text"], int(row["label"]), row.get("role", "user")))
    return out


@dataclass(frozen=True, slots=True)
class Windows:
    """Every example's windows as rows of one feature matrix (embedding + style features; `owner[i]` = example
    of row i)."""

    vectors: np.ndarray
    owner: np.ndarray


def _cached_vectors(chunks: Sequence[str]) -> np.ndarray:
    """MiniLM vectors of `chunks`, cached on disk per window (by content hash and embedder backend): adding rows
    re-embeds only them, and int8 and float vectors never mix."""
    from guardrails.embeddings import shared_embedder

    embedder = shared_embedder()
    embedder.load()
    keys = np.array([hashlib.sha256(c.encode()).hexdigest()[:24] for c in chunks])
    cache = Path(tempfile.gettempdir()) / f"warden-injection-window-cache-{embedder.backend}.npz"
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    whole = Path(tempfile.gettempdir()) / (
        f"warden-injection-windows-{embedder.backend}-" + hashlib.sha256("\x00".join(chunks).encode()).hexdigest()[:16]
        + ".npy"
    )
    if whole.exists() and not all(k in known for k in keys.tolist()):
        known.update(zip(keys.tolist(), np.load(whole, allow_pickle=False), strict=True))
    missing = sorted({k: c for k, c in zip(keys.tolist(), chunks, strict=True) if k not in known}.items())
    if missing:
        vectors = embedder.encode([c for _, c in missing])
        known.update(zip([k for k, _ in missing], vectors, strict=True))
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys.tolist()])


def embed_windows(examples: Sequence[Example], detector: InjectionDetector) -> Windows:
    """Embed the windows the detector would score (the slow step, so cached on disk)."""
    chunks: list[str] = []
    owner: list[int] = []
    for i, ex in enumerate(examples):
        for chunk in detector.prepare(ex.text, ex.role).windows:
            chunks.append(chunk)
            owner.append(i)
    return Windows(np.hstack([_cached_vectors(chunks), style_features(chunks)]), np.array(owner))


def _train_net(x: np.ndarray, y: np.ndarray, w: np.ndarray, hidden: int, seed: int) -> InjectionClassifier:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    xt, yt, wt = (torch.tensor(a, dtype=torch.float32) for a in (x, y, w / w.mean()))
    layers = (
        [torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)]
        if hidden
        else [torch.nn.Linear(x.shape[1], 1)]
    )
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    for _ in range(400):
        opt.zero_grad()
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(net(xt)[:, 0], yt, reduction="none") * wt).mean()
        loss.backward()
        opt.step()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    return InjectionClassifier(
        tuple(m.weight.detach().numpy().T.copy() for m in linears),
        tuple(m.bias.detach().numpy().copy() for m in linears),
        version=f"mlp{hidden}-seed{seed}",
    )


def _rows(
    examples: Sequence[Example], win: Windows, idx: np.ndarray, pick: dict[int, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows: every window of a negative; for a positive, the windows in `pick` (its most
    injection-like ones) or all of them when it has one window. Weights balance the classes and sources."""
    rows, labels, weights = [], [], []
    for i in idx:
        ex = examples[i]
        own = np.flatnonzero(win.owner == i)
        chosen = pick.get(int(i), own) if ex.label else own
        base = source_weight(ex.source) / len(chosen)
        rows.extend(chosen.tolist())
        labels.extend([ex.label] * len(chosen))
        weights.extend([base] * len(chosen))
    y = np.array(labels, dtype=np.float32)
    w = np.array(weights, dtype=np.float32)
    w[y == 1] *= w[y == 0].sum() / max(w[y == 1].sum(), 1e-9)
    return win.vectors[np.array(rows)], y, w


def fit(
    examples: Sequence[Example], win: Windows, idx: np.ndarray, seed: int = SEED, hidden: int = HIDDEN
) -> InjectionClassifier:
    """Two passes (multiple-instance learning): a long jailbreak is positive as a whole, not in every sentence,
    so pass one learns from first windows, and pass two labels each long positive's top-2 windows positive."""
    first = {int(i): np.flatnonzero(win.owner == i)[:1] for i in idx if examples[i].label}
    model = _train_net(*_rows(examples, win, idx, first), hidden=hidden, seed=seed)
    pick: dict[int, np.ndarray] = {}
    for i in idx:
        if examples[i].label:
            own = np.flatnonzero(win.owner == i)
            pick[int(i)] = own[np.argsort(-model.predict(win.vectors[own]))[:2]]
    return _train_net(*_rows(examples, win, idx, pick), hidden=hidden, seed=seed)


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def out_of_fold(examples: Sequence[Example], win: Windows, idx: np.ndarray, k: int, seed: int = SEED) -> np.ndarray:
    """Classifier score (max over windows) of each example in `idx`, from models trained on the other folds."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(idx), dtype=int)
    for key in {(examples[i].source, examples[i].label) for i in idx}:
        members = np.flatnonzero([(examples[i].source, examples[i].label) == key for i in idx])
        fold[rng.permutation(members)] = np.arange(len(members)) % k
    scores = np.zeros(len(idx))
    for f in range(k):
        model = fit(examples, win, idx[fold != f], seed=seed)
        for j in np.flatnonzero(fold == f):
            own = np.flatnonzero(win.owner == idx[j])
            scores[j] = float(model.predict(win.vectors[own]).max()) if len(own) else 0.0
    return scores


def calibrate(
    model: InjectionClassifier, examples: Sequence[Example], win: Windows, idx: np.ndarray, k: int = INNER_FOLDS
) -> InjectionClassifier:
    """Shift `model` so that the user threshold sits where inner-CV negatives of `idx` have FPR <= CALIBRATION_FPR:
    the threshold is chosen on training data only, never on the fold being evaluated."""
    scores = out_of_fold(examples, win, idx, k)
    negatives = np.sort(scores[[examples[i].label == 0 for i in idx]])
    cut = float(negatives[int(np.ceil(len(negatives) * (1 - CALIBRATION_FPR))) - 1]) + 1e-6
    offset = logit(USER_THRESHOLD) - logit(cut)
    return InjectionClassifier(model.weights, model.biases, f"{model.version}-cut{cut:.3f}", offset)


def lexical_matrix(examples: Sequence[Example], detector: InjectionDetector) -> object:
    """Sparse rows of hashed n-grams + style flags, one per example, over the text stage one reads."""
    from scipy import sparse

    rows, cols, vals, dense = [], [], [], []
    for i, ex in enumerate(examples):
        text = detector.prepare(ex.text, ex.role).lexical_text
        buckets, values = hashed_counts(text)
        rows.extend([i] * len(buckets))
        cols.extend(buckets.tolist())
        vals.extend(values.tolist())
        dense.append(dense_features(text))
    grams = sparse.csr_matrix((vals, (rows, cols)), shape=(len(examples), N_BUCKETS), dtype=np.float64)
    return sparse.hstack([grams, sparse.csr_matrix(np.array(dense, dtype=np.float64))]).tocsr()


def fit_lexical(examples: Sequence[Example], x: object, idx: np.ndarray) -> LexicalModel:
    """Weighted, L2-regularised logistic regression (L-BFGS), classes balanced like the MLP's."""
    from scipy.optimize import minimize

    xs = x[idx]  # type: ignore[index]
    y = np.array([examples[i].label for i in idx], dtype=np.float64)
    w = np.array([source_weight(examples[i].source) for i in idx], dtype=np.float64)
    w[y == 1] *= w[y == 0].sum() / max(w[y == 1].sum(), 1e-9)
    w /= w.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = xs @ theta[:-1] + theta[-1]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        nll = np.logaddexp(0.0, z) - y * z
        g = w * (p - y)
        grad = np.append(xs.T @ g + LEXICAL_L2 * theta[:-1], g.sum())
        return float(w @ nll + 0.5 * LEXICAL_L2 * theta[:-1] @ theta[:-1]), grad

    theta = minimize(loss, np.zeros(xs.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 300}).x
    return LexicalModel(
        theta[:N_BUCKETS].astype(np.float32),
        theta[N_BUCKETS:-1].astype(np.float32),
        float(theta[-1]),
        version=f"lexical-l2{LEXICAL_L2}",
    )


def lexical_scores(model: LexicalModel, x: object, idx: np.ndarray) -> np.ndarray:
    z = x[idx] @ np.append(model.ngram_weights, model.dense_weights) + model.bias  # type: ignore[index]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_cascade(examples: Sequence[Example], x: object, idx: np.ndarray, k: int = INNER_FOLDS) -> LexicalModel:
    """Fit stage one on `idx` and set its band from inner-CV scores of `idx` only, per file: `low` lets at most
    BAND_MISS of any file's positives through as benign, `high` at most BAND_FALSE of its negatives as injection."""
    rng = np.random.default_rng(SEED)
    fold = rng.permutation(len(idx)) % k
    oof = np.zeros(len(idx))
    for f in range(k):
        oof[fold == f] = lexical_scores(fit_lexical(examples, x, idx[fold != f]), x, idx[fold == f])
    low, high = 1.0, BAND_MIN_HIGH
    for source in {examples[i].source for i in idx}:
        mine = np.array([examples[i].source == source for i in idx])
        labels = np.array([examples[i].label for i in idx])
        if (pos := oof[mine & (labels == 1)]).size:
            low = min(low, float(np.quantile(pos, BAND_MISS, method="lower")))
        if (neg := oof[mine & (labels == 0)]).size:
            high = max(high, float(np.quantile(neg, 1 - BAND_FALSE, method="higher")))
    return fit_lexical(examples, x, idx).with_band(low, min(high, 1.0))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--lexical-out", type=Path, default=LEXICAL_PATH)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    examples = load_corpus(args.data_dir)
    detector = InjectionDetector(layers=Layers(rules=False, classifier=True, decode=True))
    win = embed_windows(examples, detector)
    everything = np.arange(len(examples))
    model = calibrate(fit(examples, win, everything, seed=args.seed), examples, win, everything)
    model.save(args.out)
    print(f"trained on {len(examples)} texts / {len(win.owner)} windows -> {args.out} ({model.version})")
    lexical = fit_cascade(examples, lexical_matrix(examples, InjectionDetector(layers=Layers())), everything)
    lexical.save(args.lexical_out)
    print(f"stage one -> {args.lexical_out} (band [{lexical.low:.4f}, {lexical.high:.4f}])")


if __name__ == "__main__":
    main()
