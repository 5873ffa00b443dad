"""A grounding cascade, simulated: lexical decides the claims it is sure of, the entailment blend the uncertain band.

Every claim of every answer is scored once by both halves (`grounding_blend.claim_parts`) and cached in an npz
file; the sweep then replays, for each band [lo, hi] on the lexical claim support, what the cascade would say:

- a claim whose lexical support lies outside the band keeps it (lexical's verdict at the lexical threshold);
- a claim inside the band is sent to the model and scored by the blend `(1 - w) * P(entailed) + w * lexical`
  (capped on a missing number or date), rescaled so that the blend's threshold falls on the lexical threshold;
- the answer score is its least supported claim, and the lexical answer-level term (the worst feature of all the
  claims) when that term lies outside the band, as `GroundingScorer` scores it.

The band and the blend threshold are chosen to maximise the mean balanced accuracy of the three dev splits
(`DEV_FILES`), under the constraint that no QA/dialogue file (`GUARD_FILES`: HaluEval and BEGIN, the files the
lexical combiner was fitted on, licensed for training, none of them a measure-only file) loses more than 0.01 of
balanced accuracy against lexical alone. Everything else is only measured.

    python -m evals.grounding_cascade --cache /tmp/cascade.npz [--limit 300] [--data-dir DIR]   # score once
    python -m evals.grounding_cascade --cache /tmp/cascade.npz --sweep                           # replay bands
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.grounding_blend import DEV_FILES, claim_parts
from evals.grounding_data import DEFAULT_DATA_DIR, EVAL_FILES, load
from evals.grounding_eval import _sample
from evals.grounding_lexical import auroc, balanced_accuracy
from guardrails.grounding.cascade import rescale
from guardrails.grounding.combiner import CONTRADICTION_CAP, support
from guardrails.grounding.entail import _cap
from guardrails.grounding.features import worst

GUARD_FILES = ("halueval_qa", "begin_cmu", "begin_tc", "begin_wow")
MAX_LOSS = 0.01
LEXICAL_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Cached:
    """One file's claims, flattened: owning answer, P(entailed), lexical support, number-cap flag; per answer:
    the lexical answer-level term and the gold label (1 = grounded)."""

    answer: np.ndarray
    prob: np.ndarray
    lexical: np.ndarray
    capped: np.ndarray
    answer_term: np.ndarray
    label: np.ndarray


def score_files(names: Sequence[str], data_dir: Path, limit: int) -> dict[str, Cached]:
    from guardrails.grounding.entail import EntailmentScorer
    from guardrails.grounding.nli import NliModel

    scorer = EntailmentScorer(NliModel(), lexical_weight=0.0)
    combiner = scorer._lexical.combiner  # noqa: SLF001 - the entailment scorer's own lexical half
    out: dict[str, Cached] = {}
    for name in names:
        items = _sample(load(name, data_dir), limit)
        owner, probs, lexical, capped, term = [], [], [], [], []
        for k, item in enumerate(items):
            part = claim_parts(scorer, item)
            if part is None:
                term.append(1.0)
                continue
            p, s, rows = part
            owner += [k] * len(p)
            probs += p.tolist()
            lexical += s.tolist()
            capped += (_cap(np.ones(len(p)), rows) < 1).tolist()
            term.append(float(support(combiner, worst(rows)[None, :])[0]))
        label = np.array([1 if i.label == "grounded" else 0 for i in items])
        out[name] = Cached(np.array(owner, dtype=int), np.array(probs), np.array(lexical), np.array(capped, dtype=bool),
                           np.array(term), label)
        print(f"scored {name} ({len(items)} answers, {len(probs)} claims)", flush=True)
    return out


def save(path: Path, data: dict[str, Cached]) -> None:
    arrays = {f"{name}/{field}": getattr(c, field) for name, c in data.items() for field in Cached.__slots__}
    np.savez_compressed(path, **arrays)


def read(path: Path) -> dict[str, Cached]:
    with np.load(path, allow_pickle=False) as raw:
        names = dict.fromkeys(k.split("/")[0] for k in raw.files)
        return {n: Cached(**{f: raw[f"{n}/{f}"] for f in Cached.__slots__}) for n in names}


def cascade(c: Cached, band: tuple[float, float] | None, weight: float, threshold: float) -> tuple[np.ndarray, float]:
    """Answer scores on the lexical scale, and the share of claims sent to the model (band None: lexical alone)."""
    n = len(c.label)
    if band is None:
        sent = np.zeros(len(c.lexical), dtype=bool)
    else:
        sent = (c.lexical >= band[0]) & (c.lexical <= band[1])
    blend = (1 - weight) * c.prob + weight * c.lexical
    blend = np.where(c.capped, np.minimum(blend, CONTRADICTION_CAP), blend)
    claim = np.where(sent, rescale(blend, threshold, LEXICAL_THRESHOLD), c.lexical)
    scores = np.ones(n)
    np.minimum.at(scores, c.answer, claim)
    term_sure = np.ones(n, dtype=bool) if band is None else (c.answer_term < band[0]) | (c.answer_term > band[1])
    scores = np.where(term_sure, np.minimum(scores, c.answer_term), scores)
    return scores, float(sent.mean()) if len(sent) else 0.0


def bal(c: Cached, scores: np.ndarray) -> float:
    return balanced_accuracy((scores >= LEXICAL_THRESHOLD).astype(int), c.label)


def sweep(data: dict[str, Cached], weights: Sequence[float]) -> tuple[tuple[float, float], float, float, float]:
    """The dev-best (band, weight, blend threshold) meeting the QA/dialogue constraint, and its dev mean."""
    base = {n: bal(c, cascade(c, None, 0.0, 0.5)[0]) for n, c in data.items()}
    edges = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    best: tuple[float, tuple[float, float], float, float] = (-1.0, (1.0, 0.0), 0.0, 0.5)
    for weight in weights:
        for threshold in np.linspace(0.1, 0.7, 25):
            for lo in edges:
                for hi in edges[edges >= lo]:
                    band = (float(lo), float(hi))
                    if any(bal(data[g], cascade(data[g], band, weight, threshold)[0]) < base[g] - MAX_LOSS
                           for g in GUARD_FILES if g in data):
                        continue
                    dev = float(np.mean([bal(data[d], cascade(data[d], band, weight, threshold)[0])
                                         for d in DEV_FILES if d in data]))
                    if dev > best[0] + 1e-9:
                        best = (dev, band, weight, float(threshold))
    return best[1], best[2], best[3], best[0]


def report(data: dict[str, Cached], band: tuple[float, float] | None, weight: float, threshold: float) -> None:
    label = "lexical alone" if band is None else f"cascade band=[{band[0]:.2f}, {band[1]:.2f}] w={weight:.2f} t={threshold:.3f}"
    print(label)
    dev = []
    for name, c in data.items():
        scores, sent = cascade(c, band, weight, threshold)
        answers_sent = 0.0
        if band is not None and len(c.lexical):
            inside = (c.lexical >= band[0]) & (c.lexical <= band[1])
            answers_sent = len(np.unique(c.answer[inside])) / len(c.label)
        b = bal(c, scores)
        if name in DEV_FILES:
            dev.append(b)
        print(f"  {name:20s} n={len(c.label):4d} bal_acc={b:.3f} auroc={auroc(scores, c.label):.3f} "
              f"claims_sent={sent:.0%} answers_sent={answers_sent:.0%}", flush=True)
    print(f"  mean of the dev splits: {np.mean(dev):.3f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--files", default=",".join(EVAL_FILES))
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--cache", type=Path, required=True, help="npz of per-claim scores (written unless --sweep)")
    parser.add_argument("--sweep", action="store_true", help="replay bands from the cache")
    parser.add_argument("--weights", default="0,0.5")
    parser.add_argument("--band", default=None, help="report this band lo,hi (with --weight, --threshold)")
    parser.add_argument("--weight", type=float, default=0.5)
    parser.add_argument("--threshold", type=float, default=0.3)
    args = parser.parse_args(argv)
    if not args.sweep:
        save(args.cache, score_files(args.files.split(","), args.data_dir, args.limit))
        return
    data = read(args.cache)
    report(data, None, 0.0, 0.5)
    if args.band:
        lo, hi = (float(x) for x in args.band.split(","))
        report(data, (lo, hi), args.weight, args.threshold)
        return
    band, weight, threshold, dev = sweep(data, [float(w) for w in args.weights.split(",")])
    print(f"chosen on {', '.join(DEV_FILES)} with {', '.join(GUARD_FILES)} within {MAX_LOSS} of lexical: dev {dev:.3f}")
    report(data, band, weight, threshold)


if __name__ == "__main__":
    main()
