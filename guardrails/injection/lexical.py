"""Stage one of the cascade: logistic regression over hashed word and character n-grams (numpy only).

It costs well under a millisecond per message, against several for the cross-encoder, and is trusted only
where it is sure a user message is benign: a score under `low` (chosen out of fold by
`evals/train_injection_lexical.py`) skips the model. Weights and band live in one `.npz` read with
`allow_pickle=False`.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.injection.features import N_FEATURES, window_features
from guardrails.normalize import fold

LEXICAL_PATH = Path(__file__).resolve().parent / "weights" / "injection_lexical.npz"
N_BUCKETS = 1 << 17
CHAR_NGRAMS = (3, 4, 5)
# Long jailbreaks would otherwise cost as much to hash as they save; their head carries the signal.
MAX_CHARS = 4000
_WORD = re.compile(r"\w+")
_PRIME = np.uint64(0x100000001B3)
_MASK32 = np.uint64(0xFFFFFFFF)


def hashed_counts(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ids, unit-norm weights) of the word uni/bigrams and char 3-5-grams of the folded text."""
    folded = fold(text[:MAX_CHARS])
    words = _WORD.findall(folded)
    word_ids = np.array([zlib.crc32(w.encode()) for w in words], dtype=np.uint64)
    parts = [word_ids]
    if len(word_ids) > 1:
        parts.append((word_ids[:-1] * _PRIME + word_ids[1:] + np.uint64(1)) & _MASK32)
    data = np.frombuffer(f" {folded} ".encode(), dtype=np.uint8).astype(np.uint64)
    for n in CHAR_NGRAMS:
        if len(data) < n:
            continue
        h = np.full(len(data) - n + 1, np.uint64(n))
        for j in range(n):
            h = (h * _PRIME + data[j : len(data) - n + 1 + j]) & _MASK32
        parts.append(h)
    ids = (np.concatenate(parts) * np.uint64(2654435761) >> np.uint64(7)) % np.uint64(N_BUCKETS)
    buckets, counts = np.unique(ids.astype(np.int64), return_counts=True)
    values = np.log1p(counts.astype(np.float32))
    return buckets, values / max(float(np.linalg.norm(values)), 1e-9)


def dense_features(text: str) -> np.ndarray:
    """The style flags of the whole text (see `features.py`), next to the n-grams."""
    return window_features(text[:MAX_CHARS])


@dataclass(frozen=True, slots=True)
class LexicalModel:
    """Linear scores over `N_BUCKETS` hashed n-grams + the style flags; `low`/`high` bound the uncertain band."""

    ngram_weights: np.ndarray
    dense_weights: np.ndarray
    bias: float
    low: float = 0.0
    high: float = 1.0
    version: str = "unversioned"

    def __post_init__(self) -> None:
        if self.ngram_weights.shape != (N_BUCKETS,) or self.dense_weights.shape != (N_FEATURES,):
            raise ValueError(
                f"lexical weights must have shapes ({N_BUCKETS},)/({N_FEATURES},), got "
                f"{self.ngram_weights.shape}/{self.dense_weights.shape}"
            )
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise ValueError(f"band must satisfy 0 <= low <= high <= 1, got [{self.low}, {self.high}]")

    def score(self, text: str) -> float:
        """Probability of injection for one text."""
        buckets, values = hashed_counts(text)
        z = float(values @ self.ngram_weights[buckets]) + float(dense_features(text) @ self.dense_weights)
        return float(1.0 / (1.0 + np.exp(-np.clip(z + self.bias, -40.0, 40.0))))

    def certain(self, score: float) -> bool:
        """True when `score` is outside the uncertain band, so the encoder can be skipped."""
        return score < self.low or score > self.high

    def with_band(self, low: float, high: float) -> LexicalModel:
        return LexicalModel(self.ngram_weights, self.dense_weights, self.bias, low, high, self.version)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            ngram_weights=self.ngram_weights.astype(np.float16),
            dense_weights=self.dense_weights.astype(np.float32),
            scalars=np.array([self.bias, self.low, self.high], dtype=np.float64),
            version=np.array(self.version),
        )

    @classmethod
    def load(cls, path: Path = LEXICAL_PATH) -> LexicalModel:
        """Read weights written by `save`; never unpickles."""
        with np.load(path, allow_pickle=False) as data:
            bias, low, high = (float(v) for v in data["scalars"])
            return cls(
                np.asarray(data["ngram_weights"], dtype=np.float32),
                np.asarray(data["dense_weights"], dtype=np.float32),
                bias,
                low,
                high,
                str(data["version"]),
            )
