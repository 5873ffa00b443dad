"""The labels file (`labels.yaml` at the root of the prompts folder): `{prompt_name: {label: commit_sha}}`.

Labels live in the repository so that promoting a prompt is itself a reviewed, revertable commit.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from gateway.prompts.errors import PromptFormatError
from gateway.prompts.refs import LATEST, SHA_RE, is_label
from gateway.prompts.spec import NAME_RE

LABELS_FILE = "labels.yaml"
HEADER = (
    "# Which commit each label of each prompt points at: {prompt_name: {label: commit_sha}}.\n"
    "# Change it with `warden prompts promote` / `warden prompts rollback` (each makes a reviewed commit).\n"
)

Labels = dict[str, dict[str, str]]


def parse_labels(text: str | bytes | None, where: str = LABELS_FILE) -> Labels:
    """Parse and validate a labels file; a missing or empty file means no labels."""
    if text is None:
        return {}
    try:
        # Every scalar stays a string: a short SHA of digits only (`1234567`, `0123456`) would be an int otherwise.
        data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds only str, list and dict
    except yaml.YAMLError as exc:
        raise PromptFormatError(f"{where}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PromptFormatError(f"{where}: expected a mapping of prompt names, got {type(data).__name__}")
    labels: Labels = {}
    for name, entries in data.items():
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise PromptFormatError(f"{where}: invalid prompt name {name!r}")
        if not isinstance(entries, dict):
            raise PromptFormatError(f"{where}: {name}: expected a mapping of labels, got {entries!r}")
        labels[name] = {}
        for label, sha in entries.items():
            if not isinstance(label, str) or not is_label(label) or label == LATEST:
                raise PromptFormatError(f"{where}: {name}: invalid label {label!r}")
            if not isinstance(sha, str) or not SHA_RE.match(sha):
                raise PromptFormatError(f"{where}: {name}.{label}: {sha!r} is not a commit SHA")
            labels[name][label] = sha
    return labels


def dump_labels(labels: Mapping[str, Mapping[str, str]]) -> str:
    """Serialise labels deterministically (sorted), with the explanatory header."""
    clean = {name: dict(sorted(entries.items())) for name, entries in sorted(labels.items()) if entries}
    body = yaml.safe_dump(clean, sort_keys=False, default_flow_style=False) if clean else "{}\n"
    return HEADER + body
