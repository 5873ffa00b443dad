"""Train the content-safety classifier on MiniLM embeddings and write guardrails/safety/weights/.

Positives: XSTest `unsafe` prompts, HarmBench behaviours, and the harmful cases in evals/data/safety/cases.jsonl.
Negatives: XSTest `safe` prompts (words that look harmful in safe contexts) and the safe cases (incl. refusals,
so an answer that declines is not flagged). The cases include hand-written contrast pairs in our own words (violent
words in cooking, sport, code, idioms, definitions, history, fiction next to plain requests to hurt a person):
MiniLM places a sentence by its topic, and without such pairs "kill a process" and "kill a person" sit together. The regression is class-balanced, so its natural cut of 0.5 is the
shipped threshold: the balanced-accuracy optimum on the training pool (~0.25, set by XSTest's deliberately
scary-sounding negatives) flagged everyday requests such as recipes.

    python -m evals.train_safety [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.safety.categories import CATEGORIES
from guardrails.safety.classifier import SafetyModel

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
CASES = Path(__file__).resolve().parent / "data" / "safety" / "cases.jsonl"
THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text; `group` keeps XSTest contrast pairs together when splitting."""

    text: str
    harmful: int
    source: str
    group: str
    category: str | None = None


def load_examples(data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    out: list[Example] = []
    with (data_dir / "safety" / "xstest_prompts.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            group = row["type"].removeprefix("contrast_")
            group = {"nons_group_real_discr": "discr", "real_group_nons_discr": "discr"}.get(group, group)
            group = "privacy" if group.startswith("privacy") else group
            out.append(Example(row["prompt"], int(row["label"] == "unsafe"), "xstest", group))
    lines = (data_dir / "safety" / "harmbench_prompts.txt").read_text(encoding="utf-8").splitlines()
    out.extend(Example(t.strip(), 1, "harmbench", f"hb{i % 5}") for i, t in enumerate(lines) if t.strip())
    out.extend(_benign(data_dir))
    for i, line in enumerate(CASES.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        category = row["category"]
        out.append(Example(row["text"], int(category != "safe"), "cases", f"case{i % 5}",
                           None if category == "safe" else category))
    return out


_BENIGN_PER_SOURCE = 300


def _benign(data_dir: Path) -> list[Example]:
    """Everyday negatives: trivia questions and chit-chat replies from the grounding sets, benign user prompts
    from the deepset injection set.

    Without them the only negatives are XSTest's deliberately scary-sounding prompts, and plain text drifts
    towards the harmful side of the boundary.
    """
    out: list[Example] = []
    with (data_dir / "grounding" / "halueval_qa.jsonl").open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= _BENIGN_PER_SOURCE:
                break
            out.append(Example(json.loads(line)["question"], 0, "halueval_questions", f"qa{i % 5}"))
    with (data_dir / "grounding" / "begin_dev_wow.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for i, row in enumerate(reader):
            if i >= _BENIGN_PER_SOURCE:
                break
            out.append(Example(row["response"], 0, "begin_responses", f"chat{i % 5}"))
    import pandas as pd

    frame = pd.read_parquet(data_dir / "injection" / "deepset_train.parquet")
    texts = frame.loc[frame["label"] == 0, "text"].tolist()
    out.extend(Example(str(t), 0, "deepset_benign", f"ds{i % 5}") for i, t in enumerate(texts[:_BENIGN_PER_SOURCE]))
    return out


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1e-4, steps: int = 4000, lr: float = 30.0
) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression on the raw unit-norm embeddings.

    Standardising the 384 dimensions sharpened XSTest slightly but pushed everyday how-to requests ("how do I
    make a cheesecake?") over the line, so the raw geometry is kept; the large step size compensates for the
    small scale of unit-norm features.
    """
    pos, neg = max(1.0, float(y.sum())), max(1.0, float(len(y) - y.sum()))
    weight = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = (p - y) * weight
        w -= lr * (x.T @ g / len(y) + l2 * w)
        b -= lr * float(g.mean())
    return w.astype(np.float32), b


def predict(w: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ w + b)))


def balanced_accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float(((pred[y == 1] == 1).mean() + (pred[y == 0] == 0).mean()) / 2)


def centroids(x: np.ndarray, examples: Sequence[Example]) -> np.ndarray:
    rows = []
    for category in CATEGORIES:
        members = [i for i, e in enumerate(examples) if e.category == category]
        if not members:
            raise ValueError(f"no training case for safety category {category!r}")
        mean = x[members].mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return np.array(rows, dtype=np.float32)


def train(x: np.ndarray, examples: Sequence[Example]) -> SafetyModel:
    y = np.array([e.harmful for e in examples], dtype=np.float64)
    w, b = fit_logistic(x, y)
    return SafetyModel(w, b, centroids(x, examples), CATEGORIES, THRESHOLD)


def embed(texts: Sequence[str]) -> np.ndarray:
    from guardrails.embeddings import shared_embedder

    return shared_embedder().encode(list(texts))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    examples = load_examples(args.data_dir)
    model = train(embed([e.text for e in examples]), examples)
    model.save()
    print(f"trained on {len(examples)} texts; threshold {model.threshold:.3f}")


if __name__ == "__main__":
    main()
