"""The Conv -> MatMul rewrite the name tagger's export uses: same values in float, int8 once quantised, and
convolutions it does not cover left as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from evals.conv_as_matmul import convert, rewrite


def _conv_model(width: int = 5, pads: int = 2, strides: int = 1, channels: int = 16,
                bias: bool = False) -> onnx.ModelProto:
    rng = np.random.default_rng(7)
    weight = rng.normal(size=(channels, channels, width)).astype(np.float32)
    weights = [numpy_helper.from_array(weight, "w")]
    if bias:  # as torch exports a Conv1d with its bias
        weights.append(numpy_helper.from_array(rng.normal(size=channels).astype(np.float32) * 3, "b"))
    nodes = [
        helper.make_node("Transpose", ["x"], ["x_t"], perm=[0, 2, 1]),
        helper.make_node("Conv", ["x_t", "w", *(["b"] if bias else [])], ["y_t"], kernel_shape=[width],
                         pads=[pads, pads], strides=[strides], dilations=[1], group=1),
        helper.make_node("Transpose", ["y_t"], ["y"], perm=[0, 2, 1]),
    ]
    graph = helper.make_graph(
        nodes, "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "time", channels])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "out", channels])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _run(model: onnx.ModelProto | Path, x: np.ndarray) -> np.ndarray:
    source = model if isinstance(model, Path) else model.SerializeToString()
    session = onnxruntime.InferenceSession(str(source) if isinstance(source, Path) else source,
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])
def test_the_rewritten_graph_computes_the_same_values_at_every_length(bias: bool) -> None:
    model = _conv_model(bias=bias)
    rewritten = _conv_model(bias=bias)
    assert len(rewrite(rewritten)) == 1
    assert "Conv" not in {node.op_type for node in rewritten.graph.node}
    assert "w" not in {init.name for init in rewritten.graph.initializer}  # the Conv's weight is gone
    rng = np.random.default_rng(1)
    for batch, time in ((1, 1), (1, 4), (3, 23), (2, 70)):
        x = rng.normal(size=(batch, time, 16)).astype(np.float32)
        np.testing.assert_allclose(_run(rewritten, x), _run(model, x), rtol=1e-5, atol=1e-4)


def test_only_same_length_stride_one_convolutions_are_rewritten() -> None:
    for model in (_conv_model(strides=2), _conv_model(pads=1), _conv_model(width=4, pads=2)):
        assert rewrite(model) == []
        assert [node.op_type for node in model.graph.node] == ["Transpose", "Conv", "Transpose"]


def test_converted_products_are_int8_and_close(tmp_path: Path) -> None:
    source, target = tmp_path / "conv.onnx", tmp_path / "int8.onnx"
    onnx.save(_conv_model(channels=64), str(source))
    convert(source, target)
    kinds = {node.op_type for node in onnx.load(str(target)).graph.node}
    assert "Conv" not in kinds and "MatMul" not in kinds
    assert kinds & {"MatMulInteger", "DynamicQuantizeMatMul"}
    x = np.random.default_rng(2).normal(size=(2, 30, 64)).astype(np.float32)
    expected = _run(source, x)
    got = _run(target, x)
    assert np.abs(got - expected).max() <= 0.05 * np.abs(expected).max()
