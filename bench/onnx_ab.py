"""CPU per call of two ONNX files with the same inputs, alternating, on one thread: did a graph change pay?

    .venv/bin/python bench/onnx_ab.py BEFORE.onnx AFTER.onnx [--sizes 1x20,3x23,2x60] [--rounds 8] [--calls 100]

For each size (windows x pieces), both sessions run `--calls` calls in turn, `--rounds` times; reported: the
median CPU ms per call of each, their ratio, and in how many rounds the second was cheaper. Token ids are random
word pieces, the attention mask all ones, any other integer input (token types, shape and gazetteer classes)
zeros; both files get the same inputs (they must take the same ones). Process CPU time, so other jobs on the
machine move it less than wall time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime


def session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def feeds(sess: onnxruntime.InferenceSession, windows: int, pieces: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {}
    for item in sess.get_inputs():
        if item.name == "input_ids":
            out[item.name] = rng.integers(1000, 20000, (windows, pieces)).astype(np.int64)
        elif item.name == "attention_mask":
            out[item.name] = np.ones((windows, pieces), np.int64)
        else:
            out[item.name] = np.zeros((windows, pieces), np.int64)
    return out


def cpu_ms(sess: onnxruntime.InferenceSession, inputs: dict[str, np.ndarray], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        sess.run(None, inputs)
    return (time.process_time() - started) * 1000 / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--sizes", default="1x20,3x23,2x60", help="windows x pieces, comma-separated")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    sessions = [session(args.before), session(args.after)]
    rng = np.random.default_rng(0)
    for size in args.sizes.split(","):
        windows, pieces = (int(n) for n in size.split("x"))
        given = feeds(sessions[0], windows, pieces, rng)
        for sess in sessions:
            cpu_ms(sess, given, 20)  # warm-up
        times: list[list[float]] = [[], []]
        for _ in range(args.rounds):
            for side, sess in enumerate(sessions):
                times[side].append(cpu_ms(sess, given, args.calls))
        before, after = statistics.median(times[0]), statistics.median(times[1])
        cheaper = sum(b < a for a, b in zip(*times, strict=True))
        print(f"{windows} x {pieces}: before {before:.3f} ms, after {after:.3f} ms, ratio {after / before:.3f}; "
              f"after cheaper in {cheaper}/{args.rounds} rounds")


if __name__ == "__main__":
    main()
