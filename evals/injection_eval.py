"""Evaluate the injection detector per dataset, on held-out data only, and measure its latency.

The classifier is scored out-of-fold: the corpus (public files + evals/data/injection/*.jsonl) is split into k
folds stratified by file and label; each fold is scored by a model trained and calibrated (threshold chosen by
inner CV), exactly as `train_injection` does, on the other folds only. The files in evals/data/injection/holdout/
were written after the method was frozen, are never trained on, and are scored by the shipped weights. Rules
are fixed code. Per file we print TPR/FPR at the shipped per-role thresholds, and the TPR at the threshold where
the pooled negatives (XSTest, hard negatives, benign rows of every file) have FPR <= 3%. The same table is
printed for the cascade (stage one and its band also fitted on the training folds), with the share of texts per
file that skip MiniLM, and latency is measured with the cascade off and on.

Rows `ALL/<role>` split the pooled figures by role (user vs indirect text in documents and tool results).
`--errors N` lists each file's N worst misses and false alarms (cascade scores). `--corrected` also prints the
table with the documented label corrections of data/injection/label_corrections.json applied (the public files'
labels are never changed silently: both tables are printed, and training always uses the original labels).

    .venv/bin/python -m evals.injection_eval [--folds 5] [--json] [--extra held_out.jsonl] [--rounds 12]
        [--errors 10] [--corrected]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evals.train_injection import (
    DATA_DIR,
    SEED,
    Example,
    calibrate,
    embed_windows,
    fit,
    fit_cascade,
    lexical_matrix,
    lexical_scores,
    load_corpus,
)
from guardrails.embeddings import Embedder
from guardrails.injection.detector import InjectionDetector
from guardrails.injection.options import Layers, RoleThresholds

TARGET_FPR = 0.03
# Written after the method was frozen and never trained or tuned on: the honest check of our own data.
HOLDOUT = sorted((Path(__file__).resolve().parent / "data" / "injection" / "holdout").glob("*.jsonl"))
CORRECTIONS = Path(__file__).resolve().parent / "data" / "injection" / "label_corrections.json"


@dataclass(frozen=True, slots=True)
class Row:
    """Figures for one data file."""

    dataset: str
    positives: int
    negatives: int
    tpr: float | None
    fpr: float | None
    tpr_at_pooled_fpr3: float | None
    fpr_at_pooled_fpr3: float | None
    rules_only_tpr: float | None
    rules_only_fpr: float | None


def _folds(examples: Sequence[Example], k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(examples), dtype=int)
    groups: dict[tuple[str, int], list[int]] = {}
    for i, ex in enumerate(examples):
        groups.setdefault((ex.source, ex.label), []).append(i)
    for members in groups.values():
        order = rng.permutation(members)
        fold[order] = np.arange(len(order)) % k
    return fold


def out_of_fold_scores(examples: Sequence[Example], k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(rule score, out-of-fold classifier score) for every example."""
    detector = InjectionDetector(layers=Layers())
    rules = np.array([max((h.score for h in detector.prepare(ex.text, ex.role).hits), default=0.0) for ex in examples])
    win = embed_windows(examples, detector)
    fold = _folds(examples, k, seed)
    clf = np.zeros(len(examples))
    for f in range(k):
        train = np.flatnonzero(fold != f)
        # The operating point is chosen by inner CV on the training folds only, as train_injection does.
        model = calibrate(fit(examples, win, train, seed=seed), examples, win, train)
        test = np.flatnonzero(fold == f)
        rows = np.flatnonzero(np.isin(win.owner, test))
        probs = model.predict(win.vectors[rows])
        for row, p in zip(rows, probs, strict=True):
            clf[win.owner[row]] = max(clf[win.owner[row]], float(p))
        print(f"  fold {f + 1}/{k} done", file=sys.stderr, flush=True)
    return rules, clf


