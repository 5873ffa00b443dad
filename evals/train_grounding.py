"""Fit the grounding combiner on all grounding files and write guardrails/grounding/weights.json.

The `lexical` variant is always fitted; `--embeddings` also fits the `embedding` variant (adds MiniLM
similarity and embedding-aligned coverage; slow to featurise). Fitting is deterministic (full-batch gradient
descent from zero weights), so the same data gives the same file. Held-out figures come from
`evals/grounding_eval.py` (leave-one-dataset-out).

    python -m evals.train_grounding [--embeddings] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from evals.grounding_data import DATASETS, DEFAULT_DATA_DIR, load
from evals.grounding_lexical import EMBEDDING, LEXICAL, featurise, fit
from guardrails.grounding.combiner import WEIGHTS_PATH
from guardrails.grounding.scorer import GroundingScorer


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args(argv)
    existing = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8")) if WEIGHTS_PATH.exists() else {}
    items = {name: load(name, args.data_dir) for name in DATASETS}
    lexical = [featurise(items[n], GroundingScorer(), True) for n in DATASETS]
    existing["lexical"] = fit(lexical, LEXICAL).to_json()
    if args.embeddings:
        from guardrails.embeddings import Embedder

        embedder = Embedder(cache_size=100_000)  # contexts repeat across rows
        scorer = GroundingScorer(embedder=embedder)
        existing["embedding"] = fit([featurise(items[n], scorer, True) for n in DATASETS], EMBEDDING).to_json()
    elif "embedding" in existing:
        # Stale once the feature set changes; dropped rather than left inconsistent with the code.
        del existing["embedding"]
    WEIGHTS_PATH.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    for variant in ("lexical", "embedding"):
        if variant in existing:
            print(f"{variant}: threshold {existing[variant]['threshold']:.3f}")


if __name__ == "__main__":
    main()
