"""Grounding (hallucination) guardrail: checks the answer's claims against the retrieved context."""

from guardrails.grounding.guardrail import GroundingGuardrail, GroundingOptions
from guardrails.grounding.scorer import ClaimScore, GroundingResult, GroundingScorer

__all__ = ["ClaimScore", "GroundingGuardrail", "GroundingOptions", "GroundingResult", "GroundingScorer"]
