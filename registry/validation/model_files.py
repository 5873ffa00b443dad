"""Loading a model file the user points at, never through pickle: ONNX run by onnxruntime, or a skops file loaded
only when skops' check finds no type outside its trusted set (scikit-learn, numpy and scipy types)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from registry.validation.options import ValidationInputError
from registry.validation.robustness import OnnxModel


class ModelFile(Protocol):
    """A loaded model: the feature columns it takes, in order, and its score or prediction per row."""

    columns: list[str]

    def outputs(self, matrix: np.ndarray) -> np.ndarray: ...


class SkopsModel:
    """A scikit-learn estimator from a `.skops` file; binary classifiers give the probability of class 1."""

    def __init__(self, path: str, columns: list[str]) -> None:
        import skops.io as sio

        name = Path(path).name
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:  # noqa: BLE001 - a broken or foreign file is bad input
            raise ValidationInputError(f"cannot read skops file {name!r}: {exc}") from None
        if untrusted:
            # Loading an untrusted type could run code chosen by whoever wrote the file: refuse, naming them.
            raise ValidationInputError(f"skops file {name!r} holds types outside skops' trusted set: {untrusted}")
        self.estimator = sio.load(path)
        fitted = getattr(self.estimator, "feature_names_in_", None)
        self.named = fitted is not None
        self.columns = [str(c) for c in fitted] if fitted is not None else columns

    def outputs(self, matrix: np.ndarray) -> np.ndarray:
        import pandas as pd

        # An estimator fitted on a frame checks the column names it is given.
        x = pd.DataFrame(matrix, columns=self.columns) if self.named else matrix
        classes = getattr(self.estimator, "classes_", None)
        if classes is not None and len(classes) == 2 and hasattr(self.estimator, "predict_proba"):
            return np.asarray(self.estimator.predict_proba(x), dtype=np.float64)[:, 1]
        return np.asarray(self.estimator.predict(x), dtype=np.float64).reshape(len(matrix))


def load_model(path: str, columns: list[str]) -> ModelFile:
    """`columns` are the numeric features of the data; a skops estimator fitted on named columns uses its own."""
    if not Path(path).is_file():
        raise ValidationInputError(f"model file {path!r} does not exist")
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return OnnxModel(path, columns)
    if suffix == ".skops":
        return SkopsModel(path, columns)
    raise ValidationInputError(f"model file {Path(path).name!r} is neither .onnx nor .skops (pickles are refused)")
