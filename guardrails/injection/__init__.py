"""Prompt-injection and jailbreak detection: normalisation, rules, and a role-aware MiniLM cross-encoder."""

from __future__ import annotations

from guardrails.injection.detector import InjectionDetector, InjectionResult
from guardrails.injection.guardrail import InjectionGuardrail
from guardrails.injection.options import InjectionOptions, Layers, RoleThresholds

__all__ = ["InjectionDetector", "InjectionGuardrail", "InjectionOptions", "InjectionResult", "Layers", "RoleThresholds"]
