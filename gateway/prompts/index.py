"""An immutable in-memory index of the prompts at one commit, and the loader that builds it from Git."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from gateway.prompts.document import PromptDocument, parse_document
from gateway.prompts.git import GitRepo, TreeEntry, resolve_many
from gateway.prompts.labels import LABELS_FILE, Labels, parse_labels
from gateway.prompts.model import ResolvedPrompt

DOC_CACHE_SIZE = 4096


def is_prompt_file(path: str) -> bool:
    """Prompt files are the `*.md` files of the folder, except READMEs."""
    pure = PurePosixPath(path)
    return pure.suffix == ".md" and pure.stem.lower() != "readme"


@dataclass(frozen=True, slots=True)
class PromptIndex:
    """The valid prompts at `commit` by name; at HEAD also the labels file, with every SHA made full.

    `errors` lists the files that were left out (invalid prompts, unresolvable labels), as `file:line: message`.
    """

    commit: str
    prompts: Mapping[str, ResolvedPrompt]
    labels: Labels = field(default_factory=dict)
    errors: tuple[str, ...] = ()


class IndexLoader:
    """Builds `PromptIndex`es; parsed files are cached by blob id, so a rebuild only parses what changed.

    Thread-safe: git work is serialised by a lock (builds run in worker threads, off the event loop).
    """

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.lock = threading.RLock()
        self._docs: OrderedDict[str, tuple[PromptDocument, str]] = OrderedDict()

    def load(self, commit: str, with_labels: bool = False) -> PromptIndex:
        with self.lock:
            entries = self.repo.list_tree(commit)
            docs = self._documents([e for e in entries if is_prompt_file(e.path)])
            prompts: dict[str, ResolvedPrompt] = {}
            errors: list[str] = []
            for entry, (doc, source_hash) in docs:
                if doc.spec is None or doc.errors:
                    errors.extend(str(issue) for issue in doc.errors)
                elif doc.spec.name in prompts:
                    errors.append(f"{entry.path}:1: error: duplicate prompt name {doc.spec.name!r}")
                else:
                    prompts[doc.spec.name] = ResolvedPrompt(
                        doc.spec.name, doc.spec, doc.messages, commit, entry.path, source_hash
                    )
            labels: Labels = {}
            if with_labels:
                labels = self._labels(commit, entries, errors)
            return PromptIndex(commit, prompts, labels, tuple(errors))

    def _documents(self, entries: list[TreeEntry]) -> list[tuple[TreeEntry, tuple[PromptDocument, str]]]:
        missing = [e for e in entries if e.blob not in self._docs]
        for entry, raw in zip(missing, self.repo.read_objects([e.blob for e in missing]), strict=True):
            text = (raw or b"").decode("utf-8", errors="replace")
            doc = parse_document(text, entry.path, PurePosixPath(entry.path).stem)
            self._docs[entry.blob] = (doc, hashlib.sha256(raw or b"").hexdigest())
        out = []
        for entry in entries:
            self._docs.move_to_end(entry.blob)
            out.append((entry, self._docs[entry.blob]))
        while len(self._docs) > DOC_CACHE_SIZE:
            self._docs.popitem(last=False)
        return out

    def _labels(self, commit: str, entries: list[TreeEntry], errors: list[str]) -> Labels:
        path = self.repo.prefix + LABELS_FILE
        blob = next((e.blob for e in entries if e.path == path), None)
        raw = self.repo.read_objects([blob])[0] if blob else None
        labels = parse_labels(raw, path)  # an invalid labels file fails the whole refresh
        pairs = [(name, label, sha) for name, entries_ in labels.items() for label, sha in entries_.items()]
        full: Labels = {}
        for (name, label, sha), resolved in zip(pairs, resolve_many(self.repo, [p[2] for p in pairs]), strict=True):
            if resolved is None:
                errors.append(f"{path}:1: error: {name}.{label} points at unknown commit {sha!r}")
            else:
                full.setdefault(name, {})[label] = resolved
        return full
