"""Grounding latency: a 5-sentence answer over 3 passages, as the guardrail scores it (one batch of pairs).

    .venv/bin/python bench/grounding_bench.py [--runs 200] [--threads 1] [--engine cascade|entailment|head|lexical]
        [--cold] [--band lo,hi]

Prints p50/p95 of the whole `score` call (splitting, BM25 evidence, the batched cross-encoder, lexical checks)
and of the model call alone. Run by hand on a quiet machine: a loaded CPU inflates every figure.
`head` embeds the claims and the context sentences in one batch; by default repeated passages come from the
embedder's cache (a RAG context that repeats), `--cold` turns the cache off so every run embeds all of them.
`cascade` sends the model only the claims whose lexical support lies in the band (the bench's answer has none in
the default band: `--band 0,1` sends all five, the cascade's worst case), and prints how many it sent per run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

PASSAGES = [
    "[1] Acme Cloud offers three plans. The Basic plan includes 50 GB of storage and email support. The Pro plan "
    "includes 500 GB of storage and priority support. Enterprise customers get a dedicated account manager.",
    "[2] All plans can be cancelled at any time. Refunds are issued to the original payment method within 14 days. "
    "Annual plans are refunded pro rata for the months not used.",
    "[3] Support is available Monday to Friday from 9am to 6pm CET. Urgent tickets receive a first response "
    "within one hour. Weekend requests are answered on Monday.",
]
ANSWER = (
    "The Pro plan comes with 500 GB of storage and priority support [1]. The Basic plan has 50 GB [1]. "
    "You can cancel whenever you like, and refunds reach your original payment method within two weeks [2]. "
    "Urgent tickets get a first reply within an hour [3]. Weekend requests are handled on Monday [3]."
)
QUESTION = "What do the plans include and how do refunds and support work?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--engine", choices=("cascade", "entailment", "head", "lexical"), default="entailment")
    parser.add_argument("--cold", action="store_true", help="head: no embedding cache, every text embedded each run")
    parser.add_argument("--band", default=None, help="cascade: lexical supports sent to the model, lo,hi")
    args = parser.parse_args()
    model = None
    if args.engine == "head":
        from guardrails.embeddings import Embedder
        from guardrails.grounding.headscore import HeadScorer
        from guardrails.grounding.pairhead import load_head

        embedder = Embedder(cache_size=0 if args.cold else 4096)
        embedder.load()
        scorer = HeadScorer(embedder, load_head())
    elif args.engine == "cascade":
        from guardrails.grounding.cascade import DEFAULT_BAND, CascadeScorer
        from guardrails.grounding.nli import NliModel

        band = tuple(float(x) for x in args.band.split(",")) if args.band else DEFAULT_BAND
        scorer = CascadeScorer(NliModel(threads=args.threads), band=band)  # type: ignore[arg-type]
    elif args.engine == "lexical":
        from guardrails.grounding.scorer import GroundingScorer

        scorer = GroundingScorer()
    else:
        from guardrails.grounding.entail import EntailmentScorer
        from guardrails.grounding.nli import NliModel

        model = NliModel(threads=args.threads)
        scorer = EntailmentScorer(model)
    result = scorer.score(ANSWER, PASSAGES, QUESTION)
    print(f"claims={len(result.claims)} grounded score={result.score:.2f}")
    total, alone, cpu = [], [], []
    pairs = scorer.pairs(ANSWER, PASSAGES, QUESTION) if model is not None else []  # type: ignore[union-attr]
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        scorer.score(ANSWER, PASSAGES, QUESTION)
        total.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        if model is not None:
            started = time.perf_counter()
            model.entailment(pairs)
            alone.append((time.perf_counter() - started) * 1000)
    p50, p95 = np.percentile(total, [50, 95])
    print(f"{args.engine}{' cold' if args.cold else ''} threads={args.threads}: score p50={p50:.1f} ms p95={p95:.1f} ms "
          f"(CPU time p50={np.percentile(cpu, 50):.1f} ms: the wall time on an idle core)")
    if args.engine == "cascade":
        print(f"claims sent to the model per run: {scorer.claims_sent / (args.runs + 1):.1f} of {len(result.claims)}")  # type: ignore[union-attr]
    if alone:
        m50, m95 = np.percentile(alone, [50, 95])
        print(f"model alone ({len(pairs)} pairs in one batch): p50={m50:.1f} ms p95={m95:.1f} ms")


if __name__ == "__main__":
    main()
