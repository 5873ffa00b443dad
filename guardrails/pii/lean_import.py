"""Importing Presidio and spaCy without PyTorch: a third of a gigabyte of resident memory.

Presidio (its Hugging Face recognizers and device detector) and thinc (under spaCy) import `torch` and
`transformers` whenever they are installed, only to learn whether they could use them. The PII engine uses
neither: spaCy's tokenizer and the ONNX name tagger run without them. They are installed all the same (the
embedder's fallback, the training scripts), and importing them put 325 MiB in every gateway process (measured:
`import presidio_analyzer` 423 MiB RSS with them, 105 MiB without). So the engine imports its libraries with
those two hidden; whatever imports them later (the embedder's PyTorch fallback, the MiniLM export) gets them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

UNUSED = ("torch", "transformers")
"""Heavy packages Presidio and thinc probe for and the PII engine never calls."""


class _Hider(MetaPathFinder):
    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not imported by the PII engine)", name=fullname)
        return None


@contextmanager
def hidden(names: Sequence[str] = UNUSED) -> Iterator[None]:
    """Inside the block, importing one of `names` raises `ModuleNotFoundError`, as if it were not installed.

    Packages already imported are left alone (they are in `sys.modules` and stay usable). Meant for start-up,
    where the engine is first imported: an import of these packages by another thread during the block fails too.
    """
    absent = frozenset(name for name in names if name not in sys.modules)
    if not absent:
        yield
        return
    hider = _Hider(absent)
    sys.meta_path.insert(0, hider)
    try:
        yield
    finally:
        sys.meta_path.remove(hider)
