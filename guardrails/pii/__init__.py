"""PII guardrail: Presidio + spaCy detection (English, French) with reversible per-request masking.

Importing this package loads no model; `PiiGuardrail.setup()` / `PiiEngine.load()` do.
"""

from __future__ import annotations

from guardrails.pii.entities import DEFAULT_ENTITIES, Entity
from guardrails.pii.guardrail import PiiGuardrail, PiiOptions, vault_of
from guardrails.pii.stream import StreamRestorer
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

__all__ = [
    "DEFAULT_ENTITIES",
    "VAULT_KEY",
    "Entity",
    "PiiGuardrail",
    "PiiOptions",
    "PlaceholderVault",
    "StreamRestorer",
    "vault_of",
]


def __getattr__(name: str) -> object:
    # The engine pulls in Presidio and spaCy; import it only when asked for.
    if name in ("PiiEngine", "shared_engine"):
        from guardrails.pii import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'guardrails.pii' has no attribute {name!r}")
