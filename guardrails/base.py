"""The guardrail contract: text segments in, one named `Verdict` out.

A guardrail knows nothing of HTTP, the gateway or the registry. The gateway, `warden scan` and the evals all
drive guardrails through this interface, so one engine serves all three.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Mode = Literal["block", "mask", "flag", "annotate", "off"]
"""What a policy asks a guardrail to do when it triggers."""

Action = Literal["allow", "block", "mask", "flag", "annotate", "error"]
"""What happened: `allow` when the guardrail did not trigger, else the mode it ran in (or `error`)."""

Role = Literal["system", "user", "assistant", "tool", "document", "output", "tool_call"]
"""Where a segment came from: a message role, a retrieved document, the model's answer (`output`), or one value
(string or number) of the JSON arguments of a tool call (`tool_call`: in the answer, or an earlier call of the
assistant sent back with the history)."""

Stage = Literal["input", "output"]


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of text to check: a message's text or one text part of it, with its origin."""

    text: str
    role: Role
    message_index: int | None = None
    part_index: int | None = None
    source: str | None = None
    """Free label of the origin, e.g. a tool name or a document id."""
    returned: bool = False
    """An assistant turn whose exact text the gateway itself returned to the same team: not forged by the client,
    so detectors that check history for forged turns (injection) may pass over it (`trust_returned_answers`)."""
    entities: tuple[tuple[int, int, str], ...] = ()
    """For a `returned` turn: (start, end, type) of the personal data the gateway put back into it when it
    returned it (restored placeholders), so PII masking can mask them again without analysing the text."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a guardrail found. Never carries the raw sensitive value."""

    kind: str
    """Entity type (`EMAIL_ADDRESS`), rule id (`injection.ignore_previous`), topic or category name."""
    score: float
    segment: int | None = None
    """Index into the segments the guardrail was given."""
    start: int | None = None
    end: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one guardrail on one request (or one answer)."""

    guardrail: str
    action: Action
    score: float
    findings: tuple[Finding, ...] = ()
    latency_ms: float = 0.0
    rewritten: tuple[str, ...] | None = None
    """For `mask`: the new text of every segment, in order."""
    message: str | None = None
    """A short human-readable reason, safe to show to the caller (no raw PII)."""
    error: str | None = None

    @property
    def triggered(self) -> bool:
        return self.action not in ("allow",)

    def summary(self) -> dict[str, object]:
        """The loggable form: counts per finding kind, never the text."""
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind] = counts.get(finding.kind, 0) + 1
        out: dict[str, object] = {
            "guardrail": self.guardrail,
            "action": self.action,
            "score": round(self.score, 4),
            "latency_ms": round(self.latency_ms, 3),
        }
        if counts:
            out["findings"] = counts
        if self.error:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class CheckContext:
    """What a guardrail may need beyond the segments themselves."""

    stage: Stage = "input"
    documents: tuple[str, ...] = ()
    """Retrieved context the answer should be grounded in (output stage)."""
    system_prompt: str | None = None
    json_schema: dict[str, Any] | None = None
    language: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    """Per-request scratch space shared by guardrails (e.g. the PII placeholder vault). Never logged."""


class GuardrailOptions(BaseModel):
    """Options common to every guardrail; each guardrail subclasses this with its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = "flag"
    roles: tuple[Role, ...] | None = None
    """Only check segments of these roles (default: every role)."""
    on_error: Literal["block", "allow"] | None = None
    """What to do when the guardrail itself fails; None takes the guardrail's default."""


class Guardrail(ABC):
    """Base class of every guardrail, built-in or third-party.

    Subclasses set `name`, `Options` and `default_on_error`, and implement `check`. Heavy models are
    loaded in `setup` (called once at start-up), never at import and never per request.
    """

    name: ClassVar[str]
    Options: ClassVar[type[GuardrailOptions]] = GuardrailOptions
    default_on_error: ClassVar[Literal["block", "allow"]] = "allow"
    stages: ClassVar[tuple[Stage, ...]] = ("input", "output")
    needs_full_text: ClassVar[bool] = False
    """True when the check only makes sense on the whole answer (a stream is then held until it ends)."""
    checks_tool_calls: ClassVar[bool] = False
    """True when the guardrail also reads the arguments of the tool calls in an answer (PII, content safety,
    leaks do; grounding and the JSON schema of `response_format` do not apply to them)."""

    def __init__(self, options: GuardrailOptions) -> None:
        self.options = options

    async def setup(self) -> None:
        """Load models or data. Called once before the first check."""

    @abstractmethod
    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        """Inspect the segments and return a verdict."""

    @property
    def on_error(self) -> Literal["block", "allow"]:
        return self.options.on_error or self.default_on_error

    def applies_to(self, segment: Segment) -> bool:
        if segment.role == "tool_call" and not self.checks_tool_calls:
            return False
        roles = self.options.roles
        return roles is None or segment.role in roles

    def verdict(
        self,
        triggered: bool,
        score: float,
        findings: Sequence[Finding] = (),
        *,
        started: float | None = None,
        rewritten: Sequence[str] | None = None,
        message: str | None = None,
    ) -> Verdict:
        """Build a verdict whose action follows this guardrail's configured mode."""
        action: Action = self.options.mode if triggered else "allow"  # type: ignore[assignment]
        latency = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        return Verdict(
            guardrail=self.name,
            action=action,
            score=float(score),
            findings=tuple(findings),
            latency_ms=latency,
            rewritten=tuple(rewritten) if rewritten is not None and action == "mask" else None,
            message=message,
        )
