"""The data-bias analysis on generated data with known answers, in every input format, and its input errors."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from registry.validation.bias import analyse
from registry.validation.options import DataFile, ValidationInputError
from tests.registry.validation.bias_synth import check, training_set


def _file(frame: pd.DataFrame, fmt: str) -> DataFile:
    if fmt == "csv":
        raw = frame.to_csv(index=False).encode()
    elif fmt == "jsonl":
        raw = frame.to_json(orient="records", lines=True).encode()
    else:
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        raw = buffer.getvalue()
    return DataFile(raw, fmt, f"train.{fmt}")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_known_representation_and_label_rates(fmt: str) -> None:
    bias = analyse(_file(training_set(), fmt), ["group"], "label", ["region"])
    assert bias.rows == 1000 and bias.overall_label_rate == pytest.approx(0.4) and len(bias.sha256) == 64
    assert [(g.column, g.value) for g in bias.groups][:2] == [("group", "A"), ("group", "B")]  # by count
    check([g.model_dump() for g in bias.groups])
    region = {g.value: g for g in bias.groups if g.column == "region"}
    assert region["(missing)"].count == 100 and region["north"].label_rate == pytest.approx(400 / 700)


def test_without_label_only_representation() -> None:
    bias = analyse(_file(training_set(), "csv"), ["group", "region"])
    assert bias.overall_label_rate is None and all(g.label_rate is None for g in bias.groups)
    assert sum(g.count for g in bias.groups if g.column == "region") == 1000


@pytest.mark.parametrize(
    ("sensitive", "label", "frame", "message"),
    [
        (["ethnicity"], None, training_set(), "column 'ethnicity' is not in 'train.csv'"),
        (["group"], "outcome", training_set(), "label column 'outcome' is not in"),
        (["group"], "label", training_set().assign(label=2), "must hold 0 or 1: found 2"),
        (["group"], "label", training_set().assign(label="yes"), "must hold 0 or 1: found 'yes'"),
        ([], None, training_set(), "name at least one sensitive column"),
    ],
)
def test_bad_input_is_named(sensitive: list[str], label: str | None, frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValidationInputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        analyse(_file(frame, "csv"), sensitive, label)


def test_empty_file_is_refused() -> None:
    with pytest.raises(ValidationInputError, match="is empty"):
        analyse(DataFile(b"", "csv", "train.csv"), ["group"])
