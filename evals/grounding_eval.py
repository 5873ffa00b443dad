"""Grounding guardrail evaluation, one line per file: balanced accuracy, AUROC, p50/p95 latency.

Engines: `cascade` (lexical, and the entailment blend for the claims in its uncertain band), `entailment` (the
shipped cross-encoder, threshold from weights/nli.json), `head` (the pair head over MiniLM embeddings and lexical
features, weights/head.json) and `lexical` (the overlap combiner, shipped weights.json). None of the files here
was trained on: HaluEval and BEGIN never are, SummEdits dev documents, FEVER-symmetric and DACCORD dev rows are
held out by `grounding_data.held_out`, RTE-3 and SICK French are measure-only, and the paraphrase sets are the
project's own (evals/data/grounding).

The judge tier: with no LLM offline, `--judge oracle` answers with the gold label for every verdict whose score
falls in the band, which bounds what any judge could add, and reports the share of answers it would be sent
(what the tier costs). A real judge does no better than this bound; measure one with the gateway's `judge` section.

    python -m evals.grounding_eval [--engine cascade|entailment|head|lexical] [--files a,b] [--limit N] [--judge oracle]
        [--band 0.3,0.7] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.grounding_data import DEFAULT_DATA_DIR, EVAL_FILES, Item, load
from evals.grounding_lexical import auroc, balanced_accuracy, best_cut

__all__ = ["auroc", "balanced_accuracy", "best_cut", "main"]


def _scorer(engine: str, lexical_weight: float | None):  # noqa: ANN202 - either scorer, same score() signature
    if engine == "lexical":
        from guardrails.grounding.scorer import GroundingScorer

        lexical = GroundingScorer()
        return lexical, lexical.combiner.threshold
    if engine == "cascade":
        from guardrails.grounding.cascade import CascadeScorer
        from guardrails.grounding.nli import NliModel

        cascade = CascadeScorer(NliModel())
        return cascade, cascade.threshold
    if engine == "head":
        from guardrails.grounding.headscore import load_head_scorer

        head = load_head_scorer()
        return head, head.threshold
    from guardrails.grounding.entail import EntailmentScorer
    from guardrails.grounding.nli import NliModel

    scorer = EntailmentScorer(NliModel(), lexical_weight=lexical_weight)
    return scorer, scorer.threshold


def _sample(items: list[Item], limit: int) -> list[Item]:
    """Up to `limit` items, a fixed random sample (files are ordered by label or source, so no prefix or stride)."""
    items = [i for i in items if i.label != "generic"]
    if not limit or len(items) <= limit:
        return items
    chosen = sorted(random.Random(0).sample(range(len(items)), limit))
    return [items[k] for k in chosen]


def evaluate(name: str, items: Sequence[Item], scorer, threshold: float, band: tuple[float, float] | None) -> str:  # noqa: ANN001
    scores, latency = [], []
    for item in items:
        started = time.perf_counter()
        result = scorer.score(item.answer, [item.context], item.question or None)
        latency.append((time.perf_counter() - started) * 1000)
        scores.append(result.score)
    grounded = np.array(scores)
    y = np.array([1 if i.label == "grounded" else 0 for i in items])
    pred = (grounded >= threshold).astype(int)
    p50, p95 = np.percentile(latency, [50, 95])
    flagged = pred == 0
    # Of the answers the guardrail would block, the share that really are ungrounded (what `block` costs).
    precision = float((y[flagged] == 0).mean()) if flagged.any() else float("nan")
    line = (f"{name:20s} n={len(y):5d} bal_acc={balanced_accuracy(pred, y):.3f} auroc={auroc(grounded, y):.3f} "
            f"best_cut={best_cut(grounded, y):.3f} flag_precision={precision:.2f} p50={p50:.1f}ms p95={p95:.1f}ms")
    if band is not None:
        # The verdict score is 1 - grounded; the band is on that score, as in the policy.
        risk = 1.0 - grounded
        routed = (risk >= band[0]) & (risk <= band[1])
        judged = np.where(routed, y, pred)
        line += f" | oracle-judge bal_acc={balanced_accuracy(judged, y):.3f} sent={routed.mean():.0%}"
    return line


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--engine", choices=("cascade", "entailment", "head", "lexical"), default="entailment")
    parser.add_argument("--files", default=",".join(EVAL_FILES))
    parser.add_argument("--limit", type=int, default=0, help="items per file, spread evenly (0 = all)")
    parser.add_argument("--judge", choices=("none", "oracle"), default="none")
    parser.add_argument("--band", default="0.3,0.7", help="verdict-score band sent to the judge")
    parser.add_argument("--threshold", type=float, default=None, help="override the shipped threshold")
    parser.add_argument("--lexical-weight", type=float, default=None, help="override the shipped blend")
    args = parser.parse_args(argv)
    scorer, threshold = _scorer(args.engine, args.lexical_weight)
    if args.threshold is not None:
        threshold = args.threshold
    low, high = (float(x) for x in args.band.split(","))
    band = (low, high) if args.judge == "oracle" else None
    print(f"engine={args.engine} threshold={threshold:.3f}" + (f" judge=oracle band=[{low}, {high}]" if band else ""))
    for name in args.files.split(","):
        items = _sample(load(name, args.data_dir), args.limit)
        print(evaluate(name, items, scorer, threshold, band), flush=True)


if __name__ == "__main__":
    main()
