"""The guardrail sections of the configuration: policies (which guardrails run on input and output, logging,
retention, span content) and the judge tier that settles uncertain verdicts. Re-exported by `gateway.config`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JudgeBand(Strict):
    """Send this guardrail's verdicts whose score lies in [low, high] to the judge model (the `judge` section)."""

    low: float = Field(ge=0.0, le=1.0)
    high: float = Field(ge=0.0, le=1.0)


class JudgeConfig(Strict):
    """The judge tier: the model that settles uncertain guardrail verdicts, called through the router."""

    model: str
    """A model name of `model_list`; its tokens and cost go on the usage row of the request being checked."""
    prompts_dir: Path = Path("prompts/judges")
    """One rubric per guardrail, `<guardrail name>.md` in the prompt store's format."""
    timeout_s: float = Field(default=5.0, gt=0)
    """Past this the local verdict stands."""
    cache_size: int = Field(default=4096, ge=0)
    """Rulings kept, keyed by the exact rendered rubric (0 = no cache)."""
    max_tokens: int = Field(default=64, ge=1)


class GuardrailSpec(BaseModel):
    """One guardrail in a policy. Every key but `guardrail` and `judge` is an option of that guardrail, checked
    strictly against its own options model when the gateway starts."""

    model_config = ConfigDict(extra="allow", frozen=True)
    guardrail: str
    judge: JudgeBand | None = None
    """Off by default; needs the top-level `judge` section."""

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class PolicyConfig(Strict):
    description: str = ""
    on_error: Literal["block", "allow"] | None = None
    """For guardrails that set none: what a failing guardrail does (default: each guardrail's own, `block` for PII)."""
    input: list[GuardrailSpec] = []
    output: list[GuardrailSpec] = []
    logging: Literal["off", "metadata", "full"] = "metadata"
    retention_days: int = Field(default=30, ge=1)
    trace_content: bool = False
    """With tracing on, spans carry the messages and the answer, PII-masked (`gen_ai.input.messages`,
    `gen_ai.output.messages`); off, spans hold no text a client wrote."""
    trust_returned_answers: bool = True
    """The gateway keeps a digest of every answer this policy returned (per team, `returned_answers` says where
    and how long), with the spans of the personal data it restored into it. An assistant turn sent back with the
    exact text of one of them is the model's own, not a forgery: it skips the injection check, and PII masking
    masks those spans again without analysing it (what the model wrote on its own is not looked for again: the
    provider wrote it). Off: every assistant turn is checked as if the client wrote it."""
