"""Synchronous, Git-reading access to prompt versions for tooling (the CLI, promotion); not for the request path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.prompts.errors import PromptNotFound
from gateway.prompts.git import GitRepo
from gateway.prompts.index import IndexLoader, PromptIndex
from gateway.prompts.labels import LABELS_FILE
from gateway.prompts.model import ResolvedPrompt
from gateway.prompts.refs import LATEST, PromptRef


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A commit that changed a prompt's file, with the labels (at HEAD) that point at it."""

    commit: str
    date: str
    author: str
    subject: str
    labels: tuple[str, ...]


class PromptCatalog:
    """Prompt versions read straight from the repository holding `prompts_dir`."""

    def __init__(self, prompts_dir: Path) -> None:
        self.repo = GitRepo.open(prompts_dir)
        self.loader = IndexLoader(self.repo)
        self._head: PromptIndex | None = None

    @property
    def labels_path(self) -> str:
        """The labels file, relative to the repository root."""
        return self.repo.prefix + LABELS_FILE

    def head(self) -> PromptIndex:
        if self._head is None:
            self._head = self.loader.load(self.repo.head(), with_labels=True)
        return self._head

    def commit_of(self, ref: PromptRef, default_label: str = LATEST) -> str:
        """The full commit SHA `ref` points at; raises `PromptNotFound`."""
        if ref.version is not None:
            full = self.repo.resolve_commit(ref.version)
            if full is None:
                raise PromptNotFound(f"no commit {ref.version!r} in the repository")
            return full
        label = ref.label or default_label
        if label == LATEST:
            return self.head().commit
        sha = self.head().labels.get(ref.name, {}).get(label)
        if sha is None:
            raise PromptNotFound(f"prompt {ref.name!r} has no label {label!r}")
        return sha

    def resolve(self, ref: PromptRef, default_label: str = LATEST) -> ResolvedPrompt:
        commit = self.commit_of(ref, default_label)
        index = self.head() if commit == self.head().commit else self.loader.load(commit)
        found = index.prompts.get(ref.name)
        if found is None:
            problems = [e for e in index.errors if f"/{ref.name}.md:" in f"/{e}"]
            detail = f" ({problems[0]})" if problems else ""
            raise PromptNotFound(f"prompt {ref.name!r} does not exist (or is invalid) at {commit[:7]}{detail}")
        return found

    def source(self, prompt: ResolvedPrompt) -> str:
        raw = self.repo.read_file(prompt.commit_sha, prompt.path)
        return (raw or b"").decode("utf-8", errors="replace")

    def history(self, name: str) -> list[HistoryEntry]:
        """Commits that changed the prompt's file (following renames), newest first."""
        path = self.resolve(PromptRef(name, label=LATEST)).path
        by_commit: dict[str, list[str]] = {}
        for label, sha in sorted(self.head().labels.get(name, {}).items()):
            by_commit.setdefault(sha, []).append(label)
        return [
            HistoryEntry(sha, date, author, subject, tuple(by_commit.get(sha, ())))
            for sha, date, author, subject in self.repo.log(path, "--follow")
        ]
