"""Permutation importances Warden computes itself from ONNX and skops files: a model built to depend on one
feature ranks it first and a noise feature near zero; foreign skops types and pickles are refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from registry.validation.explain import ExplainOptions, explain
from registry.validation.options import DataFile, ValidationInputError
from tests.registry.validation.explain_synth import Foreign, dataset, onnx_model, skops_model

TODAY = date(2030, 1, 1)


def _data(frame: object) -> DataFile:
    return DataFile(frame.to_csv(index=False).encode(), "csv", "val.csv")  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["onnx", "skops"])
def test_the_feature_the_model_depends_on_ranks_first(tmp_path: Path, kind: str) -> None:
    frame = dataset()
    model = onnx_model(tmp_path / "m.onnx") if kind == "onnx" else skops_model(tmp_path / "m.skops", frame)
    record = explain(str(model), _data(frame), "classification", [], "Vera", TODAY, ExplainOptions(repeats=5))
    first, second = record.importances
    assert (first.feature, second.feature) == ("signal", "noise")
    assert first.importance > 0.3 and abs(second.importance) < 0.01
    assert record.method == "permutation" and record.metric == "roc_auc" and record.rows == 2000
    assert record.artifact_uri == model.resolve().as_uri() and record.artifact_sha256 and record.data_sha256


def test_same_seed_same_figures_and_declared_features_are_used(tmp_path: Path) -> None:
    frame = dataset().assign(extra=1.0)
    model = str(onnx_model(tmp_path / "m.onnx"))
    first = explain(model, _data(frame), "classification", ["noise", "signal"], "Vera", TODAY)
    again = explain(model, _data(frame), "classification", ["noise", "signal"], "Vera", TODAY)
    assert first == again and {i.feature for i in first.importances} == {"noise", "signal"}


def test_untrusted_skops_types_and_pickles_are_refused(tmp_path: Path) -> None:
    import skops.io as sio

    sio.dump(Foreign(), tmp_path / "foreign.skops")
    with pytest.raises(ValidationInputError, match=r"outside skops' trusted set: \['tests.registry.validation"):
        explain(str(tmp_path / "foreign.skops"), _data(dataset()), "classification", [], "Vera", TODAY)
    (tmp_path / "m.pkl").write_bytes(b"not loaded")
    with pytest.raises(ValidationInputError, match=r"'m.pkl' is neither .onnx nor .skops \(pickles are refused\)"):
        explain(str(tmp_path / "m.pkl"), _data(dataset()), "classification", [], "Vera", TODAY)


BAD = [
    ("no label", lambda f: f.drop(columns=["label"]), [], "label column 'label' is not in 'val.csv'"),
    ("unknown feature", lambda f: f, ["noise", "age"], "feature column(s) ['age'] of the model are not in"),
    ("text feature", lambda f: f.assign(noise="x"), ["noise", "signal"], "feature column(s) ['noise'] of 'val.csv'"),
    ("one class", lambda f: f.assign(label=1), [], "label column 'label' of 'val.csv' holds one class only (1)"),
]


@pytest.mark.parametrize(("label", "mutate", "features", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_value(tmp_path: Path, label: str, mutate: object, features: list[str],
                                   message: str) -> None:
    frame = mutate(dataset())  # type: ignore[operator]
    with pytest.raises(ValidationInputError) as caught:
        explain(str(onnx_model(tmp_path / "m.onnx")), _data(frame), "classification", features, "Vera", TODAY)
    assert message in str(caught.value), label
