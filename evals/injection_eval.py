"""Evaluate the injection detector per file, at the shipped per-role thresholds, and time it.

Files: the dev split of `injection_data` (groups never trained on: unseen carrier documents holding unseen
attacks, and the dev share of every prompt set), two public sets never used in training (InjecGuard's small
mixed `valid` set and the PINT example), and the repository's holdouts (evals/data/injection/holdout/, written
after the method was frozen, never trained or calibrated on). For each file: TPR and FPR of the whole detector,
of the rules alone and of the model alone, and the share of texts the cascade settled without the model.
Latency: p50 CPU milliseconds per message for short user messages (the chat traffic of the default policy)
and per document, one message per call.

    .venv/bin/python -m evals.injection_eval [--json] [--errors N] [--no-latency]

`--weights DIR` (repeatable) scores the model in DIR (`injection_model.onnx` and its manifest, e.g. a candidate
trained with `--out`) instead of the shipped one; given twice, both are scored in the same run, one table each.
`--baseline-root DIR` scores another checkout's detector (e.g. `git archive main | tar -x -C DIR`) on the same
files: its detector takes no requests, so documents are judged without them.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evals.injection_data import Case, build
from evals.injection_sources import DATA_DIR, OWN_DATA

HOLDOUT = OWN_DATA / "holdout"


@dataclass(frozen=True, slots=True)
class Row:
    """Figures for one file."""

    file: str
    positives: int
    negatives: int
    tpr: float | None
    fpr: float | None
    rules_tpr: float | None
    rules_fpr: float | None
    model_tpr: float | None
    model_fpr: float | None
    skipped_model: float


def eval_files(data: Path = DATA_DIR) -> dict[str, list[Case]]:
    """Every file scored, by name."""
    files: dict[str, list[Case]] = {}
    for case in build(data):
        if case.split == "dev":
            files.setdefault(f"dev/{case.source}", []).append(case)
    inj = data / "injection"
    valid = json.loads((inj / "injecguard_valid.json").read_text())
    files["measure/injecguard_valid"] = [Case("injecguard_valid", "user", "", str(r["prompt"]), int(r["label"]), "measure") for r in valid]
    import yaml

    pint = yaml.safe_load((inj / "pint_example.yaml").read_text())
    files["measure/pint_example"] = [Case("pint", "user", "", str(r["text"]), int(bool(r["label"])), "measure") for r in pint]
    for path in sorted(HOLDOUT.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for role in sorted({str(r.get("role", "user")) for r in rows}):
            files[f"holdout/{path.stem}/{role}"] = [
                Case(path.stem, role, "", str(r["text"]), int(r["label"]), "holdout") for r in rows if r.get("role", "user") == role
            ]
    return files


def _rate(flags: np.ndarray) -> float | None:
    return float(flags.mean()) if len(flags) else None


def _score(detector: object, cases: Sequence[Case]) -> list[object]:
    texts, roles = [c.text for c in cases], [c.role for c in cases]
    if "requests" in inspect.signature(detector.score_batch).parameters:  # type: ignore[attr-defined]
        return detector.score_batch(texts, roles, [c.request for c in cases])  # type: ignore[attr-defined]
    return detector.score_batch(texts, roles)  # type: ignore[attr-defined]


def row(name: str, cases: Sequence[Case], results: Sequence[object], thresholds: object) -> Row:
    cut = np.array([thresholds.for_role(c.role) or 0.5 for c in cases])  # type: ignore[attr-defined]
    labels = np.array([c.label for c in cases])
    final = np.array([r.score for r in results])  # type: ignore[attr-defined]
    rules = np.array([r.rule_score for r in results])  # type: ignore[attr-defined]
    model = np.array([r.classifier_score for r in results])  # type: ignore[attr-defined]
    pos, neg = labels == 1, labels == 0
    return Row(name, int(pos.sum()), int(neg.sum()), _rate(final[pos] >= cut[pos]), _rate(final[neg] >= cut[neg]),
               _rate(rules[pos] >= cut[pos]), _rate(rules[neg] >= cut[neg]), _rate(model[pos] >= cut[pos]),
               _rate(model[neg] >= cut[neg]), float(np.mean([not r.encoded for r in results])))  # type: ignore[attr-defined]


def latency(detector: object, files: dict[str, list[Case]], rounds: int = 60) -> dict[str, float]:
    """p50 CPU ms per message, one message per call: short user messages (< 300 characters, benign and
    attacks mixed as they come) and dev documents."""
    users = [c for name, cs in files.items() if name.startswith("dev/") and not name.startswith("dev/doc_") for c in cs
             if len(c.text) < 300][:rounds]
    docs = [c for name, cs in files.items() if name.startswith("dev/doc_") for c in cs][: rounds // 2]
    out: dict[str, float] = {}
    # Timed on a fresh detector with a model of its own: these texts were all scored above, and a cached result
    # costs nothing.
    paths = dict(zip(("model_path", "manifest_path"), getattr(detector, "_paths", ()), strict=False))
    fresh = {"shared": False} if "shared" in inspect.signature(type(detector)).parameters else {}
    detector = type(detector)(layers=detector.layers, **paths, **fresh)  # type: ignore[attr-defined]
    detector.load()  # type: ignore[attr-defined]
    _score(detector, users[:2])
    for label, picked in (("user_p50_cpu_ms", users), ("document_p50_cpu_ms", docs)):
        times = []
        for case in picked:
            start = time.process_time()
            _score(detector, [case])
            times.append((time.process_time() - start) * 1000)
        out[label] = statistics.median(times)
    # A chat turn of the default policy: system (unchecked), user, assistant, user. The history was checked on
    # the previous turn, so only the last message is new; "cold" has never seen any of them.
    benign = [c.text for c in users if c.label == 0]
    for label, warm in (("turn_of_4_cold_p50_cpu_ms", False), ("turn_of_4_history_seen_p50_cpu_ms", True)):
        times = []
        for k in range(0, len(benign) - 3, 3):
            texts, roles = [f"{t} ({label})" for t in benign[k : k + 3]], ["user", "assistant", "user"]
            if warm:
                detector.score_batch(texts[:2], roles[:2])  # type: ignore[attr-defined]
            start = time.process_time()
            detector.score_batch(texts, roles)  # type: ignore[attr-defined]
            times.append((time.process_time() - start) * 1000)
        out[label] = statistics.median(times)
    return out


def _fmt(x: float | None) -> str:
    return "    - " if x is None else f"{x:6.3f}"


def print_table(rows: Sequence[Row]) -> None:
    print(f"{'file':<44}{'pos':>5}{'neg':>5}    TPR    FPR  rulesTPR rulesFPR  modelTPR modelFPR  skipped")
    for r in rows:
        print(f"{r.file:<44}{r.positives:>5}{r.negatives:>5} {_fmt(r.tpr)} {_fmt(r.fpr)}    {_fmt(r.rules_tpr)}   "
              f"{_fmt(r.rules_fpr)}    {_fmt(r.model_tpr)}   {_fmt(r.model_fpr)}   {r.skipped_model:6.3f}")


def print_errors(name: str, cases: Sequence[Case], results: Sequence[object], thresholds: object, n: int) -> None:
    flagged = [(r.score, c) for c, r in zip(cases, results, strict=True)]  # type: ignore[attr-defined]
    misses = sorted((s, c.text) for s, c in flagged if c.label and s < (thresholds.for_role(c.role) or 0.5))  # type: ignore[attr-defined]
    alarms = sorted(((-s, c.text) for s, c in flagged if not c.label and s >= (thresholds.for_role(c.role) or 0.5)))  # type: ignore[attr-defined]
    for kind, picked in (("MISS", misses[:n]), ("FALSE", alarms[:n])):
        for score, text in picked:
            print(f"  {name:<36} {kind:<5} {abs(score):.3f} {' '.join(text.split())[:160]}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--errors", type=int, default=0)
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-cascade", action="store_true", help="send every text to the model")
    parser.add_argument("--baseline-root", type=Path, default=None)
    parser.add_argument("--weights", type=Path, action="append", default=None,
                        help="a folder holding injection_model.onnx and injection_model.json (repeatable)")
    args = parser.parse_args(argv)
    if args.baseline_root is not None:
        sys.path.insert(0, str(args.baseline_root.resolve()))
        for name in [m for m in sys.modules if m == "guardrails" or m.startswith("guardrails.")]:
            del sys.modules[name]
    from guardrails.injection.detector import InjectionDetector
    from guardrails.injection.options import Layers, RoleThresholds

    files = eval_files()
    thresholds = RoleThresholds()
    folders = args.weights or [None]
    reports = []
    for folder in folders:
        paths = {} if folder is None else {"model_path": folder / "injection_model.onnx",
                                           "manifest_path": folder / "injection_model.json"}
        detector = InjectionDetector(layers=Layers(cascade=not args.no_cascade), **paths)
        detector.load()
        rows = []
        for name, cases in files.items():
            results = _score(detector, cases)
            rows.append(row(name, cases, results, thresholds))
            if args.errors:
                print_errors(name, cases, results, thresholds, args.errors)
            print(f"  scored {name}", file=sys.stderr, flush=True)
        report: dict[str, object] = {"weights": str(folder or "shipped"), "thresholds": thresholds.model_dump(),
                                     "files": [asdict(r) for r in rows]}
        if not args.no_latency:
            report["latency"] = latency(detector, files)
        reports.append(report)
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else reports, indent=1))
        return
    print(f"per-role thresholds {thresholds.model_dump()}")
    for report in reports:
        if len(reports) > 1:
            print(f"weights: {report['weights']}")
        print_table([Row(**r) for r in report["files"]])  # type: ignore[arg-type, union-attr]
        if "latency" in report:
            print("latency:", {k: round(v, 2) for k, v in report["latency"].items()})  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
