"""Content-safety guardrail: harmful-content categories from MiniLM embeddings."""

from guardrails.safety.guardrail import ContentSafetyGuardrail, ContentSafetyOptions

__all__ = ["ContentSafetyGuardrail", "ContentSafetyOptions"]
