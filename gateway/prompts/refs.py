"""How a request names a prompt: `prompt:NAME@REF` as the model, or an `extra_body={"prompt": {...}}` object."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from gateway.prompts.errors import PromptRequestError
from gateway.prompts.spec import NAME_RE

MODEL_PREFIX = "prompt:"
LATEST = "latest"
SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")
LABEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True)
class PromptRef:
    """A prompt name plus at most one of `label` (`production`, `latest`...) or `version` (a commit SHA, 7-40 hex).

    With neither, the store's default label applies.
    """

    name: str
    label: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise PromptRequestError(f"invalid prompt name {self.name!r}")
        if self.label is not None and self.version is not None:
            raise PromptRequestError(f"prompt {self.name!r}: give a label or a version, not both")
        if self.label is not None and not is_label(self.label):
            raise PromptRequestError(f"prompt {self.name!r}: invalid label {self.label!r}")
        if self.version is not None and not SHA_RE.match(self.version):
            raise PromptRequestError(f"prompt {self.name!r}: version {self.version!r} is not a 7-40 hex commit SHA")

    def __str__(self) -> str:
        ref = self.label or self.version
        return f"{self.name}@{ref}" if ref else self.name


def is_label(value: str) -> bool:
    """Labels are lowercase words that cannot be mistaken for a commit SHA."""
    return bool(LABEL_RE.match(value)) and not SHA_RE.match(value)


def parse_ref(text: str) -> PromptRef:
    """Parse `NAME`, `NAME@label` or `NAME@<sha>`: 7-40 lowercase hex is a version, anything else a label."""
    name, sep, ref = text.partition("@")
    if not sep:
        return PromptRef(name)
    if SHA_RE.match(ref):
        return PromptRef(name, version=ref)
    return PromptRef(name, label=ref)


def parse_model_ref(model: str) -> PromptRef | None:
    """`"prompt:support-answer@production"` -> PromptRef; None when `model` does not name a prompt."""
    if not model.startswith(MODEL_PREFIX):
        return None
    return parse_ref(model[len(MODEL_PREFIX) :])


class _PromptBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    label: str | None = None
    version: str | None = None
    variables: dict[str, JsonValue] = {}


@dataclass(frozen=True, slots=True)
class PromptRequest:
    """A prompt reference and the caller's variables, as carried by a request."""

    ref: PromptRef
    variables: dict[str, JsonValue] = field(default_factory=dict)


def parse_prompt_body(body: object) -> PromptRequest:
    """Parse `{"name": ..., "label"|"version": ..., "variables": {...}}` (the `prompt` key of `extra_body`)."""
    try:
        parsed = _PromptBody.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "prompt"
        raise PromptRequestError(f"invalid prompt object: {where}: {first['msg']}") from None
    return PromptRequest(PromptRef(parsed.name, parsed.label, parsed.version), dict(parsed.variables))
