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


def load(name: str, data_dir: Path = DEFAULT_DATA_DIR) -> list[Item]:
    folder = data_dir / "grounding"
    if name == "halueval_qa":
        return _halueval(folder / "halueval_qa.jsonl")
    if name.startswith("begin_"):
        return _begin(folder / f"begin_dev_{name.removeprefix('begin_')}.tsv", name)
    raise ValueError(f"unknown grounding dataset {name!r}; known: {', '.join(DATASETS)}")
