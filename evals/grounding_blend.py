"""How much of the lexical combiner to blend into the entailment model: one pass per file, every weight at once.

`EntailmentScorer` scores a claim as `(1 - w) * P(entailed) + w * lexical support`, capped when a number or date
is missing, and an answer by its least supported claim. This script computes both parts once per claim and then
reports, for each weight w, balanced accuracy and AUROC per file. The threshold for each w is the one that
maximises the mean balanced accuracy of the dev splits of the training files (`DEV_FILES`, rows the model never
saw); the other files are only measured, never used to choose w or the threshold.

    python -m evals.grounding_blend [--weights 0,0.25,0.5,0.75,1] [--limit 300] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.grounding_data import DEFAULT_DATA_DIR, EVAL_FILES, Item, load
from evals.grounding_eval import _sample
from evals.grounding_lexical import auroc, balanced_accuracy
from guardrails.grounding.citations import parse_sources
from guardrails.grounding.combiner import support
from guardrails.grounding.entail import EntailmentScorer, _cap
from guardrails.grounding.passages import Bm25

DEV_FILES = ("summedits_dev", "fever_symmetric_dev", "daccord_fr_dev")
Claims = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Per claim of one answer: P(entailed), lexical support, the feature rows (for the number cap)."""


def claim_parts(scorer: EntailmentScorer, item: Item) -> Claims | None:
    """The two supports of each claim of the answer, as `EntailmentScorer.score` computes them (None: no claim)."""
    lexical = scorer._lexical  # noqa: SLF001 - the entailment scorer's own lexical half
    chunks, _ = lexical._chunks(parse_sources([item.context]))  # noqa: SLF001
    question = item.question or None
    analysis = lexical._analyse(item.answer, chunks, question)  # noqa: SLF001
    if not analysis.claims:
        return None
    bm25 = Bm25(chunks)
    hyps = [scorer._hypothesis(c.text, question) for c in analysis.claims]  # noqa: SLF001
    probs = scorer.model.entailment([(bm25.evidence(h), h) for h in hyps])
    return probs, support(lexical.combiner, analysis.rows), analysis.rows


def answer_scores(parts: Sequence[Claims | None], weight: float) -> np.ndarray:
    out = []
    for part in parts:
        if part is None:
            out.append(1.0)
            continue
        probs, lexical, rows = part
        out.append(float(_cap((1 - weight) * probs + weight * lexical, rows).min()))
    return np.array(out)


def _dev_threshold(scores: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> float:
    grid = np.linspace(0.02, 0.98, 49)
    dev = [n for n in DEV_FILES if n in scores]
    return float(max(grid, key=lambda t: np.mean([balanced_accuracy((scores[n] >= t).astype(int), labels[n])
                                                 for n in dev])))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--files", default=",".join(EVAL_FILES))
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--weights", default="0,0.25,0.5,0.75,1")
    args = parser.parse_args(argv)
    from guardrails.grounding.nli import NliModel

    scorer = EntailmentScorer(NliModel(), lexical_weight=0.0)
    parts: dict[str, list[Claims | None]] = {}
    labels: dict[str, np.ndarray] = {}
    for name in args.files.split(","):
        items = _sample(load(name, args.data_dir), args.limit)
        parts[name] = [claim_parts(scorer, item) for item in items]
        labels[name] = np.array([1 if i.label == "grounded" else 0 for i in items])
        print(f"scored {name} ({len(items)})", flush=True)
    for weight in (float(w) for w in args.weights.split(",")):
        scores = {n: answer_scores(p, weight) for n, p in parts.items()}
        threshold = _dev_threshold(scores, labels)
        print(f"lexical_weight={weight:.2f} threshold={threshold:.2f} (chosen on {', '.join(DEV_FILES)})")
        for name, s in scores.items():
            y = labels[name]
            print(f"  {name:20s} n={len(y):4d} bal_acc={balanced_accuracy((s >= threshold).astype(int), y):.3f} "
                  f"auroc={auroc(s, y):.3f}", flush=True)


if __name__ == "__main__":
    main()
