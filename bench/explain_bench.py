"""Cost of `warden models explain`: permutation importances of an ONNX logistic model on generated data.

    PYTHONPATH=$PWD python bench/explain_bench.py [--rows 100000] [--features 10] [--repeats 5]

Prints the wall time of one `explain` (read the CSV, load the model, shuffle each feature `repeats` times) and
the top three features (the model's weights fall with the feature index, so f0 must rank first).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd


def _model(path: Path, weights: np.ndarray) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node("Sigmoid", ["z"], ["score"])], "logistic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, len(weights)])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(weights.reshape(-1, 1).astype(np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def main() -> None:
    from registry.validation.explain import ExplainOptions, explain
    from registry.validation.options import DataFile

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.rows, args.features))
    weights = np.linspace(2.0, 0.0, args.features)
    label = (x @ weights + rng.normal(0, 0.5, args.rows) > 0).astype(int)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(args.features)]).assign(label=label)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "m.onnx"
        _model(model, weights)
        data = DataFile(frame.to_csv(index=False).encode(), "csv", "bench.csv")
        start = time.perf_counter()
        record = explain(str(model), data, "classification", [], "bench", date.today(),
                         ExplainOptions(repeats=args.repeats))
        took = time.perf_counter() - start
    top = ", ".join(f"{i.feature} {i.importance:.3f}" for i in record.importances[:3])
    print(f"explain: {args.rows} rows x {args.features} features x {args.repeats} repeats: {took:.2f} s; top: {top}")


if __name__ == "__main__":
    main()
