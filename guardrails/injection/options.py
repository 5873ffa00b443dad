"""Per-policy settings of the injection guardrail."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guardrails.base import GuardrailOptions, Mode, Role


class RoleThresholds(BaseModel):
    """Score at or above which a segment of each role triggers; `None` leaves that role unchecked.

    Text from tools and retrieved documents should describe the world, not give the model orders, so an
    instruction found there is more suspicious than the same words typed by the user: their thresholds are lower.
    The user default (0.85) is fixed; training moves the classifier onto it (`InjectionClassifier.offset`) so
    that it sits where pooled negatives of the training folds (benign prompts, XSTest, hard negatives) have
    about 2.5% FPR (see evals/train_injection.py); rules that are unambiguous score 0.85 or more on their own.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: float | None = None
    """The operator's own prompt: trusted, not checked."""
    user: float | None = Field(0.85, ge=0.0, le=1.0)
    assistant: float | None = Field(0.9, ge=0.0, le=1.0)
    """Earlier assistant turns are sent by the client and can be forged, so they are checked too."""
    tool: float | None = Field(0.6, ge=0.0, le=1.0)
    document: float | None = Field(0.6, ge=0.0, le=1.0)
    output: float | None = None

    def for_role(self, role: Role) -> float | None:
        return getattr(self, role)


class Layers(BaseModel):
    """Which detection layers run. Rules and decoding are cheap; the classifier needs the embedder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: bool = True
    classifier: bool = True
    decode: bool = True
    cascade: bool = True
    """Let the n-gram model (and decisive rule hits) settle clear cases so only uncertain texts pay for a MiniLM
    encode; `false` embeds every text (the full model, a little slower and a hair more exact)."""


class InjectionOptions(GuardrailOptions):
    """Options of `InjectionGuardrail`.

    `on_error` defaults to the guardrail's `default_on_error = "allow"`: this detector is one probabilistic layer
    of defence in depth, and failing closed would turn an embedder fault into an outage of every route that
    uses it. Policies guarding agents with dangerous tools should set `on_error: block`.
    """

    mode: Mode = "block"
    thresholds: RoleThresholds = RoleThresholds()
    layers: Layers = Layers()
    max_windows: int = Field(48, ge=1, le=512)
    """Longest texts are embedded as at most this many sentence windows (rules still read all of it)."""
    indirect_roles: tuple[Literal["tool", "document", "user", "assistant"], ...] = ("tool", "document")
    """Roles whose text also runs the rules aimed at indirect injection (orders addressed to the model)."""
