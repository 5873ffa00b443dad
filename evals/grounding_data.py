"""Loaders for the grounding evaluation sets in ../shared/datasets/grounding/ (never copied into the repo).

BEGIN's "Generic" responses ("haha", "that sounds fun") make no claim about the knowledge: they are neither
attributable nor hallucinated, so they are left out of the binary metrics and reported on their own.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
DATASETS = ("halueval_qa", "begin_cmu", "begin_tc", "begin_wow")
Label = Literal["grounded", "ungrounded", "generic"]


@dataclass(frozen=True, slots=True)
class Item:
    """One answer to judge, with its context, the user's turn, and its gold label."""

    dataset: str
    answer: str
    context: str
    question: str
    label: Label


def _halueval(path: Path) -> list[Item]:
    items: list[Item] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            for key, label in (("right_answer", "grounded"), ("hallucinated_answer", "ungrounded")):
                items.append(Item("halueval_qa", row[key], row["knowledge"], row["question"], label))  # type: ignore[arg-type]
    return items


_BEGIN_LABELS: dict[str, Label] = {
    "Fully attributable": "grounded",
    "Not fully attributable": "ungrounded",
    "Generic": "generic",
}


def _begin(path: Path, name: str) -> list[Item]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Item(name, row["response"], row["knowledge"], row["message"], _BEGIN_LABELS[row["begin_label"]])
            for row in reader
        ]


OWN_DIR = Path(__file__).resolve().parent / "data" / "grounding"
# Every file the entailment eval reports: answers (QA, dialogue, summaries, the project's own paraphrase sets) and,
# measured only, NLI pairs in English and French.
EVAL_FILES = (*DATASETS, "summedits_dev", "paraphrase_en", "paraphrase_fr", "fever_symmetric_dev", "daccord_fr_dev",
              "rte3_fr", "sick_fr_test")
_PAIRS = {"fever_symmetric_dev": "nli_fever_symmetric", "daccord_fr_dev": "nli_daccord_fr", "rte3_fr": "nli_rte3_fr",
          "sick_fr_test": "nli_sick_fr", "summedits_dev": "consistency_summedits"}


def _own(name: str) -> list[Item]:
    with (OWN_DIR / f"{name}.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [Item(name, r["answer"], r["context"], r["question"], r["label"]) for r in rows]


def _pairs(name: str, folder: Path) -> list[Item]:
    source = _PAIRS[name]
    items: list[Item] = []
    with (folder / f"{source}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if name == "sick_fr_test" and row.get("split") != "test":
                continue
            if source in HELD_OUT_PERCENT and not held_out(source, row["premise"], row["hypothesis"]):
                continue
            label: Label = "grounded" if row["label"] in ("entailment", "compatible") else "ungrounded"
            items.append(Item(name, row["hypothesis"], row["premise"], "", label))
    return items


def load(name: str, data_dir: Path = DEFAULT_DATA_DIR) -> list[Item]:
    folder = data_dir / "grounding"
    if name.startswith("paraphrase_"):
        return _own(name)
    if name in _PAIRS:
        return _pairs(name, folder)
    if name == "halueval_qa":
        return _halueval(folder / "halueval_qa.jsonl")
    if name.startswith("begin_"):
        return _begin(folder / f"begin_dev_{name.removeprefix('begin_')}.tsv", name)
    raise ValueError(f"unknown grounding dataset {name!r}; known: {', '.join(EVAL_FILES)}")


def _bucket(text: str) -> int:
    import hashlib

    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 100


# Held-out shares of the files the entailment model trains on: measured, never trained on. SummEdits is split by
# document (every summary of a held-out document is held out), the others by row.
HELD_OUT_PERCENT = {"consistency_summedits": 25, "nli_daccord_fr": 25, "nli_fever_symmetric": 40}


def held_out(name: str, premise: str, hypothesis: str) -> bool:
    """True for the rows of a training file kept for evaluation."""
    share = HELD_OUT_PERCENT.get(name, 0)
    if not share:
        return False
    key = premise if name == "consistency_summedits" else premise + "\x00" + hypothesis
    return _bucket(key) < share
