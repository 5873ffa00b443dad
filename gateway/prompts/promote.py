"""Moving labels: `promote` points a label at a commit, `rollback` returns it to its previous value.

Both write the labels file and commit only that file, so every label move is a commit that can be reviewed,
reverted and audited. Rollback reads the label's past values from the labels file's history: a stack where each
change pushes the new value and each rollback commit pops, so rolling back twice goes two steps back, not back and
forth. Gates run on promotion only; rollback is the emergency exit and never waits on a gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.prompts.catalog import PromptCatalog
from gateway.prompts.errors import PromptError, PromptNotFound
from gateway.prompts.gates import PromotionGate, run_gates
from gateway.prompts.labels import Labels, dump_labels, parse_labels
from gateway.prompts.refs import LATEST, PromptRef, is_label

ROLLBACK_PREFIX = "prompts: rollback "


class PromotionRefused(PromptError):
    """A gate refused the promotion, or the repository is not in a state to record it; `reasons` says why."""

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class LabelChange:
    """A label move; `commit` is the commit recording it (None when the label already pointed there)."""

    name: str
    label: str
    old: str | None
    new: str | None
    commit: str | None
    message: str


def promote(
    catalog: PromptCatalog, name: str, ref: PromptRef, label: str, gates: Sequence[PromotionGate] = ()
) -> LabelChange:
    """Point `label` of prompt `name` at the commit `ref` names, after every gate passed."""
    _check_label(label)
    prompt = catalog.resolve(ref)
    head = catalog.head().commit
    if not catalog.repo.is_ancestor(prompt.commit_sha, head):
        raise PromotionRefused(f"commit {prompt.commit_sha[:7]} is not in the history of HEAD: merge it first")
    labels = _current_labels(catalog)
    old = labels.get(name, {}).get(label)
    if old is not None and catalog.repo.resolve_commit(old) == prompt.commit_sha:
        return LabelChange(name, label, old, old, None, f"{name}@{label} already points at {old[:7]}")
    reasons = run_gates(gates, prompt, old, prompt.commit_sha, label)
    if reasons:
        raise PromotionRefused(f"promotion of {name} to {label} refused by a gate", tuple(reasons))
    message = f"prompts: promote {name} to {label} at {prompt.commit_sha[:7]}"
    return _write(catalog, labels, name, label, old, prompt.commit_sha, message)


def rollback(catalog: PromptCatalog, name: str, label: str) -> LabelChange:
    """Move `label` of prompt `name` back to the value it had before its current one."""
    _check_label(label)
    labels = _current_labels(catalog)
    current = labels.get(name, {}).get(label)
    if current is None:
        raise PromptNotFound(f"prompt {name!r} has no label {label!r}")
    stack = label_stack(catalog, name, label)
    if len(stack) < 2 or stack[-1] != current:
        raise PromotionRefused(f"{name}@{label} has no previous value to roll back to")
    target = stack[-2]
    was = current[:7]
    message = (
        f"{ROLLBACK_PREFIX}{name} {label} to {target[:7]} (was {was})"
        if target
        else f"{ROLLBACK_PREFIX}{name} {label} to nothing (was {was})"
    )
    return _write(catalog, labels, name, label, current, target, message)


def label_stack(catalog: PromptCatalog, name: str, label: str) -> list[str | None]:
    """The label's values through the labels file's history, oldest first, with rolled-back values popped."""
    path = catalog.labels_path
    commits = list(reversed(catalog.repo.log(path)))
    contents = catalog.repo.read_objects([f"{sha}:{path}" for sha, *_ in commits])
    stack: list[str | None] = []
    previous: str | None = None
    for (_, _, _, subject), raw in zip(commits, contents, strict=True):
        try:
            value = parse_labels(raw).get(name, {}).get(label)
        except PromptError:
            continue  # an invalid historical labels file never served; skip it
        if value == previous:
            continue
        if subject.startswith(ROLLBACK_PREFIX) and len(stack) >= 2 and stack[-2] == value:
            stack.pop()
        else:
            stack.append(value)
        previous = value
    return stack


def _check_label(label: str) -> None:
    if not is_label(label) or label == LATEST:
        raise PromptError(f"invalid label {label!r}: lowercase letters, digits, '-' or '_', not 'latest' or a SHA")


def _current_labels(catalog: PromptCatalog) -> Labels:
    path = catalog.labels_path
    if catalog.repo.git("status", "--porcelain", "--", path).strip():
        raise PromotionRefused(f"{path} has uncommitted changes: commit or discard them first")
    return parse_labels(catalog.repo.read_file("HEAD", path), path)


def _write(
    catalog: PromptCatalog, labels: Labels, name: str, label: str, old: str | None, new: str | None, message: str
) -> LabelChange:
    entries = labels.setdefault(name, {})
    if new is None:
        entries.pop(label, None)
    else:
        entries[label] = new
    (catalog.repo.root / catalog.labels_path).write_text(dump_labels(labels), encoding="utf-8")
    commit = catalog.repo.commit_paths([catalog.labels_path], message)
    return LabelChange(name, label, old, new, commit, message)
