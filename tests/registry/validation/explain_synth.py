"""Known answers for permutation importances: the outcome depends on `signal` only, `noise` is independent of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def dataset(rows: int = 2000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signal, noise = rng.normal(0, 1, rows), rng.normal(0, 1, rows)
    label = (signal + rng.normal(0, 0.3, rows) > 0).astype(int)
    return pd.DataFrame({"noise": noise, "signal": signal, "label": label})


def skops_model(path: Path, frame: pd.DataFrame) -> Path:
    """A logistic regression fitted on both features: it learns to use `signal` and to ignore `noise`."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(frame[["noise", "signal"]], frame["label"])
    sio.dump(model, path)
    return path


def onnx_model(path: Path) -> Path:
    """score = sigmoid(0 * noise + 4 * signal): built by hand so only `signal` can matter."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node("Sigmoid", ["z"], ["score"])],
        "logistic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(np.array([[0.0], [4.0]], dtype=np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


class Foreign:
    """A class skops does not trust: a file holding it must be refused, never loaded."""

    def __init__(self) -> None:
        self.weights = [1.0, 2.0]
