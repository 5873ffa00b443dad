"""`warden prompts lint`: check prompt files in the working tree, reporting `file:line: severity: message`."""

from __future__ import annotations

import os
from pathlib import Path

from gateway.prompts.document import Issue, parse_document
from gateway.prompts.errors import PromptFormatError
from gateway.prompts.index import is_prompt_file
from gateway.prompts.labels import LABELS_FILE, parse_labels


def lint_path(target: Path) -> list[Issue]:
    """Lint one prompt file, or every prompt file (and the labels file) under a folder."""
    if target.is_file():
        return _lint_file(target, {})
    if not target.is_dir():
        return [Issue(str(target), 1, "error", f"no such file or directory: {str(target)!r}")]
    names: dict[str, str] = {}
    issues: list[Issue] = []
    for path in sorted(p for p in target.rglob("*.md") if is_prompt_file(p.as_posix())):
        issues.extend(_lint_file(path, names))
    labels_path = target / LABELS_FILE
    if labels_path.is_file():
        issues.extend(_lint_labels(labels_path, names))
    return issues


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _lint_file(path: Path, names: dict[str, str]) -> list[Issue]:
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Issue(shown, 1, "error", f"cannot read file: {exc}")]
    doc = parse_document(text, shown, path.stem)
    issues = list(doc.issues)
    if doc.spec is not None:
        first = names.setdefault(doc.spec.name, shown)
        if first != shown:
            issues.append(Issue(shown, 2, "error", f"prompt name {doc.spec.name!r} is already used by {first}"))
    return issues


def _lint_labels(path: Path, names: dict[str, str]) -> list[Issue]:
    shown = _display(path)
    try:
        labels = parse_labels(path.read_bytes(), shown)
    except PromptFormatError as exc:
        return [Issue(shown, 1, "error", exc.message.removeprefix(f"{shown}: "))]
    lines = path.read_text(encoding="utf-8").splitlines()
    issues = []
    for name in labels:
        if name not in names:
            line = next((i for i, text in enumerate(lines, 1) if text.startswith(f"{name}:")), 1)
            issues.append(Issue(shown, line, "warning", f"labels for unknown prompt {name!r}"))
    return issues
