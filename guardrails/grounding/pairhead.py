"""The grounding pair head: P(the context supports a claim) from frozen MiniLM embeddings and the lexical features.

Input per claim: the claim's embedding `u`, the embedding `v` of the context sentence closest to it, the lexical
evidence features (`guardrails.grounding.features`) and the two best cosine similarities. The head is a one-hidden-
layer MLP over [u*v, |u-v|, u, v, lexical, similarities], trained by `evals/train_grounding_head.py`; its weights
are plain arrays in an `.npz` (read with `allow_pickle=False`: loading runs no code), checked against the SHA-256
in `weights/head.json` first. The encoder is the shared embedder, so a claim costs one embedding and the context
sentences are embedded once per request (and come from the embedder's cache when a context repeats).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.embeddings import DIMENSIONS
from guardrails.grounding.features import FEATURES

WEIGHTS_DIR = Path(__file__).with_name("weights")
META_FILE = "head.json"
SIMILARITIES = 2
"""Cosine similarities of the claim to its closest and second-closest context sentences."""
WIDTH = 4 * DIMENSIONS + len(FEATURES) + SIMILARITIES
_ARRAYS = ("mean", "scale", "w1", "b1", "w2", "b2")


class HeadIntegrityError(RuntimeError):
    """The weights file does not match the checksum or the shapes its metadata names."""


def pair_inputs(u: np.ndarray, v: np.ndarray, lexical: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """The head's input rows: [u*v, |u-v|, u, v, lexical features, similarities] (same at training and run time)."""
    return np.concatenate([u * v, np.abs(u - v), u, v, lexical, sims], axis=1).astype(np.float32)


@dataclass(frozen=True, slots=True)
class PairHead:
    """Standardise, one ReLU layer, one logit, sigmoid. `threshold`: claim support below which it is ungrounded."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    threshold: float

    def predict(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        hidden = np.maximum(((rows - self.mean) / self.scale) @ self.w1 + self.b1, 0.0)
        logits = hidden @ self.w2 + self.b2
        return (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "scale": self.scale, "w1": self.w1, "b1": self.b1, "w2": self.w2,
                "b2": np.asarray([self.b2], dtype=np.float32)}


def _checked(blob: bytes, expected: str, path: Path) -> bytes:
    actual = hashlib.sha256(blob).hexdigest()
    if actual != expected:
        raise HeadIntegrityError(f"{str(path)!r} has SHA-256 {actual}, expected {expected}")
    return blob


def load_head(folder: Path = WEIGHTS_DIR) -> PairHead:
    """The shipped head, after checking its checksum and shapes (raises HeadIntegrityError naming the file)."""
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    path = folder / str(meta["file"])
    blob = _checked(path.read_bytes(), str(meta["sha256"]), path)
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        missing = [k for k in _ARRAYS if k not in data.files]
        if missing:
            raise HeadIntegrityError(f"{str(path)!r} lacks arrays {missing!r}")
        try:
            arrays = {k: data[k].astype(np.float32) for k in _ARRAYS}
        except ValueError as exc:  # an object array would need pickle to load
            raise HeadIntegrityError(f"{str(path)!r} holds arrays that are not plain numbers: {exc}") from exc
    hidden = arrays["b1"].shape[0]
    shapes = {"mean": (WIDTH,), "scale": (WIDTH,), "w1": (WIDTH, hidden), "w2": (hidden,), "b2": (1,)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise HeadIntegrityError(f"{str(path)!r}: {name} has shape {arrays[name].shape}, expected {shape}")
    return PairHead(arrays["mean"], arrays["scale"], arrays["w1"], arrays["b1"], arrays["w2"],
                    float(arrays["b2"][0]), float(meta["threshold"]))


def save_head(head: PairHead, folder: Path, extra: dict[str, object]) -> str:
    """Write the `.npz` and its metadata (checksum, threshold, `extra`); returns the SHA-256."""
    buffer = io.BytesIO()
    np.savez(buffer, **head.arrays())
    blob = buffer.getvalue()
    name = "grounding-head.npz"
    (folder / name).write_bytes(blob)
    digest = hashlib.sha256(blob).hexdigest()
    meta = {"file": name, "sha256": digest, "threshold": head.threshold, **extra}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return digest
