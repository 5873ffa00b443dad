"""Topic-filter evaluation: the shipped guardrail on a labelled set, per kind of message and per topic.

The set (evals/data/topics/) holds four deny-listed topics described by four example sentences each, as a policy
author would write them, and messages of four kinds: `direct` (squarely on a topic), `mixed` (one off-limits
sentence among ordinary requests), `benign` and `hard_negative` (close in vocabulary, not a decision or advice).
It is a check, not a training set: nothing is fitted on it, and the threshold stays the shipped default.

Both ways of embedding a message's sentences are reported side by side: `contextual` (the default: one pass, each
sentence pooled from its tokens in context) and `separate` (one pass per sentence), with the CPU each one costs.

    python -m evals.topics_eval [--data-dir DIR] [--threshold T] [--sweep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails.embeddings import Embedder
from guardrails.topics import TopicGuardrail, TopicOptions

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "topics"
MODES = ("contextual", "separate")
KINDS = ("direct", "mixed", "benign", "hard_negative")


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    topic: str | None
    kind: str


def load(data_dir: Path) -> tuple[list[dict[str, object]], list[Case]]:
    topics = json.loads((data_dir / "topics.json").read_text())
    cases = []
    for number, line in enumerate((data_dir / "cases.jsonl").read_text().splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if row["kind"] not in KINDS:
                raise ValueError(f"cases.jsonl:{number}: unknown kind {row['kind']!r}")
            cases.append(Case(row["text"], row["topic"], row["kind"]))
    return topics, cases


def guardrail(topics: Sequence[dict[str, object]], mode: str, threshold: float | None = None,
              margin: float | None | str = "default") -> TopicGuardrail:
    specs = [{**t, "threshold": threshold} if threshold is not None else dict(t) for t in topics]
    if margin != "default":
        specs = [{**t, "margin": margin} for t in specs]
    options = TopicOptions.model_validate({"topics": specs, "sentence_vectors": mode})
    # A fresh embedder per mode, so neither mode reads vectors the other one cached.
    found = TopicGuardrail(options, embedder=Embedder())
    asyncio.run(found.setup())
    return found


def scores(rail: TopicGuardrail, cases: Sequence[Case]) -> tuple[list[dict[str, float]], list[float]]:
    """Per case, the best similarity to each topic (keyword-free topics, so every match is by embedding); and
    the CPU milliseconds of each case's check (thread time: the machine's other load does not count)."""
    out, cpu = [], []
    for case in cases:
        started = time.thread_time()
        matches = rail.match([case.text])  # what `check` runs in its worker thread
        cpu.append((time.thread_time() - started) * 1000)
        out.append({m.topic: m.score for m in matches})
    return out, cpu


def table(cases: Sequence[Case], matched: Sequence[dict[str, float]]) -> list[tuple[str, int, float]]:
    """(row label, cases, rate): recall (right topic matched) for direct/mixed, false-positive rate otherwise."""
    by: dict[str, list[bool]] = defaultdict(list)
    for case, found in zip(cases, matched, strict=True):
        hit = case.topic in found if case.topic else bool(found)
        by[case.kind].append(hit)
        if case.topic:
            by[f"{case.kind}/{case.topic}"].append(hit)
    return [(label, len(hits), sum(hits) / len(hits)) for label, hits in sorted(by.items(), key=_order)]


def _order(item: tuple[str, list[bool]]) -> tuple[int, str]:
    kind = item[0].split("/")[0]
    return KINDS.index(kind), item[0]


def balanced(cases: Sequence[Case], matched: Sequence[dict[str, float]]) -> float:
    positives = [c.topic in m for c, m in zip(cases, matched, strict=True) if c.topic]
    negatives = [not m for c, m in zip(cases, matched, strict=True) if not c.topic]
    return (sum(positives) / len(positives) + sum(negatives) / len(negatives)) / 2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--threshold", type=float, default=None, help="override every topic's threshold")
    parser.add_argument("--no-background", action="store_true",
                        help="plain cosine cut, no background bank (margin None); pair with --threshold")
    parser.add_argument("--sweep", action="store_true",
                        help="balanced accuracy at other margins and without the background (diagnostic)")
    args = parser.parse_args(argv)
    topics, cases = load(args.data_dir)
    results: dict[str, list[dict[str, float]]] = {}
    cpu: dict[str, list[float]] = {}
    rails = {}
    for mode in MODES:
        rails[mode] = guardrail(topics, mode, args.threshold, None if args.no_background else "default")
        results[mode], cpu[mode] = scores(rails[mode], cases)
    spec = rails["contextual"].opts.topics[0]
    print(f"topics eval ({args.data_dir.name}): {len(cases)} cases, {len(topics)} topics, threshold {spec.threshold}, "
          f"margin over the background {spec.margin}")
    print(f"{'row':34} {'n':>4}  {'contextual':>10}  {'separate':>8}   (recall on direct/mixed, FPR otherwise)")
    rows = {mode: table(cases, results[mode]) for mode in MODES}
    for (label, count, ctx), (_, _, sep) in zip(rows["contextual"], rows["separate"], strict=True):
        print(f"{label:34} {count:>4}  {ctx:>10.3f}  {sep:>8.3f}")
    print(f"{'balanced accuracy':34} {len(cases):>4}  {balanced(cases, results['contextual']):>10.3f}  "
          f"{balanced(cases, results['separate']):>8.3f}")
    for mode in MODES:
        multi = [ms for case, ms in zip(cases, cpu[mode], strict=True) if case.kind in ("mixed",)]
        print(f"CPU per check, {mode}: p50 {statistics.median(cpu[mode]):.2f} ms all, "
              f"{statistics.median(multi):.2f} ms on mixed (2-4 sentences)")
    if args.sweep:
        for mode in MODES:
            cells = []
            for margin in (None, -0.05, 0.0, 0.05, 0.10, 0.15):
                rail = guardrail(topics, mode, args.threshold if margin is not None else 0.55, margin)
                cells.append(f"{'none@0.55' if margin is None else f'{margin:+.2f}'}: "
                             f"{balanced(cases, scores(rail, cases)[0]):.3f}")
            print(f"sweep {mode:10} margin " + "  ".join(cells))


if __name__ == "__main__":
    main()