def cascade_scores(
    examples: Sequence[Example], rules: np.ndarray, clf: np.ndarray, k: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(classifier score under the cascade, whether MiniLM ran) per example, out of fold: stage one and its band
    are fitted on the training folds only, exactly as the detector combines them with the MLP score `clf`."""
    x = lexical_matrix(examples, InjectionDetector(layers=Layers()))
    fold = _folds(examples, k, seed)
    out, encoded = clf.copy(), np.ones(len(examples), dtype=bool)
    for f in range(k):
        model = fit_cascade(examples, x, np.flatnonzero(fold != f))
        test = np.flatnonzero(fold == f)
        lex = lexical_scores(model, x, test)
        sure = (lex < model.low) | (lex > model.high) | (rules[test] > model.high)
        out[test[sure]] = lex[sure]
        encoded[test[sure]] = False
        print(f"  cascade fold {f + 1}/{k}: band [{model.low:.4f}, {model.high:.4f}]", file=sys.stderr, flush=True)
    return out, encoded


def _rate(flags: np.ndarray) -> float | None:
    return float(flags.mean()) if len(flags) else None


def corrected(examples: Sequence[Example], path: Path = CORRECTIONS) -> tuple[list[Example], int]:
    """`examples` with the documented label corrections applied (matched on source and exact text), and how
    many rows changed. A correction that names no row, or a label the row does not have, is an error: the
    file must describe the public data as it is."""
    corrections = json.loads(path.read_text())["corrections"]
    original = {(ex.source, ex.text): ex.label for ex in examples}
    stale = [c["text"][:60] for c in corrections if original.get((c["source"], c["text"])) != c["original_label"]]
    if stale:
        raise ValueError(f"label corrections that match no row with their original label: {stale!r}")
    fixes = {(c["source"], c["text"]): int(c["label"]) for c in corrections}
    out = [Example(ex.source, ex.text, fixes.get((ex.source, ex.text), ex.label), ex.role) for ex in examples]
    return out, sum(a.label != b.label for a, b in zip(examples, out, strict=True))


def _shipped(examples: Sequence[Example]) -> np.ndarray:
    thresholds = RoleThresholds()
    return np.array([thresholds.for_role(ex.role) or 0.5 for ex in examples])  # type: ignore[arg-type]


def print_errors(examples: Sequence[Example], final: np.ndarray, n: int) -> None:
    """Each file's `n` lowest-scored positives under their role's threshold and highest-scored negatives over it."""
    shipped = _shipped(examples)
    for source in sorted({ex.source for ex in examples}):
        idx = [i for i, ex in enumerate(examples) if ex.source == source]
        misses = sorted((final[i], i) for i in idx if examples[i].label and final[i] < shipped[i])
        alarms = sorted(((-final[i], i) for i in idx if not examples[i].label and final[i] >= shipped[i]))
        for kind, picked in (("MISS", misses), ("FALSE", alarms)):
            for _, i in picked[:n]:
                text = " ".join(examples[i].text.split())[:150]
                print(f"  {source:<16} {kind:<5} {final[i]:.3f} {examples[i].role:<8} {text}")


def table(examples: Sequence[Example], rules: np.ndarray, final: np.ndarray) -> list[Row]:
    shipped = _shipped(examples)
    labels = np.array([ex.label for ex in examples])
    negatives = np.sort(final[labels == 0])
    # Smallest threshold keeping pooled FPR at or under the target.
    cut = negatives[int(np.ceil(len(negatives) * (1 - TARGET_FPR))) - 1] + 1e-9
    out = []
    sources = sorted({ex.source for ex in examples})
    roles = sorted({ex.role for ex in examples})
    for source in [*sources, "ALL", *(f"ALL/{role}" for role in roles)]:
        mask = np.array([source in ("ALL", ex.source, f"ALL/{ex.role}") for ex in examples])
        pos, neg = mask & (labels == 1), mask & (labels == 0)
        out.append(
            Row(
                source,
                int(pos.sum()),
                int(neg.sum()),
                _rate(final[pos] >= shipped[pos]),
                _rate(final[neg] >= shipped[neg]),
                _rate(final[pos] >= cut),
                _rate(final[neg] >= cut),
                _rate(rules[pos] >= shipped[pos]),
                _rate(rules[neg] >= shipped[neg]),
            )
        )
    return out


def latency(
    examples: Sequence[Example], sizes: Sequence[int] = (1, 4, 8), rounds: int = 12, cascade: bool = True
) -> dict[str, float]:
    """Per-message milliseconds (request time / messages in it) for requests of 1-8 user messages, with texts
    the embedder has not seen (cold: the MiniLM encode dominates) and the same texts again (cached)."""
    texts = [ex.text for ex in examples if ex.source != "inthewild" and len(ex.text) < 600]
    detector = InjectionDetector(layers=Layers(cascade=cascade), embedder=Embedder(cache_size=100_000))
    detector.load()
    detector.score_batch(["warm-up"], ["user"])
    out: dict[str, float] = {}
    cursor = 0
    for size in sizes:
        cold, cached = [], []
        for _ in range(rounds):
            request = texts[cursor : cursor + size]
            cursor += size
            for bucket in (cold, cached):
                start = time.perf_counter()
                detector.score_batch(request, ["user"] * len(request))
                bucket.append((time.perf_counter() - start) * 1000 / len(request))
        out[f"batch{size}_cold_p50_ms"] = statistics.median(cold)
        out[f"batch{size}_cold_p95_ms"] = float(np.percentile(cold, 95))
        out[f"batch{size}_cached_p50_ms"] = statistics.median(cached)
    return out


def _fmt(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.3f}"


def print_table(rows: Sequence[Row]) -> None:
    print(f"{'dataset':<16}{'pos':>6}{'neg':>6}   TPR@ship FPR@ship  TPR@pool3 FPR@pool3  rulesTPR rulesFPR")
    for r in rows:
        print(
            f"{r.dataset:<16}{r.positives:>6}{r.negatives:>6}   {_fmt(r.tpr)}   {_fmt(r.fpr)}"
            f"    {_fmt(r.tpr_at_pooled_fpr3)}    {_fmt(r.fpr_at_pooled_fpr3)}"
            f"    {_fmt(r.rules_only_tpr)}   {_fmt(r.rules_only_fpr)}"
        )


def score_extra(path: Path, cascade: bool = True) -> dict[str, object]:
    """Score a held-out JSONL file (text, label, optional role) with the shipped weights."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    detector = InjectionDetector(layers=Layers(cascade=cascade))
    detector.load()
    roles = [r.get("role", "user") for r in rows]
    results = detector.score_batch([r["text"] for r in rows], roles)
    thresholds = RoleThresholds()
    flags = np.array(
        [res.score >= (thresholds.for_role(role) or 0.5) for res, role in zip(results, roles, strict=True)]
    )
    labels = np.array([int(r["label"]) for r in rows])
    return {
        "file": str(path),
        "cascade": cascade,
        "skipped_encoder": _rate(np.array([not r.encoded for r in results])),
        "positives": int(labels.sum()),
        "negatives": int((labels == 0).sum()),
        "tpr": _rate(flags[labels == 1]),
        "fpr": _rate(flags[labels == 0]),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument(
        "--extra", type=Path, action="append", default=None, help="held-out JSONL scored with shipped weights"
    )
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--rounds", type=int, default=12, help="requests timed per request size")
    parser.add_argument("--errors", type=int, default=0, help="list this many misses/false alarms per file")
    parser.add_argument("--corrected", action="store_true", help="also score with documented label corrections")
    args = parser.parse_args(argv)
    examples = load_corpus(args.data_dir)
    rules, clf = out_of_fold_scores(examples, args.folds, args.seed)
    rows = table(examples, rules, np.maximum(rules, clf))
    cascade, encoded = cascade_scores(examples, rules, clf, args.folds, args.seed)
    cascade_rows = table(examples, rules, np.maximum(rules, cascade))
    sources = np.array([ex.source for ex in examples])
    skipped = {s: float(1 - encoded[sources == s].mean()) for s in sorted(set(sources))}
    skipped["ALL"] = float(1 - encoded.mean())
    extras = args.extra if args.extra is not None else HOLDOUT
    report: dict[str, object] = {
        "folds": args.folds,
        "thresholds": RoleThresholds().model_dump(),
        "target_fpr": TARGET_FPR,
        "per_dataset": [asdict(r) for r in rows],
        "per_dataset_cascade": [asdict(r) for r in cascade_rows],
        "skipped_encoder": skipped,
        "extra": [score_extra(p, cascade=c) for p in extras for c in (False, True)],
    }
    if args.corrected:
        fixed, changed = corrected(examples)
        report["corrected_labels"] = changed
        report["per_dataset_cascade_corrected"] = [asdict(r) for r in table(fixed, rules, np.maximum(rules, cascade))]
    if not args.no_latency:
        report["latency"] = latency(examples, rounds=args.rounds, cascade=False)
        report["latency_cascade"] = latency(examples, rounds=args.rounds, cascade=True)
    if args.errors:
        print_errors(examples, np.maximum(rules, cascade), args.errors)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"held-out ({args.folds}-fold, stratified by file and label)")
    print(f"per-role thresholds {RoleThresholds().model_dump()}")
    print_table(rows)
    print("cascade (stage one and its band fitted on the training folds):")
    print_table(cascade_rows)
    if args.corrected:
        print(f"cascade, with the {report['corrected_labels']} documented label corrections applied:")
        print_table([Row(**r) for r in report["per_dataset_cascade_corrected"]])  # type: ignore[attr-defined]
    print("share of texts that skip MiniLM:", {k: round(v, 3) for k, v in skipped.items()})
    for extra in report["extra"]:  # type: ignore[union-attr]
        print("extra:", extra)
    if "latency" in report:
        timings = {k: round(v, 2) for k, v in report["latency"].items()}  # type: ignore[union-attr]
        print("latency per message, full model (requests of 1/4/8 messages):", timings)
        timings = {k: round(v, 2) for k, v in report["latency_cascade"].items()}  # type: ignore[union-attr]
        print("latency per message, cascade (requests of 1/4/8 messages):", timings)


if __name__ == "__main__":
    main()
