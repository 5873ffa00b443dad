"""Int8 weights of a dynamically quantised ONNX graph brought to ONNX Runtime's reduced range (7 bits).

On an x86 CPU without VNNI (AVX2 only, or AVX-512 without its VNNI extension), ONNX Runtime multiplies the uint8
activations by the int8 weights with `vpmaddubsw`, which adds each pair of products into a saturating 16-bit
integer: two products of a large activation and a weight near +-127 (255 x 127 x 2 = 64,770) overflow it and
are clipped to 32,767. A graph quantised to the full int8 range therefore computes other numbers on such a
CPU than on one with VNNI or on ARM, and a verdict can flip with the machine it runs on. Weights within
[-64, 64] keep every pair under the limit (255 x 64 x 2 = 32,640), so the products are exact everywhere:
`quantize_dynamic(..., reduce_range=True)` quantises that way, and every export in `evals/` now asks for it.

A weight file that shipped before is brought there without its float source: each MatMulInteger's weight
`q` (symmetric, zero point 0, one scale per output channel) becomes round(q / 2) with its scale doubled, the
7-bit grid of the same range. Tables that are only dequantised (a Gather's word pieces) are left as they are:
no integer product reads them.

    python -m evals.requantize IN.onnx OUT.onnx
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

LIMIT = 64  # ONNX Runtime's reduced range for symmetric int8 weights: [-64, 64]


def product_weights(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """The weight initialisers the graph's integer products (MatMulInteger) read, by name."""
    inits = {init.name: init for init in model.graph.initializer}
    return {node.input[1]: numpy_helper.to_array(inits[node.input[1]]) for node in model.graph.node
            if node.op_type == "MatMulInteger" and len(node.input) > 1 and node.input[1] in inits}


def reduce_range(model: onnx.ModelProto) -> list[str]:
    """Halve the grid of every full-range int8 weight an integer product reads; returns the weights changed."""
    inits = {init.name: init for init in model.graph.initializer}
    scales = _scales_of(model, inits)
    changed: list[str] = []
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or len(node.input) < 2 or node.input[1] not in inits:
            continue
        name = node.input[1]
        if name in changed:
            continue
        weight = numpy_helper.to_array(inits[name])
        if weight.dtype != np.int8:
            raise ValueError(f"{name}: an integer product's weight of type {weight.dtype}, expected int8")
        if len(node.input) > 3 and node.input[3]:
            zero = numpy_helper.to_array(inits[node.input[3]])
            if np.any(zero != 0):
                raise ValueError(f"{name}: an asymmetric weight (zero point not 0) cannot be halved in place")
        if int(np.abs(weight.astype(np.int16)).max()) <= LIMIT:
            continue  # already within the reduced range
        scale_name = scales.get(name)
        if scale_name is None:
            raise ValueError(f"{name}: no scale initialiser found for it")
        halved = np.clip(np.round(weight.astype(np.float32) / 2), -LIMIT, LIMIT).astype(np.int8)
        scale = numpy_helper.to_array(inits[scale_name])
        inits[name].CopyFrom(numpy_helper.from_array(halved, name))
        inits[scale_name].CopyFrom(numpy_helper.from_array((scale * 2).astype(scale.dtype), scale_name))
        changed.append(name)
    return changed


def _scales_of(model: onnx.ModelProto, inits: dict[str, onnx.TensorProto]) -> dict[str, str]:
    """Weight name -> its scale's initialiser, by `quantize_dynamic`'s naming (W_quantized, W_scale), checked to
    be read by a Mul only (the product's rescaling) so that doubling it touches nothing else."""
    readers: dict[str, set[str]] = {}
    for node in model.graph.node:
        for name in node.input:
            readers.setdefault(name, set()).add(node.op_type)
    found = {}
    for name in inits:
        if not name.endswith("_quantized"):
            continue
        scale = name.removesuffix("_quantized") + "_scale"
        if scale in inits and readers.get(scale, set()) <= {"Mul"}:
            found[name] = scale
    return found


def convert(source: Path, target: Path) -> list[str]:
    model = onnx.load(str(source))
    changed = reduce_range(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    changed = convert(args.source, args.target)
    print(f"{len(changed)} weights brought to [-{LIMIT}, {LIMIT}]")


if __name__ == "__main__":
    main()
