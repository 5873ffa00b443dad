"""The values the store hands to the gateway: a resolved prompt version and a rendered prompt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.prompts.document import MessageTemplate
from gateway.prompts.spec import Overridable, Parameters, PromptSpec, ResponseFormat, Role


@dataclass(frozen=True, slots=True)
class ResolvedPrompt:
    """One prompt at one commit, compiled and ready to render.

    `label` is the label the caller asked for (`production`, `latest`...) or None when it asked for a commit SHA;
    `source_hash` is the sha256 of the prompt file's bytes at that commit.
    """

    name: str
    spec: PromptSpec
    messages: tuple[MessageTemplate, ...]
    commit_sha: str
    path: str
    source_hash: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message of a rendered prompt."""

    role: Role
    content: str

    def to_openai(self) -> dict[Literal["role", "content"], str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """The exact messages and settings to send, plus what the gateway records with the request.

    `template_hash` is the sha256 of the rendered messages (canonical JSON list of `[role, content]`), so two
    requests with the same hash sent the model the same text; `source_hash` identifies the prompt file itself.
    """

    messages: tuple[Message, ...]
    model: str
    parameters: Parameters
    response_format: ResponseFormat | None
    guardrail_policy: str | None
    allow_overrides: tuple[Overridable, ...]
    prompt_name: str
    label: str | None
    commit_sha: str
    template_hash: str
    source_hash: str

    @property
    def short_sha(self) -> str:
        return self.commit_sha[:7]
