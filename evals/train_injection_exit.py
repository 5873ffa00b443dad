"""Fit the injection model's early exit (`guardrails/injection/early_exit.py`) and write it into the manifest.

The shipped cross-encoder gets an exit after each layer of `--after` (0-based). Every production window of the
training and calibration splits (`evals/injection_data.build()`, the same cases the model was trained and
calibrated on; the dev split and the holdouts stay unseen) is run once for its mean-pooled hidden states at
each cut and the whole model's raw logit. Per exit, two linear maps over [pooled, is-indirect] are fitted on the
training windows: a gate (L2 logistic regression, "within `--margin` logits of triggering at the shipped
thresholds", positives weighted 5x) and an estimate of the raw logit (ridge). Per role class the gate's bound
is the lowest gate value among calibration windows within the margin: no such window exits. Exited windows'
logits are capped at the trigger minus the margin. Deterministic (no sampling; L-BFGS from zeros).

    PYTHONPATH=. .venv/bin/python -m evals.train_injection_exit [--after 1,2] [--margin 4.0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.injection_calibration import logit
from evals.injection_data import SEED, build
from guardrails.injection.early_exit import CLASSES, mean_pooled
from guardrails.injection.model import INDIRECT, MANIFEST_PATH, MODEL_PATH, batch_arrays, load_tokenizer, windows
from guardrails.injection.options import RoleThresholds

# The tensors past the cut that the later layers read from before it: the additive attention mask and the
# pooling mask and token count (names from the exported graph; the test checks the parts compose exactly).
CARRIED = ("/bert/Where_1_output_0", "/Cast_output_0", "/Clip_output_0")
GATE_L2 = 1e-2
RIDGE_L2 = 10.0
POSITIVE_WEIGHT = 5.0


def split_name(after: int) -> str:
    return f"/bert/encoder/layer.{after}/output/LayerNorm/LayerNormalization_output_0"


def triggers(offsets: dict[str, float]) -> dict[str, float]:
    """Per role class, the raw logit at which the shipped thresholds trigger (the most sensitive role's)."""
    shipped = RoleThresholds()
    user = min(t for t in (shipped.user, shipped.assistant) if t is not None)
    indirect = min(t for t in (shipped.document, shipped.tool) if t is not None)
    return {"user": logit(user) - offsets["user"], "indirect": logit(indirect) - offsets["indirect"]}


def features(model_path: Path, splits: Sequence[str], items: Sequence[tuple[str, str, str]], max_len: int
             ) -> tuple[list[np.ndarray], np.ndarray, list[int]]:
    """Per cut, the pooled hidden states of every window; the whole model's raw logit; each window's item."""
    import onnx
    import onnxruntime
    from onnx.utils import Extractor

    data = model_path.read_bytes()
    graph = onnx.load_from_string(data)
    cuts = Extractor(graph).extract_model([i.name for i in graph.graph.input], list(splits))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    inner = onnxruntime.InferenceSession(cuts.SerializeToString(), options, providers=["CPUExecutionProvider"])
    whole = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    tokenizer = load_tokenizer()
    pooled: list[list[np.ndarray]] = [[] for _ in splits]
    logits, owners = [], []
    for index, (role, request, text) in enumerate(items):
        for window in windows(tokenizer, role, request, text, max_len, 24):
            feed = batch_arrays([window])
            for at, hidden in enumerate(inner.run(None, feed)):
                pooled[at].append(mean_pooled(hidden, feed["attention_mask"])[0])
            logits.append(float(whole.run(None, feed)[0].reshape(-1)[0]))
            owners.append(index)
    return [np.asarray(p, dtype=np.float64) for p in pooled], np.asarray(logits), owners


def fit_gate(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2 logistic regression on standardised columns; returns weights for raw columns plus a bias."""
    from scipy.optimize import minimize

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    w = np.where(y == 1, POSITIVE_WEIGHT, 1.0)
    w /= w.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        margin = z @ theta[:-1] + theta[-1]
        p = 1.0 / (1.0 + np.exp(-np.clip(margin, -40, 40)))
        grad_m = w * (p - y)
        grad = np.append(z.T @ grad_m + GATE_L2 * theta[:-1], grad_m.sum())
        value = w @ (np.logaddexp(0.0, margin) - y * margin) + 0.5 * GATE_L2 * theta[:-1] @ theta[:-1]
        return float(value), grad

    theta = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    weights = theta[:-1] / scale
    return np.append(weights, theta[-1] - weights @ mean)


def fit_estimate(x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Ridge regression of the raw logit, bias unpenalised."""
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = RIDGE_L2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    return np.linalg.solve(design.T @ design + penalty, design.T @ target)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--after", default="1,2", help="exits after these encoder layers (0-based, in order)")
    parser.add_argument("--margin", type=float, default=4.0, help="logits below the trigger that must not exit")
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH)
    args = parser.parse_args(argv)
    started = time.time()
    manifest = json.loads(args.manifest.read_text())
    manifest.pop("exit", None)
    offsets = {k: float(manifest["offsets"][k]) for k in CLASSES}
    cases = [c for c in build(seed=SEED) if c.split in ("train", "calib")]
    layers = [int(x) for x in args.after.split(",")]
    pooled, raw, owners = features(args.model, [split_name(k) for k in layers],
                                   [(c.role, c.request, c.text) for c in cases], int(manifest["max_len"]))
    indirect = np.array([cases[o].role in INDIRECT for o in owners])
    train = np.array([cases[o].split == "train" for o in owners])
    labels = np.array([cases[o].label for o in owners])
    trigger = triggers(offsets)
    near = raw >= np.where(indirect, trigger["indirect"], trigger["user"]) - args.margin
    ceiling = {k: trigger[k] - args.margin for k in CLASSES}
    stages = []
    for layer, x in zip(layers, pooled, strict=True):
        x = np.hstack([x, indirect[:, None].astype(np.float64)])
        gate = fit_gate(x[train], near[train].astype(np.float64))
        estimate = fit_estimate(x[train], raw[train])
        gated = x @ gate[:-1] + gate[-1]
        bound, report = {}, {}
        for kind, members in (("user", ~indirect), ("indirect", indirect)):
            calib = members & ~train
            # Less a hair: the gateway computes the gate in float32, and the nearest window must stay in.
            bound[kind] = float(gated[calib & near].min()) - 1e-3
            exits = gated < bound[kind]
            report[kind] = {
                "calib_windows": int(calib.sum()),
                "calib_exit_share": round(float(exits[calib].mean()), 4),
                "calib_benign_exit_share": round(float(exits[calib & (labels == 0)].mean()), 4),
                "train_near_exited": int((exits & members & train & near).sum()),
            }
            print(f"after layer {layer}, {kind}: bound {bound[kind]:.3f}, {report[kind]}", file=sys.stderr)
        stages.append({"split": split_name(layer), "after_layer": layer, "gate": [float(v) for v in gate[:-1]],
                       "gate_bias": float(gate[-1]), "estimate": [float(v) for v in estimate[:-1]],
                       "estimate_bias": float(estimate[-1]), "bound": bound, "ceiling": ceiling, "report": report})
    manifest["exit"] = {
        "carried": list(CARRIED),
        "margin": args.margin,
        # A policy threshold (a probability, after the manifest's offsets) below these was not validated.
        "valid_from": {k: float(1.0 / (1.0 + np.exp(-(ceiling[k] + offsets[k])))) for k in CLASSES},
        "windows": {"train": int(train.sum()), "calib": int((~train).sum())},
        "fit_seconds": round(time.time() - started, 1),
        "stages": stages,
    }
    args.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({"valid_from": manifest["exit"]["valid_from"], "fit_seconds": manifest["exit"]["fit_seconds"],
                      "stages": [{k: st[k] for k in ("after_layer", "bound", "report")} for st in stages]}, indent=1))


if __name__ == "__main__":
    main()
