"""Per-policy settings of the injection guardrail."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guardrails.base import GuardrailOptions, Mode, Role


class RoleThresholds(BaseModel):
    """Score at or above which a segment of each role triggers; `None` leaves that role unchecked.

    Text from tools and retrieved documents should describe the world, not give the model orders, so an
    instruction found there is more suspicious than the same words typed by the user: their thresholds are lower.
    The defaults are fixed; training moves the model onto them (a logit offset per role class in the model's
    manifest) so that each sits where the calibration split's negatives of that role class have about 2% FPR
    (see evals/train_injection_model.py); rules that are unambiguous score 0.85 or more on their own.
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
    """Which detection layers run. Rules and decoding are cheap; `classifier` is the trained cross-encoder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: bool = True
    classifier: bool = True
    decode: bool = True
    cascade: bool = True
    """Let the n-gram model settle user messages it is sure are benign (and decisive rule hits settle attacks), so
    only the rest pay for the cross-encoder; `false` sends every text to the model."""


class InjectionOptions(GuardrailOptions):
    """Options of `InjectionGuardrail`.

    `on_error` defaults to the guardrail's `default_on_error = "allow"`: this detector is one probabilistic layer
    of defence in depth, and failing closed would turn an embedder fault into an outage of every route that
    uses it. Policies guarding agents with dangerous tools should set `on_error: block`.
    """

    mode: Mode = "block"
    thresholds: RoleThresholds = RoleThresholds()
    layers: Layers = Layers()
    max_windows: int = Field(24, ge=1, le=512)
    """Longest texts are read as at most this many model windows, spread over the text (rules read all of it)."""
    indirect_roles: tuple[Literal["tool", "document", "user", "assistant"], ...] = ("tool", "document")
    """Roles whose text also runs the rules aimed at indirect injection (orders addressed to the model)."""
