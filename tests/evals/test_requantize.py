"""Shipped int8 graphs use 7-bit weights, so their integer products are exact on every CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from evals.requantize import LIMIT, convert, product_weights, reduce_range

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    ROOT / "guardrails/injection/weights/injection_model.onnx",
    ROOT / "guardrails/pii/weights/name_tagger.onnx",
    ROOT / "guardrails/grounding/weights/nli-minilm-int8.onnx",
]


def _session(model: onnx.ModelProto) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _float_matmul(path: Path, weight: np.ndarray) -> None:
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", weight.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", weight.shape[1]])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_integer_product_reads_weights_within_the_reduced_range(path: Path) -> None:
    weights = product_weights(onnx.load(str(path)))
    assert weights, "no integer products: the file is not the int8 graph the card describes"
    for name, weight in weights.items():
        assert weight.dtype == np.int8
        assert int(np.abs(weight.astype(np.int16)).max()) <= LIMIT, name


def test_products_within_the_reduced_range_are_exact() -> None:
    """The premise: large activations times weights within [-64, 64] give the exact integer sums (with full-range
    weights a CPU without VNNI clips pairs of products at 32,767)."""
    rng = np.random.default_rng(0)
    a = rng.integers(200, 256, size=(8, 384), dtype=np.uint8)
    b = rng.integers(-LIMIT, LIMIT + 1, size=(384, 64), dtype=np.int8)
    b[:, ::2] = np.where(b[:, ::2] >= 0, LIMIT, -LIMIT)  # the worst pairs: both products at the limit
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "g",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [8, 384])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [8, 64])],
        [numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    got = _session(model).run(None, {"a": a})[0]
    np.testing.assert_array_equal(got, a.astype(np.int64) @ b.astype(np.int64))


def test_a_full_range_file_is_halved_in_place_and_stays_close(tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rng = np.random.default_rng(3)
    weight = rng.normal(size=(96, 48)).astype(np.float32)
    weight[5, 7] = 9.0  # an outlier: one scale per channel keeps the other columns fine
    source, full, halved = tmp_path / "f.onnx", tmp_path / "full.onnx", tmp_path / "halved.onnx"
    _float_matmul(source, weight)
    quantize_dynamic(str(source), str(full), per_channel=True, weight_type=QuantType.QInt8)
    before = product_weights(onnx.load(str(full)))
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in before.values()) == 127

    changed = convert(full, halved)

    after = product_weights(onnx.load(str(halved)))
    assert changed == list(before) and list(after) == list(before)
    for name in before:
        assert int(np.abs(after[name].astype(np.int16)).max()) == LIMIT
        np.testing.assert_array_equal(after[name], np.clip(np.round(before[name] / 2), -LIMIT, LIMIT))
    inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(halved)).graph.initializer}
    old = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(full)).graph.initializer}
    scale = next(n for n in inits if n.endswith("_scale") and n.removesuffix("_scale") + "_quantized" in after)
    np.testing.assert_array_equal(inits[scale], old[scale] * 2)
    x = rng.normal(size=(4, 96)).astype(np.float32)
    expected = x @ weight
    got = onnxruntime.InferenceSession(str(halved), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.abs(got - expected).max() <= 0.05 * np.abs(expected).max()  # 8-bit activations, 7-bit weights
    assert convert(halved, tmp_path / "again.onnx") == []  # already within range: nothing to do


def test_an_asymmetric_weight_is_refused(tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source, full = tmp_path / "f.onnx", tmp_path / "full.onnx"
    _float_matmul(source, np.random.default_rng(4).normal(size=(32, 16)).astype(np.float32))
    quantize_dynamic(str(source), str(full), per_channel=True, weight_type=QuantType.QInt8)
    model = onnx.load(str(full))
    for init in model.graph.initializer:
        if init.name.endswith("_zero_point") and init.data_type == TensorProto.INT8:
            init.CopyFrom(numpy_helper.from_array(np.ones(numpy_helper.to_array(init).shape, np.int8), init.name))
    with pytest.raises(ValueError, match="asymmetric"):
        reduce_range(model)
