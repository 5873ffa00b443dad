"""1-D convolutions of an ONNX graph rewritten as matrix products, so that dynamic quantisation makes them int8.

ONNX Runtime's CPU provider has no integer convolution kernel: `quantize_dynamic` leaves a Conv in float, where
the name tagger's two 256x256x5 head convolutions cost 17% of its time, at a third of the rate of its int8
matrix products. A convolution with stride 1, no dilation, one group and symmetric padding is the same as a
matrix product over the `k` shifted copies of its padded input laid side by side:

    y[b, o, t] = sum_j sum_c x[b, c, t + j - pad] w[o, c, j]  =  (concat_j shift_j(x^T)) @ w'   with
    w'[j * C + c, o] = w[o, c, j]

which is what the rewrite builds: Transpose, Pad, k Slices, Concat, MatMul, Transpose back (ONNX Runtime cancels
the transposes against their neighbours where it can). The float graph computes the same values (up to the
order of float additions); quantising it then changes them by the int8 rounding of the products.

    python -m evals.conv_as_matmul IN.onnx OUT.onnx   # rewrite, then quantise the new products (per channel)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

INT64_MAX = np.iinfo(np.int64).max


def rewrite(model: onnx.ModelProto) -> list[str]:
    """Replace every eligible 1-D Conv in place; returns the names of the MatMul nodes that stand for them."""
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    products: list[str] = []
    for node in graph.node:
        plan = _plan(node, weights)
        if plan is None:
            nodes.append(node)
            continue
        weight, pad, bias = plan
        out_channels, in_channels, width = weight.shape
        name = node.name or node.output[0]
        stacked = weight.transpose(2, 1, 0).reshape(width * in_channels, out_channels)  # w'[j*C + c, o]
        graph.initializer.append(numpy_helper.from_array(stacked.astype(np.float32), f"{name}/as_matmul/weight"))
        graph.initializer.append(numpy_helper.from_array(np.array([0, pad, 0, 0, pad, 0], np.int64),
                                                         f"{name}/as_matmul/pads"))
        graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), f"{name}/as_matmul/axis"))
        time_major = f"{name}/as_matmul/time_major"
        padded = f"{name}/as_matmul/padded"
        nodes.append(helper.make_node("Transpose", [node.input[0]], [time_major], perm=[0, 2, 1],
                                      name=f"{name}/as_matmul/transpose_in"))
        nodes.append(helper.make_node("Pad", [time_major, f"{name}/as_matmul/pads"], [padded],
                                      name=f"{name}/as_matmul/pad"))
        shifted = []
        for j in range(width):
            end = j - (width - 1) if j < width - 1 else INT64_MAX
            starts, ends = f"{name}/as_matmul/start{j}", f"{name}/as_matmul/end{j}"
            graph.initializer.append(numpy_helper.from_array(np.array([j], np.int64), starts))
            graph.initializer.append(numpy_helper.from_array(np.array([end], np.int64), ends))
            shifted.append(f"{name}/as_matmul/shift{j}")
            nodes.append(helper.make_node("Slice", [padded, starts, ends, f"{name}/as_matmul/axis"], [shifted[-1]],
                                          name=f"{name}/as_matmul/slice{j}"))
        side_by_side = f"{name}/as_matmul/side_by_side"
        product = f"{name}/as_matmul/product"
        nodes.append(helper.make_node("Concat", shifted, [side_by_side], axis=2, name=f"{name}/as_matmul/concat"))
        nodes.append(helper.make_node("MatMul", [side_by_side, f"{name}/as_matmul/weight"], [product],
                                      name=f"{name}/as_matmul/MatMul"))
        if bias is not None:  # time-major here, so the bias adds along the last axis
            biased = f"{name}/as_matmul/biased"
            nodes.append(helper.make_node("Add", [product, bias], [biased], name=f"{name}/as_matmul/bias"))
            product = biased
        nodes.append(helper.make_node("Transpose", [product], [node.output[0]], perm=[0, 2, 1],
                                      name=f"{name}/as_matmul/transpose_out"))
        products.append(f"{name}/as_matmul/MatMul")
    del graph.node[:]
    graph.node.extend(nodes)
    _drop_unused(graph)
    return products


def _plan(node: onnx.NodeProto, weights: dict[str, onnx.TensorProto]) -> tuple[np.ndarray, int, str | None] | None:
    """The weight, padding and bias initialiser (None without one) of a Conv the rewrite covers, else None."""
    if node.op_type != "Conv" or len(node.input) < 2 or node.input[1] not in weights or len(node.input) > 3:
        return None
    bias = node.input[2] if len(node.input) == 3 and node.input[2] else None
    if bias is not None and bias not in weights:
        return None  # a bias computed in the graph: left as it is
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    weight = numpy_helper.to_array(weights[node.input[1]])
    if weight.ndim != 3 or attrs.get("group", 1) != 1 or list(attrs.get("strides", [1])) != [1]:
        return None
    if list(attrs.get("dilations", [1])) != [1] or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return None
    pads = list(attrs.get("pads", [0, 0]))
    width = weight.shape[2]
    if pads[0] != pads[1] or 2 * pads[0] != width - 1:  # same-length output only
        return None
    return weight, pads[0], bias


def _drop_unused(graph: onnx.GraphProto) -> None:
    """Initialisers nothing reads any more (the Convs' weights), and nodes whose outputs nobody reads."""
    wanted = {output.name for output in graph.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(list(graph.node)):
        if any(output in wanted for output in node.output):
            kept.append(node)
            wanted.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    used = [init for init in graph.initializer if init.name in wanted]
    del graph.initializer[:]
    graph.initializer.extend(used)


def convert(source: Path, target: Path) -> None:
    """Rewrite `source`'s convolutions and quantise the products that replace them (the rest as it is)."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    products = rewrite(model)
    onnx.checker.check_model(model)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "rewritten.onnx"
        onnx.save(model, str(plain))
        quantize_dynamic(str(plain), str(target), per_channel=True, reduce_range=True,
                         weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], nodes_to_quantize=products)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    convert(args.source, args.target)


if __name__ == "__main__":
    main()
